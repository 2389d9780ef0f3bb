//! [`LuaOptions`]: where programs come from and how they are run.

use std::path::PathBuf;
use std::time::Duration;

use crate::InternalProgram;

/// How a [`LuaContainer`](crate::LuaContainer) loads and runs its programs.
/// `LuaOptions::default()` has no directories, kvdb's internal programs, non-strict loading,
/// EVALSHA_RO for read-only programs and no same-slot check.
///
/// ```
/// use kvdb_lua::LuaOptions;
///
/// let options = LuaOptions::default()
///     .dir("config/repo/lua/user")
///     .strict(true);
/// assert_eq!(options.dirs.len(), 1);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LuaOptions {
    /// Directories to load `*.lua` files from, in priority order: when two directories hold a
    /// file of the same name, the first one's is loaded and the other is reported as a
    /// duplicate. Sub-directories are not walked.
    pub dirs: Vec<PathBuf>,
    /// Programs embedded at compile time, loaded before the directories' programs.
    /// Defaults to [`InternalProgram::builtin`].
    pub internal: Vec<InternalProgram>,
    /// Fail the whole load when any file fails (the report's `failed` is not empty) instead of
    /// loading the others. A reload that fails keeps the previous programs live.
    pub strict: bool,
    /// Let a file in a directory replace an internal program of the same name. Without it,
    /// such a file is a duplicate and is not loaded.
    pub allow_override_internal: bool,
    /// Check before each call that all keys share one cluster hash slot (see
    /// [`hash_slot`](crate::hash_slot)). Needed on a Redis Cluster, useless on one server.
    pub check_same_slot: bool,
    /// Run programs whose header says `readonly` with EVALSHA_RO (Redis 7 and later), which
    /// the server refuses to let write and which replicas accept. Turn off for older servers.
    pub read_only_evalsha: bool,
    /// How long the watcher waits after a change for more changes before it reloads, so that
    /// an editor's save (often several file events) causes one reload.
    pub watch_debounce: Duration,
}

impl Default for LuaOptions {
    fn default() -> Self {
        LuaOptions {
            dirs: Vec::new(),
            internal: InternalProgram::builtin().to_vec(),
            strict: false,
            allow_override_internal: false,
            check_same_slot: false,
            read_only_evalsha: true,
            watch_debounce: Duration::from_millis(100),
        }
    }
}

impl LuaOptions {
    /// Adds a directory to load programs from (after those added before).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push(dir.into());
        self
    }

    /// Adds an internal program (after kvdb's own).
    pub fn internal_program(mut self, program: InternalProgram) -> Self {
        self.internal.push(program);
        self
    }

    /// Turns strict loading on or off.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Lets directory files replace internal programs of the same name, or not.
    pub fn allow_override_internal(mut self, allow: bool) -> Self {
        self.allow_override_internal = allow;
        self
    }

    /// Turns the client-side same-slot check on or off.
    pub fn check_same_slot(mut self, check: bool) -> Self {
        self.check_same_slot = check;
        self
    }

    /// Uses EVALSHA_RO for read-only programs, or not.
    pub fn read_only_evalsha(mut self, use_ro: bool) -> Self {
        self.read_only_evalsha = use_ro;
        self
    }

    /// Sets the watcher's debounce delay.
    pub fn watch_debounce(mut self, delay: Duration) -> Self {
        self.watch_debounce = delay;
        self
    }
}
