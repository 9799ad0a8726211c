//! Training and model selection. Every algorithm learns from the same design: hashed
//! features of the normalized documents ([`crate::classify::features`]), filtered by document
//! frequency and ranked by chi², weighted TF-IDF, rows L2-normalized. Each produces a
//! [`LinearModel`], so prediction is the same sparse code whatever trained it.
//!
//! - `sparse-logistic`: multinomial (topics: one-vs-rest) logistic regression with an L2
//!   penalty, fitted by L-BFGS ([`super::lbfgs`]) directly on the sparse rows, so it can use
//!   every feature;
//! - `logistic`: linfa-logistic's multinomial logistic regression on a dense matrix of the
//!   chi² top-k features;
//! - `naive-bayes`: multinomial naive Bayes on the chi² top-k features;
//! - `svm`: linfa-svm's linear SVM, one-vs-rest, on the chi² top-2,000 features.

use std::time::Instant;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use rayon::prelude::*;

use super::{lbfgs, metrics};
use crate::classify::features::{featurize, FeatureSettings};
use crate::classify::linear::{LinearModel, ModelError};
pub use crate::classify::record::{Algorithm, Candidate, CvScores, TrainParams};
use crate::classify::Task;
use crate::normalize::{NormalizerSettings, Term};

impl Algorithm {
    /// Settings for a task: topics (many labels) keep the 10,000 best features, which
    /// keeps training under a minute and the model small at the same CV score.
    pub fn defaults_for(self, task: Task) -> TrainParams {
        let d = self.defaults();
        // C as `train` selected it by 5-fold CV on GermEval 2017 dev + trial.
        match (self, task) {
            (Algorithm::SparseLogistic, Task::Sentiment) => TrainParams { c: 3.0, ..d },
            (Algorithm::SparseLogistic, Task::Relevance) => TrainParams { c: 30.0, ..d },
            (Algorithm::SparseLogistic, Task::Topic) => TrainParams { max_features: 10_000, ..d },
            _ => d,
        }
    }

    /// The grid for a task (see [`Algorithm::grid`]).
    pub fn grid_for(self, task: Task) -> Vec<TrainParams> {
        let d = self.defaults_for(task);
        match (self, task) {
            (Algorithm::SparseLogistic, Task::Topic) => [10.0, 30.0, 100.0].iter().map(|&c| TrainParams { c, ..d }).collect(),
            _ => self.grid().into_iter().map(|p| TrainParams { max_features: d.max_features, ..p }).collect(),
        }
    }

    /// Settings that `train` starts its search from and `bench` uses.
    pub fn defaults(self) -> TrainParams {
        let base = TrainParams { algorithm: self, c: 10.0, smoothing: 0.1, max_features: 0, min_df: 2, max_iterations: 300 };
        match self {
            Algorithm::SparseLogistic => base,
            Algorithm::Logistic => TrainParams { c: 3.0, max_features: 8_000, max_iterations: 150, ..base },
            Algorithm::NaiveBayes => TrainParams { max_features: 8_000, ..base },
            // SMO works on the dense n × n kernel matrix: fewer features keep it quick.
            Algorithm::Svm => TrainParams { c: 1.0, max_features: 2_000, ..base },
        }
    }

    /// The values of the algorithm's main knob that `train` compares by cross-validation.
    pub fn grid(self) -> Vec<TrainParams> {
        let d = self.defaults();
        match self {
            Algorithm::SparseLogistic => [1.0, 3.0, 10.0, 30.0].iter().map(|&c| TrainParams { c, ..d }).collect(),
            Algorithm::Logistic => [1.0, 3.0, 10.0].iter().map(|&c| TrainParams { c, ..d }).collect(),
            Algorithm::NaiveBayes => [0.03, 0.1, 0.3, 1.0].iter().map(|&smoothing| TrainParams { smoothing, ..d }).collect(),
            Algorithm::Svm => [0.3, 1.0, 3.0].iter().map(|&c| TrainParams { c, ..d }).collect(),
        }
    }
}

/// Labelled, normalized documents of one task.
pub struct Corpus<'a> {
    pub task: Task,
    pub labels: &'a [String],
    pub docs: &'a [Vec<Term>],
    /// Gold label indexes per document (exactly one for single-label tasks).
    pub gold: &'a [Vec<usize>],
    pub normalizer: NormalizerSettings,
    pub features: FeatureSettings,
}

