//! Retention: every level's buckets expire on time, and ranges beyond retention say so.

mod support;

use std::time::Duration;

use kvdb_core::KvStoreExt;
use kvdb_stats::{Error, Level, Retention, SortBy, StatsOptions, TimeRange};
use support::*;

async fn expire_time_ms(setup: &Setup, key: &str) -> i64 {
    setup
        .store
        .query(kvdb_core::redis::cmd("PEXPIRETIME").arg(key))
        .await
        .expect("PEXPIRETIME")
}

#[tokio::test]
async fn every_level_expires_after_its_retention() {
    let day = day_start(1);
    let setup = Setup::new(day + 5 * HOUR).await;
    let retention = Retention::default()
        .minute(Duration::from_secs(3 * DAY))
        .hour(Duration::from_secs(40 * DAY))
        .day(Duration::from_secs(500 * DAY))
        .month(Duration::from_secs(2000 * DAY))
        .slow_calls(Duration::from_secs(9 * DAY));
    let options = StatsOptions::default()
        .clock(setup.clock.clone())
        .retention(retention)
        .slow_threshold(Duration::from_millis(1));
    let stats = setup.stats(options);
    stats.record("kept", Duration::from_millis(5));
    stats.flush().await.unwrap();
    setup.set_time(day + DAY + HOUR);
    let report = stats.rollup().await.unwrap();
    assert_eq!((report.hours, report.days), (1, 1));

    let minute = Level::Minute.bucket_of(day + 5 * HOUR);
    let hour = Level::Hour.bucket_of(day + 5 * HOUR);
    let day_id = Level::Day.bucket_of(day);
    for (level, id, keep) in [
        (Level::Minute, minute, 3 * DAY),
        (Level::Hour, hour, 40 * DAY),
        (Level::Day, day_id, 500 * DAY),
    ] {
        let key = stats.bucket_key(level, id);
        let expected = (level.end_of(id) + keep) as i64 * 1000;
        assert_eq!(expire_time_ms(&setup, &key).await, expected, "{level}");
    }
    // The slow-call list lives 9 days after its last write (the server's clock).
    let ttl = setup
        .store
        .ttl(stats.slow_calls_key("kept"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        ttl <= Duration::from_secs(9 * DAY) && ttl > Duration::from_secs(9 * DAY - 60),
        "{ttl:?}"
    );
}

#[tokio::test]
async fn a_month_bucket_expires_after_the_month_retention() {
    let now = day_start(0);
    let month = Level::Month.bucket_of(now) - 1;
    let setup = Setup::new(Level::Month.start_of(month) + HOUR).await;
    let stats = setup.stats(setup.options());
    stats.record("monthly", Duration::from_millis(5));
    stats.flush().await.unwrap();
    setup.set_time(Level::Month.end_of(month) + HOUR);
    assert_eq!(stats.rollup().await.unwrap().months, 1);
    let expected = (Level::Month.end_of(month) + 3000 * DAY) as i64 * 1000;
    assert_eq!(
        expire_time_ms(&setup, &stats.bucket_key(Level::Month, month)).await,
        expected
    );
}

#[tokio::test]
async fn ranges_beyond_retention_are_reported() {
    let now = day_start(1) + 12 * HOUR;
    let setup = Setup::new(now).await;
    // Default retention: minutes 2 days, hours 35 days, days 400 days, months 5 years.
    let stats = setup.stats(StatsOptions::default().clock(setup.clock.clone()));
    stats.record("svc", Duration::from_millis(1));
    stats.flush().await.unwrap();

    let ancient = TimeRange::new(now - 3650 * DAY, now - 3600 * DAY);
    let err = stats.top(ancient, SortBy::Usage, 10).await.unwrap_err();
    assert!(matches!(err, Error::BeyondRetention { .. }), "{err}");
    assert!(
        err.to_string().contains("beyond the statistics' retention"),
        "{err}"
    );
    let err = stats.service("svc", ancient).await.unwrap_err();
    assert!(matches!(err, Error::BeyondRetention { .. }), "{err}");

    // Partly beyond: without rollups only the last two days of minutes can answer, and the
    // report says which part could not.
    let week = TimeRange::new(now - 7 * DAY, now + MINUTE);
    let report = stats.service("svc", week).await.unwrap();
    assert_eq!(report.stats.usage, 1);
    assert_eq!(report.uncovered.len(), 1);
    assert_eq!(report.uncovered[0].start, week.start);
    assert_eq!(
        report.uncovered[0].end,
        Level::Minute.start_of(Level::Minute.bucket_of(now - 2 * DAY))
    );

    // A range in the future is empty, not an error.
    let future = TimeRange::new(now + DAY, now + 2 * DAY);
    let ranking = stats.top(future, SortBy::Usage, 10).await.unwrap();
    assert!(ranking.services.is_empty());
    assert_eq!(ranking.buckets_read, 0);
}

#[tokio::test]
async fn hours_whose_minutes_expired_before_a_rollup_are_dropped_not_shrunk() {
    let start = day_start(1) + 2 * HOUR;
    let setup = Setup::new(start).await;
    let stats = setup.stats(StatsOptions::default().clock(setup.clock.clone()));
    stats.record("svc", Duration::from_millis(1));
    stats.flush().await.unwrap();
    // No rollup for three days: longer than the minutes' two-day retention.
    setup.set_time(start + 3 * DAY);
    let report = stats.rollup().await.unwrap();
    assert_eq!((report.hours, report.expired), (0, 1));
    // Handled: the next run has nothing left to do.
    let again = stats.rollup().await.unwrap();
    assert_eq!((again.hours, again.expired), (0, 0));
}
