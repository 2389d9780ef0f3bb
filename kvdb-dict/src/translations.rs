//! Translations: create, edit (including the target value), delete, read, list.

use kvdb_core::redis::{self, Value};

use crate::dict::{bytes, hash, id, string};
use crate::encoding::decode_triple;
use crate::entries::{entries_from, first, refusal};
use crate::id::parse_id;
use crate::scripts::{DELETE_TRANSLATION, DESCRIBE, WRITE_TRANSLATION};
use crate::{Dict, Entry, EntryId, EntryRef, Error, Result, Translation, TranslationId};

impl Dict {
    /// Adds the translation `source` -> `target` and returns its id. Both entries must exist,
    /// lie in different system/key pairs, and the source may have no other translation
    /// into the target's system and key.
    ///
    /// ```no_run
    /// # async fn run(dict: kvdb_dict::Dict) -> kvdb_dict::Result<()> {
    /// let id = dict
    ///     .create_translation(("CRM", "currency", "EUR"), ("billing", "currency_code", "978"))
    ///     .await?;
    /// # let _ = id;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_translation<'a>(
        &self,
        source: impl Into<EntryRef<'a>>,
        target: impl Into<EntryRef<'a>>,
    ) -> Result<TranslationId> {
        let (source, target) = (source.into(), target.into());
        let mut args = vec![String::new()];
        push_ref(&mut args, source);
        push_ref(&mut args, target);
        self.write_translation(args, source.to_string(), target.to_string(), None)
            .await
    }

    /// Points translation `id` at other entries (any of the two may stay the same), under
    /// the same rules as [`create_translation`](Self::create_translation).
    pub async fn edit_translation<'a>(
        &self,
        id: TranslationId,
        source: impl Into<EntryRef<'a>>,
        target: impl Into<EntryRef<'a>>,
    ) -> Result<()> {
        let (source, target) = (source.into(), target.into());
        let mut args = vec![id.to_string()];
        push_ref(&mut args, source);
        push_ref(&mut args, target);
        self.write_translation(args, source.to_string(), target.to_string(), Some(id))
            .await
            .map(drop)
    }

    /// Changes the target value (value2) of translation `id`: it then points at the entry
    /// of its target's system and key with this value, which must exist.
    pub async fn set_translation_value(&self, id: TranslationId, value2: &str) -> Result<()> {
        let mut args = vec![
            id.to_string(),
            "s".into(),
            String::new(),
            String::new(),
            String::new(),
        ];
        args.extend(["v".into(), value2.to_owned(), String::new(), String::new()]);
        self.write_translation(
            args,
            String::from("(the translation's source)"),
            format!("with value {value2:?} in the translation's target system and key"),
            Some(id),
        )
        .await
        .map(drop)
    }

    async fn write_translation(
        &self,
        args: Vec<String>,
        source: String,
        target: String,
        editing: Option<TranslationId>,
    ) -> Result<TranslationId> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, rest) = self.run(&WRITE_TRANSLATION, &args).await?;
        match status.as_str() {
            "ok" => {
                let tid = TranslationId(id(first(&rest)?)?);
                if let Some(message) = rest.get(1) {
                    self.invalidate_locally(message);
                }
                Ok(tid)
            }
            "missing-source" => Err(Error::EntryNotFound(source)),
            "missing-target" => Err(Error::EntryNotFound(match (rest.first(), rest.get(1)) {
                (Some(system), Some(key)) => format!(
                    "{target} ({:?}/{:?})",
                    string(system).unwrap_or_default(),
                    string(key).unwrap_or_default()
                ),
                _ => target,
            })),
            "missing-translation" => Err(Error::TranslationNotFound(
                editing.unwrap_or(TranslationId(0)),
            )),
            other => Err(refusal(other, &rest)),
        }
    }

    /// Deletes translation `id`.
    pub async fn delete_translation(&self, id: TranslationId) -> Result<()> {
        let (status, rest) = self.run(&DELETE_TRANSLATION, &[&id.to_string()]).await?;
        match status.as_str() {
            "ok" => {
                self.invalidate_locally(first(&rest)?);
                Ok(())
            }
            "missing-translation" => Err(Error::TranslationNotFound(id)),
            other => Err(refusal(other, &rest)),
        }
    }

    /// Translation `id` with both its entries.
    pub async fn translation(&self, id: TranslationId) -> Result<Option<Translation>> {
        let rest = self.read(&["translation", &id.to_string()]).await?;
        Ok(described(&rest)?.into_iter().next())
    }

    /// The translations that use entry `id`, as source or target, by id.
    pub async fn translations_of(&self, id: EntryId) -> Result<Vec<Translation>> {
        let rest = self.read(&["uses", &id.to_string()]).await?;
        let mut out = described(&rest)?;
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    /// Every translation with its entries, by id, read in one consistent snapshot.
    pub async fn translations(&self) -> Result<Vec<Translation>> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HGETALL")
            .arg(&self.names().translations)
            .cmd("HGETALL")
            .arg(&self.names().entries);
        let mut replies = self.store().req_pipeline(&pipe).await?.into_iter();
        let (Some(translations), Some(entries)) = (replies.next(), replies.next()) else {
            return Err(Error::Corrupt(String::from(
                "a snapshot read returned too few replies",
            )));
        };
        let entries: std::collections::HashMap<EntryId, Entry> = entries_from(entries)?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let mut out = Vec::new();
        for (tid, pair) in parse_pairs(translations)? {
            let lookup = |id: EntryId| {
                entries.get(&id).cloned().ok_or_else(|| {
                    Error::Corrupt(format!("translation {tid} points at missing entry {id}"))
                })
            };
            out.push(Translation {
                id: tid,
                source: lookup(pair.0)?,
                target: lookup(pair.1)?,
            });
        }
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    async fn read(&self, args: &[&str]) -> Result<Vec<Value>> {
        let reply: Value = DESCRIBE
            .invoke(&**self.store(), &[self.names().base.as_str()], args)
            .await?;
        match reply {
            Value::Array(items) => Ok(items),
            other => Err(crate::dict::unexpected(&other)),
        }
    }
}

