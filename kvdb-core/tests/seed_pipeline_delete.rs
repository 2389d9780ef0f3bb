//! The seed page's pipeline: delete 30 keys in one round trip.

use kvdb_core::{KvStoreExt, Pipeline, RedisStore};
use kvdb_test::RedisServer;

#[tokio::test]
async fn delete_thirty_keys_in_one_pipeline() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.unwrap();
    for i in 0..30 {
        store.set(format!("my-key-{i}"), i).await.unwrap();
    }
    let before = store.info_section("keyspace").await.unwrap();
    assert_eq!(before.keyspace()["db0"].keys, 30);
    let mut pipe = Pipeline::new();
    for i in 0..30 {
        pipe.del(format!("my-key-{i}"));
    }
    let deleted: Vec<u64> = pipe.query(&store).await.unwrap();
    assert_eq!(deleted, vec![1; 30]);
    let after = store.info().await.unwrap();
    assert!(!after.keyspace().contains_key("db0"));
    assert!(after.redis_version().is_some());
    assert!(after.connected_clients().unwrap() >= 1);
}
