//! Redis Cluster hash slots, for the client-side same-slot check.
//!
//! On a cluster, a script may only touch keys of one hash slot. A standalone server does not
//! care, so the check runs only when [`LuaOptions::check_same_slot`](crate::LuaOptions) is on.
//! When kvdb-core gains a cluster backend (and a way for a [`KvStore`](kvdb_core::KvStore) to
//! say it is one), the container will turn the check on by itself, in
//! `LuaContainer::load`; the check itself stays here.

use crate::{Error, Result};

/// Number of hash slots in a Redis Cluster.
pub const SLOT_COUNT: u16 = 16384;

/// The cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its `{hash tag}` if it has
/// a non-empty one, modulo 16384, as Redis Cluster computes it.
///
/// ```
/// use kvdb_lua::hash_slot;
///
/// assert_eq!(hash_slot(b"123456789"), 0x31C3 % 16384);
/// assert_eq!(hash_slot(b"{user1000}.following"), hash_slot(b"{user1000}.followers"));
/// ```
pub fn hash_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) % SLOT_COUNT
}

/// The part of the key that is hashed: what is between the first `{` and the first `}` after
/// it, if that is not empty; otherwise the whole key.
fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as in Redis's `crc16.c`.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Fails with [`Error::CrossSlot`] unless every key hashes to the slot of the first.
pub(crate) fn check_same_slot(program: &str, keys: &[Vec<u8>]) -> Result<()> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(());
    };
    let first_slot = hash_slot(first);
    for key in rest {
        let slot = hash_slot(key);
        if slot != first_slot {
            return Err(Error::CrossSlot {
                program: program.to_owned(),
                first_key: String::from_utf8_lossy(first).into_owned(),
                first_slot,
                key: String::from_utf8_lossy(key).into_owned(),
                slot,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_slots() {
        // Values from `CLUSTER KEYSLOT` on a real cluster.
        assert_eq!(hash_slot(b"foo"), 12182);
        assert_eq!(hash_slot(b"bar"), 5061);
        assert_eq!(hash_slot(b""), 0);
        assert_eq!(hash_slot(b"{foo}bar"), 12182);
    }

    #[test]
    fn hash_tags() {
        assert_eq!(hash_tag(b"kvdb:{broker:orders}:stream"), b"broker:orders");
        assert_eq!(
            hash_tag(b"{}x"),
            b"{}x",
            "an empty tag hashes the whole key"
        );
        assert_eq!(hash_tag(b"x{a"), b"x{a");
        assert_eq!(hash_tag(b"{a}{b}"), b"a");
        assert_eq!(hash_tag(b"x}{a}"), b"a");
    }

    #[test]
    fn same_slot_check() {
        let same = [b"{t}a".to_vec(), b"{t}b".to_vec()];
        assert!(check_same_slot("p", &same).is_ok());
        assert!(check_same_slot("p", &[]).is_ok());
        let differ = [b"foo".to_vec(), b"{foo}x".to_vec(), b"bar".to_vec()];
        let err = check_same_slot("p", &differ).unwrap_err();
        assert!(matches!(
            err,
            Error::CrossSlot { first_slot: 12182, slot: 5061, ref key, .. } if key == "bar"
        ));
        assert!(err.to_string().contains("hash tag"), "{err}");
    }
}
