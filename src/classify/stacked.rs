//! The default sentiment classifier: a linear model trained on several labelled corpora,
//! combined with the lexicon by a small stacker, with the class prior adapted to the batch.
//!
//! - The linear model ([`LinearModel`]) learns wording; it is trained with every corpus
//!   weighing the same and every class weighing the same inside its corpus, so no corpus's
//!   class mix becomes its prior.
//! - The stacker is a multinomial logistic regression over [`STACK_FEATURES`] numbers per
//!   document: the model's log-probabilities and the lexicon's evidence. It is fitted on the
//!   model's **leave-one-corpus-out** predictions (each corpus scored by a model that never
//!   saw it), so it learns how far to trust the model on text from an unseen domain, and how
//!   far the lexicon ([`super::cross_domain`] trains it).
//! - The class prior of a batch is unknown: [`estimate_prior`] re-estimates it by EM
//!   (Saerens, Latinne & Decaestecker 2002, "Adjusting the outputs of a classifier to new a
//!   priori probabilities") and [`adapt`] moves each document's probabilities to it. `run`
//!   does this per classified batch, `eval` over the evaluation file.

use serde::{Deserialize, Serialize};

use super::lexicon::{Evidence, LexiconSentiment};
use super::linear::LinearModel;
use super::{argmax, softmax, Classifier, Prediction, Task};
use crate::normalize::Term;

/// Numbers per document the stacker sees: `ln p` of the model's three classes, the
/// lexicon's score, `ln(1 + positive)` and `ln(1 + negative)` weight.
pub const STACK_FEATURES: usize = 6;

/// Bumped whenever the saved stacker's format or meaning changes.
pub const STACK_FORMAT: u32 = 1;

/// The stacker as saved in `models/<name>/stack.json`, beside the linear model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    pub format_version: u32,
    /// `3 × STACK_FEATURES`, one row per label (negative, neutral, positive).
    pub weights: Vec<f32>,
    pub intercept: [f32; 3],
    /// The class prior the stacked probabilities are calibrated for (the class mass of the
    /// data it was fitted on): what [`adapt`] divides out.
    pub training_prior: [f32; 3],
    /// The prior decisions are made under: the training prior, or a typical mix (the mean
    /// class mix of the training corpora).
    pub target_prior: [f32; 3],
    /// When set, `run` and `eval` re-estimate each batch's prior by EM, anchored at
    /// `target_prior` with this strength ([`estimate_prior`]).
    pub em_strength: Option<f32>,
    /// How it scored on the corpora held out in training (what the report says of it).
    #[serde(default)]
    pub measured: Option<Measured>,
    /// How it was made and how it scored: corpora, settings, leave-one-corpus-out results.
    pub card: serde_json::Value,
}

/// How a sentiment classifier scored leave one corpus out: what the report's intervals and
/// its sentence on reliability rest on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    /// The corpora, each scored by a model trained without it.
    pub corpora: Vec<String>,
    /// Lowest and highest accuracy over those corpora.
    pub accuracy: [f64; 2],
    /// Lowest and highest macro-F1.
    pub macro_f1: [f64; 2],
    /// Mean |predicted − true| share per class (negative, neutral, positive), percentage
    /// points: the systematic part of the tables' share intervals.
    pub share_error_pp: [f64; 3],
    /// For a model adapted to the analyst's labels (`train --base`): measured by
    /// cross-validation on this many of them instead of on unseen corpora.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_labels: Option<usize>,
}

/// The stacker's input for one document.
pub fn stack_features(p: &[f32], e: Evidence) -> [f32; STACK_FEATURES] {
    let ln = |x: f32| x.max(1e-6).ln();
    [ln(p[0]), ln(p[1]), ln(p[2]), e.score, e.positive.ln_1p(), e.negative.ln_1p()]
}

impl Stack {
    /// Class probabilities from the stacker's input.
    pub fn probabilities(&self, x: &[f32; STACK_FEATURES]) -> [f32; 3] {
        let mut z = self.intercept;
        for (j, zj) in z.iter_mut().enumerate() {
            let row = &self.weights[j * STACK_FEATURES..(j + 1) * STACK_FEATURES];
            *zj += row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>();
        }
        softmax(&mut z);
        z
    }
}

/// Moves probabilities calibrated for prior `from` to prior `to` (Bayes' rule).
pub fn adapt(p: &[f32; 3], from: &[f32; 3], to: &[f32; 3]) -> [f32; 3] {
    let mut q = [0f32; 3];
    for c in 0..3 {
        q[c] = p[c] * to[c] / from[c].max(1e-6);
    }
    let sum: f32 = q.iter().sum();
    if sum > 0.0 {
        q.iter_mut().for_each(|v| *v /= sum);
        q
    } else {
        *p
    }
}

