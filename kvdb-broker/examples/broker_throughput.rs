//! End-to-end 1:1 throughput: send N messages in batches, then let a worker with a no-op
//! handler consume and acknowledge them all; next to a raw redis-rs streams loop (XADD in
//! pipelines of 100; XREADGROUP COUNT 100 with the XACKs pipelined ahead of the next read),
//! measured in the same run on the same private server.
//!
//! `cargo run --release -p kvdb-broker --example broker_throughput [N] [ROUNDS]`
//! (REDIS_URL to use a running server instead of a private one; PHASES=1 to print the send
//! and consume times; KVDB_ONLY=1 to skip the raw loop, for profiling).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvdb_broker::{Broker, Envelope, HandlerError, Invocation, QueueRef, Worker};
use kvdb_core::redis::{self, AsyncCommands};
use kvdb_core::{RedisStore, RedisStoreOptions};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let jobs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let server = match std::env::var("REDIS_URL") {
        Ok(_) => None,
        Err(_) => Some(kvdb_test::RedisServer::start()),
    };
    let url = std::env::var("REDIS_URL")
        .unwrap_or_else(|_| server.as_ref().map(|s| s.url()).unwrap_or_default());

    println!("{jobs} jobs per run, {rounds} rounds, server {url}");
    for round in 0..rounds {
        let raw = if std::env::var("KVDB_ONLY").is_ok() {
            f64::NAN
        } else {
            raw_loop(&url, jobs, round).await?
        };
        let kvdb = kvdb_loop(&url, jobs, round).await?;
        println!(
            "round {round}: raw {:>8.0} jobs/s   kvdb {:>8.0} jobs/s   ratio {:.2}",
            raw,
            kvdb,
            kvdb / raw
        );
    }
    Ok(())
}

async fn raw_loop(url: &str, jobs: u64, round: usize) -> redis::RedisResult<f64> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let stream = format!("raw:{round}");
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg("g")
        .arg("0")
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await?;
    let started = Instant::now();
    let mut sent = 0;
    while sent < jobs {
        let mut pipe = redis::pipe();
        for n in sent..(sent + 100).min(jobs) {
            pipe.cmd("XADD")
                .arg(&stream)
                .arg("*")
                .arg("job")
                .arg(format!("{{\"n\":{n}}}"))
                .ignore();
        }
        let _: () = pipe.query_async(&mut conn).await?;
        sent = (sent + 100).min(jobs);
    }
    let mut done = 0;
    let mut pending_acks: Vec<String> = Vec::new();
    while done < jobs {
        let mut pipe = redis::pipe();
        if !pending_acks.is_empty() {
            pipe.cmd("XACK")
                .arg(&stream)
                .arg("g")
                .arg(&pending_acks)
                .ignore();
        }
        pipe.cmd("XREADGROUP")
            .arg("GROUP")
            .arg("g")
            .arg("c")
            .arg("COUNT")
            .arg(100)
            .arg("STREAMS")
            .arg(&stream)
            .arg(">");
        let (reply,): (redis::streams::StreamReadReply,) = pipe.query_async(&mut conn).await?;
        pending_acks.clear();
        for key in reply.keys {
            for entry in key.ids {
                pending_acks.push(entry.id);
                done += 1;
            }
        }
    }
    let _: () = conn.xack(&stream, "g", &pending_acks).await?;
    let rate = jobs as f64 / started.elapsed().as_secs_f64();
    let _: () = conn.del(&stream).await?;
    Ok(rate)
}

async fn kvdb_loop(url: &str, jobs: u64, round: usize) -> kvdb_broker::Result<f64> {
    let store = RedisStore::connect_with(
        url,
        RedisStoreOptions::default().namespace(format!("bench{round}")),
    )
    .await?;
    let broker = Broker::new(Arc::new(store));
    let started = Instant::now();
    let mut sent = 0;
    while sent < jobs {
        let batch = (sent..(sent + 100).min(jobs))
            .map(|n| Invocation::new("noop", json!({ "n": n })))
            .collect();
        broker.invoke_batch(batch).await?;
        sent = (sent + 100).min(jobs);
    }
    let send_time = started.elapsed();
    let handled = Arc::new(AtomicU64::new(0));
    let counter = handled.clone();
    let worker = Worker::new(&broker)
        .handle("noop", move |_envelope: Envelope| {
            counter.fetch_add(1, Ordering::Relaxed);
            async { Ok::<_, HandlerError>(()) }
        })
        .start()
        .await?;
    let queue = QueueRef::queue("noop");
    loop {
        if handled.load(Ordering::Relaxed) >= jobs
            && broker.stats(&queue).await?.counters.acked >= jobs
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let rate = jobs as f64 / started.elapsed().as_secs_f64();
    if std::env::var("PHASES").is_ok() {
        println!(
            "  kvdb send {send_time:?}, consume {:?}",
            started.elapsed() - send_time
        );
    }
    worker.shutdown(Duration::from_secs(5)).await;
    broker.purge(&queue).await?;
    Ok(rate)
}
