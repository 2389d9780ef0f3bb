//! [`Translation`], [`Translated`] and [`TranslationKey`]: a mapping between two entries, the
//! answer of a translate call, and a translate question prepared once.

use std::fmt;
use std::sync::Arc;

use crate::encoding::lookup_field;
use crate::{Entry, EntryId, TranslationId};

/// A translation: the `source` entry's value, in the `target` entry's system and key, is the
/// `target` entry's value. At most one per source entry and target system and key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Translation {
    /// Its stable id.
    pub id: TranslationId,
    /// The entry translated from (system1, key1, value1).
    pub source: Entry,
    /// The entry translated to (system2, key2, value2).
    pub target: Entry,
}

impl fmt::Display for Translation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {:?}/{:?}/{:?} -> {:?}/{:?}/{:?}",
            self.id,
            self.source.system,
            self.source.key,
            self.source.value,
            self.target.system,
            self.target.key,
            self.target.value
        )
    }
}

/// What [`Dict::translate`](crate::Dict::translate) answers: the target value and the ids
/// involved. Cloning is cheap (the value is shared).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Translated {
    /// The value in the target system and key (value2).
    pub value: Arc<str>,
    /// The translation that gave it.
    pub translation: TranslationId,
    /// The source entry (system1, key1, value1).
    pub source: EntryId,
    /// The target entry (system2, key2, value2).
    pub target: EntryId,
}

impl Translated {
    /// The target value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// A translate question (system1, key1, value1, system2, key2) encoded once, for callers that
/// ask the same questions again and again, and for [`Dict::translate_many`](crate::Dict::translate_many).
///
/// ```
/// use kvdb_dict::TranslationKey;
///
/// let key = TranslationKey::new("CRM", "currency", "EUR", "billing", "currency_code");
/// assert_eq!(key.source_value(), "EUR");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TranslationKey {
    field: Box<[u8]>,
    parts: Box<[Box<str>; 5]>,
}

impl TranslationKey {
    /// The question "what is `value1` of `system1`/`key1` in `system2`/`key2`?".
    pub fn new(system1: &str, key1: &str, value1: &str, system2: &str, key2: &str) -> Self {
        let parts = [system1, key1, value1, system2, key2];
        TranslationKey {
            field: lookup_field(parts).into_boxed_slice(),
            parts: Box::new(parts.map(Box::from)),
        }
    }

    /// The source system (system1).
    pub fn source_system(&self) -> &str {
        &self.parts[0]
    }

    /// The source key (key1).
    pub fn source_key(&self) -> &str {
        &self.parts[1]
    }

    /// The source value (value1).
    pub fn source_value(&self) -> &str {
        &self.parts[2]
    }

    /// The target system (system2).
    pub fn target_system(&self) -> &str {
        &self.parts[3]
    }

    /// The target key (key2).
    pub fn target_key(&self) -> &str {
        &self.parts[4]
    }

    /// The encoded lookup field.
    pub(crate) fn field(&self) -> &[u8] {
        &self.field
    }
}

impl fmt::Debug for TranslationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TranslationKey").field(&self.parts).finish()
    }
}
