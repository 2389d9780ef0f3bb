//! `kvdb broker ...`: send, publish, queues, dead letters, requeue, purge.

mod support;

use std::sync::Arc;
use std::time::Duration;

use kvdb_broker::{Broker, HandlerError, RetryPolicy, Worker, WorkerOptions};
use kvdb_core::{KvStore, RedisStore, RedisStoreOptions};
use kvdb_test::RedisServer;
use support::kvdb_at;

#[tokio::test(flavor = "multi_thread")]
async fn send_queues_dead_requeue_purge() {
    let server = RedisServer::start();
    let url = server.url();
    let cli = move |args: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || kvdb_at(&url, "t", args))
    };

    let sent = cli(&["broker", "send", "billing.invoice", r#"{"amount": 10}"#])
        .await
        .expect("run");
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let id = sent.stdout.trim().to_owned();
    assert!(!id.is_empty());
    cli(&["broker", "send", "billing.invoice", "not json"])
        .await
        .expect("run");

    let queues = cli(&["--json", "broker", "queues"])
        .await
        .expect("run")
        .json();
    assert_eq!(queues[0]["queue"], "billing.invoice");
    assert_eq!(queues[0]["depth"], 2);
    assert_eq!(queues[0]["counters"]["sent"], 2);

    // A worker that always fails sends both to the dead letters after one attempt.
    let store: Arc<dyn KvStore> = Arc::new(
        RedisStore::connect_with(&server.url(), RedisStoreOptions::default().namespace("t"))
            .await
            .expect("connect"),
    );
    let broker = Broker::new(store);
    let options = WorkerOptions::default().retry(RetryPolicy::default().max_attempts(1));
    let worker = Worker::new(&broker)
        .options(options)
        .handle("billing.invoice", |envelope| async move {
            Err::<(), _>(HandlerError::new(format!(
                "no invoice for {}",
                envelope.id.as_str()
            )))
        })
        .start()
        .await
        .expect("worker");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let stats = broker
            .stats(&kvdb_broker::QueueRef::queue("billing.invoice"))
            .await
            .expect("stats");
        if stats.dead == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never dead-lettered: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.shutdown(Duration::from_secs(2)).await;

    let dead = cli(&["broker", "dead", "billing.invoice"])
        .await
        .expect("run");
    assert_eq!(dead.code, 0, "{}", dead.stderr);
    assert!(
        dead.stdout.contains(&format!("no invoice for {id}")),
        "{}",
        dead.stdout
    );
    let dead = cli(&["--json", "broker", "dead", "billing.invoice"])
        .await
        .expect("run")
        .json();
    assert_eq!(dead.as_array().map(Vec::len), Some(2));
    assert_eq!(dead[0]["kind"], "failed");

    let requeued = cli(&["--json", "broker", "requeue", "billing.invoice"])
        .await
        .expect("run")
        .json();
    assert_eq!(requeued["requeued"], 2);
    let queues = cli(&["--json", "broker", "queues"])
        .await
        .expect("run")
        .json();
    assert_eq!(
        (queues[0]["depth"].as_u64(), queues[0]["dead"].as_u64()),
        (Some(2), Some(0))
    );

    let purged = cli(&["broker", "purge", "billing.invoice"])
        .await
        .expect("run");
    assert!(purged.stdout.contains("purged 2"), "{}", purged.stdout);

    let published = cli(&["--json", "broker", "publish", "config.changed", "reload"])
        .await
        .expect("run")
        .json();
    assert_eq!(published["listeners"], 0);

    let bad = cli(&["broker", "dead", "a/b/"]).await.expect("run");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}
