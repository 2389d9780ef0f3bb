//! Settling deliveries: acknowledgements in batches (the success path), and one atomic
//! script call for each retry, dead letter or drop.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::control::{ErrorBackoff, Stop};
use crate::envelope::now_ms;
use crate::queue_ref::{QueueKeys, GROUP};
use crate::scripts::{ACK, ACK_CHUNK, SETTLE};
use crate::wire::RawEntry;
use crate::{Broker, DeadLetterKind, Handler, QueueRef, WorkerOptions};

/// Which handler a message goes to.
#[derive(Clone)]
pub(crate) enum Dispatch {
    /// A plain queue: by the message's target service.
    Services(Arc<HashMap<String, Arc<dyn Handler>>>),
    /// A subscription: every message to its one handler.
    Single(Arc<dyn Handler>),
}

impl Dispatch {
    pub(crate) fn handler_for(&self, target: &str) -> Option<&Arc<dyn Handler>> {
        match self {
            Dispatch::Services(services) => services.get(target),
            Dispatch::Single(handler) => Some(handler),
        }
    }
}

/// What every task working on one queue shares.
pub(crate) struct QueueCtx {
    pub(crate) broker: Broker,
    pub(crate) queue: QueueRef,
    pub(crate) keys: QueueKeys,
    pub(crate) consumer: String,
    pub(crate) options: Arc<WorkerOptions>,
    pub(crate) dispatch: Dispatch,
    pub(crate) acks: mpsc::UnboundedSender<String>,
    pub(crate) stop: Stop,
}

impl fmt::Debug for QueueCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueCtx")
            .field("queue", &self.queue)
            .field("consumer", &self.consumer)
            .finish_non_exhaustive()
    }
}

impl QueueCtx {
    /// Schedules the delivery again at `due` (ms) as `member` (a packed message), counting
    /// it under `counter` unless that is empty.
    pub(crate) async fn retry(&self, id: &str, due: u64, member: Vec<u8>, counter: &str) {
        let args = vec![
            GROUP.as_bytes().to_vec(),
            id.as_bytes().to_vec(),
            b"retry".to_vec(),
            due.to_string().into_bytes(),
            member,
            counter.as_bytes().to_vec(),
        ];
        self.settle(id, args).await;
    }

    /// Moves the delivery to the dead letters with its fields as they were.
    pub(crate) async fn dead_letter(
        &self,
        entry: &RawEntry,
        kind: DeadLetterKind,
        reason: &str,
        attempts: u32,
    ) {
        let extra = if kind == DeadLetterKind::Expired {
            "expired"
        } else {
            ""
        };
        let mut args = vec![
            GROUP.as_bytes().to_vec(),
            entry.id.as_bytes().to_vec(),
            b"dead".to_vec(),
            self.broker
                .options()
                .dead_letter_cap
                .to_string()
                .into_bytes(),
            kind.as_str().as_bytes().to_vec(),
            reason.as_bytes().to_vec(),
            attempts.to_string().into_bytes(),
            now_ms().to_string().into_bytes(),
            extra.as_bytes().to_vec(),
        ];
        for (field, value) in &entry.fields {
            args.push(field.clone());
            args.push(value.clone());
        }
        self.settle(&entry.id, args).await;
    }

    /// Acknowledges and deletes the delivery without handling it, counting it.
    pub(crate) async fn drop_entry(&self, id: &str, counter: &str) {
        let args = vec![
            GROUP.as_bytes().to_vec(),
            id.as_bytes().to_vec(),
            b"drop".to_vec(),
            counter.as_bytes().to_vec(),
        ];
        self.settle(id, args).await;
    }

    /// Runs the settle script, trying again on retryable errors until the stop deadline.
    /// Running it twice is harmless: the second run finds the delivery settled.
    async fn settle(&self, id: &str, args: Vec<Vec<u8>>) {
        let keys = [
            &self.keys.stream,
            &self.keys.delayed,
            &self.keys.dead,
            &self.keys.stats,
        ];
        let mut backoff = ErrorBackoff::default();
        let stop = &self.stop;
        loop {
            match SETTLE
                .invoke::<_, _, _, i64>(&**self.broker.store(), &keys, &args)
                .await
            {
                Ok(_) => return,
                Err(err) if err.is_retryable() && !stop.is_past_deadline() => {
                    tracing::debug!(queue = %self.queue, id, "settling failed, trying again: {err}");
                    stop.pause(backoff.next_wait()).await;
                }
                Err(err) => {
                    tracing::warn!(
                        queue = %self.queue, id,
                        "cannot settle the delivery; it will be redelivered after the visibility timeout: {err}"
                    );
                    return;
                }
            }
        }
    }
}

/// Acknowledges handled messages in batches: everything that arrives while one batch is on
/// its way goes in the next, so the cost is one script call per batch, not per message.
/// Ends when every sender is gone (the queue's loop and its handler tasks finished).
pub(crate) async fn run_acker(
    broker: Broker,
    keys: QueueKeys,
    queue: QueueRef,
    mut acks: mpsc::UnboundedReceiver<String>,
    stop: Stop,
) {
    let mut batch: Vec<String> = Vec::with_capacity(ACK_CHUNK);
    while let Some(id) = acks.recv().await {
        batch.push(id);
        while batch.len() < ACK_CHUNK {
            match acks.try_recv() {
                Ok(id) => batch.push(id),
                Err(_) => break,
            }
        }
        let args: Vec<&str> = std::iter::once(GROUP)
            .chain(batch.iter().map(String::as_str))
            .collect();
        let mut backoff = ErrorBackoff::default();
        loop {
            match ACK
                .invoke::<_, _, _, i64>(&**broker.store(), &[&keys.stream, &keys.stats], &args)
                .await
            {
                Ok(_) => break,
                Err(err) if err.is_retryable() && !stop.is_past_deadline() => {
                    tracing::debug!(%queue, "acknowledging failed, trying again: {err}");
                    stop.pause(backoff.next_wait()).await;
                }
                Err(err) => {
                    tracing::warn!(
                        %queue, count = batch.len(),
                        "cannot acknowledge; the messages will be redelivered: {err}"
                    );
                    break;
                }
            }
        }
        drop(args);
        batch.clear();
    }
}
