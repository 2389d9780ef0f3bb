//! [`DedicatedConnection`]: a connection for one caller alone.

use std::fmt;

use redis::aio::ConnectionLike;
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, Value};

use crate::error::command_name;
use crate::{Error, Result};

/// A connection that belongs to one caller until dropped: for WATCH/MULTI/EXEC transactions
/// and for blocking reads that must not hold up other tasks.
///
/// It implements `redis::aio::ConnectionLike`, so redis's whole API (`AsyncCommands`,
/// `Pipeline::query_async`, `Script::invoke_async`) works on it directly; [`query`](Self::query)
/// does the same with kvdb's [`Error`]. A connection left inside an unfinished WATCH or MULTI
/// is closed rather than handed to the next caller.
pub struct DedicatedConnection {
    inner: Box<dyn ConnectionLike + Send + Sync>,
    describe: String,
}

impl DedicatedConnection {
    /// Wraps a backend's connection. `describe` names the server for errors and logs.
    pub fn new(inner: Box<dyn ConnectionLike + Send + Sync>, describe: String) -> Self {
        DedicatedConnection { inner, describe }
    }

    /// Runs one command and converts its reply.
    pub async fn query<T: FromRedisValue>(&mut self, cmd: &Cmd) -> Result<T> {
        let name = command_name(cmd);
        let value = self
            .inner
            .req_packed_command(cmd)
            .await
            .and_then(Value::extract_error)
            .map_err(|e| Error::from_redis(&name, e, None))?;
        redis::from_redis_value(value).map_err(|e| Error::Response {
            command: name,
            reason: e.to_string(),
        })
    }

    /// Runs a pipeline (atomic or not) and converts its replies as `redis::Pipeline` would.
    /// An atomic pipeline whose EXEC was refused (a watched key changed) fails with
    /// [`Error::TransactionAborted`].
    pub async fn query_pipeline<T: FromRedisValue>(&mut self, pipe: &Pipeline) -> Result<T> {
        let value: Value = pipe
            .query_async(self)
            .await
            .map_err(|e| Error::from_redis("pipeline", e, None))?;
        if pipe.is_transaction() && value == Value::Nil {
            return Err(Error::TransactionAborted);
        }
        redis::from_redis_value(value).map_err(|e| Error::Response {
            command: String::from("pipeline"),
            reason: e.to_string(),
        })
    }
}

impl fmt::Debug for DedicatedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedicatedConnection")
            .field("server", &self.describe)
            .finish()
    }
}

impl ConnectionLike for DedicatedConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        self.inner.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        self.inner.req_packed_commands(pipeline, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}
