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
//! word is present. A mention can have several topics. [`Taxonomy::assign_with_words`] also
//! says which of the topic's words (as written in the taxonomy) the mention contains: the
//! `top_terms` of the reports.

use std::collections::HashMap;

use serde::Deserialize;

use super::DefinitionError;
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
    Prefix(Prefix),
}

/// `wort*`: every word that starts with `wort`. Terms are stems, and the stemmer writes
/// umlauts as plain vowels and cuts endings, so the prefix is compared as the stemmer
/// writes it (`Störung*` → `storung`), and a word whose stem is the prefix's own stem
/// matches too (`Lieferung*` → `Lieferungen`, stem `liefer`: shorter than the prefix).
#[derive(Debug, Clone)]
struct Prefix {
    text: String,
    /// The key of the prefix read as a word, when it is one.
    key: Option<u64>,
}

impl Prefix {
    fn new(prefix: &str, words: &Normalizer) -> Prefix {
        let text = crate::normalize::stem_letters(prefix);
        let key = match words.normalize(prefix).as_slice() {
            [t] => Some(t.key),
            _ => None,
        };
        Prefix { text, key }
    }

    fn matches(&self, t: &Term) -> bool {
        t.text.starts_with(self.text.as_str()) || self.key == Some(t.key)
    }
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
    /// Term keys of each phrase, in order, and the phrase's pair id.
    phrases: Vec<(Vec<u64>, u32)>,
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
    /// Term key → (topic, slot, pair id) of every pattern that is this word.
    exact: HashMap<u64, Vec<(u32, Slot, u32)>, crate::hash::KeyBuildHasher>,
    /// Prefix patterns, tried on every term.
    prefixes: Vec<(Prefix, u32, Slot, u32)>,
    /// By pair id: a topic and one of its keywords, rule words or phrases as written in
    /// the taxonomy.
    pairs: Vec<(u32, std::sync::Arc<str>)>,
}

