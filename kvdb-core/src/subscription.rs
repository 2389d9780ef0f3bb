//! [`Subscription`]: pub/sub that resubscribes by itself.

use std::fmt;

use async_trait::async_trait;

use crate::Result;

/// One message received on a subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PubSubMessage {
    /// The channel it was published on.
    pub channel: String,
    /// The pattern that matched, for pattern subscriptions.
    pub pattern: Option<String>,
    /// The message body, as published.
    pub payload: Vec<u8>,
}

/// What a subscription yields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PubSubEvent {
    /// A message on one of the subscribed channels or patterns.
    Message(PubSubMessage),
    /// The connection was lost; the subscription is reconnecting. Until
    /// [`PubSubEvent::Reconnected`] arrives, messages are being missed: a cache fed by
    /// invalidation messages must stop serving now.
    Disconnected,
    /// The connection was lost and has been made again, with every subscription renewed.
    /// Messages published while it was down were not received: a cache fed by
    /// invalidation messages must drop everything it holds when it sees this.
    Reconnected,
}

/// What a backend implements to serve a [`Subscription`].
///
/// [`next_event`](Self::next_event) must be cancel-safe (it is used in `tokio::select!`).
#[async_trait]
pub trait PubSubBackend: Send {
    /// Subscribes to channels; returns once the server confirmed, or once the request is
    /// recorded while the connection is down (it is then applied on reconnect).
    async fn subscribe(&mut self, channels: Vec<String>) -> Result<()>;
    /// Subscribes to glob-style patterns, like [`subscribe`](Self::subscribe).
    async fn psubscribe(&mut self, patterns: Vec<String>) -> Result<()>;
    /// Unsubscribes from channels.
    async fn unsubscribe(&mut self, channels: Vec<String>) -> Result<()>;
    /// Unsubscribes from patterns.
    async fn punsubscribe(&mut self, patterns: Vec<String>) -> Result<()>;
    /// The next event; `None` once the subscription is closed for good.
    async fn next_event(&mut self) -> Option<PubSubEvent>;
}

/// A pub/sub subscription on a connection of its own, from [`KvStore::subscribe`](crate::KvStore::subscribe).
///
/// It follows the server through restarts: when the connection breaks it yields
/// [`PubSubEvent::Disconnected`], reconnects with backoff, renews every channel and pattern,
/// and yields [`PubSubEvent::Reconnected`].
///
/// ```no_run
/// use kvdb_core::{KvStore, KvStoreExt, PubSubEvent, RedisStore};
///
/// # async fn run() -> kvdb_core::Result<()> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let mut sub = store.subscribe().await?;
/// sub.subscribe("config-changes").await?;
/// store.publish("config-changes", "reload").await?;
/// if let Some(PubSubEvent::Message(msg)) = sub.next_event().await {
///     assert_eq!(msg.payload, b"reload");
/// }
/// # Ok(())
/// # }
/// ```
pub struct Subscription {
    backend: Box<dyn PubSubBackend>,
}

impl Subscription {
    /// Wraps a backend's implementation.
    pub fn new(backend: Box<dyn PubSubBackend>) -> Self {
        Subscription { backend }
    }

    /// Subscribes to one channel.
    pub async fn subscribe(&mut self, channel: &str) -> Result<()> {
        self.backend.subscribe(vec![channel.to_owned()]).await
    }

    /// Subscribes to one glob-style pattern (`config.*`).
    pub async fn psubscribe(&mut self, pattern: &str) -> Result<()> {
        self.backend.psubscribe(vec![pattern.to_owned()]).await
    }

    /// Unsubscribes from one channel.
    pub async fn unsubscribe(&mut self, channel: &str) -> Result<()> {
        self.backend.unsubscribe(vec![channel.to_owned()]).await
    }

    /// Unsubscribes from one pattern.
    pub async fn punsubscribe(&mut self, pattern: &str) -> Result<()> {
        self.backend.punsubscribe(vec![pattern.to_owned()]).await
    }

    /// The next message or reconnect notice; `None` once closed. Cancel-safe.
    pub async fn next_event(&mut self) -> Option<PubSubEvent> {
        self.backend.next_event().await
    }

    /// The next message, skipping reconnect notices; `None` once closed. Cancel-safe.
    pub async fn next_message(&mut self) -> Option<PubSubMessage> {
        loop {
            match self.backend.next_event().await? {
                PubSubEvent::Message(message) => return Some(message),
                PubSubEvent::Disconnected | PubSubEvent::Reconnected => continue,
            }
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}
