//! The Zato KVDB page's examples, against a real server: set a key and read it back, log the
//! server INFO, and delete 30 keys in one pipeline.
//!
//! ```sh
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p kvdb-core --example seed
//! ```

use kvdb_core::{KvStoreExt, Pipeline, RedisStore};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let store = RedisStore::connect(&url).await?;

    // Setting a value and getting it back.
    let key = "my-key";
    store.set(key, "my-value").await?;
    let value: String = store.get(key).await?;
    println!("INFO - key:[{value}]");

    // Reading Redis server info, parsed: numbers typed, keyspace lines as nested maps.
    let info = store.info().await?;
    let summary = serde_json::json!({
        "redis_version": info.redis_version(),
        "uptime_in_seconds": info.uptime_in_seconds(),
        "connected_clients": info.connected_clients(),
        "used_memory": info.used_memory(),
        "keyspace": info.keyspace(),
    });
    println!("INFO - {summary}");

    // Pipelines: delete 30 keys in one round trip.
    let mut pipe = Pipeline::new();
    for i in 0..30 {
        pipe.del(format!("my-key-{i}")).ignore();
    }
    pipe.exec(&store).await?;
    store.del(key).await?;
    println!("INFO - deleted my-key-0..29 in one pipeline");
    Ok(())
}
