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
    /// The Redis server's URL.
    #[arg(
        long,
        help = "The Redis server: redis://[user:password@]host:port[/db], unix:///path.sock",
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
    /// Data dictionaries: import, export, translate, entries, translations.
    Dict {
        /// Which dictionary.
        #[arg(long = "dict", global = true, default_value = "default")]
        name: String,
        /// The dictionary command.
        #[command(subcommand)]
        command: DictCommand,
    },
    /// Service statistics: top, service, slow, summary, rollup.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// The message broker: send, publish, queues, dead letters.
    #[command(subcommand)]
    Broker(BrokerCommand),
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
        /// A key of the call.
        #[arg(long = "key", help = "A key (KEYS[n]); repeat for more")]
        keys: Vec<String>,
        /// An argument of the call.
        #[arg(long = "arg", help = "An argument (ARGV[n]); repeat for more")]
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

/// `kvdb stats ...`
#[derive(Debug, Subcommand)]
pub(crate) enum StatsCommand {
    /// The top services over a recent period.
    Top {
        /// What to rank by: usage, mean, time or p99.
        #[arg(long, default_value = "usage")]
        by: String,
        /// How many services.
        #[arg(short = 'n', default_value_t = 10)]
        n: usize,
        /// How far back: 15m, 1h, 2d, 1w ...
        #[arg(long, default_value = "1h")]
        since: String,
    },
    /// One service's statistics over a recent period, with its per-minute trend.
    Service {
        /// The service's name.
        name: String,
        /// How far back: 15m, 1h, 2d, 1w ...
        #[arg(long, default_value = "1h")]
        since: String,
    },
    /// The most recent slow calls of a service.
    Slow {
        /// The service's name.
        name: String,
    },
    /// Every service's statistics for the day, week, month or year containing now.
    Summary {
        /// day, week, month or year.
        #[arg(long, default_value = "day")]
        period: String,
    },
    /// Roll minutes up into hours, days and months (safe to run from several processes).
    Rollup,
}

/// `kvdb dict ...`
#[derive(Debug, Subcommand)]
pub(crate) enum DictCommand {
    /// Import a kvdb JSON export or a Zato export (plain or bz2, detected); replaces
    /// everything unless --merge.
    Import {
        /// The file to import.
        file: PathBuf,
        /// Merge into the dictionary instead of replacing it.
        #[arg(long)]
        merge: bool,
    },
    /// Export the dictionary as kvdb JSON, to FILE or stdout.
    Export {
        /// Where to write; stdout when absent.
        file: Option<PathBuf>,
    },
    /// Translate a value: prints the target value, exits 1 when there is no translation.
    Translate {
        /// The source system.
        system1: String,
        /// The source key.
        key1: String,
        /// The source value.
        value1: String,
        /// The target system.
        system2: String,
        /// The target key.
        key2: String,
    },
    /// Add an entry (system, key, value); prints its id.
    AddEntry {
        /// The system.
        system: String,
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// List entries: all, a system's, or a system and key's.
    Entries {
        /// Only this system.
        #[arg(long)]
        system: Option<String>,
        /// Only this key (with --system).
        #[arg(long, requires = "system")]
        key: Option<String>,
    },
    /// Remove an entry by id; refused while translations use it, unless --cascade.
    RemoveEntry {
        /// The entry's id.
        id: u64,
        /// Also remove the translations that use it.
        #[arg(long)]
        cascade: bool,
    },
    /// Add a translation between two existing entries.
    AddTranslation {
        /// The source system.
        system1: String,
        /// The source key.
        key1: String,
        /// The source value.
        value1: String,
        /// The target system.
        system2: String,
        /// The target key.
        key2: String,
        /// The target value.
        value2: String,
    },
    /// List translations.
    Translations,
    /// Remove a translation by id.
    RemoveTranslation {
        /// The translation's id.
        id: u64,
    },
    /// List the systems.
    Systems,
    /// Check every rule and index of the stored dictionary; exits 1 on a problem.
    Check,
}

/// `kvdb broker ...`
#[derive(Debug, Subcommand)]
pub(crate) enum BrokerCommand {
    /// Send a message to one service (invoke_async); prints its id once it is stored.
    Send {
        /// The service to invoke.
        service: String,
        /// The payload: JSON if it parses as JSON, otherwise sent as a JSON string.
        payload: String,
        /// Deliver no sooner than this from now (10s, 5m, ...).
        #[arg(long)]
        delay: Option<String>,
        /// Drop (dead-letter) the message if not handled within this (30s, 1h, ...).
        #[arg(long)]
        expires_in: Option<String>,
        /// A service that receives the handler's result.
        #[arg(long)]
        callback: Option<String>,
    },
    /// Publish to a topic: every durable subscription and every listener gets it.
    Publish {
        /// The topic.
        topic: String,
        /// The payload: JSON if it parses as JSON, otherwise sent as a JSON string.
        payload: String,
    },
    /// Every queue and durable subscription: depth, in flight, delayed, dead, counters.
    Queues,
    /// The dead letters of a queue (or TOPIC/SUBSCRIPTION), oldest first, with reasons.
    Dead {
        /// The queue, or TOPIC/SUBSCRIPTION.
        queue: String,
        /// At most this many.
        #[arg(short = 'n', default_value_t = 100)]
        n: usize,
    },
    /// Put a queue's dead letters back on the queue (attempts reset).
    Requeue {
        /// The queue, or TOPIC/SUBSCRIPTION.
        queue: String,
    },
    /// Delete every waiting, in-flight and delayed message of a queue.
    Purge {
        /// The queue, or TOPIC/SUBSCRIPTION.
        queue: String,
    },
}
