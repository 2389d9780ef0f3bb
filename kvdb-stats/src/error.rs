//! The one error type of `kvdb-stats`.

use crate::TimeRange;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong recording, flushing, rolling up or querying statistics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed (connection, timeout, server error).
    #[error(transparent)]
    Store(#[from] kvdb_core::Error),

    /// A query named no service.
    #[error("service name is empty")]
    EmptyServiceName,

    /// A query's range ends before it starts.
    #[error("time range {range} is reversed: it ends before it starts")]
    ReversedRange {
        /// The range as given.
        range: TimeRange,
    },

    /// No part of a query's range is still kept at any level.
    #[error("time range {range} is beyond the statistics' retention: nothing older than {oldest} (Unix time) is kept")]
    BeyondRetention {
        /// The range as given, widened to whole minutes.
        range: TimeRange,
        /// The oldest time any level still keeps.
        oldest: u64,
    },

    /// Options that cannot work together.
    #[error("invalid statistics options: {0}")]
    InvalidOptions(String),

    /// [`Stats::start`](crate::Stats::start) was called outside a tokio runtime.
    #[error("the background flush needs a tokio runtime; call Stats::start inside one")]
    NoRuntime,

    /// A name (sort key, period) that is not one of the known ones.
    #[error("unknown {what} {name:?}; expected one of: {expected}")]
    UnknownName {
        /// What kind of name it was.
        what: &'static str,
        /// The name as given.
        name: String,
        /// The names that are known.
        expected: &'static str,
    },

    /// Data in Redis that kvdb-stats did not write in this form.
    #[error("malformed statistics in {key}: {reason}")]
    Malformed {
        /// The key holding the data.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}
