//! What inspection returns: [`QueueStats`], [`Counters`], [`DeadLetter`], [`TopicInfo`],
//! and what a publish reports, [`Published`].

use std::fmt;

use serde::Serialize;

use crate::{Envelope, MessageId, QueueRef};

/// What [`Broker::publish`](crate::Broker::publish) reached.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The message's id.
    pub id: MessageId,
    /// How many durable subscriptions now hold it.
    pub subscriptions: u64,
    /// How many ephemeral listeners received it.
    pub listeners: u64,
}

/// The state of one queue or subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueueStats {
    /// Which queue.
    #[serde(serialize_with = "as_text")]
    pub queue: QueueRef,
    /// Messages waiting for a worker.
    pub depth: u64,
    /// Messages a worker has taken and not yet settled.
    pub in_flight: u64,
    /// Messages waiting for their delivery time (delayed sends and retries in backoff).
    pub delayed: u64,
    /// Dead letters kept.
    pub dead: u64,
    /// Workers (consumers) known to the queue's group.
    pub consumers: u64,
    /// Lifetime counters.
    pub counters: Counters,
}

/// A queue's lifetime counters, kept in Redis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counters {
    /// Messages sent to the queue.
    pub sent: u64,
    /// Messages handled successfully and acknowledged.
    pub acked: u64,
    /// Deliveries that failed (or were abandoned) and were scheduled again.
    pub retried: u64,
    /// Messages moved to the dead letters (failures, expirations, malformed, no handler).
    pub dead_lettered: u64,
    /// Messages found expired by a worker (dead-lettered or dropped).
    pub expired: u64,
    /// Dead letters put back on the queue.
    pub requeued: u64,
}

impl Counters {
    /// Sets a counter by its name in Redis; unknown names are ignored.
    pub(crate) fn set(&mut self, name: &str, value: u64) {
        match name {
            "sent" => self.sent = value,
            "acked" => self.acked = value,
            "retried" => self.retried = value,
            "dead_lettered" => self.dead_lettered = value,
            "expired" => self.expired = value,
            "requeued" => self.requeued = value,
            _ => {}
        }
    }
}

/// Why a message became a dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DeadLetterKind {
    /// The handler failed on every attempt.
    Failed,
    /// It expired before a worker could handle it.
    Expired,
    /// No worker had a handler for its service within the grace period.
    NoHandler,
    /// The queue entry was not a broker message.
    Malformed,
    /// Workers took it and never settled it (died or hung), on every attempt.
    Abandoned,
}

impl DeadLetterKind {
    /// The name stored in Redis.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterKind::Failed => "failed",
            DeadLetterKind::Expired => "expired",
            DeadLetterKind::NoHandler => "no-handler",
            DeadLetterKind::Malformed => "malformed",
            DeadLetterKind::Abandoned => "abandoned",
        }
    }

    /// Parses a stored name (anything unknown counts as malformed).
    pub(crate) fn parse(text: &str) -> DeadLetterKind {
        match text {
            "failed" => DeadLetterKind::Failed,
            "expired" => DeadLetterKind::Expired,
            "no-handler" => DeadLetterKind::NoHandler,
            "abandoned" => DeadLetterKind::Abandoned,
            _ => DeadLetterKind::Malformed,
        }
    }
}

impl fmt::Display for DeadLetterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One dead letter, with why it died.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// Its id in the dead-letter stream.
    pub dead_id: String,
    /// Why, in one word.
    pub kind: DeadLetterKind,
    /// Why, in words: the handler's error text, or what was wrong.
    pub reason: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// When it died (milliseconds since the epoch).
    pub dead_at: u64,
    /// The message, when it could be decoded.
    pub envelope: Option<Envelope>,
    /// The queue entry's fields as text, when it could not be decoded.
    pub raw: Vec<(String, String)>,
}

/// A topic and its durable subscriptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TopicInfo {
    /// The topic.
    pub name: String,
    /// Its subscriptions' names, sorted.
    pub subscriptions: Vec<String>,
}

fn as_text<S: serde::Serializer>(queue: &QueueRef, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(queue)
}
