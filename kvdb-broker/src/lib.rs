//! kvdb-broker: being built.
