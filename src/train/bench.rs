//! `resonanz bench`: every available classifier for a task on the same labelled data, one
//! row each: quality (k-fold cross-validation, or a separate test set; for sentiment also the
//! share error, and the shipped default as `run` uses it) and speed (seconds to fit on all
//! the data, documents per second to normalize + featurize + predict on one thread).

use std::time::Instant;

use serde::Serialize;

use super::data::{self, Example};
use super::fit::{self as train, Algorithm, Corpus, TrainParams};
use super::{metrics, TrainError};
use crate::classify::ensemble::{self, Ensemble};
use crate::classify::features::FeatureSettings;
use crate::classify::lexicon::LexiconSentiment;
use crate::classify::{argmax, Classifier, Task};
use crate::normalize::{Normalizer, Term};

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub classifier: String,
    pub settings: String,
    /// `5-fold CV` or `test set`.
    pub evaluation: String,
    pub n: u64,
    pub accuracy: f64,
    pub micro_f1: f64,
    pub macro_f1: f64,
    /// Sentiment: the largest |predicted − true| share of negative or positive, in points.
    pub share_error_pp: Option<f64>,
    /// Seconds to fit on all the training data (0 for rules).
    pub fit_s: f64,
    /// Normalize + featurize + predict, one thread.
    pub docs_per_s: f64,
}

/// Lexicon weights the ensemble chooses from (on the out-of-fold scores).
const ENSEMBLE_WEIGHTS: [f32; 7] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0];