/// Fits a model on the documents at `rows` (all when `None`).
pub fn fit(corpus: &Corpus, vectors: &[Vec<(u32, f32)>], rows: Option<&[usize]>, params: TrainParams) -> Result<LinearModel, ModelError> {
    fit_weighted(corpus, vectors, rows, None, None, params)
}

/// [`fit`] with a weight per document (indexed like `corpus.docs`) on its loss, and per
/// document the classes its label was chosen among (bit `c` for class `c`): a document of
/// a corpus that left a class out (polarity-only tweets have no neutral) is scored by the
/// softmax over its corpus's classes only, so it teaches which of those, not that the left
/// out class never occurs. Sparse-logistic, single-label only.
pub fn fit_weighted(
    corpus: &Corpus,
    vectors: &[Vec<(u32, f32)>],
    rows: Option<&[usize]>,
    doc_weights: Option<&[f64]>,
    doc_classes: Option<&[u8]>,
    params: TrainParams,
) -> Result<LinearModel, ModelError> {
    if doc_weights.is_some() && params.algorithm != Algorithm::SparseLogistic {
        return Err(ModelError::Training(format!("{} does not take document weights", params.algorithm.as_str())));
    }
    if !params.algorithm.supports(corpus.task) {
        return Err(ModelError::Training(format!("{} cannot learn the {} task", params.algorithm.as_str(), corpus.task.as_str())));
    }
    let all: Vec<usize>;
    let rows = match rows {
        Some(r) => r,
        None => {
            all = (0..vectors.len()).collect();
            &all
        }
    };
    let c = corpus.labels.len();
    if rows.is_empty() || c == 0 {
        return Err(ModelError::Training("no training documents".into()));
    }
    if !corpus.task.is_multilabel() {
        for (i, l) in corpus.labels.iter().enumerate() {
            // A label no document's corpus has (a model of polarity-only corpora) stays
            // untrained; a label that could occur but never does is an error.
            let possible = doc_classes.is_none_or(|m| rows.iter().any(|&r| i >= 8 || m[r] & (1 << i) != 0));
            if possible && !rows.iter().any(|&r| corpus.gold[r].contains(&i)) {
                return Err(ModelError::Training(format!("no training document has the label `{l}`")));
            }
        }
    }
    let (feature_ids, idf) = select_features(vectors, corpus.gold, rows, c, params);
    let design = Design::new(vectors, rows, &feature_ids, &idf);
    let gold: Vec<&[usize]> = rows.iter().map(|&r| corpus.gold[r].as_slice()).collect();
    let row_weights: Vec<f64> = match doc_weights {
        Some(w) => rows.iter().map(|&r| w[r]).collect(),
        None => vec![1.0; rows.len()],
    };
    let row_classes: Vec<u8> = match doc_classes {
        Some(m) => rows.iter().map(|&r| m[r]).collect(),
        None => vec![u8::MAX; rows.len()],
    };
    let (weights, intercept) = match params.algorithm {
        Algorithm::SparseLogistic => fit_sparse_logistic(&design, &gold, &row_weights, &row_classes, c, corpus.task.is_multilabel(), params, None),
        Algorithm::Logistic => fit_linfa_logistic(&design, &gold, c, params)?,
        Algorithm::NaiveBayes => fit_naive_bayes(&design, &gold, c, params)?,
        Algorithm::Svm => fit_svm(&design, &gold, c, params)?,
    };
    Ok(LinearModel::new(
        corpus.task,
        params.algorithm.as_str(),
        corpus.labels.to_vec(),
        corpus.normalizer,
        corpus.features,
        params,
        rows.len(),
        feature_ids,
        idf,
        weights,
        intercept,
    ))
}

/// Featurized documents with their gold labels and weights, indexed alike.
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a> {
    pub vectors: &'a [Vec<(u32, f32)>],
    pub gold: &'a [Vec<usize>],
    pub weights: &'a [f64],
}

/// A model over `labels` on `base`'s feature space (its selected features and IDF, so the
/// two score from one feature vector per document): one sigmoid per label when `task` is
/// multi-label, else a softmax; fitted on the documents `rows` of `data`.
pub fn fit_on_space(base: &LinearModel, task: Task, labels: Vec<String>, data: Labelled, rows: &[usize], c: f64) -> LinearModel {
    let Labelled { vectors, gold, weights } = data;
    let design = Design::new(vectors, rows, &base.feature_ids, &base.idf);
    let g: Vec<&[usize]> = rows.iter().map(|&r| gold[r].as_slice()).collect();
    let w: Vec<f64> = rows.iter().map(|&r| weights[r]).collect();
    let params = TrainParams { c, ..base.params };
    let (weights, intercept) = fit_sparse_logistic(&design, &g, &w, &vec![u8::MAX; rows.len()], labels.len(), task.is_multilabel(), params, None);
    LinearModel::new(
        task,
        "sparse-logistic",
        labels,
        base.normalizer,
        base.features,
        params,
        rows.len(),
        base.feature_ids.clone(),
        base.idf.clone(),
        weights,
        intercept,
    )
}

