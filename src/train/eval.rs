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
    /// Documents per second for normalize + predict, single thread.
    pub docs_per_s: f64,
}

/// Scores a classifier on labelled examples (the classifier's task picks the gold column;
/// topics are scored on the relevant documents only).
pub fn evaluate_on(classifier: &dyn Classifier, normalizer: &crate::normalize::Normalizer, examples: &[data::Example]) -> Result<EvalReport, data::DataError> {
    let task = classifier.task();
    let targets = data::targets(examples, task, Some(classifier.labels()))?;
    let mut terms = Vec::new();
    let started = std::time::Instant::now();
    let adapts = classifier.batch_prior().is_some();
    let mut predicted = Vec::with_capacity(targets.examples.len());
    let mut scored = Vec::new();
    for &i in &targets.examples {
        normalizer.normalize_into(&examples[i].text, &mut terms);
        if adapts {
            let (p, routed) = classifier.predict_routed(&terms);
            scored.push((three_class(&p), routed));
        } else {
            predicted.push(classifier.predict_set(&terms));
        }
    }
    // As `run` does to a batch: the file's class mix by EM, each label under it.
    if adapts {
        predicted = classifier.adapt_to_batch(&scored).iter().map(|p| vec![argmax(p)]).collect();
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let metrics = metrics::evaluate_sets(&targets.labels, task.is_multilabel(), &targets.gold, &predicted);
    let share_error_pp = (task == Task::Sentiment).then(|| metrics::share_error_pp(&metrics.confusion));
    Ok(EvalReport { task: task.as_str().into(), model: classifier.name().into(), metrics, share_error_pp, docs_per_s: predicted.len() as f64 / secs })
}
