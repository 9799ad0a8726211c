//! Relevance for the analyst's brand: `report.toml [relevance]` rules. A mention is
//! relevant when it names one of the brand's terms, products or handles and none of the
//! exclusions (`Auerhahn`, but not `Auerhahn Hotel`). Each rule is matched like the
//! taxonomy's keywords, after normalization (case, ß/ss, inflection by stemming), as a run
//! of consecutive words; `#Auerhahn` counts as `Auerhahn`.

use serde::Deserialize;

use super::{Classifier, DefinitionError, Prediction, Task};
use crate::normalize::{term_key, Normalizer, Term};

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
        self.terms.is_empty() && self.products.is_empty() && self.handles.is_empty()
    }
}

/// The rules as a relevance classifier (labels `false`, `true`).
pub struct RelevanceRules {
    include: Vec<Vec<u64>>,
    exclude: Vec<Vec<u64>>,
    labels: Vec<String>,
    name: String,
}

/// The key a term is matched by: a hashtag by its word.
fn match_key(t: &Term) -> u64 {
    match t.text.strip_prefix('#') {
        Some(body) if !body.is_empty() => term_key(body),
        _ => t.key,
    }
}

impl RelevanceRules {
    /// Normalizes every rule; a rule that normalizes to no word (only stop words) is an
    /// error naming it.
    pub fn new(spec: &RelevanceSpec, normalizer: &Normalizer) -> Result<RelevanceRules, DefinitionError> {
        if spec.is_empty() {
            return Err(DefinitionError::NoRelevanceTerms);
        }
        let words = |key: &'static str, rule: &str| -> Result<Vec<u64>, DefinitionError> {
            let keys: Vec<u64> = normalizer.normalize(rule).iter().map(match_key).collect();
            if keys.is_empty() {
                return Err(DefinitionError::RuleWithoutWords { key, rule: rule.to_string() });
            }
            Ok(keys)
        };
        let mut include = Vec::new();
        for (key, rules) in [("terms", &spec.terms), ("products", &spec.products), ("handles", &spec.handles)] {
            for r in rules {
                let r = if key == "handles" && !r.starts_with('@') { format!("@{r}") } else { r.clone() };
                include.push(words(key, &r)?);
            }
        }
        let exclude = spec.not.iter().map(|r| words("not", r)).collect::<Result<_, _>>()?;
        let n = include.len();
        Ok(RelevanceRules { include, exclude, labels: Task::Relevance.labels(), name: format!("rules ({n} terms, {} exclusions)", spec.not.len()) })
    }

    /// Whether the terms name the brand and no exclusion.
    pub fn is_relevant(&self, terms: &[Term]) -> bool {
        let keys: Vec<u64> = terms.iter().map(match_key).collect();
        let has = |rule: &Vec<u64>| keys.windows(rule.len()).any(|w| w == rule.as_slice());
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
}
