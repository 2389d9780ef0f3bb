//! [`Script`]: a Lua script that survives the server forgetting it.

use std::fmt;
use std::sync::Arc;

use redis::{Cmd, FromRedisValue, ToRedisArgs};

use crate::{Error, KvStore, KvStoreExt, Result};

/// A Lua script: its source and SHA1, run with EVALSHA through any [`KvStore`].
///
/// A call sends `EVALSHA`; if the server answers `NOSCRIPT` (after a restart, SCRIPT FLUSH or
/// a failover) the script is loaded with `SCRIPT LOAD` and the call retried once, both in one
/// MULTI/EXEC so that no other client's SCRIPT FLUSH can come between them. So the full
/// body crosses the network once per server (and again only after the server forgot it),
/// never on every call, and no call fails because the server forgot a script. Inside a
/// pipeline use [`Pipeline::invoke_script`](crate::Pipeline::invoke_script), which recovers
/// the same way. Cloning is cheap.
///
/// ```no_run
/// use kvdb_core::{RedisStore, Script};
///
/// # async fn run() -> kvdb_core::Result<()> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let incr_by = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
/// let total: i64 = incr_by.invoke(&store, &["counter"], &[5]).await?;
/// # let _ = total;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Script {
    source: Arc<str>,
    sha1: Arc<str>,
}

impl Script {
    /// A script from its Lua source. Computes the SHA1 the server will know it by.
    pub fn new(source: &str) -> Script {
        let sha1 = redis::Script::new(source).get_hash().to_owned();
        Script {
            source: Arc::from(source),
            sha1: Arc::from(sha1),
        }
    }

    /// The Lua source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The SHA1 of the source, in lower-case hex, as EVALSHA takes it.
    pub fn sha1(&self) -> &str {
        &self.sha1
    }

    /// Compiles and caches the script on the server (`SCRIPT LOAD`). A syntax error is
    /// reported here, as [`Error::Server`] with the server's message (which names the line).
    pub async fn load<S: KvStore + ?Sized>(&self, store: &S) -> Result<()> {
        let sha1: String = store.query(&self.load_cmd()).await?;
        if sha1 != *self.sha1 {
            return Err(Error::Response {
                command: String::from("SCRIPT LOAD"),
                reason: format!("server returned SHA1 {sha1}, expected {}", self.sha1),
            });
        }
        Ok(())
    }

    /// Runs the script with these keys and arguments (either may be empty).
    pub async fn invoke<S, K, A, T>(&self, store: &S, keys: &[K], args: &[A]) -> Result<T>
    where
        S: KvStore + ?Sized,
        K: ToRedisArgs + Sync,
        A: ToRedisArgs + Sync,
        T: FromRedisValue,
    {
        self.run(store, &self.evalsha_cmd(keys, args)).await
    }

    /// Runs a call of this script prepared by the caller: [`evalsha_cmd`](Self::evalsha_cmd),
    /// or the same with `EVALSHA_RO` for a read-only script. On `NOSCRIPT` the script is
    /// loaded and the call sent again, both in one MULTI/EXEC.
    pub async fn run<S, T>(&self, store: &S, call: &Cmd) -> Result<T>
    where
        S: KvStore + ?Sized,
        T: FromRedisValue,
    {
        match store.query(call).await {
            Err(err) if err.server_code() == Some("NOSCRIPT") => {
                // Load and call in one transaction, so a SCRIPT FLUSH from another client
                // cannot land between the two.
                let mut retry = redis::pipe();
                retry.atomic();
                retry.add_command(self.load_cmd()).ignore();
                retry.add_command(call.clone());
                let (reply,): (T,) = store.query_pipeline(&retry).await?;
                Ok(reply)
            }
            other => other,
        }
    }

    /// The `EVALSHA sha1 numkeys keys.. args..` command for this script.
    pub fn evalsha_cmd<K: ToRedisArgs, A: ToRedisArgs>(&self, keys: &[K], args: &[A]) -> Cmd {
        self.call_cmd("EVALSHA", keys, args)
    }

    /// The `EVALSHA_RO` form (Redis 7+), for a script that only reads: it may run on replicas
    /// and is refused if it writes. Run it with [`run`](Self::run).
    pub fn evalsha_ro_cmd<K: ToRedisArgs, A: ToRedisArgs>(&self, keys: &[K], args: &[A]) -> Cmd {
        self.call_cmd("EVALSHA_RO", keys, args)
    }

    fn call_cmd<K: ToRedisArgs, A: ToRedisArgs>(&self, name: &str, keys: &[K], args: &[A]) -> Cmd {
        let mut cmd = redis::cmd(name);
        cmd.arg(&*self.sha1).arg(keys.len());
        for key in keys {
            cmd.arg(key);
        }
        for arg in args {
            cmd.arg(arg);
        }
        cmd
    }

    /// The `EVAL source numkeys keys.. args..` command: the full body, for the one place a
    /// script cannot recover from NOSCRIPT, inside a MULTI a caller queues by hand.
    pub fn eval_cmd<K: ToRedisArgs, A: ToRedisArgs>(&self, keys: &[K], args: &[A]) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&*self.source).arg(keys.len());
        for key in keys {
            cmd.arg(key);
        }
        for arg in args {
            cmd.arg(arg);
        }
        cmd
    }

    /// The `SCRIPT LOAD source` command for this script.
    pub fn load_cmd(&self) -> Cmd {
        let mut cmd = redis::cmd("SCRIPT");
        cmd.arg("LOAD").arg(&*self.source);
        cmd
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script").field("sha1", &self.sha1).finish()
    }
}

impl PartialEq for Script {
    fn eq(&self, other: &Self) -> bool {
        self.sha1 == other.sha1
    }
}

impl Eq for Script {}
