//! `eval`: a classifier scored on labelled examples, as `run` would apply it.

use super::{data, metrics};
use crate::classify::{argmax, three_class, Classifier, Task};

/// `eval` output: the task, the model, quality metrics and speed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    pub task: String,
    pub model: String,
    #[serde(flatten)]
    pub metrics: metrics::Report,
    /// Sentiment: the largest |predicted − true| share of negative or positive, in
    /// percentage points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_error_pp: Option<f64>,
    /// Sentiment, when the classifier routes ([`Classifier::routed_to`]): how many of the
    /// documents its corpus's own model scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routed: Option<Routed>,
    /// Documents per second for normalize + predict, single thread.
    pub docs_per_s: f64,
    /// Every scored document's decision, in the order of the examples (`eval
    /// --predictions`); not in the JSON report.
    #[serde(skip)]
    pub decisions: Vec<Decision>,
}

/// How one labelled document was decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Its index among the examples scored.
    pub example: usize,
    /// Gold and predicted labels, as indices into the report's `labels`.
    pub gold: Vec<usize>,
    pub predicted: Vec<usize>,
    /// For a sentiment classifier that decides per batch: the probabilities (negative,
    /// neutral, positive) after the batch's class mix, from which the label was taken.
    pub probabilities: Option<[f32; 3]>,
    /// Scored by a training corpus's own model ([`Classifier::predict_routed`]).
    pub routed: bool,
}

/// Documents a routing classifier scored by one training corpus's own model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Routed {
    pub corpus: String,
    pub documents: usize,
}

/// Scores a classifier on labelled examples (the classifier's task picks the gold column;
/// topics are scored on the relevant documents only).
pub fn evaluate_on(classifier: &dyn Classifier, normalizer: &crate::normalize::Normalizer, examples: &[data::Example]) -> Result<EvalReport, data::DataError> {
    let task = classifier.task();
    let targets = data::targets(examples, task, Some(classifier.labels()))?;
    let mut terms = Vec::new();
    let started = std::time::Instant::now();
    // A sentiment classifier that adapts to the batch or routes is scored as `run` does:
    // each document's probabilities and whether it was routed, then the file as one batch.
    let as_batch = classifier.batch_prior().is_some() || classifier.routed_to().is_some();
    let mut predicted = Vec::with_capacity(targets.examples.len());
    let mut scored = Vec::new();
    for &i in &targets.examples {
        normalizer.normalize_into(&examples[i].text, &mut terms);
        if as_batch {
            let (p, routed) = classifier.predict_routed(&terms);
            scored.push((three_class(&p), routed));
        } else {
            predicted.push(classifier.predict_set(&terms));
        }
    }
    // The file's class mix by EM (with a batch prior), each label under it.
    let adapted = if as_batch { classifier.adapt_to_batch(&scored) } else { Vec::new() };
    predicted.extend(adapted.iter().map(|p| vec![argmax(p)]));
    let n_routed = scored.iter().filter(|(_, routed)| *routed).count();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let metrics = metrics::evaluate_sets(&targets.labels, task.is_multilabel(), &targets.gold, &predicted);
    let share_error_pp = (task == Task::Sentiment).then(|| metrics::share_error_pp(&metrics.confusion));
    let routed = classifier.routed_to().map(|corpus| Routed { corpus: corpus.to_string(), documents: n_routed });
    let docs_per_s = predicted.len() as f64 / secs;
    let decisions = (targets.examples.iter().zip(targets.gold).zip(predicted).enumerate())
        .map(|(k, ((&example, gold), predicted))| Decision {
            example,
            gold,
            predicted,
            probabilities: adapted.get(k).copied(),
            routed: scored.get(k).is_some_and(|(_, routed)| *routed),
        })
        .collect();
    Ok(EvalReport { task: task.as_str().into(), model: classifier.name().into(), metrics, share_error_pp, routed, docs_per_s, decisions })
}
