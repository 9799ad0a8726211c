//! A lexicon/rule sentiment classifier: needs no training and works in any domain.
//! Polar words and emoji add their weight; an intensifier (`sehr`, `total`) strengthens the
//! next polar word; a negation (`nicht gut`) flips and damps it; a contrast (`gut, aber
//! teuer`) weakens what its sentence said before it and strengthens what follows; a
//! resolution (`Problem per Fernwartung gelöst`) takes back the negative words right before
//! it; emphasis (`SUPER`, `suuuper`) and `!` strengthen the whole. The score is
//! squashed into -1..1.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{Classifier, Prediction, Task};
use crate::normalize::tokenize::{is_emoji_modifier, Kind};
use crate::normalize::{stem_letters, term_key, Clause, Normalizer, Term};

pub(crate) const BUILTIN: &str = include_str!("lexicon_de.toml");

/// Scores with |score| below this are neutral.
pub const NEUTRAL_BAND: f32 = 0.3;

/// How much a polar word counts where it stands to a contrast in its sentence: the words
/// before `aber` half, those after it one and a half times (the factors of VADER's `but`
/// rule, Hutto & Gilbert 2014; not tuned here).
fn clause_weight(c: Clause) -> f32 {
    match c {
        Clause::Plain => 1.0,
        Clause::BeforeContrast => 0.5,
        Clause::AfterContrast => 1.5,
    }
}

/// How many terms before a resolution (`gelöst`) a negative word may stand to be taken back
/// by it (`Problem per Fernwartung gelöst`, `Fehler im Display schnell behoben`): the
/// normalized terms keep no full stop, so a window stands in for the sentence.
const RESOLVED_WORDS: usize = 4;

/// Sorted maps: when two words share a stem, the same one wins in every run (positive
/// first, then negative).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    #[serde(default)]
    positive: BTreeMap<String, f32>,
    #[serde(default)]
    negative: BTreeMap<String, f32>,
    #[serde(default)]
    intensifiers: BTreeMap<String, f32>,
    #[serde(default)]
    emoji: BTreeMap<String, f32>,
    /// Polar words matched as written (folded, not stemmed), with their sign: for words
    /// whose stem is another, common word's (`schön` and `schon`, `lächerlich` and
    /// `lachen`), each inflected form listed.
    #[serde(default)]
    exact: BTreeMap<String, f32>,
    /// Fixed expressions of two or more words, often ironic (`na toll`, `danke für
    /// nichts`): their weight replaces that of their words.
    #[serde(default)]
    phrases: BTreeMap<String, f32>,
    /// Positive words that say a problem was solved (`gelöst`, `behoben`): the negative
    /// words right before them (`Problem`, `Fehler`, [`RESOLVED_WORDS`]) no longer count.
    #[serde(default)]
    resolvers: Vec<String>,
    #[serde(default)]
    compounds: CompoundsFile,
}

impl LexiconFile {
    /// The `[positive]` and `[negative]` words with their signed weights, each with its
    /// table's name; a word in both tables comes twice, the negative last.
    fn signed_words(&self) -> impl Iterator<Item = (&'static str, &str, f32)> {
        let positive = self.positive.iter().map(|(w, v)| ("positive", w.as_str(), v.abs()));
        positive.chain(self.negative.iter().map(|(w, v)| ("negative", w.as_str(), -v.abs())))
    }
}

/// `[compounds]`: German writes an evaluation into one word (`Scheißservice`, `sauteuer`,
/// `störungsfrei`). Looked at only for a word the tables above do not know. Not by a last
/// part (`Bahnchaos`): terms are stems, and on stems `Pleite` ends `Backupleitung`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompoundsFile {
    /// First parts that carry a polarity of their own (`scheiß` −2, `mist` −1.5): the
    /// word's weight when the rest is not polar.
    #[serde(default)]
    modifiers: BTreeMap<String, f32>,
    /// First parts that only strengthen a polar rest (`sau` in `sauteuer`, `mega`): factor.
    #[serde(default)]
    intensifiers: BTreeMap<String, f32>,
    /// Last parts that turn a polar first part round (`los`, `frei`: `problemlos`,
    /// `störungsfrei`, `hoffnungslos`).
    #[serde(default)]
    privative: Vec<String>,
}

