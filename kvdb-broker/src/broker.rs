//! [`Broker`]: sending (`invoke_async`) and publishing.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use kvdb_core::redis::{self, Value};
use kvdb_core::{KvStore, Pipeline};

use crate::envelope::{after_ms, now_ms};
use crate::queue_ref::{
    queue_registry, topic_channel, topic_registry, topic_space, validate_name, QueueKeys, QueueRef,
};
use crate::scripts;
use crate::stats::Published;
use crate::wire::{number, Encoded};
use crate::{
    BrokerOptions, Envelope, Error, Invocation, InvokeOptions, MessageId, Payload, PublishOptions,
    Result,
};

/// The broker: sends messages to services (`invoke_async`, 1:1), publishes to topics (1:N),
/// makes [`Worker`](crate::Worker)s, and inspects queues. Cloning is cheap and shares
/// everything.
///
/// ```no_run
/// use std::sync::Arc;
/// use kvdb_broker::Broker;
/// use kvdb_core::RedisStore;
/// use serde_json::json;
///
/// # async fn run() -> kvdb_broker::Result<()> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let broker = Broker::new(Arc::new(store));
/// let id = broker.invoke_async("orders.create", json!({"order": 7})).await?;
/// let published = broker.publish("config.changed", json!({"key": "timeout"})).await?;
/// println!("sent {id}; published to {} subscriptions", published.subscriptions);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn KvStore>,
    options: BrokerOptions,
    /// Queues and topics this broker has added to the registries, so that only the first
    /// send to each pays for the SADD.
    registered: Mutex<HashSet<String>>,
}

impl Broker {
    /// A broker on `store` with default options.
    pub fn new(store: Arc<dyn KvStore>) -> Broker {
        Broker::with_options(store, BrokerOptions::default())
    }

