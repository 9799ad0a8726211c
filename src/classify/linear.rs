//! A trained linear model: TF-IDF over hashed features, chi² feature selection, multinomial
//! logistic regression fitted by linfa-logistic. linfa's solver needs a dense matrix, so
//! training selects the top-k features and builds one; the saved model keeps only those
//! features' IDF and weights, and prediction runs on sparse features (no dense row).

use std::collections::HashMap;
use std::path::Path;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::features::{featurize, FeatureSettings};
use super::{Classifier, Prediction, Task};
use crate::normalize::{NormalizerSettings, Term};

/// Bumped whenever the saved format or the meaning of its fields changes.
pub const FORMAT_VERSION: u32 = 1;

/// Settings of one training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainParams {
    /// L2 penalty (linfa's `alpha`; the loss is summed over documents).
    pub alpha: f64,
    /// Features kept after chi² selection.
    pub max_features: usize,
    /// A feature must occur in at least this many documents.
    pub min_df: u32,
    pub max_iterations: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams { alpha: 1.0, max_features: 12_000, min_df: 2, max_iterations: 150 }
    }
}

/// Cross-validated scores stored with a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvScores {
    pub folds: usize,
    pub accuracy: f64,
    pub micro_f1: f64,
    pub macro_f1: f64,
}

/// A saved linear model (`models/<name>/model.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearModel {
    pub format_version: u32,
    pub task: Task,
    pub algorithm: String,
    pub labels: Vec<String>,
    pub normalizer: NormalizerSettings,
    pub features: FeatureSettings,
    pub params: TrainParams,
    /// Where the training data came from and how much of it there was.
    pub training_data: Vec<String>,
    pub training_documents: usize,
    pub cv: Option<CvScores>,
    /// Selected hashed feature ids, sorted.
    pub feature_ids: Vec<u32>,
    pub idf: Vec<f32>,
    /// `feature_ids.len() × labels.len()`, row-major.
    pub weights: Vec<f32>,
    pub intercept: Vec<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: cannot read model: {source}", path.display())]
    Io { path: std::path::PathBuf, source: std::io::Error },
    #[error("{}: not a resonanz model: {reason}", path.display())]
    Corrupt { path: std::path::PathBuf, reason: String },
    #[error("{}: model format {found}, this resonanz reads format {FORMAT_VERSION}; retrain it with `resonanz train`", path.display())]
    Version { path: std::path::PathBuf, found: u32 },
    #[error("{}: a {found} model, but a {wanted} model is needed", path.display())]
    WrongTask { path: std::path::PathBuf, found: &'static str, wanted: &'static str },
    #[error("training failed: {0}")]
    Training(String),
}

impl LinearModel {
    /// Loads a model and checks its format version and, if given, its task.
    pub fn load(path: &Path, task: Option<Task>) -> Result<LinearModel, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        LinearModel::from_json(&text, path, task)
    }

    pub fn from_json(text: &str, path: &Path, task: Option<Task>) -> Result<LinearModel, ModelError> {
        let corrupt = |reason: String| ModelError::Corrupt { path: path.to_path_buf(), reason };
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        let found = v.get("format_version").and_then(|f| f.as_u64()).ok_or_else(|| corrupt("no format_version".into()))?;
        if found != FORMAT_VERSION as u64 {
            return Err(ModelError::Version { path: path.to_path_buf(), found: found as u32 });
        }
        let m: LinearModel = serde_json::from_value(v).map_err(|e| corrupt(e.to_string()))?;
        let k = m.feature_ids.len();
        if m.idf.len() != k || m.weights.len() != k * m.labels.len() || m.intercept.len() != m.labels.len() {
            return Err(corrupt("array sizes do not match".into()));
        }
        if let Some(t) = task {
            if t != m.task {
                return Err(ModelError::WrongTask { path: path.to_path_buf(), found: m.task.as_str(), wanted: t.as_str() });
            }
        }
        Ok(m)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Class scores (softmax) for a document's terms.
    pub fn scores(&self, terms: &[Term]) -> Vec<f32> {
        let mut feats = Vec::new();
        featurize(terms, &self.features, &mut feats);
        let c = self.labels.len();
        let mut logits = self.intercept.clone();
        let mut selected: Vec<(usize, f32)> = Vec::with_capacity(feats.len());
        let mut norm = 0.0f32;
        for (id, tf) in feats {
            if let Ok(col) = self.feature_ids.binary_search(&id) {
                let x = tf * self.idf[col];
                norm += x * x;
                selected.push((col, x));
            }
        }
        let norm = norm.sqrt().max(1e-12);
        for (col, x) in selected {
            let row = &self.weights[col * c..col * c + c];
            for (l, w) in logits.iter_mut().zip(row) {
                *l += x / norm * w;
            }
        }
        softmax(&mut logits);
        logits
    }
}

