//! Sparse features for linear models: hashed word 1–2-grams of normalized terms (negation
//! marks included) and character n-grams inside words (German compounds share pieces:
//! `Lieferverzug`, `Verzug`), with sublinear term frequency. IDF weights and the selected
//! feature set belong to a trained model; this stage is stateless and never builds a
//! dense row.

use serde::{Deserialize, Serialize};

use crate::ingest::dedup::fnv1a;
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
    out.clear();
    let bucket = |h: u64| (h % s.buckets as u64) as u32;
    let mut prev: Option<u64> = None;
    for t in terms {
        let neg: &[u8] = if t.negated { b"!" } else { b"" };
        let w = fnv1a(&[b"w", neg, t.text.as_bytes()]);
        out.push((bucket(w), 1.0));
        if s.word_bigrams {
            if let Some(p) = prev {
                out.push((bucket(fnv1a(&[b"b", &p.to_le_bytes(), &w.to_le_bytes()])), 1.0));
            }
            prev = Some(w);
        }
        if t.kind == Kind::Word && s.char_max > 0 {
            let chars: Vec<char> = std::iter::once('<').chain(t.text.chars()).chain(std::iter::once('>')).collect();
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
                    out.push((bucket(fnv1a(&[b"c", &buf[..len]])), 1.0));
                }
            }
        }
    }
    out.sort_unstable_by_key(|&(id, _)| id);
    let mut merged: Vec<(u32, f32)> = Vec::with_capacity(out.len());
    for &(id, v) in out.iter() {
        match merged.last_mut() {
            Some((last, count)) if *last == id => *count += v,
            _ => merged.push((id, v)),
        }
    }
    for (_, v) in merged.iter_mut() {
        *v = 1.0 + v.ln();
    }
    *out = merged;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalizer;

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
