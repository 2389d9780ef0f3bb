//! kvdb-lua: being built.
