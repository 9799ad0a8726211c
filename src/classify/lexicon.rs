//! A lexicon/rule sentiment classifier: needs no training and works in any domain.
//! Polar words and emoji add their weight; an intensifier (`sehr`, `total`) strengthens the
//! next polar word; a negation (`nicht gut`) flips and damps it; emphasis (`SUPER`,
//! `suuuper`) and `!` strengthen the whole. The score is squashed into -1..1.

use std::collections::HashMap;

use serde::Deserialize;

use super::{Classifier, Prediction, Task};
use crate::normalize::{tokenize::Kind, Normalizer, Term};

const BUILTIN: &str = include_str!("lexicon_de.toml");

/// Scores with |score| below this are neutral.
pub const NEUTRAL_BAND: f32 = 0.3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    #[serde(default)]
    positive: HashMap<String, f32>,
    #[serde(default)]
    negative: HashMap<String, f32>,
    #[serde(default)]
    intensifiers: HashMap<String, f32>,
    #[serde(default)]
    emoji: HashMap<String, f32>,
}

/// Term key ([`crate::normalize::term_key`]) → weight.
type WordMap = HashMap<u64, f32, crate::ingest::dedup::KeyBuildHasher>;

/// The lexicon classifier for the `sentiment` task.
#[derive(Debug, Clone)]
pub struct LexiconSentiment {
    polarity: WordMap,
    intensifiers: WordMap,
    labels: Vec<String>,
}

impl LexiconSentiment {
    /// The built-in German lexicon.
    pub fn builtin(normalizer: &Normalizer) -> LexiconSentiment {
        LexiconSentiment::from_toml(BUILTIN, normalizer).expect("built-in lexicon is valid")
    }

    /// A lexicon in the built-in format (`[positive]`, `[negative]`, `[intensifiers]`,
    /// `[emoji]` tables of `word = weight`); words are normalized like mention texts.
    pub fn from_toml(text: &str, normalizer: &Normalizer) -> Result<LexiconSentiment, String> {
        let file: LexiconFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let key = |w: &str| -> Option<u64> {
            let terms = normalizer.normalize(w);
            match terms.as_slice() {
                [t] => Some(t.key),
                _ => None,
            }
        };
        let mut polarity = WordMap::default();
        for (w, v) in &file.positive {
            if let Some(k) = key(w) {
                polarity.insert(k, v.abs());
            }
        }
        for (w, v) in &file.negative {
            if let Some(k) = key(w) {
                polarity.insert(k, -v.abs());
            }
        }
        for (w, v) in &file.emoji {
            polarity.insert(crate::normalize::term_key(w), *v);
        }
        let mut intensifiers = WordMap::default();
        for (w, v) in &file.intensifiers {
            let folded = crate::normalize::fold(w).0;
            intensifiers.insert(crate::normalize::term_key(&folded), *v);
            if let Some(k) = key(w) {
                intensifiers.insert(k, *v);
            }
        }
        Ok(LexiconSentiment { polarity, intensifiers, labels: Task::Sentiment.labels() })
    }

    /// The raw score in -1..1 for normalized terms.
    pub fn score(&self, terms: &[Term]) -> f32 {
        let mut sum = 0.0f32;
        let mut boost = 1.0f32;
        let mut exclaim = false;
        let mut emphasis = false;
        for t in terms {
            if t.kind == Kind::Punct {
                exclaim |= &*t.text == "!";
                boost = 1.0;
                continue;
            }
            if let Some(&m) = self.intensifiers.get(&t.key) {
                if !self.polarity.contains_key(&t.key) {
                    boost *= m;
                    continue;
                }
            }
            if let Some(&w) = self.polarity.get(&t.key) {
                let mut v = w * boost;
                if t.emphasized {
                    v *= 1.3;
                    emphasis = true;
                }
                if t.negated {
                    v *= -0.6;
                }
                sum += v;
            }
            boost = 1.0;
        }
        if exclaim || emphasis {
            sum *= 1.2;
        }
        (sum / 2.5).tanh()
    }
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
    fn polar_words_emoji_and_neutral_text() {
        assert_eq!(label("Super Service, danke! 👍"), "positive");
        assert_eq!(label("Schon wieder 30 Minuten Verspätung, unfassbar 😡"), "negative");
        assert_eq!(label("Der Zug fährt um 10 Uhr ab Gleis 3."), "neutral");
        assert_eq!(label("Lieferung kam pünktlich, alles bestens :)"), "positive");
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
    fn user_lexicons_are_checked() {
        let n = Normalizer::default();
        assert!(LexiconSentiment::from_toml("[positiv]\ngut = 1\n", &n).unwrap_err().contains("positiv"));
    }
}
