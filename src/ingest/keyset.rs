//! The de-duplication index's set of keys ([`KeySet`]): every key of every mention a run
//! has seen, in as little memory as the keys allow, since it is what grows with the input.

use crate::allocator::OsPages;
use crate::hash::KeyBuildHasher;

/// A set of 64-bit keys that are hashes (evenly spread), in about 8 bytes a key: the keys
/// added lately in a hash table, the others in sorted arrays of 6 bytes a key, into which
/// the table is merged whenever it holds an eighth as many keys as they do.
///
/// A hash table alone stores the whole key and keeps room free (hashbrown: 9 bytes a slot
/// for a `u64`, 44–88 % used, and old and new side by side for a moment when it doubles:
/// about 14 bytes a key in tables that double at different sizes). Sorted arrays use every
/// byte, and store only the low 48 bits of a key: the top 6 name its [`Segment`], the next
/// 10 the bucket in the segment's directory. A merge rewrites one segment at a time, so it
/// holds at most a 64th of the arrays twice; merging costs about 50 bytes copied per key
/// added. Everything is in [`OsPages`]: given back to the system when freed.
pub struct KeySet {
    recent: hashbrown::HashSet<u64, KeyBuildHasher, OsPages>,
    segments: Vec<Segment>,
    /// Keys in `segments`.
    merged: usize,
}

/// The keys whose top 6 bits are this segment's number, sorted: per bucket (the next 10
/// bits) the low 48 bits, big-endian, so that the byte arrays sort as the numbers do.
struct Segment {
    low: allocator_api2::vec::Vec<[u8; 6], OsPages>,
    /// Where each bucket's keys start in `low`; the last entry is `low.len()`.
    starts: Box<[u32]>,
}

const SEGMENTS: usize = 64;
const BUCKETS: usize = 1024;

/// A key's segment: its top 6 bits.
fn segment_of(key: u64) -> usize {
    (key >> (64 - SEGMENTS.trailing_zeros())) as usize
}

/// The smallest size at which [`KeySet::recent`] is merged.
const RECENT_MIN: usize = 1 << 14;

impl KeySet {
    pub fn new() -> KeySet {
        KeySet {
            recent: Self::recent_table(RECENT_MIN),
            segments: (0..SEGMENTS).map(|_| Segment { low: allocator_api2::vec::Vec::new_in(OsPages), starts: vec![0; BUCKETS + 1].into() }).collect(),
            merged: 0,
        }
    }

    fn recent_table(capacity: usize) -> hashbrown::HashSet<u64, KeyBuildHasher, OsPages> {
        hashbrown::HashSet::with_capacity_and_hasher_in(capacity, KeyBuildHasher::default(), OsPages)
    }

    pub fn contains(&self, key: u64) -> bool {
        self.recent.contains(&key) || self.segments[segment_of(key)].contains(key)
    }

    /// Adds a key not in the set.
    pub fn insert(&mut self, key: u64) {
        self.recent.insert(key);
        // Merged when the table is full, before it would double.
        if self.recent.len() == self.recent.capacity() {
            self.merge();
        }
    }

    fn merge(&mut self) {
        let mut added = allocator_api2::vec::Vec::with_capacity_in(self.recent.len(), OsPages);
        added.extend(self.recent.drain());
        added.sort_unstable();
        let mut rest = &added[..];
        for (number, segment) in self.segments.iter_mut().enumerate() {
            let n = rest.partition_point(|&k| segment_of(k) == number);
            segment.add(&rest[..n]);
            rest = &rest[n..];
        }
        self.merged += added.len();
        drop(added);
        let wanted = (self.merged / 8).max(RECENT_MIN);
        if self.recent.capacity() < wanted {
            // The old table freed before the new one is made.
            self.recent = hashbrown::HashSet::with_hasher_in(KeyBuildHasher::default(), OsPages);
            self.recent = Self::recent_table(wanted);
        }
    }
}

impl Segment {
    fn split(key: u64) -> (usize, [u8; 6]) {
        let [_, _, low @ ..] = key.to_be_bytes();
        (((key >> 48) as usize) % BUCKETS, low)
    }

    fn contains(&self, key: u64) -> bool {
        let (bucket, low) = Self::split(key);
        let keys = &self.low[self.starts[bucket] as usize..self.starts[bucket + 1] as usize];
        // The low bits are evenly spread, so a key's place is about its share of 2^48
        // times the bucket's length: searched first in a window around it (a few cache
        // lines instead of a binary search's jumps over the whole bucket).
        let n = keys.len();
        let guess = (((key & ((1 << 48) - 1)) as u128 * n as u128) >> 48) as usize;
        let reach = 2 * n.isqrt() + 4;
        let window = guess.saturating_sub(reach)..(guess + reach).min(n);
        let (first, last) = (window.start, window.end);
        if first < last && keys[first] <= low && low <= keys[last - 1] {
            return keys[window].binary_search(&low).is_ok();
        }
        keys.binary_search(&low).is_ok()
    }

