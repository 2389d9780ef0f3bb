//! Pipelines: plain, atomic, failing, and WATCH transactions on a dedicated connection.

use kvdb_core::{Error, KvStore, KvStoreExt, Pipeline, RedisStore};
use kvdb_test::RedisServer;

#[tokio::test]
async fn plain_and_atomic_pipelines() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();

    let mut pipe = Pipeline::new();
    pipe.set("a", 1).ignore().incr("a", 2).get("a");
    let (incr, get): (i64, i64) = pipe.query(&store).await.unwrap();
    assert_eq!((incr, get), (3, 3));

    let mut atomic = Pipeline::new();
    atomic.atomic().incr("a", 1).ignore().incr("a", 1);
    let (value,): (i64,) = atomic.query(&store).await.unwrap();
    assert_eq!(value, 5);

    // redis::Pipeline through the extension trait too.
    let (a,): (i64,) = store
        .query_pipeline(redis::pipe().atomic().get("a"))
        .await
        .unwrap();
    assert_eq!(a, 5);
}

#[tokio::test]
async fn a_failing_command_is_named_with_its_place() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    store.set("str", "x").await.unwrap();
    let mut pipe = Pipeline::new();
    pipe.set("ok", 1).ignore().hset("str", "f", "v").get("ok");
    let err = pipe.query::<(i64,), _>(&store).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("HSET (pipeline command 1)"), "{message}");
    assert!(message.contains("WRONGTYPE"), "{message}");
}

#[tokio::test]
async fn an_atomic_pipeline_whose_exec_fails_reports_it() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    // A command with the wrong number of arguments is refused while queueing, so EXEC
    // aborts the whole transaction: nothing of it runs.
    let mut pipe = redis::pipe();
    pipe.atomic().set("written", 1).ignore().cmd("GET");
    let err = store.req_pipeline(&pipe).await.unwrap_err();
    assert_eq!(err.server_code(), Some("EXECABORT"), "{err}");
    assert!(!store.exists("written").await.unwrap());
}

#[tokio::test]
async fn watch_transaction_on_a_dedicated_connection() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    store.set("balance", 10).await.unwrap();

    let mut conn = store.dedicated().await.unwrap();
    conn.query::<()>(redis::cmd("WATCH").arg("balance"))
        .await
        .unwrap();
    let balance: i64 = conn.query(redis::cmd("GET").arg("balance")).await.unwrap();
    // Another client changes the watched key before EXEC.
    store.set("balance", 99).await.unwrap();
    let err = conn
        .query_pipeline::<()>(redis::pipe().atomic().set("balance", balance - 1).ignore())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TransactionAborted), "{err}");
    assert_eq!(store.get::<_, i64>("balance").await.unwrap(), 99);

    // Without interference the same transaction commits.
    conn.query::<()>(redis::cmd("WATCH").arg("balance"))
        .await
        .unwrap();
    conn.query_pipeline::<()>(redis::pipe().atomic().set("balance", 98).ignore())
        .await
        .unwrap();
    assert_eq!(store.get::<_, i64>("balance").await.unwrap(), 98);
}

#[tokio::test]
async fn a_connection_dropped_inside_watch_is_not_reused() {
    let server = RedisServer::start();
    let store = RedisStore::connect_with(
        &server.url(),
        kvdb_core::RedisStoreOptions::default().pool_size(1),
    )
    .await
    .unwrap();
    {
        let mut conn = store.dedicated().await.unwrap();
        conn.query::<()>(redis::cmd("WATCH").arg("k"))
            .await
            .unwrap();
    }
    store.set("k", "changed").await.unwrap();
    // Had the pool handed back the WATCHing connection, this EXEC would abort.
    let mut conn = store.dedicated().await.unwrap();
    conn.query_pipeline::<()>(redis::pipe().atomic().set("k", "mine").ignore())
        .await
        .unwrap();
    assert_eq!(store.get::<_, String>("k").await.unwrap(), "mine");
}
