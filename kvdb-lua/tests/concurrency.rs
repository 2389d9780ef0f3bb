//! Many callers at once, while programs are reloaded and the server forgets its scripts.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use kvdb_core::KvStoreExt;
use kvdb_test::RedisServer;
use support::write;

const CALLERS: usize = 64;
const CALLS_EACH: usize = 50;
/// Callers keep calling until at least this many reloads swapped programs under them.
const RELOADS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_callers_while_reloading_and_flushing() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bump.lua",
        "-- kvdb: keys=1\nredis.call('INCR', KEYS[1])\nreturn 1",
    );
    let (lua, _) = support::load(&server, &[dir.path()]).await;

    let done = Arc::new(AtomicBool::new(false));
    let reloads = Arc::new(AtomicUsize::new(0));
    let churn = {
        let (lua, done, path) = (lua.clone(), done.clone(), dir.path().to_owned());
        let reloads = reloads.clone();
        tokio::spawn(async move {
            let mut version = 1;
            while !done.load(Ordering::Relaxed) {
                version = 3 - version;
                // Two versions that both count, returning which version ran.
                write(
                    &path,
                    "bump.lua",
                    format!("-- kvdb: keys=1\nredis.call('INCR', KEYS[1])\nreturn {version}"),
                );
                let report = lua.reload().await.unwrap();
                assert!(report.is_clean(), "{:?}", report.failed);
                assert_eq!(report.updated, ["bump"]);
                reloads.fetch_add(1, Ordering::Relaxed);
                lua.store()
                    .query::<()>(kvdb_core::redis::cmd("SCRIPT").arg("FLUSH"))
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        })
    };

    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (lua, reloads) = (lua.clone(), reloads.clone());
            tokio::spawn(async move {
                let mut seen = [0_usize; 3];
                let mut calls = 0;
                while calls < CALLS_EACH || reloads.load(Ordering::Relaxed) < RELOADS {
                    let version: usize = lua.run_lua("bump", &["counter"], &[]).await.unwrap();
                    seen[version] += 1;
                    calls += 1;
                }
                seen
            })
        })
        .collect();
    let mut seen = [0_usize; 3];
    for caller in callers {
        let counts = caller.await.expect("no caller failed");
        for v in 0..3 {
            seen[v] += counts[v];
        }
    }
    done.store(true, Ordering::Relaxed);
    churn.await.unwrap();

    let total = seen[1] + seen[2];
    assert_eq!(seen[0], 0);
    assert!(total >= CALLERS * CALLS_EACH);
    assert!(seen[1] > 0 && seen[2] > 0, "both versions ran: {seen:?}");
    let counter: usize = lua.store().get("counter").await.unwrap();
    assert_eq!(counter, total, "every call ran exactly once");
}
