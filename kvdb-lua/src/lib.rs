//! A container of Lua programs: files in one or more directories (plus programs embedded in
//! the binary), each run by name with keys and values, atomically on the server, and never
//! failing because the server forgot a script.
//!
//! A program's name is its file name without `.lua`: `mylib.check_if_exists.lua` is run as
//! `mylib.check_if_exists`. Every program is compiled at load, so a syntax error surfaces at
//! start with its file and line, not at the first call. Calls are EVALSHA of a
//! [`kvdb_core::Script`]; if the server forgot it, it is loaded again with the call retried in
//! the same MULTI/EXEC.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use kvdb_core::RedisStore;
//! use kvdb_lua::{LuaContainer, LuaOptions};
//!
//! # async fn run() -> kvdb_lua::Result<()> {
//! let store = Arc::new(RedisStore::connect("redis://127.0.0.1:6379").await?);
//! let options = LuaOptions::default().dir("config/repo/lua/user");
//! let (lua, report) = LuaContainer::load(store, options).await?;
//! for failure in &report.failed {
//!     eprintln!("{failure}"); // e.g. config/repo/lua/user/broken.lua:2: does not compile: ...
//! }
//!
//! // 10 if renamed, 11 otherwise.
//! let out: i64 = lua
//!     .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
//!     .await?;
//! println!("rename result: {out}");
//!
//! // Reload the directories whenever a file changes, until `watcher` is dropped.
//! let watcher = lua.watch()?;
//! # drop(watcher);
//! # Ok(())
//! # }
//! ```
//!
//! # Program files
//!
//! - Only `*.lua` files are programs. Sub-directories are **not walked**: they are reported as
//!   skipped ([`SkipReason::SubDirectory`]); add a sub-directory to [`LuaOptions::dirs`] to
//!   load it. Hidden files (`.name.lua`, editors' lock files) and other files are skipped too.
//!   Unreadable, non-UTF-8 and empty files are failures in the [`LoadReport`], never a crash.
//! - Order is deterministic: internal programs, then each directory in the order given, each
//!   directory's files in byte order of their names. [`LuaContainer::list`] is sorted by name.
//! - A name taken twice (two directories, or a file and an internal program) is a failure
//!   naming both files; the first claimant keeps the name. A file may replace an internal
//!   program only with [`LuaOptions::allow_override_internal`].
//! - An optional header in the comment block at the top declares the number of keys and
//!   whether the program only reads: `-- kvdb: keys=2 readonly`. A call with another number of
//!   keys fails before anything is sent; a read-only program runs with EVALSHA_RO.
//!
//! # Internal programs
//!
//! kvdb's own are named `kvdb.*`: [`RENAME_IF_EXISTS`] (`kvdb.rename_if_exists`): `KEYS[1]`
//! from, `KEYS[2]` to; if from exists, RENAME it and return 10, else return 11. Applications
//! embed their own with [`InternalProgram`] and `include_str!`.
//!
//! # Cluster
//!
//! On a Redis Cluster all keys of one call must share a hash slot. kvdb-core has no cluster
//! backend yet, so the client-side check is an option, [`LuaOptions::check_same_slot`]
//! (the slot is [`hash_slot`], honouring `{hash tags}`); when a cluster backend exists, the
//! container will turn the check on when the store says it is a cluster.
//!
//! # Layout
//!
//! - [`LuaContainer`] (`container.rs`): load, reload, run by name, list.
//! - [`LuaOptions`] (`options.rs`): directories, strict mode, overrides, checks.
//! - [`Program`], [`Origin`] (`program.rs`): one loaded program and where it came from.
//! - [`LoadReport`], [`LoadFailure`], [`Problem`], [`Skipped`] (`report.rs`): what a load did.
//! - `loader.rs`: builds a new set of programs from the previous one; `scan.rs`: reads the
//!   directories; `header.rs`: the `-- kvdb:` header; `server_message.rs`: line numbers out of
//!   the server's messages.
//! - [`InternalProgram`] (`internal.rs`, sources in `lua/`): programs embedded at compile time.
//! - [`Watcher`] (`watcher.rs`): reloads on file changes.
//! - [`hash_slot`] (`slot.rs`): the cluster same-slot check.
//! - `suggest.rs`: "did you mean ...?" for unknown names.
//! - [`Error`] (`error.rs`).

mod container;
mod error;
mod header;
mod internal;
mod loader;
mod options;
mod program;
mod report;
mod scan;
mod server_message;
mod slot;
mod suggest;
mod watcher;

pub use container::LuaContainer;
pub use error::{Error, Result};
pub use internal::{InternalProgram, RENAME_IF_EXISTS};
pub use options::LuaOptions;
pub use program::{Origin, Program};
pub use report::{LoadFailure, LoadReport, Problem, SkipReason, Skipped};
pub use slot::{hash_slot, SLOT_COUNT};
pub use watcher::Watcher;
