//! Calls: the checks made before sending, errors raised by programs, read-only programs.

mod support;

use kvdb_core::{KvStoreExt, Pipeline};
use kvdb_lua::{Error, LuaContainer, LuaOptions};
use kvdb_test::RedisServer;
use support::{calls, write};

#[tokio::test]
async fn a_key_count_mismatch_fails_before_anything_is_sent() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "two.lua", "-- kvdb: keys=2\nreturn #KEYS");
    write(dir.path(), "none.lua", "-- kvdb: keys=0\nreturn #ARGV");
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let store = support::store(&server).await;

    for keys in [&[][..], &["a"][..], &["a", "b", "c"][..]] {
        let err = lua.run_lua::<i64>("two", keys, &[]).await.unwrap_err();
        match &err {
            Error::KeyCount {
                program,
                declared,
                given,
            } => {
                assert_eq!(
                    (program.as_str(), *declared, *given),
                    ("two", 2, keys.len())
                );
            }
            other => panic!("expected KeyCount, got {other:?}"),
        }
        assert!(err.to_string().contains("takes 2 keys"), "{err}");
    }
    let err = lua
        .run_lua::<i64>("none", &["k"], &["v"])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeyCount {
                declared: 0,
                given: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let mut pipe = Pipeline::new();
    let err = lua
        .add_to_pipeline(&mut pipe, "two", &["a"], &[] as &[&str])
        .unwrap_err();
    assert!(matches!(err, Error::KeyCount { .. }), "{err:?}");
    assert_eq!(pipe.len(), 0);
    assert_eq!(calls(&*store, "evalsha").await, 0, "nothing was sent");

    let two: i64 = lua.run_lua("two", &["a", "b"], &[]).await.unwrap();
    assert_eq!(two, 2);
    assert_eq!(calls(&*store, "evalsha").await, 1);
}

#[tokio::test]
async fn a_runtime_error_names_the_program_and_the_servers_message() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "oops.lua",
        "-- line 1\nlocal x = 1\nreturn undefined_global + x\n",
    );
    write(dir.path(), "incr.lua", "return redis.call('INCR', KEYS[1])");
    write(
        dir.path(),
        "custom.lua",
        "return redis.error_reply('MYERR the order is closed')",
    );
    let (lua, _) = support::load(&server, &[dir.path()]).await;

    let err = lua.run_lua::<i64>("oops", &[], &[]).await.unwrap_err();
    match &err {
        Error::Runtime {
            program,
            origin,
            line,
            code,
            message,
        } => {
            assert_eq!(program, "oops");
            assert_eq!(origin, &dir.path().join("oops.lua").display().to_string());
            assert_eq!(*line, Some(3));
            assert_eq!(code, "ERR");
            assert_eq!(
                message,
                "Script attempted to access nonexistent global variable 'undefined_global'"
            );
        }
        other => panic!("expected Runtime, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with("Lua program \"oops\" ("),
        "{err}"
    );
    assert!(!err.is_retryable());

    support::store(&server)
        .await
        .set("word", "abc")
        .await
        .unwrap();
    let err = lua
        .run_lua::<i64>("incr", &["word"], &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Runtime { program, message, .. }
            if program == "incr" && message.contains("not an integer")),
        "{err:?}"
    );

    let err = lua.run_lua::<i64>("custom", &[], &[]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Runtime { code, message, .. }
            if code == "MYERR" && message == "the order is closed"),
        "{err:?}"
    );
}

#[tokio::test]
async fn read_only_programs_run_with_evalsha_ro() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "peek.lua",
        "-- kvdb: keys=1 readonly\nreturn redis.call('GET', KEYS[1])",
    );
    write(
        dir.path(),
        "sneaky.lua",
        "-- kvdb: readonly\nreturn redis.call('SET', KEYS[1], 'x')",
    );
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let store = support::store(&server).await;
    store.set("k", "v").await.unwrap();

    let value: String = lua.run_lua("peek", &["k"], &[]).await.unwrap();
    assert_eq!(value, "v");
    assert_eq!(calls(&*store, "evalsha_ro").await, 1);
    assert_eq!(calls(&*store, "evalsha").await, 0);

    let err = lua.run_lua::<()>("sneaky", &["k"], &[]).await.unwrap_err();
    assert!(
        matches!(err, Error::Runtime { .. }),
        "the server refuses writes: {err:?}"
    );
    let value: String = store.get("k").await.unwrap();
    assert_eq!(value, "v");

    // Turned off (for servers before Redis 7): plain EVALSHA.
    let options = LuaOptions::default()
        .dir(dir.path())
        .read_only_evalsha(false);
    let (lua, _) = LuaContainer::load(store.clone(), options).await.unwrap();
    let _: String = lua.run_lua("peek", &["k"], &[]).await.unwrap();
    assert_eq!(calls(&*store, "evalsha").await, 1);
}

#[tokio::test]
async fn the_same_slot_check_refuses_keys_of_several_slots() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pair.lua", "return #KEYS");
    let store = support::store(&server).await;
    let options = LuaOptions::default().dir(dir.path()).check_same_slot(true);
    let (lua, _) = LuaContainer::load(store.clone(), options).await.unwrap();

    let err = lua
        .run_lua::<i64>("pair", &["foo", "bar"], &[])
        .await
        .unwrap_err();
    match &err {
        Error::CrossSlot {
            program,
            first_key,
            first_slot,
            key,
            slot,
        } => {
            assert_eq!(program, "pair");
            assert_eq!((first_key.as_str(), *first_slot), ("foo", 12182));
            assert_eq!((key.as_str(), *slot), ("bar", 5061));
        }
        other => panic!("expected CrossSlot, got {other:?}"),
    }
    assert_eq!(calls(&*store, "evalsha").await, 0, "nothing was sent");

    let keyspace = store.namespace().keyspace("lua", "test");
    let (a, b) = (keyspace.key("a"), keyspace.key("b"));
    let n: i64 = lua.run_lua("pair", &[&a, &b], &[]).await.unwrap();
    assert_eq!(n, 2, "hash-tagged keys share a slot");
    let n: i64 = lua
        .run_lua("pair", &["{x}1", "{x}2", "{x}3"], &[])
        .await
        .unwrap();
    assert_eq!(n, 3);

    // Without the option (one server), any keys go.
    let (lua, _) = support::load(&server, &[dir.path()]).await;
    let n: i64 = lua.run_lua("pair", &["foo", "bar"], &[]).await.unwrap();
    assert_eq!(n, 2);
}
