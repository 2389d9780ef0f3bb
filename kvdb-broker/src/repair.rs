//! Repairs: requeue dead letters, purge, delete.

use kvdb_core::redis::{self, Value};
use kvdb_core::KvStoreExt;

use crate::broker::count;
use crate::inspect::{find, original_fields};
use crate::queue_ref::{queue_registry, QueueRef, GROUP};
use crate::scripts::{ACK_CHUNK, REQUEUE};
use crate::wire::{self, entries, meta_for_requeue, pack, unpack, FIELD};
use crate::{Broker, Result};
use kvdb_core::check_replies;

impl Broker {
    /// Puts up to `limit` dead letters (all when `None`) back on their queue, oldest first, as
    /// first attempts with no expiry and no delay (an expired message would only expire
    /// again). Dead letters that are not broker messages stay. Returns how many went back.
    pub async fn requeue_dead(&self, queue: &QueueRef, limit: Option<usize>) -> Result<u64> {
        queue.validate()?;
        let keys = queue.keys(self.namespace());
        let mut remaining = limit.unwrap_or(usize::MAX);
        let mut start = String::from("-");
        let mut requeued = 0;
        while remaining > 0 {
            let chunk = remaining.min(ACK_CHUNK / 2);
            let reply: Value = self
                .store()
                .query(
                    redis::cmd("XRANGE")
                        .arg(&keys.dead)
                        .arg(&start)
                        .arg("+")
                        .arg("COUNT")
                        .arg(chunk),
                )
                .await?;
            let batch = entries(reply);
            let Some(last) = batch.last() else {
                break;
            };
            start = format!("({}", last.id);
            let read = batch.len();
            let mut args: Vec<Vec<u8>> = Vec::with_capacity(read * 2);
            for entry in &batch {
                let original = original_fields(entry);
                let Some(packed) = find(original, FIELD.as_bytes()) else {
                    continue;
                };
                if wire::decode_packed(packed).is_err() {
                    continue;
                }
                let Ok((_, meta, payload)) = unpack(packed) else {
                    continue;
                };
                let Some(meta) = meta_for_requeue(meta) else {
                    continue;
                };
                args.push(entry.id.clone().into_bytes());
                args.push(pack(1, &meta, payload));
            }
            if !args.is_empty() {
                let moved: u64 = REQUEUE
                    .invoke(
                        &**self.store(),
                        &[&keys.dead, &keys.stream, &keys.stats],
                        &args,
                    )
                    .await?;
                requeued += moved;
                remaining = remaining.saturating_sub(moved as usize);
            }
            if read < chunk {
                break;
            }
        }
        Ok(requeued)
    }

    /// Removes every waiting, in-flight and delayed message of a queue (dead letters and
    /// counters stay); returns how many went. Atomic. Workers holding a purged message
    /// find it gone when they acknowledge it.
    pub async fn purge(&self, queue: &QueueRef) -> Result<u64> {
        queue.validate()?;
        let keys = queue.keys(self.namespace());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("XLEN")
            .arg(&keys.stream)
            .cmd("ZCARD")
            .arg(&keys.delayed)
            .cmd("DEL")
            .arg(&keys.stream)
            .arg(&keys.delayed)
            .ignore()
            // The group goes with the stream: make it again, so workers carry on.
            .cmd("XGROUP")
            .arg("CREATE")
            .arg(&keys.stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .ignore();
        let replies = self.store().req_pipeline(&pipe).await?;
        check_replies(&pipe, &replies)?;
        Ok(replies.iter().take(2).map(count).sum())
    }

    /// Removes every dead letter of a queue; returns how many went.
    pub async fn purge_dead(&self, queue: &QueueRef) -> Result<u64> {
        queue.validate()?;
        let keys = queue.keys(self.namespace());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("XLEN")
            .arg(&keys.dead)
            .cmd("DEL")
            .arg(&keys.dead)
            .ignore();
        let (removed,): (u64,) = self.store().query_pipeline(&pipe).await?;
        Ok(removed)
    }

    /// Deletes a queue or subscription with everything it holds (messages, dead letters,
    /// counters) and takes it off the registry; returns whether it existed. Workers still
    /// reading it make it again (empty).
    pub async fn delete_queue(&self, queue: &QueueRef) -> Result<bool> {
        queue.validate()?;
        let name = match queue {
            QueueRef::Subscription { topic, name } => {
                return self.delete_subscription(topic, name).await;
            }
            QueueRef::Queue(name) => name,
        };
        let keys = queue.keys(self.namespace());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("DEL")
            .arg(&keys.stream)
            .arg(&keys.delayed)
            .arg(&keys.dead)
            .arg(&keys.stats);
        let (deleted,): (u64,) = self.store().query_pipeline(&pipe).await?;
        let listed: u64 = self
            .store()
            .query(
                redis::cmd("SREM")
                    .arg(queue_registry(self.namespace()))
                    .arg(name),
            )
            .await?;
        self.forget_registered(name);
        Ok(deleted + listed > 0)
    }
}
