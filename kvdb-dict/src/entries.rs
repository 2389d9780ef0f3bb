//! Entries: create, edit, delete, read, and the listings (systems, keys, values).

use kvdb_core::redis::{self, Value};
use kvdb_core::KvStoreExt;

use crate::dict::{bytes, hash, id, string, unexpected};
use crate::encoding::decode_triple;
use crate::id::parse_id;
use crate::scripts::{CREATE_ENTRY, DELETE_ENTRY, EDIT_ENTRY};
use crate::translations::described;
use crate::validate::validate_entry;
use crate::{Dict, Entry, EntryId, Error, Result, TranslationId};

/// What [`Dict::delete_entry`] does with the translations that use the entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeleteMode {
    /// Refuse with [`Error::EntryInUse`], naming them. The default.
    #[default]
    Refuse,
    /// Delete them too, in the same atomic step.
    Cascade,
}

impl Dict {
    /// Adds the entry (`system`, `key`, `value`) and returns its new id.
    ///
    /// Refused with [`Error::Invalid`] when a part breaks the rules (see
    /// [`MAX_NAME_LEN`](crate::MAX_NAME_LEN)) and [`Error::DuplicateEntry`] when the triple
    /// exists.
    pub async fn create_entry(&self, system: &str, key: &str, value: &str) -> Result<EntryId> {
        validate_entry(system, key, value)?;
        let (status, rest) = self.run(&CREATE_ENTRY, &[system, key, value]).await?;
        match status.as_str() {
            "ok" => Ok(EntryId(id(first(&rest)?)?)),
            "duplicate-entry" => Err(duplicate(&rest, system, key, value)),
            other => Err(refusal(other, &rest)),
        }
    }

    /// Changes an entry's system, key and value. Its id stays, and so do the translations
    /// that use it: translate answers the new value at once.
    ///
    /// Refused with [`Error::EntryNotFound`], [`Error::DuplicateEntry`] (another entry has
    /// the new triple), [`Error::SamePair`] (a translation would then stay within one system
    /// and key) or [`Error::DuplicateTranslation`] (a translation would then duplicate
    /// another), and then nothing changes.
    pub async fn edit_entry(
        &self,
        id: EntryId,
        system: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        validate_entry(system, key, value)?;
        let id_arg = id.to_string();
        let (status, rest) = self
            .run(&EDIT_ENTRY, &[&id_arg, system, key, value])
            .await?;
        match status.as_str() {
            "ok" => {
                self.invalidate_locally(first(&rest)?);
                Ok(())
            }
            "duplicate-entry" => Err(duplicate(&rest, system, key, value)),
            "missing-entry" => Err(Error::EntryNotFound(format!("with id {id}"))),
            other => Err(refusal(other, &rest)),
        }
    }

    /// Deletes an entry. When translations use it, [`DeleteMode::Refuse`] fails with
    /// [`Error::EntryInUse`] naming them and [`DeleteMode::Cascade`] deletes them with it.
    /// Returns the ids of the translations deleted.
    pub async fn delete_entry(&self, id: EntryId, mode: DeleteMode) -> Result<Vec<TranslationId>> {
        let cascade = if mode == DeleteMode::Cascade {
            "1"
        } else {
            "0"
        };
        let (status, rest) = self.run(&DELETE_ENTRY, &[&id.to_string(), cascade]).await?;
        match status.as_str() {
            "ok" => {
                self.invalidate_locally(first(&rest)?);
                rest[1..]
                    .iter()
                    .map(|v| crate::dict::id(v).map(TranslationId))
                    .collect()
            }
            "in-use" => Err(Error::EntryInUse {
                entry: id,
                translations: described(&rest)?,
            }),
            "missing-entry" => Err(Error::EntryNotFound(format!("with id {id}"))),
            other => Err(refusal(other, &rest)),
        }
    }

    /// The entry with this id.
    pub async fn entry(&self, id: EntryId) -> Result<Option<Entry>> {
        let raw: Option<Vec<u8>> = self.store().hget(&self.names().entries, id.0).await?;
        raw.map(|raw| entry(id, &raw)).transpose()
    }

