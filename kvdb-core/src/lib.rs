//! The foundation of kvdb: the [`KvStore`] trait every kvdb crate is written against, and
//! [`RedisStore`], its Redis backend.
//!
//! kvdb is a Redis-backed toolkit for integration services: a message broker
//! (`kvdb-broker`), data-dictionary translation (`kvdb-dict`), service statistics
//! (`kvdb-stats`) and a Lua-program container (`kvdb-lua`), each built on this crate.
//!
//! # Example
//!
//! ```no_run
//! use kvdb_core::{KvStoreExt, Pipeline, RedisStore};
//!
//! # async fn run() -> kvdb_core::Result<()> {
//! let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
//!
//! // Typed helpers...
//! store.set("my-key", "my-value").await?;
//! let value: String = store.get("my-key").await?;
//! println!("key:[{value}]");
//!
//! // ...any Redis command...
//! let len: i64 = store.query(redis::cmd("STRLEN").arg("my-key")).await?;
//!
//! // ...pipelines, plain or atomic...
//! let mut pipe = Pipeline::new();
//! for i in 0..30 {
//!     pipe.del(format!("my-key-{i}")).ignore();
//! }
//! pipe.exec(&store).await?;
//!
//! // ...and INFO, parsed.
//! let info = store.info().await?;
//! println!("redis {} with {:?} keys in db0", info.redis_version().unwrap_or("?"),
//!     info.keyspace().get("db0").map(|db| db.keys));
//! # let _ = len;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - [`KvStore`] (`store.rs`): the four required operations and the contract (atomicity,
//!   blocking, reconnects, retryable errors).
//! - [`KvStoreExt`] (`ext.rs`): typed helpers on top, for every store.
//! - [`RedisStore`], [`RedisStoreOptions`]: the Redis backend (`redis_store.rs`, with its
//!   dedicated-connection pool in `redis_dedicated.rs` and its resubscribing pub/sub task in
//!   `redis_pubsub.rs`); `routing.rs` decides which commands need a connection of their own.
//! - [`Script`], [`Pipeline`]: Lua scripts that survive SCRIPT FLUSH and restarts, alone and in
//!   pipelines.
//! - [`StoreConnection`], [`DedicatedConnection`]: redis's own API over a store.
//! - [`Subscription`]: pub/sub that resubscribes after a reconnect.
//! - [`Namespace`], [`KeySpace`]: key prefixes and hash tags.
//! - [`ServerInfo`]: INFO parsed.
//! - [`Error`]: one error type; [`Error::is_retryable`] says what may be retried.

mod address;
mod connection;
mod dedicated;
mod error;
mod ext;
mod info;
mod namespace;
mod options;
mod pipeline;
mod redis_dedicated;
mod redis_pubsub;
mod redis_shared;
mod redis_store;
mod routing;
mod script;
mod store;
mod subscription;

pub use connection::StoreConnection;
pub use dedicated::DedicatedConnection;
pub use error::{Error, Result};
pub use ext::{KvStoreExt, SetCondition, SetOptions};
pub use info::{InfoValue, KeyspaceStats, ServerInfo};
pub use namespace::{KeySpace, Namespace};
pub use options::RedisStoreOptions;
pub use pipeline::{check_replies, Pipeline};
pub use redis_store::RedisStore;
pub use script::Script;
pub use store::KvStore;
pub use subscription::{PubSubBackend, PubSubEvent, PubSubMessage, Subscription};

/// The redis crate this version of kvdb is built on, for `redis::cmd`, `redis::Value` and
/// `redis::AsyncCommands`.
pub use redis;
