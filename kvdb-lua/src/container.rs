//! [`LuaContainer`]: the programs, by name, and the calls that run them.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use kvdb_core::redis::{self, Cmd, FromRedisValue, ToRedisArgs, Value};
use kvdb_core::{KvStore, Pipeline};

use crate::loader::{self, Programs};
use crate::{server_message, slot, suggest, watcher};
use crate::{Error, LoadReport, LuaOptions, Program, Result, Watcher};

/// Lua programs loaded from directories (and embedded in the binary), each run by name,
/// atomically, on a [`KvStore`].
///
/// - **Names.** A program's name is its file name without `.lua`:
///   `mylib.check_if_exists.lua` is `mylib.check_if_exists`. kvdb's internal programs are
///   named `kvdb.*` (see [`InternalProgram`](crate::InternalProgram)).
/// - **Loading.** [`load`](Self::load) compiles every program on the server (SCRIPT LOAD), so
///   a syntax error is reported at load with its file and line; the other programs load
///   anyway, unless [`LuaOptions::strict`] is set. See [`LoadReport`].
/// - **Calls.** [`run_lua`](Self::run_lua) sends EVALSHA (EVALSHA_RO for programs whose
///   header says `readonly`); if the server forgot the script (restart, SCRIPT FLUSH,
///   failover) it is loaded again and the call retried once, both in one MULTI/EXEC so that
///   not even a concurrent SCRIPT FLUSH can come between them: calls do not fail for that.
///   The full source is never sent with a call.
/// - **Reloads.** [`reload`](Self::reload) (or a [`Watcher`] started with
///   [`watch`](Self::watch)) reads the directories again and swaps in a new set of programs
///   at once. A call in flight keeps the version it started with; a changed file that fails
///   to load leaves its previous version live.
///
/// Cloning is cheap: clones share the programs.
#[derive(Clone)]
pub struct LuaContainer {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn KvStore>,
    options: LuaOptions,
    /// The live programs. Readers clone the `Arc` and let go of the lock at once; a reload
    /// replaces it whole, so no reader ever sees a half-loaded set.
    programs: RwLock<Arc<Programs>>,
    /// One reload at a time (manual and watcher).
    reloading: tokio::sync::Mutex<()>,
}

impl LuaContainer {
    /// Loads the internal programs and those of `options.dirs`, and returns the container
    /// with the report of what loaded and what failed.
    ///
    /// Fails only if the store fails, or, in strict mode, if any file fails
    /// ([`Error::StrictLoad`]).
    pub async fn load(
        store: Arc<dyn KvStore>,
        options: LuaOptions,
    ) -> Result<(LuaContainer, LoadReport)> {
        let container = LuaContainer {
            inner: Arc::new(Inner {
                store,
                options,
                programs: RwLock::new(Arc::new(Programs::default())),
                reloading: tokio::sync::Mutex::new(()),
            }),
        };
        let report = container.reload().await?;
        Ok((container, report))
    }

    /// Reads the directories again and swaps in the result: added files become programs,
    /// removed files stop being programs, changed files are compiled again (a change that
    /// fails keeps the previous version live and is reported in
    /// [`LoadReport::failed`]). Unchanged programs are not sent to the server again.
    ///
    /// On error (store failure, or any failure in strict mode) the live programs stay as they
    /// were. Cancel-safe: a reload dropped before it finishes changes nothing.
    pub async fn reload(&self) -> Result<LoadReport> {
        let _one_at_a_time = self.inner.reloading.lock().await;
        let previous = self.snapshot();
        let (programs, report) =
            loader::load(&*self.inner.store, &self.inner.options, &previous).await?;
        *self
            .inner
            .programs
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(programs);
        for failure in &report.failed {
            tracing::warn!(%failure, "Lua program not loaded");
        }
        tracing::debug!(
            loaded = report.loaded.len(),
            failed = report.failed.len(),
            added = ?report.added,
            updated = ?report.updated,
            removed = ?report.removed,
            "Lua programs (re)loaded"
        );
        Ok(report)
    }

    /// Runs a program with string keys and values (either may be empty) and converts its
    /// reply: `i64`, `String`, `Vec<String>`, `Option<..>`, or `redis::Value` for any reply.
    ///
    /// Fails before sending anything if the name is unknown ([`Error::UnknownProgram`], with
    /// the closest names), the key count differs from the header's ([`Error::KeyCount`]) or,
    /// with [`LuaOptions::check_same_slot`], the keys span several hash slots
    /// ([`Error::CrossSlot`]). An error raised by the program is [`Error::Runtime`]; a lost
    /// connection or timeout is [`Error::Store`], see [`Error::is_retryable`].
    ///
    /// Not cancel-safe in one sense only: a call dropped after it was sent may still run on
    /// the server, as any command would.
    pub async fn run_lua<T: FromRedisValue>(
        &self,
        name: &str,
        keys: &[&str],
        values: &[&str],
    ) -> Result<T> {
        self.run_lua_args(name, keys, values).await
    }

