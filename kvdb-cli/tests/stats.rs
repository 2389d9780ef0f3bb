//! `kvdb stats ...` over statistics recorded through kvdb-stats.

mod support;

use std::sync::Arc;
use std::time::Duration;

use kvdb_core::{KvStore, RedisStore, RedisStoreOptions};
use kvdb_stats::{Call, Stats, StatsOptions};
use kvdb_test::RedisServer;
use support::kvdb;

async fn record(server: &RedisServer) {
    let store: Arc<dyn KvStore> = Arc::new(
        RedisStore::connect_with(&server.url(), RedisStoreOptions::default().namespace("t"))
            .await
            .expect("connect"),
    );
    let stats = Stats::new(store, StatsOptions::default()).expect("stats");
    for _ in 0..30 {
        stats.record("billing.invoice", Duration::from_millis(2));
    }
    for _ in 0..10 {
        stats.record("crm.lookup", Duration::from_millis(20));
    }
    stats.record_call(&Call::new("crm.lookup", Duration::from_secs(3)).id("cid-42"));
    stats.shutdown().await.expect("flush");
}

#[tokio::test(flavor = "multi_thread")]
async fn top_service_slow_and_rollup() {
    let server = RedisServer::start();
    record(&server).await;

    let top = tokio::task::spawn_blocking({
        let url = server.url();
        move || {
            support::kvdb_at(
                &url,
                "t",
                &["--json", "stats", "top", "--by", "usage", "-n", "5"],
            )
        }
    })
    .await
    .expect("run");
    assert_eq!(top.code, 0, "{}", top.stderr);
    let json = top.json();
    assert_eq!(json["services"][0]["service"], "billing.invoice");
    assert_eq!(json["services"][0]["usage"], 30);
    assert_eq!(json["services"][1]["usage"], 11);

    let by_time = kvdb(&server, "t", &["--json", "stats", "top", "--by", "time"]).json();
    assert_eq!(by_time["services"][0]["service"], "crm.lookup");

    let human = kvdb(&server, "t", &["stats", "top"]);
    assert!(
        human
            .stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("billing.invoice")),
        "{}",
        human.stdout
    );

    let service = kvdb(
        &server,
        "t",
        &[
            "--json",
            "stats",
            "service",
            "billing.invoice",
            "--since",
            "10m",
        ],
    )
    .json();
    assert_eq!(service["stats"]["mean_ns"], 2_000_000);
    assert_eq!(service["stats"]["min_ns"], 2_000_000);

    let slow = kvdb(&server, "t", &["--json", "stats", "slow", "crm.lookup"]).json();
    assert_eq!(slow[0]["id"], "cid-42");

    let rollup = kvdb(&server, "t", &["--json", "stats", "rollup"]);
    assert_eq!(rollup.code, 0, "{}", rollup.stderr);

    let bad = kvdb(&server, "t", &["stats", "top", "--since", "yesterday-ish"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--since"), "{}", bad.stderr);
    let bad = kvdb(&server, "t", &["stats", "top", "--by", "colour"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}
