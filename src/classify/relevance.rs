//! Relevance for the analyst's brand: `report.toml [relevance]` rules. A mention is
//! relevant when it names one of the brand's terms, products or handles and none of the
//! exclusions (`Auerhahn`, but not `Auerhahn Hotel`). A rule is a run of consecutive words,
//! normalized like a mention (case, stop words); `#Auerhahn` counts as `Auerhahn`. A word of
//! a rule matches the word as written or with an inflection ending (`Auerhahns`, `der
//! Deutschen Bahn`), with `ß` or `ss`, and umlauts written `ä`, `ae` or `a`; not every word
//! that shares its stem: the stemmer makes `Müller` and `Müll` one word, `Krones` and
//! `Krone`, and a brand rule must tell them apart.

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::{Classifier, DefinitionError, Prediction, Task};
use crate::hash::KeyBuildHasher;
use crate::normalize::tokenize::{self, Kind};
use crate::normalize::{term_key, written, Normalizer, Term};

/// `[relevance]` in report.toml.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelevanceSpec {
    /// Brand names and spellings (`Auerhahn`, `Auerhahn Maschinenbau`).
    #[serde(default)]
    pub terms: Vec<String>,
    /// Product names (`AX-500`, `Laserzelle LZ 3`).
    #[serde(default)]
    pub products: Vec<String>,
    /// Accounts (`@auerhahn_mb`).
    #[serde(default)]
    pub handles: Vec<String>,
    /// A mention naming one of these is not about the brand (`Auerhahn Hotel`).
    #[serde(default)]
    pub not: Vec<String>,
}

impl RelevanceSpec {
    pub fn is_empty(&self) -> bool {
        self.include_count() == 0
    }

    /// How many rules name the brand (terms, products, handles).
    pub fn include_count(&self) -> usize {
        self.terms.len() + self.products.len() + self.handles.len()
    }