    /// A broker on `store` with these options.
    pub fn with_options(store: Arc<dyn KvStore>, options: BrokerOptions) -> Broker {
        Broker {
            inner: Arc::new(Inner {
                store,
                options,
                registered: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn KvStore> {
        &self.inner.store
    }

    /// The options.
    pub fn options(&self) -> &BrokerOptions {
        &self.inner.options
    }

    /// Sends `payload` to `service` and returns the message's id once Redis holds it (with
    /// AOF on, once it is on disk). One round trip. A worker with a handler for `service`
    /// handles it, at least once.
    pub async fn invoke_async(
        &self,
        service: &str,
        payload: impl Into<Payload>,
    ) -> Result<MessageId> {
        self.invoke_async_with(service, payload, InvokeOptions::default())
            .await
    }

    /// [`invoke_async`](Self::invoke_async) with options: expiration, delay, callback,
    /// headers, queue.
    pub async fn invoke_async_with(
        &self,
        service: &str,
        payload: impl Into<Payload>,
        options: InvokeOptions,
    ) -> Result<MessageId> {
        let mut ids = self
            .invoke_batch(vec![Invocation {
                service: service.to_owned(),
                payload: payload.into(),
                options,
            }])
            .await?;
        ids.pop()
            .ok_or_else(|| Error::Malformed("no reply to the send".into()))
    }

    /// Sends many messages in one round trip (one pipeline); returns their ids in order.
    /// Each message is durable on its own: if the call fails with a retryable error, some may
    /// have been stored, and sending again may store them twice.
    pub async fn invoke_batch(&self, batch: Vec<Invocation>) -> Result<Vec<MessageId>> {
        let now = now_ms();
        let mut pipe = redis::pipe();
        let mut ids = Vec::with_capacity(batch.len());
        // Per queue: its keys (made once per batch) and how many messages it gets.
        let mut per_queue: BTreeMap<String, (QueueKeys, u64)> = BTreeMap::new();
        for invocation in batch {
            let (envelope, queue) = self.envelope_for(invocation, now)?;
            let encoded = Encoded::new(&envelope);
            self.check_size(&envelope.target, encoded.payload.len())?;
            let (keys, count) = per_queue.entry(queue).or_insert_with_key(|queue| {
                (QueueRef::Queue(queue.clone()).keys(self.namespace()), 0)
            });
            *count += 1;
            match envelope.deliver_at {
                Some(due) => {
                    pipe.cmd("ZADD")
                        .arg(&keys.delayed)
                        .arg(due)
                        .arg(encoded.packed());
                }
                None => {
                    pipe.add_command(encoded.xadd(&keys.stream));
                }
            }
            ids.push(envelope.id);
        }
        let new_queues: Vec<&String> = {
            let registered = self.registered();
            per_queue
                .keys()
                .filter(|queue| !registered.contains(*queue))
                .collect()
        };
        for (keys, count) in per_queue.values() {
            pipe.cmd("HINCRBY")
                .arg(&keys.stats)
                .arg("sent")
                .arg(*count)
                .ignore();
        }
        if !new_queues.is_empty() {
            pipe.cmd("SADD")
                .arg(queue_registry(self.namespace()))
                .arg(&new_queues)
                .ignore();
        }
        if pipe.is_empty() {
            return Ok(ids);
        }
        let replies = self.inner.store.req_pipeline(&pipe).await?;
        kvdb_core::check_replies(&pipe, &replies)?;
        if !new_queues.is_empty() {
            let mut registered = self.registered();
            for queue in new_queues {
                registered.insert(queue.clone());
            }
        }
        Ok(ids)
    }

    /// Publishes `payload` to `topic`: every durable subscription of the topic gets it (see
    /// [`create_subscription`](Self::create_subscription)), and so does every
    /// [`Listener`](crate::Listener) connected at that moment. One round trip.
    pub async fn publish(&self, topic: &str, payload: impl Into<Payload>) -> Result<Published> {
        self.publish_with(topic, payload, PublishOptions::default())
            .await
    }

    /// [`publish`](Self::publish) with options: expiration, headers.
    pub async fn publish_with(
        &self,
        topic: &str,
        payload: impl Into<Payload>,
        options: PublishOptions,
    ) -> Result<Published> {
        validate_name("topic", topic, true)?;
        let now = now_ms();
        let mut envelope = Envelope::new(topic, payload.into());
        envelope.created_at = now;
        envelope.expires_at = options.expires_in.map(|ttl| after_ms(now, ttl));
        envelope.headers = options.headers;
        let encoded = Encoded::new(&envelope);
        self.check_size(topic, encoded.payload.len())?;
        let blob = serde_json::to_vec(&envelope)?;
        let space = topic_space(self.namespace(), topic);
        let subs = space.key("subs");
        let prefix = space.key("sub:");
        let channel = topic_channel(self.namespace(), topic);
        let register_key = format!("topic:{topic}");
        let register = !self.registered().contains(&register_key);

        let mut pipe = Pipeline::new();
        pipe.invoke_script(
            &scripts::PUBLISH,
            &[&subs],
            &[
                prefix.as_bytes(),
                &encoded.packed(),
                channel.as_bytes(),
                &blob,
            ],
        );
        if register {
            pipe.cmd("SADD")
                .arg(topic_registry(self.namespace()))
                .arg(topic)
                .ignore();
        }
        let ((subscriptions, listeners),): ((u64, u64),) = pipe.query(&*self.inner.store).await?;
        if register {
            self.registered().insert(register_key);
        }
        Ok(Published {
            id: envelope.id,
            subscriptions,
            listeners,
        })
    }

    /// The key namespace (the store's).
    pub(crate) fn namespace(&self) -> &kvdb_core::Namespace {
        self.inner.store.namespace()
    }

    /// Builds the envelope of one invocation and picks its queue.
    fn envelope_for(&self, invocation: Invocation, now: u64) -> Result<(Envelope, String)> {
        let Invocation {
            service,
            payload,
            options,
        } = invocation;
        validate_name("service", &service, false)?;
        let queue = match &options.queue {
            Some(queue) => queue.clone(),
            None => self.inner.options.queue_for(&service).to_owned(),
        };
        validate_name("queue", &queue, false)?;
        if let Some(callback) = &options.callback {
            validate_name("service", callback, false)?;
        }
        let mut envelope = Envelope::new(&service, payload);
        envelope.created_at = now;
        envelope.expires_at = options.expires_in.map(|ttl| after_ms(now, ttl));
        envelope.deliver_at = options
            .delay
            .filter(|delay| !delay.is_zero())
            .map(|delay| after_ms(now, delay));
        envelope.headers = options.headers;
        envelope.callback = options.callback;
        Ok((envelope, queue))
    }

    fn check_size(&self, target: &str, size: usize) -> Result<()> {
        let max = self.inner.options.max_payload;
        if size > max {
            return Err(Error::PayloadTooLarge {
                target: target.to_owned(),
                size,
                max,
            });
        }
        Ok(())
    }

    fn registered(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set is only a cache: a poisoned lock still holds usable data.
        self.inner
            .registered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets that a queue is in the registry (it was deleted).
    pub(crate) fn forget_registered(&self, queue: &str) {
        self.registered().remove(queue);
    }

    /// Marks a queue as present in the registry (workers register the queues they read).
    pub(crate) fn note_registered(&self, queue: &str) {
        self.registered().insert(queue.to_owned());
    }
}

/// A reply that should be a count.
pub(crate) fn count(reply: &Value) -> u64 {
    number(reply)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker")
            .field("store", &self.inner.store.describe())
            .field("options", &self.inner.options)
            .finish()
    }
}
