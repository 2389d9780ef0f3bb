//! kvdb-dict: being built.