/// Linking letters between the parts of a compound (`Störung|s|frei`, `Panne|n|frei`).
const FUGEN: &[&str] = &["", "s", "es", "n", "en", "er", "e"];

/// The shortest part a compound rule reads: `Topf` is not `top` + `f`.
const MIN_PART: usize = 3;

/// [`CompoundsFile`] as the rules read stems: every part written the way the stemmer
/// writes it inside a longer word (lowercase, no umlauts, `ß` as `ss`, endings cut).
#[derive(Debug, Clone)]
struct Compounds {
    /// (first part, own weight, factor for a polar rest), longest first.
    firsts: Vec<(String, f32, f32)>,
    /// The first two bytes of every first part, as a set of 65,536 bits: most words start
    /// with none of them and skip the list.
    first_pairs: Vec<u64>,
    privative: Vec<String>,
    /// Every polar word of the lexicon stemmed as the end of a compound (`teuer` stems to
    /// `teuer` alone but to `…teu` in `sauteuer`): key → weight.
    tails: WordMap,
    /// Every polar word of the lexicon as the first part of a compound stands in its stem
    /// (`störung` in `störungsfrei`: not stemmed, no umlauts): key → weight.
    firsts_of: WordMap,
}

impl Compounds {
    fn new(file: &LexiconFile, normalizer: &Normalizer) -> Compounds {
        let spec = &file.compounds;
        // A word stemmed as the end of a long word: behind a prefix that puts it inside the
        // stemmer's regions R1 and R2, as in a real compound.
        const PAD: &str = "babab";
        let as_tail = |w: &str| -> Option<String> {
            let terms = normalizer.normalize(&format!("{PAD}{}", w.to_lowercase()));
            match terms.as_slice() {
                [t] => t.text.strip_prefix(PAD).map(str::to_string),
                _ => None,
            }
        };
        let (mut tails, mut firsts_of) = (WordMap::default(), WordMap::default());
        let polar = file.signed_words().map(|(_, w, v)| (w, v)).chain(file.exact.iter().map(|(w, v)| (w.as_str(), *v)));
        for (w, v) in polar {
            if let Some(t) = as_tail(w).filter(|t| t.len() >= MIN_PART) {
                tails.entry(term_key(&t)).or_insert(v);
            }
            if !w.contains(' ') {
                firsts_of.entry(term_key(&stem_letters(w))).or_insert(v);
            }
        }
        let mut firsts: Vec<(String, f32, f32)> =
            spec.modifiers.iter().map(|(w, v)| (stem_letters(w), *v, spec.intensifiers.get(w).copied().unwrap_or(1.0))).collect();
        firsts.extend(spec.intensifiers.iter().filter(|(w, _)| !spec.modifiers.contains_key(*w)).map(|(w, f)| (stem_letters(w), 0.0, *f)));
        firsts.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let privative = spec.privative.iter().map(|w| stem_letters(w)).collect();
        let mut first_pairs = vec![0u64; 1 << 10];
        for (first, _, _) in &firsts {
            if let [a, b, ..] = first.as_bytes() {
                let pair = (*a as usize) << 8 | *b as usize;
                first_pairs[pair >> 6] |= 1 << (pair & 63);
            }
        }
        Compounds { firsts, first_pairs, privative, tails, firsts_of }
    }

    /// A word's weight by its parts, when a rule reads one.
    fn weight(&self, stem: &str) -> Option<f32> {
        if stem.len() < 2 * MIN_PART {
            return None;
        }
        let first_part = |part: &str| -> Option<f32> {
            FUGEN.iter().find_map(|f| part.strip_suffix(f).filter(|p| p.len() >= MIN_PART).and_then(|p| self.firsts_of.get(&term_key(p)).copied()))
        };
        for suffix in &self.privative {
            if let Some(first) = stem.strip_suffix(suffix.as_str()) {
                return first_part(first).map(|w| -w);
            }
        }
        let b = stem.as_bytes();
        let pair = (b[0] as usize) << 8 | b[1] as usize;
        if self.first_pairs[pair >> 6] >> (pair & 63) & 1 == 0 {
            return None;
        }
        for (first, own, factor) in &self.firsts {
            if let Some(rest) = stem.strip_prefix(first.as_str()).filter(|r| r.len() >= MIN_PART) {
                if let Some(w) = self.tails.get(&term_key(rest)) {
                    return Some(w * factor);
                }
                if *own != 0.0 {
                    return Some(*own);
                }
            }
        }
        None
    }
}