/// Appends an [`EntryRef`] as `write_translation.lua` takes it.
fn push_ref(args: &mut Vec<String>, entry: EntryRef<'_>) {
    match entry {
        EntryRef::Id(id) => args.extend(["i".into(), id.to_string(), String::new(), String::new()]),
        EntryRef::Value { system, key, value } => args.extend([
            "t".into(),
            system.to_owned(),
            key.to_owned(),
            value.to_owned(),
        ]),
    }
}

/// The translations hash, as (id, (source, target)).
pub(crate) fn parse_pairs(reply: Value) -> Result<Vec<(TranslationId, (EntryId, EntryId))>> {
    let mut out = Vec::new();
    for (raw_id, raw_pair) in hash(reply)? {
        let tid = parse_id(&raw_id).ok_or_else(|| {
            Error::Corrupt(format!(
                "{:?} is not a translation id",
                String::from_utf8_lossy(&raw_id)
            ))
        })?;
        let pair = std::str::from_utf8(&raw_pair)
            .ok()
            .and_then(|p| p.split_once(':'))
            .and_then(|(a, b)| Some((EntryId(a.parse().ok()?), EntryId(b.parse().ok()?))))
            .ok_or_else(|| Error::Corrupt(format!("translation {tid} has no entry ids")))?;
        out.push((TranslationId(tid), pair));
    }
    Ok(out)
}

/// Translations as the scripts describe them: tid, id1, enc(s1, k1, v1), id2, enc(s2, k2, v2).
pub(crate) fn described(rest: &[Value]) -> Result<Vec<Translation>> {
    rest.chunks(5)
        .map(|chunk| {
            let [tid, id1, e1, id2, e2] = chunk else {
                return Err(Error::Corrupt(String::from(
                    "a translation description is cut short",
                )));
            };
            let entry = |id_value: &Value, raw: &Value| -> Result<Entry> {
                let id = EntryId(id(id_value)?);
                let (system, key, value) = bytes(raw)
                    .and_then(decode_triple)
                    .ok_or_else(|| Error::Corrupt(format!("entry {id} cannot be decoded")))?;
                Ok(Entry::new(id, system, key, value))
            };
            Ok(Translation {
                id: TranslationId(id(tid)?),
                source: entry(id1, e1)?,
                target: entry(id2, e2)?,
            })
        })
        .collect()
}