/// Adapts a trained single-label model to new labelled documents (`gold` indexes into
/// `base.labels`) without the base's training data: logistic regression penalized towards
/// the base's weights instead of towards zero (Chelba & Acero 2004, "Adaptation of maximum
/// entropy capitalizer: little data can help a lot"). The features are the base's (with its
/// IDF) plus those of the new documents it lacks that occur in `min_df` of them or more (IDF
/// from the new documents, prior weight 0). `vectors` are the documents' hashed features
/// under `base.features`; `rows` the documents to fit on.
pub fn fit_towards(
    base: &LinearModel,
    vectors: &[Vec<(u32, f32)>],
    gold: &[Vec<usize>],
    rows: &[usize],
    c: f64,
    min_df: u32,
) -> Result<LinearModel, ModelError> {
    let labels = base.labels.len();
    if base.task.is_multilabel() {
        return Err(ModelError::Training("adapting a multi-label (topic) model is not supported".into()));
    }
    if rows.is_empty() {
        return Err(ModelError::Training("no labelled documents to adapt to".into()));
    }
    let mut df: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    for &r in rows {
        for &(id, _) in &vectors[r] {
            if base.feature_ids.binary_search(&id).is_err() {
                *df.entry(id).or_default() += 1;
            }
        }
    }
    let n = rows.len() as f64;
    let mut merged: Vec<(u32, f32, Option<usize>)> =
        base.feature_ids.iter().zip(&base.idf).enumerate().map(|(col, (&id, &idf))| (id, idf, Some(col))).collect();
    merged.extend(df.into_iter().filter(|&(_, d)| d >= min_df).map(|(id, d)| (id, ((1.0 + n) / (1.0 + d as f64)).ln() as f32 + 1.0, None)));
    merged.sort_unstable_by_key(|m| m.0);
    let feature_ids: Vec<u32> = merged.iter().map(|m| m.0).collect();
    let idf: Vec<f32> = merged.iter().map(|m| m.1).collect();
    let mut prior = vec![0.0f64; feature_ids.len() * labels + labels];
    for (col, m) in merged.iter().enumerate() {
        if let Some(b) = m.2 {
            for j in 0..labels {
                prior[col * labels + j] = base.weights[b * labels + j] as f64;
            }
        }
    }
    let at = feature_ids.len() * labels;
    for (p, &b) in prior[at..].iter_mut().zip(&base.intercept) {
        *p = b as f64;
    }
    let design = Design::new(vectors, rows, &feature_ids, &idf);
    let gold: Vec<&[usize]> = rows.iter().map(|&r| gold[r].as_slice()).collect();
    let params = TrainParams { c, min_df, max_features: 0, ..Algorithm::SparseLogistic.defaults() };
    let (weights, intercept) = fit_sparse_logistic(&design, &gold, &vec![1.0; rows.len()], &vec![u8::MAX; rows.len()], labels, false, params, Some(&prior));
    let mut m = LinearModel::new(
        base.task,
        "sparse-logistic",
        base.labels.clone(),
        base.normalizer,
        base.features,
        params,
        rows.len(),
        feature_ids,
        idf,
        weights,
        intercept,
    );
    m.threshold = base.threshold;
    Ok(m)
}

/// Hashed features of every document.
pub fn featurize_all(docs: &[Vec<Term>], features: &FeatureSettings) -> Vec<Vec<(u32, f32)>> {
    docs.par_iter()
        .map(|terms| {
            let mut v = Vec::new();
            featurize(terms, features, &mut v);
            v
        })
        .collect()
}

