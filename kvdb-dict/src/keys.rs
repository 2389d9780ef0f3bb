//! The names of a dictionary's keys. `lua/prelude.lua` names the same keys; both take them
//! from one key-space base, so every key of a dictionary shares one hash tag.

use kvdb_core::KeySpace;

use crate::encoding::{encode, push_part};

/// The keys of one dictionary, computed once.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    /// The key-space base (`prefix:{dict:NAME}`), passed to every script as `KEYS[1]`.
    pub(crate) base: String,
    /// HASH entry id -> encoded (system, key, value).
    pub(crate) entries: String,
    /// SET of systems.
    pub(crate) systems: String,
    /// HASH translation id -> `id1:id2`.
    pub(crate) translations: String,
    /// HASH lookup field -> `tid:id1:id2:value2`; translate is one HGET here.
    pub(crate) lookup: String,
    /// HASH entry id -> `,tid,tid,`.
    pub(crate) uses: String,
    /// The last entry id given.
    pub(crate) last_entry_id: String,
    /// The last translation id given.
    pub(crate) last_translation_id: String,
    /// Bumped by every change.
    pub(crate) version: String,
    /// The pub/sub channel of invalidation messages.
    pub(crate) channel: String,
}

impl Keys {
    pub(crate) fn new(space: &KeySpace) -> Keys {
        Keys {
            base: space.base().to_owned(),
            entries: space.key("entries"),
            systems: space.key("systems"),
            translations: space.key("translations"),
            lookup: space.key("lookup"),
            uses: space.key("uses"),
            last_entry_id: space.key("last-entry-id"),
            last_translation_id: space.key("last-translation-id"),
            version: space.key("version"),
            channel: space.key("changes"),
        }
    }

    /// SET of the keys of one system.
    pub(crate) fn keys_of(&self, system: &str) -> Vec<u8> {
        let mut key = format!("{}:keys:", self.base).into_bytes();
        push_part(&mut key, system.as_bytes());
        key
    }

    /// HASH value -> entry id, for one system and key.
    pub(crate) fn values_of(&self, system: &str, key: &str) -> Vec<u8> {
        let mut name = format!("{}:values:", self.base).into_bytes();
        name.extend_from_slice(&encode(&[system, key]));
        name
    }
}
