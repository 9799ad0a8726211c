//! What a saved model records about how it was made (`model.json`): the algorithm and its
//! settings, the cross-validated scores, and the base it was adapted from. Written by the
//! offline tools ([`crate::train`]), read back with the model.

use serde::{Deserialize, Serialize};

use super::Task;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    SparseLogistic,
    Logistic,
    NaiveBayes,
    Svm,
}

impl Algorithm {
    pub const ALL: [Algorithm; 4] = [Algorithm::SparseLogistic, Algorithm::Logistic, Algorithm::NaiveBayes, Algorithm::Svm];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::SparseLogistic => "sparse-logistic",
            Algorithm::Logistic => "logistic",
            Algorithm::NaiveBayes => "naive-bayes",
            Algorithm::Svm => "svm",
        }
    }

    /// The linfa models here are single-label; topics need the one-vs-rest sparse model.
    pub fn supports(self, task: Task) -> bool {
        self == Algorithm::SparseLogistic || !task.is_multilabel()
    }
}

/// Settings of one training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainParams {
    pub algorithm: Algorithm,
    /// Inverse L2 penalty of the logistic models (larger = weaker), as scikit-learn's `C`:
    /// the objective is `C · Σ loss + ½‖w‖²`.
    pub c: f64,
    /// Additive (Lidstone) smoothing of naive Bayes.
    pub smoothing: f64,
    /// Features kept after chi² ranking; 0 keeps every feature that passes `min_df`.
    pub max_features: usize,
    /// A feature must occur in at least this many training documents.
    pub min_df: u32,
    pub max_iterations: u64,
}

/// Cross-validated quality and speed of one setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CvScores {
    pub folds: usize,
    /// Over the pooled out-of-fold predictions (every document predicted once).
    pub accuracy: f64,
    pub micro_f1: f64,
    pub macro_f1: f64,
    /// Mean seconds to fit one fold's model (one thread).
    pub fit_s: f64,
    /// Topics: the probability threshold that scored best.
    pub threshold: Option<f32>,
}

/// One row of a model-selection table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub params: TrainParams,
    pub cv: CvScores,
}

/// The model adapted from, as the adapted one records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseModel {
    /// As given to `--base` (`default`, `models/sentiment`, …).
    pub name: String,
    /// The base's own description (`model_version` of a run with it).
    pub version: String,
    /// FNV-1a of the base's model.json, in hex: which file exactly.
    pub fingerprint: String,
}