    /// Each list with its key in `report.toml`, the exclusions (`not`) last.
    fn lists(&self) -> [(&'static str, &Vec<String>); 4] {
        [("terms", &self.terms), ("products", &self.products), ("handles", &self.handles), ("not", &self.not)]
    }

    /// `#` and 8 hex digits of the rules and of the way they are matched, for
    /// `model_version`: runs with other rules, or with the matching of earlier builds (stems
    /// before 2026-12-07, no glued product names before its eleventh session), name theirs
    /// differently (`merge` lists every version it adds up).
    pub fn fingerprint(&self) -> String {
        let lists = self.lists().map(|(key, rules)| format!("{key}:{}\n", rules.join("\n")));
        super::fingerprint(&["written forms, numbers as written, letters and digits glued or apart\n", &lists[0], &lists[1], &lists[2], &lists[3]])
    }
}

/// The rules as a relevance classifier (labels `false`, `true`).
pub struct RelevanceRules {
    /// [`lookup_key`] of every form a rule word matches → the rule words (ids) it matches.
    forms: std::collections::HashMap<u64, Vec<u32>, KeyBuildHasher>,
    /// Each rule as the ids of its words, in order.
    include: Vec<Vec<u32>>,
    exclude: Vec<Vec<u32>>,
    labels: Vec<String>,
    name: String,
}

/// Endings a rule word may carry in a mention: German case and number (`Auerhahns`,
/// `Deutschen`, `Laserzellen`). A rule names the base form.
const ENDINGS: &[&str] = &["", "s", "es", "e", "en", "n", "er", "r", "ern", "em", "m", "ens"];

/// The key a mention's term is looked up by: a word as written (folded, not stemmed), a
/// hashtag by its word, a number by its digits, any other term by its key.
fn lookup_key(t: &Term) -> u64 {
    match t.text.strip_prefix('#') {
        Some(body) if t.kind == Kind::Hashtag && !body.is_empty() => term_key(body),
        _ => t.surface,
    }
}

/// The spellings of a folded word: umlauts as `ä`, `ae` or `a` (either way round), `ß` as
/// `ß` or `ss`.
fn spellings(word: &str) -> Vec<String> {
    let swap = |s: &str, pairs: &[(&str, &str)]| pairs.iter().fold(s.to_string(), |s, (a, b)| s.replace(a, b));
    let umlauts = [
        word.to_string(),
        swap(word, &[("ä", "ae"), ("ö", "oe"), ("ü", "ue")]),
        swap(word, &[("ä", "a"), ("ö", "o"), ("ü", "u")]),
        swap(word, &[("ae", "ä"), ("oe", "ö"), ("ue", "ü")]),
    ];
    let mut out: Vec<String> = umlauts.iter().flat_map(|w| [w.clone(), w.replace('ß', "ss"), w.replace("ss", "ß")]).collect();
    out.sort();
    out.dedup();
    out
}

/// The other ways a name of letters and digits is written: `AX-500` also as `AX500`, `LZ3`
/// also as `LZ 3` (a space or hyphen between a letter and a digit dropped, or a space put
/// where they touch). Without the rule itself; empty for a rule with no such place.
fn letter_digit_variants(rule: &str) -> Vec<String> {
    let chars: Vec<char> = rule.chars().collect();
    let boundary = |a: char, b: char| (a.is_alphabetic() && b.is_ascii_digit()) || (a.is_ascii_digit() && b.is_alphabetic());
    let (mut glued, mut apart) = (String::new(), String::new());
    for (i, &c) in chars.iter().enumerate() {
        let joins = matches!(c, ' ' | '-') && i > 0 && chars.get(i + 1).is_some_and(|&next| boundary(chars[i - 1], next));
        if !joins {
            glued.push(c);
        }
        if i > 0 && boundary(chars[i - 1], c) {
            apart.push(' ');
        }
        apart.push(c);
    }
    let mut out: Vec<String> = [glued, apart].into_iter().filter(|v| v != rule).collect();
    out.dedup();
    out
}

impl RelevanceRules {
    /// Normalizes every rule; a rule that normalizes to no word (only stop words) is an
    /// error naming it.
    pub fn new(spec: &RelevanceSpec, normalizer: &Normalizer) -> Result<RelevanceRules, DefinitionError> {
        if spec.is_empty() {
            return Err(DefinitionError::NoRelevanceTerms);
        }
        let mut forms: std::collections::HashMap<u64, Vec<u32>, KeyBuildHasher> = Default::default();
        let mut next_id = 0u32;
        let mut words = |key: &'static str, rule: &str| -> Result<Vec<u32>, DefinitionError> {
            let rule_nfc: String = rule.nfc().collect();
            let mut ids = Vec::new();
            for tok in tokenize::tokenize(&rule_nfc) {
                if tok.kind == Kind::Url {
                    return Err(DefinitionError::RuleWithLink { key, rule: rule.to_string() });
                }
                let terms = normalizer.normalize(tok.text);
                // A word matches its spellings with endings; anything else (a handle, a
                // number, a hashtag's parts) as it normalizes.
                let word_forms: Vec<Vec<u64>> = match terms.as_slice() {
                    [t] if tok.kind == Kind::Word && t.kind == Kind::Word => {
                        let folded = written(tok.text).0;
                        vec![spellings(&folded).iter().flat_map(|s| ENDINGS.iter().map(move |e| term_key(&format!("{s}{e}")))).collect()]
                    }
                    _ => terms.iter().map(|t| vec![lookup_key(t)]).collect(),
                };
                for keys in word_forms {
                    for k in keys {
                        let ids_of = forms.entry(k).or_default();
                        if ids_of.last() != Some(&next_id) {
                            ids_of.push(next_id);
                        }
                    }
                    ids.push(next_id);
                    next_id += 1;
                }
            }
            if ids.is_empty() {
                return Err(DefinitionError::RuleWithoutWords { key, rule: rule.to_string() });
            }
            Ok(ids)
        };
        // A variant counts only when it keeps every word (`A4` apart is `a 4`, and `a` is a
        // stop word: `4` alone would match any 4).
        let keeps_every_word = |v: &str| {
            let tokens = tokenize::tokenize(v).iter().filter(|t| t.kind != Kind::Punct).count();
            normalizer.normalize(v).len() == tokens
        };
        let (mut include, mut exclude) = (Vec::new(), Vec::new());
        for (key, rules) in spec.lists() {
            for r in rules {
                let (r, variants) = match key {
                    "handles" if !r.starts_with('@') => (format!("@{r}"), Vec::new()),
                    "handles" => (r.clone(), Vec::new()),
                    _ => (r.clone(), letter_digit_variants(r)),
                };
                let into = if key == "not" { &mut exclude } else { &mut include };
                into.push(words(key, &r)?);
                for v in variants.iter().filter(|v| keeps_every_word(v)) {
                    into.push(words(key, v)?);
                }
            }
        }
        let name = format!("rules ({} terms, {} exclusions)", spec.include_count(), spec.not.len());
        Ok(RelevanceRules { forms, include, exclude, labels: Task::Relevance.labels(), name })
    }

