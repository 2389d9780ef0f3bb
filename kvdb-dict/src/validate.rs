//! The rules for systems, keys and values.

use crate::{Error, Result};

/// The longest system or key name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 256;

/// The longest value, in bytes of UTF-8.
pub const MAX_VALUE_LEN: usize = 16 * 1024;

/// Checks a system name: non-empty, at most [`MAX_NAME_LEN`] bytes, no control characters.
pub fn validate_system(system: &str) -> Result<()> {
    validate_name("system", system)
}

/// Checks a key name: non-empty, at most [`MAX_NAME_LEN`] bytes, no control characters.
pub fn validate_key(key: &str) -> Result<()> {
    validate_name("key", key)
}

/// Checks a value: any UTF-8 (empty included) of at most [`MAX_VALUE_LEN`] bytes.
pub fn validate_value(value: &str) -> Result<()> {
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::Invalid {
            field: "value",
            reason: format!("{} bytes long, the limit is {MAX_VALUE_LEN}", value.len()),
        });
    }
    Ok(())
}

/// Checks all three parts of an entry.
pub(crate) fn validate_entry(system: &str, key: &str, value: &str) -> Result<()> {
    validate_system(system)?;
    validate_key(key)?;
    validate_value(value)
}

fn validate_name(field: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        String::from("must not be empty")
    } else if name.len() > MAX_NAME_LEN {
        format!("{} bytes long, the limit is {MAX_NAME_LEN}", name.len())
    } else if let Some(c) = name.chars().find(|c| c.is_control()) {
        format!("{name:?} holds the control character {c:?}")
    } else {
        return Ok(());
    };
    Err(Error::Invalid { field, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_printable() {
        assert!(validate_entry("CRM", "currency", "EUR").is_ok());
        assert!(validate_system("").is_err());
        assert!(validate_key("a\nb").is_err());
        assert!(validate_key("tab\there").is_err());
        assert!(validate_system(&"s".repeat(MAX_NAME_LEN)).is_ok());
        assert!(validate_system(&"s".repeat(MAX_NAME_LEN + 1)).is_err());
        assert!(validate_system("ünïcødé ::: {x}").is_ok());
    }

    #[test]
    fn values_take_anything_up_to_the_limit() {
        assert!(validate_value("").is_ok());
        assert!(validate_value("line\nbreak\0nul:::🦀").is_ok());
        assert!(validate_value(&"v".repeat(MAX_VALUE_LEN + 1)).is_err());
        let err = validate_value(&"v".repeat(MAX_VALUE_LEN + 1)).unwrap_err();
        assert!(err.to_string().starts_with("invalid value:"), "{err}");
    }
}
