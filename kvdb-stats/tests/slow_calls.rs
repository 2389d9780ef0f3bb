//! Slow calls: thresholds per service, a capped list of the most recent, samples cut to size.

mod support;

use std::time::Duration;

use kvdb_stats::Call;
use support::*;

#[tokio::test]
async fn the_list_keeps_only_the_most_recent_slow_calls() {
    let start = day_start(1) + 16 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(
        setup
            .options()
            .slow_threshold(Duration::from_millis(100))
            .slow_calls_kept(5),
    );
    let ids: Vec<String> = (0..12).map(|i| format!("cid-{i:02}")).collect();
    for (i, id) in ids.iter().enumerate() {
        setup.set_time(start + i as u64);
        stats.record_call(&Call::new("report", Duration::from_millis(150 + i as u64)).id(id));
        stats.record("report", Duration::from_millis(10)); // fast: not kept
        if i == 6 {
            stats.flush().await.unwrap();
        }
    }
    let report = stats.flush().await.unwrap();
    assert_eq!(report.slow_calls, 5);
    let slow = stats.slow_calls("report").await.unwrap();
    let kept: Vec<&str> = slow.iter().map(|c| c.id.as_deref().unwrap()).collect();
    assert_eq!(
        kept,
        ["cid-11", "cid-10", "cid-09", "cid-08", "cid-07"],
        "newest first"
    );
    assert_eq!(slow[0].duration_ns, 161_000_000);
    assert_eq!(slow[0].threshold_ns, 100_000_000);
    let len: u64 = kvdb_core::KvStoreExt::query(
        &*setup.store,
        kvdb_core::redis::cmd("LLEN").arg(stats.slow_calls_key("report")),
    )
    .await
    .unwrap();
    assert_eq!(len, 5);
}

#[tokio::test]
async fn thresholds_samples_and_timestamps() {
    let start = day_start(1) + 17 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(
        setup
            .options()
            .slow_threshold(Duration::from_millis(100))
            .service_slow_threshold("strict", Duration::from_millis(10))
            .sample_max_bytes(8),
    );
    setup.set_time(start + 30);
    stats.record_call(
        &Call::new("strict", Duration::from_millis(50))
            .id("a")
            .started_at(at(start + 29))
            .request("0123456789abcdef")
            .response("short"),
    );
    stats.record_call(&Call::new("lenient", Duration::from_millis(50)).id("b"));
    stats.record("lenient", Duration::from_millis(2500));
    stats.flush().await.unwrap();

    let strict = stats.slow_calls("strict").await.unwrap();
    assert_eq!(strict.len(), 1);
    let call = &strict[0];
    assert_eq!(call.id.as_deref(), Some("a"));
    assert_eq!(call.threshold_ns, 10_000_000);
    assert_eq!(
        (call.request_at_ms, call.response_at_ms),
        ((start + 29) * 1000, (start + 30) * 1000)
    );
    assert_eq!(call.request.as_deref(), Some("01234567"));
    assert_eq!(call.response.as_deref(), Some("short"));
    assert!(call.truncated);

    // 50 ms is not slow for the default threshold; 2.5 s is, recorded without details.
    let lenient = stats.slow_calls("lenient").await.unwrap();
    assert_eq!(lenient.len(), 1);
    let call = &lenient[0];
    assert_eq!(call.id, None);
    assert_eq!(call.response_at_ms - call.request_at_ms, 2500);
    assert_eq!((call.request.as_deref(), call.truncated), (None, false));

    assert!(stats.slow_calls("never-slow").await.unwrap().is_empty());
}