/// Term key ([`crate::normalize::term_key`]) → weight.
type WordMap = HashMap<u64, f32, crate::hash::KeyBuildHasher>;

/// The lexicon classifier for the `sentiment` task.
#[derive(Debug, Clone)]
pub struct LexiconSentiment {
    polarity: WordMap,
    /// [`Term::surface`] → weight: the `[exact]` entries.
    exact: WordMap,
    intensifiers: WordMap,
    /// First term key → (the phrase's term keys, weight), longest first.
    phrases: HashMap<u64, Vec<(Vec<u64>, f32)>, crate::hash::KeyBuildHasher>,
    /// Term keys of the positive words that resolve a problem ([`LexiconFile::resolvers`]).
    resolvers: Vec<u64>,
    compounds: Compounds,
    labels: Vec<String>,
}

impl LexiconSentiment {
    /// The built-in German lexicon.
    pub fn builtin(normalizer: &Normalizer) -> LexiconSentiment {
        LexiconSentiment::from_toml(BUILTIN, normalizer).expect("built-in lexicon is valid")
    }

    /// A lexicon in the built-in format (`[positive]`, `[negative]`, `[intensifiers]`,
    /// `[emoji]`, `[exact]` tables of `word = weight`, `[phrases]`, `resolvers`,
    /// `[compounds]`); words are normalized like mention texts.
    pub fn from_toml(text: &str, normalizer: &Normalizer) -> Result<LexiconSentiment, super::DefinitionError> {
        let file: LexiconFile = crate::message::parse_toml(text)?;
        let one_term = |w: &str| -> Option<Term> {
            let mut terms = normalizer.normalize(w);
            (terms.len() == 1).then(|| terms.remove(0))
        };
        let key = |w: &str| one_term(w).map(|t| t.key);
        // Every entry is looked up by the key of the one term it normalizes to, as a
        // mention's words and emoji are (`❤️` is the term `❤`). One that normalizes to no
        // term or to several would never match, and an emoji entry that gives a word or a
        // number instead (`D:` gives the word `d`) would match the wrong thing: both are an
        // error naming them, not a silent gap.
        let mut unmatchable = Vec::new();
        let mut entry = |table: &str, w: &str, fits: &dyn Fn(&Term) -> bool| -> Option<Term> {
            let term = one_term(w).filter(|t| fits(t));
            if term.is_none() {
                unmatchable.push(format!("`{w}` ([{table}])"));
            }
            term
        };
        let mut polarity = WordMap::default();
        for (table, w, v) in file.signed_words() {
            if let Some(t) = entry(table, w, &|_| true) {
                polarity.insert(t.key, v);
            }
        }
        for (w, v) in &file.emoji {
            // The emoji or emoticon itself, not a word or number left of it.
            let emoji = |t: &Term| matches!(t.kind, Kind::Emoji | Kind::Emoticon) && w.chars().filter(|&c| !is_emoji_modifier(c)).eq(t.text.chars());
            if let Some(t) = entry("emoji", w, &emoji) {
                polarity.insert(t.key, *v);
            }
        }
        let mut exact = WordMap::default();
        for (w, v) in &file.exact {
            if let Some(t) = entry("exact", w, &|t| t.kind == Kind::Word) {
                exact.insert(t.surface, *v);
            }
        }
        let mut intensifiers = WordMap::default();
        for (w, v) in &file.intensifiers {
            if let Some(t) = entry("intensifiers", w, &|_| true) {
                intensifiers.insert(t.surface, *v);
                intensifiers.insert(t.key, *v);
            }
        }
        if !unmatchable.is_empty() {
            return Err(super::DefinitionError::Unmatchable(unmatchable));
        }
        let mut phrases: HashMap<u64, Vec<(Vec<u64>, f32)>, crate::hash::KeyBuildHasher> = HashMap::default();
        let mut short = Vec::new();
        for (p, v) in &file.phrases {
            let keys: Vec<u64> = normalizer.normalize(p).iter().filter(|t| t.kind != Kind::Punct).map(|t| t.key).collect();
            if keys.len() < 2 {
                short.push(format!("`{p}`"));
                continue;
            }
            phrases.entry(keys[0]).or_default().push((keys, *v));
        }
        if !short.is_empty() {
            return Err(super::DefinitionError::ShortPhrases(short));
        }
        for list in phrases.values_mut() {
            list.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.total_cmp(&b.1)));
        }
        let mut resolvers = Vec::new();
        let mut not_positive = Vec::new();
        for w in &file.resolvers {
            match key(w).filter(|k| polarity.get(k).is_some_and(|v| *v > 0.0)) {
                Some(k) => resolvers.push(k),
                None => not_positive.push(format!("`{w}`")),
            }
        }
        if !not_positive.is_empty() {
            return Err(super::DefinitionError::Resolvers(not_positive));
        }
        resolvers.sort_unstable();
        let compounds = Compounds::new(&file, normalizer);
        Ok(LexiconSentiment { polarity, exact, intensifiers, phrases, resolvers, compounds, labels: Task::Sentiment.labels() })
    }

    /// The weight of a polar term: an `[exact]` entry's by the word as written, else its
    /// stem's, else a compound's by its parts (`[compounds]`).
    fn weight(&self, t: &Term) -> Option<f32> {
        let known = self.exact.get(&t.surface).or_else(|| self.polarity.get(&t.key)).copied();
        known.or_else(|| if t.kind == Kind::Word { self.compounds.weight(&t.text) } else { None })
    }

    /// The raw score in -1..1 for normalized terms.
    pub fn score(&self, terms: &[Term]) -> f32 {
        self.evidence(terms).score
    }

    /// What the lexicon found in a document: the positive and negative weight (after
    /// intensifiers, emphasis and negation) and the squashed score.
    pub fn evidence(&self, terms: &[Term]) -> Evidence {
        let (mut positive, mut negative) = (0.0f32, 0.0f32);
        // The last plain negative words (term index, weight; 0 once taken back or for no
        // word yet), which a resolution right after them takes back.
        let mut unresolved = [(0usize, 0.0f32); RESOLVED_WORDS];
        let mut boost = 1.0f32;
        let mut exclaim = false;
        let mut emphasis = false;
        let mut skip = 0usize;
        for (i, t) in terms.iter().enumerate() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if let Some(list) = self.phrases.get(&t.key) {
                let found = list.iter().find(|(keys, _)| terms.len() >= i + keys.len() && terms[i..i + keys.len()].iter().zip(keys).all(|(t, k)| t.key == *k));
                if let Some((keys, w)) = found {
                    let w = w * clause_weight(t.clause);
                    if w > 0.0 {
                        positive += w
                    } else {
                        negative -= w
                    }
                    skip = keys.len() - 1;
                    boost = 1.0;
                    continue;
                }
            }
            if t.kind == Kind::Punct {
                exclaim |= &*t.text == "!";
                boost = 1.0;
                continue;
            }
            let weight = self.weight(t);
            if let Some(&m) = self.intensifiers.get(&t.key) {
                if weight.is_none() {
                    boost *= m;
                    continue;
                }
            }
            if let Some(w) = weight {
                let mut v = w * boost * clause_weight(t.clause);
                if t.emphasized {
                    v *= 1.3;
                    emphasis = true;
                }
                if t.negated {
                    v *= -0.6;
                } else if w < 0.0 {
                    unresolved.rotate_right(1);
                    unresolved[0] = (i, -v);
                } else if self.resolvers.binary_search(&t.key).is_ok() {
                    for (at, weight) in &mut unresolved {
                        if *weight > 0.0 && i - *at <= RESOLVED_WORDS {
                            negative -= std::mem::take(weight);
                        }
                    }
                }
                if v > 0.0 {
                    positive += v;
                } else {
                    negative -= v;
                }
            }
            boost = 1.0;
        }
        if exclaim || emphasis {
            positive *= 1.2;
            negative *= 1.2;
        }
        Evidence { positive, negative, score: ((positive - negative) / 2.5).tanh() }
    }
}

