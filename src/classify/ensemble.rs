//! Sentiment ensemble: a trained model's log-probabilities plus the lexicon's polarity.
//! The trained model knows its training domain's wording; the lexicon knows polar words,
//! emoji and negation in any domain. Combined logits: `ln p(c) + w · s · d(c)` with the
//! lexicon score `s ∈ [-1, 1]` and `d = (-1, 0, +1)` for negative/neutral/positive.

use super::lexicon::LexiconSentiment;
use super::{argmax, softmax, Classifier, Prediction, Task};
use crate::normalize::Term;

pub struct Ensemble {
    pub model: Box<dyn Classifier>,
    pub lexicon: LexiconSentiment,
    /// Weight of the lexicon score in logit units.
    pub weight: f32,
    name: String,
}

impl Ensemble {
    pub fn new(model: Box<dyn Classifier>, lexicon: LexiconSentiment, weight: f32) -> Result<Ensemble, super::CombineError> {
        if model.task() != Task::Sentiment || model.labels().len() != 3 {
            return Err(super::CombineError::EnsembleNeedsSentiment);
        }
        let name = format!("{}+lexicon", model.name());
        Ok(Ensemble { model, lexicon, weight, name })
    }
}

/// Combines class probabilities `p` (negative, neutral, positive) with a lexicon score.
pub fn combine(p: &[f32], lexicon_score: f32, weight: f32) -> Vec<f32> {
    combine_into(p.to_vec(), lexicon_score, weight)
}

/// [`combine`], in the probabilities' own buffer.
fn combine_into(mut p: Vec<f32>, lexicon_score: f32, weight: f32) -> Vec<f32> {
    let shift = [-1.0f32, 0.0, 1.0];
    for (z, d) in p.iter_mut().zip(shift) {
        *z = z.max(1e-9).ln() + weight * lexicon_score * d;
    }
    softmax(&mut p);
    p
}

impl Classifier for Ensemble {
    fn name(&self) -> &str {
        &self.name
    }

    fn task(&self) -> Task {
        Task::Sentiment
    }

    fn labels(&self) -> &[String] {
        self.model.labels()
    }

    fn predict(&self, terms: &[Term]) -> Prediction {
        let scores = combine_into(self.model.predict(terms).scores, self.lexicon.score(terms), self.weight);
        let label = argmax(&scores);
        Prediction { label, score: scores[2] - scores[0], scores }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_zero_keeps_the_model_and_a_strong_lexicon_flips_it() {
        let p = [0.2, 0.7, 0.1];
        let same = combine(&p, 0.9, 0.0);
        assert!(same.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-6));
        let pos = combine(&p, 0.9, 4.0);
        assert!(pos[2] > pos[1] && pos[1] > pos[0], "{pos:?}");
        assert!((pos.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}
