//! Typed helpers, raw commands and redis's own API through the store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kvdb_core::{KvStore, KvStoreExt, RedisStore, SetCondition, SetOptions, StoreConnection};
use kvdb_test::RedisServer;
use redis::AsyncCommands;

#[tokio::test]
async fn typed_helpers_round_trip() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();

    store.set("s", "value").await.unwrap();
    assert_eq!(store.get::<_, String>("s").await.unwrap(), "value");
    assert_eq!(
        store.get::<_, Option<String>>("missing").await.unwrap(),
        None
    );

    let written = store
        .set_with(
            "s",
            "other",
            SetOptions::default().condition(SetCondition::IfAbsent),
        )
        .await
        .unwrap();
    assert!(!written, "NX must not overwrite");
    assert!(store
        .set_with(
            "t",
            1,
            SetOptions::default().expire_after(Duration::from_secs(100))
        )
        .await
        .unwrap());
    let ttl = store.ttl("t").await.unwrap().unwrap();
    assert!(ttl > Duration::from_secs(90) && ttl <= Duration::from_secs(100));

    assert!(store.hset("h", "f", "v").await.unwrap());
    let all: HashMap<String, String> = store.hgetall("h").await.unwrap();
    assert_eq!(all["f"], "v");
    assert_eq!(store.rpush("l", &["a", "b"]).await.unwrap(), 2);
    assert_eq!(
        store.lrange::<_, Vec<String>>("l", 0, -1).await.unwrap(),
        ["a", "b"]
    );
    assert_eq!(store.sadd("set", "m").await.unwrap(), 1);
    assert!(store.zadd("z", "m", 2.5).await.unwrap());
    let id = store.xadd("x", &[("field", "value")]).await.unwrap();
    assert!(id.contains('-'));
    assert_eq!(store.xlen("x").await.unwrap(), 1);
    assert_eq!(store.incr_by("n", 5).await.unwrap(), 5);
    assert_eq!(store.del(&["s", "t", "missing"]).await.unwrap(), 2);
    assert!(!store.exists("s").await.unwrap());
}

#[tokio::test]
async fn raw_commands_and_async_commands_run_through_the_store() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();

    let len: i64 = store
        .query(redis::cmd("RPUSH").arg("raw").arg("a").arg("b"))
        .await
        .unwrap();
    assert_eq!(len, 2);

    // The seed's `self.kvdb.conn.set(...)`: redis's own API, through the store.
    let mut conn = store.connection();
    let _: () = conn.set("my-key", "my-value").await.unwrap();
    let value: String = conn.get("my-key").await.unwrap();
    assert_eq!(value, "my-value");
    let (a, b): (String, String) = redis::pipe()
        .get("my-key")
        .lindex("raw", 1)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("my-value", "b"));
}

#[tokio::test]
async fn server_errors_name_the_command() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    store.set("str", "x").await.unwrap();
    let err = store
        .hget::<_, _, Option<String>>("str", "f")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("HGET") && message.contains("WRONGTYPE"),
        "{message}"
    );
    assert!(!err.is_retryable());
    let err = store
        .query::<()>(&redis::cmd("NOSUCHCOMMAND"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NOSUCHCOMMAND"), "{err}");
}

#[tokio::test]
async fn connection_state_commands_are_refused_on_the_shared_path() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let err = store
        .query::<()>(redis::cmd("WATCH").arg("k"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("store.dedicated()"), "{err}");
    // The shared connection is untouched: a MULTI would have queued this GET.
    store.set("k", "v").await.unwrap();
    assert_eq!(store.get::<_, String>("k").await.unwrap(), "v");
}

#[tokio::test]
async fn dyn_store_works_and_picks_its_backend_at_run_time() {
    let server = RedisServer::start();
    let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await.unwrap());
    store.set("dyn", 7).await.unwrap();
    assert_eq!(store.get::<_, i64>("dyn").await.unwrap(), 7);
    let mut conn = StoreConnection::new(&*store);
    let value: i64 = conn.incr("dyn", 1).await.unwrap();
    assert_eq!(value, 8);
    assert!(store.describe().contains("127.0.0.1"));

    // And through the blanket impls for references and boxes.
    async fn through<S: KvStore>(store: S) -> i64 {
        store.get("dyn").await.unwrap()
    }
    assert_eq!(through(&store).await, 8);
    assert_eq!(through(Box::new(store.clone())).await, 8);
}

#[tokio::test]
async fn sixty_four_tasks_share_one_store() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                let key = format!("t{task}:{i}");
                store.set(&key, i).await.unwrap();
                assert_eq!(store.get::<_, i64>(&key).await.unwrap(), i);
                store.incr_by("total", 1).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(store.get::<_, i64>("total").await.unwrap(), 6400);
}