/// Features that occur in at least `min_df` training documents, the `max_features` best by
/// chi² (summed over one-vs-rest label tables), sorted by id, with their smoothed IDF.
fn select_features(vectors: &[Vec<(u32, f32)>], gold: &[Vec<usize>], rows: &[usize], c: usize, params: TrainParams) -> (Vec<u32>, Vec<f32>) {
    let n = rows.len() as f64;
    let mut df: std::collections::HashMap<u32, (u32, Vec<u32>)> = std::collections::HashMap::new();
    let mut label_n = vec![0u32; c];
    for &r in rows {
        for &g in &gold[r] {
            label_n[g] += 1;
        }
        for &(id, _) in &vectors[r] {
            let e = df.entry(id).or_insert_with(|| (0, vec![0; c]));
            e.0 += 1;
            for &g in &gold[r] {
                e.1[g] += 1;
            }
        }
    }
    let mut kept: Vec<(u32, f64)> = df
        .iter()
        .filter(|(_, (d, _))| *d >= params.min_df)
        .map(|(&id, (d, per))| {
            let d = *d as f64;
            let chi: f64 = (0..c)
                .map(|k| {
                    // 2×2 table: feature present/absent × label yes/no.
                    let (a, b) = (per[k] as f64, d - per[k] as f64);
                    let (cc, dd) = (label_n[k] as f64 - a, n - d - (label_n[k] as f64 - a));
                    let den = (a + b) * (cc + dd) * (a + cc) * (b + dd);
                    if den > 0.0 {
                        n * (a * dd - b * cc).powi(2) / den
                    } else {
                        0.0
                    }
                })
                .sum();
            (id, chi)
        })
        .collect();
    if params.max_features > 0 && kept.len() > params.max_features {
        kept.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(params.max_features);
    }
    let mut ids: Vec<u32> = kept.into_iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    let idf = ids.iter().map(|id| ((1.0 + n) / (1.0 + df[id].0 as f64)).ln() as f32 + 1.0).collect();
    (ids, idf)
}

/// Training rows in compressed sparse row form: L2-normalized TF-IDF over selected columns.
struct Design {
    start: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
    width: usize,
}

impl Design {
    fn new(vectors: &[Vec<(u32, f32)>], rows: &[usize], feature_ids: &[u32], idf: &[f32]) -> Design {
        let mut d = Design { start: vec![0], cols: Vec::new(), vals: Vec::new(), width: feature_ids.len() };
        for &r in rows {
            let from = d.cols.len();
            for &(id, tf) in &vectors[r] {
                if let Ok(col) = feature_ids.binary_search(&id) {
                    d.cols.push(col as u32);
                    d.vals.push((tf * idf[col]) as f64);
                }
            }
            let norm = d.vals[from..].iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                d.vals[from..].iter_mut().for_each(|v| *v /= norm);
            }
            d.start.push(d.cols.len());
        }
        d
    }

    fn rows(&self) -> usize {
        self.start.len() - 1
    }

    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.start[i]..self.start[i + 1];
        self.cols[r.clone()].iter().map(|&c| c as usize).zip(self.vals[r].iter().copied())
    }

    fn dense(&self) -> Array2<f64> {
        let mut x = Array2::<f64>::zeros((self.rows(), self.width));
        for i in 0..self.rows() {
            for (col, v) in self.row(i) {
                x[[i, col]] = v;
            }
        }
        x
    }
}

