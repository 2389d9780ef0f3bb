//! [`FxHasher`]: the hash the recording shards use for service names.
//!
//! `record()` hashes the service name on every call. The standard SipHash costs about as
//! much as the rest of `record()` together; this multiply-rotate hash (rustc's "Fx") is a
//! few nanoseconds for a typical name. It is not DoS-resistant, which is fine for keys the
//! application itself chooses (service names), not for keys an attacker picks.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Builds [`FxHasher`]s for `HashMap`.
pub(crate) type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// A fast, non-cryptographic hasher.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    fn hash(text: &str) -> u64 {
        FxBuildHasher::default().hash_one(text)
    }

    #[test]
    fn different_names_hash_differently() {
        let names = [
            "a",
            "b",
            "ab",
            "ba",
            "service.one",
            "service.two",
            "",
            "a\0",
        ];
        let hashes: std::collections::HashSet<u64> = names.iter().map(|n| hash(n)).collect();
        assert_eq!(hashes.len(), names.len());
        assert_eq!(hash("same"), hash("same"));
    }
}
