//! [`Pipeline`]: a redis pipeline that may hold scripts, and recovers when the server forgot them.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

use redis::aio::ConnectionLike;
use redis::{Cmd, FromRedisValue, RedisFuture, ToRedisArgs, Value};

use crate::error::command_name;
use crate::{Error, KvStore, Result, Script};

/// A `redis::Pipeline` (every method of which it derefs to) that can also hold [`Script`]
/// calls, and runs through any [`KvStore`].
///
/// redis's own pipelines fail as a whole when a script in them meets `NOSCRIPT`. This one
/// loads the missing scripts and runs again exactly the script calls that were refused (a
/// refused EVALSHA did nothing on the server), then returns the replies in their original
/// places. The other commands are not run twice.
///
/// Chaining: redis's own builder methods (`set`, `ignore`, ...) return `&mut redis::Pipeline`,
/// so call [`invoke_script`](Self::invoke_script) on the `Pipeline` itself, not at the end of
/// such a chain (where redis's own `invoke_script`, without recovery, would be found).
///
/// One thing to know: when that recovery happens, the refused script calls run *after* the
/// pipeline's other commands, in a second MULTI/EXEC together with the SCRIPT LOADs. It can
/// only happen to the first pipeline after the server forgot its scripts (restart, SCRIPT
/// FLUSH, failover). If a pipeline's later commands read what its scripts wrote, load the
/// scripts ([`Script::load`]) when your program sees [`Error::is_retryable`] errors, or put
/// the dependent commands inside the script.
///
/// ```no_run
/// use kvdb_core::{Pipeline, RedisStore, Script};
///
/// # async fn run() -> kvdb_core::Result<()> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let incr = Script::new("return redis.call('INCR', KEYS[1])");
/// let mut pipe = Pipeline::new();
/// pipe.set("a", 1).ignore();
/// pipe.invoke_script(&incr, &["a"], &[] as &[&str]);
/// let (a,): (i64,) = pipe.query(&store).await?;
/// assert_eq!(a, 2);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Pipeline {
    inner: redis::Pipeline,
    /// Command index -> the script it calls.
    scripts: BTreeMap<usize, Script>,
}

impl Pipeline {
    /// An empty, non-atomic pipeline.
    pub fn new() -> Pipeline {
        Pipeline::default()
    }

    /// Adds a call of `script` (EVALSHA) with these keys and arguments.
    pub fn invoke_script<K: ToRedisArgs, A: ToRedisArgs>(
        &mut self,
        script: &Script,
        keys: &[K],
        args: &[A],
    ) -> &mut Pipeline {
        self.scripts.insert(self.inner.len(), script.clone());
        self.inner.add_command(script.evalsha_cmd(keys, args));
        self
    }

    /// Runs the pipeline and converts the replies as `redis::Pipeline::query_async` would.
    pub async fn query<T: FromRedisValue, S: KvStore + ?Sized>(&self, store: &S) -> Result<T> {
        let mut replies = store.req_pipeline(&self.inner).await?;
        self.recover_forgotten_scripts(store, &mut replies).await?;
        compose(&self.inner, replies).await
    }

    /// Runs the pipeline and discards the replies (server errors still fail the call).
    pub async fn exec<S: KvStore + ?Sized>(&self, store: &S) -> Result<()> {
        self.query::<(), S>(store).await
    }

    /// Re-runs the script calls the server refused with NOSCRIPT, after loading them.
    async fn recover_forgotten_scripts<S: KvStore + ?Sized>(
        &self,
        store: &S,
        replies: &mut [Value],
    ) -> Result<()> {
        if self.scripts.is_empty() {
            return Ok(());
        }
        let refused: Vec<(usize, &Script)> = self
            .scripts
            .iter()
            .filter(|(index, _)| matches!(replies.get(**index), Some(Value::ServerError(e)) if e.code() == "NOSCRIPT"))
            .map(|(index, script)| (*index, script))
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        // Load the scripts and run the refused calls again in one transaction, so a SCRIPT
        // FLUSH from another client cannot land between the loads and the calls.
        let mut retry = redis::pipe();
        retry.atomic();
        let mut loaded = Vec::new();
        for (_, script) in &refused {
            if !loaded.contains(&script.sha1()) {
                loaded.push(script.sha1());
                retry.add_command(script.load_cmd());
            }
        }
        let commands: Vec<&Cmd> = self.inner.cmd_iter().collect();
        for (index, _) in &refused {
            retry.add_command(commands[*index].clone());
        }
        let mut retried = store.req_pipeline(&retry).await?;
        let calls = retried.split_off(loaded.len());
        for reply in retried {
            if let Value::ServerError(err) = reply {
                return Err(Error::from_server_error("SCRIPT LOAD", &err));
            }
        }
        for ((index, _), reply) in refused.iter().zip(calls) {
            replies[*index] = reply;
        }
        Ok(())
    }
}

/// Fails with the first error reply among a pipeline's `replies` (as [`KvStore::req_pipeline`]
/// returns them), naming its command and place: `HSET (pipeline command 1)`. For callers
/// that read the raw replies themselves.
pub fn check_replies(pipe: &redis::Pipeline, replies: &[Value]) -> Result<()> {
    for (index, reply) in replies.iter().enumerate() {
        if let Value::ServerError(err) = reply {
            let name = pipe
                .cmd_iter()
                .nth(index)
                .map(command_name)
                .unwrap_or_default();
            return Err(Error::from_server_error(
                &format!("{name} (pipeline command {index})"),
                err,
            ));
        }
    }
    Ok(())
}

/// Lets redis's own pipeline code drop ignored replies and convert the rest.
pub(crate) async fn compose<T: FromRedisValue>(
    pipe: &redis::Pipeline,
    replies: Vec<Value>,
) -> Result<T> {
    let named_error = check_replies(pipe, &replies).err();
    let mut replay = Replay {
        replies: Some(if pipe.is_transaction() {
            vec![Value::Array(replies)]
        } else {
            replies
        }),
    };
    pipe.query_async(&mut replay)
        .await
        .map_err(|err| named_error.unwrap_or_else(|| Error::from_redis("pipeline", err, None)))
}

impl Deref for Pipeline {
    type Target = redis::Pipeline;
    fn deref(&self) -> &redis::Pipeline {
        &self.inner
    }
}

impl DerefMut for Pipeline {
    fn deref_mut(&mut self) -> &mut redis::Pipeline {
        &mut self.inner
    }
}

impl From<redis::Pipeline> for Pipeline {
    fn from(inner: redis::Pipeline) -> Pipeline {
        Pipeline {
            inner,
            scripts: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("commands", &self.inner.len())
            .field("atomic", &self.inner.is_transaction())
            .field("scripts", &self.scripts.len())
            .finish()
    }
}

/// Hands back replies already received, so `redis::Pipeline` can compose them.
struct Replay {
    replies: Option<Vec<Value>>,
}

impl ConnectionLike for Replay {
    fn req_packed_command<'a>(&'a mut self, _cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async {
            Err(Error::Usage("replay holds pipeline replies only".into()).into_redis())
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        _pipeline: &'a redis::Pipeline,
        _offset: usize,
        _count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let replies = self.replies.take().unwrap_or_default();
        Box::pin(async move { Ok(replies) })
    }

    fn get_db(&self) -> i64 {
        0
    }
}
