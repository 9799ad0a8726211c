//! The analyst's topic taxonomy (TOML): per topic keywords, phrases and a boolean rule,
//! matched on normalized terms, so `Lieferungen` hits the keyword `Lieferung`.
//!
//! ```toml
//! [[topic]]
//! name = "Lieferung & Logistik"
//! keywords = ["Lieferung", "Lieferzeit", "Spedition", "liefer*"]   # any one; `*` = prefix
//! phrases = ["nicht geliefert"]                                    # consecutive words
//! all = []            # a rule: every one of these words ...
//! any = []            # ... and at least one of these (either list may be empty)
//! not = ["Lieferschein"]                                           # none of these
//! ```
//! A topic matches when a keyword, a phrase or the `all`/`any` rule hits, and no `not`
//! word is present. A mention can have several topics.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::normalize::{Normalizer, Term};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    topic: Vec<TopicSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicSpec {
    name: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    all: Vec<String>,
    #[serde(default)]
    any: Vec<String>,
    #[serde(default)]
    not: Vec<String>,
}

/// A word pattern: an exact normalized term, or a prefix (`liefer*`).
#[derive(Debug, Clone)]
enum Pattern {
    /// A term's key.
    Exact(u64),
    Prefix(String),
}

/// Which part of a topic's definition a pattern belongs to.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Keyword,
    /// The n-th word of `all`.
    All(u8),
    Any,
    Not,
}

/// The most words an `all` rule may have (one bit each).
const MAX_ALL: usize = 64;

#[derive(Debug, Clone)]
struct Topic {
    name: std::sync::Arc<str>,
    /// Term keys of each phrase, in order.
    phrases: Vec<Vec<u64>>,
    /// Bits of every `all` word (all set: the rule's `all` part holds).
    all_mask: u64,
    has_rule: bool,
    has_any: bool,
}

/// What one document matched of one topic.
#[derive(Debug, Clone, Copy, Default)]
struct Hits {
    keyword: bool,
    all: u64,
    any: bool,
    not: bool,
}

impl Hits {
    fn hit(&mut self, slot: Slot) {
        match slot {
            Slot::Keyword => self.keyword = true,
            Slot::All(i) => self.all |= 1 << i,
            Slot::Any => self.any = true,
            Slot::Not => self.not = true,
        }
    }
}

/// A compiled taxonomy: every exact word of every topic in one table, so a document costs
/// one lookup per term, whatever the size of the taxonomy.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    topics: Vec<Topic>,
    /// Term key → (topic, slot) of every pattern that is this word.
    exact: HashMap<u64, Vec<(u32, Slot)>, crate::ingest::dedup::KeyBuildHasher>,
    /// Prefix patterns, tried on every term.
    prefixes: Vec<(String, u32, Slot)>,
}

impl Taxonomy {
    pub fn from_path(path: &Path, normalizer: &Normalizer) -> Result<Taxonomy, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Taxonomy::from_toml(&text, normalizer).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_toml(text: &str, normalizer: &Normalizer) -> Result<Taxonomy, String> {
        let file: TaxonomyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        // Topic words are normalized like mention texts, but without stop-word removal
        // and negation marking, so that every keyword keeps its term.
        let words = Normalizer::new(crate::normalize::NormalizerSettings { stop_words: false, negation: false, ..normalizer.settings() });
        let pattern = |w: &str| -> Result<Pattern, String> {
            if let Some(prefix) = w.strip_suffix('*') {
                return Ok(Pattern::Prefix(crate::normalize::fold(prefix.trim()).0));
            }
            let terms = words.normalize(w);
            match terms.as_slice() {
                [t] => Ok(Pattern::Exact(t.key)),
                _ => Err(format!("`{w}` is not one word (use `phrases` for several)")),
            }
        };
        let mut taxonomy = Taxonomy { topics: Vec::new(), exact: HashMap::default(), prefixes: Vec::new() };
        for spec in file.topic {
            let ctx = |e: String| format!("topic `{}`: {e}", spec.name);
            if spec.all.len() > MAX_ALL {
                return Err(ctx(format!("`all` has {} words, at most {MAX_ALL} are allowed", spec.all.len())));
            }
            let i = taxonomy.topics.len() as u32;
            let slots = spec.keywords.iter().map(|w| (w, Slot::Keyword))
                .chain(spec.all.iter().enumerate().map(|(n, w)| (w, Slot::All(n as u8))))
                .chain(spec.any.iter().map(|w| (w, Slot::Any)))
                .chain(spec.not.iter().map(|w| (w, Slot::Not)));
            for (w, slot) in slots {
                match pattern(w).map_err(ctx)? {
                    Pattern::Exact(key) => taxonomy.exact.entry(key).or_default().push((i, slot)),
                    Pattern::Prefix(p) => taxonomy.prefixes.push((p, i, slot)),
                }
            }
            let phrases = spec
                .phrases
                .iter()
                .map(|p| normalizer.normalize(p).into_iter().map(|t| t.key).collect::<Vec<_>>())
                .filter(|p| !p.is_empty())
                .collect();
            taxonomy.topics.push(Topic {
                phrases,
                all_mask: if spec.all.len() == MAX_ALL { u64::MAX } else { (1u64 << spec.all.len()) - 1 },
                has_rule: !spec.all.is_empty() || !spec.any.is_empty(),
                has_any: !spec.any.is_empty(),
                name: spec.name.as_str().into(),
            });
        }
        Ok(taxonomy)
    }

