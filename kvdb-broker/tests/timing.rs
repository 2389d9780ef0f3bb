//! Time: expired messages are never handled, delayed ones never early.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{broker, fast, wait_for, Tally};
use kvdb_broker::{
    DeadLetterKind, Envelope, ExpiredPolicy, HandlerError, InvokeOptions, QueueRef, Worker,
};
use kvdb_test::RedisServer;
use serde_json::json;

fn tallying(
    broker: &kvdb_broker::Broker,
    tally: &Tally,
    options: kvdb_broker::WorkerOptions,
) -> Worker {
    let tally = tally.clone();
    Worker::new(broker)
        .options(options)
        .handle("svc", move |envelope: Envelope| {
            let tally = tally.clone();
            async move {
                tally.add(&envelope.payload.to_json::<String>()?);
                Ok::<_, HandlerError>(())
            }
        })
}

#[tokio::test]
async fn expired_messages_are_never_handled_and_are_dead_lettered() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let short = InvokeOptions::default().expires_in(Duration::from_millis(50));
    broker
        .invoke_async_with("svc", json!("stale"), short.clone())
        .await
        .unwrap();
    // Delayed past its own expiry: expires while waiting.
    broker
        .invoke_async_with(
            "svc",
            json!("stale-delayed"),
            short.delay(Duration::from_millis(100)),
        )
        .await
        .unwrap();
    let fresh = InvokeOptions::default().expires_in(Duration::from_secs(60));
    broker
        .invoke_async_with("svc", json!("fresh"), fresh)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;

    let tally = Tally::default();
    let worker = tallying(&broker, &tally, fast()).start().await.unwrap();
    let queue = QueueRef::queue("svc");
    wait_for(Duration::from_secs(5), "two expired", || async {
        broker.stats(&queue).await.unwrap().counters.expired == 2
    })
    .await;
    wait_for(Duration::from_secs(5), "the fresh one", || async {
        tally.get("fresh") == 1
    })
    .await;
    assert_eq!(
        tally.total(),
        1,
        "expired messages were handled: {:?}",
        tally.snapshot()
    );
    let dead = broker.dead_letters(&queue, 10).await.unwrap();
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|d| d.kind == DeadLetterKind::Expired));
    assert!(
        dead[0].reason.starts_with("expired at"),
        "{}",
        dead[0].reason
    );
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn expired_messages_can_be_dropped_instead() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let options = InvokeOptions::default().expires_in(Duration::from_millis(20));
    broker
        .invoke_async_with("svc", json!("stale"), options)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(40)).await;
    broker.invoke_async("svc", json!("fresh")).await.unwrap();
    let tally = Tally::default();
    let worker = tallying(&broker, &tally, fast().expired(ExpiredPolicy::Drop))
        .start()
        .await
        .unwrap();
    let queue = QueueRef::queue("svc");
    wait_for(Duration::from_secs(5), "both settled", || async {
        let stats = broker.stats(&queue).await.unwrap();
        stats.counters.expired == 1 && stats.counters.acked == 1
    })
    .await;
    let stats = broker.stats(&queue).await.unwrap();
    assert_eq!((stats.dead, stats.depth, stats.in_flight), (0, 0, 0));
    assert_eq!(tally.snapshot().into_keys().collect::<Vec<_>>(), ["fresh"]);
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn delayed_messages_are_not_delivered_before_their_time() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    type Handled = (String, Instant, u64, Option<u64>);
    let handled: Arc<Mutex<Vec<Handled>>> = Arc::default();
    let seen = handled.clone();
    let worker = Worker::new(&broker)
        .options(fast())
        .handle("svc", move |envelope: Envelope| {
            let seen = seen.clone();
            async move {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis() as u64;
                let name = envelope.payload.to_json()?;
                seen.lock()
                    .unwrap()
                    .push((name, Instant::now(), now_ms, envelope.deliver_at));
                Ok::<_, HandlerError>(())
            }
        })
        .start()
        .await
        .unwrap();
    let sent = Instant::now();
    for (name, delay) in [("late", 300), ("soon", 100), ("now", 0)] {
        let options = InvokeOptions::default().delay(Duration::from_millis(delay));
        broker
            .invoke_async_with("svc", json!(name), options)
            .await
            .unwrap();
    }
    let queue = QueueRef::queue("svc");
    assert_eq!(broker.stats(&queue).await.unwrap().delayed, 2);
    wait_for(Duration::from_secs(5), "all three", || async {
        handled.lock().unwrap().len() == 3
    })
    .await;
    let handled = handled.lock().unwrap().clone();
    let order: Vec<&str> = handled.iter().map(|(name, ..)| name.as_str()).collect();
    assert_eq!(order, ["now", "soon", "late"]);
    assert_eq!(handled[0].3, None);
    for (name, _, at, due) in &handled[1..] {
        assert!(
            due.is_some_and(|due| due < *at),
            "{name} handled at {at}, due {due:?}"
        );
    }
    assert!(handled[1].1 - sent >= Duration::from_millis(100));
    assert!(handled[2].1 - sent >= Duration::from_millis(300));
    assert!(
        handled[2].1 - sent < Duration::from_millis(1500),
        "and not much later"
    );
    worker.shutdown(Duration::from_secs(1)).await;
}
