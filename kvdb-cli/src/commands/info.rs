//! `kvdb info`: the server's INFO, parsed.

use kvdb_core::{InfoValue, KvStoreExt};

use crate::commands::Context;
use crate::CliError;

pub(crate) async fn run(ctx: &Context, section: Option<&str>) -> Result<(), CliError> {
    let store = ctx.store().await?;
    let info = match section {
        Some(section) => store.info_section(section).await?,
        None => store.info().await?,
    };
    if ctx.out.json {
        return ctx.out.json(&info);
    }
    let mut rows = Vec::new();
    for (name, fields) in info.sections() {
        if section.is_none()
            && !matches!(
                name.as_str(),
                "server" | "clients" | "memory" | "stats" | "persistence" | "replication"
            )
        {
            continue;
        }
        for (field, value) in fields {
            if section.is_none() && !SUMMARY_FIELDS.contains(&field.as_str()) {
                continue;
            }
            rows.push([name.clone(), field.clone(), render(value)]);
        }
    }
    ctx.out.table(["section", "field", "value"], &rows);
    let keyspace = info.keyspace();
    if section.is_none() || section.is_some_and(|s| s.eq_ignore_ascii_case("keyspace")) {
        println!();
        let rows: Vec<[String; 4]> = keyspace
            .iter()
            .map(|(db, stats)| {
                [
                    db.clone(),
                    stats.keys.to_string(),
                    stats.expires.to_string(),
                    stats.avg_ttl.to_string(),
                ]
            })
            .collect();
        if rows.is_empty() {
            println!("keyspace: no keys");
        } else {
            ctx.out.table(["db", "keys", "expires", "avg_ttl"], &rows);
        }
    }
    Ok(())
}

/// The fields shown without `--section`; `--json` and `--section` show everything.
const SUMMARY_FIELDS: &[&str] = &[
    "redis_version",
    "redis_mode",
    "os",
    "process_id",
    "tcp_port",
    "uptime_in_seconds",
    "connected_clients",
    "blocked_clients",
    "used_memory",
    "used_memory_human",
    "used_memory_peak_human",
    "maxmemory_human",
    "mem_fragmentation_ratio",
    "total_connections_received",
    "total_commands_processed",
    "instantaneous_ops_per_sec",
    "keyspace_hits",
    "keyspace_misses",
    "expired_keys",
    "evicted_keys",
    "aof_enabled",
    "rdb_last_save_time",
    "role",
    "connected_slaves",
];

fn render(value: &InfoValue) -> String {
    match value {
        InfoValue::Int(int) => int.to_string(),
        InfoValue::Float(float) => float.to_string(),
        InfoValue::Text(text) => text.clone(),
        InfoValue::Map(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", render(v)))
            .collect::<Vec<_>>()
            .join(","),
        other => format!("{other:?}"),
    }
}
