//! [`Document`]: a whole dictionary as a file, in kvdb's own JSON format or read from Zato's
//! export, checked record by record before anything is imported.

use std::collections::HashMap;
use std::io::Read;

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::record::{invalid, list, optional_counter, Record};
use crate::validate::{validate_key, validate_system, validate_value};
use crate::{Entry, EntryId, Error, Result, TranslationId};

/// The `format` field of kvdb's own export.
pub const FORMAT_NAME: &str = "kvdb-dict";

/// The `version` field of kvdb's own export, which this crate writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// The highest id a document may hold: ids are exact in the scripts' Lua numbers up to 2^53.
pub(crate) const MAX_ID: u64 = 1 << 53;

/// The most bytes a compressed document may expand to (a guard against decompression bombs).
const MAX_EXPANDED: u64 = 1 << 30;

/// Where a document came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentFormat {
    /// kvdb's own JSON export (see [`Document::to_json`]).
    Kvdb,
    /// Zato's data-dictionary export (plain, bz2, or inside an import request's base64).
    Zato,
}

/// One translation of a [`Document`]: entry ids, as the document numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct TranslationRecord {
    /// The translation's id.
    pub id: TranslationId,
    /// The source entry (system1, key1, value1).
    pub source: EntryId,
    /// The target entry (system2, key2, value2).
    pub target: EntryId,
}

impl TranslationRecord {
    /// A record from its parts.
    pub fn new(id: TranslationId, source: EntryId, target: EntryId) -> Self {
        TranslationRecord { id, source, target }
    }
}

/// A whole dictionary: entries and translations, checked against every rule.
///
/// A `Document` is always valid: [`Document::parse`] and [`Document::new`] refuse a bad one
/// with [`Error::InvalidDocument`] naming the first bad record (its list, index and field).
/// That is what makes [`Dict::import`](crate::Dict::import) all or nothing: nothing reaches
/// the store before the whole document has passed.
///
/// kvdb's own format (`version` 1):
///
/// ```json
/// {
///   "format": "kvdb-dict",
///   "version": 1,
///   "last_entry_id": 2,
///   "last_translation_id": 1,
///   "entries": [
///     {"id": 1, "system": "CRM", "key": "currency", "value": "EUR"},
///     {"id": 2, "system": "billing", "key": "currency_code", "value": "978"}
///   ],
///   "translations": [{"id": 1, "source": 1, "target": 2}]
/// }
/// ```
///
/// ```
/// use kvdb_dict::{Document, DocumentFormat};
///
/// let doc = Document::parse(br#"{"format": "kvdb-dict", "version": 1,
///     "entries": [{"id": 1, "system": "CRM", "key": "currency", "value": "EUR"},
///                 {"id": 2, "system": "billing", "key": "code", "value": "978"}],
///     "translations": [{"id": 1, "source": 1, "target": 2}]}"#)?;
/// assert_eq!((doc.entries().len(), doc.translations().len()), (2, 1));
/// assert_eq!(doc.format(), DocumentFormat::Kvdb);
///
/// let err = Document::parse(br#"{"format": "kvdb-dict", "version": 1,
///     "entries": [{"id": 1, "system": "", "key": "k", "value": "v"}], "translations": []}"#)
///     .unwrap_err();
/// assert_eq!(err.to_string(), "invalid import document at entries[0].system: must not be empty");
/// # Ok::<(), kvdb_dict::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    entries: Vec<Entry>,
    translations: Vec<TranslationRecord>,
    last_entry_id: u64,
    last_translation_id: u64,
    format: DocumentFormat,
}

/// How to name records in errors: kvdb's lists or Zato's.
pub(crate) struct Names {
    pub(crate) entries: &'static str,
    pub(crate) translations: &'static str,
    pub(crate) source: &'static str,
    pub(crate) target: &'static str,
}

pub(crate) const KVDB_NAMES: Names = Names {
    entries: "entries",
    translations: "translations",
    source: "source",
    target: "target",
};

impl Document {
    /// A document from entries and translations, checked. The id counters are set to the
    /// highest ids.
    pub fn new(entries: Vec<Entry>, translations: Vec<TranslationRecord>) -> Result<Document> {
        validate_entries(&entries, &KVDB_NAMES)?;
        validate_translations(&entries, &translations, &KVDB_NAMES, None)?;
        Ok(Document::assemble(
            entries,
            translations,
            0,
            0,
            DocumentFormat::Kvdb,
        ))
    }

