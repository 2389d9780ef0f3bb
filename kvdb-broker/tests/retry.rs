//! Failures: retries with backoff, then dead letters with the reason.

mod common;

use std::time::{Duration, Instant};

use common::{broker, fast, wait_for, Tally};
use kvdb_broker::{DeadLetterKind, Envelope, HandlerError, QueueRef, RetryPolicy, Worker};
use kvdb_test::RedisServer;
use serde_json::json;

#[tokio::test]
async fn fails_twice_then_succeeds_on_the_third_attempt() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let attempts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = attempts.clone();
    let worker = Worker::new(&broker)
        .options(
            fast().retry(
                RetryPolicy::default()
                    .max_attempts(5)
                    .initial_backoff(Duration::from_millis(50)),
            ),
        )
        .handle("flaky", move |envelope: Envelope| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push((envelope.attempt, Instant::now(), envelope.id.clone()));
                if envelope.attempt < 3 {
                    return Err(HandlerError::new(format!("failure {}", envelope.attempt)));
                }
                Ok(())
            }
        })
        .start()
        .await
        .unwrap();
    let id = broker.invoke_async("flaky", json!("x")).await.unwrap();
    let queue = QueueRef::queue("flaky");
    wait_for(
        Duration::from_secs(5),
        "the third attempt acked",
        || async { broker.stats(&queue).await.unwrap().counters.acked == 1 },
    )
    .await;
    let attempts = attempts.lock().unwrap().clone();
    assert_eq!(
        attempts.iter().map(|(n, _, _)| *n).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(
        attempts.iter().all(|(_, _, seen)| *seen == id),
        "same id throughout"
    );
    // Exponential backoff: 50 ms after the first failure, 100 ms after the second.
    assert!(attempts[1].1 - attempts[0].1 >= Duration::from_millis(50));
    assert!(attempts[2].1 - attempts[1].1 >= Duration::from_millis(100));
    let stats = broker.stats(&queue).await.unwrap();
    assert_eq!(stats.counters.retried, 2);
    assert_eq!(
        (stats.dead, stats.delayed, stats.depth, stats.in_flight),
        (0, 0, 0, 0)
    );
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn always_failing_goes_to_the_dead_letters_after_the_maximum() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let handler_tally = tally.clone();
    let worker = Worker::new(&broker)
        .options(fast()) // 3 attempts
        .handle("broken", move |envelope: Envelope| {
            let tally = handler_tally.clone();
            async move {
                tally.add(envelope.id.as_str());
                Err::<(), _>(HandlerError::new("database is down"))
            }
        })
        .handle("panics", |_envelope: Envelope| async move {
            if true {
                panic!("handler bug");
            }
            Ok::<_, HandlerError>(())
        })
        .start()
        .await
        .unwrap();
    let id = broker
        .invoke_async("broken", json!({"order": 1}))
        .await
        .unwrap();
    broker.invoke_async("panics", json!(null)).await.unwrap();
    let queue = QueueRef::queue("broken");
    wait_for(Duration::from_secs(5), "a dead letter", || async {
        broker.stats(&queue).await.unwrap().dead == 1
    })
    .await;
    assert_eq!(tally.get(id.as_str()), 3);
    let dead = broker.dead_letters(&queue, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].kind, DeadLetterKind::Failed);
    assert_eq!(dead[0].reason, "database is down");
    assert_eq!(dead[0].attempts, 3);
    let envelope = dead[0].envelope.as_ref().unwrap();
    assert_eq!(envelope.id, id);
    assert_eq!(envelope.payload, json!({"order": 1}).into());
    let stats = broker.stats(&queue).await.unwrap();
    assert_eq!(
        (
            stats.counters.retried,
            stats.counters.dead_lettered,
            stats.counters.acked
        ),
        (2, 1, 0)
    );

    // A panic is a failure like any other, and the worker survives it.
    let panics = QueueRef::queue("panics");
    wait_for(
        Duration::from_secs(5),
        "the panic dead-lettered",
        || async { broker.stats(&panics).await.unwrap().dead == 1 },
    )
    .await;
    let dead = broker.dead_letters(&panics, 10).await.unwrap();
    assert_eq!(dead[0].reason, "handler panicked: handler bug");

    // Requeued, it fails three more times and dies again.
    assert_eq!(broker.requeue_dead(&queue, None).await.unwrap(), 1);
    wait_for(Duration::from_secs(5), "dead again", || async {
        broker.stats(&queue).await.unwrap().dead == 1 && tally.get(id.as_str()) == 6
    })
    .await;
    assert_eq!(broker.stats(&queue).await.unwrap().counters.requeued, 1);
    worker.shutdown(Duration::from_secs(1)).await;
}
