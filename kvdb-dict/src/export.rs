//! [`Dict::export`] and [`Dict::clear`].

use kvdb_core::redis::{self, Value};

use crate::dict::string;
use crate::document::{validate_entries, validate_translations, KVDB_NAMES};
use crate::entries::entries_from;
use crate::scripts::CLEAR;
use crate::translations::parse_pairs;
use crate::{Dict, Document, DocumentFormat, Error, Result, TranslationRecord};

impl Dict {
    /// The whole dictionary as a [`Document`], read in one consistent snapshot (one
    /// MULTI/EXEC). Write it with [`Document::to_json`]; [`Dict::import`] reads it back
    /// with the same ids.
    pub async fn export(&self) -> Result<Document> {
        let keys = self.names();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HGETALL")
            .arg(&keys.entries)
            .cmd("HGETALL")
            .arg(&keys.translations)
            .cmd("GET")
            .arg(&keys.last_entry_id)
            .cmd("GET")
            .arg(&keys.last_translation_id);
        let replies = self.store().req_pipeline(&pipe).await?;
        let Ok::<[Value; 4], _>([entries, translations, last_entry, last_translation]) =
            replies.try_into()
        else {
            return Err(Error::Corrupt(String::from(
                "an export snapshot returned the wrong number of replies",
            )));
        };
        let (entries, translations) = state_from(entries, translations)?;
        // What the store holds must pass the rules an import applies, or it could not be
        // imported again.
        validate_entries(&entries, &KVDB_NAMES)
            .and_then(|()| validate_translations(&entries, &translations, &KVDB_NAMES, None))
            .map_err(|e| Error::Corrupt(format!("the stored dictionary breaks a rule: {e}")))?;
        Ok(Document::assemble(
            entries,
            translations,
            counter(&last_entry)?,
            counter(&last_translation)?,
            DocumentFormat::Kvdb,
        ))
    }

    /// Deletes every entry and translation of the dictionary, in one atomic step. The id
    /// counters stay, so ids are not given out again.
    pub async fn clear(&self) -> Result<()> {
        let _: Value = CLEAR
            .invoke(
                &**self.store(),
                &[self.names().base.as_str()],
                &[] as &[&str],
            )
            .await?;
        if let Some(cache) = self.cache() {
            cache.invalidate(b"*");
        }
        Ok(())
    }
}

/// Entries (by id) and translation records (by id) from HGETALL replies.
pub(crate) fn state_from(
    entries: Value,
    translations: Value,
) -> Result<(Vec<crate::Entry>, Vec<TranslationRecord>)> {
    let entries = entries_from(entries)?;
    let mut translations: Vec<TranslationRecord> = parse_pairs(translations)?
        .into_iter()
        .map(|(id, (source, target))| TranslationRecord::new(id, source, target))
        .collect();
    translations.sort_by_key(|t| t.id);
    Ok((entries, translations))
}

/// An id counter (missing: 0).
pub(crate) fn counter(value: &Value) -> Result<u64> {
    match value {
        Value::Nil => Ok(0),
        Value::Int(n) => Ok(u64::try_from(*n).unwrap_or(0)),
        other => string(other)?
            .parse()
            .map_err(|_| Error::Corrupt(format!("an id counter holds {other:?}"))),
    }
}
