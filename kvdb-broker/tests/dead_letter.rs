//! What cannot be handled ends in the dead letters with a reason, and the worker carries on.

mod common;

use std::time::Duration;

use common::{broker, broker_with, fast, wait_for, Tally};
use kvdb_broker::{
    BrokerOptions, DeadLetterKind, Envelope, HandlerError, InvokeOptions, QueueRef, RetryPolicy,
    Worker,
};
use kvdb_core::KvStoreExt;
use kvdb_test::RedisServer;
use serde_json::json;

fn billing(broker: &kvdb_broker::Broker, tally: &Tally) -> Worker {
    let tally = tally.clone();
    Worker::new(broker)
        .options(fast())
        .handle("billing", move |envelope: Envelope| {
            let tally = tally.clone();
            async move {
                tally.add(&envelope.payload.to_json::<String>()?);
                Ok::<_, HandlerError>(())
            }
        })
}

#[tokio::test]
async fn a_service_nobody_handles_is_dead_lettered_after_the_grace_period() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let worker = billing(&broker, &tally).start().await.unwrap();
    let shared = InvokeOptions::default().queue("billing");
    let id = broker
        .invoke_async_with("ghost", json!("boo"), shared)
        .await
        .unwrap();
    let queue = QueueRef::queue("billing");
    wait_for(Duration::from_secs(5), "the dead letter", || async {
        broker.stats(&queue).await.unwrap().dead == 1
    })
    .await;
    let dead = broker.dead_letters(&queue, 10).await.unwrap();
    assert_eq!(dead[0].kind, DeadLetterKind::NoHandler);
    assert!(dead[0].reason.contains("\"ghost\""), "{}", dead[0].reason);
    assert_eq!(dead[0].envelope.as_ref().unwrap().id, id);
    // The worker is alive and well.
    broker
        .invoke_async("billing", json!("invoice"))
        .await
        .unwrap();
    wait_for(Duration::from_secs(5), "the next message", || async {
        tally.get("invoice") == 1
    })
    .await;
    assert_eq!(tally.total(), 1);
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_worker_with_the_handler_that_starts_within_the_grace_gets_the_message() {
    // A rolling deployment: the old worker has no handler for a new service; the new worker,
    // started within the grace period, gets the message.
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let old = billing(&broker, &tally)
        .options(fast().no_handler_grace(Duration::from_secs(5)))
        .start()
        .await
        .unwrap();
    let shared = InvokeOptions::default().queue("billing");
    broker
        .invoke_async_with("refunds", json!("r1"), shared)
        .await
        .unwrap();
    let queue = QueueRef::queue("billing");
    wait_for(
        Duration::from_secs(5),
        "the message offered again later",
        || async { broker.stats(&queue).await.unwrap().delayed == 1 },
    )
    .await;
    old.shutdown(Duration::from_secs(1)).await;
    let refunds = Tally::default();
    let handler_tally = refunds.clone();
    let new = Worker::new(&broker)
        .options(fast())
        .handle("refunds", move |envelope: Envelope| {
            let tally = handler_tally.clone();
            async move {
                tally.add(&envelope.payload.to_json::<String>()?);
                Ok::<_, HandlerError>(())
            }
        })
        .queue("billing")
        .start()
        .await
        .unwrap();
    wait_for(Duration::from_secs(5), "the refund", || async {
        refunds.get("r1") == 1
    })
    .await;
    let stats = broker.stats(&queue).await.unwrap();
    assert_eq!((stats.dead, stats.counters.retried), (0, 0));
    new.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn malformed_entries_are_dead_lettered_with_the_reason_and_the_worker_carries_on() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let store = broker.store().clone();
    let stream = "t:{broker:billing}:stream";
    // Written by something else: no message field; not the layout; bad metadata; a payload
    // that is not JSON.
    store.xadd(stream, &[("job", "send-mail")]).await.unwrap();
    store.xadd(stream, &[("d", "{oops")]).await.unwrap();
    store
        .xadd(stream, &[("d", "1\n{oops\nnull")])
        .await
        .unwrap();
    let bad_payload = "1\n{\"id\":\"x\",\"t\":\"billing\",\"c\":1}\n{not json";
    store.xadd(stream, &[("d", bad_payload)]).await.unwrap();
    // And a delayed-set member in no known layout.
    store
        .zadd("t:{broker:billing}:delayed", "garbage", 1.0)
        .await
        .unwrap();
    let tally = Tally::default();
    let worker = billing(&broker, &tally).start().await.unwrap();
    broker.invoke_async("billing", json!("good")).await.unwrap();
    let queue = QueueRef::queue("billing");
    wait_for(Duration::from_secs(5), "five dead letters", || async {
        broker.stats(&queue).await.unwrap().dead == 5
    })
    .await;
    wait_for(Duration::from_secs(5), "the good one", || async {
        tally.get("good") == 1
    })
    .await;
    let dead = broker.dead_letters(&queue, 10).await.unwrap();
    assert!(dead.iter().all(|d| d.kind == DeadLetterKind::Malformed));
    assert!(dead.iter().all(|d| d.envelope.is_none()));
    let reasons: Vec<&str> = dead.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "the entry has no message field 'd'",
            "the message is not in the broker's layout (attempt, metadata, payload)",
            "the metadata is not valid: key must be a string at line 1 column 2",
            "payload is not valid json: key must be a string at line 1 column 2",
            "the message is not in the broker's layout (attempt, metadata, payload)",
        ]
    );
    assert_eq!(dead[0].raw, [("job".to_owned(), "send-mail".to_owned())]);
    assert_eq!(dead[4].raw, [("d".to_owned(), "garbage".to_owned())]);
    // They cannot be requeued, and stay.
    assert_eq!(broker.requeue_dead(&queue, None).await.unwrap(), 0);
    assert_eq!(broker.stats(&queue).await.unwrap().dead, 5);
    assert_eq!(broker.purge_dead(&queue).await.unwrap(), 5);
    assert_eq!(broker.stats(&queue).await.unwrap().dead, 0);
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn dead_letters_are_capped() {
    let server = RedisServer::start();
    let broker = broker_with(&server, BrokerOptions::default().dead_letter_cap(3)).await;
    let worker = Worker::new(&broker)
        .options(fast().retry(RetryPolicy::default().max_attempts(1)))
        .handle("doomed", |envelope: Envelope| async move {
            Err::<(), _>(HandlerError::new(format!(
                "no {}",
                envelope.payload.to_json::<u32>()?
            )))
        })
        .start()
        .await
        .unwrap();
    for n in 0..5 {
        broker.invoke_async("doomed", json!(n)).await.unwrap();
    }
    let queue = QueueRef::queue("doomed");
    wait_for(Duration::from_secs(5), "five dead-lettered", || async {
        broker.stats(&queue).await.unwrap().counters.dead_lettered == 5
    })
    .await;
    let dead = broker.dead_letters(&queue, 10).await.unwrap();
    assert_eq!(dead.len(), 3, "only the newest three are kept");
    assert!(dead
        .iter()
        .all(|d| d.attempts == 1 && d.reason.starts_with("no ")));
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn purge_removes_waiting_and_delayed_messages_and_workers_carry_on() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let queue = QueueRef::queue("billing");
    for n in 0..5 {
        broker
            .invoke_async("billing", json!(format!("old{n}")))
            .await
            .unwrap();
    }
    let later = InvokeOptions::default().delay(Duration::from_secs(60));
    broker
        .invoke_async_with("billing", json!("later"), later.clone())
        .await
        .unwrap();
    broker
        .invoke_async_with("billing", json!("later"), later)
        .await
        .unwrap();
    assert_eq!(broker.purge(&queue).await.unwrap(), 7);
    let stats = broker.stats(&queue).await.unwrap();
    assert_eq!((stats.depth, stats.delayed, stats.in_flight), (0, 0, 0));
    assert_eq!(stats.counters.sent, 7, "counters stay");

    let tally = Tally::default();
    let worker = billing(&broker, &tally).start().await.unwrap();
    broker.invoke_async("billing", json!("new")).await.unwrap();
    wait_for(Duration::from_secs(5), "the new one", || async {
        tally.get("new") == 1
    })
    .await;
    wait_for(Duration::from_secs(5), "its ack", || async {
        broker.stats(&queue).await.unwrap().counters.acked == 1
    })
    .await;
    // Purging under a running worker: it finds its group again and carries on.
    assert_eq!(broker.purge(&queue).await.unwrap(), 0);
    broker
        .invoke_async("billing", json!("newer"))
        .await
        .unwrap();
    wait_for(Duration::from_secs(5), "the newer one", || async {
        tally.get("newer") == 1
    })
    .await;
    assert_eq!(tally.total(), 2);
    worker.shutdown(Duration::from_secs(1)).await;
}
