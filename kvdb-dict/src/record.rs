//! Located reading of JSON records: every error names the list, the index and the field.

use serde_json::{Map, Value};

use crate::document::MAX_ID;
use crate::Error;
use crate::Result;

/// One JSON record and its place, for located errors.
pub(crate) struct Record<'a> {
    list: &'a str,
    index: usize,
    fields: &'a Map<String, Value>,
}

impl<'a> Record<'a> {
    pub(crate) fn new(list: &'a str, index: usize, item: &'a Value) -> Result<Record<'a>> {
        match item {
            Value::Object(fields) => Ok(Record {
                list,
                index,
                fields,
            }),
            _ => Err(invalid(
                &format!("{list}[{index}]"),
                Some(index),
                "must be an object",
            )),
        }
    }

    pub(crate) fn error(&self, field: &str, reason: &str) -> Error {
        invalid(
            &format!("{}[{}].{field}", self.list, self.index),
            Some(self.index),
            reason,
        )
    }

    pub(crate) fn string(&self, field: &str) -> Result<String> {
        match self.fields.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.error(field, "must be a string")),
            None => Err(self.error(field, "missing")),
        }
    }

    /// A positive id: an integer, or a string of digits (as Zato's hashes held them).
    pub(crate) fn id(&self, field: &str) -> Result<u64> {
        self.optional_id(field)?
            .ok_or_else(|| self.error(field, "missing"))
    }

    pub(crate) fn optional_id(&self, field: &str) -> Result<Option<u64>> {
        id_value(self.fields.get(field)).map_err(|reason| self.error(field, reason))
    }
}

fn id_value(value: Option<&Value>) -> std::result::Result<Option<u64>, &'static str> {
    let id = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match id {
        Some(id) if id > 0 && id <= MAX_ID => Ok(Some(id)),
        _ => Err("must be a positive integer no greater than 2^53"),
    }
}

/// An optional top-level id counter (`null`, absent, or a non-negative integer).
pub(crate) fn optional_counter(
    root: &Map<String, Value>,
    field: &str,
    location: &str,
) -> Result<u64> {
    match root.get(field) {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    }
    .filter(|n| *n <= MAX_ID)
    .ok_or_else(|| {
        invalid(
            location,
            None,
            "must be a non-negative integer no greater than 2^53",
        )
    })
}

/// A top-level list; `required` says whether it may be absent (then it is empty).
pub(crate) fn list<'a>(
    root: &'a Map<String, Value>,
    field: &str,
    location: &str,
    required: bool,
) -> Result<&'a [Value]> {
    match root.get(field) {
        Some(Value::Array(items)) => Ok(items),
        Some(Value::Null) | None if !required => Ok(&[]),
        None => Err(invalid(location, None, "missing")),
        Some(_) => Err(invalid(location, None, "must be a list")),
    }
}

pub(crate) fn invalid(location: &str, index: Option<usize>, reason: &str) -> Error {
    Error::InvalidDocument {
        location: location.to_owned(),
        index,
        reason: reason.to_owned(),
    }
}
