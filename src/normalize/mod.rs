//! Normalize: German social-media text → terms for classifiers. One [`Normalizer`], used
//! the same way in training and in the pipeline (its [`NormalizerSettings`], with the
//! [`REVISION`] of its rules, are saved with every model).
//!
//! Steps: Unicode NFC → tokens ([`tokenize`]: URLs, @users, #hashtags with their CamelCase
//! parts, numbers, emoji, emoticons) → lowercase with `ß` → `ss` (so `Straße` = `strasse`) →
//! elongations collapsed (`suuuper` → `super`, marked as emphasis) → a word typed without
//! umlauts given them where safe (`fuer` = `für`: [`umlauts_from_ascii`]) → negation scope
//! (`nicht`, `kein…`, `nie`, `ohne`, `weder`, `nichts` mark the following words until
//! punctuation, an emoji or emoticon (never negated itself), a contrast word or `und`; `nicht
//! nur` marks none) → contrast (`aber`, `jedoch`, … mark the words of their sentence before and
//! after them: [`Clause`]) → stop words removed (never a negation or intensifier) → Snowball
//! German stemming (rust-stemmers).

pub mod language;
pub mod stopwords;
pub mod tokenize;

use compact_str::CompactString;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use tokenize::Kind;

/// Which steps run; saved with models so training and prediction agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizerSettings {
    pub stem: bool,
    pub stop_words: bool,
    pub negation: bool,
    /// The revision of the normalizer's rules a model was trained with ([`REVISION`] when
    /// this build trains it; 0 in models saved before revisions were recorded). The
    /// normalizer always applies this build's rules, so the pipeline refuses a model of
    /// another revision ([`crate::classify::LoadError`]) rather than feed it terms it never
    /// saw.
    #[serde(default)]
    pub revision: u32,
}

/// The revision of the normalizer's rules: 1 reads words typed without umlauts with them
/// (`fuer` = `für`: [`umlauts_from_ascii`]; 2026-12-07, tenth session), 2 keeps emoji and
/// emoticons out of a negation's scope and ends the scope at them (`nicht mehr 😭` is not a
/// negated 😭; eleventh session), 3 ends the scope at a contrast or `und` (`nicht billig,
/// aber gut`) and opens none at `nicht nur` (same session). Raise it with every change to
/// the terms of a text.
pub const REVISION: u32 = 3;

impl Default for NormalizerSettings {
    fn default() -> Self {
        NormalizerSettings { stem: true, stop_words: true, negation: true, revision: REVISION }
    }
}

/// A normalized term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lowercased, stemmed word; `<url>`, `<num>`, `@user`, `#tag`, an emoji or emoticon.
    /// Inline up to 24 bytes (nearly every term): a repeated word's term is a copy of its
    /// cached text, neither an allocation nor a shared reference count.
    pub text: CompactString,
    /// [`term_key`] of `text`, computed once: the classifiers' word tables are keyed by it,
    /// so a lookup hashes no string and compares none.
    pub key: u64,
    /// For a word, [`term_key`] of the word as written ([`written`]: folded, not stemmed);
    /// for a number, of its digits as written (`500`; its `text` is `<num>`); for other
    /// terms, `key`. The stemmer drops umlauts and endings, so `schön` and `schon`,
    /// `gefährlich` and `gefahren` share a `key`; the lexicon's `[exact]` entries and the
    /// relevance rules tell them apart by this one. Not a feature of the models.
    pub surface: u64,
    /// Inside the scope of a negation (`nicht gut` → `gut` negated).
    pub negated: bool,
    /// Written with emphasis: elongated (`suuuper`) or in capitals (`SUPER`).
    pub emphasized: bool,
    pub kind: Kind,
    /// Where the term stands to a contrast in its sentence; read by the lexicon, not a
    /// feature of the models.
    pub clause: Clause,
}

