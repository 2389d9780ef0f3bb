//! The server restarts under a live store: calls fail retryably, then work again.

use std::time::{Duration, Instant};

use kvdb_core::{KvStoreExt, PubSubEvent, RedisStore};
use kvdb_test::RedisServer;

async fn wait_until_serving(store: &RedisStore) -> Duration {
    let started = Instant::now();
    loop {
        match store.set("probe", 1).await {
            Ok(()) => return started.elapsed(),
            Err(err) => {
                assert!(err.is_retryable(), "not retryable: {err}");
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "never recovered: {err}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test]
async fn the_same_store_works_after_a_restart() {
    let mut server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    store.set("before", 1).await.unwrap();

    server.kill();
    let err = store.set("during", 1).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");

    server.start_again();
    wait_until_serving(&store).await;
    store.set("after", 2).await.unwrap();
    assert_eq!(store.get::<_, i64>("after").await.unwrap(), 2);

    // The dedicated pool recovers too: a stale pooled connection is discarded.
    let blocked: Option<(String, String)> = loop {
        match store.query(redis::cmd("BLPOP").arg("q").arg(1)).await {
            Ok(reply) => break reply,
            Err(err) => assert!(err.is_retryable(), "{err}"),
        }
    };
    assert_eq!(blocked, None);
}

#[tokio::test]
async fn tasks_in_flight_during_a_restart_all_recover() {
    let mut server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            let deadline = Instant::now() + Duration::from_secs(20);
            while done < 200 && Instant::now() < deadline {
                match store.incr_by(format!("c{task}"), 1).await {
                    Ok(_) => done += 1,
                    Err(err) => {
                        assert!(err.is_retryable(), "{err}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            done
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.restart();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
}

#[tokio::test]
async fn subscriptions_resubscribe_after_a_restart() {
    let mut server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let mut sub = kvdb_core::KvStore::subscribe(&store).await.unwrap();
    sub.subscribe("config").await.unwrap();
    sub.psubscribe("events.*").await.unwrap();
    assert_eq!(store.publish("config", "v1").await.unwrap(), 1);
    let first = sub.next_message().await.unwrap();
    assert_eq!(first.payload, b"v1");

    server.kill();
    let event = tokio::time::timeout(Duration::from_secs(10), sub.next_event())
        .await
        .expect("no disconnect notice")
        .unwrap();
    assert_eq!(event, PubSubEvent::Disconnected);
    server.start_again();
    let event = tokio::time::timeout(Duration::from_secs(10), sub.next_event())
        .await
        .expect("no reconnect notice")
        .unwrap();
    assert_eq!(event, PubSubEvent::Reconnected);
    wait_until_serving(&store).await;

    assert_eq!(store.publish("config", "v2").await.unwrap(), 1);
    let message = sub.next_message().await.unwrap();
    assert_eq!(
        (message.channel.as_str(), message.payload.as_slice()),
        ("config", &b"v2"[..])
    );
    store.publish("events.created", "e").await.unwrap();
    let message = sub.next_message().await.unwrap();
    assert_eq!(message.pattern.as_deref(), Some("events.*"));
    assert_eq!(message.channel, "events.created");
}