/// The lexicon's evidence in one document (see [`LexiconSentiment::evidence`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Evidence {
    /// Summed weight of the positive words, ≥ 0.
    pub positive: f32,
    /// Summed weight of the negative words, ≥ 0.
    pub negative: f32,
    /// `tanh((positive − negative) / 2.5)`, in -1..1.
    pub score: f32,
}

impl Classifier for LexiconSentiment {
    fn name(&self) -> &str {
        "lexicon"
    }

    fn task(&self) -> Task {
        Task::Sentiment
    }

    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn predict(&self, terms: &[Term]) -> Prediction {
        let s = self.score(terms);
        let label = if s >= NEUTRAL_BAND {
            2
        } else if s <= -NEUTRAL_BAND {
            0
        } else {
            1
        };
        // Pseudo-probabilities from the score, for a uniform interface.
        let pos = ((s + 1.0) / 2.0).clamp(0.0, 1.0);
        let neu = 1.0 - s.abs();
        let scores = vec![(1.0 - pos) * (1.0 - neu), neu, pos * (1.0 - neu)];
        Prediction { label, scores, score: s }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> &'static str {
        let n = Normalizer::default();
        let lex = LexiconSentiment::builtin(&n);
        ["negative", "neutral", "positive"][lex.predict(&n.normalize(text)).label]
    }