    /// Reads a document, whatever its form: kvdb's own JSON, Zato's export JSON, either one
    /// bz2-compressed (recognised by its `BZh` magic), or Zato's import request
    /// (`{"data": "<base64 of the bz2 export>"}`). Checks every record.
    pub fn parse(bytes: &[u8]) -> Result<Document> {
        Document::parse_nested(bytes, 0)
    }

    fn parse_nested(bytes: &[u8], depth: u32) -> Result<Document> {
        if depth > 3 {
            return Err(unreadable("documents nested more than three deep"));
        }
        if bytes.starts_with(b"BZh") {
            return Document::parse_nested(&bunzip(bytes)?, depth + 1);
        }
        let json: Value = serde_json::from_slice(bytes)
            .map_err(|e| unreadable(&format!("not JSON and not bz2: {e}")))?;
        let Value::Object(root) = json else {
            return Err(unreadable("the document is not a JSON object"));
        };
        if let Some(format) = root.get("format") {
            if format.as_str() != Some(FORMAT_NAME) {
                return Err(unreadable(&format!(
                    "unknown format {format}, expected {FORMAT_NAME:?}"
                )));
            }
            return parse_kvdb(&root);
        }
        match root.get("data") {
            Some(Value::Object(data)) if data.contains_key("dict_list") => crate::zato::parse(data),
            Some(Value::String(encoded)) => {
                let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
                let inner = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|e| invalid("data", None, &format!("not base64: {e}")))?;
                Document::parse_nested(&inner, depth + 1)
            }
            _ => Err(unreadable(
                "neither a kvdb-dict export (\"format\") nor a Zato data-dictionary export (\"data\")",
            )),
        }
    }

    /// The document in kvdb's own JSON format, pretty-printed.
    pub fn to_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct File<'a> {
            format: &'static str,
            version: u64,
            last_entry_id: u64,
            last_translation_id: u64,
            entries: &'a [Entry],
            translations: &'a [TranslationRecord],
        }
        let file = File {
            format: FORMAT_NAME,
            version: FORMAT_VERSION,
            last_entry_id: self.last_entry_id,
            last_translation_id: self.last_translation_id,
            entries: &self.entries,
            translations: &self.translations,
        };
        // Plain structs of strings and integers always serialise.
        serde_json::to_vec_pretty(&file).unwrap_or_default()
    }

    /// The entries, in document order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The translations, in document order.
    pub fn translations(&self) -> &[TranslationRecord] {
        &self.translations
    }

    /// The highest entry id given so far (at least the highest id in the document).
    pub fn last_entry_id(&self) -> u64 {
        self.last_entry_id
    }

    /// The highest translation id given so far (at least the highest id in the document).
    pub fn last_translation_id(&self) -> u64 {
        self.last_translation_id
    }

    /// Where the document came from.
    pub fn format(&self) -> DocumentFormat {
        self.format
    }

    /// A document from checked parts.
    pub(crate) fn assemble(
        entries: Vec<Entry>,
        translations: Vec<TranslationRecord>,
        last_entry_id: u64,
        last_translation_id: u64,
        format: DocumentFormat,
    ) -> Document {
        let max_entry = entries.iter().map(|e| e.id.0).max().unwrap_or(0);
        let max_translation = translations.iter().map(|t| t.id.0).max().unwrap_or(0);
        Document {
            entries,
            translations,
            last_entry_id: last_entry_id.max(max_entry),
            last_translation_id: last_translation_id.max(max_translation),
            format,
        }
    }
}

