//! The one hash behind every stable key: mention ids and de-duplication keys (ingest),
//! term keys (normalize) and hashed features (classify). 64-bit FNV-1a: small, and stable
//! across versions and platforms — mention ids must not change between releases, and a
//! saved model's feature ids are these hashes. The golden tests below pin the values.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a of `parts`, with a separator byte (0x1f) between parts so that `["ab", "c"]` and
/// `["a", "bc"]` differ.
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h = OFFSET;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h = step(h, 0x1f);
        }
        h = fnv1a_continue(h, part);
    }
    h
}

/// Goes on hashing `bytes` after `h` (a key built up piece by piece).
pub fn fnv1a_continue(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = step(h, b as u64);
    }
    h
}

/// FNV-1a of one text: a term's key.
pub fn fnv1a_str(text: &str) -> u64 {
    fnv1a_continue(OFFSET, text.as_bytes())
}

/// Folds a whole 64-bit value into `h` in one FNV step (for sequences of keys).
pub fn mix(h: u64, value: u64) -> u64 {
    step(h, value)
}

/// The start of a [`mix`] sequence.
pub const MIX_START: u64 = OFFSET;

#[inline]
fn step(h: u64, value: u64) -> u64 {
    (h ^ value).wrapping_mul(PRIME)
}

/// For maps whose keys are already 64-bit hashes: uses them as they are.
#[derive(Default)]
pub struct KeyHasher(u64);

/// A `BuildHasher` for [`KeyHasher`].
pub type KeyBuildHasher = std::hash::BuildHasherDefault<KeyHasher>;

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// FNV-1a as a `Hasher` for short string keys (std's SipHash is several times slower here).
#[derive(Default)]
pub struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv1a_continue(if self.0 == 0 { OFFSET } else { self.0 }, bytes);
    }
}

/// Builds [`FnvHasher`]s, for `HashMap`s keyed by short strings.
pub type FnvBuildHasher = std::hash::BuildHasherDefault<FnvHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_fnv1a_values() {
        // The published FNV-1a 64 test vectors, and our part separator.
        assert_eq!(fnv1a_str(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_str("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_str("foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a(&[b"foobar"]), fnv1a_str("foobar"));
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
        assert_eq!(fnv1a(&[b"url", b"twitter.com/x/status/1"]), fnv1a_continue(fnv1a(&[b"url", b"twitter.com"]), b"/x/status/1"));
        assert_eq!(mix(MIX_START, 0), 0xaf63_bd4c_8601_b7df); // FNV-1a of the byte 0
    }
}
