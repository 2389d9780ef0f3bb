//! Reloading: manual reload() and the file watcher.

mod support;

use std::time::{Duration, Instant};

use kvdb_lua::{Error, LuaContainer, LuaOptions, Problem};
use kvdb_test::RedisServer;
use support::{calls, write};

#[tokio::test]
async fn reload_picks_up_added_changed_and_removed_files() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "stays.lua", "return 'stays'");
    write(dir.path(), "changes.lua", "return 'v1'");
    write(dir.path(), "goes.lua", "return 'goes'");
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let store = lua.store().clone();
    let loads = calls(&*store, "script|load").await;
    let stays_before = lua.program("stays").unwrap();

    write(dir.path(), "changes.lua", "-- kvdb: keys=1\nreturn 'v2'");
    write(dir.path(), "new.lua", "return 'new'");
    std::fs::remove_file(dir.path().join("goes.lua")).unwrap();
    let report = lua.reload().await.unwrap();

    assert!(report.is_clean(), "{:?}", report.failed);
    assert_eq!(report.added, ["new"]);
    assert_eq!(report.updated, ["changes"]);
    assert_eq!(report.removed, ["goes"]);
    assert_eq!(
        calls(&*store, "script|load").await - loads,
        2,
        "only the new and the changed file are sent"
    );
    let out: String = lua.run_lua("changes", &["k"], &[]).await.unwrap();
    assert_eq!(out, "v2");
    assert_eq!(lua.program("changes").unwrap().keys(), Some(1));
    let out: String = lua.run_lua("new", &[], &[]).await.unwrap();
    assert_eq!(out, "new");
    let err = lua.run_lua::<String>("goes", &[], &[]).await.unwrap_err();
    assert!(matches!(err, Error::UnknownProgram { .. }), "{err:?}");
    assert!(
        std::sync::Arc::ptr_eq(&stays_before, &lua.program("stays").unwrap()),
        "an unchanged program is kept as it was"
    );
}

#[tokio::test]
async fn a_broken_change_keeps_the_previous_version_live() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "p.lua", "return 'v1'");
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let held = lua.program("p").unwrap();

    for broken in [
        &b"return 'v2' +"[..],
        b"",
        b"return '\xff'",
        b"-- kvdb: nonsense\nreturn 1",
    ] {
        write(dir.path(), "p.lua", broken);
        let report = lua.reload().await.unwrap();
        assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
        let failure = &report.failed[0];
        assert!(failure.kept_previous, "{failure}");
        assert!(
            failure
                .to_string()
                .ends_with("(the previous version stays live)"),
            "{failure}"
        );
        assert!(report.updated.is_empty() && report.removed.is_empty());
        let out: String = lua.run_lua("p", &[], &[]).await.unwrap();
        assert_eq!(out, "v1", "after {failure}");
    }

    write(dir.path(), "p.lua", "return 'v3'");
    let report = lua.reload().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(report.updated, ["p"]);
    let out: String = lua.run_lua("p", &[], &[]).await.unwrap();
    assert_eq!(out, "v3");
    assert_eq!(
        held.source(),
        "return 'v1'",
        "a program already handed out does not change"
    );
}

#[tokio::test]
async fn a_strict_reload_that_fails_changes_nothing() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.lua", "return 'a1'");
    write(dir.path(), "b.lua", "return 'b1'");
    let options = LuaOptions::default().dir(dir.path()).strict(true);
    let (lua, _) = LuaContainer::load(support::store(&server).await, options)
        .await
        .unwrap();

    write(dir.path(), "a.lua", "return 'a2'");
    write(dir.path(), "b.lua", "return (");
    let err = lua.reload().await.unwrap_err();
    assert!(matches!(err, Error::StrictLoad { .. }), "{err:?}");
    let a: String = lua.run_lua("a", &[], &[]).await.unwrap();
    assert_eq!(a, "a1", "the good change is not taken either");
}

#[tokio::test]
async fn an_unreadable_directory_keeps_its_programs() {
    let server = RedisServer::start();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("user");
    std::fs::create_dir(&dir).unwrap();
    write(&dir, "p.lua", "return 1");
    let (lua, _) = support::load(&server, &[&dir]).await;

    std::fs::rename(&dir, root.path().join("moved")).unwrap();
    let report = lua.reload().await.unwrap();
    assert_eq!(report.failed.len(), 1);
    assert!(matches!(
        report.failed[0].problem,
        Problem::DirUnreadable { .. }
    ));
    assert!(report.failed[0].kept_previous);
    assert!(report.removed.is_empty());
    let one: i64 = lua.run_lua("p", &[], &[]).await.unwrap();
    assert_eq!(one, 1);
}

/// Polls `check` every 20 ms for up to 5 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_watcher_reloads_changed_added_and_removed_files() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "p.lua", "return 'v1'");
    let options = LuaOptions::default()
        .dir(dir.path())
        .watch_debounce(Duration::from_millis(20));
    let (lua, _) = LuaContainer::load(support::store(&server).await, options)
        .await
        .unwrap();
    let mut watcher = lua.watch().unwrap();

    write(dir.path(), "p.lua", "return 'v2'");
    eventually("the change", async || {
        lua.run_lua::<String>("p", &[], &[]).await.unwrap() == "v2"
    })
    .await;

    write(dir.path(), "added.lua", "return 'added'");
    eventually("the new file", async || lua.program("added").is_ok()).await;

    // A broken change is reported and the previous version stays live.
    while let Ok(Some(_)) =
        tokio::time::timeout(Duration::from_millis(200), watcher.next_reload()).await
    {}
    write(dir.path(), "p.lua", "return (");
    let report = tokio::time::timeout(Duration::from_secs(5), watcher.next_reload())
        .await
        .expect("a reload within 5 s")
        .unwrap()
        .unwrap();
    assert!(
        report.failed.iter().any(|f| f.kept_previous),
        "{:?}",
        report.failed
    );
    let out: String = lua.run_lua("p", &[], &[]).await.unwrap();
    assert_eq!(out, "v2");

    std::fs::remove_file(dir.path().join("added.lua")).unwrap();
    eventually("the removal", async || lua.program("added").is_err()).await;

    // Once the watcher is dropped, changes are no longer picked up.
    drop(watcher);
    write(dir.path(), "late.lua", "return 1");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(lua.program("late").is_err());
}

#[tokio::test]
async fn watching_a_missing_directory_is_an_error() {
    let server = RedisServer::start();
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("nope");
    let (lua, _) = support::load(&server, &[&missing]).await;
    let err = lua.watch().unwrap_err();
    assert!(matches!(err, Error::Watch { .. }), "{err:?}");
    assert!(err.to_string().contains("nope"), "{err}");
}