/// Where a term stands to a contrast word (`aber`, `jedoch`, `allerdings`, `trotzdem`,
/// `dennoch`, `sondern`, `but`, `however`) in its sentence: the part after it carries the
/// sentence's point (`Das Essen war gut, aber viel zu teuer`). A sentence ends at `.`, `!`,
/// `?` or `;`; with two contrasts, the words before the last one are before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clause {
    #[default]
    Plain,
    BeforeContrast,
    AfterContrast,
}

/// The 64-bit key of a term text (FNV-1a). Distinct words sharing a key are improbable
/// (about 1 in 10⁹ pairs among 200,000 words); they would share a table entry.
pub fn term_key(text: &str) -> u64 {
    crate::hash::fnv1a_str(text)
}

impl Term {
    /// A term with its key.
    pub fn new(text: impl Into<CompactString>, negated: bool, emphasized: bool, kind: Kind) -> Term {
        let text = text.into();
        let key = term_key(&text);
        Term { key, surface: key, text, negated, emphasized, kind, clause: Clause::Plain }
    }

    /// The feature form: negated terms get a `¬` prefix.
    pub fn feature(&self) -> std::borrow::Cow<'_, str> {
        if self.negated {
            format!("¬{}", self.text).into()
        } else {
            self.text.as_str().into()
        }
    }
}

/// Words that open a negation scope.
const NEGATORS: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nimmer", "ohne", "weder", "noch", "nichts", "niemand", "nirgends",
    "not", "no", "never", "nix", "net", "ned",
];

/// Words that open a contrast ([`Clause`]), folded.
const CONTRASTS: &[&str] = &["aber", "jedoch", "allerdings", "trotzdem", "dennoch", "sondern", "but", "however"];

pub fn is_negator(word: &str) -> bool {
    // `noch` negates only after `weder`; it is handled by the scope already open.
    word != "noch" && NEGATORS.contains(&word)
}

/// The German normalizer. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Normalizer {
    settings: NormalizerSettings,
    stemmer: std::sync::Arc<Stemmer>,
}

impl std::fmt::Debug for Normalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Normalizer").field("settings", &self.settings).finish()
    }
}

impl Default for Normalizer {
    fn default() -> Self {
        Normalizer::new(NormalizerSettings::default())
    }
}

