//! Setup shared by this crate's tests: program directories and command counts.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::sync::Arc;

use kvdb_core::{InfoValue, KvStore, KvStoreExt, RedisStore};
use kvdb_lua::{LoadReport, LuaContainer, LuaOptions};
use kvdb_test::RedisServer;

/// The seed page's program, as the brief gives it.
pub const CHECK_IF_EXISTS: &str = "\
local key = KEYS[1]
local new_key = KEYS[2]
if redis.call('exists', key) == 1 then
    redis.call('rename', key, new_key)
    return 10
else
    return 11
end
";

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), text).expect("write a program file");
}

/// A store on the server.
pub async fn store(server: &RedisServer) -> Arc<dyn KvStore> {
    Arc::new(
        RedisStore::connect(&server.url())
            .await
            .expect("connect to the test server"),
    )
}

/// A container loading `dirs` (with default options otherwise) on the server.
pub async fn load(server: &RedisServer, dirs: &[&Path]) -> (LuaContainer, LoadReport) {
    let options = dirs
        .iter()
        .fold(LuaOptions::default(), |options, dir| options.dir(dir));
    LuaContainer::load(store(server).await, options)
        .await
        .expect("load the programs")
}

/// How many times the server ran `command` (as named in INFO commandstats, e.g. `evalsha`,
/// `script|load`), since start or the last CONFIG RESETSTAT.
pub async fn calls(store: &dyn KvStore, command: &str) -> i64 {
    let stats = store
        .info_section("commandstats")
        .await
        .expect("INFO commandstats");
    match stats.get(&format!("cmdstat_{command}")) {
        Some(InfoValue::Map(fields)) => fields.get("calls").and_then(|c| c.as_i64()).unwrap_or(0),
        _ => 0,
    }
}

/// The names of the report's loaded programs.
pub fn loaded_names(report: &LoadReport) -> Vec<&str> {
    report.loaded.iter().map(|p| p.name()).collect()
}
