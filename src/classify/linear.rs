//! A trained linear model as saved in `models/<name>/model.json`: the selected hashed
//! features with their IDF, one weight per (feature, label) and an intercept per label.
//! Every trainer in [`crate::train::fit`] produces this one format. Prediction runs on sparse
//! features through a lookup table (no dense row): softmax over the labels for single-label
//! tasks, one sigmoid per label for topics.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::features::FeatureSettings;
use super::record::{BaseModel, Candidate, CvScores, TrainParams};
use super::{argmax, softmax, Classifier, Prediction, Task};
use crate::hash;
use crate::normalize::{NormalizerSettings, Term};

/// Bumped whenever the saved format or the meaning of its fields changes.
pub const FORMAT_VERSION: u32 = 1;

/// A saved linear model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearModel {
    pub format_version: u32,
    pub task: Task,
    pub algorithm: String,
    pub labels: Vec<String>,
    /// Topics: a label is assigned when its probability reaches this (else the most likely one).
    pub threshold: f32,
    pub normalizer: NormalizerSettings,
    pub features: FeatureSettings,
    pub params: TrainParams,
    /// Where the training data came from and how much of it there was.
    pub training_data: Vec<String>,
    pub training_documents: usize,
    /// Cross-validated scores of the chosen settings, and of every candidate tried.
    pub cv: Option<CvScores>,
    pub selection: Vec<Candidate>,
    /// For a model adapted to the analyst's labels (`train --base`): the model it was
    /// adapted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseModel>,
    /// Selected hashed feature ids, sorted.
    pub feature_ids: Vec<u32>,
    pub idf: Vec<f32>,
    /// `feature_ids.len() × labels.len()`, row-major.
    pub weights: Vec<f32>,
    pub intercept: Vec<f32>,
    /// Hashed feature id → 1 + column (0: not selected); built on load.
    #[serde(skip)]
    index: Vec<u32>,
    /// One bit per hashed feature id: selected or not. Most ids a document hashes to are
    /// not selected; this small table (1/32 of `index`) answers that without touching
    /// `index`.
    #[serde(skip)]
    selected: Vec<u64>,
    /// `buckets - 1` when `buckets` is a power of two (as trained by default): a hash's
    /// bucket is then a mask, not a 64-bit division (tens of cycles, per bigram).
    #[serde(skip)]
    bucket_mask: Option<u64>,
    /// Per column `[idf, weight of each label…]`, side by side: one memory access per
    /// feature of a document instead of two. Built on load.
    #[serde(skip)]
    rows: Vec<f32>,
    /// Identifies the model's per-thread term caches; unique per built index.
    #[serde(skip)]
    id: u64,
    /// Fingerprint of the feature space (settings, selected ids, IDF): models with the same
    /// one give a document the same feature vector, so it is computed once for both.
    #[serde(skip)]
    space: u64,
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
    #[error("{}: labels {found:?}, but a model of this task has {wanted:?}", path.display())]
    Labels { path: std::path::PathBuf, found: Vec<String>, wanted: Vec<String> },
    #[error("training failed: {0}")]
    Training(String),
}

