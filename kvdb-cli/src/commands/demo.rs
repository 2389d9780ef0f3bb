//! `kvdb demo`: a guided tour of every crate against the configured server.
//!
//! It works in a namespace of its own (`kvdb-demo-PID`), deletes every key it wrote, and
//! exits 0 only when every step worked.

use std::future::Future;
use std::time::Instant;

use std::sync::Arc;
use std::time::Duration;

use kvdb_broker::{Broker, HandlerError, Worker};
use kvdb_core::{KvStore, KvStoreExt, Pipeline};
use kvdb_dict::Dict;
use kvdb_lua::{LuaContainer, LuaOptions};
use kvdb_stats::{SortBy, Stats, StatsOptions};

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

/// Runs the steps in order, prints each (or collects them for `--json`), counts failures.
struct Tour {
    json: bool,
    steps: Vec<serde_json::Value>,
    failed: usize,
}

impl Tour {
    async fn step<F>(&mut self, title: &str, step: F)
    where
        F: Future<Output = Result<String, CliError>>,
    {
        let started = Instant::now();
        let outcome = step.await;
        let elapsed = started.elapsed();
        if outcome.is_err() {
            self.failed += 1;
        }
        if self.json {
            self.steps.push(match &outcome {
                Ok(detail) => serde_json::json!({
                    "step": title, "ok": true, "detail": detail, "seconds": elapsed.as_secs_f64(),
                }),
                Err(err) => serde_json::json!({
                    "step": title, "ok": false, "error": err.to_string(), "seconds": elapsed.as_secs_f64(),
                }),
            });
            return;
        }
        match outcome {
            Ok(detail) => println!("ok    {title} ({elapsed:.1?})\n      {detail}"),
            Err(err) => println!("FAIL  {title}: {err}"),
        }
    }
}

