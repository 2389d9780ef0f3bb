//! Setup shared by kvdb-dict's test files.

#![allow(dead_code)]

use std::sync::Arc;

use kvdb_core::{KvStore, RedisStore};
use kvdb_dict::Dict;
use kvdb_test::RedisServer;

/// A store on the test's private server.
pub(crate) async fn store(server: &RedisServer) -> Arc<dyn KvStore> {
    Arc::new(
        RedisStore::connect(&server.url())
            .await
            .expect("test helper"),
    )
}

/// The dictionary `name` on the test's private server.
pub(crate) async fn dict(server: &RedisServer, name: &str) -> Dict {
    Dict::new(store(server).await, name)
}
