//! 1:N: ephemeral listeners and durable subscriptions.

mod common;

use std::time::Duration;

use common::{broker, fast, wait_for, Tally};
use kvdb_broker::{Envelope, HandlerError, ListenEvent, Payload, PublishOptions, QueueRef, Worker};
use kvdb_test::RedisServer;
use serde_json::json;

fn subscriber(broker: &kvdb_broker::Broker, name: &str, tally: &Tally) -> Worker {
    let tally = tally.clone();
    let label = name.to_owned();
    Worker::new(broker)
        .options(fast())
        .subscribe("prices", name, move |envelope: Envelope| {
            let tally = tally.clone();
            let label = label.clone();
            async move {
                assert_eq!(envelope.target, "prices");
                tally.add(&format!("{label}:{}", envelope.payload.to_json::<u32>()?));
                Ok::<_, HandlerError>(())
            }
        })
}

#[tokio::test]
async fn three_listeners_all_get_a_publication() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(broker.listen("config").await.unwrap());
    }
    let options = PublishOptions::default().header("origin", "test");
    let published = broker
        .publish_with(
            "config",
            Payload::bytes("ini", b"timeout=5".to_vec()),
            options,
        )
        .await
        .unwrap();
    assert_eq!((published.listeners, published.subscriptions), (3, 0));
    for listener in &mut listeners {
        let envelope = tokio::time::timeout(Duration::from_secs(5), listener.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(envelope.id, published.id);
        assert_eq!(envelope.target, "config");
        assert_eq!(envelope.header("origin"), Some("test"));
        assert_eq!(envelope.payload.as_bytes(), Some(&b"timeout=5"[..]));
        assert_eq!(envelope.payload.data_format(), "ini");
    }
    // A listener on another topic hears nothing of it.
    let mut other = broker.listen("other").await.unwrap();
    broker.publish("config", json!(2)).await.unwrap();
    broker.publish("other", json!(3)).await.unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(5), other.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard.payload, json!(3).into());
}

#[tokio::test]
async fn three_durable_subscriptions_all_get_every_publication() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let mut workers = Vec::new();
    for name in ["audit", "cache", "search"] {
        workers.push(subscriber(&broker, name, &tally).start().await.unwrap());
    }
    for n in 0..10 {
        let published = broker.publish("prices", json!(n)).await.unwrap();
        assert_eq!(published.subscriptions, 3);
    }
    wait_for(Duration::from_secs(5), "30 deliveries", || async {
        tally.total() == 30
    })
    .await;
    for name in ["audit", "cache", "search"] {
        for n in 0..10 {
            assert_eq!(tally.get(&format!("{name}:{n}")), 1);
        }
    }
    let topics = broker.topics().await.unwrap();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].subscriptions, ["audit", "cache", "search"]);
    for worker in workers {
        worker.shutdown(Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn a_durable_subscriber_offline_then_online_gets_the_backlog_from_its_creation() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    broker.publish("prices", json!(0)).await.unwrap(); // before the subscription: not for it
    broker.create_subscription("prices", "audit").await.unwrap();
    let tally = Tally::default();
    let online = subscriber(&broker, "audit", &tally).start().await.unwrap();
    broker.publish("prices", json!(1)).await.unwrap();
    wait_for(Duration::from_secs(5), "the first", || async {
        tally.get("audit:1") == 1
    })
    .await;
    online.shutdown(Duration::from_secs(1)).await;

    // Offline: publications wait in the subscription.
    for n in 2..7 {
        assert_eq!(
            broker
                .publish("prices", json!(n))
                .await
                .unwrap()
                .subscriptions,
            1
        );
    }
    let queue = QueueRef::subscription("prices", "audit");
    assert_eq!(broker.stats(&queue).await.unwrap().depth, 5);

    // Two consumers of one subscription share the backlog.
    let first = subscriber(&broker, "audit", &tally).start().await.unwrap();
    let second = subscriber(&broker, "audit", &tally).start().await.unwrap();
    wait_for(Duration::from_secs(5), "the backlog", || async {
        tally.total() == 6
    })
    .await;
    for n in 1..7 {
        assert_eq!(tally.get(&format!("audit:{n}")), 1);
    }
    assert_eq!(tally.get("audit:0"), 0);
    let queues = broker.queues().await.unwrap();
    assert!(queues
        .iter()
        .any(|q| q.queue == queue && q.counters.sent == 6));
    first.shutdown(Duration::from_secs(1)).await;
    second.shutdown(Duration::from_secs(1)).await;

    // A deleted subscription gets nothing more.
    assert!(broker.delete_subscription("prices", "audit").await.unwrap());
    assert_eq!(
        broker
            .publish("prices", json!(9))
            .await
            .unwrap()
            .subscriptions,
        0
    );
    assert!(!broker.delete_subscription("prices", "audit").await.unwrap());
}

#[tokio::test]
async fn an_ephemeral_listener_resubscribes_after_a_restart() {
    let mut server = RedisServer::start();
    let broker = broker(&server).await;
    let mut listener = broker.listen("config").await.unwrap();
    broker.publish("config", json!("v1")).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), listener.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.payload, json!("v1").into());

    server.kill();
    let event = tokio::time::timeout(Duration::from_secs(10), listener.next_event())
        .await
        .expect("a disconnect notice")
        .unwrap();
    assert_eq!(event, ListenEvent::Disconnected);
    server.start_again();
    let event = tokio::time::timeout(Duration::from_secs(10), listener.next_event())
        .await
        .expect("a reconnect notice")
        .unwrap();
    assert_eq!(event, ListenEvent::Reconnected);
    let published = loop {
        match broker.publish("config", json!("v2")).await {
            Ok(published) => break published,
            Err(err) => {
                assert!(err.is_retryable(), "{err}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(published.listeners, 1);
    let second = tokio::time::timeout(Duration::from_secs(5), listener.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.payload, json!("v2").into());
}