    /// The id of the entry (`system`, `key`, `value`), if there is one.
    pub async fn find_entry(
        &self,
        system: &str,
        key: &str,
        value: &str,
    ) -> Result<Option<EntryId>> {
        let raw: Option<Vec<u8>> = self
            .store()
            .hget(self.names().values_of(system, key), value)
            .await?;
        raw.map(|raw| parse_id(&raw).map(EntryId).ok_or_else(|| corrupt_id(&raw)))
            .transpose()
    }

    /// Every entry, by id.
    pub async fn entries(&self) -> Result<Vec<Entry>> {
        let reply = self
            .store()
            .req_command(redis::cmd("HGETALL").arg(&self.names().entries))
            .await?;
        entries_from(reply)
    }

    /// The systems that have entries, sorted.
    pub async fn systems(&self) -> Result<Vec<String>> {
        let mut systems: Vec<String> = self.store().smembers(&self.names().systems).await?;
        systems.sort();
        Ok(systems)
    }

    /// The keys of a system that have entries, sorted.
    pub async fn keys(&self, system: &str) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self.store().smembers(self.names().keys_of(system)).await?;
        keys.sort();
        Ok(keys)
    }

    /// The entries of a system and key, sorted by value.
    pub async fn values(&self, system: &str, key: &str) -> Result<Vec<Entry>> {
        let reply = self
            .store()
            .req_command(redis::cmd("HGETALL").arg(self.names().values_of(system, key)))
            .await?;
        let mut out = Vec::new();
        for (value, raw_id) in hash(reply)? {
            let id = parse_id(&raw_id).ok_or_else(|| corrupt_id(&raw_id))?;
            let value = String::from_utf8(value).map_err(|_| {
                Error::Corrupt(format!("entry {id} holds a value that is not UTF-8"))
            })?;
            out.push(Entry::new(EntryId(id), system, key, value));
        }
        out.sort_by(|a, b| a.value.cmp(&b.value));
        Ok(out)
    }
}

/// Entries from an HGETALL of the entries hash, sorted by id.
pub(crate) fn entries_from(reply: Value) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (raw_id, raw) in hash(reply)? {
        let id = parse_id(&raw_id).ok_or_else(|| corrupt_id(&raw_id))?;
        out.push(entry(EntryId(id), &raw)?);
    }
    out.sort_by_key(|e| e.id);
    Ok(out)
}

/// An entry from its stored form.
pub(crate) fn entry(id: EntryId, raw: &[u8]) -> Result<Entry> {
    let (system, key, value) = decode_triple(raw)
        .ok_or_else(|| Error::Corrupt(format!("entry {id} cannot be decoded")))?;
    Ok(Entry {
        id,
        system,
        key,
        value,
    })
}

fn corrupt_id(raw: &[u8]) -> Error {
    Error::Corrupt(format!(
        "{:?} is not an entry id",
        String::from_utf8_lossy(raw)
    ))
}

pub(crate) fn first(rest: &[Value]) -> Result<&Value> {
    rest.first()
        .ok_or_else(|| Error::Corrupt(String::from("a script reply is missing a part")))
}

fn duplicate(rest: &[Value], system: &str, key: &str, value: &str) -> Error {
    match first(rest).and_then(id) {
        Ok(existing) => Error::DuplicateEntry {
            existing: EntryId(existing),
            system: system.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        },
        Err(err) => err,
    }
}

/// The refusals every change script may send.
pub(crate) fn refusal(status: &str, rest: &[Value]) -> Error {
    match status {
        "same-pair" => match (rest.first().map(string), rest.get(1).map(string)) {
            (Some(Ok(system)), Some(Ok(key))) => Error::SamePair { system, key },
            _ => Error::Corrupt(String::from(
                "a same-pair refusal without its system and key",
            )),
        },
        "duplicate-translation" => match first(rest).and_then(id) {
            Ok(existing) => Error::DuplicateTranslation {
                existing: TranslationId(existing),
            },
            Err(err) => err,
        },
        "corrupt" => Error::Corrupt(
            rest.first()
                .and_then(bytes)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        ),
        _ => unexpected(&Value::SimpleString(status.to_owned())),
    }
}
