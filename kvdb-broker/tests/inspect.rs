//! Inspection, and what is refused at send time.

mod common;

use std::time::Duration;

use common::{broker, broker_with, fast, wait_for};
use kvdb_broker::{
    BrokerOptions, Envelope, Error, HandlerError, InvokeOptions, Payload, QueueRef, Worker,
};
use kvdb_test::RedisServer;
use serde_json::json;

#[tokio::test]
async fn a_payload_over_the_maximum_is_refused_at_send_time() {
    let server = RedisServer::start();
    let broker = broker_with(&server, BrokerOptions::default().max_payload(1024)).await;
    let big = Payload::bytes("bin", vec![7; 1025]);
    let err = broker.invoke_async("svc", big.clone()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::PayloadTooLarge {
                size: 1025,
                max: 1024,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "payload of 1025 bytes for \"svc\" is larger than the maximum of 1024 bytes"
    );
    assert!(broker.publish("topic", big).await.is_err());
    let text = json!("x".repeat(1030));
    assert!(broker.invoke_async("svc", text).await.is_err());
    // Nothing was stored, not even the rest of a batch with one bad message.
    let batch = vec![
        kvdb_broker::Invocation::new("svc", json!(1)),
        kvdb_broker::Invocation::new("svc", Payload::bytes("bin", vec![0; 2000])),
    ];
    assert!(broker.invoke_batch(batch).await.is_err());
    let stats = broker.stats(&QueueRef::queue("svc")).await.unwrap();
    assert_eq!((stats.depth, stats.counters.sent), (0, 0));
    // At the maximum is fine.
    broker
        .invoke_async("svc", Payload::bytes("bin", vec![7; 1024]))
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_names_are_refused_with_a_clear_error() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let err = broker.invoke_async("", json!(1)).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid service name \"\": it is empty");
    let err = broker
        .invoke_async_with("svc", json!(1), InvokeOptions::default().queue("a/b"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("invalid queue name \"a/b\""),
        "{err}"
    );
    assert!(broker.create_subscription("t", "a/b").await.is_err());
    let err = Worker::new(&broker).start().await.unwrap_err();
    assert!(matches!(err, Error::NoHandlers));
    let ok = |_envelope: Envelope| async move { Ok::<_, HandlerError>(()) };
    let err = Worker::new(&broker)
        .handle("svc", ok)
        .handle("svc", ok)
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "two handlers registered for service \"svc\""
    );
}

#[tokio::test]
async fn the_queue_list_shows_depth_in_flight_delayed_and_dead() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    assert!(broker.queues().await.unwrap().is_empty());
    let unknown = broker.stats(&QueueRef::queue("nobody")).await.unwrap();
    assert_eq!(
        (unknown.depth, unknown.in_flight, unknown.consumers),
        (0, 0, 0)
    );

    broker.invoke_async("orders", json!(1)).await.unwrap();
    broker.invoke_async("orders", json!(2)).await.unwrap();
    let later = InvokeOptions::default().delay(Duration::from_secs(60));
    broker
        .invoke_async_with("orders", json!(3), later)
        .await
        .unwrap();
    broker.create_subscription("prices", "audit").await.unwrap();
    broker.publish("prices", json!(1)).await.unwrap();

    // One message in flight (a handler that waits), one dead.
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let gate = release.clone();
    let worker = Worker::new(&broker)
        .options(
            fast()
                .concurrency(2)
                .visibility_timeout(Duration::from_secs(30)),
        )
        .handle("orders", move |envelope: Envelope| {
            let gate = gate.clone();
            async move {
                if envelope.payload == json!(1).into() {
                    return Err(HandlerError::new("bad order"));
                }
                gate.notified().await;
                Ok(())
            }
        })
        .start()
        .await
        .unwrap();
    let orders = QueueRef::queue("orders");
    wait_for(
        Duration::from_secs(5),
        "one dead, one in flight",
        || async {
            let stats = broker.stats(&orders).await.unwrap();
            stats.dead == 1 && stats.in_flight == 1
        },
    )
    .await;
    let queues = broker.queues().await.unwrap();
    let names: Vec<String> = queues.iter().map(|q| q.queue.to_string()).collect();
    assert_eq!(names, ["orders", "prices/audit"]);
    let stats = &queues[0];
    assert_eq!(
        (stats.depth, stats.in_flight, stats.delayed, stats.dead),
        (0, 1, 1, 1)
    );
    assert_eq!((stats.counters.sent, stats.counters.retried), (3, 2));
    assert_eq!(stats.consumers, 1);
    assert_eq!((queues[1].depth, queues[1].counters.sent), (1, 1));
    let as_json = serde_json::to_value(stats).unwrap();
    assert_eq!(as_json["queue"], "orders");
    assert_eq!(as_json["counters"]["dead_lettered"], 1);
    let dead = broker.dead_letters(&orders, 10).await.unwrap();
    assert_eq!(serde_json::to_value(&dead[0]).unwrap()["kind"], "failed");

    release.notify_one();
    wait_for(Duration::from_secs(5), "the ack", || async {
        broker.stats(&orders).await.unwrap().counters.acked == 1
    })
    .await;
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_deleted_queue_is_gone_from_the_list_and_can_be_used_again() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    broker.invoke_async("temp", json!(1)).await.unwrap();
    broker.create_subscription("news", "reader").await.unwrap();
    assert_eq!(broker.queues().await.unwrap().len(), 2);
    assert!(broker.delete_queue(&QueueRef::queue("temp")).await.unwrap());
    assert!(broker
        .delete_queue(&"news/reader".parse().unwrap())
        .await
        .unwrap());
    assert!(broker.queues().await.unwrap().is_empty());
    assert!(!broker.delete_queue(&QueueRef::queue("temp")).await.unwrap());
    // Sending again registers it again.
    broker.invoke_async("temp", json!(2)).await.unwrap();
    let queues = broker.queues().await.unwrap();
    assert_eq!(queues.len(), 1);
    assert_eq!((queues[0].depth, queues[0].counters.sent), (1, 1));
}
