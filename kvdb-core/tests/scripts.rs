//! Scripts survive SCRIPT FLUSH and restarts, alone and inside pipelines.

use kvdb_core::{KvStoreExt, Pipeline, RedisStore, Script};
use kvdb_test::RedisServer;

const INCR: &str = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

#[tokio::test]
async fn invoke_loads_on_noscript_and_then_uses_evalsha() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let script = Script::new(INCR);
    for _ in 0..10 {
        let _: i64 = script.invoke(&store, &["n"], &[1]).await.unwrap();
    }
    server.raw_command(&["SCRIPT", "FLUSH"]);
    let n: i64 = script.invoke(&store, &["n"], &[1]).await.unwrap();
    assert_eq!(n, 11);

    let stats = store.info_section("commandstats").await.unwrap();
    let calls = |name: &str| {
        stats
            .get(name)
            .and_then(|v| match v {
                kvdb_core::InfoValue::Map(m) => m.get("calls").and_then(|c| c.as_i64()),
                _ => None,
            })
            .unwrap_or(0)
    };
    assert_eq!(
        calls("cmdstat_eval"),
        0,
        "the body must never be sent with EVAL"
    );
    assert_eq!(
        calls("cmdstat_script|load"),
        2,
        "loaded once at first use, once after FLUSH"
    );
    assert_eq!(
        calls("cmdstat_evalsha"),
        13,
        "11 calls + 2 refused with NOSCRIPT"
    );
}

#[tokio::test]
async fn scripts_in_pipelines_survive_script_flush() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let incr = Script::new(INCR);
    let double = Script::new("return tonumber(redis.call('GET', KEYS[1]) or 0) * 2");
    for atomic in [false, true] {
        server.raw_command(&["SCRIPT", "FLUSH"]);
        store.set("p", 0).await.unwrap();
        let mut pipe = Pipeline::new();
        if atomic {
            pipe.atomic();
        }
        pipe.invoke_script(&incr, &["p"], &[5]);
        pipe.set("plain", 1).ignore();
        pipe.invoke_script(&incr, &["p"], &[1]);
        pipe.invoke_script(&double, &["p"], &[] as &[&str]);
        let (a, b, c): (i64, i64, i64) = pipe.query(&store).await.unwrap();
        assert_eq!((a, b, c), (5, 6, 12), "atomic={atomic}");
        // Ran again with the scripts loaded: plain EVALSHA.
        let (a, _, _): (i64, i64, i64) = pipe.query(&store).await.unwrap();
        assert_eq!(a, 11);
    }
}

#[tokio::test]
async fn scripts_survive_a_restart() {
    let mut server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let script = Script::new(INCR);
    let _: i64 = script.invoke(&store, &["n"], &[1]).await.unwrap();
    server.restart();
    let mut failures = 0;
    let value: i64 = loop {
        match script.invoke(&store, &["n"], &[1]).await {
            Ok(v) => break v,
            Err(err) => {
                assert!(err.is_retryable(), "{err}");
                failures += 1;
                assert!(failures < 200, "never recovered: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(value, 1, "no persistence: the counter starts again");
}

#[tokio::test]
async fn a_syntax_error_names_the_line() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let broken = Script::new("local x = 1\nreturn x +");
    let err = broken.load(&store).await.unwrap_err();
    assert!(err.to_string().contains(":2:"), "{err}");
}

#[tokio::test]
async fn no_call_fails_while_another_client_keeps_flushing() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let flusher = {
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                store
                    .query::<()>(redis::cmd("SCRIPT").arg("FLUSH"))
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_micros(200)).await;
            }
        })
    };
    let script = Script::new(INCR);
    let mut tasks = Vec::new();
    for task in 0..16 {
        let (store, script) = (store.clone(), script.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..100 {
                let _: i64 = script.invoke(&store, &["n"], &[1]).await.unwrap();
                let mut pipe = Pipeline::new();
                // Not chained: after a redis::Pipeline method the chain is redis's own type.
                pipe.invoke_script(&script, &["n"], &[1]);
                pipe.set(format!("t{task}"), 1).ignore();
                pipe.invoke_script(&script, &["n"], &[1]);
                let _: (i64, i64) = pipe.query(&store).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    flusher.abort();
    assert_eq!(store.get::<_, i64>("n").await.unwrap(), 16 * 100 * 3);
}
