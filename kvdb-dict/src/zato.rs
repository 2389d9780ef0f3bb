//! Reading Zato's data-dictionary export.
//!
//! Zato wrote `{"meta": {...}, "data": {"last_dict_id", "dict_list": [{"id", "system", "key",
//! "value"}], "last_translation_id", "translation_list": [{"<redis key>": {"id", "value2",
//! "id1", "id2"}}]}}`, the Redis key being
//! `zato:kvdb:data-dict:translation:::SYSTEM1:::KEY1:::VALUE1:::SYSTEM2:::KEY2`. The key is
//! never written as given: it is parsed into entries of `dict_list`. Since a part may itself
//! contain `:::`, the ids `id1`/`id2` decide when they name entries whose parts spell the
//! key; otherwise the key must split into exactly five parts.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::document::{validate_entries, validate_translations, Names};
use crate::record::{invalid, list, optional_counter, Record};
use crate::{Document, DocumentFormat, Entry, EntryId, Result, TranslationId, TranslationRecord};

/// The start of every translation key in Zato's export.
pub(crate) const ZATO_TRANSLATION_PREFIX: &str = "zato:kvdb:data-dict:translation";

const SEPARATOR: &str = ":::";

const NAMES: Names = Names {
    entries: "data.dict_list",
    translations: "data.translation_list",
    source: "key",
    target: "value2",
};

/// Parses the `data` object of a Zato export.
pub(crate) fn parse(data: &Map<String, Value>) -> Result<Document> {
    let last_dict_id = optional_counter(data, "last_dict_id", "data.last_dict_id")?;
    let last_translation_id =
        optional_counter(data, "last_translation_id", "data.last_translation_id")?;

    let entries = list(data, "dict_list", "data.dict_list", true)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = Record::new(NAMES.entries, i, item)?;
            Ok(Entry::new(
                EntryId(at.id("id")?),
                at.string("system")?,
                at.string("key")?,
                at.string("value")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    validate_entries(&entries, &NAMES)?;

    let by_id: HashMap<EntryId, &Entry> = entries.iter().map(|e| (e.id, e)).collect();
    let by_triple: HashMap<(&str, &str, &str), EntryId> = entries
        .iter()
        .map(|e| ((e.system.as_str(), e.key.as_str(), e.value.as_str()), e.id))
        .collect();

    let mut records = Vec::new();
    let mut items = Vec::new();
    let mut missing_ids = Vec::new();
    for (i, item) in list(data, "translation_list", "data.translation_list", false)?
        .iter()
        .enumerate()
    {
        let Value::Object(keyed) = item else {
            return Err(invalid(
                &format!("{}[{i}]", NAMES.translations),
                Some(i),
                "must be an object of Redis key -> translation",
            ));
        };
        for (redis_key, fields) in keyed {
            let at = Record::new(NAMES.translations, i, fields)?;
            let value2 = at.string("value2")?;
            let (source, system2, key2) = source_of(&at, redis_key, &by_id, &by_triple)?;
            let target = by_triple
                .get(&(system2, key2, value2.as_str()))
                .copied()
                .ok_or_else(|| {
                    at.error(
                        "value2",
                        &format!(
                            "no entry of data.dict_list has system {system2:?}, key {key2:?} and value {value2:?}"
                        ),
                    )
                })?;
            let id = at.optional_id("id")?;
            if id.is_none() {
                missing_ids.push(records.len());
            }
            records.push(TranslationRecord::new(
                TranslationId(id.unwrap_or(0)),
                source,
                target,
            ));
            items.push(i);
        }
    }
    // Translations Zato exported without an id get fresh ones after every id in sight.
    let mut next = records
        .iter()
        .map(|t| t.id.0)
        .max()
        .unwrap_or(0)
        .max(last_translation_id);
    for n in missing_ids {
        next += 1;
        records[n].id = TranslationId(next);
    }
    validate_translations(&entries, &records, &NAMES, Some(&items))?;
    Ok(Document::assemble(
        entries,
        records,
        last_dict_id,
        last_translation_id,
        DocumentFormat::Zato,
    ))
}

/// The source entry and the target's system and key that a translation key names.
fn source_of<'a>(
    at: &Record<'_>,
    redis_key: &'a str,
    by_id: &HashMap<EntryId, &'a Entry>,
    by_triple: &HashMap<(&str, &str, &str), EntryId>,
) -> Result<(EntryId, &'a str, &'a str)> {
    let Some(rest) = redis_key
        .strip_prefix(ZATO_TRANSLATION_PREFIX)
        .and_then(|rest| rest.strip_prefix(SEPARATOR))
    else {
        return Err(at.error(
            "key",
            &format!("{redis_key:?} does not start with \"{ZATO_TRANSLATION_PREFIX}{SEPARATOR}\""),
        ));
    };
    // The ids decide when their entries spell the key exactly.
    if let (Some(id1), Some(id2)) = (at.optional_id("id1")?, at.optional_id("id2")?) {
        if let (Some(e1), Some(e2)) = (by_id.get(&EntryId(id1)), by_id.get(&EntryId(id2))) {
            let spelled = [&e1.system, &e1.key, &e1.value, &e2.system, &e2.key]
                .map(String::as_str)
                .join(SEPARATOR);
            if spelled == rest {
                return Ok((e1.id, &e2.system, &e2.key));
            }
        }
    }
    let parts: Vec<&str> = rest.split(SEPARATOR).collect();
    let [system1, key1, value1, system2, key2] = parts.as_slice() else {
        return Err(at.error(
            "key",
            &format!(
                "{redis_key:?} does not split into system1, key1, value1, system2 and key2 \
                 ({} parts), and id1/id2 do not name entries that spell it",
                parts.len()
            ),
        ));
    };
    let source = by_triple.get(&(*system1, *key1, *value1)).copied().ok_or_else(|| {
        at.error(
            "key",
            &format!("no entry of data.dict_list has system {system1:?}, key {key1:?} and value {value1:?}"),
        )
    })?;
    Ok((source, system2, key2))
}
