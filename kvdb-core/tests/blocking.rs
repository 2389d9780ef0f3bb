//! Blocking commands: never cut by the response timeout, never stalling other callers.

use std::time::{Duration, Instant};

use kvdb_core::{KvStoreExt, RedisStore, RedisStoreOptions};
use kvdb_test::RedisServer;

#[tokio::test]
async fn blpop_for_five_seconds_outlives_a_short_response_timeout() {
    let server = RedisServer::start();
    let store = RedisStore::connect_with(
        &server.url(),
        RedisStoreOptions::default().response_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();

    let started = Instant::now();
    let blocked = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .query::<Option<(String, String)>>(redis::cmd("BLPOP").arg("jobs").arg(5))
                .await
        })
    };
    // Meanwhile the shared connection keeps serving others.
    for i in 0..50 {
        store.set("other", i).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "others were stalled"
    );
    let popped = blocked.await.unwrap().unwrap();
    assert_eq!(
        popped, None,
        "nothing was pushed: BLPOP times out on the server side"
    );
    assert!(started.elapsed() >= Duration::from_secs(5));
}

#[tokio::test]
async fn blpop_receives_a_push() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let waiter = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .query::<Option<(String, String)>>(redis::cmd("BLPOP").arg("jobs").arg(5))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    store.rpush("jobs", "job-1").await.unwrap();
    let popped = waiter.await.unwrap().unwrap();
    assert_eq!(popped, Some(("jobs".to_owned(), "job-1".to_owned())));
}

#[tokio::test]
async fn a_slow_reply_times_out_with_a_retryable_error() {
    let server = RedisServer::start();
    let store = RedisStore::connect_with(
        &server.url(),
        RedisStoreOptions::default().response_timeout(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    let err = store
        .query::<()>(redis::cmd("DEBUG").arg("SLEEP").arg("1"))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("DEBUG"), "{err}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    store.set("after", 1).await.unwrap();
}

#[tokio::test]
async fn a_cancelled_blocking_read_does_not_hold_up_the_next_caller() {
    let server = RedisServer::start();
    let store = RedisStore::connect_with(&server.url(), RedisStoreOptions::default().pool_size(1))
        .await
        .unwrap();
    // Cancel a 30 s BLPOP after 100 ms: the server still blocks on that connection.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        store.query::<Option<(String, String)>>(redis::cmd("BLPOP").arg("nothing").arg(30)),
    )
    .await;
    assert!(cancelled.is_err(), "BLPOP should still have been waiting");

    // With one pooled connection, the next blocking read must get a fresh one at once.
    let started = Instant::now();
    store.rpush("jobs", "job-1").await.unwrap();
    let popped: Option<(String, String)> = store
        .query(redis::cmd("BLPOP").arg("jobs").arg(5))
        .await
        .unwrap();
    assert_eq!(popped, Some(("jobs".to_owned(), "job-1".to_owned())));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
}
