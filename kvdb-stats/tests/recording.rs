//! Recording: exact statistics from known durations, several recorders, many tasks,
//! background flush and graceful shutdown.

mod support;

use std::sync::Arc;
use std::time::Duration;

use kvdb_stats::{Stats, StatsOptions, TimeRange};
use support::*;

/// Deterministic durations from 50 us to about 800 ms, spread over four orders of magnitude.
fn durations(count: usize) -> Vec<u64> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    (0..count)
        .map(|_| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let exponent = (seed >> 33) % 4; // 10^0..10^3
            let mantissa = 50_000 + (seed >> 40) % 150_000; // 50..200 us
            mantissa * 10u64.pow(exponent as u32) / 4
        })
        .collect()
}

#[tokio::test]
async fn known_durations_give_exact_statistics() {
    let start = day_start(1) + 10 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options());
    let calls = durations(5000);
    for (i, ns) in calls.iter().enumerate() {
        // 1,000 calls per minute over five minutes.
        setup.set_time(start + (i as u64 / 1000) * MINUTE + 7);
        stats.record("orders.create", Duration::from_nanos(*ns));
        if i % 5 == 0 {
            stats.record("other", Duration::from_millis(1));
        }
    }
    let report = stats.flush().await.unwrap();
    assert_eq!(report.calls, 6000);
    assert_eq!(report.buckets, 5);

    setup.set_time(start + 10 * MINUTE);
    let range = TimeRange::new(start, start + 5 * MINUTE);
    let report = stats.service("orders.create", range).await.unwrap();
    let s = &report.stats;
    let total: u64 = calls.iter().sum();
    let mut sorted = calls.clone();
    sorted.sort_unstable();
    assert_eq!(s.usage, 5000);
    assert_eq!(s.total_time_ns, total);
    assert_eq!(s.min_ns, sorted[0]);
    assert_eq!(s.max_ns, sorted[4999]);
    assert_eq!(s.mean_ns, (total + 2500) / 5000);
    assert!(
        sorted[0] < sorted[2500] / 10,
        "the durations should spread widely"
    );
    for (estimate, quantile) in [(s.p50_ns, 0.5), (s.p90_ns, 0.9), (s.p99_ns, 0.99)] {
        assert_within_bucket_error(
            estimate,
            nearest_rank(&sorted, quantile),
            &format!("p{quantile}"),
        );
    }
    assert!(
        (s.rate_per_sec - 5000.0 / 300.0).abs() < 1e-9,
        "{}",
        s.rate_per_sec
    );
    let other_time = 1000 * 1_000_000u64;
    assert_eq!(report.totals.usage, 6000);
    assert_eq!(report.totals.total_time_ns, total + other_time);
    assert!((s.usage_share_percent - 5000.0 * 100.0 / 6000.0).abs() < 1e-9);
    let time_share = total as f64 * 100.0 / (total + other_time) as f64;
    assert!((s.time_share_percent - time_share).abs() < 1e-9);

    // The trend: one point per minute, each with its own exact mean.
    assert_eq!(report.trend.len(), 5);
    for (minute, point) in report.trend.iter().enumerate() {
        let chunk = &calls[minute * 1000..(minute + 1) * 1000];
        let sum: u64 = chunk.iter().sum();
        assert_eq!(point.minute_start, start + minute as u64 * MINUTE);
        assert_eq!(point.usage, 1000);
        assert_eq!(point.mean_ns, (sum + 500) / 1000);
    }

    // A service that never ran: zeros, not an error.
    let none = stats.service("never.called", range).await.unwrap();
    assert_eq!(
        (none.stats.usage, none.stats.p99_ns, none.stats.min_ns),
        (0, 0, 0)
    );
    assert_eq!(none.totals.usage, 6000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_recorders_add_up_exactly() {
    let start = day_start(1) + 3 * HOUR;
    let setup = Setup::new(start).await;
    let first = setup.stats(setup.options());
    let second = Stats::new(setup.other_store().await, setup.options()).unwrap();
    let mut tasks = Vec::new();
    for (n, stats) in [first.clone(), second.clone()].into_iter().enumerate() {
        for task in 0..8u64 {
            let stats = stats.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..2000u64 {
                    let service = ["a", "b", "c"][(i % 3) as usize];
                    stats.record(
                        service,
                        Duration::from_micros(1 + i + task * 10_000 + n as u64),
                    );
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (r1, r2) = tokio::join!(first.flush(), second.flush());
    assert_eq!(r1.unwrap().calls + r2.unwrap().calls, 32_000);

    let range = TimeRange::new(start, start + MINUTE);
    for (index, service) in ["a", "b", "c"].into_iter().enumerate() {
        let mut expected = Vec::new();
        for n in 0..2u64 {
            for task in 0..8u64 {
                for i in (index as u64..2000).step_by(3) {
                    expected.push((1 + i + task * 10_000 + n) * 1000);
                }
            }
        }
        let got = first.service(service, range).await.unwrap().stats;
        assert_eq!(got.usage, expected.len() as u64, "{service}");
        assert_eq!(got.total_time_ns, expected.iter().sum::<u64>(), "{service}");
        assert_eq!(got.min_ns, *expected.iter().min().unwrap(), "{service}");
        assert_eq!(got.max_ns, *expected.iter().max().unwrap(), "{service}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_tasks_lose_nothing_while_flushes_run() {
    let start = day_start(1) + 5 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(setup.options());
    let recorders: Vec<_> = (0..64)
        .map(|task| {
            let stats = stats.clone();
            tokio::spawn(async move {
                for i in 0..5000u64 {
                    stats.record(&format!("svc-{}", task % 8), Duration::from_nanos(100 + i));
                    if i % 500 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    let flusher = {
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut flushed = 0;
            for _ in 0..20 {
                flushed += stats.flush().await.unwrap().calls;
                tokio::task::yield_now().await;
            }
            flushed
        })
    };
    for task in recorders {
        task.await.unwrap();
    }
    let flushed = flusher.await.unwrap() + stats.flush().await.unwrap().calls;
    assert_eq!(flushed, 64 * 5000);
    let ranking = stats
        .top(
            TimeRange::new(start, start + MINUTE),
            kvdb_stats::SortBy::Usage,
            100,
        )
        .await
        .unwrap();
    assert_eq!(ranking.totals.usage, 64 * 5000);
    assert_eq!(ranking.services.len(), 8);
    assert!(ranking.services.iter().all(|s| s.usage == 8 * 5000));
}

#[tokio::test]
async fn graceful_shutdown_flushes_everything() {
    let start = day_start(1) + 7 * HOUR;
    let setup = Setup::new(start).await;
    // A flush interval far longer than the test: only shutdown() can write the calls.
    let options = setup.options().flush_interval(Duration::from_secs(3600));
    let stats = Stats::start(setup.store.clone(), options).unwrap();
    for i in 0..1234u64 {
        stats.record("billing", Duration::from_micros(i + 1));
    }
    let range = TimeRange::new(start, start + MINUTE);
    assert_eq!(
        stats.service("billing", range).await.unwrap().stats.usage,
        0
    );
    let report = stats.shutdown().await.unwrap();
    assert_eq!(report.calls, 1234);
    assert_eq!(
        stats.service("billing", range).await.unwrap().stats.usage,
        1234
    );

    // Recording goes on after shutdown, with flushes left to the caller.
    stats.record("billing", Duration::from_micros(5));
    assert_eq!(stats.flush().await.unwrap().calls, 1);
    assert_eq!(stats.shutdown().await.unwrap().calls, 0);
}

#[tokio::test]
async fn the_background_task_flushes_on_its_interval() {
    let start = day_start(1) + 8 * HOUR;
    let setup = Setup::new(start).await;
    let options = setup.options().flush_interval(Duration::from_millis(20));
    let stats = Stats::start(setup.store.clone(), options).unwrap();
    stats.record("quick", Duration::from_millis(3));
    let range = TimeRange::new(start, start + MINUTE);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if stats.service("quick", range).await.unwrap().stats.usage == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no background flush within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stats.shutdown().await.unwrap();
}

#[test]
fn start_outside_a_runtime_is_an_error() {
    let server = kvdb_test::RedisServer::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store: Arc<dyn kvdb_core::KvStore> = Arc::new(
        runtime
            .block_on(kvdb_core::RedisStore::connect(&server.url()))
            .unwrap(),
    );
    // Outside `block_on`: no runtime in this thread's context.
    let err = Stats::start(store, StatsOptions::default()).unwrap_err();
    assert!(matches!(err, kvdb_stats::Error::NoRuntime), "{err}");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}