impl LinearModel {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        task: Task,
        algorithm: &str,
        labels: Vec<String>,
        normalizer: NormalizerSettings,
        features: FeatureSettings,
        params: TrainParams,
        training_documents: usize,
        feature_ids: Vec<u32>,
        idf: Vec<f32>,
        weights: Vec<f32>,
        intercept: Vec<f32>,
    ) -> LinearModel {
        let mut m = LinearModel {
            format_version: FORMAT_VERSION,
            task,
            algorithm: algorithm.into(),
            labels,
            threshold: 0.5,
            normalizer,
            features,
            params,
            training_data: Vec::new(),
            training_documents,
            cv: None,
            selection: Vec::new(),
            base: None,
            feature_ids,
            idf,
            weights,
            intercept,
            index: Vec::new(),
            selected: Vec::new(),
            bucket_mask: None,
            rows: Vec::new(),
            id: 0,
            space: 0,
        };
        m.build_index();
        m
    }

    fn build_index(&mut self) {
        self.id = NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Columns in memory by IDF, most frequent features first: the few thousand that
        // most documents touch share cache lines. Only the layout changes, not the scores.
        let mut order: Vec<usize> = (0..self.feature_ids.len()).collect();
        order.sort_by(|&a, &b| self.idf[a].total_cmp(&self.idf[b]).then(a.cmp(&b)));
        self.index = vec![0; self.features.buckets as usize];
        self.selected = vec![0; (self.features.buckets as usize).div_ceil(64)];
        self.bucket_mask = self.features.buckets.is_power_of_two().then(|| self.features.buckets as u64 - 1);
        for (slot_col, &col) in order.iter().enumerate() {
            let id = self.feature_ids[col];
            if let Some(slot) = self.index.get_mut(id as usize) {
                *slot = slot_col as u32 + 1;
                self.selected[id as usize / 64] |= 1 << (id % 64);
            }
        }
        let mut space = hash::fnv1a_str(&format!("{:?}", self.features));
        for (&id, &idf) in self.feature_ids.iter().zip(&self.idf) {
            space = hash::mix(hash::mix(space, id as u64), idf.to_bits() as u64);
        }
        self.space = space;
        let c = self.labels.len();
        self.rows = Vec::with_capacity(self.feature_ids.len() * (c + 1));
        for &col in &order {
            self.rows.push(self.idf[col]);
            self.rows.extend_from_slice(self.weights.get(col * c..col * c + c).unwrap_or(&[]));
        }
    }

    /// Parses a model (`path` names it in errors) and checks its format version and, if
    /// given, its task.
    pub fn from_json(text: &str, path: &Path, task: Option<Task>) -> Result<LinearModel, ModelError> {
        let corrupt = |reason: String| ModelError::Corrupt { path: path.to_path_buf(), reason };
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        let found = v.get("format_version").and_then(|f| f.as_u64()).ok_or_else(|| corrupt("no format_version".into()))?;
        if found != FORMAT_VERSION as u64 {
            return Err(ModelError::Version { path: path.to_path_buf(), found: found as u32 });
        }
        let mut m: LinearModel = serde_json::from_value(v).map_err(|e| corrupt(e.to_string()))?;
        let (k, c) = (m.feature_ids.len(), m.labels.len());
        if c == 0 || m.idf.len() != k || m.weights.len() != k * c || m.intercept.len() != c {
            return Err(corrupt("array sizes do not match".into()));
        }
        if !(1..=1 << 24).contains(&m.features.buckets) || m.feature_ids.iter().any(|&id| id >= m.features.buckets) {
            return Err(corrupt("feature ids outside the hash space".into()));
        }
        if m.features.char_max > 12 {
            return Err(corrupt("character n-grams longer than 12".into()));
        }
        if let Some(t) = task {
            if t != m.task {
                return Err(ModelError::WrongTask { path: path.to_path_buf(), found: m.task.as_str(), wanted: t.as_str() });
            }
        }
        m.labels_in_task_order().map_err(|found| ModelError::Labels { path: path.to_path_buf(), found, wanted: m.task.labels() })?;
        m.build_index();
        Ok(m)
    }

    /// Labels are used by position (`Prediction::label`, the stacker, the tables): a
    /// sentiment or relevance model saved with its labels in another order has its columns
    /// put into the task's order; one with other labels is refused (`Err`: its labels).
    fn labels_in_task_order(&mut self) -> Result<(), Vec<String>> {
        let wanted = self.task.labels();
        if wanted.is_empty() || self.labels == wanted {
            return Ok(()); // topics: the labels are the model's own
        }
        let c = self.labels.len();
        let order: Option<Vec<usize>> = wanted.iter().map(|l| self.labels.iter().position(|x| x == l)).collect();
        let order = match order {
            Some(o) if c == wanted.len() => o,
            _ => return Err(self.labels.clone()),
        };
        self.weights = self.weights.chunks_exact(c).flat_map(|row| order.iter().map(|&j| row[j])).collect();
        self.intercept = order.iter().map(|&j| self.intercept[j]).collect();
        self.labels = wanted;
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Class probabilities for a document's terms.
    ///
    /// Per thread and model, each word's selected columns are cached (its hashed features
    /// looked up once), so a document costs a cache lookup per word, an index lookup per
    /// bigram, and the weights of its distinct features.
    pub fn scores(&self, terms: &[Term]) -> Vec<f32> {
        let mut s = self.logits(terms);
        if self.task.is_multilabel() {
            s.iter_mut().for_each(|z| *z = sigmoid(*z));
        } else {
            softmax(&mut s);
        }
        s
    }

    /// The linear scores per label before the sigmoid or softmax ([`LinearModel::scores`]).
    pub fn logits(&self, terms: &[Term]) -> Vec<f32> {
        SCRATCH.with_borrow_mut(|scratch| {
            let doc = doc_key(terms);
            let last = &mut scratch.last;
            if !(last.valid && last.space == self.space && last.doc == doc) {
                self.document_vector(terms, &mut scratch.tf, &mut scratch.touched, &mut scratch.models, last);
                (last.valid, last.space, last.doc) = (true, self.space, doc);
            }
            let mut s = match self.labels.len() {
                2 => weighted_sum::<2>(&self.rows, &last.cols).to_vec(),
                3 => weighted_sum::<3>(&self.rows, &last.cols).to_vec(),
                // A route's own model and its gate side by side (3 + 1, `Route::own_model`).
                4 => weighted_sum::<4>(&self.rows, &last.cols).to_vec(),
                // The default sentiment classifier's pooled model and domain model side by
                // side (3 + 4 gate + 3 × 3 expert outputs, `side_by_side`).
                16 => weighted_sum::<16>(&self.rows, &last.cols).to_vec(),
                // The same without experts (3 + 4 gate outputs, `train --no-experts`).
                7 => weighted_sum::<7>(&self.rows, &last.cols).to_vec(),
                c => {
                    let mut acc = vec![0f32; c];
                    for &(col, x) in &last.cols {
                        let col = col as usize;
                        for (a, w) in acc.iter_mut().zip(&self.rows[col * (c + 1) + 1..(col + 1) * (c + 1)]) {
                            *a += x * w;
                        }
                    }
                    acc
                }
            };
            for (a, b) in s.iter_mut().zip(&self.intercept) {
                *a = b + *a * last.inv_norm;
            }
            s
        })
    }

    /// The document's selected features with their TF-IDF values, and the inverse L2 norm.
    fn document_vector(&self, terms: &[Term], tf: &mut Vec<u32>, touched: &mut Vec<u32>, models: &mut Vec<(u64, TermCache)>, out: &mut DocVector) {
        if tf.len() < self.feature_ids.len() {
            tf.resize(self.feature_ids.len(), 0);
        }
        let cache = match models.iter().position(|(id, _)| *id == self.id) {
            Some(i) => &mut models[i].1,
            None => {
                if models.len() >= 8 {
                    models.remove(0);
                }
                models.push((self.id, Default::default()));
                &mut models.last_mut().expect("just pushed").1
            }
        };
        if cache.len() >= 200_000 {
            cache.clear(); // bounded memory on open vocabularies
        }
        touched.clear();
        let count = |col: u32, tf: &mut Vec<u32>, touched: &mut Vec<u32>| {
            if col > 0 {
                let c = col as usize - 1;
                if tf[c] == 0 {
                    touched.push(c as u32);
                }
                tf[c] += 1;
            }
        };
        // First every term's entry looked up (made when new): the lookups do not depend on
        // each other, so the processor overlaps their cache misses, where the loop below,
        // between one lookup and the next, has a word's columns to count.
        for t in terms {
            cache.entry(t.key).or_insert_with(|| self.term_entry(t));
        }
        let mut prev: Option<u64> = None;
        for t in terms {
            let Some(entry) = cache.get(&t.key) else { continue };
            let (w, col) = if t.negated { (entry.negated, entry.negated_col) } else { (entry.word, entry.word_col) };
            count(col, tf, touched);
            if self.features.word_bigrams {
                if let Some(p) = prev {
                    count(self.col(super::features::bigram_hash(p, w)), tf, touched);
                }
                prev = Some(w);
            }
            for &col in entry.char_cols.iter() {
                count(col, tf, touched);
            }
        }
        let c = self.labels.len();
        let mut norm = 0f32;
        out.cols.clear();
        for &col in touched.iter() {
            let col = col as usize;
            let x = sublinear_tf(tf[col]) * self.rows[col * (c + 1)];
            tf[col] = 0;
            norm += x * x;
            out.cols.push((col as u32, x));
        }
        out.inv_norm = 1.0 / norm.sqrt().max(1e-12);
    }

    /// 1 + the column of a hashed feature, 0 when it is not selected.
    fn col(&self, hash: u64) -> u32 {
        let id = match self.bucket_mask {
            Some(mask) => hash & mask,
            None => hash % self.features.buckets as u64,
        } as usize;
        if self.selected.get(id / 64).is_none_or(|bits| bits & (1 << (id % 64)) == 0) {
            return 0;
        }
        self.index.get(id).copied().unwrap_or(0)
    }

    fn term_entry(&self, t: &Term) -> TermEntry {
        let h = super::features::term_hashes_for(t, &self.features);
        TermEntry {
            word: h[0],
            negated: h[1],
            word_col: self.col(h[0]),
            negated_col: self.col(h[1]),
            char_cols: h[2..].iter().map(|&x| self.col(x)).filter(|&c| c > 0).collect(),
        }
    }
}