/// Line breaks and tabs written as escapes (twarc-csv writes a line break as the two
/// characters `\n`) as the whitespace they stand for: `eins\nnicht` is two words, not
/// `eins` and `nnicht`.
fn unescape_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr(b'\\', text.as_bytes()).is_none() {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        match rest.as_bytes().get(i + 1) {
            Some(b'n' | b'r' | b't') => {
                out.push(' ');
                rest = &rest[i + 2..];
            }
            _ => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}

impl Normalizer {
    pub fn new(settings: NormalizerSettings) -> Normalizer {
        Normalizer { settings, stemmer: std::sync::Arc::new(Stemmer::create(Algorithm::German)) }
    }

    pub fn settings(&self) -> NormalizerSettings {
        self.settings
    }

    /// Normalizes `text` into `out` (cleared first).
    pub fn normalize_into(&self, text: &str, out: &mut Vec<Term>) {
        out.clear();
        let unescaped = unescape_breaks(text);
        let text: &str = &unescaped;
        let nfc: std::borrow::Cow<'_, str> = if text.is_ascii() || unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
        {
            text.into()
        } else {
            text.nfc().collect::<String>().into()
        };
        let mut negated = false;
        // Where the sentence began in `out`, and whether a contrast was seen in it.
        let (mut sentence, mut contrasted) = (0, false);
        let mut tokens = tokenize::tokenize(&nfc).into_iter().peekable();
        while let Some(tok) = tokens.next() {
            let first = out.len();
            match tok.kind {
                Kind::Punct => {
                    negated = false;
                    if matches!(tok.text, "!" | "?") {
                        out.push(Term::new(tok.text.to_string(), false, false, Kind::Punct));
                    }
                    if matches!(tok.text, "." | "!" | "?" | ";") {
                        (sentence, contrasted) = (out.len(), false);
                    }
                }
                Kind::Url => out.push(Term::new("<url>", false, false, tok.kind)),
                Kind::Number => {
                    // Its digits as written in `surface`, for rules that name a number
                    // (`AX-500`); the models see `<num>`.
                    let mut t = Term::new("<num>", negated, false, tok.kind);
                    t.surface = term_key(tok.text);
                    out.push(t);
                }
                Kind::User => out.push(Term::new(tok.text.to_lowercase(), false, false, tok.kind)),
                Kind::Emoji | Kind::Emoticon => {
                    // The writer's own feeling, never negated; like a full stop it ends the
                    // negation's scope (`will nicht mehr 😭 morgen gut`).
                    negated = false;
                    out.push(Term::new(tok.text.to_string(), false, false, tok.kind));
                }
                Kind::Hashtag => {
                    let body = &tok.text[1..];
                    out.push(Term::new(format!("#{}", fold(body).0), false, false, tok.kind));
                    for part in tokenize::camel_parts(body) {
                        self.push_word(part, &mut negated.clone(), out);
                    }
                }
                Kind::Word => {
                    // Every negator starts with n, k, o or w: most words skip the fold.
                    let maybe_negator =
                        self.settings.negation && matches!(tok.text.as_bytes().first(), Some(b'n' | b'N' | b'k' | b'K' | b'o' | b'O' | b'w' | b'W'));
                    let negator = maybe_negator.then(|| fold(tok.text).0).filter(|lower| is_negator(lower));
                    if let Some(lower) = negator {
                        // `nicht nur …, sondern auch` negates nothing.
                        let not_only =
                            lower == "nicht" && tokens.peek().is_some_and(|t| t.kind == Kind::Word && matches!(fold(t.text).0.as_str(), "nur" | "bloss"));
                        negated = !not_only;
                        out.push(Term::new(lower, false, false, Kind::Word));
                    } else if self.push_word(tok.text, &mut negated, out) {
                        for t in &mut out[sentence..first] {
                            t.clause = Clause::BeforeContrast;
                        }
                        contrasted = true;
                    }
                }
            }
            if contrasted {
                for t in &mut out[first..] {
                    t.clause = Clause::AfterContrast;
                }
            }
        }
    }

    /// Normalizes `text` into a new vector.
    pub fn normalize(&self, text: &str) -> Vec<Term> {
        let mut out = Vec::new();
        self.normalize_into(text, &mut out);
        out
    }

    /// A word as it will appear: folded, filtered, stemmed. Memoized per thread by the raw
    /// word's 64-bit key (most words of a corpus repeat), so a repeated word costs one
    /// lookup and one copy. Returns whether the word opens a contrast ([`Clause`]); a
    /// contrast or `und` ends the negation's scope (`nicht billig, aber gut`, `kein Problem
    /// und alles super`), the word itself included.
    fn push_word(&self, word: &str, negated: &mut bool, out: &mut Vec<Term>) -> bool {
        WORDS.with_borrow_mut(|cache| {
            if cache.settings != Some(self.settings) || cache.map.len() >= 200_000 {
                cache.map.clear(); // other settings, or bounded memory on open vocabularies
                cache.settings = Some(self.settings);
            }
            let raw = term_key(word);
            let entry = match cache.map.get(&raw) {
                Some(e) => e,
                None => {
                    let e = self.word_entry(word);
                    cache.map.entry(raw).or_insert(e)
                }
            };
            if entry.ends_negation {
                *negated = false;
            }
            if let Some(WordTerm { text, key, surface, emphasized }) = &entry.term {
                let negated = *negated && self.settings.negation;
                out.push(Term { text: text.clone(), key: *key, surface: *surface, negated, emphasized: *emphasized, kind: Kind::Word, clause: Clause::Plain });
            }
            entry.contrast
        })
    }

    /// The term text of a raw word and whether it was emphasized (`None` when the word is
    /// dropped: a stop word, or nothing left), and whether it opens a contrast.
    fn word_entry(&self, word: &str) -> WordEntry {
        let caps = word.chars().count() >= 3 && word.chars().all(|c| !c.is_lowercase()) && word.chars().any(char::is_alphabetic);
        let (lower, elongated) = written(word);
        let contrast = CONTRASTS.contains(&lower.as_str());
        let ends_negation = contrast || lower == "und";
        if self.settings.stop_words && stopwords::is_stop_word(&lower) {
            return WordEntry { term: None, contrast, ends_negation };
        }
        let surface = term_key(&lower);
        let text = if self.settings.stem { self.stemmer.stem(&lower).into_owned() } else { lower };
        if text.is_empty() {
            return WordEntry { term: None, contrast, ends_negation };
        }
        WordEntry { term: Some(WordTerm { key: term_key(&text), surface, text: text.into(), emphasized: caps || elongated }), contrast, ends_negation }
    }
}

/// A raw word as the normalizer keeps it: its term (`None` when the word is dropped),
/// whether it opens a contrast, and whether it ends a negation's scope (a contrast or `und`).
struct WordEntry {
    term: Option<WordTerm>,
    contrast: bool,
    ends_negation: bool,
}

/// What a kept word's [`Term`] is made of.
struct WordTerm {
    text: CompactString,
    key: u64,
    surface: u64,
    emphasized: bool,
}

#[derive(Default)]
struct WordCache {
    settings: Option<NormalizerSettings>,
    /// [`term_key`] of the raw word → what the normalizer keeps of it ([`WordEntry`]).
    map: std::collections::HashMap<u64, WordEntry, crate::hash::KeyBuildHasher>,
}

thread_local! {
    static WORDS: std::cell::RefCell<WordCache> = std::cell::RefCell::new(WordCache::default());
}

/// A word as the normalizer reads it: [`fold`]ed, and a word typed without umlauts
/// given them where that is safe ([`umlauts_from_ascii`]: `fuer` → `für`).
pub fn written(word: &str) -> (String, bool) {
    let (lower, elongated) = fold(word);
    (umlauts_from_ascii(lower), elongated)
}

/// A word's letters as the stemmer writes them in a stem: [`written`], umlauts as plain
/// vowels (`Störung` → `storung`). What a part of a stem (a taxonomy prefix, the first part
/// of a compound) is compared with; the stemmer also cuts endings, which this does not.
pub fn stem_letters(word: &str) -> String {
    written(word).0.replace('ä', "a").replace('ö', "o").replace('ü', "u")
}

/// `ae`, `oe` and `ue` in a word written in ASCII read as `ä`, `ö` and `ü` (`fuer`,
/// `schoen`, `Gruesse`, `Maerz`), as typed on keyboards without umlauts, where that is safe:
/// not after a vowel or `q` (`neue`, `Feuer`, `Bauer`, `Quelle` keep theirs) and not `ue`
/// before `l` (`aktuell`, `Duell`, `Manuel`). A few other words change too (`zuerst` →
/// `zürst`, `Israel` → `isräl`); they merge with no other word, and training and `run`
/// read them alike.
pub fn umlauts_from_ascii(lower: String) -> String {
    let b = lower.as_bytes();
    let at = |i: usize| -> bool {
        let umlaut = matches!((b[i], b[i + 1]), (b'a' | b'o' | b'u', b'e'));
        let after_vowel_or_q = i > 0 && matches!(b[i - 1], b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'q');
        umlaut && !after_vowel_or_q && !(b[i] == b'u' && b.get(i + 2) == Some(&b'l'))
    };
    if !lower.is_ascii() || !(0..b.len().saturating_sub(1)).any(at) {
        return lower;
    }
    let mut out = String::with_capacity(lower.len() + 2);
    let mut i = 0;
    while i < b.len() {
        if i + 1 < b.len() && at(i) {
            out.push(match b[i] {
                b'a' => 'ä',
                b'o' => 'ö',
                _ => 'ü',
            });
            i += 2;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Lowercase, `ß` → `ss`, runs of three or more equal letters collapsed to one. Returns
/// the folded word and whether it was elongated.
pub fn fold(word: &str) -> (String, bool) {
    if word.is_ascii() {
        let b = word.as_bytes();
        let elongated = b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]);
        if !elongated {
            return (word.to_ascii_lowercase(), false);
        }
    }
    let mut out = String::with_capacity(word.len());
    let mut elongated = false;
    let mut prev: Option<char> = None;
    let mut run = 0;
    for c in word.chars().flat_map(char::to_lowercase) {
        if Some(c) == prev {
            run += 1;
        } else {
            run = 1;
            prev = Some(c);
        }
        if run == 3 {
            // drop the second copy already written: `suuu` → `su`
            out.pop();
            elongated = true;
            continue;
        }
        if run > 3 {
            continue;
        }
        if c == 'ß' {
            out.push_str("ss");
        } else {
            out.push(c);
        }
    }
    (out, elongated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_negator_starts_with_a_prefiltered_character() {
        assert!(NEGATORS.iter().all(|n| matches!(n.as_bytes()[0], b'n' | b'k' | b'o' | b'w')), "update the prefilter in normalize_into");
        assert_eq!(tokenize::tokenize("super :-) xD <3").iter().filter(|t| t.kind == Kind::Emoticon).count(), 3);
    }

    fn features(s: &str) -> Vec<String> {
        Normalizer::default().normalize(s).iter().map(|t| t.feature().into_owned()).collect()
    }

    #[test]
    fn escaped_line_breaks_are_whitespace() {
        let n = Normalizer::default();
        assert_eq!(n.normalize("Zeile eins\\nnicht gut\\r\\n\\tdanke"), n.normalize("Zeile eins\nnicht gut\r\n\tdanke"));
        assert_eq!(super::unescape_breaks("a\\nb\\\\c\\"), "a b\\\\c\\", "other backslashes stay");
        assert!(matches!(super::unescape_breaks("kein Escape"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn case_and_sharp_s_fold() {
        assert_eq!(fold("Straße").0, fold("STRASSE").0);
        assert_eq!(features("Straße"), features("strasse"));
        assert_eq!(fold("Müller").0, "müller", "umlauts stay");
    }

    #[test]
    fn elongations_collapse_and_mark_emphasis() {
        assert_eq!(fold("suuuuper"), ("super".to_string(), true));
        assert_eq!(fold("Kaffee"), ("kaffee".to_string(), false), "double letters stay");
        let t = Normalizer::default().normalize("SUPER");
        assert!(t[0].emphasized);
    }

    #[test]
    fn negation_marks_until_punctuation() {
        assert_eq!(features("nicht gut, aber schön"), vec!["nicht", "¬gut", "schon"]);
        assert_eq!(features("kein guter Service!"), vec!["kein", "¬gut", "¬servic", "!"]);
        assert_eq!(features("ohne Verspätung"), vec!["ohne", "¬verspat"]);
        assert_eq!(features("will nicht mehr 😭 morgen"), vec!["will", "nicht", "¬mehr", "😭", "morg"], "emoji: never negated, the scope ends");
        assert_eq!(features("ohne Worte :("), vec!["ohne", "¬wort", ":("]);
        assert_eq!(features("nicht billig aber gut"), vec!["nicht", "¬billig", "gut"], "a contrast ends the scope");
        assert_eq!(features("keine Probleme und alles super"), vec!["keine", "¬problem", "sup"], "so does `und`");
        assert_eq!(features("nicht nur schnell, sondern auch freundlich"), vec!["nicht", "schnell", "sond", "freundlich"], "`nicht nur` negates nothing");
        assert_eq!(features("nicht einmal schnell"), vec!["nicht", "¬einmal", "¬schnell"]);
    }

    #[test]
    fn a_contrast_marks_its_sentence_before_and_after_it() {
        let clauses = |s: &str| -> Vec<(String, Clause)> { Normalizer::default().normalize(s).into_iter().map(|t| (t.text.to_string(), t.clause)).collect() };
        use Clause::*;
        assert_eq!(
            clauses("Das Essen war gut, aber viel zu teuer :( Danach Kaffee."),
            [
                ("ess", BeforeContrast),
                ("gut", BeforeContrast),
                ("viel", AfterContrast),
                ("zu", AfterContrast),
                ("teu", AfterContrast),
                (":(", AfterContrast),
                ("danach", AfterContrast),
                ("kaffe", AfterContrast)
            ]
            .map(|(t, c)| (t.to_string(), c))
        );
        assert_eq!(clauses("Gut. Jedoch teuer")[0].1, Plain, "a sentence ends at the full stop");
        assert_eq!(clauses("Gut. Jedoch teuer")[1..].iter().map(|c| c.1).collect::<Vec<_>>(), [AfterContrast, AfterContrast], "`jedoch` stays a term");
        assert!(clauses("Gut und teuer!").iter().all(|c| c.1 == Plain));
        assert_eq!(features("Das Essen war gut, aber viel zu teuer"), features("Das Essen war gut, viel zu teuer"), "no feature of the models changes");
    }

    #[test]
    fn stop_words_never_drop_negations_or_intensifiers() {
        let f = features("Das ist nicht sehr gut und nie pünktlich");
        assert!(f.contains(&"nicht".to_string()) && f.contains(&"¬sehr".to_string()) && f.contains(&"nie".to_string()), "{f:?}");
        assert!(!f.iter().any(|t| t == "das" || t == "und" || t == "ist"), "{f:?}");
    }

    #[test]
    fn a_words_surface_tells_apart_words_the_stemmer_merges() {
        let n = Normalizer::default();
        let (schoen, schon) = (n.normalize("Schön"), n.normalize("schon"));
        assert_eq!(schoen[0].key, schon[0].key, "one stem: the models see one feature");
        assert_ne!(schoen[0].surface, schon[0].surface);
        assert_eq!(schoen[0].surface, term_key("schön"));
        assert_eq!(n.normalize("Schöööön")[0].surface, term_key("schön"), "folded: case and elongation");
        let url = &n.normalize("https://x.de")[0];
        assert_eq!(url.surface, url.key, "other terms: their key");
    }

    #[test]
    fn stemming_merges_inflections() {
        assert_eq!(features("Lieferungen"), features("Lieferung"));
        assert_eq!(features("Verspätungen"), features("verspätung"));
    }

    #[test]
    fn social_tokens_become_terms() {
        assert_eq!(
            features("@DB_Bahn #SchienenChaos https://x.de 20 😡 :)"),
            vec!["@db_bahn", "#schienenchaos", "schien", "chaos", "<url>", "<num>", "😡", ":)"]
        );
    }

    #[test]
    fn words_typed_without_umlauts_get_them_where_safe() {
        let w = |s: &str| written(s).0;
        assert_eq!(w("fuer"), "für");
        assert_eq!(w("SCHOEN"), "schön");
        assert_eq!(w("Gruesse"), "grüsse");
        assert_eq!(w("Maerz"), "märz");
        assert_eq!(w("Oel"), "öl");
        assert_eq!(w("Aerger"), "ärger");
        for kept in ["neue", "Feuer", "Bauer", "teuer", "Quelle", "aktuell", "Duell", "Manuel", "eventuell", "euer"] {
            assert_eq!(w(kept), kept.to_lowercase(), "{kept}");
        }
        assert_eq!(w("Müller"), "müller", "a word with umlauts is left as written");
        let n = Normalizer::default();
        assert_eq!(n.normalize("schoen")[0].key, n.normalize("schön")[0].key);
        assert_eq!(n.normalize("schoen")[0].surface, n.normalize("schön")[0].surface);
        assert!(n.normalize("fuer").is_empty(), "`für` is a stop word, and so is `fuer`");
    }

    #[test]
    fn settings_saved_before_revisions_read_as_revision_0() {
        let old: NormalizerSettings = serde_json::from_str(r#"{"stem":true,"stop_words":true,"negation":true}"#).unwrap();
        assert_eq!(old, NormalizerSettings { revision: 0, ..NormalizerSettings::default() });
        assert_eq!(NormalizerSettings::default().revision, REVISION);
    }

    #[test]
    fn composed_and_decomposed_umlauts_are_equal() {
        assert_eq!(features("Gr\u{00fc}\u{00df}e"), features("Gru\u{0308}\u{00df}e"));
    }
}