fn parse_kvdb(root: &Map<String, Value>) -> Result<Document> {
    match root.get("version").and_then(Value::as_u64) {
        Some(FORMAT_VERSION) => {}
        Some(other) => {
            return Err(invalid(
                "version",
                None,
                &format!("version {other} is not supported; this build reads {FORMAT_VERSION}"),
            ))
        }
        None => return Err(invalid("version", None, "missing or not an integer")),
    }
    let last_entry_id = optional_counter(root, "last_entry_id", "last_entry_id")?;
    let last_translation_id = optional_counter(root, "last_translation_id", "last_translation_id")?;
    let entries = list(root, "entries", "entries", true)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = Record::new("entries", i, item)?;
            Ok(Entry::new(
                EntryId(at.id("id")?),
                at.string("system")?,
                at.string("key")?,
                at.string("value")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    validate_entries(&entries, &KVDB_NAMES)?;
    let translations = list(root, "translations", "translations", true)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = Record::new("translations", i, item)?;
            Ok(TranslationRecord::new(
                TranslationId(at.id("id")?),
                EntryId(at.id("source")?),
                EntryId(at.id("target")?),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    validate_translations(&entries, &translations, &KVDB_NAMES, None)?;
    Ok(Document::assemble(
        entries,
        translations,
        last_entry_id,
        last_translation_id,
        DocumentFormat::Kvdb,
    ))
}

/// Checks entries in order: ids positive and unique, parts valid, triples unique.
pub(crate) fn validate_entries(entries: &[Entry], names: &Names) -> Result<()> {
    let mut ids: HashMap<EntryId, usize> = HashMap::with_capacity(entries.len());
    let mut triples: HashMap<(&str, &str, &str), usize> = HashMap::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let at = |field: &str, reason: &str| {
            invalid(&format!("{}[{i}].{field}", names.entries), Some(i), reason)
        };
        if e.id.0 == 0 || e.id.0 > MAX_ID {
            return Err(at("id", "must be a positive integer no greater than 2^53"));
        }
        if let Some(first) = ids.insert(e.id, i) {
            return Err(at(
                "id",
                &format!("id {} is also the id of {}[{first}]", e.id, names.entries),
            ));
        }
        for (field, check) in [
            ("system", validate_system(&e.system)),
            ("key", validate_key(&e.key)),
            ("value", validate_value(&e.value)),
        ] {
            if let Err(Error::Invalid { reason, .. }) = check {
                return Err(at(field, &reason));
            }
        }
        if let Some(first) = triples.insert((&e.system, &e.key, &e.value), i) {
            return Err(at(
                "value",
                &format!("same system, key and value as {}[{first}]", names.entries),
            ));
        }
    }
    Ok(())
}

/// Checks translations in order: ids positive and unique, both entries present, different
/// system/key pairs, one per source and target system and key. `items` maps a record to
/// its index in the source list when they differ.
pub(crate) fn validate_translations(
    entries: &[Entry],
    translations: &[TranslationRecord],
    names: &Names,
    items: Option<&[usize]>,
) -> Result<()> {
    let by_id: HashMap<EntryId, &Entry> = entries.iter().map(|e| (e.id, e)).collect();
    let mut ids: HashMap<TranslationId, usize> = HashMap::with_capacity(translations.len());
    let mut keys: HashMap<(EntryId, &str, &str), usize> =
        HashMap::with_capacity(translations.len());
    for (n, t) in translations.iter().enumerate() {
        let i = items.and_then(|items| items.get(n).copied()).unwrap_or(n);
        let at = |field: &str, reason: &str| {
            invalid(
                &format!("{}[{i}].{field}", names.translations),
                Some(i),
                reason,
            )
        };
        if t.id.0 == 0 || t.id.0 > MAX_ID {
            return Err(at("id", "must be a positive integer no greater than 2^53"));
        }
        if let Some(first) = ids.insert(t.id, i) {
            return Err(at(
                "id",
                &format!(
                    "id {} is also the id of {}[{first}]",
                    t.id, names.translations
                ),
            ));
        }
        let source = by_id
            .get(&t.source)
            .ok_or_else(|| at(names.source, &format!("no entry with id {}", t.source)))?;
        let target = by_id
            .get(&t.target)
            .ok_or_else(|| at(names.target, &format!("no entry with id {}", t.target)))?;
        if source.system == target.system && source.key == target.key {
            return Err(at(
                names.target,
                &format!(
                    "translates within system {:?} and key {:?}; a translation must lead elsewhere",
                    source.system, source.key
                ),
            ));
        }
        if let Some(first) = keys.insert((t.source, &target.system, &target.key), i) {
            return Err(at(
                names.target,
                &format!(
                    "{}[{first}] already translates the same source into system {:?} and key {:?}",
                    names.translations, target.system, target.key
                ),
            ));
        }
    }
    Ok(())
}

fn unreadable(reason: &str) -> Error {
    Error::UnreadableDocument(reason.to_owned())
}

fn bunzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    bzip2::read::MultiBzDecoder::new(bytes)
        .take(MAX_EXPANDED + 1)
        .read_to_end(&mut out)
        .map_err(|e| unreadable(&format!("bad bz2 data: {e}")))?;
    if out.len() as u64 > MAX_EXPANDED {
        return Err(unreadable("the bz2 data expands beyond 1 GiB"));
    }
    Ok(out)
}