/// A word's hashes and selected columns (1-based) for one model.
struct TermEntry {
    word: u64,
    negated: u64,
    word_col: u32,
    negated_col: u32,
    char_cols: Box<[u32]>,
}

/// Term key → entry (keys are already hashes).
type TermCache = std::collections::HashMap<u64, TermEntry, hash::KeyBuildHasher>;

/// The feature vector of the last document a thread scored, for the next model of the
/// same feature space (sentiment and relevance models trained on the same texts share it).
#[derive(Default)]
struct DocVector {
    valid: bool,
    space: u64,
    /// [`doc_key`] of the terms.
    doc: u64,
    /// Column and TF-IDF value of each selected feature, before normalization.
    cols: Vec<(u32, f32)>,
    inv_norm: f32,
}

/// A key of a term sequence: everything features are computed from (term, negation, kind,
/// order). Equal keys mean the same features (64-bit collisions aside).
fn doc_key(terms: &[Term]) -> u64 {
    let mut h: u64 = hash::MIX_START ^ terms.len() as u64;
    for t in terms {
        let tag = (t.negated as u64) | ((t.kind as u64) << 1);
        h = hash::mix(hash::mix(h, t.key), tag);
    }
    h
}

/// Per label, the sum of `x × weight` over a document's columns, for models with `C` labels
/// (rows `[idf, C weights]`): the labels' sums stay in registers, where a loop over a
/// slice per column cost 9 % of a run (`perf`).
fn weighted_sum<const C: usize>(rows: &[f32], cols: &[(u32, f32)]) -> [f32; C] {
    let mut acc = [0f32; C];
    for &(col, x) in cols {
        let at = col as usize * (C + 1) + 1;
        if let Some(w) = rows.get(at..at + C) {
            for (a, w) in acc.iter_mut().zip(w) {
                *a += x * w;
            }
        }
    }
    acc
}

