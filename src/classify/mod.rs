//! Classify: sentiment, relevance and topics for normalized mentions.
//!
//! A [`Classifier`] predicts one label per document from its normalized terms; new
//! classifiers plug in without touching the pipeline. Shipped here: the [`lexicon`]
//! sentiment classifier (no training) and the analyst's [`topics`] taxonomy. Labelled data
//! is read by [`data`], and [`metrics`] scores predictions against it.

pub mod data;
pub mod features;
pub mod lexicon;
pub mod linear;
pub mod metrics;
pub mod topics;

use serde::{Deserialize, Serialize};

use crate::normalize::Term;

/// What a classifier decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// negative / neutral / positive, plus a score in -1..1.
    Sentiment,
    /// Is the mention about the brand at all (GermEval subtask A).
    Relevance,
}

impl Task {
    pub fn labels(self) -> Vec<String> {
        match self {
            Task::Sentiment => vec!["negative".into(), "neutral".into(), "positive".into()],
            Task::Relevance => vec!["false".into(), "true".into()],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Task::Sentiment => "sentiment",
            Task::Relevance => "relevance",
        }
    }
}

/// One prediction: the label's index in [`Classifier::labels`], a score per label, and for
/// sentiment a polarity score in -1..1 (0 for other tasks).
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub label: usize,
    pub scores: Vec<f32>,
    pub score: f32,
}

/// A trained or rule-based classifier for one task.
pub trait Classifier: Send + Sync {
    fn name(&self) -> &str;
    fn task(&self) -> Task;
    fn labels(&self) -> &[String];
    fn predict(&self, terms: &[Term]) -> Prediction;
}

/// The default topic taxonomy (models/topics/mittelstand.toml), built in.
pub const DEFAULT_TAXONOMY: &str = include_str!("../../models/topics/mittelstand.toml");

/// Everything `run` applies to a mention: the normalizer, a sentiment classifier, an
/// optional relevance classifier and an optional taxonomy.
pub struct MentionClassifier {
    pub normalizer: crate::normalize::Normalizer,
    pub sentiment: Box<dyn Classifier>,
    pub relevance: Option<Box<dyn Classifier>>,
    pub taxonomy: Option<topics::Taxonomy>,
    /// Written into every mention's `model_version`.
    pub version: String,
}

impl MentionClassifier {
    /// The shipped default: lexicon sentiment and the Mittelstand taxonomy.
    pub fn default_models() -> MentionClassifier {
        let normalizer = crate::normalize::Normalizer::default();
        let sentiment = Box::new(lexicon::LexiconSentiment::builtin(&normalizer));
        let taxonomy = topics::Taxonomy::from_toml(DEFAULT_TAXONOMY, &normalizer).expect("default taxonomy is valid");
        MentionClassifier {
            normalizer,
            sentiment,
            relevance: None,
            taxonomy: Some(taxonomy),
            version: "sentiment=lexicon-de;topics=mittelstand".into(),
        }
    }

    /// Fills sentiment, score, relevance, topics and model version, in parallel; the result
    /// does not depend on the number of threads.
    pub fn classify_all(&self, mentions: &mut [crate::Mention]) {
        use rayon::prelude::*;
        mentions.par_iter_mut().with_min_len(256).for_each_init(Vec::new, |terms, m| {
            self.normalizer.normalize_into(&m.text, terms);
            let p = self.sentiment.predict(terms);
            m.sentiment = crate::Sentiment::ALL.get(p.label).copied();
            m.sentiment_score = Some(p.score);
            m.relevant = self.relevance.as_ref().map(|r| r.predict(terms).label == 1);
            m.topics = self.taxonomy.as_ref().map(|t| t.assign(terms)).unwrap_or_default();
            m.model_version = Some(self.version.clone());
        });
    }
}

/// `eval` output: the task, the model, quality metrics and speed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    pub task: String,
    pub model: String,
    #[serde(flatten)]
    pub metrics: metrics::Report,
    /// Documents per second for normalize + predict, single thread.
    pub docs_per_s: f64,
}

/// Scores a classifier on labelled examples (the classifier's task picks the gold column).
pub fn evaluate_on(
    classifier: &dyn Classifier,
    normalizer: &crate::normalize::Normalizer,
    examples: &[data::Example],
) -> Result<EvalReport, String> {
    let task = classifier.task();
    let gold: Vec<usize> = examples
        .iter()
        .map(|e| match task {
            Task::Sentiment => e.sentiment.map(|s| s as usize),
            Task::Relevance => e.relevant.map(|r| r as usize),
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("the data has no {} labels", task.as_str()))?;
    let mut terms = Vec::new();
    let started = std::time::Instant::now();
    let predicted: Vec<usize> = examples
        .iter()
        .map(|e| {
            normalizer.normalize_into(&e.text, &mut terms);
            classifier.predict(&terms).label
        })
        .collect();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    Ok(EvalReport {
        task: task.as_str().into(),
        model: classifier.name().into(),
        metrics: metrics::evaluate(classifier.labels(), &gold, &predicted),
        docs_per_s: examples.len() as f64 / secs,
    })
}

impl std::fmt::Debug for MentionClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MentionClassifier")
            .field("sentiment", &self.sentiment.name())
            .field("relevance", &self.relevance.as_ref().map(|r| r.name()))
            .field("taxonomy", &self.taxonomy.as_ref().map(|t| t.names()))
            .field("version", &self.version)
            .finish()
    }
}