    #[test]
    fn compounds_are_read_by_their_first_part_or_a_privative_ending() {
        for (word, want) in [
            ("Scheißservice", "negative"),
            ("Mistwetter", "negative"),
            ("sauteuer", "negative"),
            ("Totalausfall", "negative"),
            ("megagut", "positive"),
            ("saugeil", "positive"),
            ("problemlos", "positive"),
            ("störungsfrei", "positive"),
            ("pannenfrei", "positive"),
            ("fehlerfrei", "positive"),
            ("hoffnungslos", "negative"),
        ] {
            assert_eq!(label(word), want, "{word}");
        }
        // A first part that only strengthens needs a polar rest; other last parts are not read.
        for word in ["Supermarkt", "Sauerstoff", "Superheld", "Pannenhilfe", "Horrorfilm", "arbeitslos", "Backupleitung", "entspannender", "Topf"] {
            assert_eq!(label(word), "neutral", "{word}");
        }
    }

    #[test]
    fn polar_words_emoji_and_neutral_text() {
        assert_eq!(label("Super Service, danke! 👍"), "positive");
        assert_eq!(label("Schon wieder 30 Minuten Verspätung, unfassbar 😡"), "negative");
        assert_eq!(label("Der Zug fährt um 10 Uhr ab Gleis 3."), "neutral");
        assert_eq!(label("Lieferung kam pünktlich, alles bestens :)"), "positive");
        // The complaint words added in the eleventh session, as customers write them.
        for text in ["Das Gerät ist Schrott", "Wir wurden verarscht", "Support völlig unfähig", "ätzend", "Pfusch am Bau", "kundenfeindlich"] {
            assert_eq!(label(text), "negative", "{text}");
        }
        assert_eq!(label("Rückgabe lief unkompliziert"), "positive");
        assert_eq!(label("Mülltrennung ab Januar"), "neutral", "a compound is not read by its last part");
        for text in ["Die Hunde fressen Trockenfutter", "Eine Spinne im Keller"] {
            assert_eq!(label(text), "neutral", "{text}: `Fresse`, `Spinner` are matched as written");
        }
        assert_eq!(label("Halt die Fresse"), "negative");
        // Customer-service complaints without a polar word.
        for text in ["bis heute keine Antwort", "noch immer keine Rückmeldung", "Der Support könnte schneller sein"] {
            assert_eq!(label(text), "negative", "{text}");
        }
    }

    #[test]
    fn negation_flips_and_intensifiers_strengthen() {
        assert_eq!(label("Das war nicht gut."), "negative");
        let n = Normalizer::default();
        let lex = LexiconSentiment::builtin(&n);
        let plain = lex.score(&n.normalize("gut"));
        let strong = lex.score(&n.normalize("sehr gut"));
        assert!(strong > plain, "{strong} > {plain}");
        assert!(lex.score(&n.normalize("kein Problem")) > lex.score(&n.normalize("Problem")));
    }

    #[test]
    fn what_follows_a_contrast_outweighs_what_precedes_it() {
        let n = Normalizer::default();
        let l = LexiconSentiment::builtin(&n);
        let score = |t: &str| l.score(&n.normalize(t));
        assert!(score("Das Essen war gut, aber zu teuer") < 0.0);
        assert!(score("Das Essen war zu teuer, aber gut") > 0.0);
        assert_eq!(score("Das Essen war gut. Aber"), score("Das Essen war gut."), "a contrast in the next sentence changes nothing");
    }

