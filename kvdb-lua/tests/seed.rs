//! The seed page's example, exactly, and its slip (calling the program by the wrong name).

mod support;

use kvdb_core::KvStoreExt;
use kvdb_lua::{Error, RENAME_IF_EXISTS};
use kvdb_test::RedisServer;
use support::{load, write, CHECK_IF_EXISTS};

#[tokio::test]
async fn check_if_exists_renames_and_returns_10_or_11() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mylib.check_if_exists.lua", CHECK_IF_EXISTS);
    let (lua, report) = load(&server, &[dir.path()]).await;
    assert!(report.is_clean(), "{:?}", report.failed);
    let store = support::store(&server).await;

    store.set("rename-from", "payload").await.unwrap();
    let out: i64 = lua
        .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
        .await
        .unwrap();
    assert_eq!(out, 10);
    let from: Option<String> = store.get("rename-from").await.unwrap();
    let to: Option<String> = store.get("rename-to").await.unwrap();
    assert_eq!(
        (from, to),
        (None, Some("payload".to_owned())),
        "the key was renamed"
    );

    let out: i64 = lua
        .run_lua("mylib.check_if_exists", &["rename-from", "rename-to"], &[])
        .await
        .unwrap();
    assert_eq!(out, 11, "rename-from no longer exists");
    let to: Option<String> = store.get("rename-to").await.unwrap();
    assert_eq!(to.as_deref(), Some("payload"), "nothing changed");
}

#[tokio::test]
async fn the_seed_pages_slip_suggests_the_right_name() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mylib.check_if_exists.lua", CHECK_IF_EXISTS);
    write(dir.path(), "other.thing.lua", "return 1");
    let (lua, _) = load(&server, &[dir.path()]).await;

    let err = lua
        .run_lua::<i64>("mylib.rename_if_exists", &["rename-from", "rename-to"], &[])
        .await
        .unwrap_err();
    match &err {
        Error::UnknownProgram { name, suggestions } => {
            assert_eq!(name, "mylib.rename_if_exists");
            assert_eq!(suggestions[0], "mylib.check_if_exists", "{suggestions:?}");
            assert!(!suggestions.iter().any(|s| s == "other.thing"));
        }
        other => panic!("expected UnknownProgram, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("did you mean mylib.check_if_exists"),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn internal_rename_if_exists_has_the_seed_semantics() {
    let server = RedisServer::start();
    let (lua, report) = load(&server, &[]).await;
    assert_eq!(support::loaded_names(&report), [RENAME_IF_EXISTS]);
    let store = support::store(&server).await;

    store.set("a", "1").await.unwrap();
    let out: i64 = lua
        .run_lua(RENAME_IF_EXISTS, &["a", "b"], &[])
        .await
        .unwrap();
    assert_eq!(out, 10);
    let b: Option<String> = store.get("b").await.unwrap();
    assert_eq!(b.as_deref(), Some("1"));
    let out: i64 = lua
        .run_lua(RENAME_IF_EXISTS, &["a", "b"], &[])
        .await
        .unwrap();
    assert_eq!(out, 11);

    let program = lua.program(RENAME_IF_EXISTS).unwrap();
    assert_eq!(program.keys(), Some(2), "its header declares two keys");
    assert!(program.origin().is_internal());
}

#[tokio::test]
async fn keys_and_values_may_be_empty() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "counts.lua", "return {#KEYS, #ARGV}");
    write(dir.path(), "echo.lua", "return {KEYS[1], ARGV[1], ARGV[2]}");
    let (lua, _) = load(&server, &[dir.path()]).await;

    let counts: Vec<i64> = lua.run_lua("counts", &[], &[]).await.unwrap();
    assert_eq!(counts, [0, 0]);
    let counts: Vec<i64> = lua.run_lua("counts", &[], &["v"]).await.unwrap();
    assert_eq!(counts, [0, 1]);
    let echo: Vec<String> = lua.run_lua("echo", &["k"], &["v1", "v2"]).await.unwrap();
    assert_eq!(echo, ["k", "v1", "v2"]);
    let echo: Vec<Vec<u8>> = lua
        .run_lua_args("echo", &[b"bin\xffkey".as_slice()], &[7_i64, 8])
        .await
        .unwrap();
    assert_eq!(echo, [b"bin\xffkey".to_vec(), b"7".to_vec(), b"8".to_vec()]);
    let err = lua
        .run_lua::<i64>("echo", &["k"], &["v1"])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, kvdb_lua::Error::Reply { program, .. } if program == "echo"),
        "{err:?}"
    );
    let raw: kvdb_core::redis::Value = lua.run_lua("echo", &["k"], &["v1", "v2"]).await.unwrap();
    assert!(matches!(raw, kvdb_core::redis::Value::Array(ref items) if items.len() == 3));
}
