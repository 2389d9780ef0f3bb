//! [`CliError`]: what the command reports on stderr, with what to do about it.

use std::process::ExitCode;

/// A failed command: the message for stderr, an optional hint, and the exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CliError {
    /// The server could not be reached, or refused the credentials.
    #[error("{source}")]
    Connect {
        /// The store's error (it names the address without its password).
        source: kvdb_core::Error,
        /// What to do about it.
        hint: String,
    },
    /// The command ran and its answer is "no" (no translation, a program that failed to
    /// compile): exit code 1, with a message.
    #[error("{0}")]
    NoResult(String),
    /// A command's input was wrong (a bad file, a bad value).
    #[error("{0}")]
    Input(String),
    /// Anything else that failed.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The process exit code: 1 for "no result", 2 for bad input, 3 for an unreachable
    /// server, 4 for other failures.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::NoResult(_) => 1,
            CliError::Input(_) => 2,
            CliError::Connect { .. } => 3,
            CliError::Failed(_) => 4,
        })
    }

    /// What to do about it, if there is advice.
    pub(crate) fn hint(&self) -> Option<&str> {
        match self {
            CliError::Connect { hint, .. } => Some(hint),
            _ => None,
        }
    }

    /// Sorts a store error: connection problems get advice.
    pub(crate) fn from_store(err: kvdb_core::Error) -> CliError {
        match &err {
            kvdb_core::Error::Connect { .. } => CliError::Connect {
                hint: String::from(
                    "is redis-server running there? Start one with \
                     `redis-server --daemonize yes`, or point --url (or REDIS_URL) at your server",
                ),
                source: err,
            },
            kvdb_core::Error::Auth { .. } => CliError::Connect {
                hint: String::from(
                    "give the password in the URL: redis://:PASSWORD@HOST:PORT (or redis://USER:PASSWORD@HOST:PORT for an ACL user)",
                ),
                source: err,
            },
            kvdb_core::Error::InvalidUrl { .. } => CliError::Input(err.to_string()),
            _ => CliError::Failed(err.to_string()),
        }
    }
}

impl From<kvdb_core::Error> for CliError {
    fn from(err: kvdb_core::Error) -> Self {
        CliError::from_store(err)
    }
}

impl From<kvdb_broker::Error> for CliError {
    fn from(err: kvdb_broker::Error) -> Self {
        match err {
            kvdb_broker::Error::Store(store) => CliError::from_store(store),
            kvdb_broker::Error::PayloadTooLarge { .. } | kvdb_broker::Error::InvalidName { .. } => {
                CliError::Input(err.to_string())
            }
            other => CliError::Failed(other.to_string()),
        }
    }
}

impl From<kvdb_dict::Error> for CliError {
    fn from(err: kvdb_dict::Error) -> Self {
        match err {
            kvdb_dict::Error::Store(store) => CliError::from_store(store),
            kvdb_dict::Error::Corrupt { .. } => CliError::Failed(err.to_string()),
            other => CliError::Input(other.to_string()),
        }
    }
}

impl From<kvdb_stats::Error> for CliError {
    fn from(err: kvdb_stats::Error) -> Self {
        match err {
            kvdb_stats::Error::Store(store) => CliError::from_store(store),
            kvdb_stats::Error::Malformed { .. } => CliError::Failed(err.to_string()),
            other => CliError::Input(other.to_string()),
        }
    }
}

impl From<kvdb_lua::Error> for CliError {
    fn from(err: kvdb_lua::Error) -> Self {
        match err {
            kvdb_lua::Error::Store(store) => CliError::from_store(store),
            kvdb_lua::Error::UnknownProgram { .. } | kvdb_lua::Error::KeyCount { .. } => {
                CliError::Input(err.to_string())
            }
            other => CliError::Failed(other.to_string()),
        }
    }
}
