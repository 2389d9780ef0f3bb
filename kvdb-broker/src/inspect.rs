//! Inspection of queues: stats, the queue and topic lists, dead letters.

use std::collections::BTreeSet;

use kvdb_core::redis::{self, Value};
use kvdb_core::KvStoreExt;

use crate::broker::count;
use crate::queue_ref::{queue_registry, topic_registry, topic_space, QueueRef, GROUP};
use crate::stats::{Counters, DeadLetter, DeadLetterKind, QueueStats, TopicInfo};
use crate::wire::{self, entries, number, text, RawEntry};
use crate::{Broker, Result};

/// Commands per queue in a stats pipeline.
const STATS_COMMANDS: usize = 5;

impl Broker {
    /// Depth, in flight, delayed, dead letters and counters of one queue or subscription.
    /// One round trip. A queue nobody used reads as all zeros.
    pub async fn stats(&self, queue: &QueueRef) -> Result<QueueStats> {
        queue.validate()?;
        let mut all = self.stats_of(std::slice::from_ref(queue)).await?;
        Ok(all.pop().unwrap_or_else(|| empty_stats(queue.clone())))
    }

    /// Every queue and every durable subscription (from the registries, no SCAN), with its
    /// stats, sorted by name. Four round trips whatever the number of queues.
    pub async fn queues(&self) -> Result<Vec<QueueStats>> {
        let mut refs: Vec<QueueRef> = self
            .queue_names()
            .await?
            .into_iter()
            .map(QueueRef::Queue)
            .collect();
        for topic in self.topics().await? {
            for name in topic.subscriptions {
                refs.push(QueueRef::Subscription {
                    topic: topic.name.clone(),
                    name,
                });
            }
        }
        refs.sort();
        self.stats_of(&refs).await
    }

    /// The names of every plain queue, sorted.
    pub async fn queue_names(&self) -> Result<Vec<String>> {
        let names: BTreeSet<String> = self
            .store()
            .smembers(queue_registry(self.namespace()))
            .await?;
        Ok(names.into_iter().collect())
    }

    /// Every topic anyone published to or subscribed to, with its durable subscriptions.
    pub async fn topics(&self) -> Result<Vec<TopicInfo>> {
        let topics: BTreeSet<String> = self
            .store()
            .smembers(topic_registry(self.namespace()))
            .await?;
        let mut pipe = redis::pipe();
        for topic in &topics {
            pipe.cmd("SMEMBERS")
                .arg(topic_space(self.namespace(), topic).key("subs"));
        }
        let subs: Vec<BTreeSet<String>> = self.store().query_pipeline(&pipe).await?;
        Ok(topics
            .into_iter()
            .zip(subs)
            .map(|(name, subscriptions)| TopicInfo {
                name,
                subscriptions: subscriptions.into_iter().collect(),
            })
            .collect())
    }

    /// Up to `limit` dead letters of a queue, oldest first.
    pub async fn dead_letters(&self, queue: &QueueRef, limit: usize) -> Result<Vec<DeadLetter>> {
        queue.validate()?;
        let keys = queue.keys(self.namespace());
        let reply: Value = self
            .store()
            .query(
                redis::cmd("XRANGE")
                    .arg(&keys.dead)
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(limit.max(1)),
            )
            .await?;
        Ok(entries(reply).into_iter().map(dead_letter).collect())
    }

    /// Stats of several queues in one pipeline.
    async fn stats_of(&self, queues: &[QueueRef]) -> Result<Vec<QueueStats>> {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for queue in queues {
            let keys = queue.keys(self.namespace());
            pipe.cmd("XLEN")
                .arg(&keys.stream)
                .cmd("XINFO")
                .arg("GROUPS")
                .arg(&keys.stream)
                .cmd("ZCARD")
                .arg(&keys.delayed)
                .cmd("XLEN")
                .arg(&keys.dead)
                .cmd("HGETALL")
                .arg(&keys.stats);
        }
        let replies = self.store().req_pipeline(&pipe).await?;
        let mut out = Vec::with_capacity(queues.len());
        for (queue, replies) in queues.iter().zip(replies.chunks(STATS_COMMANDS)) {
            let [length, groups, delayed, dead, stats] = replies else {
                continue;
            };
            // A queue nobody used has no stream, and XINFO says so with an error: zeros.
            let group = group_info(groups);
            let mut counters = Counters::default();
            for (name, value) in pairs(stats) {
                counters.set(&name, value);
            }
            out.push(QueueStats {
                queue: queue.clone(),
                // Redis knows the exact lag in most cases; otherwise the stream's length less
                // what is pending is an upper bound (acknowledged entries above the oldest
                // pending one are trimmed only once it is settled).
                depth: group
                    .lag
                    .unwrap_or_else(|| count(length).saturating_sub(group.pending)),
                in_flight: group.pending,
                delayed: count(delayed),
                dead: count(dead),
                consumers: group.consumers,
                counters,
            });
        }
        Ok(out)
    }
}