/// Benchmarks every classifier for `task`: trained on `train` and scored by `folds`-fold
/// cross-validation, or on `test` when given.
pub fn bench(task: Task, train_examples: &[Example], test_examples: Option<&[Example]>, folds: usize) -> Result<Vec<BenchRow>, TrainError> {
    let normalizer = Normalizer::default();
    let targets = data::targets(train_examples, task, None)?;
    let docs: Vec<Vec<Term>> = targets.examples.iter().map(|&i| normalizer.normalize(&train_examples[i].text)).collect();
    let corpus =
        Corpus { task, labels: &targets.labels, docs: &docs, gold: &targets.gold, normalizer: normalizer.settings(), features: FeatureSettings::default() };
    let vectors = train::featurize_all(&docs, &corpus.features);
    // The held-out side: texts and gold label sets in the training label space.
    let test = match test_examples {
        Some(t) => {
            let tt = data::targets(t, task, Some(&targets.labels))?;
            let texts: Vec<&str> = tt.examples.iter().map(|&i| t[i].text.as_str()).collect();
            Some((tt, texts))
        }
        None => None,
    };
    let lexicon = LexiconSentiment::builtin(&normalizer);
    let mut rows = Vec::new();
    let evaluation = if test.is_some() { "test set".to_string() } else { format!("{folds}-fold CV") };
    let speed_texts: Vec<&str> = match &test {
        Some((_, texts)) => texts.clone(),
        None => targets.examples.iter().map(|&i| train_examples[i].text.as_str()).collect(),
    };
    let row = |name: String, settings: String, report: metrics::Report, fit_s: f64, classifier: &dyn Classifier| BenchRow {
        classifier: name,
        settings,
        evaluation: evaluation.clone(),
        n: report.n,
        accuracy: report.accuracy,
        micro_f1: report.micro_f1,
        macro_f1: report.macro_f1,
        share_error_pp: (task == Task::Sentiment).then(|| metrics::share_error_pp(&report.confusion)),
        fit_s,
        docs_per_s: speed(classifier, &normalizer, &speed_texts),
    };
    for algorithm in Algorithm::ALL.into_iter().filter(|a| a.supports(task)) {
        let params = algorithm.defaults_for(task);
        let started = Instant::now();
        let mut model = train::fit(&corpus, &vectors, None, params)?;
        let fit_s = started.elapsed().as_secs_f64();
        let settings = describe(&params);
        // Scores on the evaluated side: the test set, or the out-of-fold scores.
        let (report, eval_scores) = match &test {
            Some((tt, texts)) => {
                let scores: Vec<Vec<f32>> = texts.iter().map(|t| model.scores(&normalizer.normalize(t))).collect();
                if task.is_multilabel() {
                    // The threshold comes from cross-validation on the training data.
                    let (oof, f) = train::out_of_fold_scores(&corpus, &vectors, params, folds)?;
                    model.threshold = train::score_out_of_fold(&corpus, &oof, folds, f).threshold.unwrap_or(0.5);
                }
                let predicted: Vec<Vec<usize>> =
                    scores.iter().map(|s| crate::classify::linear::LinearModel::label_set(s, task.is_multilabel(), model.threshold)).collect();
                (metrics::evaluate_sets(&tt.labels, task.is_multilabel(), &tt.gold, &predicted), scores)
            }
            None => {
                let (oof, f) = train::out_of_fold_scores(&corpus, &vectors, params, folds)?;
                let cv = train::score_out_of_fold(&corpus, &oof, folds, f);
                model.threshold = cv.threshold.unwrap_or(0.5);
                let predicted: Vec<Vec<usize>> =
                    oof.iter().map(|s| crate::classify::linear::LinearModel::label_set(s, task.is_multilabel(), model.threshold)).collect();
                (metrics::evaluate_sets(corpus.labels, task.is_multilabel(), corpus.gold, &predicted), oof)
            }
        };
        let settings = match task.is_multilabel() {
            true => format!("{settings}, threshold {}", model.threshold),
            false => settings,
        };
        rows.push(row(algorithm.as_str().into(), settings.clone(), report, fit_s, &model));
        if task == Task::Sentiment && algorithm == Algorithm::SparseLogistic {
            // The ensemble: its lexicon weight is chosen on the training side's out-of-fold scores.
            let (oof, _) = match &test {
                Some(_) => train::out_of_fold_scores(&corpus, &vectors, params, folds)?,
                None => (eval_scores.clone(), 0.0),
            };
            let lex_train: Vec<f32> = docs.iter().map(|d| lexicon.score(d)).collect();
            let gold_train: Vec<usize> = corpus.gold.iter().map(|g| g[0]).collect();
            let weight = ENSEMBLE_WEIGHTS
                .iter()
                .copied()
                .map(|w| {
                    let ok = oof.iter().zip(&lex_train).zip(&gold_train).filter(|((p, &s), &g)| argmax(&ensemble::combine(p, s, w)) == g).count();
                    (w, ok)
                })
                .fold((0.0, 0), |best, x| if x.1 > best.1 { x } else { best })
                .0;
            let (gold, predicted): (Vec<usize>, Vec<usize>) = match &test {
                Some((tt, texts)) => {
                    let pred =
                        texts.iter().zip(&eval_scores).map(|(t, p)| argmax(&ensemble::combine(p, lexicon.score(&normalizer.normalize(t)), weight))).collect();
                    (tt.gold.iter().map(|g| g[0]).collect(), pred)
                }
                None => (gold_train.clone(), oof.iter().zip(&lex_train).map(|(p, &s)| argmax(&ensemble::combine(p, s, weight))).collect()),
            };
            let report = metrics::evaluate(corpus.labels, &gold, &predicted);
            let e = Ensemble::new(Box::new(model), LexiconSentiment::builtin(&normalizer), weight)?;
            rows.push(row(e.name().into(), format!("{settings}, lexicon weight {weight}"), report, fit_s, &e));
        }
    }
    if task == Task::Sentiment {
        let (gold, texts): (Vec<usize>, Vec<&str>) = match &test {
            Some((tt, texts)) => (tt.gold.iter().map(|g| g[0]).collect(), texts.clone()),
            None => (corpus.gold.iter().map(|g| g[0]).collect(), speed_texts.clone()),
        };
        let predicted: Vec<usize> = texts.iter().map(|t| lexicon.predict(&normalizer.normalize(t)).label).collect();
        let report = metrics::evaluate(corpus.labels, &gold, &predicted);
        let mut r = row("lexicon".into(), "built-in lexicon, no training".into(), report, 0.0, &lexicon);
        r.evaluation = "all documents".into();
        rows.push(r);
        // What `run` uses by default, scored as `eval` scores it (the file as one batch):
        // trained on the model card's corpora, so not held out if these data are among them.
        let shipped = crate::classify::load_classifier("default", Some(task), &normalizer)?;
        let scored = super::eval::evaluate_on(shipped.classifier.as_ref(), &normalizer, test_examples.unwrap_or(train_examples))?;
        let mut r = row("default (run)".into(), shipped.version, scored.metrics, 0.0, shipped.classifier.as_ref());
        r.evaluation = if test.is_some() { "shipped, test set" } else { "shipped, all documents" }.into();
        rows.push(r);
    }
    Ok(rows)
}

fn describe(p: &TrainParams) -> String {
    let features = if p.max_features == 0 { "all features".to_string() } else { format!("top {} features", p.max_features) };
    match p.algorithm {
        Algorithm::NaiveBayes => format!("smoothing {}, {features}", p.smoothing),
        _ => format!("C {}, {features}", p.c),
    }
}

/// Documents per second for normalize + featurize + predict on this thread.
fn speed(classifier: &dyn Classifier, normalizer: &Normalizer, texts: &[&str]) -> f64 {
    let mut terms = Vec::new();
    let started = Instant::now();
    let mut n = 0usize;
    // At least 0.3 s of work so small data sets still give a stable figure.
    while n == 0 || started.elapsed().as_secs_f64() < 0.3 {
        for t in texts {
            normalizer.normalize_into(t, &mut terms);
            std::hint::black_box(classifier.predict_set(&terms));
        }
        n += texts.len();
    }
    n as f64 / started.elapsed().as_secs_f64()
}
