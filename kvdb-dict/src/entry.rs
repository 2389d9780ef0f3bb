//! [`Entry`] and [`EntryRef`]: a value of one system and key, and the ways to name one.

use std::fmt;

use serde::Serialize;

use crate::EntryId;

/// A dictionary entry: a `value` that `system` uses for `key` (system `CRM`, key `currency`,
/// value `EUR`). The triple is unique in a dictionary.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// Its stable id.
    pub id: EntryId,
    /// The system that uses the value.
    pub system: String,
    /// What the value means in that system.
    pub key: String,
    /// The value.
    pub value: String,
}

impl Entry {
    /// An entry from its parts (no validation: the store validates what it is given).
    pub fn new(
        id: EntryId,
        system: impl Into<String>,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Entry {
        Entry {
            id,
            system: system.into(),
            key: key.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {:?}/{:?}/{:?}",
            self.id, self.system, self.key, self.value
        )
    }
}

/// How an operation names an entry: by id, or by its system, key and value.
///
/// ```
/// use kvdb_dict::{EntryId, EntryRef};
///
/// let by_id: EntryRef = EntryId(7).into();
/// let by_value: EntryRef = ("CRM", "currency", "EUR").into();
/// assert_eq!(by_value.to_string(), r#"system "CRM", key "currency", value "EUR""#);
/// assert_eq!(by_id.to_string(), "with id 7");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryRef<'a> {
    /// The entry with this id.
    Id(EntryId),
    /// The entry with this system, key and value.
    Value {
        /// Its system.
        system: &'a str,
        /// Its key.
        key: &'a str,
        /// Its value.
        value: &'a str,
    },
}

impl From<EntryId> for EntryRef<'_> {
    fn from(id: EntryId) -> Self {
        EntryRef::Id(id)
    }
}

impl<'a> From<(&'a str, &'a str, &'a str)> for EntryRef<'a> {
    fn from((system, key, value): (&'a str, &'a str, &'a str)) -> Self {
        EntryRef::Value { system, key, value }
    }
}

impl<'a> From<&'a Entry> for EntryRef<'a> {
    fn from(entry: &'a Entry) -> Self {
        EntryRef::Id(entry.id)
    }
}

impl fmt::Display for EntryRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryRef::Id(id) => write!(f, "with id {id}"),
            EntryRef::Value { system, key, value } => {
                write!(f, "system {system:?}, key {key:?}, value {value:?}")
            }
        }
    }
}
