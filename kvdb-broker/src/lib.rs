//! The kvdb message broker: services hand work to one another with
//! [`invoke_async`](Broker::invoke_async) (1:1) and announce things with
//! [`publish`](Broker::publish) (1:N), on Redis Streams, at least once.
//!
//! Zato's broker, which this rebuilds, lost a message whenever no worker listened at that
//! instant or the worker that took it died. Here a message is in Redis before `invoke_async`
//! returns; a worker acknowledges it only after its handler succeeded; a failed message is
//! retried with exponential backoff and then kept as a dead letter with the reason; a message
//! whose worker died or hangs is taken over after a visibility timeout; expired messages are
//! never handled; delayed ones are not delivered early; and every queue can be inspected and
//! repaired (depth, in flight, delayed, dead letters, counters, requeue, purge).
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use kvdb_broker::{Broker, Envelope, HandlerError, InvokeOptions, QueueRef, Worker};
//! use kvdb_core::RedisStore;
//! use serde_json::json;
//!
//! # async fn run() -> kvdb_broker::Result<()> {
//! let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
//! let broker = Broker::new(Arc::new(store));
//!
//! // A worker, in this process or any other.
//! let worker = Worker::new(&broker)
//!     .handle("orders.create", |envelope: Envelope| async move {
//!         println!("attempt {} of {}", envelope.attempt, envelope.id);
//!         Ok::<_, HandlerError>(json!({"created": true}))
//!     })
//!     .start()
//!     .await?;
//!
//! // 1:1, durable once this returns.
//! broker.invoke_async("orders.create", json!({"order": 7})).await?;
//! broker
//!     .invoke_async_with(
//!         "orders.create",
//!         json!({"order": 8}),
//!         InvokeOptions::default()
//!             .delay(Duration::from_secs(5))
//!             .expires_in(Duration::from_secs(60))
//!             .callback("orders.created"),
//!     )
//!     .await?;
//!
//! // 1:N: durable subscriptions and live listeners.
//! broker.create_subscription("config.changed", "audit").await?;
//! let mut listener = broker.listen("config.changed").await?;
//! broker.publish("config.changed", json!({"key": "timeout"})).await?;
//! let change = listener.next().await;
//!
//! // Inspection.
//! let stats = broker.stats(&QueueRef::queue("orders.create")).await?;
//! println!("{} waiting, {} in flight, {} dead", stats.depth, stats.in_flight, stats.dead);
//!
//! worker.shutdown(Duration::from_secs(10)).await;
//! # let _ = change;
//! # Ok(())
//! # }
//! ```
//!
//! # How queues map to services
//!
//! Each service has a queue of its own, named after it, unless
//! [`BrokerOptions::route`] sends it to another (and [`InvokeOptions::queue`] overrides both
//! for one message). A worker reads the queue of every service it has a handler for, plus any
//! named with [`Worker::queue`]; in a shared queue it dispatches by the message's service, and
//! a message for a service it has no handler for is offered again (to whichever worker reads
//! next) until [`WorkerOptions::no_handler_grace`] is over, then dead-lettered. So the workers
//! of a shared queue should all handle all its services; the grace covers deployments, while
//! old and new workers differ. A durable subscription to a topic is a queue too, filled by
//! `publish`; a topic's ephemeral listeners use Redis PUB/SUB.
//!
//! # Storage
//!
//! All keys of a queue share one hash tag (`kvdb:{broker:NAME}:...`; a subscription's live
//! under its topic's, `kvdb:{broker-topic:TOPIC}:sub:NAME:...`):
//! `stream` (a Redis stream read by the consumer group `kvdb-broker`; acknowledged entries are
//! deleted, so it holds only waiting and in-flight messages), `delayed` (a sorted set by due
//! time, for delays and retry backoff), `dead` (a stream capped at
//! [`BrokerOptions::dead_letter_cap`]) and `stats` (a hash of counters). The sets
//! `kvdb:broker:queues` and `kvdb:broker:topics` list queues and topics, so nothing needs
//! SCAN. Every step that touches several keys is one Lua script or one MULTI/EXEC.
//!
//! # Performance
//!
//! A send is one round trip whatever the batch size ([`Broker::invoke_batch`]); a worker reads
//! up to [`WorkerOptions::batch_size`] messages per round trip and acknowledges in batches (one
//! script call per batch, which also trims the stream), so no step costs a round trip per
//! message, and no script takes an unbounded list (a backlog of 100,000 due at once is fine).
//! End to end (criterion, `cargo bench -p benches --bench broker`, then
//! `cargo run -p benches --bin bench-report`): 10,000 jobs sent in batches of 100 and handled
//! by a worker with a no-op handler ran at 155k jobs/s, 0.99x a raw redis-rs loop measured in
//! the same run (XADD in pipelines of 100; XREADGROUP COUNT 100 with the XACKs pipelined ahead
//! of the next read), although kvdb also trims acknowledged history and keeps counters.
//!
//! # Layout
//!
//! - [`Broker`] (`broker.rs`): sending and publishing; inspection in `inspect.rs`; requeue,
//!   purge and delete in `repair.rs`; subscriptions and [`Listener`] in `topic.rs`.
//! - [`Envelope`], [`MessageId`] (`envelope.rs`) and [`Payload`] (`payload.rs`): the message;
//!   `wire.rs`: how it is laid out in Redis.
//! - [`Worker`], [`RunningWorker`] (`worker.rs`) with [`WorkerOptions`], [`RetryPolicy`]
//!   (`worker_options.rs`); [`Handler`], [`HandlerError`] (`handler.rs`); the fetch loop
//!   (`consume.rs`), what happens to each message (`delivery.rs`), acknowledgements and
//!   settling (`settle.rs`), delayed messages and takeover (`maintenance.rs`), stop signals
//!   (`control.rs`).
//! - `scripts.rs`: every Lua script. `queue_ref.rs`: [`QueueRef`] and key names.
//! - [`QueueStats`], [`Counters`], [`DeadLetter`] (`stats.rs`): what inspection returns.
//! - [`Error`] (`error.rs`).

mod broker;
mod consume;
mod control;
mod delivery;
mod envelope;
mod error;
mod handler;
mod inspect;
mod maintenance;
mod options;
mod payload;
mod queue_ref;
mod repair;
mod scripts;
mod settle;
mod stats;
mod topic;
mod wire;
mod worker;
mod worker_options;

pub use broker::Broker;
pub use envelope::{Envelope, MessageId, CALLBACK_OF, CORRELATION_ID};
pub use error::{Error, Result};
pub use handler::{Handler, HandlerError};
pub use options::{BrokerOptions, Invocation, InvokeOptions, PublishOptions};
pub use payload::Payload;
pub use queue_ref::QueueRef;
pub use stats::{Counters, DeadLetter, DeadLetterKind, Published, QueueStats, TopicInfo};
pub use topic::{ListenEvent, Listener};
pub use worker::{RunningWorker, ShutdownReport, Worker};
pub use worker_options::{ExpiredPolicy, RetryPolicy, WorkerOptions};

/// Re-exported for implementing [`Handler`].
pub use async_trait::async_trait;
