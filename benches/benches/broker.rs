//! kvdb-broker against a raw redis-rs streams loop (being written).

fn main() {}
