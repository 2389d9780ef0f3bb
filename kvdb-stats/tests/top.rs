//! Ranking: order by each key, limits, and a day of 1,000 services answered from rollups in
//! two round trips.

mod support;

use std::time::Duration;

use kvdb_stats::{SortBy, TimeRange};
use support::*;

#[tokio::test]
async fn services_are_ranked_by_the_key_asked_for() {
    let start = day_start(1) + 15 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options());
    // many: most calls, fast. slow: few, slowest mean. heavy: most total time. spiky: mostly
    // fast with a slow tail (highest p99, modest mean).
    for _ in 0..1000 {
        stats.record("many", Duration::from_micros(100));
    }
    for _ in 0..10 {
        stats.record("slow", Duration::from_millis(200));
    }
    for _ in 0..300 {
        stats.record("heavy", Duration::from_millis(60));
    }
    for i in 0..200 {
        let ms = if i < 3 { 5000 } else { 1 };
        stats.record("spiky", Duration::from_millis(ms));
    }
    for _ in 0..10 {
        stats.record("also-slow", Duration::from_millis(200));
    }
    stats.flush().await.unwrap();
    let range = TimeRange::new(start, start + MINUTE);
    let stats_ref = &stats;
    let order = |by| async move {
        let ranking = stats_ref.top(range, by, 10).await.unwrap();
        ranking
            .services
            .iter()
            .map(|s| s.service.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(SortBy::Usage).await,
        ["many", "heavy", "spiky", "also-slow", "slow"]
    );
    assert_eq!(
        order(SortBy::Mean).await,
        ["also-slow", "slow", "spiky", "heavy", "many"]
    );
    assert_eq!(
        order(SortBy::TotalTime).await,
        ["heavy", "spiky", "also-slow", "slow", "many"]
    );
    assert_eq!(
        order(SortBy::P99).await,
        ["spiky", "also-slow", "slow", "heavy", "many"]
    );

    let two = stats.top(range, SortBy::Usage, 2).await.unwrap();
    assert_eq!(two.services.len(), 2);
    assert_eq!(two.services_seen, 5);
    assert_eq!(two.totals.usage, 1000 + 10 + 300 + 200 + 10);
    let none = stats.top(range, SortBy::Usage, 0).await.unwrap();
    assert!(none.services.is_empty());
    assert_eq!(none.totals, two.totals);
    // Shares add up to 100 %.
    let all = stats.top(range, SortBy::Usage, 10).await.unwrap();
    let usage_share: f64 = all.services.iter().map(|s| s.usage_share_percent).sum();
    let time_share: f64 = all.services.iter().map(|s| s.time_share_percent).sum();
    assert!((usage_share - 100.0).abs() < 1e-9 && (time_share - 100.0).abs() < 1e-9);
}

#[tokio::test]
async fn top_ten_of_a_thousand_services_over_a_day_is_two_round_trips() {
    let end = day_start(0) - 20 * MINUTE; // 23:40 yesterday
    let start = end - DAY;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options());
    // Every hour of the day, every service: three calls; service i takes about i us.
    for hour in 0..24 {
        setup.set_time(start + hour * HOUR + 30 * MINUTE);
        for service in 0..1000u64 {
            for k in 0..3 {
                stats.record(
                    &format!("svc-{service:03}"),
                    Duration::from_nanos(1000 * (service + 1) + k),
                );
            }
        }
        stats.flush().await.unwrap();
    }
    setup.set_time(end);
    let rolled = stats.rollup().await.unwrap();
    assert_eq!(rolled.hours, 23, "the last hour has not ended yet");

    setup.store.reset();
    let top = stats
        .top(stats.last(Duration::from_secs(86_400)), SortBy::P99, 10)
        .await
        .unwrap();
    assert_eq!(
        setup.store.round_trips(),
        2,
        "the watermarks, then one pipeline"
    );
    // 23:40-24:00 as minutes, 00:00-23:00 as hours, 23:00-23:40 as minutes (that hour
    // has not ended, so it is not rolled up).
    assert_eq!(top.buckets_read, 20 + 23 + 40);
    let names: Vec<&str> = top.services.iter().map(|s| s.service.as_str()).collect();
    let expected: Vec<String> = (990..1000).rev().map(|i| format!("svc-{i:03}")).collect();
    assert_eq!(names, expected);
    assert_eq!(top.services_seen, 1000);
    assert_eq!(top.totals.usage, 24 * 1000 * 3);
    assert!(top.services.iter().all(|s| s.usage == 72));
}