pub(crate) async fn run(ctx: &Context) -> Result<(), CliError> {
    let namespace = format!("kvdb-demo-{}", std::process::id());
    let store = ctx.store_in(&namespace).await?;
    if !ctx.out.json {
        println!(
            "kvdb demo against {} in namespace {namespace}\n",
            store.describe()
        );
    }
    let mut tour = Tour {
        json: ctx.out.json,
        steps: Vec::new(),
        failed: 0,
    };

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
    tour.step(
        "broker: invoke_async handled by a worker, exactly once each",
        broker_invoke(store.clone()),
    )
    .await;
    tour.step(
        "broker: publish reaching 3 listeners",
        broker_publish(store.clone()),
    )
    .await;
    tour.step(
        "dict: translate CRM currency EUR into billing",
        dict_translation(store.clone()),
    )
    .await;
    tour.step(
        "stats: record calls, flush, top 3 by usage",
        stats_top(store.clone()),
    )
    .await;
    tour.step(
        "clean-up: nothing left in the demo namespace",
        clean_up(&*store),
    )
    .await;

    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "server": store.describe(),
            "namespace": namespace,
            "ok": tour.failed == 0,
            "steps": tour.steps,
        }))?;
    } else {
        println!();
    }
    if tour.failed == 0 {
        if !ctx.out.json {
            println!("every step worked; the demo's keys are deleted");
        }
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

async fn dict_translation(store: Arc<dyn KvStore>) -> Result<String, CliError> {
    let dict = Dict::new(store, "demo");
    let eur = dict.create_entry("CRM", "currency", "EUR").await?;
    let code = dict.create_entry("billing", "currency_code", "978").await?;
    dict.create_translation(eur, code).await?;
    let answer = dict
        .translate("CRM", "currency", "EUR", "billing", "currency_code")
        .await?;
    let missing = dict
        .translate("CRM", "currency", "USD", "billing", "currency_code")
        .await?;
    dict.clear().await?;
    match (answer, missing) {
        (Some(answer), None) if answer.value() == "978" => Ok(format!(
            "translate(CRM, currency, EUR, billing, currency_code) = {} (one HGET); USD has no translation",
            answer.value()
        )),
        (answer, missing) => Err(CliError::Failed(format!(
            "expected 978 and no answer for USD, got {answer:?} and {missing:?}"
        ))),
    }
}

async fn stats_top(store: Arc<dyn KvStore>) -> Result<String, CliError> {
    let stats = Stats::new(store, StatsOptions::default())?;
    let calls = [
        ("crm.get-customer", 40, 3),
        ("billing.create-invoice", 25, 12),
        ("erp.sync-order", 10, 45),
    ];
    for (service, count, millis) in calls {
        for i in 0..count {
            stats.record(service, Duration::from_millis(millis + i % 3));
        }
    }
    stats.flush().await?;
    let top = stats
        .top(stats.last(Duration::from_secs(300)), SortBy::Usage, 3)
        .await?;
    let mut table = String::from("service                  usage   mean     p99");
    for service in &top.services {
        table.push_str(&format!(
            "\n      {:<24} {:>5}   {:<8} {}",
            service.service,
            service.usage,
            crate::output::format_ns(service.mean_ns),
            crate::output::format_ns(service.p99_ns)
        ));
    }
    let usages: Vec<u64> = top.services.iter().map(|s| s.usage).collect();
    if usages != [40, 25, 10] {
        return Err(CliError::Failed(format!(
            "expected usage 40, 25, 10; got {usages:?}"
        )));
    }
    Ok(table)
}

/// Deletes whatever the steps left in the demo's own namespace. The libraries never scan;
/// the demo may, because the namespace is its own and unique to this run.
async fn clean_up(store: &dyn KvStore) -> Result<String, CliError> {
    let pattern = format!("{}:*", store.namespace().prefix());
    let mut cursor: u64 = 0;
    let mut deleted = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = store
            .query(
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000),
            )
            .await?;
        for key in &keys {
            deleted += store.del(key).await?;
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    Ok(format!(
        "{deleted} leftover key(s) deleted (statistics buckets, indexes, registries)"
    ))
}

async fn broker_invoke(store: Arc<dyn KvStore>) -> Result<String, CliError> {
    let broker = Broker::new(store);
    let (handled_tx, mut handled) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(&broker)
        .handle("demo.greet", move |envelope| {
            let handled_tx = handled_tx.clone();
            async move {
                let name: String = envelope.json().map_err(HandlerError::from)?;
                let _ = handled_tx.send((envelope.id.as_str().to_owned(), name.clone()));
                Ok::<_, HandlerError>(serde_json::json!(format!("hello, {name}")))
            }
        })
        .start()
        .await?;
    let names = ["ada", "grace", "linus", "margaret", "ken"];
    let mut sent = Vec::new();
    for name in names {
        sent.push(
            broker
                .invoke_async("demo.greet", serde_json::json!(name))
                .await?,
        );
    }
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.len() < names.len() {
        match tokio::time::timeout_at(deadline, handled.recv()).await {
            Ok(Some((id, _))) => seen.push(id),
            _ => break,
        }
    }
    worker.shutdown(Duration::from_secs(5)).await;
    broker
        .delete_queue(&kvdb_broker::QueueRef::queue("demo.greet"))
        .await?;
    seen.sort();
    let mut expected: Vec<String> = sent.iter().map(|id| id.as_str().to_owned()).collect();
    expected.sort();
    if seen != expected {
        return Err(CliError::Failed(format!(
            "{} of {} messages handled",
            seen.len(),
            names.len()
        )));
    }
    Ok(format!(
        "{} messages sent with invoke_async, each handled once by a worker and acknowledged",
        names.len()
    ))
}

async fn broker_publish(store: Arc<dyn KvStore>) -> Result<String, CliError> {
    let broker = Broker::new(store);
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(broker.listen("demo.config-changed").await?);
    }
    let published = broker
        .publish("demo.config-changed", serde_json::json!({"reload": true}))
        .await?;
    for listener in &mut listeners {
        match tokio::time::timeout(Duration::from_secs(5), listener.next()).await {
            Ok(Some(envelope)) if envelope.id == published.id => {}
            other => {
                return Err(CliError::Failed(format!(
                    "a listener did not get the publication: {other:?}"
                )))
            }
        }
    }
    Ok(format!(
        "one publish, received by {} listeners",
        published.listeners
    ))
}