fn empty_stats(queue: QueueRef) -> QueueStats {
    QueueStats {
        queue,
        depth: 0,
        in_flight: 0,
        delayed: 0,
        dead: 0,
        consumers: 0,
        counters: Counters::default(),
    }
}

/// What XINFO GROUPS says of the broker's group.
#[derive(Debug, Default, PartialEq, Eq)]
struct GroupInfo {
    pending: u64,
    consumers: u64,
    /// Entries not yet delivered, when Redis can tell.
    lag: Option<u64>,
}

/// The broker's group in an XINFO GROUPS reply (all zeros when there is none).
fn group_info(reply: &Value) -> GroupInfo {
    let Value::Array(groups) = reply else {
        return GroupInfo::default();
    };
    for group in groups {
        let fields: Vec<(String, &Value)> = match group {
            Value::Array(flat) => flat
                .chunks(2)
                .filter_map(|pair| match pair {
                    [name, value] => Some((text(name.clone())?, value)),
                    _ => None,
                })
                .collect(),
            Value::Map(map) => map
                .iter()
                .filter_map(|(name, value)| Some((text(name.clone())?, value)))
                .collect(),
            _ => continue,
        };
        let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        if get("name").and_then(|v| text(v.clone())).as_deref() == Some(GROUP) {
            return GroupInfo {
                pending: get("pending").map(count).unwrap_or(0),
                consumers: get("consumers").map(count).unwrap_or(0),
                lag: get("lag")
                    .and_then(number)
                    .and_then(|lag| u64::try_from(lag).ok()),
            };
        }
    }
    GroupInfo::default()
}

/// The field/number pairs of an HGETALL reply.
fn pairs(reply: &Value) -> Vec<(String, u64)> {
    match reply {
        Value::Array(flat) => flat
            .chunks(2)
            .filter_map(|pair| match pair {
                [name, value] => Some((text(name.clone())?, count(value))),
                _ => None,
            })
            .collect(),
        Value::Map(map) => map
            .iter()
            .filter_map(|(name, value)| Some((text(name.clone())?, count(value))))
            .collect(),
        _ => Vec::new(),
    }
}

/// A dead-letter entry: four broker fields (kind, reason, attempts, at), then the original
/// entry's fields as they were.
fn dead_letter(entry: RawEntry) -> DeadLetter {
    let head = |name: &[u8]| -> String {
        entry
            .fields
            .iter()
            .take(4)
            .find(|(field, _)| field == name)
            .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
            .unwrap_or_default()
    };
    let original = original_fields(&entry);
    let envelope = wire::decode(original).ok();
    DeadLetter {
        kind: DeadLetterKind::parse(&head(b"kind")),
        reason: head(b"reason"),
        attempts: head(b"attempts").parse().unwrap_or(0),
        dead_at: head(b"at").parse().unwrap_or(0),
        raw: if envelope.is_some() {
            Vec::new()
        } else {
            RawEntry::fields_lossy(original)
        },
        envelope,
        dead_id: entry.id,
    }
}

pub(crate) fn original_fields(entry: &RawEntry) -> &[(Vec<u8>, Vec<u8>)] {
    entry.fields.get(4..).unwrap_or_default()
}

pub(crate) fn find<'a>(fields: &'a [(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xinfo_groups_is_read_for_the_broker_group_only() {
        let group = |name: &str, pending: i64| {
            Value::Array(vec![
                Value::BulkString(b"name".to_vec()),
                Value::BulkString(name.as_bytes().to_vec()),
                Value::BulkString(b"consumers".to_vec()),
                Value::Int(2),
                Value::BulkString(b"pending".to_vec()),
                Value::Int(pending),
            ])
        };
        let reply = Value::Array(vec![group("other", 9), group(GROUP, 4)]);
        let info = group_info(&reply);
        assert_eq!((info.pending, info.consumers, info.lag), (4, 2, None));
        assert_eq!(group_info(&Value::Nil), GroupInfo::default());
    }
}
