//! `kvdb broker send | publish | queues | dead | requeue | purge`.

use std::time::Duration;

use kvdb_broker::{Broker, InvokeOptions, Payload, QueueRef};

use crate::cli::BrokerCommand;
use crate::commands::Context;
use crate::output::Spinner;
use crate::CliError;

pub(crate) async fn run(ctx: &Context, command: BrokerCommand) -> Result<(), CliError> {
    let broker = Broker::new(ctx.store().await?);
    match command {
        BrokerCommand::Send {
            service,
            payload,
            delay,
            expires_in,
            callback,
        } => {
            let mut options = InvokeOptions::default();
            if let Some(delay) = delay {
                options = options.delay(duration("--delay", &delay)?);
            }
            if let Some(expires_in) = expires_in {
                options = options.expires_in(duration("--expires-in", &expires_in)?);
            }
            if let Some(callback) = callback {
                options = options.callback(&callback);
            }
            let id = broker
                .invoke_async_with(&service, payload_of(&payload), options)
                .await?;
            if ctx.out.json {
                ctx.out
                    .json(&serde_json::json!({ "id": id.as_str(), "service": service }))
            } else {
                println!("{}", id.as_str());
                Ok(())
            }
        }
        BrokerCommand::Publish { topic, payload } => {
            let published = broker.publish(&topic, payload_of(&payload)).await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({
                    "id": published.id.as_str(),
                    "subscriptions": published.subscriptions,
                    "listeners": published.listeners,
                }))
            } else {
                println!(
                    "{} published to {} durable subscription(s) and {} listener(s)",
                    published.id.as_str(),
                    published.subscriptions,
                    published.listeners
                );
                Ok(())
            }
        }
        BrokerCommand::Queues => {
            let queues = broker.queues().await?;
            if ctx.out.json {
                return ctx.out.json(&queues);
            }
            if queues.is_empty() {
                println!("no queues yet");
                return Ok(());
            }
            let rows: Vec<[String; 10]> = queues
                .iter()
                .map(|q| {
                    [
                        q.queue.to_string(),
                        q.depth.to_string(),
                        q.in_flight.to_string(),
                        q.delayed.to_string(),
                        q.dead.to_string(),
                        q.consumers.to_string(),
                        q.counters.sent.to_string(),
                        q.counters.acked.to_string(),
                        q.counters.retried.to_string(),
                        q.counters.expired.to_string(),
                    ]
                })
                .collect();
            ctx.out.table(
                [
                    "queue",
                    "depth",
                    "in flight",
                    "delayed",
                    "dead",
                    "consumers",
                    "sent",
                    "acked",
                    "retried",
                    "expired",
                ],
                &rows,
            );
            Ok(())
        }
        BrokerCommand::Dead { queue, n } => {
            let queue = queue_ref(&queue)?;
            let dead = broker.dead_letters(&queue, n).await?;
            if ctx.out.json {
                return ctx.out.json(&dead);
            }
            if dead.is_empty() {
                println!("no dead letters in {queue}");
                return Ok(());
            }
            let rows: Vec<[String; 5]> = dead
                .iter()
                .map(|d| {
                    [
                        d.dead_id.clone(),
                        d.kind.to_string(),
                        d.attempts.to_string(),
                        d.envelope
                            .as_ref()
                            .map(|e| e.id.as_str().to_owned())
                            .unwrap_or_default(),
                        d.reason.clone(),
                    ]
                })
                .collect();
            ctx.out
                .table(["dead id", "kind", "attempts", "message", "reason"], &rows);
            Ok(())
        }
        BrokerCommand::Requeue { queue } => {
            let queue = queue_ref(&queue)?;
            let count = broker.requeue_dead(&queue, None).await?;
            report_count(ctx, "requeued", count, &queue)
        }
        BrokerCommand::Purge { queue } => {
            let queue = queue_ref(&queue)?;
            let spinner = Spinner::start(&ctx.out, &format!("purging {queue}"));
            let count = broker.purge(&queue).await;
            spinner.finish();
            report_count(ctx, "purged", count?, &queue)
        }
    }
}

fn report_count(ctx: &Context, what: &str, count: u64, queue: &QueueRef) -> Result<(), CliError> {
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ what: count, "queue": queue.to_string() }))
    } else {
        println!("{what} {count} message(s) of {queue}");
        Ok(())
    }
}

fn queue_ref(text: &str) -> Result<QueueRef, CliError> {
    text.parse()
        .map_err(|e: kvdb_broker::Error| CliError::Input(e.to_string()))
}

/// JSON if the text is JSON, otherwise the text as a JSON string.
fn payload_of(text: &str) -> Payload {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => Payload::from(value),
        Err(_) => Payload::from(serde_json::Value::String(text.to_owned())),
    }
}

fn duration(flag: &str, text: &str) -> Result<Duration, CliError> {
    humantime::parse_duration(text)
        .map_err(|e| CliError::Input(format!("{flag} {text:?}: {e} (examples: 10s, 5m, 1h)")))
}
