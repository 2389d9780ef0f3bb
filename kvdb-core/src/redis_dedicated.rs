//! The pool of dedicated connections behind [`RedisStore`](crate::RedisStore).
//!
//! bb8-redis makes the connections; this wrapper adds what it lacks: a connection whose
//! socket broke, or that was left inside WATCH/MULTI, is closed instead of being handed to
//! the next caller, and each command gets a response timeout fitted to it (a blocking
//! command's block time on top of the store's timeout).

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use crate::routing::{route, Route};

/// A timeout long enough to mean "never" for the multiplexer, which takes no `None`.
const FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Makes pooled connections through bb8-redis.
#[derive(Debug)]
pub(crate) struct DedicatedManager {
    pub(crate) redis: bb8_redis::RedisConnectionManager,
}

/// A pooled connection and what the pool needs to know about its state.
#[derive(Debug)]
pub(crate) struct PooledRedis {
    conn: MultiplexedConnection,
    broken: bool,
    in_transaction: bool,
}

impl bb8::ManageConnection for DedicatedManager {
    type Connection = PooledRedis;
    type Error = RedisError;

    async fn connect(&self) -> Result<PooledRedis, RedisError> {
        let conn = self.redis.connect().await?;
        Ok(PooledRedis {
            conn,
            broken: false,
            in_transaction: false,
        })
    }

    async fn is_valid(&self, conn: &mut PooledRedis) -> Result<(), RedisError> {
        self.redis.is_valid(&mut conn.conn).await
    }

    fn has_broken(&self, conn: &mut PooledRedis) -> bool {
        conn.broken || conn.in_transaction
    }
}

/// A checked-out connection, as the `ConnectionLike` inside a
/// [`DedicatedConnection`](crate::DedicatedConnection).
pub(crate) struct DedicatedRedis {
    pub(crate) conn: bb8::PooledConnection<'static, DedicatedManager>,
    pub(crate) response_timeout: Option<Duration>,
}

impl DedicatedRedis {
    fn timeout_for(&self, route: Route) -> Duration {
        let base = self.response_timeout.unwrap_or(FOREVER);
        match route {
            Route::Blocking(Some(block)) => block.saturating_add(base),
            Route::Blocking(None) => FOREVER,
            Route::Shared | Route::Stateful => base,
        }
    }

    fn note_outcome<T>(&mut self, result: &RedisResult<T>) {
        if let Err(err) = result {
            if err.is_io_error() || err.is_connection_dropped() || err.is_timeout() {
                self.conn.broken = true;
            }
        }
    }
}

/// Tracks WATCH/MULTI so that a connection dropped inside a transaction is not reused.
fn transaction_state(cmd: &Cmd, in_transaction: bool) -> bool {
    match cmd.args_iter().next() {
        Some(redis::Arg::Simple(name)) => {
            if name.eq_ignore_ascii_case(b"WATCH") || name.eq_ignore_ascii_case(b"MULTI") {
                true
            } else if name.eq_ignore_ascii_case(b"EXEC")
                || name.eq_ignore_ascii_case(b"DISCARD")
                || name.eq_ignore_ascii_case(b"UNWATCH")
                || name.eq_ignore_ascii_case(b"RESET")
            {
                false
            } else {
                in_transaction
            }
        }
        _ => in_transaction,
    }
}

/// Whether a command leaves the connection in a state no other caller should inherit.
fn taints_connection(cmd: &Cmd) -> bool {
    matches!(route(cmd), Route::Stateful)
        && !matches!(
            cmd.args_iter().next(),
            Some(redis::Arg::Simple(name)) if [&b"WATCH"[..], b"MULTI", b"EXEC", b"DISCARD", b"UNWATCH"]
                .iter()
                .any(|known| name.eq_ignore_ascii_case(known))
        )
}

impl ConnectionLike for DedicatedRedis {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let timeout = self.timeout_for(route(cmd));
            self.conn.conn.set_response_timeout(timeout);
            self.conn.in_transaction = transaction_state(cmd, self.conn.in_transaction);
            let tainted = self.conn.broken || taints_connection(cmd);
            // Broken until the reply arrives: if this future is dropped mid-command (a
            // cancelled BLPOP), the server may still be blocked on this connection, and the
            // next caller must not inherit it.
            self.conn.broken = true;
            let result = self.conn.conn.req_packed_command(cmd).await;
            self.conn.broken = tainted;
            self.note_outcome(&result);
            result
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut timeout = self.timeout_for(Route::Shared);
            for cmd in pipeline.cmd_iter() {
                let route = route(cmd);
                if let Route::Blocking(_) = route {
                    timeout = timeout.max(self.timeout_for(route));
                }
                self.conn.in_transaction = transaction_state(cmd, self.conn.in_transaction);
                if taints_connection(cmd) {
                    self.conn.broken = true;
                }
            }
            self.conn.conn.set_response_timeout(timeout);
            let tainted = self.conn.broken;
            self.conn.broken = true;
            let result = self
                .conn
                .conn
                .req_packed_commands(pipeline, offset, count)
                .await;
            self.conn.broken = tainted;
            self.note_outcome(&result);
            result
        })
    }

    fn get_db(&self) -> i64 {
        self.conn.conn.get_db()
    }
}
