//! What happens to one delivery: decode, expiry, dispatch, the handler, then success (ack and
//! callback) or failure (retry or dead letter).

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use crate::envelope::{after_ms, now_ms, CALLBACK_OF, CORRELATION_ID};
use crate::settle::QueueCtx;
use crate::wire::{self, repack, RawEntry};
use crate::{DeadLetterKind, Envelope, ExpiredPolicy, InvokeOptions};

/// Handles one delivery from start to settlement.
pub(crate) async fn process(ctx: &QueueCtx, entry: RawEntry) {
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
