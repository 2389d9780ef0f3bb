//! Workers that die, hang or stop: nothing they held is lost.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{broker, fast, wait_for, Tally};
use kvdb_broker::{DeadLetterKind, Envelope, HandlerError, QueueRef, RetryPolicy, Worker};
use kvdb_test::RedisServer;
use serde_json::json;
use tokio::sync::Notify;

/// A worker whose handler never returns, and tells when it started.
async fn stuck_worker(
    broker: &kvdb_broker::Broker,
    started: Arc<Notify>,
) -> kvdb_broker::RunningWorker {
    Worker::new(broker)
        .options(fast().concurrency(1))
        .handle("work", move |_envelope: Envelope| {
            let started = started.clone();
            async move {
                started.notify_one();
                std::future::pending::<()>().await;
                Ok::<_, HandlerError>(())
            }
        })
        .start()
        .await
        .expect("start the stuck worker")
}

fn recording_worker(broker: &kvdb_broker::Broker, tally: &Tally) -> Worker {
    let tally = tally.clone();
    Worker::new(broker)
        .options(fast())
        .handle("work", move |envelope: Envelope| {
            let tally = tally.clone();
            async move {
                tally.add(&format!("{}#{}", envelope.id, envelope.attempt));
                Ok::<_, HandlerError>(())
            }
        })
}

#[tokio::test]
async fn a_worker_aborted_mid_handler_is_redelivered_after_the_visibility_timeout() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let started = Arc::new(Notify::new());
    let doomed = stuck_worker(&broker, started.clone()).await;
    let id = broker.invoke_async("work", json!("payload")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("the first worker took the message");
    let aborted_at = Instant::now();
    doomed.abort();

    let tally = Tally::default();
    let rescuer = recording_worker(&broker, &tally).start().await.unwrap();
    wait_for(Duration::from_secs(5), "the redelivery", || async {
        tally.get(&format!("{id}#2")) == 1
    })
    .await;
    assert!(
        aborted_at.elapsed() >= Duration::from_millis(300),
        "redelivered before the visibility timeout: {:?}",
        aborted_at.elapsed()
    );
    assert_eq!(tally.total(), 1);
    let stats = broker.stats(&QueueRef::queue("work")).await.unwrap();
    assert_eq!(stats.counters.retried, 1);
    wait_for(Duration::from_secs(2), "the ack", || async {
        broker
            .stats(&QueueRef::queue("work"))
            .await
            .unwrap()
            .counters
            .acked
            == 1
    })
    .await;
    rescuer.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_hung_handler_loses_its_message_to_another_worker() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let started = Arc::new(Notify::new());
    let hung = stuck_worker(&broker, started.clone()).await;
    let id = broker.invoke_async("work", json!(1)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .unwrap();
    let tally = Tally::default();
    let healthy = recording_worker(&broker, &tally).start().await.unwrap();
    wait_for(Duration::from_secs(5), "the takeover", || async {
        tally.get(&format!("{id}#2")) == 1
    })
    .await;
    assert_eq!(hung.in_flight(), 1, "the hung handler is still running");
    let report = hung.shutdown(Duration::from_millis(50)).await;
    assert_eq!(report.abandoned, 1);
    healthy.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn messages_abandoned_on_every_attempt_end_in_the_dead_letters() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    // Each worker dies holding the message; after the last attempt it is dead-lettered.
    let id = broker.invoke_async("work", json!(1)).await.unwrap();
    for _ in 0..2 {
        let started = Arc::new(Notify::new());
        let doomed = stuck_worker(&broker, started.clone()).await;
        tokio::time::timeout(Duration::from_secs(5), started.notified())
            .await
            .unwrap();
        doomed.abort();
    }
    let started = Arc::new(Notify::new());
    let last = Worker::new(&broker)
        .options(
            fast()
                .concurrency(1)
                .retry(RetryPolicy::default().max_attempts(2)),
        )
        .handle("other", |_envelope: Envelope| async move {
            Ok::<_, HandlerError>(())
        })
        .queue("work")
        .start()
        .await
        .unwrap();
    let queue = QueueRef::queue("work");
    wait_for(Duration::from_secs(5), "the dead letter", || async {
        broker.stats(&queue).await.unwrap().dead == 1
    })
    .await;
    let dead = broker.dead_letters(&queue, 1).await.unwrap();
    assert_eq!(dead[0].kind, DeadLetterKind::Abandoned);
    assert_eq!(dead[0].attempts, 2);
    assert!(
        dead[0].reason.contains("visibility timeout"),
        "{}",
        dead[0].reason
    );
    assert_eq!(dead[0].envelope.as_ref().unwrap().id, id);
    drop(started);
    last.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_work_and_leaves_the_rest() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let handler_tally = tally.clone();
    let worker = Worker::new(&broker)
        .options(fast().concurrency(4))
        .handle("slow", move |envelope: Envelope| {
            let tally = handler_tally.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                tally.add(envelope.id.as_str());
                Ok::<_, HandlerError>(())
            }
        })
        .start()
        .await
        .unwrap();
    for n in 0..4 {
        broker.invoke_async("slow", json!(n)).await.unwrap();
    }
    wait_for(Duration::from_secs(5), "4 in flight", || async {
        worker.in_flight() == 4
    })
    .await;
    for n in 4..7 {
        broker.invoke_async("slow", json!(n)).await.unwrap();
    }
    let started = Instant::now();
    let report = worker.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.abandoned, 0);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(tally.total(), 4, "in-flight handlers finished");
    let stats = broker.stats(&QueueRef::queue("slow")).await.unwrap();
    assert_eq!(
        stats.counters.acked, 4,
        "and were acknowledged before shutdown returned"
    );
    assert_eq!((stats.depth, stats.in_flight, stats.consumers), (3, 0, 0));
}

#[tokio::test]
async fn shutdown_cuts_off_handlers_at_the_deadline_and_they_are_redelivered() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let started = Arc::new(Notify::new());
    let stuck = stuck_worker(&broker, started.clone()).await;
    let id = broker.invoke_async("work", json!(1)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .unwrap();
    let began = Instant::now();
    let report = stuck.shutdown(Duration::from_millis(100)).await;
    assert_eq!(report.abandoned, 1);
    assert!(
        began.elapsed() < Duration::from_secs(1),
        "{:?}",
        began.elapsed()
    );
    // The consumer holding the message stays in the group until it is taken over.
    assert_eq!(
        broker
            .stats(&QueueRef::queue("work"))
            .await
            .unwrap()
            .in_flight,
        1
    );
    let tally = Tally::default();
    let next = recording_worker(&broker, &tally).start().await.unwrap();
    wait_for(Duration::from_secs(5), "the redelivery", || async {
        tally.get(&format!("{id}#2")) == 1
    })
    .await;
    next.shutdown(Duration::from_secs(1)).await;
}
