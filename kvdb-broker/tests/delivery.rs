//! 1:1 delivery: every message handled exactly once across workers, big backlogs, batches.

mod common;

use std::time::Duration;

use common::{broker, fast, wait_for, Tally};
use kvdb_broker::{Envelope, HandlerError, Invocation, InvokeOptions, QueueRef, Worker};
use kvdb_test::RedisServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_four_workers_each_handled_exactly_once() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let tally = tally.clone();
        let worker = Worker::new(&broker)
            .options(fast().concurrency(16).batch_size(32))
            .handle("jobs", move |envelope: Envelope| {
                let tally = tally.clone();
                async move {
                    let n: u64 = envelope.json::<serde_json::Value>()?["n"]
                        .as_u64()
                        .ok_or_else(|| HandlerError::new("no n"))?;
                    tally.add(&n.to_string());
                    Ok::<_, HandlerError>(())
                }
            })
            .start()
            .await
            .unwrap();
        workers.push(worker);
    }
    for chunk in (0..10_000u64).collect::<Vec<_>>().chunks(500) {
        let batch = chunk
            .iter()
            .map(|n| Invocation::new("jobs", json!({ "n": n })))
            .collect();
        assert_eq!(broker.invoke_batch(batch).await.unwrap().len(), chunk.len());
    }
    wait_for(Duration::from_secs(30), "10,000 handled", || async {
        tally.total() >= 10_000
    })
    .await;
    // Nothing more arrives: no message is handled twice.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(tally.distinct(), 10_000);
    assert_eq!(tally.total(), 10_000, "some message was handled twice");
    let queue = QueueRef::queue("jobs");
    wait_for(Duration::from_secs(5), "all acked", || async {
        broker.stats(&queue).await.unwrap().counters.acked == 10_000
    })
    .await;
    let stats = broker.stats(&queue).await.unwrap();
    assert_eq!((stats.depth, stats.in_flight, stats.dead), (0, 0, 0));
    assert_eq!(stats.counters.sent, 10_000);
    assert_eq!(stats.consumers, 4);
    for worker in workers {
        assert_eq!(worker.shutdown(Duration::from_secs(5)).await.abandoned, 0);
    }
    // Graceful workers leave the group; acknowledged entries are gone from the stream.
    assert_eq!(broker.stats(&queue).await.unwrap().consumers, 0);
    let length: u64 = kvdb_core::KvStoreExt::xlen(&**broker.store(), "t:{broker:jobs}:stream")
        .await
        .unwrap();
    assert_eq!(length, 0, "acknowledged history is trimmed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_of_100_000_sent_before_any_worker_is_consumed() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    // 90,000 ready, and 10,000 delayed that are all due at once when the worker starts
    // (more than a Lua unpack could take in one go).
    for chunk in (0..100_000u64).collect::<Vec<_>>().chunks(2_000) {
        let batch = chunk
            .iter()
            .map(|n| {
                let options = if *n >= 90_000 {
                    InvokeOptions::default().delay(Duration::from_millis(1))
                } else {
                    InvokeOptions::default()
                };
                Invocation::new("backlog", json!(n)).options(options)
            })
            .collect();
        broker.invoke_batch(batch).await.unwrap();
    }
    let queue = QueueRef::queue("backlog");
    let before = broker.stats(&queue).await.unwrap();
    assert_eq!((before.depth, before.delayed), (90_000, 10_000));

    let tally = Tally::default();
    let handler_tally = tally.clone();
    let worker = Worker::new(&broker)
        .options(fast())
        .handle("backlog", move |envelope: Envelope| {
            let tally = handler_tally.clone();
            async move {
                tally.add(envelope.id.as_str());
                Ok::<_, HandlerError>(())
            }
        })
        .start()
        .await
        .unwrap();
    wait_for(Duration::from_secs(60), "100,000 handled", || async {
        tally.total() >= 100_000
    })
    .await;
    wait_for(Duration::from_secs(5), "all acked", || async {
        broker.stats(&queue).await.unwrap().counters.acked == 100_000
    })
    .await;
    let after = broker.stats(&queue).await.unwrap();
    assert_eq!(tally.distinct(), 100_000);
    assert_eq!((after.depth, after.delayed, after.dead), (0, 0, 0));
    worker.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_batch_send_is_one_pipeline_and_keeps_order() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let batch: Vec<Invocation> = (0..100)
        .map(|n| Invocation::new(if n % 2 == 0 { "even" } else { "odd" }, json!(n)))
        .collect();
    let ids = broker.invoke_batch(batch).await.unwrap();
    assert_eq!(ids.len(), 100);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 100, "ids are unique");
    let even = broker.stats(&QueueRef::queue("even")).await.unwrap();
    let odd = broker.stats(&QueueRef::queue("odd")).await.unwrap();
    assert_eq!((even.depth, odd.depth), (50, 50));
    assert_eq!(broker.queue_names().await.unwrap(), ["even", "odd"]);
    assert!(broker.invoke_batch(Vec::new()).await.unwrap().is_empty());
}

#[tokio::test]
async fn idle_queues_do_not_hold_the_concurrency_a_busy_queue_needs() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let mut worker = Worker::new(&broker).options(
        fast()
            .concurrency(2)
            .block(Duration::from_secs(5))
            .visibility_timeout(Duration::from_secs(30)),
    );
    for service in ["busy", "idle1", "idle2", "idle3", "idle4", "idle5"] {
        let tally = tally.clone();
        worker = worker.handle(service, move |envelope: Envelope| {
            let tally = tally.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                tally.add(envelope.id.as_str());
                Ok::<_, HandlerError>(())
            }
        });
    }
    let worker = worker.start().await.unwrap();
    // Let every idle queue settle into its blocking read.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let batch = (0..100)
        .map(|n| Invocation::new("busy", json!(n)))
        .collect();
    broker.invoke_batch(batch).await.unwrap();
    wait_for(Duration::from_secs(4), "the busy queue drained", || async {
        tally.total() == 100
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // An idle queue still answers at once.
    broker.invoke_async("idle3", json!(0)).await.unwrap();
    wait_for(
        Duration::from_secs(2),
        "the idle queue's message",
        || async { tally.total() == 101 },
    )
    .await;
    worker.shutdown(Duration::from_secs(1)).await;
}
