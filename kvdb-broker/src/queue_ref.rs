//! [`QueueRef`]: which queue an inspection or a worker loop is about, and the Redis keys
//! behind it.

use std::fmt;
use std::str::FromStr;

use kvdb_core::{KeySpace, Namespace};

use crate::{Error, Result};

/// The consumer group every queue's stream is read by.
pub(crate) const GROUP: &str = "kvdb-broker";

/// A queue: a plain queue fed by `invoke_async`, or a durable topic subscription fed by
/// `publish`. Both behave the same (ack, retry, delay, dead letters, inspection).
///
/// Its text form, used by the CLI, is the queue's name, or `topic/subscription` for a
/// subscription (split at the last `/`, so topics may contain `/`; queue and subscription
/// names may not).
///
/// ```
/// use kvdb_broker::QueueRef;
///
/// let queue: QueueRef = "orders.create".parse().unwrap();
/// assert_eq!(queue, QueueRef::queue("orders.create"));
/// let sub: QueueRef = "sensors/temp/audit".parse().unwrap();
/// assert_eq!(sub, QueueRef::subscription("sensors/temp", "audit"));
/// assert_eq!(sub.to_string(), "sensors/temp/audit");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum QueueRef {
    /// A plain queue, fed by `invoke_async`.
    Queue(String),
    /// A durable subscription to a topic, fed by `publish`.
    Subscription {
        /// The topic.
        topic: String,
        /// The subscription's name.
        name: String,
    },
}

impl QueueRef {
    /// A plain queue.
    pub fn queue(name: &str) -> QueueRef {
        QueueRef::Queue(name.to_owned())
    }

    /// A topic subscription.
    pub fn subscription(topic: &str, name: &str) -> QueueRef {
        QueueRef::Subscription {
            topic: topic.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Checks the names (see [`validate_name`]).
    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            QueueRef::Queue(name) => validate_name("queue", name, false),
            QueueRef::Subscription { topic, name } => {
                validate_name("topic", topic, true)?;
                validate_name("subscription", name, false)
            }
        }
    }

    /// The Redis keys of this queue, all under one hash tag.
    pub(crate) fn keys(&self, namespace: &Namespace) -> QueueKeys {
        match self {
            QueueRef::Queue(name) => {
                let space = namespace.keyspace("broker", name);
                QueueKeys::new(&space, "")
            }
            QueueRef::Subscription { topic, name } => {
                let space = topic_space(namespace, topic);
                QueueKeys::new(&space, &format!("sub:{name}:"))
            }
        }
    }
}

impl fmt::Display for QueueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueRef::Queue(name) => f.write_str(name),
            QueueRef::Subscription { topic, name } => write!(f, "{topic}/{name}"),
        }
    }
}

impl FromStr for QueueRef {
    type Err = Error;

    fn from_str(text: &str) -> Result<QueueRef> {
        let queue = match text.rsplit_once('/') {
            Some((topic, name)) => QueueRef::subscription(topic, name),
            None => QueueRef::queue(text),
        };
        queue.validate()?;
        Ok(queue)
    }
}

/// The keys of one queue.
#[derive(Clone, Debug)]
pub(crate) struct QueueKeys {
    /// The stream of messages ready or in flight (acknowledged ones are deleted).
    pub(crate) stream: String,
    /// Sorted set of delayed messages (and retries waiting out their backoff), by due time.
    pub(crate) delayed: String,
    /// Stream of dead letters, capped.
    pub(crate) dead: String,
    /// Hash of counters.
    pub(crate) stats: String,
}

impl QueueKeys {
    fn new(space: &KeySpace, prefix: &str) -> QueueKeys {
        QueueKeys {
            stream: space.key(&format!("{prefix}stream")),
            delayed: space.key(&format!("{prefix}delayed")),
            dead: space.key(&format!("{prefix}dead")),
            stats: space.key(&format!("{prefix}stats")),
        }
    }
}

/// The key space of a topic: its subscription set and every subscription's keys.
pub(crate) fn topic_space(namespace: &Namespace, topic: &str) -> KeySpace {
    namespace.keyspace("broker-topic", topic)
}

/// The set of every plain queue's name (so listing needs no SCAN).
pub(crate) fn queue_registry(namespace: &Namespace) -> String {
    namespace.key("broker:queues")
}

/// The set of every topic's name.
pub(crate) fn topic_registry(namespace: &Namespace) -> String {
    namespace.key("broker:topics")
}

/// The pub/sub channel of a topic's ephemeral publications.
pub(crate) fn topic_channel(namespace: &Namespace, topic: &str) -> String {
    namespace.key(&format!("broker:topic:{topic}"))
}

/// Checks a name: not empty, at most 200 bytes, no control characters, and no `/` unless
/// `slash_ok` (topics), so that `topic/subscription` stays unambiguous.
pub(crate) fn validate_name(kind: &'static str, name: &str, slash_ok: bool) -> Result<()> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 200 {
        Some("it is longer than 200 bytes")
    } else if name.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if !slash_ok && name.contains('/') {
        Some("it holds '/', which separates a topic from its subscription")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidName {
            kind,
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_a_queue_share_its_hash_tag() {
        let keys = QueueRef::queue("orders").keys(&Namespace::new("t"));
        assert_eq!(keys.stream, "t:{broker:orders}:stream");
        assert_eq!(keys.dead, "t:{broker:orders}:dead");
        let keys = QueueRef::subscription("prices", "audit").keys(&Namespace::new("t"));
        assert_eq!(keys.stream, "t:{broker-topic:prices}:sub:audit:stream");
        assert_eq!(keys.delayed, "t:{broker-topic:prices}:sub:audit:delayed");
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        let err = "".parse::<QueueRef>().unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        assert!(validate_name("service", "a/b", false).is_err());
        assert!(validate_name("topic", "a/b", true).is_ok());
        assert!(validate_name("queue", "a\nb", false).is_err());
        assert!("topic/".parse::<QueueRef>().is_err());
    }
}