/// How a batch's class prior is estimated: EM from probabilities calibrated for `from`,
/// shrunk towards `from` with `strength` (pseudo-documents per document).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adaptation {
    pub from: [f32; 3],
    pub strength: f32,
}

/// The class prior of a batch by EM over its documents' probabilities (calibrated for
/// `a.from`): the mean adapted probability, plus `a.strength` pseudo-documents at `a.from`
/// per document, iterated to a fixed point. Strength 0 is the plain EM of Saerens et al.;
/// a positive strength keeps a poorly calibrated classifier from running away to one class.
/// An empty batch keeps `a.from`.
pub fn estimate_prior(probs: &[[f32; 3]], a: &Adaptation) -> [f32; 3] {
    let from = a.from;
    let mut prior = from;
    if probs.is_empty() {
        return prior;
    }
    let n = probs.len() as f64;
    let k = a.strength.max(0.0) as f64;
    for _ in 0..200 {
        let mut sum = [0f64; 3];
        for p in probs {
            let q = adapt(p, &from, &prior);
            for c in 0..3 {
                sum[c] += q[c] as f64;
            }
        }
        let next = [0, 1, 2].map(|c| (((sum[c] + k * n * from[c] as f64) / ((1.0 + k) * n)) as f32).max(1e-4));
        let moved = next.iter().zip(&prior).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        prior = next;
        if moved < 1e-5 {
            break;
        }
    }
    prior
}

/// The label and polarity score of adapted probabilities.
pub fn decide(p: [f32; 3]) -> Prediction {
    Prediction { label: argmax(&p), score: p[2] - p[0], scores: p.to_vec() }
}

/// The linear model, the lexicon and the stacker: `run`'s default sentiment classifier.
pub struct Stacked {
    pub model: LinearModel,
    pub lexicon: LexiconSentiment,
    pub stack: Stack,
    name: String,
}

impl Stacked {
    pub fn new(model: LinearModel, lexicon: LexiconSentiment, stack: Stack) -> Result<Stacked, super::CombineError> {
        if model.task != Task::Sentiment || model.labels != Task::Sentiment.labels() {
            return Err(super::CombineError::StackerNeedsSentiment);
        }
        if stack.weights.len() != 3 * STACK_FEATURES {
            return Err(super::CombineError::StackerWeights { found: stack.weights.len(), expected: 3 * STACK_FEATURES });
        }
        let name = format!("{}+lexicon, stacked", model.algorithm);
        Ok(Stacked { model, lexicon, stack, name })
    }

    /// Probabilities under the target prior (before any batch adaptation).
    pub fn probabilities(&self, terms: &[Term]) -> [f32; 3] {
        let p = self.model.scores(terms);
        let q = self.stack.probabilities(&stack_features(&p, self.lexicon.evidence(terms)));
        adapt(&q, &self.stack.training_prior, &self.stack.target_prior)
    }
}

impl Classifier for Stacked {
    fn name(&self) -> &str {
        &self.name
    }

    fn task(&self) -> Task {
        Task::Sentiment
    }

    fn labels(&self) -> &[String] {
        &self.model.labels
    }

    fn predict(&self, terms: &[Term]) -> Prediction {
        decide(self.probabilities(terms))
    }

    fn batch_prior(&self) -> Option<Adaptation> {
        self.stack.em_strength.map(|strength| Adaptation { from: self.stack.target_prior, strength })
    }

    fn measured(&self) -> Option<&Measured> {
        self.stack.measured.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapting_to_the_same_prior_changes_nothing_and_em_finds_a_skewed_mix() {
        let from = [1.0 / 3.0; 3];
        let p = [0.2, 0.5, 0.3];
        let same = adapt(&p, &from, &from);
        assert!(same.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-6));
        // A batch whose documents lean neutral: EM moves the prior towards neutral, and the
        // adapted probabilities' mean equals the prior (the fixed point).
        let probs: Vec<[f32; 3]> = (0..100).map(|i| if i % 10 == 0 { [0.7, 0.2, 0.1] } else { [0.2, 0.6, 0.2] }).collect();
        let prior = estimate_prior(&probs, &Adaptation { from, strength: 0.0 });
        assert!(prior[1] > 0.6, "{prior:?}");
        let mean: f32 = probs.iter().map(|p| adapt(p, &from, &prior)[1]).sum::<f32>() / 100.0;
        assert!((mean - prior[1]).abs() < 1e-3, "{mean} vs {prior:?}");
        // Shrinkage keeps the estimate between the start and the plain EM's answer.
        let shrunk = estimate_prior(&probs, &Adaptation { from, strength: 1.0 });
        assert!(shrunk[1] > from[1] && shrunk[1] < prior[1], "{shrunk:?} vs {prior:?}");
        assert_eq!(estimate_prior(&[], &Adaptation { from, strength: 0.0 }), from);
    }
}
