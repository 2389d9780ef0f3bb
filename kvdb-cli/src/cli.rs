//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Inspect and operate a kvdb deployment: server info, Lua programs, data dictionaries,
/// service statistics and broker queues.
#[derive(Debug, Parser)]
#[command(name = "kvdb", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub(crate) global: Global,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The Redis server: redis://[user:password@]host:port[/db], unix:///path.sock
    #[arg(
        long,
        global = true,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub(crate) url: String,
    /// The key namespace kvdb's crates put their keys under.
    #[arg(long, global = true, env = "KVDB_NAMESPACE", default_value = "kvdb")]
    pub(crate) namespace: String,
    /// Machine-readable JSON on stdout instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Server INFO, parsed (keyspace lines as nested objects with --json).
    Info {
        /// Only this section (server, clients, memory, keyspace, commandstats, ...).
        #[arg(long)]
        section: Option<String>,
    },
    /// Lua programs: list, check, run.
    #[command(subcommand)]
    Lua(LuaCommand),
    /// A guided tour of every crate against the server, in its own namespace, cleaned up after.
    Demo,
}

/// `kvdb lua ...`
#[derive(Debug, Subcommand)]
pub(crate) enum LuaCommand {
    /// List the programs of the directories (and the internal ones).
    List(LuaDirs),
    /// Compile every program; print `path:line: message` for each that fails, exit 1 if any.
    Check(LuaDirs),
    /// Run a program by name.
    Run {
        /// The program's name (its file name without `.lua`).
        name: String,
        /// Where the programs are.
        #[command(flatten)]
        dirs: LuaDirs,
        /// A key (KEYS[n]); repeat for more.
        #[arg(long = "key")]
        keys: Vec<String>,
        /// An argument (ARGV[n]); repeat for more.
        #[arg(long = "arg")]
        args: Vec<String>,
    },
}

/// The program directories of a `kvdb lua` command.
#[derive(Debug, Args)]
pub(crate) struct LuaDirs {
    /// A directory of `*.lua` programs; repeat for more.
    #[arg(long = "dir", required = false)]
    pub(crate) dirs: Vec<PathBuf>,
}
