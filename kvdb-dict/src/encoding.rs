//! How composite names are stored: every part is written as `LEN:BYTES`, so no character in a
//! part (not `:::`, not a newline, not a brace) can be taken for a separator.
//!
//! The Lua scripts build the same encoding (`enc` in `lua/prelude.lua`); the two must agree
//! byte for byte, which `tests/encoding.rs`-style unit tests below and the integration tests
//! check.

use std::sync::Arc;

use crate::{EntryId, Translated, TranslationId};

/// The longest lookup field built on the stack by [`with_lookup_field`]; longer ones go to the heap.
const STACK_FIELD: usize = 256;

/// Appends `part` as `LEN:BYTES`.
pub(crate) fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    let mut digits = [0u8; 20];
    let len = write_decimal(&mut digits, part.len());
    out.extend_from_slice(&digits[..len]);
    out.push(b':');
    out.extend_from_slice(part);
}

/// Encodes parts as one string of `LEN:BYTES` items.
pub(crate) fn encode(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(parts));
    for part in parts {
        push_part(&mut out, part.as_bytes());
    }
    out
}

/// The length of [`encode`]'s output.
pub(crate) fn encoded_len(parts: &[&str]) -> usize {
    parts
        .iter()
        .map(|part| decimal_len(part.len()) + 1 + part.len())
        .sum()
}

/// Splits an [`encode`]d string back into its parts; `None` if it is not well formed.
pub(crate) fn decode(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut parts = Vec::new();
    while !bytes.is_empty() {
        let colon = bytes.iter().position(|b| *b == b':')?;
        let len: usize = std::str::from_utf8(&bytes[..colon]).ok()?.parse().ok()?;
        let rest = &bytes[colon + 1..];
        if rest.len() < len {
            return None;
        }
        parts.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Some(parts)
}

/// Decodes a stored entry (`system`, `key`, `value`).
pub(crate) fn decode_triple(bytes: &[u8]) -> Option<(String, String, String)> {
    let parts = decode(bytes)?;
    let [system, key, value] = parts.as_slice() else {
        return None;
    };
    Some((utf8(system)?, utf8(key)?, utf8(value)?))
}

fn utf8(bytes: &[u8]) -> Option<String> {
    String::from_utf8(bytes.to_vec()).ok()
}

/// The lookup-hash field of a translation: its source entry's three parts and its target's
/// system and key.
pub(crate) fn lookup_field(parts: [&str; 5]) -> Vec<u8> {
    encode(&parts)
}

/// Builds the lookup field without touching the heap when it fits in [`STACK_FIELD`] bytes,
/// and hands it to `f`. The cached translate path runs through here.
pub(crate) fn with_lookup_field<R>(parts: [&str; 5], f: impl FnOnce(&[u8]) -> R) -> R {
    if encoded_len(&parts) > STACK_FIELD {
        return f(&lookup_field(parts));
    }
    let mut buf = [0u8; STACK_FIELD];
    let mut at = 0;
    for part in parts {
        at += write_decimal(&mut buf[at..], part.len());
        buf[at] = b':';
        at += 1;
        buf[at..at + part.len()].copy_from_slice(part.as_bytes());
        at += part.len();
    }
    f(&buf[..at])
}

/// Writes `n` in decimal at the start of `out` (which must have room), returns the length.
fn write_decimal(out: &mut [u8], mut n: usize) -> usize {
    let len = decimal_len(n);
    for slot in out[..len].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    len
}

fn decimal_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// The value stored under a lookup field: `TRANSLATION_ID:SOURCE_ID:TARGET_ID:VALUE2`. The
/// ids hold no `:`, so the value is everything after the third one, whatever it contains.
pub(crate) fn lookup_payload(translation: u64, source: u64, target: u64, value: &str) -> String {
    format!("{translation}:{source}:{target}:{value}")
}

/// Reads a lookup payload back.
pub(crate) fn decode_payload(bytes: &[u8]) -> Option<Translated> {
    let mut rest = bytes;
    let mut ids = [0u64; 3];
    for id in &mut ids {
        let colon = rest.iter().position(|b| *b == b':')?;
        *id = crate::id::parse_id(&rest[..colon])?;
        rest = &rest[colon + 1..];
    }
    let value = std::str::from_utf8(rest).ok()?;
    Some(Translated {
        value: Arc::from(value),
        translation: TranslationId(ids[0]),
        source: EntryId(ids[1]),
        target: EntryId(ids[2]),
    })
}

/// Splits an invalidation message (a list of lookup fields, each as `LEN:BYTES`) into fields.
/// `None` means "everything" (the message `*`, or one that cannot be read).
pub(crate) fn decode_invalidation(message: &[u8]) -> Option<Vec<&[u8]>> {
    if message == b"*" {
        return None;
    }
    decode(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_whatever_they_hold() {
        let parts = ["a:::b", "", "line\nbreak", "{brace}", "3:x", "€🦀"];
        let encoded = encode(&parts);
        let decoded = decode(&encoded).unwrap();
        assert_eq!(decoded.len(), parts.len());
        for (got, want) in decoded.iter().zip(parts) {
            assert_eq!(*got, want.as_bytes());
        }
        assert_eq!(encoded_len(&parts), encoded.len());
    }

    #[test]
    fn different_splits_never_collide() {
        // With a separator these two would both read "a:::b:::c".
        assert_ne!(encode(&["a:::b", "c"]), encode(&["a", "b:::c"]));
        assert_ne!(encode(&["ab", ""]), encode(&["a", "b"]));
    }

    #[test]
    fn stack_and_heap_fields_agree() {
        let long = "x".repeat(300);
        for parts in [
            ["CRM", "currency", "EUR", "billing", "code"],
            ["a", "b", &long, "c", "d"],
        ] {
            with_lookup_field(parts, |field| {
                assert_eq!(field, lookup_field(parts).as_slice())
            });
        }
        assert_eq!(
            lookup_field(["CRM", "cur", "EUR", "b", "c"]),
            b"3:CRM3:cur3:EUR1:b1:c"
        );
    }

    #[test]
    fn payload_keeps_colons_in_the_value() {
        let payload = lookup_payload(7, 1, 2, "9:7:8");
        let t = decode_payload(payload.as_bytes()).unwrap();
        assert_eq!(
            (&*t.value, t.translation, t.source, t.target),
            ("9:7:8", TranslationId(7), EntryId(1), EntryId(2))
        );
        assert!(decode_payload(b"7:1:").is_none());
    }

    #[test]
    fn malformed_encodings_are_refused() {
        assert!(decode(b"5:abc").is_none());
        assert!(decode(b"x:abc").is_none());
        assert!(decode(b"3abc").is_none());
        assert_eq!(decode_invalidation(b"*"), None);
    }
}
