//! kvdb-stats: being built.