    #[test]
    fn a_solved_problem_is_not_held_against_the_text() {
        let n = Normalizer::default();
        let l = LexiconSentiment::builtin(&n);
        let evidence = |t: &str| l.evidence(&n.normalize(t));
        let solved = evidence("Hotline sofort erreicht, Problem per Fernwartung gelöst.");
        assert_eq!(solved.negative, 0.0, "{solved:?}");
        assert!(solved.score > 0.0);
        assert_eq!(evidence("Fehler im Display schnell behoben").negative, 0.0);
        // Not solved, or solved in another sentence: the problem stands.
        assert!(evidence("Problem nicht gelöst").score < 0.0);
        assert!(evidence("Wieder ein Problem mit der Lieferung, seit Tagen wartet das Team. Die Rechnung ist geklärt.").negative > 0.0);
        // Only what comes before the resolution is taken back.
        assert!(evidence("Problem gelöst, aber die Lieferung ist kaputt").negative > 0.0);
    }

    #[test]
    fn user_lexicons_are_checked() {
        let n = Normalizer::default();
        assert!(LexiconSentiment::from_toml("[positiv]\ngut = 1\n", &n).unwrap_err().to_string().contains("positiv"));
        let e = LexiconSentiment::from_toml("resolvers = [\"gelöst\", \"schlecht\"]\n[positive]\n\"gelöst\" = 1\n[negative]\nschlecht = 1\n", &n).unwrap_err();
        assert!(e.to_string().contains("`schlecht`") && !e.to_string().contains("`gelöst`"), "{e}");
    }

    #[test]
    fn an_entry_that_can_never_match_is_an_error_naming_it() {
        let n = Normalizer::default();
        let toml = "[positive]\n\"gut\" = 1\n\"und\" = 1\n\"nicht so gut\" = 1\n[emoji]\n\"D:\" = -2\n\":)\" = 1\n";
        let err = LexiconSentiment::from_toml(toml, &n).expect_err("stop word, three words and an emoticon the tokenizer splits");
        let msg = err.to_string();
        for part in ["`und` ([positive])", "`nicht so gut` ([positive])", "`D:` ([emoji])"] {
            assert!(msg.contains(part), "{msg}");
        }
        assert!(!msg.contains("`gut`") && !msg.contains("`:)`"), "{msg}");
    }

    #[test]
    fn an_emoji_written_with_its_variation_selector_matches_the_plain_emoji() {
        let n = Normalizer::default();
        let lex = LexiconSentiment::from_toml("[emoji]\n\"❤\u{fe0f}\" = 2\n", &n).expect("valid");
        assert_eq!(lex.evidence(&n.normalize("heute ❤")).positive, 2.0);
        assert_eq!(lex.evidence(&n.normalize("heute ❤\u{fe0f}")).positive, 2.0);
    }

    #[test]
    fn words_whose_stem_is_another_words_are_matched_as_written() {
        // The stemmer gives `schön` and `schon`, `gefährlich` and `gefahren`, `lächerlich`
        // and `lachen` one stem; only the polar word as written counts.
        assert_eq!(label("Das war schön"), "positive");
        assert_eq!(label("Der Zug ist schon weg"), "neutral");
        assert_eq!(label("Wir sind mit der Bahn nach Hamburg gefahren"), "neutral");
        assert_eq!(label("Das ist gefährlich"), "negative");
        assert_eq!(label("Wir haben so gelacht, einfach lachen"), "neutral");
        assert_eq!(label("Einfach lächerlich"), "negative");
        assert_eq!(label("Umstieg in Bad Homburg, laut Fahrplan um 10 Uhr"), "neutral");
        // `schon` stays an intensifier: the polar word after it counts more.
        let n = Normalizer::default();
        let lex = LexiconSentiment::builtin(&n);
        assert!(lex.evidence(&n.normalize("schon gut")).positive > lex.evidence(&n.normalize("gut")).positive);
    }

    #[test]
    fn an_exact_entry_must_be_one_word() {
        let n = Normalizer::default();
        let e = LexiconSentiment::from_toml("[exact]\n\"schön\" = 1.5\n\"und\" = 1\n\":)\" = 1\n", &n).unwrap_err().to_string();
        assert!(e.contains("`und` ([exact])") && e.contains("`:)` ([exact])") && !e.contains("`schön`"), "{e}");
    }
}
