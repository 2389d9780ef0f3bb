//! One queue's fetch loop, and what happens to each message it fetches.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use kvdb_core::redis::{self, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::control::{ErrorBackoff, Stop};
use crate::envelope::{after_ms, now_ms};
use crate::queue_ref::{queue_registry, GROUP};
use crate::settle::QueueCtx;
use crate::wire::{self, repack, RawEntry};
use crate::{DeadLetterKind, Envelope, ExpiredPolicy, InvokeOptions, QueueRef};

/// Header of a callback message: the id of the message whose handler produced the result.
pub const CORRELATION_ID: &str = "correlation-id";
/// Header of a callback message: the service whose handler produced the result.
pub const CALLBACK_OF: &str = "callback-of";

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
    crate::broker::check_replies(&pipe, &replies)?;
    if let QueueRef::Queue(name) = queue {
        broker.note_registered(name);
    }
    Ok(())
}

/// Handles one delivery from start to settlement.
async fn process(ctx: &QueueCtx, entry: RawEntry) {
    let envelope = match wire::decode(&entry.fields) {
        Ok(envelope) => envelope,
        Err(reason) => {
            tracing::warn!(queue = %ctx.queue, id = %entry.id, "malformed entry: {reason}");
            ctx.dead_letter(&entry, DeadLetterKind::Malformed, &reason, 0)
                .await;
            return;
        }
    };
    let now = now_ms();
    if envelope.is_expired_at(now) {
        match ctx.options.expired {
            ExpiredPolicy::Drop => ctx.drop_entry(&entry.id, "expired").await,
            ExpiredPolicy::DeadLetter => {
                let reason = format!(
                    "expired at {} ms, {} ms before a worker received it",
                    envelope.expires_at.unwrap_or_default(),
                    now.saturating_sub(envelope.expires_at.unwrap_or_default())
                );
                ctx.dead_letter(&entry, DeadLetterKind::Expired, &reason, envelope.attempt)
                    .await;
            }
        }
        return;
    }
    let Some(handler) = ctx.dispatch.handler_for(&envelope.target) else {
        no_handler(ctx, &entry, &envelope, now).await;
        return;
    };
    let attempt = envelope.attempt;
    let id = envelope.id.clone();
    let target = envelope.target.clone();
    let callback = envelope.callback.clone();
    let outcome = AssertUnwindSafe(handler.handle(envelope))
        .catch_unwind()
        .await;
    let failure = match outcome {
        Ok(Ok(result)) => {
            match callback {
                None => None,
                Some(callback) => {
                    let options = InvokeOptions::default()
                        .header(CORRELATION_ID, id.as_str())
                        .header(CALLBACK_OF, &target);
                    ctx.broker
                    .invoke_async_with(&callback, result, options)
                    .await
                    .err()
                    .map(|err| {
                        format!("the result could not be sent to callback service {callback:?}: {err}")
                    })
                }
            }
        }
        Ok(Err(err)) => Some(err.to_string()),
        Err(panic) => Some(format!("handler panicked: {}", panic_text(&*panic))),
    };
    match failure {
        None => {
            // The acker is gone only when the worker is being torn down: the message is then
            // redelivered after the visibility timeout.
            let _ = ctx.acks.send(entry.id);
        }
        Some(reason) => fail(ctx, &entry, attempt, &reason).await,
    }
}

/// A failed attempt: retry after the backoff, or dead-letter after the last attempt.
async fn fail(ctx: &QueueCtx, entry: &RawEntry, attempt: u32, reason: &str) {
    let policy = &ctx.options.retry;
    if attempt >= policy.max_attempts {
        tracing::debug!(queue = %ctx.queue, id = %entry.id, attempt, "dead-lettering: {reason}");
        ctx.dead_letter(entry, DeadLetterKind::Failed, reason, attempt)
            .await;
        return;
    }
    tracing::debug!(queue = %ctx.queue, id = %entry.id, attempt, "retrying: {reason}");
    let due = after_ms(now_ms(), policy.backoff(attempt));
    // The entry decoded before the handler ran, so it repacks.
    let member = repack(
        entry.packed().unwrap_or_default(),
        attempt.saturating_add(1),
    )
    .unwrap_or_default();
    ctx.retry(&entry.id, due, member, "retried").await;
}

/// A message for a service this worker has no handler for: offered again later (another
/// worker may have one), dead-lettered once the grace period is over.
async fn no_handler(ctx: &QueueCtx, entry: &RawEntry, envelope: &Envelope, now: u64) {
    let grace = ctx.options.no_handler_grace;
    let since = envelope.deliver_at.unwrap_or(envelope.created_at);
    let give_up_at = after_ms(since, grace);
    if now >= give_up_at {
        let reason = format!(
            "no handler for service {:?} on queue {} within the grace period of {grace:?}",
            envelope.target, ctx.queue
        );
        ctx.dead_letter(entry, DeadLetterKind::NoHandler, &reason, envelope.attempt)
            .await;
        return;
    }
    // Offered again several times within the grace, to whichever worker reads next.
    let step = (grace / 8).max(ctx.options.poll_interval);
    let wait = Duration::from_millis(give_up_at - now).min(step);
    let member = entry.packed().unwrap_or_default().to_vec();
    ctx.retry(&entry.id, after_ms(now, wait), member, "").await;
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}
