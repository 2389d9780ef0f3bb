//! The Lua scripts that make every change atomic: each checks, then writes, in one step on
//! the server. Sources live in `src/lua/`, each prefixed with `prelude.lua`.

use std::sync::LazyLock;

use kvdb_core::Script;

const PRELUDE: &str = include_str!("lua/prelude.lua");

fn script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}\n{body}"))
}

/// `create_entry.lua`.
pub(crate) static CREATE_ENTRY: LazyLock<Script> =
    LazyLock::new(|| script(include_str!("lua/create_entry.lua")));
/// `edit_entry.lua`.
pub(crate) static EDIT_ENTRY: LazyLock<Script> =
    LazyLock::new(|| script(include_str!("lua/edit_entry.lua")));
/// `delete_entry.lua`.
pub(crate) static DELETE_ENTRY: LazyLock<Script> =
    LazyLock::new(|| script(include_str!("lua/delete_entry.lua")));
/// `write_translation.lua`.
pub(crate) static WRITE_TRANSLATION: LazyLock<Script> =
    LazyLock::new(|| script(include_str!("lua/write_translation.lua")));
/// `delete_translation.lua`.
pub(crate) static DELETE_TRANSLATION: LazyLock<Script> =
    LazyLock::new(|| script(include_str!("lua/delete_translation.lua")));
/// `describe.lua`.
pub(crate) static DESCRIBE: LazyLock<Script> =
    LazyLock::new(|| script(include_str!("lua/describe.lua")));
/// `clear.lua`.
pub(crate) static CLEAR: LazyLock<Script> = LazyLock::new(|| script(include_str!("lua/clear.lua")));
/// `dump.lua`.
pub(crate) static DUMP: LazyLock<Script> = LazyLock::new(|| script(include_str!("lua/dump.lua")));
/// `merge.lua`.
pub(crate) static MERGE: LazyLock<Script> = LazyLock::new(|| script(include_str!("lua/merge.lua")));