/// `C · Σ loss + ½‖W‖²` minimized by L-BFGS; softmax loss for single-label tasks, a sum of
/// per-label logistic losses for multi-label ones. Intercepts are not penalized. With a
/// `prior` (weights then intercepts, as `w`), the penalty is `½‖W − W₀‖²` on the weights
/// and the intercepts both: the fit starts at the prior and moves only as far as the data
/// pulls it.
#[allow(clippy::too_many_arguments)]
fn fit_sparse_logistic(
    x: &Design,
    gold: &[&[usize]],
    doc_weights: &[f64],
    doc_classes: &[u8],
    c: usize,
    multilabel: bool,
    params: TrainParams,
    prior: Option<&[f64]>,
) -> (Vec<f32>, Vec<f32>) {
    let k = x.width;
    let mut w = match prior {
        Some(p) => p.to_vec(),
        None => vec![0.0f64; k * c + c],
    };
    let objective = |w: &[f64], g: &mut [f64]| -> f64 {
        let (weights, bias) = w.split_at(k * c);
        g.fill(0.0);
        let mut loss = 0.0;
        let mut z = vec![0.0; c];
        for (i, ((y, &dw), &allowed)) in gold.iter().zip(doc_weights).zip(doc_classes).enumerate() {
            z.copy_from_slice(bias);
            for (col, v) in x.row(i) {
                for (zj, wj) in z.iter_mut().zip(&weights[col * c..col * c + c]) {
                    *zj += v * wj;
                }
            }
            if multilabel {
                for (j, zj) in z.iter_mut().enumerate() {
                    let t = if y.contains(&j) { 1.0 } else { 0.0 };
                    // log(1 + e^z) - t·z, computed stably.
                    loss += dw * (zj.max(0.0) + (-zj.abs()).exp().ln_1p() - t * *zj);
                    *zj = dw * (1.0 / (1.0 + (-*zj).exp()) - t);
                }
            } else {
                let on = |j: usize| j >= 8 || allowed & (1 << j) != 0;
                let max = z.iter().enumerate().filter(|(j, _)| on(*j)).map(|(_, v)| *v).fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = z.iter().enumerate().filter(|(j, _)| on(*j)).map(|(_, v)| (v - max).exp()).sum();
                let lse = max + sum.ln();
                loss += dw * (lse - z[y[0]]);
                for (j, zj) in z.iter_mut().enumerate() {
                    *zj = if on(j) { dw * ((*zj - lse).exp() - if j == y[0] { 1.0 } else { 0.0 }) } else { 0.0 };
                }
            }
            let (gw, gb) = g.split_at_mut(k * c);
            for (col, v) in x.row(i) {
                for (gj, dz) in gw[col * c..col * c + c].iter_mut().zip(&z) {
                    *gj += params.c * v * dz;
                }
            }
            for (gj, dz) in gb.iter_mut().zip(&z) {
                *gj += params.c * dz;
            }
        }
        let mut reg = 0.0;
        match prior {
            None => {
                for (gj, wj) in g[..k * c].iter_mut().zip(weights) {
                    *gj += wj;
                    reg += wj * wj;
                }
            }
            Some(p) => {
                for ((gj, wj), pj) in g.iter_mut().zip(w).zip(p) {
                    let d = wj - pj;
                    *gj += d;
                    reg += d * d;
                }
            }
        }
        params.c * loss + 0.5 * reg
    };
    lbfgs::minimize(&mut w, objective, params.max_iterations as usize, 1e-6);
    let intercept = w[k * c..].iter().map(|&v| v as f32).collect();
    w.truncate(k * c);
    (w.into_iter().map(|v| v as f32).collect(), intercept)
}

fn single_labels(gold: &[&[usize]]) -> Array1<usize> {
    gold.iter().map(|g| g[0]).collect()
}

/// linfa-logistic on the dense design; `alpha = 1 / C` (its loss is summed over documents).
fn fit_linfa_logistic(x: &Design, gold: &[&[usize]], c: usize, params: TrainParams) -> Result<(Vec<f32>, Vec<f32>), ModelError> {
    let k = x.width;
    let dataset = Dataset::new(x.dense(), single_labels(gold));
    let fitted = MultiLogisticRegression::default()
        .alpha(1.0 / params.c)
        .max_iterations(params.max_iterations)
        .fit(&dataset)
        .map_err(|e| ModelError::Training(e.to_string()))?;
    let p = fitted.params();
    let mut weights = vec![0f32; k * c];
    let mut intercept = vec![-1e4f32; c];
    // Columns follow linfa's sorted classes.
    for (j, &class) in fitted.classes().iter().enumerate() {
        intercept[class] = fitted.intercept()[j] as f32;
        for f in 0..k {
            weights[f * c + class] = p[[f, j]] as f32;
        }
    }
    Ok((weights, intercept))
}

/// Multinomial naive Bayes with Lidstone smoothing, the estimator of linfa-bayes'
/// `MultinomialNb` (whose 0.8.1 release prints the whole model to stderr on every fit, a
/// left-over `dbg!`, so it is computed here): `log P(class) + Σ x_f · log P(f | class)`,
/// linear in the features.
fn fit_naive_bayes(x: &Design, gold: &[&[usize]], c: usize, params: TrainParams) -> Result<(Vec<f32>, Vec<f32>), ModelError> {
    let k = x.width;
    let mut counts = vec![0.0f64; k * c];
    let mut docs = vec![0usize; c];
    for (i, g) in gold.iter().enumerate() {
        docs[g[0]] += 1;
        for (col, v) in x.row(i) {
            counts[col * c + g[0]] += v;
        }
    }
    let alpha = params.smoothing.max(1e-10);
    let mut weights = vec![0f32; k * c];
    let mut intercept = vec![-1e4f32; c];
    for class in 0..c {
        if docs[class] == 0 {
            continue;
        }
        intercept[class] = (docs[class] as f64 / gold.len() as f64).ln() as f32;
        let total: f64 = (0..k).map(|f| counts[f * c + class]).sum::<f64>() + alpha * k as f64;
        for f in 0..k {
            weights[f * c + class] = ((counts[f * c + class] + alpha) / total).ln() as f32;
        }
    }
    Ok((weights, intercept))
}

