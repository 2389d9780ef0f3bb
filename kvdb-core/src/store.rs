//! The [`KvStore`] trait: the few operations every backend provides.

use std::sync::Arc;

use async_trait::async_trait;
use redis::{Cmd, Pipeline, Value};

use crate::{DedicatedConnection, Namespace, Result, Subscription};

/// A key/value store that speaks Redis commands.
///
/// Every kvdb crate is written against this trait, never against a connection type, so that a
/// program picks its backend at run time (`Arc<dyn KvStore>`) and a later backend (an embedded
/// in-memory store, a Redis Cluster store) slots in by implementing the four required methods.
/// The typed conveniences (`get`, `set`, hashes, lists, streams, INFO, scripts, ...) live in
/// [`KvStoreExt`](crate::KvStoreExt), implemented for every `KvStore`, and any command of
/// redis's own API runs through [`KvStoreExt::connection`](crate::KvStoreExt::connection).
///
/// # The contract
///
/// **What is atomic.** One command is atomic, as in Redis. A pipeline is sent in one write and
/// its replies come back in order, but other clients' commands may run between its commands,
/// unless the pipeline is atomic (`redis::pipe().atomic()`), in which case it runs as one
/// MULTI/EXEC transaction. A script ([`Script`](crate::Script)) is atomic. A WATCH/MULTI/EXEC
/// transaction needs a [`DedicatedConnection`].
///
/// **What may block.** Commands that block on the server (BLPOP, BRPOP, BLMOVE, BZPOPMIN,
/// XREAD/XREADGROUP with BLOCK, WAIT, ...) must not hold up the calls of other tasks. A backend
/// either runs them on a connection of their own (as [`RedisStore`](crate::RedisStore) does,
/// transparently, when they come through [`KvStore::req_command`]) or through
/// [`KvStore::dedicated`]. Their response timeout is the block time plus the store's response
/// timeout, so a blocking call is never cut short by the response timeout.
///
/// **What happens on reconnect.** A store survives its server going away: once the server is
/// back, the same store serves calls again, with no rebuild of the store. A call that was in
/// flight when the connection broke fails with a retryable error
/// ([`Error::is_retryable`](crate::Error::is_retryable)); it may or may not have run on the
/// server. Scripts survive the server forgetting them (restart, SCRIPT FLUSH, failover): see
/// [`Script`](crate::Script). Subscriptions report
/// [`PubSubEvent::Disconnected`](crate::PubSubEvent::Disconnected), resubscribe by themselves
/// and report [`PubSubEvent::Reconnected`](crate::PubSubEvent::Reconnected), because messages
/// published while the connection was down are lost.
///
/// **Which errors are retryable.** Lost connections, timeouts, refused connections, and the
/// server's passing states (LOADING, BUSY, TRYAGAIN, MASTERDOWN, READONLY): see
/// [`Error::is_retryable`](crate::Error::is_retryable). Server errors such as WRONGTYPE and bad
/// arguments are not.
///
/// # Example
///
/// ```no_run
/// use std::sync::Arc;
/// use kvdb_core::{KvStore, KvStoreExt, RedisStore};
///
/// # async fn run() -> kvdb_core::Result<()> {
/// let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect("redis://127.0.0.1:6379").await?);
/// store.set("my-key", "my-value").await?;
/// let value: String = store.get("my-key").await?;
/// let pushed: i64 = store.query(redis::cmd("RPUSH").arg("list").arg("a")).await?;
/// # let _ = (value, pushed);
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait KvStore: Send + Sync {
    /// Runs one command and returns its reply.
    ///
    /// An error reply from the server comes back as [`Error::Server`](crate::Error::Server),
    /// naming the command.
    async fn req_command(&self, cmd: &Cmd) -> Result<Value>;

    /// Runs a pipeline and returns one reply per command, in order, including the replies to
    /// commands marked `ignore()`.
    ///
    /// For an atomic pipeline the replies are those EXEC returned; if EXEC was refused because
    /// a watched key changed, the call fails with
    /// [`Error::TransactionAborted`](crate::Error::TransactionAborted). An error reply to one
    /// command is returned in its place as `Value::ServerError`, so callers see which
    /// command failed.
    async fn req_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Value>>;

    /// Hands out a connection for this caller alone: for WATCH/MULTI/EXEC transactions and
    /// long blocking reads. It goes back to the store's pool when dropped.
    async fn dedicated(&self) -> Result<DedicatedConnection>;

    /// Opens a pub/sub subscription on a connection of its own.
    async fn subscribe(&self) -> Result<Subscription>;

    /// The key namespace every feature crate puts its keys under.
    fn namespace(&self) -> &Namespace {
        Namespace::default_ref()
    }

    /// A short description of the backend for logs and errors: for Redis, its address
    /// without credentials.
    fn describe(&self) -> String {
        String::from("kv store")
    }

    /// Whether the backend is a Redis Cluster, where every multi-key command and script must
    /// keep its keys in one hash slot (use [`Namespace::keyspace`] for such keys). Callers
    /// that can check slots client-side (the Lua container) turn their check on when true.
    fn is_cluster(&self) -> bool {
        false
    }
}

macro_rules! forward_kv_store {
    ($($ty:ty),*) => {$(
        #[async_trait]
        impl<S: KvStore + ?Sized> KvStore for $ty {
            async fn req_command(&self, cmd: &Cmd) -> Result<Value> {
                (**self).req_command(cmd).await
            }
            async fn req_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Value>> {
                (**self).req_pipeline(pipe).await
            }
            async fn dedicated(&self) -> Result<DedicatedConnection> {
                (**self).dedicated().await
            }
            async fn subscribe(&self) -> Result<Subscription> {
                (**self).subscribe().await
            }
            fn namespace(&self) -> &Namespace {
                (**self).namespace()
            }
            fn describe(&self) -> String {
                (**self).describe()
            }
            fn is_cluster(&self) -> bool {
                (**self).is_cluster()
            }
        }
    )*};
}

forward_kv_store!(&S, Box<S>, Arc<S>);
