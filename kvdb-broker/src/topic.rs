//! Topics: durable subscriptions (queues fed by `publish`) and ephemeral [`Listener`]s.

use std::fmt;

use kvdb_core::redis::{self, Value};
use kvdb_core::{KvStoreExt, PubSubEvent, Subscription};

use crate::queue_ref::{topic_channel, topic_registry, topic_space, validate_name, GROUP};
use crate::{Broker, Envelope, QueueRef, Result};
use kvdb_core::check_replies;

impl Broker {
    /// Creates a durable subscription to `topic` (idempotent). From now on it receives every
    /// message published to the topic, kept until a worker handles it, even while no worker
    /// runs; several workers of one subscription share its messages. Workers create their
    /// subscriptions themselves ([`Worker::subscribe`](crate::Worker::subscribe)); call this
    /// to start collecting before any worker runs.
    pub async fn create_subscription(&self, topic: &str, name: &str) -> Result<QueueRef> {
        let queue = QueueRef::subscription(topic, name);
        queue.validate()?;
        let keys = queue.keys(self.namespace());
        let mut pipe = redis::pipe();
        pipe.cmd("XGROUP")
            .arg("CREATE")
            .arg(&keys.stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .cmd("SADD")
            .arg(topic_space(self.namespace(), topic).key("subs"))
            .arg(name)
            .ignore()
            .cmd("SADD")
            .arg(topic_registry(self.namespace()))
            .arg(topic)
            .ignore();
        let mut replies = self.store().req_pipeline(&pipe).await?;
        if matches!(replies.first(), Some(Value::ServerError(e)) if e.code() == "BUSYGROUP") {
            replies[0] = Value::Okay;
        }
        check_replies(&pipe, &replies)?;
        Ok(queue)
    }

    /// Deletes a durable subscription with everything it holds (messages, dead letters,
    /// counters); returns whether it existed. Atomic.
    pub async fn delete_subscription(&self, topic: &str, name: &str) -> Result<bool> {
        let queue = QueueRef::subscription(topic, name);
        queue.validate()?;
        let keys = queue.keys(self.namespace());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SREM")
            .arg(topic_space(self.namespace(), topic).key("subs"))
            .arg(name)
            .cmd("DEL")
            .arg(&keys.stream)
            .arg(&keys.delayed)
            .arg(&keys.dead)
            .arg(&keys.stats)
            .ignore();
        let (removed,): (u64,) = self.store().query_pipeline(&pipe).await?;
        Ok(removed > 0)
    }

    /// Listens to `topic`'s ephemeral publications, on a pub/sub connection of its own. It
    /// receives what is published while it is connected, nothing before and nothing while
    /// disconnected; it reconnects and resubscribes by itself after a server restart (and says
    /// so with [`ListenEvent::Reconnected`]). For configuration changes and the like; use a
    /// durable subscription for anything that must not be missed.
    pub async fn listen(&self, topic: &str) -> Result<Listener> {
        validate_name("topic", topic, true)?;
        let mut subscription = self.store().subscribe().await?;
        subscription
            .subscribe(&topic_channel(self.namespace(), topic))
            .await?;
        Ok(Listener {
            subscription,
            broker: self.clone(),
        })
    }
}

/// What a [`Listener`] yields.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ListenEvent {
    /// A publication.
    Message(Envelope),
    /// The connection was lost; publications are missed until [`ListenEvent::Reconnected`].
    Disconnected,
    /// The connection was lost and made again: publications in between were missed.
    Reconnected,
}

/// Ephemeral publications of one or more topics: see [`Broker::listen`].
///
/// ```no_run
/// # async fn run(broker: kvdb_broker::Broker) -> kvdb_broker::Result<()> {
/// let mut listener = broker.listen("config.changed").await?;
/// while let Some(envelope) = listener.next().await {
///     println!("{} changed: {:?}", envelope.target, envelope.payload);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Listener {
    subscription: Subscription,
    broker: Broker,
}

impl Listener {
    /// Listens to one more topic.
    pub async fn listen(&mut self, topic: &str) -> Result<()> {
        validate_name("topic", topic, true)?;
        self.subscription
            .subscribe(&topic_channel(self.broker.namespace(), topic))
            .await?;
        Ok(())
    }

    /// Stops listening to a topic.
    pub async fn unlisten(&mut self, topic: &str) -> Result<()> {
        self.subscription
            .unsubscribe(&topic_channel(self.broker.namespace(), topic))
            .await?;
        Ok(())
    }

    /// The next publication or reconnect notice; `None` once closed. Publications that are
    /// not envelopes (published on the channel by something else) are skipped with a warning.
    /// Cancel-safe.
    pub async fn next_event(&mut self) -> Option<ListenEvent> {
        loop {
            match self.subscription.next_event().await? {
                PubSubEvent::Disconnected => return Some(ListenEvent::Disconnected),
                PubSubEvent::Reconnected => return Some(ListenEvent::Reconnected),
                PubSubEvent::Message(message) => {
                    match serde_json::from_slice::<Envelope>(&message.payload) {
                        Ok(envelope) => return Some(ListenEvent::Message(envelope)),
                        Err(err) => tracing::warn!(
                            channel = %message.channel,
                            "skipping a publication that is not an envelope: {err}"
                        ),
                    }
                }
                _ => continue,
            }
        }
    }

    /// The next publication, skipping reconnect notices; `None` once closed. Cancel-safe.
    pub async fn next(&mut self) -> Option<Envelope> {
        loop {
            if let ListenEvent::Message(envelope) = self.next_event().await? {
                return Some(envelope);
            }
        }
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener").finish_non_exhaustive()
    }
}
