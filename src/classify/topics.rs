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

use std::collections::HashSet;
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

/// A document's distinct term keys, and its terms (for prefixes).
struct TermSet<'a> {
    keys: HashSet<u64, crate::ingest::dedup::KeyBuildHasher>,
    terms: &'a [Term],
}

impl Pattern {
    fn matches(&self, terms: &TermSet) -> bool {
        match self {
            Pattern::Exact(key) => terms.keys.contains(key),
            Pattern::Prefix(p) => terms.terms.iter().any(|t| t.text.starts_with(p.as_str())),
        }
    }
}

#[derive(Debug, Clone)]
struct Topic {
    name: String,
    keywords: Vec<Pattern>,
    /// Term keys of each phrase, in order.
    phrases: Vec<Vec<u64>>,
    all: Vec<Pattern>,
    any: Vec<Pattern>,
    not: Vec<Pattern>,
}

/// A compiled taxonomy.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    topics: Vec<Topic>,
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
        let patterns = |ws: &[String]| ws.iter().map(|w| pattern(w)).collect::<Result<Vec<_>, _>>();
        let mut topics = Vec::new();
        for spec in file.topic {
            let ctx = |e: String| format!("topic `{}`: {e}", spec.name);
            let phrases = spec
                .phrases
                .iter()
                .map(|p| normalizer.normalize(p).into_iter().map(|t| t.key).collect::<Vec<_>>())
                .filter(|p| !p.is_empty())
                .collect();
            topics.push(Topic {
                keywords: patterns(&spec.keywords).map_err(ctx)?,
                phrases,
                all: patterns(&spec.all).map_err(ctx)?,
                any: patterns(&spec.any).map_err(ctx)?,
                not: patterns(&spec.not).map_err(ctx)?,
                name: spec.name,
            });
        }
        Ok(Taxonomy { topics })
    }

    pub fn names(&self) -> Vec<&str> {
        self.topics.iter().map(|t| t.name.as_str()).collect()
    }

    /// The topics a document's terms belong to, in taxonomy order.
    pub fn assign(&self, terms: &[Term]) -> Vec<String> {
        let set = TermSet { keys: terms.iter().map(|t| t.key).collect(), terms };
        let seq: Vec<u64> = terms.iter().map(|t| t.key).collect();
        let mut out = Vec::new();
        for t in &self.topics {
            let keyword = t.keywords.iter().any(|p| p.matches(&set));
            let phrase = t.phrases.iter().any(|p| seq.windows(p.len()).any(|w| w.iter().zip(p).all(|(a, b)| a == b)));
            let rule = (!t.all.is_empty() || !t.any.is_empty())
                && t.all.iter().all(|p| p.matches(&set))
                && (t.any.is_empty() || t.any.iter().any(|p| p.matches(&set)));
            let excluded = t.not.iter().any(|p| p.matches(&set));
            if (keyword || phrase || rule) && !excluded {
                out.push(t.name.clone());
            }
        }
        out
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
        Taxonomy::from_toml(T, &n).unwrap().assign(&n.normalize(text))
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
    }
}
