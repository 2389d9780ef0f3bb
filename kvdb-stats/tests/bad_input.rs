//! Bad input gets a clear error, never a panic.

mod support;

use std::time::Duration;

use kvdb_core::KvStoreExt;
use kvdb_stats::{Error, Level, Period, Retention, SortBy, Stats, StatsOptions, TimeRange};
use support::*;

#[tokio::test]
async fn empty_names_and_reversed_ranges_are_refused() {
    let now = day_start(1);
    let setup = Setup::new(now).await;
    let stats = setup.stats(setup.options());
    let range = TimeRange::new(now - HOUR, now);

    let err = stats.service("", range).await.unwrap_err();
    assert!(matches!(err, Error::EmptyServiceName), "{err}");
    assert_eq!(err.to_string(), "service name is empty");
    assert!(matches!(
        stats.slow_calls("").await.unwrap_err(),
        Error::EmptyServiceName
    ));

    let reversed = TimeRange::new(now, now - HOUR);
    for err in [
        stats.service("svc", reversed).await.unwrap_err(),
        stats.top(reversed, SortBy::Usage, 5).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::ReversedRange { .. }), "{err}");
        assert!(err.to_string().contains("is reversed"), "{err}");
    }

    // Recording an empty name is ignored rather than stored under a name no query accepts.
    stats.record("", Duration::from_millis(1));
    assert_eq!(stats.flush().await.unwrap().calls, 0);

    // An empty range is an empty answer.
    let empty = stats
        .top(TimeRange::new(now, now), SortBy::Usage, 5)
        .await
        .unwrap();
    assert_eq!((empty.buckets_read, empty.totals.usage), (0, 0));
}

#[tokio::test]
async fn options_that_cannot_work_are_refused() {
    let setup = Setup::new(day_start(1)).await;
    let short_minutes =
        StatsOptions::default().retention(Retention::default().minute(Duration::from_secs(600)));
    let err = Stats::new(setup.store.clone(), short_minutes).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidOptions(m) if m.contains("minute retention")),
        "{err}"
    );
    let zero = StatsOptions::default().flush_interval(Duration::ZERO);
    assert!(matches!(
        Stats::start(setup.store.clone(), zero),
        Err(Error::InvalidOptions(_))
    ));
    assert!("weekly".parse::<Period>().is_err());
    assert!(matches!(
        "fastest".parse::<SortBy>(),
        Err(Error::UnknownName { .. })
    ));
}

#[tokio::test]
async fn data_not_written_by_kvdb_stats_is_reported_with_its_key() {
    let now = day_start(1) + HOUR;
    let setup = Setup::new(now).await;
    let stats = setup.stats(setup.options());
    let key = stats.bucket_key(Level::Minute, Level::Minute.bucket_of(now));
    let _: i64 = setup
        .store
        .query(
            kvdb_core::redis::cmd("HSET")
                .arg(&key)
                .arg("u:svc")
                .arg("many"),
        )
        .await
        .unwrap();
    let range = TimeRange::new(now, now + MINUTE);
    for err in [
        stats.service("svc", range).await.unwrap_err(),
        stats.top(range, SortBy::Usage, 5).await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::Malformed { key: k, .. } if *k == key),
            "{err}"
        );
    }
    // A slow-call list holding something else.
    let _: i64 = setup
        .store
        .query(
            kvdb_core::redis::cmd("LPUSH")
                .arg(stats.slow_calls_key("svc"))
                .arg("{not json"),
        )
        .await
        .unwrap();
    assert!(matches!(
        stats.slow_calls("svc").await.unwrap_err(),
        Error::Malformed { .. }
    ));
    // The store's own errors come through as Store, naming the command.
    setup
        .store
        .set(stats.slow_calls_key("other"), "a string")
        .await
        .unwrap();
    let err = stats.slow_calls("other").await.unwrap_err();
    assert!(
        matches!(&err, Error::Store(_)) && err.to_string().contains("WRONGTYPE"),
        "{err}"
    );
}
