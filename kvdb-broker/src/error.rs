//! The one error type of `kvdb-broker`.

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong sending, publishing, working or inspecting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed (connection lost, timeout, server error): see
    /// [`kvdb_core::Error::is_retryable`].
    #[error("{0}")]
    Store(#[from] kvdb_core::Error),

    /// The payload is larger than [`BrokerOptions::max_payload`](crate::BrokerOptions::max_payload).
    #[error("payload of {size} bytes for {target:?} is larger than the maximum of {max} bytes")]
    PayloadTooLarge {
        /// The service or topic the message was for.
        target: String,
        /// The payload's size in bytes.
        size: usize,
        /// The configured maximum.
        max: usize,
    },

    /// A queue, service, topic or subscription name that cannot be used.
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidName {
        /// What the name was for (`"service"`, `"queue"`, `"topic"`, `"subscription"`).
        kind: &'static str,
        /// The name as given.
        name: String,
        /// Why it cannot be used.
        reason: &'static str,
    },

    /// A value could not be turned into JSON, or JSON into the type asked for.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),

    /// Data read from Redis is not a message this crate wrote.
    #[error("malformed message: {0}")]
    Malformed(String),

    /// A worker was started with two handlers for one service or subscription.
    #[error("two handlers registered for {0}")]
    DuplicateHandler(String),

    /// A worker was started without any handler, so it would read nothing.
    #[error("worker has no handlers: register one with Worker::handle or Worker::subscription")]
    NoHandlers,
}

impl Error {
    /// Whether the same call may succeed if made again (the store's connection came back).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Store(err) if err.is_retryable())
    }
}
