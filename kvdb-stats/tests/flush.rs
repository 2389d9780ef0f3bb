//! Flushing: one pipeline however many services, retries that never count twice, forgotten
//! scripts, a server that goes away, data the store refuses.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use kvdb_core::KvStoreExt;
use kvdb_stats::{Level, SortBy, TimeRange};
use support::*;

#[tokio::test]
async fn a_flush_of_a_thousand_services_is_one_pipeline() {
    let start = day_start(1) + 9 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options());
    // Load the scripts once (the first flush on a new server meets NOSCRIPT).
    stats.record("warm-up", Duration::from_millis(1));
    stats.flush().await.unwrap();

    setup.store.reset();
    for round in 0..10u64 {
        for service in 0..1000 {
            stats.record(
                &format!("service-{service:04}"),
                Duration::from_micros(10 + round),
            );
        }
    }
    let report = stats.flush().await.unwrap();
    assert_eq!(report.calls, 10_000);
    assert_eq!(report.aggregates, 1000);
    assert_eq!(report.pipelines, 1);
    assert_eq!(setup.store.pipelines.load(Ordering::SeqCst), 1);
    assert_eq!(setup.store.commands.load(Ordering::SeqCst), 0);

    // Ten times the calls, same services: still one pipeline of the same size.
    let range = TimeRange::new(start, start + MINUTE);
    let ranking = stats.top(range, SortBy::Usage, 3).await.unwrap();
    assert_eq!(ranking.services_seen, 1001);
    assert_eq!(ranking.totals.usage, 10_001);
    assert!(ranking.services.iter().all(|s| s.usage == 10));

    // Nothing recorded: nothing sent.
    setup.store.reset();
    assert_eq!(stats.flush().await.unwrap().pipelines, 0);
    assert_eq!(setup.store.round_trips(), 0);
}

#[tokio::test]
async fn a_flush_whose_reply_was_lost_is_sent_again_and_counted_once() {
    let start = day_start(1) + 11 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options().slow_threshold(Duration::from_millis(10)));
    stats.record("x", Duration::from_millis(1));
    stats.flush().await.unwrap();

    for _ in 0..100 {
        stats.record("x", Duration::from_millis(2));
    }
    stats.record("x", Duration::from_millis(50)); // slow
    setup
        .store
        .lose_next_pipeline_reply
        .store(true, Ordering::SeqCst);
    let err = stats.flush().await.unwrap_err();
    assert!(
        err.to_string().contains("connection to redis lost"),
        "{err}"
    );

    // The server did run the pipeline; sending it again must not add anything.
    stats.record("x", Duration::from_millis(3));
    let report = stats.flush().await.unwrap();
    assert_eq!(report.pipelines, 2, "the retried batch, then the new one");
    let got = stats
        .service("x", TimeRange::new(start, start + MINUTE))
        .await
        .unwrap()
        .stats;
    assert_eq!(got.usage, 1 + 100 + 1 + 1);
    assert_eq!(got.total_time_ns, (1 + 200 + 50 + 3) * 1_000_000);
    assert_eq!(stats.slow_calls("x").await.unwrap().len(), 1);
}

#[tokio::test]
async fn calls_wait_in_memory_while_the_server_is_down() {
    let start = day_start(1) + 12 * HOUR;
    // With an append-only file, so what was written before the stop survives it.
    let mut setup = Setup::with_server(kvdb_test::ServerOptions::default().aof(), start).await;
    let stats = setup.stats(setup.options());
    stats.record("y", Duration::from_millis(1));
    stats.flush().await.unwrap();

    setup.server.stop();
    stats.record("y", Duration::from_millis(2));
    let err = stats.flush().await.unwrap_err();
    assert!(
        matches!(&err, kvdb_stats::Error::Store(e) if e.is_retryable()),
        "{err}"
    );
    stats.record("y", Duration::from_millis(3));
    assert!(stats.flush().await.is_err());

    setup.server.start_again();
    let mut report = None;
    for _ in 0..100 {
        match stats.flush().await {
            Ok(r) => {
                report = Some(r);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let report = report.expect("the store reconnects");
    assert_eq!(report.calls, 2);
    let got = stats
        .service("y", TimeRange::new(start, start + MINUTE))
        .await
        .unwrap()
        .stats;
    assert_eq!(got.usage, 3);
    assert_eq!(got.total_time_ns, 6_000_000);
    assert_eq!(got.max_ns, 3_000_000);
}

#[tokio::test]
async fn flushes_survive_the_server_forgetting_the_scripts() {
    let start = day_start(1) + 13 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options().slow_threshold(Duration::from_millis(1)));
    stats.record("z", Duration::from_millis(5));
    stats.flush().await.unwrap();
    setup.server.raw_command(&["SCRIPT", "FLUSH"]);
    stats.record("z", Duration::from_millis(7));
    stats.flush().await.unwrap();
    let got = stats
        .service("z", TimeRange::new(start, start + MINUTE))
        .await
        .unwrap()
        .stats;
    assert_eq!(
        (got.usage, got.min_ns, got.max_ns),
        (2, 5_000_000, 7_000_000)
    );
    assert_eq!(stats.slow_calls("z").await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_batch_the_store_refuses_is_reported_and_not_retried_for_ever() {
    let start = day_start(1) + 14 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options());
    // Something else took the bucket's key.
    let key = stats.bucket_key(Level::Minute, start / 60);
    setup.store.set(&key, "not a hash").await.unwrap();
    stats.record("w", Duration::from_millis(1));
    let err = stats.flush().await.unwrap_err();
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    // Dropped, not pending: the next flush has nothing to resend.
    let report = stats.flush().await.unwrap();
    assert_eq!(report.pipelines, 0);
    // Later minutes are unaffected.
    setup.set_time(start + MINUTE);
    stats.record("w", Duration::from_millis(1));
    assert_eq!(stats.flush().await.unwrap().calls, 1);
}