/// `1 + ln(count)`, as [`super::features::featurize`] computes it, from a table for the
/// small counts that nearly every feature has.
fn sublinear_tf(count: u32) -> f32 {
    static TABLE: std::sync::LazyLock<[f32; 64]> = std::sync::LazyLock::new(|| std::array::from_fn(|k| 1.0 + (k as f32).ln()));
    match TABLE.get(count as usize) {
        Some(&x) => x,
        None => 1.0 + (count as f32).ln(),
    }
}

/// Per-thread buffers for prediction.
#[derive(Default)]
struct Scratch {
    /// Per column: the count of the feature in the current document.
    tf: Vec<u32>,
    touched: Vec<u32>,
    last: DocVector,
    /// Term caches of the models this thread used last, by model id.
    models: Vec<(u64, TermCache)>,
}

static NEXT_MODEL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl LinearModel {
    /// One model with the outputs of `parts` side by side, all on the feature space of the
    /// first (same selected features and IDF; `None` otherwise): the logits of all in one
    /// pass over a document's features. A multi-label model: callers read its logits.
    pub fn side_by_side(parts: &[&LinearModel], labels: Vec<String>) -> Option<LinearModel> {
        let base = parts.first()?;
        let width: usize = parts.iter().map(|m| m.labels.len()).sum();
        if width != labels.len() || parts.iter().any(|m| m.feature_ids != base.feature_ids || m.idf != base.idf || m.features != base.features) {
            return None;
        }
        let n = base.feature_ids.len();
        let mut weights = Vec::with_capacity(n * width);
        for col in 0..n {
            for m in parts {
                let c = m.labels.len();
                weights.extend_from_slice(&m.weights[col * c..col * c + c]);
            }
        }
        let intercept = parts.iter().flat_map(|m| m.intercept.iter().copied()).collect();
        Some(LinearModel::new(
            Task::Topic,
            "sparse-logistic",
            labels,
            base.normalizer,
            base.features,
            base.params,
            base.training_documents,
            base.feature_ids.clone(),
            base.idf.clone(),
            weights,
            intercept,
        ))
    }

    /// The labels a document gets from its scores: the most likely one, or for multi-label
    /// tasks every label at or above `threshold` (the most likely one when none is).
    pub fn label_set(scores: &[f32], multilabel: bool, threshold: f32) -> Vec<usize> {
        let best = argmax(scores);
        if !multilabel {
            return vec![best];
        }
        let set: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] >= threshold).collect();
        if set.is_empty() {
            vec![best]
        } else {
            set
        }
    }
}

pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
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
        let label = argmax(&scores);
        let score = match self.task {
            Task::Sentiment if scores.len() == 3 => scores[2] - scores[0],
            _ => 0.0,
        };
        Prediction { label, scores, score }
    }

    fn predict_set(&self, terms: &[Term]) -> Vec<usize> {
        LinearModel::label_set(&self.scores(terms), self.task.is_multilabel(), self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalizer;

    #[test]
    fn models_sharing_a_feature_space_score_as_they_would_alone() {
        // The shipped relevance model and a twin with other weights over the same features
        // (the case of two models trained on the same texts with the same settings).
        let text = crate::classify::shipped_model(Task::Relevance);
        let relevance = LinearModel::from_json(&text, Path::new("shipped"), Some(Task::Relevance)).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for w in v["weights"].as_array_mut().unwrap() {
            *w = serde_json::json!(-w.as_f64().unwrap() * 0.5);
        }
        let sentiment = LinearModel::from_json(&v.to_string(), Path::new("twin"), Some(Task::Relevance)).unwrap();
        assert_eq!(sentiment.space, relevance.space, "the twins share their features");
        let n = Normalizer::default();
        let texts = ["Die Bahn ist schon wieder zu spät", "Danke für den tollen Service!", "nicht gut, gar nicht gut"];
        let alone: Vec<Vec<f32>> = texts.iter().map(|t| relevance.scores(&n.normalize(t))).collect();
        let mut terms = Vec::new();
        for (t, want) in texts.iter().zip(&alone) {
            n.normalize_into(t, &mut terms); // the same buffer for every text, as `run` does
            sentiment.scores(&terms);
            assert_eq!(&relevance.scores(&terms), want, "{t}");
        }
        // Another document right after: nothing of the previous one is reused.
        n.normalize_into(texts[0], &mut terms);
        assert_eq!(relevance.scores(&terms), alone[0]);
    }

    #[test]
    fn labels_are_mapped_by_name_not_by_position() {
        // The shipped sentiment model saved with its labels (and their columns) in another
        // order scores every text the same; a model with other labels is refused.
        let text = crate::classify::shipped_model(Task::Sentiment);
        let m = LinearModel::from_json(&text, Path::new("shipped"), Some(Task::Sentiment)).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let c = 3;
        let perm = [2usize, 0, 1]; // stored column j holds the label perm[j]
        let take = |a: &serde_json::Value| -> Vec<f64> { a.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect() };
        let (w, b) = (take(&v["weights"]), take(&v["intercept"]));
        let w: Vec<f64> = w.chunks(c).flat_map(|row| perm.iter().map(|&j| row[j]).collect::<Vec<_>>()).collect();
        let b: Vec<f64> = perm.iter().map(|&j| b[j]).collect();
        let labels: Vec<String> = perm.iter().map(|&j| Task::Sentiment.labels()[j].clone()).collect();
        (v["weights"], v["intercept"], v["labels"]) = (serde_json::json!(w), serde_json::json!(b), serde_json::json!(labels));
        let reordered = LinearModel::from_json(&v.to_string(), Path::new("reordered"), Some(Task::Sentiment)).unwrap();
        assert_eq!(reordered.labels, Task::Sentiment.labels());
        let n = Normalizer::default();
        for t in ["Die Bahn ist schon wieder zu spät", "Danke für den tollen Service!", "Fahrplan ab Montag"] {
            let (a, b) = (m.scores(&n.normalize(t)), reordered.scores(&n.normalize(t)));
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-6, "{t}: {a:?} vs {b:?}");
            }
        }
        v["labels"] = serde_json::json!(["negativ", "neutral", "positiv"]);
        let e = LinearModel::from_json(&v.to_string(), Path::new("x"), Some(Task::Sentiment)).unwrap_err().to_string();
        assert!(e.contains("labels") && e.contains("negativ"), "{e}");
    }
}
