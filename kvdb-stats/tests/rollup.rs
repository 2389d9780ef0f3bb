//! The rollup job: equal to the direct computation, idempotent, one runner at a time, late
//! calls folded in, and ranges over several levels equal to their minute-level answer.

mod support;

use std::time::Duration;

use kvdb_stats::{Level, Period, SortBy, Stats, TimeRange};
use support::*;

const SERVICES: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];

/// One recorded call: when, which service, how many nanoseconds.
type Recorded = (u64, &'static str, u64);

/// Records calls every 7 minutes from `from` to `to` (Unix seconds) and returns them.
/// Durations differ by service and time so every statistic is distinct.
fn record_span(setup: &Setup, stats: &Stats, from: u64, to: u64) -> Vec<Recorded> {
    let mut calls = Vec::new();
    let mut t = from;
    while t < to {
        setup.set_time(t);
        for (s, service) in SERVICES.iter().enumerate() {
            for k in 0..=(s as u64) {
                let micros = 100 + (t / 60 % 997) * (s as u64 + 1) * 13 + k * 7919;
                stats.record(service, Duration::from_micros(micros));
                calls.push((t, *service, micros * 1000));
            }
        }
        t += 7 * MINUTE;
    }
    calls
}

async fn flush(stats: &Stats) {
    stats.flush().await.expect("flush");
}

#[tokio::test]
async fn rollups_equal_the_minute_level_answer_at_every_level() {
    let day = day_start(3);
    let setup = Setup::new(day).await;
    let stats = setup.stats(setup.options());
    let (from, to) = (day - 2 * HOUR, day + 26 * HOUR);
    let calls = record_span(&setup, &stats, from, to);
    flush(&stats).await;
    let count = calls.len() as u64;

    // A range with minutes at both edges, hours next to them and a whole day inside.
    let range = TimeRange::new(day - HOUR - 13 * MINUTE, day + 25 * HOUR + 13 * MINUTE);
    setup.set_time(to + HOUR);
    let minutes = stats.top(range, SortBy::Usage, 10).await.unwrap();
    assert_eq!(
        minutes.buckets_read,
        73 + 24 * 60 + 73,
        "no rollup yet: all minutes"
    );
    let whole = stats
        .top(TimeRange::new(from, to), SortBy::Usage, 10)
        .await
        .unwrap();
    assert_eq!(whole.totals.usage, count);

    let report = stats.rollup().await.unwrap();
    assert!(!report.skipped);
    assert_eq!(report.hours, 28);
    assert_eq!(
        report.days, 2,
        "the day before (its last two hours) and the whole day"
    );
    let rolled = stats.top(range, SortBy::Usage, 10).await.unwrap();
    assert_eq!(
        rolled.buckets_read,
        13 + 1 + 1 + 1 + 13,
        "minutes, an hour, the day, an hour, minutes"
    );
    assert_eq!(rolled.services, minutes.services);
    assert_eq!(rolled.totals, minutes.totals);

    // One service's report too; its per-minute trend covers the last day of the range.
    for service in SERVICES {
        let report = stats.service(service, range).await.unwrap();
        assert_eq!(report.buckets_read, 29);
        let expected = minutes
            .services
            .iter()
            .find(|s| s.service == service)
            .unwrap();
        assert_eq!(&report.stats, expected);
        assert_eq!(report.trend.len(), 1440);
        let trend_usage: u64 = report.trend.iter().map(|p| p.usage).sum();
        let last_day = TimeRange::new(range.end - DAY, range.end);
        assert_eq!(
            trend_usage,
            stats.service(service, last_day).await.unwrap().stats.usage
        );
    }

    // Each hour bucket equals the direct computation over the calls, and the minute-level
    // answer (percentiles included).
    for hour in 0..28 {
        let start = from + hour * HOUR;
        let hour_range = TimeRange::new(start, start + HOUR);
        let from_hour = stats.top(hour_range, SortBy::Usage, 10).await.unwrap();
        assert_eq!(from_hour.buckets_read, 1);
        for got in &from_hour.services {
            let direct: Vec<u64> = calls
                .iter()
                .filter(|(t, s, _)| *s == got.service && (start..start + HOUR).contains(t))
                .map(|(_, _, ns)| *ns)
                .collect();
            assert_eq!(got.usage, direct.len() as u64);
            assert_eq!(got.total_time_ns, direct.iter().sum::<u64>());
            assert_eq!(got.min_ns, *direct.iter().min().unwrap());
            assert_eq!(got.max_ns, *direct.iter().max().unwrap());
        }
        let minutes = minute_level(&setup, start, start + HOUR).await;
        assert_eq!(from_hour.services, minutes.services, "hour {hour}");
    }
}

/// The same query with the rollup watermarks hidden, so the planner reads every minute.
async fn minute_level(setup: &Setup, start: u64, end: u64) -> kvdb_stats::Ranking {
    use kvdb_core::KvStoreExt;

    let store = setup.other_store().await;
    let marks = format!("{}:{{stats:rollup}}:marks", store.namespace().prefix());
    let saved: Vec<String> = store.hgetall(&marks).await.expect("HGETALL marks");
    store.del(&marks).await.expect("DEL marks");
    let ranking = Stats::new(store.clone(), setup.options())
        .expect("valid options")
        .top(TimeRange::new(start, end), SortBy::Usage, 10)
        .await
        .expect("minute-level query");
    let restore = kvdb_core::redis::cmd("HSET")
        .arg(&marks)
        .arg(&saved)
        .clone();
    let _: i64 = store.query(&restore).await.expect("HSET marks");
    assert_eq!(ranking.buckets_read as u64, (end - start) / 60);
    ranking
}

#[tokio::test]
async fn months_roll_up_from_days_and_answer_month_and_year_summaries() {
    let now = day_start(0);
    let month = Level::Month.bucket_of(now) - 1;
    let (month_start, month_end) = (Level::Month.start_of(month), Level::Month.end_of(month));
    let setup = Setup::new(month_start).await;
    let stats = setup.stats(setup.options());
    let mut calls = 0;
    for day in [0, 14, (month_end - month_start) / DAY - 1] {
        let start = month_start + day * DAY + 10 * HOUR;
        calls += record_span(&setup, &stats, start, start + HOUR).len() as u64;
    }
    flush(&stats).await;
    setup.set_time(month_end + HOUR);
    let before = stats.summary(Period::Month, at(month_start)).await.unwrap();
    assert_eq!(before.totals.usage, calls);

    let report = stats.rollup().await.unwrap();
    assert_eq!((report.hours, report.days, report.months), (3, 3, 1));
    let summary = stats
        .summary(Period::Month, at(month_start + 5 * DAY))
        .await
        .unwrap();
    assert_eq!(summary.buckets_read, 1, "one month bucket");
    assert_eq!(summary.range, TimeRange::new(month_start, month_end));
    assert_eq!(summary.services, before.services);
    assert_eq!(summary.services_seen, SERVICES.len());

    let year = stats.summary(Period::Year, at(month_start)).await.unwrap();
    assert_eq!(year.totals.usage, calls);
    assert_eq!(
        year.range.end,
        month_end + HOUR + MINUTE,
        "cut at the current minute"
    );
    let week = stats
        .summary(Period::Week, at(month_start + 14 * DAY))
        .await
        .unwrap();
    assert!(week.buckets_read <= 7, "{}", week.buckets_read);
    assert!(week.totals.usage > 0);
}

#[tokio::test]
async fn rollup_is_idempotent_and_runs_once_at_a_time() {
    let day = day_start(2);
    let setup = Setup::new(day).await;
    let stats = setup.stats(setup.options());
    let other = Stats::new(setup.other_store().await, setup.options()).unwrap();
    record_span(&setup, &stats, day, day + 3 * HOUR);
    flush(&stats).await;
    setup.set_time(day + 3 * HOUR + 10 * MINUTE);

    let (a, b) = tokio::join!(stats.rollup(), other.rollup());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        [a.skipped, b.skipped].iter().filter(|s| **s).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(a.hours + b.hours, 3);
    let range = TimeRange::new(day, day + 3 * HOUR);
    let first = stats.top(range, SortBy::Mean, 10).await.unwrap();
    assert_eq!(first.buckets_read, 3);

    // Again: nothing left to do, nothing changes.
    let again = other.rollup().await.unwrap();
    assert_eq!((again.hours, again.days, again.skipped), (0, 0, false));
    assert_eq!(stats.top(range, SortBy::Mean, 10).await.unwrap(), first);
}

#[tokio::test]
async fn calls_flushed_after_their_hour_was_rolled_up_are_rolled_up_again() {
    let day = day_start(3);
    let setup = Setup::new(day).await;
    let stats = setup.stats(setup.options());
    let late = Stats::new(setup.other_store().await, setup.options()).unwrap();
    record_span(&setup, &stats, day, day + 2 * HOUR);
    // A process records in hour 1 but cannot flush until long after.
    setup.set_time(day + HOUR + 30 * MINUTE);
    late.record("alpha", Duration::from_secs(9));
    flush(&stats).await;
    setup.set_time(day + 25 * HOUR);
    let report = stats.rollup().await.unwrap();
    assert_eq!((report.hours, report.days), (2, 1));
    let day_range = TimeRange::new(day, day + DAY);
    let before = stats.service("alpha", day_range).await.unwrap();
    assert_eq!(before.buckets_read, 1, "the day bucket");

    flush(&late).await;
    let report = stats.rollup().await.unwrap();
    assert_eq!((report.hours, report.days), (1, 1), "{report:?}");
    let after = stats.service("alpha", day_range).await.unwrap();
    assert_eq!(after.buckets_read, 1);
    assert_eq!(after.stats.usage, before.stats.usage + 1);
    assert_eq!(after.stats.max_ns, 9_000_000_000);
    assert_eq!(
        after.stats.total_time_ns,
        before.stats.total_time_ns + 9_000_000_000
    );
}

#[tokio::test]
async fn hours_still_in_their_rollup_delay_are_read_as_minutes() {
    let day = day_start(2);
    let setup = Setup::new(day).await;
    let stats = setup.stats(setup.options());
    record_span(&setup, &stats, day, day + 2 * HOUR);
    flush(&stats).await;
    // One minute after the second hour ended: the rollup delay (2 min) has not passed.
    setup.set_time(day + 2 * HOUR + MINUTE);
    let report = stats.rollup().await.unwrap();
    assert_eq!(report.hours, 1);
    assert_eq!(report.watermarks[0], Some(Level::Hour.bucket_of(day)));
    let ranking = stats
        .top(TimeRange::new(day, day + 2 * HOUR), SortBy::Usage, 10)
        .await
        .unwrap();
    assert_eq!(ranking.buckets_read, 1 + 60);
    setup.set_time(day + 2 * HOUR + 3 * MINUTE);
    assert_eq!(stats.rollup().await.unwrap().hours, 1);
    let ranking2 = stats
        .top(TimeRange::new(day, day + 2 * HOUR), SortBy::Usage, 10)
        .await
        .unwrap();
    assert_eq!(ranking2.buckets_read, 2);
    assert_eq!(ranking2.services, ranking.services);
}