    /// Whether the terms name the brand and no exclusion.
    pub fn is_relevant(&self, terms: &[Term]) -> bool {
        // The rule words each term matches; most mentions match none.
        let hits: Vec<&[u32]> = terms.iter().map(|t| self.forms.get(&lookup_key(t)).map_or(&[][..], Vec::as_slice)).collect();
        if hits.iter().all(|h| h.is_empty()) {
            return false;
        }
        let has = |rule: &Vec<u32>| hits.windows(rule.len()).any(|w| w.iter().zip(rule).all(|(h, id)| h.contains(id)));
        self.include.iter().any(has) && !self.exclude.iter().any(has)
    }
}

impl Classifier for RelevanceRules {
    fn name(&self) -> &str {
        &self.name
    }

    fn task(&self) -> Task {
        Task::Relevance
    }

    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn predict(&self, terms: &[Term]) -> Prediction {
        let label = self.is_relevant(terms) as usize;
        let mut scores = vec![0.0; 2];
        scores[label] = 1.0;
        Prediction { label, scores, score: 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_terms_products_and_handles_count_exclusions_win() {
        let n = Normalizer::default();
        let spec = RelevanceSpec {
            terms: vec!["Auerhahn".into(), "Auerhahn Maschinenbau".into()],
            products: vec!["Laserzelle LZ 3".into()],
            handles: vec!["auerhahn_mb".into()],
            not: vec!["Auerhahn Hotel".into(), "Gasthof Auerhahn".into()],
        };
        let r = RelevanceRules::new(&spec, &n).unwrap();
        let rel = |t: &str| r.is_relevant(&n.normalize(t));
        assert!(rel("Die Maschinen von Auerhahns Werk in Ulm"), "inflected");
        assert!(rel("Wir haben bei #Auerhahn bestellt"), "hashtag");
        assert!(rel("danke @Auerhahn_MB für den schnellen Service"), "handle, any case");
        assert!(rel("Die Laserzelle LZ 3 schneidet sauber"), "product phrase");
        assert!(!rel("Die Laserzelle schneidet sauber"), "only part of a product phrase");
        assert!(!rel("Zimmer im Auerhahn Hotel gebucht"), "exclusion");
        assert!(!rel("Abendessen im Gasthof Auerhahn"), "exclusion");
        // A rule cannot tell the bird from the brand: `not` rules or an adapted relevance
        // model can.
        assert!(rel("Ein Auerhahn balzt im Wald"));
        assert!(!rel("Die Bahn ist zu spät"));
        let e = RelevanceRules::new(&RelevanceSpec { terms: vec!["und".into()], ..Default::default() }, &n).err().unwrap().to_string();
        assert!(e.contains("`und` has no word"), "{e}");
        assert!(RelevanceRules::new(&RelevanceSpec::default(), &n).is_err());
    }
    #[test]
    fn a_rule_word_matches_its_inflections_and_spellings_not_other_words_of_its_stem() {
        let n = Normalizer::default();
        let rules =
            |terms: &[&str]| RelevanceRules::new(&RelevanceSpec { terms: terms.iter().map(|t| t.to_string()).collect(), ..Default::default() }, &n).unwrap();
        let muller = rules(&["Müller"]);
        let rel = |r: &RelevanceRules, t: &str| r.is_relevant(&n.normalize(t));
        // The stemmer makes these one word (`mull`, `kron`): a brand rule must not.
        assert!(!rel(&muller, "Der Müll wurde heute nicht abgeholt"));
        assert!(!rel(&muller, "Die Müllabfuhr kommt"));
        assert!(rel(&muller, "Bei Müller gab es heute Rabatt"));
        assert!(rel(&muller, "Müllers neue Filiale"), "genitive");
        assert!(rel(&muller, "#Müller"), "hashtag");
        assert!(rel(&muller, "Einkauf bei MUELLER"), "umlaut as ue");
        assert!(rel(&muller, "Einkauf bei Muller"), "umlaut without dots");
        let krones = rules(&["Krones"]);
        assert!(!rel(&krones, "Die Krone der Schöpfung"));
        assert!(!rel(&krones, "Preis in Kronen"));
        assert!(rel(&krones, "Krones liefert Abfüllanlagen"));
        let bahn = rules(&["Deutsche Bahn"]);
        assert!(rel(&bahn, "Ärger mit der Deutschen Bahn"), "inflected adjective");
        assert!(rel(&bahn, "#DeutscheBahn"), "hashtag parts");
        assert!(!rel(&bahn, "Die deutsche Bahnhofsmission"), "a compound is another word");
        let strauss = rules(&["Strauß"]);
        assert!(rel(&strauss, "Engelbert Strauss"), "ß as ss");
        assert!(rules(&["Strauss"]).is_relevant(&n.normalize("Engelbert Strauß")), "ss as ß");
        let products = RelevanceRules::new(&RelevanceSpec { products: vec!["AX-500".into(), "Laserzelle LZ 3".into()], ..Default::default() }, &n).unwrap();
        assert!(rel(&products, "Die neue AX-500 ist da"));
        assert!(rel(&products, "ax 500 bestellt"));
        assert!(!rel(&products, "Die AX-300 ist da"), "a product's number is part of its name");
        assert!(!rel(&products, "Laserzelle LZ 5 geliefert"));
        assert!(rel(&products, "Unsere AX500 läuft seit Jahren"), "a product typed glued");
        assert!(rel(&products, "Laserzelle LZ3 geliefert"), "glued inside a phrase");
        assert!(!rel(&products, "Die AX300 ist da"));
        let glued = rules(&["ID3"]);
        assert!(rel(&glued, "Der ID 3 im Test") && rel(&glued, "Der ID-3 im Test") && rel(&glued, "Der ID3 im Test"), "a glued rule, written apart");
        assert!(!rel(&glued, "Der ID 4 im Test"));
        assert_eq!(letter_digit_variants("AX-500"), ["AX500"]);
        assert_eq!(letter_digit_variants("LZ3"), ["LZ 3"]);
        assert!(letter_digit_variants("Auerhahn Maschinenbau").is_empty());
        let spec = RelevanceSpec { terms: vec!["Auerhahn".into()], ..Default::default() };
        let other = RelevanceSpec { products: vec!["Auerhahn".into()], ..Default::default() };
        assert_ne!(spec.fingerprint(), other.fingerprint(), "the same words in another list are other rules");
        assert_eq!(spec.fingerprint(), spec.clone().fingerprint());
        let link = RelevanceRules::new(&RelevanceSpec { terms: vec!["www.auerhahn.de".into()], ..Default::default() }, &n).err().unwrap().to_string();
        assert!(link.contains("`www.auerhahn.de` names a link"), "{link}");
        let ae = rules(&["Maerklin"]);
        assert!(rel(&ae, "Die Märklin-Bahn"), "a rule written with ae matches ä");
    }
}