fn softmax(v: &mut [f32]) {
    let max = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

impl Classifier for LinearModel {
    fn name(&self) -> &str {
        &self.algorithm
    }

    fn task(&self) -> Task {
        self.task
    }

    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn predict(&self, terms: &[Term]) -> Prediction {
        let scores = self.scores(terms);
        let label = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
        let score = match self.task {
            Task::Sentiment if scores.len() == 3 => scores[2] - scores[0],
            _ => 0.0,
        };
        Prediction { label, scores, score }
    }
}

/// Trains a logistic model on normalized documents with gold label indexes.
pub fn train(
    docs: &[Vec<Term>],
    gold: &[usize],
    task: Task,
    normalizer: NormalizerSettings,
    features: FeatureSettings,
    params: TrainParams,
) -> Result<LinearModel, ModelError> {
    let labels = task.labels();
    let c = labels.len();
    if docs.is_empty() || docs.len() != gold.len() {
        return Err(ModelError::Training("no training documents".into()));
    }
    for (i, l) in labels.iter().enumerate() {
        if !gold.contains(&i) {
            return Err(ModelError::Training(format!("no training document has the label `{l}`")));
        }
    }
    let vectors: Vec<Vec<(u32, f32)>> = docs
        .par_iter()
        .map(|terms| {
            let mut v = Vec::new();
            featurize(terms, &features, &mut v);
            v
        })
        .collect();
    let n = docs.len();
    // Document frequency, overall and per class.
    let mut df: HashMap<u32, (u32, Vec<u32>)> = HashMap::new();
    let mut class_n = vec![0u32; c];
    for (v, &g) in vectors.iter().zip(gold) {
        class_n[g] += 1;
        for &(id, _) in v {
            let e = df.entry(id).or_insert_with(|| (0, vec![0; c]));
            e.0 += 1;
            e.1[g] += 1;
        }
    }
    // chi² of feature presence against the class.
    let mut scored: Vec<(u32, f64)> = df
        .iter()
        .filter(|(_, (d, _))| *d >= params.min_df)
        .map(|(&id, (d, per))| {
            let mut chi = 0.0;
            for k in 0..c {
                let expected = *d as f64 * class_n[k] as f64 / n as f64;
                let expected_absent = (n as f64 - *d as f64) * class_n[k] as f64 / n as f64;
                let o = per[k] as f64;
                let o_absent = class_n[k] as f64 - o;
                if expected > 0.0 {
                    chi += (o - expected).powi(2) / expected;
                }
                if expected_absent > 0.0 {
                    chi += (o_absent - expected_absent).powi(2) / expected_absent;
                }
            }
            (id, chi)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(params.max_features);
    let mut feature_ids: Vec<u32> = scored.iter().map(|&(id, _)| id).collect();
    feature_ids.sort_unstable();
    let k = feature_ids.len();
    let idf: Vec<f32> = feature_ids
        .iter()
        .map(|id| ((1.0 + n as f64) / (1.0 + df[id].0 as f64)).ln() as f32 + 1.0)
        .collect();
    let mut x = Array2::<f64>::zeros((n, k));
    for (row, v) in vectors.iter().enumerate() {
        let mut norm = 0.0f64;
        for &(id, tf) in v {
            if let Ok(col) = feature_ids.binary_search(&id) {
                let val = (tf * idf[col]) as f64;
                x[[row, col]] = val;
                norm += val * val;
            }
        }
        let norm = norm.sqrt();
        if norm > 0.0 {
            x.row_mut(row).mapv_inplace(|v| v / norm);
        }
    }
    let y = Array1::from_vec(gold.to_vec());
    let dataset = Dataset::new(x, y);
    let fitted = MultiLogisticRegression::default()
        .alpha(params.alpha)
        .max_iterations(params.max_iterations)
        .fit(&dataset)
        .map_err(|e| ModelError::Training(e.to_string()))?;
    // Columns follow linfa's sorted classes, which are 0..c here.
    let classes = fitted.classes().to_vec();
    let p = fitted.params();
    let mut weights = vec![0f32; k * c];
    let mut intercept = vec![-1e4f32; c];
    for (j, &class) in classes.iter().enumerate() {
        intercept[class] = fitted.intercept()[j] as f32;
        for f in 0..k {
            weights[f * c + class] = p[[f, j]] as f32;
        }
    }
    Ok(LinearModel {
        format_version: FORMAT_VERSION,
        task,
        algorithm: "logistic".into(),
        labels,
        normalizer,
        features,
        params,
        training_data: Vec::new(),
        training_documents: n,
        cv: None,
        feature_ids,
        idf,
        weights,
        intercept,
    })
}

/// k-fold cross-validation (seeded shuffle); returns mean scores.
pub fn cross_validate(
    docs: &[Vec<Term>],
    gold: &[usize],
    task: Task,
    normalizer: NormalizerSettings,
    features: FeatureSettings,
    params: TrainParams,
    folds: usize,
) -> Result<CvScores, ModelError> {
    let n = docs.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::synth::Rng::new(17);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let labels = task.labels();
    let (mut acc, mut micro, mut macro_) = (0.0, 0.0, 0.0);
    for f in 0..folds {
        let test: Vec<usize> = order.iter().copied().enumerate().filter(|(i, _)| i % folds == f).map(|(_, d)| d).collect();
        let train_idx: Vec<usize> = order.iter().copied().enumerate().filter(|(i, _)| i % folds != f).map(|(_, d)| d).collect();
        let tr_docs: Vec<Vec<Term>> = train_idx.iter().map(|&i| docs[i].clone()).collect();
        let tr_gold: Vec<usize> = train_idx.iter().map(|&i| gold[i]).collect();
        let model = train(&tr_docs, &tr_gold, task, normalizer, features, params)?;
        let predicted: Vec<usize> = test.iter().map(|&i| model.predict(&docs[i]).label).collect();
        let te_gold: Vec<usize> = test.iter().map(|&i| gold[i]).collect();
        let r = super::metrics::evaluate(&labels, &te_gold, &predicted);
        acc += r.accuracy;
        micro += r.micro_f1;
        macro_ += r.macro_f1;
    }
    let k = folds as f64;
    Ok(CvScores { folds, accuracy: acc / k, micro_f1: micro / k, macro_f1: macro_ / k })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalizer;

    fn toy() -> (Vec<Vec<Term>>, Vec<usize>) {
        let n = Normalizer::default();
        let texts = [
            ("super Service, danke", 2), ("toll und schnell", 2), ("sehr gut gemacht", 2), ("klasse Team", 2),
            ("schlecht und langsam", 0), ("nie wieder, furchtbar", 0), ("Verspätung schon wieder", 0), ("kaputt und teuer", 0),
            ("Zug fährt um zehn", 1), ("Gleis drei heute", 1), ("Fahrplan ab Montag", 1), ("Bahnhof in Ulm", 1),
        ];
        let docs = texts.iter().cycle().take(36).map(|(t, _)| n.normalize(t)).collect();
        let gold = texts.iter().cycle().take(36).map(|(_, g)| *g).collect();
        (docs, gold)
    }

    #[test]
    fn learns_a_toy_problem_and_round_trips_through_json() {
        let (docs, gold) = toy();
        let params = TrainParams { alpha: 0.1, max_features: 500, min_df: 1, max_iterations: 100 };
        let m = train(&docs, &gold, Task::Sentiment, NormalizerSettings::default(), FeatureSettings::default(), params).unwrap();
        let n = Normalizer::default();
        assert_eq!(m.predict(&n.normalize("super, danke")).label, 2);
        assert_eq!(m.predict(&n.normalize("furchtbar langsam")).label, 0);
        let json = m.to_json();
        let back = LinearModel::from_json(&json, Path::new("m.json"), Some(Task::Sentiment)).unwrap();
        let t = n.normalize("toll gemacht");
        assert_eq!(back.scores(&t), m.scores(&t), "identical predictions after save and load");
    }

    #[test]
    fn wrong_task_version_or_garbage_is_a_clear_error() {
        let (docs, gold) = toy();
        let params = TrainParams { alpha: 0.1, max_features: 100, min_df: 1, max_iterations: 20 };
        let m = train(&docs, &gold, Task::Sentiment, NormalizerSettings::default(), FeatureSettings::default(), params).unwrap();
        let p = Path::new("models/x/model.json");
        let e = LinearModel::from_json(&m.to_json(), p, Some(Task::Relevance)).unwrap_err().to_string();
        assert!(e.contains("a sentiment model, but a relevance model is needed"), "{e}");
        let old = m.to_json().replace("\"format_version\":1", "\"format_version\":0");
        assert!(LinearModel::from_json(&old, p, None).unwrap_err().to_string().contains("model format 0"));
        assert!(LinearModel::from_json("{\"a\":", p, None).unwrap_err().to_string().contains("not a resonanz model"));
    }
}

/// One row of a model-selection table.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub params: TrainParams,
    pub cv: CvScores,
}

/// Picks the penalty by k-fold cross-validation (best micro-F1) and trains the final model
/// on all documents with it; returns the model (with its CV scores) and every candidate.
pub fn select_and_train(
    docs: &[Vec<Term>],
    gold: &[usize],
    task: Task,
    normalizer: NormalizerSettings,
    features: FeatureSettings,
    grid: &[TrainParams],
    folds: usize,
) -> Result<(LinearModel, Vec<Candidate>), ModelError> {
    let mut candidates = Vec::new();
    for &params in grid {
        let cv = cross_validate(docs, gold, task, normalizer, features, params, folds)?;
        candidates.push(Candidate { params, cv });
    }
    let best = candidates
        .iter()
        .max_by(|a, b| a.cv.micro_f1.total_cmp(&b.cv.micro_f1))
        .ok_or_else(|| ModelError::Training("empty parameter grid".into()))?
        .clone();
    let mut model = train(docs, gold, task, normalizer, features, best.params)?;
    model.cv = Some(best.cv);
    Ok((model, candidates))
}
