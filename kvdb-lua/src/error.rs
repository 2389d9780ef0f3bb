//! The one error type of `kvdb-lua`.

use crate::LoadFailure;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong loading or running Lua programs.
///
/// Problems with single files during a load are not errors: they are reported in
/// [`LoadReport::failed`](crate::LoadReport::failed), and become [`Error::StrictLoad`] only in
/// strict mode.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed (connection lost, timeout, server error outside a program).
    /// [`Error::is_retryable`] tells whether the same call may succeed if made again.
    #[error(transparent)]
    Store(#[from] kvdb_core::Error),

    /// No program has this name; `suggestions` holds the closest known names, best first.
    #[error("unknown Lua program \"{name}\"{}", did_you_mean(.suggestions))]
    UnknownProgram {
        /// The name asked for.
        name: String,
        /// The closest known names (at most three), best first; may be empty.
        suggestions: Vec<String>,
    },

    /// The program declares in its header how many keys it takes, and the call gave another
    /// number. Nothing was sent to the server.
    #[error("Lua program \"{program}\" takes {declared} keys (its header says so) but was called with {given}")]
    KeyCount {
        /// The program's name.
        program: String,
        /// The key count its header declares.
        declared: usize,
        /// The number of keys the call gave.
        given: usize,
    },

    /// Two keys of one call hash to different cluster slots (checked only with
    /// [`LuaOptions::check_same_slot`](crate::LuaOptions::check_same_slot)). Nothing was sent.
    #[error("Lua program \"{program}\" called with keys in different hash slots: \"{first_key}\" (slot {first_slot}) and \"{key}\" (slot {slot}); on a cluster all keys of one call must share a slot: give them the same {{hash tag}}")]
    CrossSlot {
        /// The program's name.
        program: String,
        /// The first key of the call (lossy UTF-8).
        first_key: String,
        /// Its hash slot.
        first_slot: u16,
        /// The first key whose slot differs (lossy UTF-8).
        key: String,
        /// Its hash slot.
        slot: u16,
    },

    /// The program raised an error on the server (a Lua error, `redis.error_reply`, or a
    /// failed `redis.call`). The program may have written before it failed: a Lua program is
    /// atomic, not transactional.
    #[error("Lua program \"{program}\" ({origin}{}) failed: {code} {message}", at_line(*.line))]
    Runtime {
        /// The program's name.
        program: String,
        /// Where the program came from (file path or internal file).
        origin: String,
        /// The line the server named, if any.
        line: Option<u32>,
        /// The server's error code (`ERR`, `WRONGTYPE`, or the program's own).
        code: String,
        /// The rest of the server's message (without the script SHA1 and line Redis 7
        /// appends, which the error names already).
        message: String,
    },

    /// The program ran, but its reply does not convert into the type asked for.
    #[error("unexpected reply from Lua program \"{program}\": {reason}")]
    Reply {
        /// The program's name.
        program: String,
        /// Why the reply did not fit.
        reason: String,
    },

    /// Strict mode: at least one program failed to load, so nothing was loaded (a reload
    /// keeps the previous programs live).
    #[error("strict load refused: {} problem(s): {}", .failures.len(), join_failures(.failures))]
    StrictLoad {
        /// Every failure, in load order.
        failures: Vec<LoadFailure>,
    },

    /// The file watcher could not be started or could not watch a directory.
    #[error("cannot watch {path} for changes: {reason}")]
    Watch {
        /// The directory that could not be watched.
        path: String,
        /// What the watcher reported.
        reason: String,
    },

    /// Loading ran on a thread that was cancelled or panicked.
    #[error("loading Lua programs was interrupted: {0}")]
    Interrupted(String),
}

impl Error {
    /// Whether the same call may succeed if it is made again: true only for retryable store
    /// errors (lost connection, timeout, LOADING, BUSY...), never for a program's own errors.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Store(err) if err.is_retryable())
    }
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [init @ .., last] => format!("; did you mean {} or {last}?", init.join(", ")),
    }
}

fn at_line(line: Option<u32>) -> String {
    line.map(|line| format!(":{line}")).unwrap_or_default()
}

fn join_failures(failures: &[LoadFailure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_program_suggests() {
        let err = Error::UnknownProgram {
            name: "mylib.rename_if_exists".into(),
            suggestions: vec!["mylib.check_if_exists".into()],
        };
        assert_eq!(
            err.to_string(),
            "unknown Lua program \"mylib.rename_if_exists\"; did you mean mylib.check_if_exists?"
        );
        let err = Error::UnknownProgram {
            name: "x".into(),
            suggestions: vec!["a".into(), "b".into(), "c".into()],
        };
        assert!(
            err.to_string().ends_with("did you mean a, b or c?"),
            "{err}"
        );
        let err = Error::UnknownProgram {
            name: "x".into(),
            suggestions: vec![],
        };
        assert_eq!(err.to_string(), "unknown Lua program \"x\"");
    }

    #[test]
    fn runtime_names_program_and_line() {
        let err = Error::Runtime {
            program: "p".into(),
            origin: "/lua/p.lua".into(),
            line: Some(3),
            code: "ERR".into(),
            message: "boom".into(),
        };
        assert_eq!(
            err.to_string(),
            "Lua program \"p\" (/lua/p.lua:3) failed: ERR boom"
        );
        assert!(!err.is_retryable());
    }
}
