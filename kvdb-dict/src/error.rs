//! The one error type of `kvdb-dict`.

use crate::{EntryId, Translation, TranslationId};

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a dictionary operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed (connection, timeout, server error).
    #[error(transparent)]
    Store(#[from] kvdb_core::Error),

    /// A system, key or value breaks the rules (empty, too long, control characters).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// `system`, `key` or `value`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// No entry matches (an id, or a system, key and value).
    #[error("no entry {0}")]
    EntryNotFound(String),

    /// Another entry already has this system, key and value.
    #[error("an entry with system {system:?}, key {key:?} and value {value:?} already exists (id {existing})")]
    DuplicateEntry {
        /// The entry that has them.
        existing: EntryId,
        /// The system asked for.
        system: String,
        /// The key asked for.
        key: String,
        /// The value asked for.
        value: String,
    },

    /// No translation has this id.
    #[error("no translation with id {0}")]
    TranslationNotFound(TranslationId),

    /// The source value already has a translation into the target's system and key.
    #[error("the source value already has a translation into that system and key (translation {existing})")]
    DuplicateTranslation {
        /// The translation that exists.
        existing: TranslationId,
    },

    /// A translation would map a value to another value of the same system and key.
    #[error("a translation must lead to another system or key, not within system {system:?} and key {key:?}")]
    SamePair {
        /// The system of both sides.
        system: String,
        /// The key of both sides.
        key: String,
    },

    /// The entry is used by translations, and the delete was not a cascade.
    #[error(
        "entry {entry} is used by {} translation(s): {}; delete them first or delete with DeleteMode::Cascade",
        .translations.len(), list(.translations)
    )]
    EntryInUse {
        /// The entry that was not deleted.
        entry: EntryId,
        /// The translations that use it.
        translations: Vec<Translation>,
    },

    /// An import document holds a bad record; nothing was imported.
    #[error("invalid import document at {location}: {reason}")]
    InvalidDocument {
        /// Where: the list, the record's index and the field, such as `entries[3].system`
        /// or `data.translation_list[0].value2`.
        location: String,
        /// The index of the bad record in its list, when a record is to blame.
        index: Option<usize>,
        /// What is wrong with it.
        reason: String,
    },

    /// An import document could not be read at all (not JSON, broken bz2 or base64, not a
    /// dictionary export).
    #[error("unreadable import document: {0}")]
    UnreadableDocument(String),

    /// The data in the store does not have the shape this crate writes.
    #[error("dictionary data in the store is damaged: {0}")]
    Corrupt(String),
}

/// Names at most ten translations for an error message.
fn list(translations: &[Translation]) -> String {
    let mut out: Vec<String> = translations
        .iter()
        .take(10)
        .map(|t| t.to_string())
        .collect();
    if translations.len() > 10 {
        out.push(format!("and {} more", translations.len() - 10));
    }
    out.join(", ")
}