impl Taxonomy {
    pub fn from_toml(text: &str, normalizer: &Normalizer) -> Result<Taxonomy, DefinitionError> {
        let file: TaxonomyFile = crate::message::parse_toml(text)?;
        // Topic words are normalized like mention texts, but without stop-word removal
        // and negation marking, so that every keyword keeps its term.
        let words = Normalizer::new(crate::normalize::NormalizerSettings { stop_words: false, negation: false, ..normalizer.settings() });
        // `None`: not one word.
        let pattern = |w: &str| -> Option<Pattern> {
            if let Some(prefix) = w.strip_suffix('*') {
                return Some(Pattern::Prefix(Prefix::new(prefix.trim(), &words)));
            }
            match words.normalize(w).as_slice() {
                [t] => Some(Pattern::Exact(t.key)),
                _ => None,
            }
        };
        let mut taxonomy = Taxonomy { topics: Vec::new(), exact: HashMap::default(), prefixes: Vec::new(), pairs: Vec::new() };
        for spec in file.topic {
            if spec.all.len() > MAX_ALL {
                return Err(DefinitionError::TooManyAll { topic: spec.name.clone(), found: spec.all.len(), max: MAX_ALL });
            }
            let i = taxonomy.topics.len() as u32;
            let slots = spec
                .keywords
                .iter()
                .map(|w| (w, Slot::Keyword))
                .chain(spec.all.iter().enumerate().map(|(n, w)| (w, Slot::All(n as u8))))
                .chain(spec.any.iter().map(|w| (w, Slot::Any)))
                .chain(spec.not.iter().map(|w| (w, Slot::Not)));
            for (w, slot) in slots {
                match pattern(w).ok_or_else(|| DefinitionError::NotOneWord { topic: spec.name.clone(), word: w.clone() })? {
                    Pattern::Exact(key) => {
                        // Spellings of one term in one topic (`Ersatzteil`, `Ersatzteile`)
                        // are one word, shown as first written.
                        let same = taxonomy.exact.get(&key).and_then(|v| v.iter().find(|e| e.0 == i).map(|e| e.2));
                        let pair = match same {
                            Some(pair) => pair,
                            None => taxonomy.pair_id(i, w),
                        };
                        taxonomy.exact.entry(key).or_default().push((i, slot, pair));
                    }
                    Pattern::Prefix(p) => {
                        let pair = taxonomy.pair_id(i, w);
                        taxonomy.prefixes.push((p, i, slot, pair));
                    }
                }
            }
            let mut phrases = Vec::new();
            for p in &spec.phrases {
                let keys: Vec<u64> = normalizer.normalize(p).into_iter().map(|t| t.key).collect();
                if !keys.is_empty() {
                    phrases.push((keys, taxonomy.pair_id(i, p)));
                }
            }
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

    /// The id of a topic and a word as written (trimmed), one per distinct spelling.
    fn pair_id(&mut self, topic: u32, w: &str) -> u32 {
        let w = w.trim();
        match self.pairs.iter().position(|(t, x)| *t == topic && &**x == w) {
            Some(i) => i as u32,
            None => {
                self.pairs.push((topic, w.into()));
                self.pairs.len() as u32 - 1
            }
        }
    }

    /// (topic, word) by pair id, the ids [`Taxonomy::assign_with_words`] gives.
    pub fn word_pairs(&self) -> Vec<(std::sync::Arc<str>, std::sync::Arc<str>)> {
        self.pairs.iter().map(|(t, w)| (self.topics[*t as usize].name.clone(), w.clone())).collect()
    }

    /// The topics a document's terms belong to, in taxonomy order. A topic matches when a
    /// keyword, a phrase or its rule (every `all` word and one `any` word) hits, and none of
    /// its `not` words is present.
    pub fn assign(&self, terms: &[Term]) -> Vec<std::sync::Arc<str>> {
        self.assign_inner(terms, None)
    }

    /// [`Taxonomy::assign`], and for every topic found, the words of its definition the
    /// document contains (keywords, phrases, `all`/`any` words; each once), appended to
    /// `words` as pair ids (see [`Taxonomy::word_pairs`]).
    pub fn assign_with_words(&self, terms: &[Term], words: &mut Vec<u32>) -> Vec<std::sync::Arc<str>> {
        self.assign_inner(terms, Some(words))
    }

    fn assign_inner(&self, terms: &[Term], mut words: Option<&mut Vec<u32>>) -> Vec<std::sync::Arc<str>> {
        let mut hits = vec![Hits::default(); self.topics.len()];
        // Pair ids of every hit that is not a `not` word, when words are wanted.
        let mut hit_words: Vec<u32> = Vec::new();
        let mut hit = |i: u32, slot: Slot, pair: u32, hits: &mut [Hits]| {
            hits[i as usize].hit(slot);
            if words.is_some() && !matches!(slot, Slot::Not) {
                hit_words.push(pair);
            }
        };
        for t in terms {
            for &(i, slot, pair) in self.exact.get(&t.key).map_or(&[][..], Vec::as_slice) {
                hit(i, slot, pair, &mut hits);
            }
            for (p, i, slot, pair) in &self.prefixes {
                if p.matches(t) {
                    hit(*i, *slot, *pair, &mut hits);
                }
            }
        }
        let phrase = |p: &[u64]| terms.windows(p.len()).any(|w| w.iter().zip(p).all(|(t, key)| t.key == *key));
        let mut found = Vec::new();
        for (i, (t, h)) in self.topics.iter().zip(&hits).enumerate() {
            let rule = t.has_rule && h.all == t.all_mask && (!t.has_any || h.any);
            let mut phrases = t.phrases.iter().filter(|(p, _)| phrase(p)).map(|&(_, pair)| pair).peekable();
            if !(h.keyword || rule || phrases.peek().is_some()) || h.not {
                continue;
            }
            found.push(t.name.clone());
            if let Some(words) = words.as_deref_mut() {
                let from = words.len();
                words.extend(hit_words.iter().copied().filter(|&pair| self.pairs[pair as usize].0 as usize == i).chain(phrases));
                words[from..].sort_unstable();
                let mut kept = from;
                for k in from..words.len() {
                    if k == from || words[k] != words[kept - 1] {
                        words[kept] = words[k];
                        kept += 1;
                    }
                }
                words.truncate(kept);
            }
        }
        found
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
    fn a_prefix_matches_words_with_umlauts_and_words_the_stemmer_cut_shorter_than_it() {
        let n = Normalizer::default();
        let t = Taxonomy::from_toml("[[topic]]\nname='S'\nkeywords=['Störung*', 'Überstund*', 'Lieferung*']\n", &n).unwrap();
        let found = |text: &str| !t.assign(&n.normalize(text)).is_empty();
        assert!(found("Schon wieder eine Störung"), "umlaut: the stem is `storung`");
        assert!(found("Störungsmeldung"));
        assert!(found("Zu viele Überstunden"));
        assert!(found("Die Lieferungen fehlen"), "the stem `liefer` is shorter than the prefix");
        assert!(found("Lieferung"));
        assert!(found("Lieferungsverzug"));
        assert!(!found("Der Stör schwimmt"));
        assert!(!found("Alles bestens"));
    }

    #[test]
    fn words_say_why_a_topic_was_found() {
        let n = Normalizer::default();
        let t = Taxonomy::from_toml(T, &n).unwrap();
        let pairs = t.word_pairs();
        let words = |text: &str| {
            let mut w = Vec::new();
            let topics = t.assign_with_words(&n.normalize(text), &mut w);
            assert_eq!(topics, t.assign(&n.normalize(text)), "{text}");
            w.into_iter().map(|p| format!("{}:{}", pairs[p as usize].0, pairs[p as usize].1)).collect::<Vec<_>>()
        };
        assert_eq!(words("Die Lieferungen kamen zu spät, die Lieferung auch"), ["Lieferung:Lieferung", "Lieferung:liefer*", "Lieferung:zu spät"]);
        assert_eq!(words("Der Preis ist zu teuer"), ["Preis:Preis", "Preis:teuer"]);
        assert!(words("Der Preis bleibt").is_empty(), "no topic, no words");
        let two = Taxonomy::from_toml("[[topic]]\nname='E'\nkeywords=['Ersatzteil', 'Ersatzteile', 'Teil']\nany=['Teil']\n", &n).unwrap();
        let mut w = Vec::new();
        two.assign_with_words(&n.normalize("Ersatzteile und ein Ersatzteil, ein Teil"), &mut w);
        let named: Vec<_> = w.iter().map(|&p| two.word_pairs()[p as usize].1.to_string()).collect();
        assert_eq!(named, ["Ersatzteil", "Teil"], "spellings of one term are one word, a word in two lists too");
        assert!(words("Der Lieferschein fehlt bei der Lieferung").is_empty(), "`not` removes the topic and its words");
    }

    #[test]
    fn bad_taxonomies_are_errors() {
        let n = Normalizer::default();
        assert!(Taxonomy::from_toml("[[topic]]\nname='x'\nkeywords=['zwei Wörter']\n", &n).unwrap_err().to_string().contains("not one word"));
        assert!(Taxonomy::from_toml("[[topic]]\nname='x'\nkeyword=['a']\n", &n).unwrap_err().to_string().contains("keyword"));
        let many = (0..65).map(|i| format!("'w{i}'")).collect::<Vec<_>>().join(",");
        assert!(Taxonomy::from_toml(&format!("[[topic]]\nname='x'\nall=[{many}]\n"), &n).unwrap_err().to_string().contains("at most 64"));
    }
}