/// linfa-svm, linear kernel, one-vs-rest: one binary SVM per label; its hyperplane is read
/// back through `weighted_sum` of unit vectors (`w_f`) and `rho` (the offset). Scores are
/// the softmax of the margins, not calibrated probabilities.
fn fit_svm(x: &Design, gold: &[&[usize]], c: usize, params: TrainParams) -> Result<(Vec<f32>, Vec<f32>), ModelError> {
    use linfa_svm::Svm;
    let k = x.width;
    let records = x.dense();
    let mut weights = vec![0f32; k * c];
    let mut intercept = vec![0f32; c];
    for class in 0..c {
        let y: Array1<bool> = gold.iter().map(|g| g[0] == class).collect();
        if !y.iter().any(|&b| b) {
            intercept[class] = -1e4;
            continue;
        }
        let dataset = Dataset::new(records.clone(), y);
        let svm =
            Svm::<f64, bool>::params().linear_kernel().pos_neg_weights(params.c, params.c).fit(&dataset).map_err(|e| ModelError::Training(e.to_string()))?;
        let mut unit = Array1::<f64>::zeros(k);
        for f in 0..k {
            unit[f] = 1.0;
            weights[f * c + class] = svm.weighted_sum(&unit) as f32;
            unit[f] = 0.0;
        }
        intercept[class] = -svm.rho as f32;
    }
    Ok((weights, intercept))
}

/// k-fold cross-validation with a seeded shuffle; the folds are fitted in parallel.
pub fn cross_validate(corpus: &Corpus, vectors: &[Vec<(u32, f32)>], params: TrainParams, folds: usize) -> Result<CvScores, ModelError> {
    let (scores, fit_s) = out_of_fold_scores(corpus, vectors, params, folds)?;
    Ok(score_out_of_fold(corpus, &scores, folds, fit_s))
}

/// Every document's class scores from the fold model that did not see it, and the mean
/// seconds per fold fit.
pub fn out_of_fold_scores(corpus: &Corpus, vectors: &[Vec<(u32, f32)>], params: TrainParams, folds: usize) -> Result<(Vec<Vec<f32>>, f64), ModelError> {
    let n = corpus.docs.len();
    if folds < 2 || n < folds {
        return Err(ModelError::Training(format!("{folds}-fold cross-validation needs at least {folds} documents")));
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::synth::Rng::new(17);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    // Per fold: out-of-fold predictions (document, scores) and the seconds to fit.
    type Fold = Result<(Vec<(usize, Vec<f32>)>, f64), ModelError>;
    let results: Vec<Fold> = (0..folds)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = order.iter().enumerate().filter(|(i, _)| i % folds != f).map(|(_, &d)| d).collect();
            let started = Instant::now();
            let model = fit(corpus, vectors, Some(&train), params)?;
            let secs = started.elapsed().as_secs_f64();
            let scores = order.iter().enumerate().filter(|(i, _)| i % folds == f).map(|(_, &d)| (d, model.scores(&corpus.docs[d]))).collect();
            Ok((scores, secs))
        })
        .collect();
    let mut scores = vec![Vec::new(); n];
    let mut fit_s = 0.0;
    for r in results {
        let (p, secs) = r?;
        fit_s += secs / folds as f64;
        for (d, s) in p {
            scores[d] = s;
        }
    }
    Ok((scores, fit_s))
}

/// Scores out-of-fold predictions; for topics also picks the probability threshold.
pub fn score_out_of_fold(corpus: &Corpus, scores: &[Vec<f32>], folds: usize, fit_s: f64) -> CvScores {
    let multilabel = corpus.task.is_multilabel();
    // Topics: the threshold is chosen on the same out-of-fold scores.
    let thresholds: &[f32] = if multilabel { &[0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5] } else { &[0.5] };
    let mut best: Option<(metrics::Report, f32)> = None;
    for &t in thresholds {
        let predicted: Vec<Vec<usize>> = scores.iter().map(|s| LinearModel::label_set(s, multilabel, t)).collect();
        let report = metrics::evaluate_sets(corpus.labels, multilabel, corpus.gold, &predicted);
        if best.as_ref().is_none_or(|(b, _)| report.micro_f1 > b.micro_f1) {
            best = Some((report, t));
        }
    }
    let (report, threshold) = best.expect("at least one threshold");
    CvScores { folds, accuracy: report.accuracy, micro_f1: report.micro_f1, macro_f1: report.macro_f1, fit_s, threshold: multilabel.then_some(threshold) }
}

