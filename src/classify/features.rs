//! Sparse features for linear models: hashed word 1–2-grams of normalized terms (negation
//! marks included) and character n-grams inside words (German compounds share pieces:
//! `Lieferverzug`, `Verzug`), with sublinear term frequency. IDF weights and the selected
//! feature set belong to a trained model; this stage is stateless and never builds a
//! dense row.

use serde::{Deserialize, Serialize};

use crate::hash::fnv1a;
use crate::normalize::{tokenize::Kind, Term};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSettings {
    /// Word bigrams besides unigrams.
    pub word_bigrams: bool,
    /// Character n-gram lengths inside words, inclusive (0 = none).
    pub char_min: usize,
    pub char_max: usize,
    /// Hash space: features are `hash % buckets`.
    pub buckets: u32,
}

impl Default for FeatureSettings {
    fn default() -> Self {
        FeatureSettings { word_bigrams: true, char_min: 2, char_max: 5, buckets: 1 << 20 }
    }
}

/// Sparse term-frequency vector: (feature id, 1 + ln(count)), sorted by id, ids unique.
pub fn featurize(terms: &[Term], s: &FeatureSettings, out: &mut Vec<(u32, f32)>) {
    let mut raw = Vec::new();
    featurize_raw(terms, s, &mut raw);
    raw.sort_unstable();
    out.clear();
    for id in raw {
        match out.last_mut() {
            Some((last, count)) if *last == id => *count += 1.0,
            _ => out.push((id, 1.0)),
        }
    }
    for (_, v) in out.iter_mut() {
        *v = 1.0 + v.ln();
    }
}

/// Every feature occurrence of a document as a hashed id, in text order, repeats included
/// (what [`featurize`] counts). A word's own hashes are cached per thread: most words of a
/// corpus repeat, and hashing its character n-grams is most of the work.
pub fn featurize_raw(terms: &[Term], s: &FeatureSettings, out: &mut Vec<u32>) {
    out.clear();
    let bucket = |h: u64| (h % s.buckets as u64) as u32;
    let mut prev: Option<u64> = None;
    TERM_HASHES.with_borrow_mut(|cache| {
        let key = (s.char_min, s.char_max);
        if cache.settings != key || cache.map.len() >= 200_000 {
            cache.map.clear(); // other settings, or bounded memory on open vocabularies
            cache.settings = key;
        }
        for t in terms {
            let with_chars = t.kind == Kind::Word && s.char_max > 0;
            let hashes = match cache.map.get(&*t.text) {
                Some(h) => h,
                None => {
                    let h = term_hashes(&t.text, with_chars, s);
                    cache.map.entry(t.text.clone()).or_insert(h)
                }
            };
            // hashes[0]: the word, hashes[1]: the negated word, then character n-grams.
            let w = if t.negated { hashes[1] } else { hashes[0] };
            out.push(bucket(w));
            if s.word_bigrams {
                if let Some(p) = prev {
                    out.push(bucket(bigram_hash(p, w)));
                }
                prev = Some(w);
            }
            if with_chars {
                out.extend(hashes[2..].iter().map(|&h| bucket(h)));
            }
        }
    });
}

/// A word's hashes: itself, itself negated, and its character n-grams (`<` and `>` mark
/// the word's edges; only for words, when the settings ask for them).
pub fn term_hashes_for(t: &Term, s: &FeatureSettings) -> Box<[u64]> {
    term_hashes(&t.text, t.kind == Kind::Word && s.char_max > 0, s)
}

/// The hash of a word bigram from its two word hashes.
pub fn bigram_hash(prev: u64, word: u64) -> u64 {
    fnv1a(&[b"b", &prev.to_le_bytes(), &word.to_le_bytes()])
}

fn term_hashes(text: &str, with_chars: bool, s: &FeatureSettings) -> Box<[u64]> {
    let mut h = vec![fnv1a(&[b"w", b"", text.as_bytes()]), fnv1a(&[b"w", b"!", text.as_bytes()])];
    if with_chars {
        let chars: Vec<char> = std::iter::once('<').chain(text.chars()).chain(std::iter::once('>')).collect();
        for n in s.char_min.max(1)..=s.char_max {
            if chars.len() < n {
                break;
            }
            for win in chars.windows(n) {
                let mut buf = [0u8; 32];
                let mut len = 0;
                for c in win {
                    len += c.encode_utf8(&mut buf[len..]).len();
                    if len > 28 {
                        break;
                    }
                }
                h.push(fnv1a(&[b"c", &buf[..len]]));
            }
        }
    }
    h.into_boxed_slice()
}

#[derive(Default)]
struct TermHashCache {
    settings: (usize, usize),
    map: std::collections::HashMap<compact_str::CompactString, Box<[u64]>, crate::hash::FnvBuildHasher>,
}

thread_local! {
    static TERM_HASHES: std::cell::RefCell<TermHashCache> = std::cell::RefCell::new(TermHashCache::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalizer;

    #[test]
    fn golden_feature_hashes() {
        // Saved models hold these hashes (modulo their bucket count) as feature ids: they
        // must not change, or every shipped and analyst-trained model silently degrades.
        let s = FeatureSettings { char_min: 3, char_max: 3, ..FeatureSettings::default() };
        let h = term_hashes("zug", true, &s);
        assert_eq!(&h[..3], &[0x9b6b_e60e_6545_f426, 0xc6d6_8700_63ce_c2a7, fnv1a(&[b"c", "<zu".as_bytes()])]);
        assert_eq!(term_hashes("zü", true, &s)[2], 0x6adb_9e48_124a_9b3e, "n-grams of UTF-8 text");
        let spat = term_hashes("spat", false, &s)[0];
        assert_eq!(bigram_hash(h[0], spat), 0x8f5c_c4e0_444c_dbb1);
    }

    #[test]
    fn negation_and_compounds_give_features() {
        let n = Normalizer::default();
        let s = FeatureSettings::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        featurize(&n.normalize("gut"), &s, &mut a);
        featurize(&n.normalize("nicht gut"), &s, &mut b);
        let ids = |v: &Vec<(u32, f32)>| v.iter().map(|x| x.0).collect::<std::collections::HashSet<_>>();
        let word_gut = a[..].iter().map(|x| x.0).collect::<Vec<_>>();
        assert!(!word_gut.is_empty());
        assert!(ids(&a) != ids(&b), "¬gut is another feature than gut");
        let (mut c, mut d) = (Vec::new(), Vec::new());
        featurize(&n.normalize("Lieferverzug"), &s, &mut c);
        featurize(&n.normalize("Verzug"), &s, &mut d);
        assert!(ids(&c).intersection(&ids(&d)).count() >= 3, "shared char n-grams");
        assert!(c.windows(2).all(|w| w[0].0 < w[1].0), "sorted, unique");
    }
}
