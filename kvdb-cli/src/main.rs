//! The `kvdb` command (being built).
fn main() {}