    pub fn names(&self) -> Vec<&str> {
        self.topics.iter().map(|t| &*t.name).collect()
    }

    /// The topics a document's terms belong to, in taxonomy order. A topic matches when a
    /// keyword, a phrase or its rule (every `all` word and one `any` word) hits, and none of
    /// its `not` words is present.
    pub fn assign(&self, terms: &[Term]) -> Vec<std::sync::Arc<str>> {
        let mut hits = vec![Hits::default(); self.topics.len()];
        for t in terms {
            for &(i, slot) in self.exact.get(&t.key).map_or(&[][..], Vec::as_slice) {
                hits[i as usize].hit(slot);
            }
            for (p, i, slot) in &self.prefixes {
                if t.text.starts_with(p.as_str()) {
                    hits[*i as usize].hit(*slot);
                }
            }
        }
        let phrase = |p: &[u64]| terms.windows(p.len()).any(|w| w.iter().zip(p).all(|(t, key)| t.key == *key));
        self.topics
            .iter()
            .zip(&hits)
            .filter(|(t, h)| {
                let rule = t.has_rule && h.all == t.all_mask && (!t.has_any || h.any);
                (h.keyword || rule || t.phrases.iter().any(|p| phrase(p))) && !h.not
            })
            .map(|(t, _)| t.name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"
[[topic]]
name = "Lieferung"
keywords = ["Lieferung", "Spedition", "liefer*"]
phrases = ["zu spät"]
not = ["Lieferschein"]

[[topic]]
name = "Preis"
all = ["Preis"]
any = ["teuer", "Erhöhung"]
"#;

    fn topics(text: &str) -> Vec<String> {
        let n = Normalizer::default();
        Taxonomy::from_toml(T, &n).unwrap().assign(&n.normalize(text)).iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn keywords_match_inflected_forms_and_rules_combine() {
        assert_eq!(topics("Die Lieferungen kamen nie an"), vec!["Lieferung"]);
        assert_eq!(topics("Alles kam zu spät."), vec!["Lieferung"]);
        assert_eq!(topics("Lieferant wechselt"), vec!["Lieferung"], "prefix");
        assert_eq!(topics("Der Lieferschein fehlt bei der Lieferung"), Vec::<String>::new(), "not");
        assert_eq!(topics("Preis ist viel zu teuer"), vec!["Lieferung", "Preis"].into_iter().filter(|t| *t == "Preis").map(String::from).collect::<Vec<_>>());
        assert_eq!(topics("Der Preis bleibt"), Vec::<String>::new(), "all without any");
    }

    #[test]
    fn bad_taxonomies_are_errors() {
        let n = Normalizer::default();
        assert!(Taxonomy::from_toml("[[topic]]\nname='x'\nkeywords=['zwei Wörter']\n", &n).unwrap_err().contains("not one word"));
        assert!(Taxonomy::from_toml("[[topic]]\nname='x'\nkeyword=['a']\n", &n).unwrap_err().contains("keyword"));
        let many = (0..65).map(|i| format!("'w{i}'")).collect::<Vec<_>>().join(",");
        assert!(Taxonomy::from_toml(&format!("[[topic]]\nname='x'\nall=[{many}]\n"), &n).unwrap_err().contains("at most 64"));
    }
}
