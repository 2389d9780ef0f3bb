//! [`StoreConnection`]: redis's own command API, running through any [`KvStore`].

use std::fmt;

use redis::aio::ConnectionLike;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::KvStore;

/// A `redis::aio::ConnectionLike` over a [`KvStore`], so that everything in redis's own API
/// (`redis::AsyncCommands`, `redis::cmd(..).query_async`, `redis::pipe()`) runs through the
/// store, with its reconnects and its blocking-command routing.
///
/// Get one from [`KvStoreExt::connection`](crate::KvStoreExt::connection). It is cheap: it
/// borrows the store and holds no socket of its own.
///
/// ```no_run
/// use redis::AsyncCommands;
/// use kvdb_core::{KvStoreExt, RedisStore};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let mut conn = store.connection();
/// let _: () = conn.set("my-key", "my-value").await?;
/// let value: String = conn.get("my-key").await?;
/// # let _ = value;
/// # Ok(())
/// # }
/// ```
pub struct StoreConnection<'a> {
    store: &'a dyn KvStore,
}

impl<'a> StoreConnection<'a> {
    /// A connection over `store`; for `dyn KvStore` values, where `KvStoreExt::connection` is not callable.
    pub fn new(store: &'a dyn KvStore) -> Self {
        StoreConnection { store }
    }
}

impl fmt::Debug for StoreConnection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConnection")
            .field("store", &self.store.describe())
            .finish()
    }
}

impl ConnectionLike for StoreConnection<'_> {
    fn req_packed_command<'b>(&'b mut self, cmd: &'b Cmd) -> RedisFuture<'b, Value> {
        Box::pin(async move {
            self.store
                .req_command(cmd)
                .await
                .map_err(|e| e.into_redis())
        })
    }

    fn req_packed_commands<'b>(
        &'b mut self,
        pipeline: &'b Pipeline,
        _offset: usize,
        _count: usize,
    ) -> RedisFuture<'b, Vec<Value>> {
        Box::pin(async move {
            let replies = self
                .store
                .req_pipeline(pipeline)
                .await
                .map_err(|e| e.into_redis())?;
            // redis's `Pipeline::query_async` asks for EXEC's reply alone when atomic.
            Ok(if pipeline.is_transaction() {
                vec![Value::Array(replies)]
            } else {
                replies
            })
        })
    }

    fn get_db(&self) -> i64 {
        0
    }
}