    /// Adds `added` (sorted, all of this segment, none already in it): the arrays
    /// rewritten, the old ones freed.
    fn add(&mut self, added: &[u64]) {
        if added.is_empty() {
            return;
        }
        let mut low = allocator_api2::vec::Vec::with_capacity_in(self.low.len() + added.len(), OsPages);
        let mut starts = vec![0u32; BUCKETS + 1];
        let mut added = added.iter().map(|&k| Self::split(k)).peekable();
        for bucket in 0..BUCKETS {
            let old = &self.low[self.starts[bucket] as usize..self.starts[bucket + 1] as usize];
            for &o in old {
                while let Some((_, a)) = added.next_if(|&(b, a)| b == bucket && a < o) {
                    low.push(a);
                }
                low.push(o);
            }
            while let Some((_, a)) = added.next_if(|&(b, _)| b == bucket) {
                low.push(a);
            }
            starts[bucket + 1] = low.len() as u32;
        }
        debug_assert_eq!(added.next(), None, "every key added belongs to this segment");
        self.low = low;
        self.starts = starts.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every bucket of every segment strictly sorted; the number of keys held.
    fn checked_len(set: &KeySet) -> usize {
        for seg in &set.segments {
            assert_eq!(seg.starts[BUCKETS] as usize, seg.low.len());
            for b in 0..BUCKETS {
                let keys = &seg.low[seg.starts[b] as usize..seg.starts[b + 1] as usize];
                assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
            }
        }
        assert_eq!(set.segments.iter().map(|s| s.low.len()).sum::<usize>(), set.merged);
        set.merged + set.recent.len()
    }

    #[test]
    fn a_crowded_bucket_is_searched_right_whether_its_keys_are_spread_or_not() {
        // 5,000 keys in one bucket: spread evenly (the window around the estimated place
        // holds them) and crowded at the low end (it does not; the whole bucket is searched).
        let spread = |i: u64| 7 << 58 | 3 << 48 | crate::hash::fnv1a(&[b"x", &i.to_le_bytes()]) & ((1 << 48) - 1);
        let crowded = |i: u64| 9 << 58 | 5 << 48 | (i * 1000);
        let mut set = KeySet::new();
        for i in 0..5_000 {
            set.insert(spread(i));
            set.insert(crowded(i));
        }
        set.merge();
        assert_eq!(checked_len(&set), 10_000);
        assert!((0..5_000).all(|i| set.contains(spread(i)) && set.contains(crowded(i))));
        assert!(!(5_000..10_000).any(|i| set.contains(spread(i)) || set.contains(crowded(i))));
        assert!(!(0..5_000).any(|i| set.contains(crowded(i) + 1)));
    }

    #[test]
    fn the_key_set_holds_every_key_once() {
        // Keys as the ingester makes them (FNV-1a): the top 16 bits choose segment and
        // bucket, so they must be spread evenly; by the top 8 bits, 256 groups of about
        // 1,560 each.
        let key = |i: u64| crate::hash::fnv1a(&[b"id", &i.to_le_bytes()]);
        let n = 400_000u64;
        let mut per = [0usize; 256];
        let mut set = KeySet::new();
        for i in 0..n {
            per[(key(i) >> 56) as usize] += 1;
            assert!(!set.contains(key(i)));
            set.insert(key(i));
        }
        let mean = n as f64 / 256.0;
        assert!(per.iter().all(|&c| (c as f64 / mean - 1.0).abs() < 0.15), "{per:?}");
        assert!(set.merged > 300_000, "merged {} times over", set.merged);
        assert!((0..n).all(|i| set.contains(key(i))));
        assert!(!(n..2 * n).any(|i| set.contains(key(i))));
        assert_eq!(checked_len(&set), n as usize);
        // Keys that differ only in the top or only in the low bits, and the extremes, in
        // the table and merged.
        let mut set = KeySet::new();
        let edge = [0, 1, u64::MAX, 1 << 48, (1 << 48) - 1, 1 << 58, 0xffff_0000_0000_0000, 0x8000_0000_0000_0001];
        let absent = [2, 1 << 49, 1 << 59, (1 << 58) - 1, u64::MAX - 1];
        for (i, &k) in edge.iter().enumerate() {
            set.insert(k);
            if i % 3 == 0 {
                set.merge();
            }
        }
        for merged in [false, true] {
            assert!(edge.iter().all(|&k| set.contains(k)), "merged: {merged}");
            assert!(!absent.iter().any(|&k| set.contains(k)), "merged: {merged}");
            assert_eq!(checked_len(&set), edge.len());
            set.merge();
        }
    }

    proptest::proptest! {
        #[test]
        fn the_key_set_answers_as_a_hash_set_does(
            ops in proptest::collection::vec((0u64..4, 0u64..4, 0u64..6, proptest::bool::weighted(0.1)), 0..300)
        ) {
            // Keys crowded into few segments, buckets and low values, merged at random
            // moments: every answer as from a plain set.
            let mut set = KeySet::new();
            let mut plain = std::collections::HashSet::new();
            for (segment, bucket, low, merge) in ops {
                let key = segment << 58 | bucket << 48 | low;
                proptest::prop_assert_eq!(set.contains(key), plain.contains(&key));
                if plain.insert(key) {
                    set.insert(key);
                }
                if merge {
                    set.merge();
                }
            }
            proptest::prop_assert_eq!(checked_len(&set), plain.len());
            for segment in 0..5u64 {
                for bucket in 0..5u64 {
                    for low in 0..7u64 {
                        let key = segment << 58 | bucket << 48 | low;
                        proptest::prop_assert_eq!(set.contains(key), plain.contains(&key));
                    }
                }
            }
        }
    }
}
