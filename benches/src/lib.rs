//! Benchmarks support (being built).