/// Compares the settings by k-fold cross-validation (best micro-F1, ties to the earlier
/// one) and trains the final model on all documents with the best; returns the model with
/// its selection table.
pub fn select_and_train(corpus: &Corpus, grid: &[TrainParams], folds: usize) -> Result<LinearModel, ModelError> {
    let vectors = featurize_all(corpus.docs, &corpus.features);
    let mut candidates = Vec::new();
    for &params in grid {
        let cv = cross_validate(corpus, &vectors, params, folds)?;
        candidates.push(Candidate { params, cv });
    }
    let best = candidates
        .iter()
        .fold(None::<&Candidate>, |best, c| match best {
            Some(b) if b.cv.micro_f1 >= c.cv.micro_f1 => Some(b),
            _ => Some(c),
        })
        .ok_or_else(|| ModelError::Training("empty parameter grid".into()))?
        .clone();
    let mut model = fit(corpus, &vectors, None, best.params)?;
    if let Some(t) = best.cv.threshold {
        model.threshold = t;
    }
    model.cv = Some(best.cv);
    model.selection = candidates;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Classifier;
    use crate::normalize::Normalizer;
    use std::path::Path;

    fn toy() -> (Vec<Vec<Term>>, Vec<Vec<usize>>) {
        let n = Normalizer::default();
        let texts = [
            ("super Service, danke", 2),
            ("toll und schnell", 2),
            ("sehr gut gemacht", 2),
            ("klasse Team", 2),
            ("schlecht und langsam", 0),
            ("nie wieder, furchtbar", 0),
            ("Verspätung schon wieder", 0),
            ("kaputt und teuer", 0),
            ("Zug fährt um zehn", 1),
            ("Gleis drei heute", 1),
            ("Fahrplan ab Montag", 1),
            ("Bahnhof in Ulm", 1),
        ];
        let docs = texts.iter().cycle().take(36).map(|(t, _)| n.normalize(t)).collect();
        let gold = texts.iter().cycle().take(36).map(|(_, g)| vec![*g]).collect();
        (docs, gold)
    }

    fn corpus<'a>(labels: &'a [String], docs: &'a [Vec<Term>], gold: &'a [Vec<usize>], task: Task) -> Corpus<'a> {
        Corpus { task, labels, docs, gold, normalizer: NormalizerSettings::default(), features: FeatureSettings::default() }
    }

    #[test]
    fn every_algorithm_learns_a_toy_problem_and_round_trips_through_json() {
        let (docs, gold) = toy();
        let labels = Task::Sentiment.labels();
        let c = corpus(&labels, &docs, &gold, Task::Sentiment);
        let vectors = featurize_all(&docs, &c.features);
        let n = Normalizer::default();
        for algorithm in Algorithm::ALL {
            let params = TrainParams { min_df: 1, max_features: 500, max_iterations: 100, ..algorithm.defaults() };
            let m = fit(&c, &vectors, None, params).unwrap();
            assert_eq!(m.predict(&n.normalize("super, danke")).label, 2, "{algorithm:?}");
            assert_eq!(m.predict(&n.normalize("furchtbar langsam")).label, 0, "{algorithm:?}");
            let back = LinearModel::from_json(&m.to_json(), Path::new("m.json"), Some(Task::Sentiment)).unwrap();
            let t = n.normalize("toll gemacht");
            assert_eq!(back.scores(&t), m.scores(&t), "identical predictions after save and load");
        }
    }

    #[test]
    fn sparse_logistic_matches_the_optimum_of_a_one_feature_problem() {
        // One binary feature x ∈ {0, 1} and labels with P(y=1|x=1) = 3/4, P(y=1|x=0) = 1/4:
        // with a negligible penalty the sigmoid must recover those probabilities.
        let rows = [vec![(7u32, 1.0f32)], vec![(7, 1.0)], vec![(7, 1.0)], vec![(7, 1.0)], vec![], vec![], vec![], vec![]];
        let gold = [1usize, 1, 1, 0, 0, 0, 0, 1];
        let design = Design::new(&rows, &(0..8).collect::<Vec<_>>(), &[7], &[1.0]);
        let gold_sets: Vec<Vec<usize>> = gold.iter().map(|&g| vec![g]).collect();
        let gold_refs: Vec<&[usize]> = gold_sets.iter().map(|g| g.as_slice()).collect();
        let params = TrainParams { c: 1e6, ..Algorithm::SparseLogistic.defaults() };
        let (w, b) = fit_sparse_logistic(&design, &gold_refs, &[1.0; 8], &[u8::MAX; 8], 2, false, params, None);
        let p = |x: f32| {
            let z1 = b[1] + x * w[1];
            let z0 = b[0] + x * w[0];
            1.0 / (1.0 + (z0 - z1).exp())
        };
        assert!((p(1.0) - 0.75).abs() < 1e-3, "{}", p(1.0));
        assert!((p(0.0) - 0.25).abs() < 1e-3, "{}", p(0.0));
    }

    fn sentiment_model() -> LinearModel {
        let n = Normalizer::default();
        let docs: Vec<Vec<Term>> = ["gut", "schlecht", "Zug", "toll", "mies", "Gleis"].iter().map(|t| n.normalize(t)).collect();
        let gold: Vec<Vec<usize>> = [2, 0, 1, 2, 0, 1].iter().map(|&g| vec![g]).collect();
        let labels = Task::Sentiment.labels();
        let corpus =
            Corpus { task: Task::Sentiment, labels: &labels, docs: &docs, gold: &gold, normalizer: n.settings(), features: FeatureSettings::default() };
        let vectors = featurize_all(&docs, &corpus.features);
        fit(&corpus, &vectors, None, TrainParams { min_df: 1, ..Algorithm::SparseLogistic.defaults() }).unwrap()
    }

    #[test]
    fn wrong_task_version_or_garbage_is_a_clear_error() {
        let m = sentiment_model();
        let p = Path::new("models/x/model.json");
        let e = LinearModel::from_json(&m.to_json(), p, Some(Task::Relevance)).unwrap_err().to_string();
        assert!(e.contains("models/x/model.json: a sentiment model, but a relevance model is needed"), "{e}");
        let old = m.to_json().replace("\"format_version\":1", "\"format_version\":0");
        assert!(LinearModel::from_json(&old, p, None).unwrap_err().to_string().contains("model format 0"));
        assert!(LinearModel::from_json("{\"a\":", p, None).unwrap_err().to_string().contains("not a resonanz model"));
        let cut = m.to_json().replacen("\"intercept\":[", "\"intercept\":[1.0,", 1);
        assert!(LinearModel::from_json(&cut, p, None).unwrap_err().to_string().contains("array sizes do not match"));
        let bad_id = m.to_json().replacen("\"feature_ids\":[", "\"feature_ids\":[4294967295,", 1).replacen("\"idf\":[", "\"idf\":[1.0,", 1);
        assert!(LinearModel::from_json(&bad_id, p, None).is_err());
    }

    #[test]
    fn topics_are_multi_label() {
        let n = Normalizer::default();
        let texts = [
            ("Zug wieder verspätet", vec![0]),
            ("Verspätung und kein WLAN", vec![0, 1]),
            ("WLAN im ICE kaputt", vec![1]),
            ("Internet im Zug geht nicht", vec![1]),
            ("zwanzig Minuten Verspätung", vec![0]),
            ("Anschluss verpasst wegen Verspätung", vec![0]),
        ];
        let docs: Vec<Vec<Term>> = texts.iter().cycle().take(30).map(|(t, _)| n.normalize(t)).collect();
        let gold: Vec<Vec<usize>> = texts.iter().cycle().take(30).map(|(_, g)| g.clone()).collect();
        let labels = vec!["Pünktlichkeit".to_string(), "WLAN".to_string()];
        let c = corpus(&labels, &docs, &gold, Task::Topic);
        let vectors = featurize_all(&docs, &c.features);
        let m = fit(&c, &vectors, None, TrainParams { min_df: 1, c: 100.0, ..Algorithm::SparseLogistic.defaults() }).unwrap();
        assert_eq!(m.predict_set(&n.normalize("Verspätung und kein WLAN")), vec![0, 1]);
        assert_eq!(m.predict_set(&n.normalize("WLAN im ICE kaputt")), vec![1]);
        assert_eq!(m.predict_set(&n.normalize("Anschluss verpasst")), vec![0]);
        assert!(fit(&c, &vectors, None, Algorithm::NaiveBayes.defaults()).is_err(), "naive Bayes is single-label");
    }
}
