//! A queue's housekeeping, run by every worker that reads it: promoting due delayed
//! messages, taking over messages whose worker died or hangs, forgetting dead consumers.

use std::sync::Arc;
use std::time::Duration;

use kvdb_core::redis::Value;
use tokio::time::Instant;

use crate::consume::ensure_group;
use crate::envelope::now_ms;
use crate::queue_ref::{QueueKeys, GROUP};
use crate::scripts::{FORGET_CONSUMERS, PROMOTE, RECLAIM};
use crate::settle::QueueCtx;
use crate::wire::{number, text};
use kvdb_core::KvStore;

/// Delayed messages moved per script call (each call is atomic and short).
const PROMOTE_LIMIT: u64 = 1000;
/// Pending entries examined per reclaim call.
const RECLAIM_COUNT: u64 = 500;
/// Reclaim calls per round, at most (the rest waits for the next round).
const RECLAIM_ROUNDS: usize = 20;
/// How often idle consumers are looked for.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Runs until the worker stops.
pub(crate) async fn run_maintenance(ctx: Arc<QueueCtx>) {
    let mut stop = ctx.stop.clone();
    let options = &ctx.options;
    let reclaim_every = (options.visibility_timeout / 4)
        .max(Duration::from_millis(10))
        .min(Duration::from_secs(5));
    let mut next_reclaim = Instant::now() + reclaim_every;
    let mut next_forget = Instant::now() + FORGET_EVERY;
    loop {
        let mut wait = options.poll_interval;
        match promote(&ctx).await {
            Ok(Some(due)) => {
                let until_due = Duration::from_millis((due + 1).saturating_sub(now_ms()));
                wait = wait.min(until_due.max(Duration::from_millis(1)));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::debug!(queue = %ctx.queue, "promoting delayed messages failed: {err}")
            }
        }
        if Instant::now() >= next_reclaim {
            if let Err(err) = reclaim(&ctx).await {
                if err.server_code() == Some("NOGROUP") {
                    let _ = ensure_group(&ctx).await;
                } else {
                    tracing::debug!(queue = %ctx.queue, "reclaiming failed: {err}");
                }
            }
            next_reclaim = Instant::now() + reclaim_every;
        }
        if Instant::now() >= next_forget {
            let idle = options.forget_consumers_after.as_millis() as u64;
            let store = &**ctx.broker.store();
            if let Err(err) = forget_consumers(store, &ctx.keys, idle, "").await {
                tracing::debug!(queue = %ctx.queue, "forgetting idle consumers failed: {err}");
            }
            next_forget = Instant::now() + FORGET_EVERY;
        }
        if stop.sleep(wait).await {
            return;
        }
    }
}

/// Moves every due delayed message onto the stream; returns when the next one is due.
async fn promote(ctx: &QueueCtx) -> kvdb_core::Result<Option<u64>> {
    loop {
        let (moved, next): (u64, i64) = PROMOTE
            .invoke(
                &**ctx.broker.store(),
                &[&ctx.keys.delayed, &ctx.keys.stream],
                &[now_ms(), PROMOTE_LIMIT],
            )
            .await?;
        if moved < PROMOTE_LIMIT {
            return Ok(u64::try_from(next).ok());
        }
    }
}

/// Takes over entries pending longer than the visibility timeout: each goes back on the
/// stream as its next attempt, or to the dead letters after the last.
async fn reclaim(ctx: &QueueCtx) -> kvdb_core::Result<()> {
    let options = &ctx.options;
    let reason = format!(
        "not settled within the visibility timeout of {:?} on any of {} attempts \
         (its workers stopped or hung)",
        options.visibility_timeout, options.retry.max_attempts
    );
    let min_idle = options.visibility_timeout.as_millis().max(1).to_string();
    let mut cursor = String::from("0-0");
    for _ in 0..RECLAIM_ROUNDS {
        let now = now_ms().to_string();
        let reply: Vec<Value> = RECLAIM
            .invoke(
                &**ctx.broker.store(),
                &[&ctx.keys.stream, &ctx.keys.dead, &ctx.keys.stats],
                &[
                    GROUP,
                    &ctx.consumer,
                    &min_idle,
                    &RECLAIM_COUNT.to_string(),
                    &options.retry.max_attempts.to_string(),
                    &ctx.broker.options().dead_letter_cap.to_string(),
                    &now,
                    &reason,
                    &cursor,
                ],
            )
            .await?;
        let mut reply = reply.into_iter();
        let next = reply.next().and_then(text).unwrap_or_default();
        let requeued = reply.next().as_ref().and_then(number).unwrap_or(0);
        let dead = reply.next().as_ref().and_then(number).unwrap_or(0);
        if requeued + dead > 0 {
            tracing::info!(
                queue = %ctx.queue, requeued, dead,
                "took over messages left unsettled past the visibility timeout"
            );
        }
        if next == "0-0" || next.is_empty() {
            break;
        }
        cursor = next;
    }
    Ok(())
}

/// Removes consumers that hold nothing and were idle longer than `idle_ms`, and `consumer`
/// itself if it holds nothing.
pub(crate) async fn forget_consumers(
    store: &dyn KvStore,
    keys: &QueueKeys,
    idle_ms: u64,
    consumer: &str,
) -> kvdb_core::Result<u64> {
    FORGET_CONSUMERS
        .invoke(
            store,
            &[&keys.stream],
            &[GROUP, &idle_ms.to_string(), consumer],
        )
        .await
}
