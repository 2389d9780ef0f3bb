//! `kvdb demo`: a guided tour of every crate against the configured server.
//!
//! It works in a namespace of its own (`kvdb-demo-PID`), deletes every key it wrote, and
//! exits 0 only when every step worked.

use std::future::Future;
use std::time::Instant;

use kvdb_core::{KvStore, KvStoreExt, Pipeline};
use kvdb_lua::{LuaContainer, LuaOptions};

use crate::commands::Context;
use crate::CliError;

/// The seed page's Lua program, as the page gives it.
const CHECK_IF_EXISTS: &str = "local key = KEYS[1]
local new_key = KEYS[2]
if redis.call('exists', key) == 1 then
    redis.call('rename', key, new_key)
    return 10
else
    return 11
end
";

/// Runs the steps in order and counts failures.
struct Tour {
    failed: usize,
}

impl Tour {
    async fn step<F>(&mut self, title: &str, step: F)
    where
        F: Future<Output = Result<String, CliError>>,
    {
        let started = Instant::now();
        match step.await {
            Ok(detail) => println!("ok    {title} ({:.1?})\n      {detail}", started.elapsed()),
            Err(err) => {
                self.failed += 1;
                println!("FAIL  {title}: {err}");
            }
        }
    }
}

pub(crate) async fn run(ctx: &Context) -> Result<(), CliError> {
    let namespace = format!("kvdb-demo-{}", std::process::id());
    let store = ctx.store_in(&namespace).await?;
    println!(
        "kvdb demo against {} in namespace {namespace}\n",
        store.describe()
    );
    let mut tour = Tour { failed: 0 };

    tour.step("seed: set a key and get it back", seed_set_get(&*store))
        .await;
    tour.step("seed: server INFO, parsed", seed_info(&*store))
        .await;
    tour.step(
        "seed: delete 30 keys in one pipeline",
        seed_pipeline(&*store),
    )
    .await;
    tour.step(
        "seed: Lua program mylib.check_if_exists",
        seed_lua(store.clone()),
    )
    .await;

    println!();
    if tour.failed == 0 {
        println!("every step worked; the demo's keys are deleted");
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{} demo step(s) failed",
            tour.failed
        )))
    }
}

async fn seed_set_get(store: &dyn KvStore) -> Result<String, CliError> {
    let key = store.namespace().key("my-key");
    store.set(&key, "my-value").await?;
    let value: String = store.get(&key).await?;
    store.del(&key).await?;
    if value != "my-value" {
        return Err(CliError::Failed(format!("read back {value:?}")));
    }
    Ok(format!("INFO - key:[{value}]"))
}

async fn seed_info(store: &dyn KvStore) -> Result<String, CliError> {
    let info = store.info().await?;
    Ok(format!(
        "redis {} up {} s, {} clients, {} bytes used, keyspace {}",
        info.redis_version().unwrap_or("?"),
        info.uptime_in_seconds().unwrap_or(0),
        info.connected_clients().unwrap_or(0),
        info.used_memory().unwrap_or(0),
        serde_json::to_string(&info.keyspace()).unwrap_or_default()
    ))
}

async fn seed_pipeline(store: &dyn KvStore) -> Result<String, CliError> {
    let keys: Vec<String> = (0..30)
        .map(|i| store.namespace().key(&format!("my-key-{i}")))
        .collect();
    let mut fill = Pipeline::new();
    for key in &keys {
        fill.set(key, "x").ignore();
    }
    fill.exec(store).await?;
    let mut delete = Pipeline::new();
    for key in &keys {
        delete.del(key);
    }
    let deleted: Vec<u64> = delete.query(store).await?;
    let total: u64 = deleted.iter().sum();
    if total != 30 {
        return Err(CliError::Failed(format!("deleted {total} of 30 keys")));
    }
    Ok(String::from(
        "30 keys written, then deleted with one pipeline of 30 DELs",
    ))
}

async fn seed_lua(store: std::sync::Arc<dyn KvStore>) -> Result<String, CliError> {
    let dir = tempfile::tempdir().map_err(|e| CliError::Failed(format!("temp dir: {e}")))?;
    std::fs::write(
        dir.path().join("mylib.check_if_exists.lua"),
        CHECK_IF_EXISTS,
    )
    .map_err(|e| CliError::Failed(format!("writing the program: {e}")))?;
    let (lua, report) =
        LuaContainer::load(store.clone(), LuaOptions::default().dir(dir.path())).await?;
    if let Some(failure) = report.failed.first() {
        return Err(CliError::Failed(failure.to_string()));
    }
    let from = store.namespace().key("rename-from");
    let to = store.namespace().key("rename-to");
    store.set(&from, "value").await?;
    let renamed: i64 = lua
        .run_lua("mylib.check_if_exists", &[&from, &to], &[])
        .await?;
    let missing: i64 = lua
        .run_lua("mylib.check_if_exists", &[&from, &to], &[])
        .await?;
    let moved: Option<String> = store.get(&to).await?;
    store.del(&[&from, &to]).await?;
    if (renamed, missing, moved.as_deref()) != (10, 11, Some("value")) {
        return Err(CliError::Failed(format!(
            "expected 10 then 11 and the value moved, got {renamed}, {missing}, {moved:?}"
        )));
    }
    let suggestion = match lua
        .run_lua::<i64>("mylib.rename_if_exists", &[&from, &to], &[])
        .await
    {
        Err(err) => err.to_string(),
        Ok(_) => String::from("(unexpectedly ran)"),
    };
    Ok(format!(
        "run_lua returned {renamed} (renamed), then {missing} (nothing to rename); the seed page's \
         slip gives: {suggestion}"
    ))
}
