//! The one error type of `kvdb-core`, and how Redis errors are sorted into it.

use std::time::Duration;

use redis::{ErrorKind, RedisError};

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a store.
///
/// Each variant says what failed and with what: the server's address (never its password),
/// the command's name, and the server's own message. [`Error::is_retryable`] tells whether
/// the same call may succeed if made again (after a reconnect, a failover, a busy script).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection URL could not be parsed or names an unsupported scheme.
    #[error("invalid redis URL {url}: {reason}")]
    InvalidUrl {
        /// The URL as given, with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// No connection could be made to the server (refused, unreachable, timed out).
    #[error("cannot connect to redis at {addr}: {reason}")]
    Connect {
        /// The server's address, without credentials.
        addr: String,
        /// What went wrong, from the operating system or the client library.
        reason: String,
    },

    /// The server refused the credentials (wrong password or ACL user).
    #[error("authentication to redis at {addr} failed: {reason}")]
    Auth {
        /// The server's address, without credentials.
        addr: String,
        /// The server's own message.
        reason: String,
    },

    /// The connection broke while the command was in flight; the command may or may not have run.
    #[error("connection to redis lost during {command}: {reason}")]
    ConnectionLost {
        /// The command (or `pipeline`) that was in flight.
        command: String,
        /// What the client library reported.
        reason: String,
    },

    /// No reply came within the response timeout.
    #[error("redis did not answer {command} within {after:?}")]
    Timeout {
        /// The command (or `pipeline`) that timed out.
        command: String,
        /// The timeout that elapsed.
        after: Duration,
    },

    /// The server answered with an error reply (`WRONGTYPE`, `NOSCRIPT`, `ERR ...`).
    #[error("redis rejected {command}: {code} {message}")]
    Server {
        /// The command that was rejected.
        command: String,
        /// The error code the server sent first (`ERR`, `WRONGTYPE`, `NOSCRIPT`, ...).
        code: String,
        /// The rest of the server's message.
        message: String,
    },

    /// A MULTI/EXEC transaction was not executed because a WATCHed key changed.
    #[error("transaction aborted: a watched key changed before EXEC")]
    TransactionAborted,

    /// The reply could not be converted into the type asked for.
    #[error("unexpected reply to {command}: {reason}")]
    Response {
        /// The command whose reply did not fit.
        command: String,
        /// Why it did not fit.
        reason: String,
    },

    /// The call is not allowed on this path (for example WATCH on the shared connection).
    #[error("{0}")]
    Usage(String),

    /// The store's connection pool could not hand out a connection.
    #[error("no dedicated connection available: {0}")]
    Pool(String),
}

impl Error {
    /// Whether the same call may succeed if it is made again.
    ///
    /// True for lost connections, timeouts, refused connections, and for server replies that
    /// announce a passing state (`LOADING`, `BUSY`, `TRYAGAIN`, `MASTERDOWN`, `READONLY` during a
    /// failover, `CLUSTERDOWN`). A retried write that hit [`Error::ConnectionLost`] or
    /// [`Error::Timeout`] may run twice: make such writes idempotent.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connect { .. }
            | Error::ConnectionLost { .. }
            | Error::Timeout { .. }
            | Error::Pool(_)
            | Error::TransactionAborted => true,
            Error::Server { code, .. } => matches!(
                code.as_str(),
                "LOADING" | "BUSY" | "TRYAGAIN" | "MASTERDOWN" | "READONLY" | "CLUSTERDOWN"
            ),
            _ => false,
        }
    }

    /// The server's error code when the server replied with an error (`NOSCRIPT`, `WRONGTYPE`, ...).
    pub fn server_code(&self) -> Option<&str> {
        match self {
            Error::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// An error reply the server sent to `command` (a `Value::ServerError` in a pipeline's
    /// replies), as [`Error::Server`].
    pub fn from_server_error(command: &str, err: &redis::ServerError) -> Self {
        Error::Server {
            command: command.to_owned(),
            code: err.code().to_owned(),
            message: err.details().unwrap_or_default().to_owned(),
        }
    }

    /// Sorts a client-library error raised while running `command` into a variant.
    pub fn from_redis(command: &str, err: RedisError, timeout: Option<Duration>) -> Self {
        let command = command.to_owned();
        if err.is_timeout() {
            return Error::Timeout {
                command,
                after: timeout.unwrap_or_default(),
            };
        }
        if err.is_connection_dropped() || err.is_io_error() || err.is_connection_refusal() {
            return Error::ConnectionLost {
                command,
                reason: err.to_string(),
            };
        }
        if let Some(code) = err.code() {
            let message = err
                .detail()
                .map(str::to_owned)
                .unwrap_or_else(|| err.to_string());
            return Error::Server {
                command,
                code: code.to_owned(),
                message,
            };
        }
        match err.kind() {
            ErrorKind::AuthenticationFailed => Error::Auth {
                addr: String::from("the server"),
                reason: err.to_string(),
            },
            ErrorKind::UnexpectedReturnType | ErrorKind::Parse => Error::Response {
                command,
                reason: err.to_string(),
            },
            _ => Error::ConnectionLost {
                command,
                reason: err.to_string(),
            },
        }
    }

    /// Turns this error back into a `redis::RedisError`, for the `redis::aio::ConnectionLike`
    /// adapter ([`crate::StoreConnection`]) through which redis's own command API runs.
    pub(crate) fn into_redis(self) -> RedisError {
        let kind = match &self {
            Error::Server { .. } => ErrorKind::Extension,
            Error::Response { .. } => ErrorKind::UnexpectedReturnType,
            Error::Auth { .. } => ErrorKind::AuthenticationFailed,
            Error::Usage(_) | Error::InvalidUrl { .. } => ErrorKind::Client,
            _ => ErrorKind::Io,
        };
        RedisError::from((kind, "kvdb store error", self.to_string()))
    }
}

/// The name of a command (its first argument) for error messages, upper-cased.
pub(crate) fn command_name(cmd: &redis::Cmd) -> String {
    match cmd.args_iter().next() {
        Some(redis::Arg::Simple(name)) => String::from_utf8_lossy(name).to_ascii_uppercase(),
        _ => String::from("<command>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_server_codes() {
        let loading = Error::Server {
            command: "GET".into(),
            code: "LOADING".into(),
            message: "Redis is loading the dataset in memory".into(),
        };
        assert!(loading.is_retryable());
        let wrongtype = Error::Server {
            command: "GET".into(),
            code: "WRONGTYPE".into(),
            message: "Operation against a key holding the wrong kind of value".into(),
        };
        assert!(!wrongtype.is_retryable());
        assert_eq!(wrongtype.server_code(), Some("WRONGTYPE"));
    }

    #[test]
    fn command_name_is_upper_case() {
        assert_eq!(command_name(&redis::cmd("blpop")), "BLPOP");
    }
}
