//! Calls survive the server forgetting scripts: SCRIPT FLUSH (alone and in pipelines) and
//! restarts.

mod support;

use std::time::Duration;

use kvdb_core::{KvStoreExt, Pipeline};
use kvdb_test::RedisServer;
use support::{calls, write, CHECK_IF_EXISTS};

#[tokio::test]
async fn script_flush_between_calls_fails_no_call() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mylib.check_if_exists.lua", CHECK_IF_EXISTS);
    write(
        dir.path(),
        "peek.lua",
        "-- kvdb: keys=1 readonly\nreturn redis.call('EXISTS', KEYS[1])",
    );
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let store = support::store(&server).await;
    let loads_at_start = calls(&*store, "script|load").await;
    assert_eq!(loads_at_start, 3, "one SCRIPT LOAD per program at load");

    for round in 0..20 {
        server.raw_command(&["SCRIPT", "FLUSH"]);
        store.set("rename-from", round).await.unwrap();
        let out: i64 = lua
            .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
            .await
            .unwrap_or_else(|err| panic!("round {round}: {err}"));
        assert_eq!(out, 10);
        server.raw_command(&["SCRIPT", "FLUSH"]);
        let exists: i64 = lua.run_lua("peek", &["rename-to"], &[]).await.unwrap();
        assert_eq!(exists, 1);
    }
    assert_eq!(
        calls(&*store, "eval").await,
        0,
        "the body never goes with a call"
    );
    assert_eq!(calls(&*store, "eval_ro").await, 0);
    assert_eq!(
        calls(&*store, "script|load").await - loads_at_start,
        40,
        "one SCRIPT LOAD per forgotten script"
    );

    // Without flushes: EVALSHA only, and one more load, of the script the last flush took.
    let evalsha_before = calls(&*store, "evalsha").await;
    for _ in 0..10 {
        let _: i64 = lua
            .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
            .await
            .unwrap();
    }
    assert_eq!(calls(&*store, "script|load").await - loads_at_start, 41);
    assert_eq!(
        calls(&*store, "evalsha").await - evalsha_before,
        11,
        "10 calls + 1 NOSCRIPT"
    );
}

#[tokio::test]
async fn script_flush_inside_a_pipeline_fails_no_call() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mylib.check_if_exists.lua", CHECK_IF_EXISTS);
    write(
        dir.path(),
        "incr.lua",
        "-- kvdb: keys=1\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])",
    );
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let store = support::store(&server).await;

    for atomic in [false, true] {
        for round in 0..5_i64 {
            server.raw_command(&["SCRIPT", "FLUSH"]);
            store.set("rename-from", "x").await.unwrap();
            let mut pipe = Pipeline::new();
            if atomic {
                pipe.atomic();
            }
            lua.add_to_pipeline(
                &mut pipe,
                "mylib.check_if_exists",
                &["rename-from", "rename-to"],
                &[] as &[&str],
            )
            .unwrap();
            pipe.set("plain", round).ignore();
            lua.add_to_pipeline(&mut pipe, "incr", &["n"], &[1])
                .unwrap();
            lua.add_to_pipeline(
                &mut pipe,
                "mylib.check_if_exists",
                &["rename-from", "rename-to"],
                &[] as &[&str],
            )
            .unwrap();
            let (renamed, n, again): (i64, i64, i64) = pipe
                .query(&*store)
                .await
                .unwrap_or_else(|err| panic!("atomic={atomic} round {round}: {err}"));
            assert_eq!((renamed, again), (10, 11), "atomic={atomic}");
            let expected_n = if atomic { 6 + round } else { 1 + round };
            assert_eq!(n, expected_n);
        }
    }
    assert_eq!(calls(&*store, "eval").await, 0);
}

#[tokio::test]
async fn calls_recover_after_a_server_restart() {
    let mut server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mylib.check_if_exists.lua", CHECK_IF_EXISTS);
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let store = lua.store().clone();
    let _: i64 = lua
        .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
        .await
        .unwrap();

    server.restart();
    let mut retries = 0;
    let out: i64 = loop {
        match lua
            .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
            .await
        {
            Ok(out) => break out,
            Err(err) => {
                assert!(
                    err.is_retryable(),
                    "only retryable errors during a restart: {err}"
                );
                retries += 1;
                assert!(retries < 250, "never recovered: {err}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(out, 11, "the restarted server has no data (no persistence)");

    // The restarted server forgot the scripts; the call loaded it again.
    assert_eq!(calls(&*store, "script|load").await, 1);
    store.set("rename-from", "y").await.unwrap();
    let out: i64 = lua
        .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
        .await
        .unwrap();
    assert_eq!(out, 10);
}
