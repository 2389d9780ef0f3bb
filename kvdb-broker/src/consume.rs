//! One queue's fetch loop: reads in batches, within the worker's concurrency.

use std::sync::Arc;

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use kvdb_core::redis::{self, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::control::{ErrorBackoff, Stop};
use crate::delivery::process;
use crate::queue_ref::{queue_registry, GROUP};
use crate::settle::QueueCtx;
use crate::wire;
use crate::QueueRef;

/// Fetches batches from one queue and hands each batch to a task of its own, while permits
/// (the worker's concurrency) allow. Returns, once stopped, how many handlers were cut off at
/// the deadline.
///
/// While messages keep coming it reads without blocking, a batch at a time, holding a permit
/// for each message it may receive. Once a read comes back empty it waits for one message with
/// a blocking read that holds no permit (it takes one when the message comes): so a worker
/// reading many queues does not tie up its concurrency in reads that wait on idle queues.
pub(crate) async fn run_queue(ctx: Arc<QueueCtx>, permits: Arc<Semaphore>) -> usize {
    let mut stop = ctx.stop.clone();
    let mut tasks = JoinSet::new();
    let mut errors = ErrorBackoff::default();
    let batch_size = ctx.options.batch_size.max(1);
    let block_ms = ctx.options.block.as_millis().max(1) as u64;
    let mut idle = false;
    while !stop.is_stopping() {
        while tasks.try_join_next().is_some() {}
        // Read only when a handler could start: wait for a free permit.
        let Some(mut first) = acquire(&permits, &mut stop, false).await else {
            break;
        };
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP").arg(GROUP).arg(&ctx.consumer).arg("COUNT");
        let held = if idle {
            drop(first);
            read.arg(1).arg("BLOCK").arg(block_ms);
            None
        } else {
            let more = permits.available_permits().min(batch_size - 1);
            if more > 0 {
                if let Ok(extra) = permits.clone().try_acquire_many_owned(more as u32) {
                    first.merge(extra);
                }
            }
            read.arg(first.num_permits());
            Some(first)
        };
        read.arg("STREAMS").arg(&ctx.keys.stream).arg(">");
        let reading = ctx.broker.store().req_command(&read);
        tokio::pin!(reading);
        let reply = tokio::select! {
            reply = &mut reading => reply,
            // A read dropped now would still run on the server and could take messages for
            // a consumer that is gone (they would wait out the visibility timeout): let it
            // end (within the block time) and handle what it brings, unless the deadline
            // comes first.
            _ = stop.stopping() => {
                let deadline = stop.deadline().unwrap_or_else(Instant::now);
                match tokio::time::timeout_at(deadline, &mut reading).await {
                    Ok(reply) => reply,
                    Err(_) => break,
                }
            }
        };
        match reply {
            Ok(Value::Nil) => {
                errors.reset();
                idle = true;
            }
            Ok(reply) => {
                errors.reset();
                let held = match held {
                    Some(held) => held,
                    // The message is ours now: wait for a permit for it (until the deadline,
                    // when stopping).
                    None => match acquire(&permits, &mut stop, true).await {
                        Some(permit) => permit,
                        None => break,
                    },
                };
                idle = false;
                tasks.spawn(run_batch(ctx.clone(), reply, held));
            }
            Err(err) if err.server_code() == Some("NOGROUP") => {
                tracing::info!(queue = %ctx.queue, "the queue's group is gone; making it again");
                if let Err(err) = ensure_group(&ctx).await {
                    tracing::warn!(queue = %ctx.queue, "cannot make the queue's group: {err}");
                    stop.sleep(errors.next_wait()).await;
                }
            }
            Err(err) => {
                let wait = errors.next_wait();
                if err.is_retryable() {
                    tracing::debug!(queue = %ctx.queue, "read failed, again in {wait:?}: {err}");
                } else {
                    tracing::warn!(queue = %ctx.queue, "read failed, again in {wait:?}: {err}");
                }
                stop.sleep(wait).await;
            }
        }
    }
    let deadline = stop.deadline().unwrap_or_else(Instant::now);
    let drained = tokio::time::timeout_at(deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    let abandoned = if drained.is_ok() { 0 } else { tasks.len() };
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    abandoned
}

/// One permit, or `None` once the worker stops; with `until_deadline` (for a message already
/// taken), `None` only once the stop deadline passes.
async fn acquire(
    permits: &Arc<Semaphore>,
    stop: &mut Stop,
    until_deadline: bool,
) -> Option<OwnedSemaphorePermit> {
    let acquiring = permits.clone().acquire_owned();
    tokio::pin!(acquiring);
    tokio::select! {
        permit = &mut acquiring => permit.ok(),
        _ = stop.stopping() => {
            if !until_deadline {
                return None;
            }
            let deadline = stop.deadline().unwrap_or_else(Instant::now);
            tokio::time::timeout_at(deadline, acquiring).await.ok()?.ok()
        }
    }
}

/// Handles one fetched batch: its messages run concurrently inside this one task (no task
/// per message, so no wake-up of another thread per message), each giving its permit back
/// when done; permits the batch did not need go back at once.
async fn run_batch(ctx: Arc<QueueCtx>, reply: Value, mut held: OwnedSemaphorePermit) {
    let mut running = FuturesUnordered::new();
    for entry in wire::read_reply_entries(reply) {
        let permit = held.split(1);
        let ctx = &ctx;
        running.push(async move {
            process(ctx, entry).await;
            drop(permit);
        });
    }
    drop(held);
    while running.next().await.is_some() {}
}

/// Makes the queue's consumer group (reading from the start, so nothing sent before any
/// worker ran is missed) and registers a plain queue. Idempotent.
pub(crate) async fn ensure_group(ctx: &QueueCtx) -> crate::Result<()> {
    make_group(&ctx.broker, &ctx.queue).await
}

/// [`ensure_group`] for a queue, before any loop runs.
pub(crate) async fn make_group(broker: &crate::Broker, queue: &QueueRef) -> crate::Result<()> {
    let keys = queue.keys(broker.namespace());
    let mut pipe = redis::pipe();
    pipe.cmd("XGROUP")
        .arg("CREATE")
        .arg(&keys.stream)
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM");
    if let QueueRef::Queue(name) = queue {
        pipe.cmd("SADD")
            .arg(queue_registry(broker.namespace()))
            .arg(name);
    }
    let mut replies = broker.store().req_pipeline(&pipe).await?;
    if matches!(replies.first(), Some(Value::ServerError(e)) if e.code() == "BUSYGROUP") {
        replies[0] = Value::Okay;
    }
    kvdb_core::check_replies(&pipe, &replies)?;
    if let QueueRef::Queue(name) = queue {
        broker.note_registered(name);
    }
    Ok(())
}