    /// [`run_lua`](Self::run_lua) with keys and values of any redis argument type (binary
    /// keys, numbers, ...).
    pub async fn run_lua_args<T, K, V>(&self, name: &str, keys: &[K], values: &[V]) -> Result<T>
    where
        T: FromRedisValue,
        K: ToRedisArgs + Sync,
        V: ToRedisArgs + Sync,
    {
        let program = self.program(name)?;
        self.check_call(&program, keys)?;
        let cmd = self.call_cmd(&program, keys, values);
        let value = self.call(&program, &cmd).await?;
        redis::from_redis_value(value).map_err(|err| Error::Reply {
            program: program.name().to_owned(),
            reason: err.to_string(),
        })
    }

    /// Adds a call of a program to a [`Pipeline`], after the same checks as
    /// [`run_lua`](Self::run_lua). The pipeline recovers if the server forgot the script.
    /// Always EVALSHA, also for read-only programs.
    pub fn add_to_pipeline<K, V>(
        &self,
        pipe: &mut Pipeline,
        name: &str,
        keys: &[K],
        values: &[V],
    ) -> Result<()>
    where
        K: ToRedisArgs,
        V: ToRedisArgs,
    {
        let program = self.program(name)?;
        self.check_call(&program, keys)?;
        pipe.invoke_script(program.script(), keys, values);
        Ok(())
    }

    /// The live program of this name, or [`Error::UnknownProgram`] with the closest names.
    pub fn program(&self, name: &str) -> Result<Arc<Program>> {
        let programs = self.snapshot();
        match programs.get(name) {
            Some(program) => Ok(Arc::clone(program)),
            None => Err(Error::UnknownProgram {
                name: name.to_owned(),
                suggestions: suggest::closest(name, programs.names()),
            }),
        }
    }

    /// Every live program, sorted by name: name, origin, SHA1, declared key count.
    pub fn list(&self) -> Vec<Arc<Program>> {
        self.snapshot().iter().cloned().collect()
    }

    /// Starts watching the directories: added, changed and removed `*.lua` files are reloaded
    /// while the program runs (see [`Watcher`]). Must be called inside a tokio runtime. The
    /// watching stops when the returned [`Watcher`] is dropped.
    pub fn watch(&self) -> Result<Watcher> {
        watcher::start(self.clone())
    }

    /// The store the programs run on.
    pub fn store(&self) -> &Arc<dyn KvStore> {
        &self.inner.store
    }

    /// The options the container was loaded with.
    pub fn options(&self) -> &LuaOptions {
        &self.inner.options
    }

    fn snapshot(&self) -> Arc<Programs> {
        Arc::clone(
            &self
                .inner
                .programs
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Sends the call; if the server forgot the script, [`kvdb_core::Script::run`] loads it
    /// and calls again in one MULTI/EXEC, so not even another client's SCRIPT FLUSH can come
    /// between them.
    async fn call(&self, program: &Program, cmd: &Cmd) -> Result<Value> {
        program
            .script()
            .run(&*self.inner.store, cmd)
            .await
            .map_err(|err| runtime_error(program, err))
    }

    /// The checks made before anything is sent: key count, and same slot when asked for.
    fn check_call<K: ToRedisArgs>(&self, program: &Program, keys: &[K]) -> Result<()> {
        if let Some(declared) = program.keys() {
            if declared != keys.len() {
                return Err(Error::KeyCount {
                    program: program.name().to_owned(),
                    declared,
                    given: keys.len(),
                });
            }
        }
        if self.inner.options.check_same_slot {
            let keys: Vec<Vec<u8>> = keys.iter().flat_map(ToRedisArgs::to_redis_args).collect();
            slot::check_same_slot(program.name(), &keys)?;
        }
        Ok(())
    }

    fn call_cmd<K: ToRedisArgs, V: ToRedisArgs>(
        &self,
        program: &Program,
        keys: &[K],
        values: &[V],
    ) -> Cmd {
        if program.read_only() && self.inner.options.read_only_evalsha {
            program.script().evalsha_ro_cmd(keys, values)
        } else {
            program.script().evalsha_cmd(keys, values)
        }
    }
}

/// A server error from a call is the program's own error, unless it is a passing state of
/// the server (retryable), which stays a store error so retry loops see it.
fn runtime_error(program: &Program, err: kvdb_core::Error) -> Error {
    if err.is_retryable() || err.server_code() == Some("NOSCRIPT") {
        return Error::Store(err);
    }
    match err {
        kvdb_core::Error::Server { code, message, .. } => Error::Runtime {
            program: program.name().to_owned(),
            origin: program.origin().to_string(),
            line: server_message::line(&message),
            code,
            message: server_message::runtime_error_text(&message).to_owned(),
        },
        other => Error::Store(other),
    }
}

impl fmt::Debug for LuaContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuaContainer")
            .field("store", &self.inner.store.describe())
            .field("programs", &self.snapshot().len())
            .field("options", &self.inner.options)
            .finish()
    }
}
