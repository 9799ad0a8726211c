//! Training the default sentiment classifier across corpora, and measuring it the way a
//! user meets it: on a corpus it never saw (leave one corpus out).
//!
//! Each corpus is a domain (rail feedback, political tweets, brand tweets, …). The pooled
//! linear model is trained with [`balanced_weights`]: every corpus weighs the same, every
//! class weighs the same inside its corpus. On its feature space sit the domain model's
//! parts: a one-vs-rest gate over the corpora and, per corpus labelling all three classes,
//! an expert trained on that corpus alone with its own class mix. The stacker
//! ([`crate::classify::stacked`]) is fitted on two kinds of rows per corpus `O`: `O` scored
//! by models trained without `O` (how they do on an unseen domain), and `O`'s documents
//! scored by models trained without that document's in-domain fold (how they do on new text
//! of a known domain). For the leave-one-corpus-out table the same is done one level
//! deeper: for the held-out corpus `H`, everything the stacker learns from is trained
//! without `H`, so nothing of `H` is seen before it is scored.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use super::data::Example;
use super::TrainError;
use crate::classify::features::FeatureSettings;
use crate::classify::lexicon::{Evidence, LexiconSentiment};
use crate::classify::linear::{LinearModel, ModelError};
use crate::classify::stacked::{adapt, domain_labels, estimate_prior, stack_features, Context, Route, Stack, ROUTE_GATE, STACK_FEATURES, STACK_FORMAT};

/// The typical mix the final stacker was given, for the caller to pick variants with.
pub type Mix = [f32; 3];
use super::fit::{featurize_all, fit, fit_on_space, fit_weighted, Algorithm, Corpus, Labelled, TrainParams};
use super::{lbfgs, metrics};
use crate::classify::{argmax, Classifier, Task};
use crate::normalize::{tokenize::Kind, Normalizer, Term};

/// One labelled corpus, a domain of its own.
pub struct Domain {
    pub name: String,
    pub sources: Vec<String>,
    pub examples: Vec<Example>,
}

/// Settings of a cross-domain training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    /// Inverse L2 penalty of the linear model (see [`TrainParams::c`]).
    pub c: f64,
    pub min_df: u32,
    /// Features kept after chi² ranking; 0 keeps all that pass `min_df`.
    pub max_features: usize,
    /// L2 penalty of the stacker's weights, per unit of (normalized) document weight.
    pub stack_l2: f64,
    /// In-domain folds for the stacker's in-domain rows; 1 or 0: leave-one-corpus-out rows
    /// only (the stacker then learns to trust the model as on unseen domains everywhere).
    pub folds: usize,
    /// Inverse L2 penalty of the domain gate.
    pub gate_c: f64,
    /// Per-corpus experts beside the gate (false: the gate alone).
    pub experts: bool,
    /// The corpus (index into the domains) whose own model ([`Outcome::route_model`]) alone
    /// scores text of its kind with one of its anchors ([`Route`]); it needs an expert (a
    /// corpus labelling all three classes). Not in the tables: held out, a corpus has no
    /// model to be routed to, and the in-domain rows are the stacker's.
    pub route: Option<usize>,
    /// Keep every stacker row in [`Outcome::stack_rows`] (`bench --stack-rows`); not a
    /// training setting, so not in the model card.
    #[serde(skip)]
    pub keep_stack_rows: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { c: 3.0, min_df: 2, max_features: 0, stack_l2: 1e-3, folds: 2, gate_c: 10.0, experts: true, route: None, keep_stack_rows: false }
    }
}

/// Scores of one classifier variant on one held-out corpus.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub corpus: String,
    pub variant: String,
    pub n: u64,
    pub accuracy: f64,
    pub micro_f1: f64,
    pub macro_f1: f64,
    /// Shares in %, order negative, neutral, positive.
    pub true_share: [f64; 3],
    pub predicted_share: [f64; 3],
    /// Largest |predicted − true| share of negative or positive, in percentage points.
    pub share_error_pp: f64,
    /// Rows gold, columns predicted.
    pub confusion: Vec<Vec<u64>>,
}

/// The variants scored per held-out corpus: the linear model alone, the lexicon alone, and
/// the stacked classifier under its training prior, half-way to the typical mix (the mean
/// class mix of the training corpora) and at it, each also with the batch's prior
/// estimated by EM anchored there (strength 1), and by plain EM (Saerens et al.); last,
/// half-way with a weaker anchor (strength 0.7, `+em70`). (Strength 0.5 scored the
/// criterion higher still but went wrong on generated customer voices: model card.)
pub const VARIANTS: [&str; 9] =
    ["model", "lexicon", "stacked", "stacked+mix50", "stacked+mix50+em", "stacked+mix", "stacked+mix+em", "stacked+em", "stacked+mix50+em70"];

/// The stacker's prior settings for a `stacked…` variant: (how far towards the typical
/// mix, 0..1, and the EM strength if the batch prior is estimated).
pub fn variant_prior(variant: &str) -> Option<(f32, Option<f32>)> {
    match variant {
        "stacked" => Some((0.0, None)),
        "stacked+mix50" => Some((0.5, None)),
        "stacked+mix50+em" => Some((0.5, Some(1.0))),
        "stacked+mix" => Some((1.0, None)),
        "stacked+mix+em" => Some((1.0, Some(1.0))),
        "stacked+em" => Some((0.0, Some(0.0))),
        "stacked+mix50+em70" => Some((0.5, Some(0.7))),
        _ => None,
    }
}

/// The prior `t` of the way from `from` to `to` (geometric: `from^(1−t) · to^t`, normalized).
pub fn towards(from: &[f32; 3], to: &[f32; 3], t: f32) -> [f32; 3] {
    let v = [0, 1, 2].map(|c| from[c].max(1e-6).powf(1.0 - t) * to[c].max(1e-6).powf(t));
    let s: f32 = v.iter().sum();
    v.map(|x| x / s)
}

/// A trained default classifier and its leave-one-corpus-out table.
pub struct Outcome {
    pub model: LinearModel,
    /// The domain model (gate and experts) on the model's feature space (saved as
    /// `domains.json`).
    pub gate: LinearModel,
    pub stack: Stack,
    /// The typical mix: the mean class mix of the training corpora that label all classes.
    pub mix: Mix,
    pub held_out: Vec<Held>,
    /// Each corpus's in-domain out-of-fold documents scored by the final stacker: what to
    /// expect on new text from a training domain (empty with fewer than two folds).
    pub in_domain: Vec<Held>,
    /// With a route: the model of the routed corpus alone, on features of its own
    /// ([`Route::own_model`], saved as `route.json`).
    pub route_model: Option<LinearModel>,
    /// With [`Settings::keep_stack_rows`]: every row each stacker was fitted on or scored,
    /// so that other ways of stacking and of estimating a batch's prior can be tried on them
    /// without retraining (`bench --stack-rows`).
    pub stack_rows: Vec<StackRow>,
}

/// One row of a stacker's inputs: a document as one of the stackers saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct StackRow {
    /// The corpus held out of the stacker's training (the leave-one-corpus-out table's
    /// stacker for that corpus), or `None` for the final (shipped) stacker.
    pub stacker: Option<usize>,
    /// Fitted on (`true`), or scored by the held-out corpus's stacker (`false`).
    pub fitted: bool,
    /// The document (corpora in order, each in file order).
    pub document: usize,
    pub corpus: usize,
    /// Scored by models that never saw its corpus (`true`), or by models that saw its
    /// corpus but not its in-domain fold.
    pub unseen_corpus: bool,
    /// The gold label (index into the sentiment labels).
    pub gold: usize,
    /// The stacker's inputs ([`crate::classify::stacked::STACK_INPUTS`] names them).
    pub inputs: [f32; STACK_FEATURES],
}

/// Document weights: `N / (corpora × classes in the corpus × documents of the class in the
/// corpus)`, so each corpus and each class within it carries the same mass.
pub fn balanced_weights(domain_of: &[usize], gold: &[usize], domains: usize) -> Vec<f64> {
    let mut count = vec![[0usize; 3]; domains];
    for (&d, &g) in domain_of.iter().zip(gold) {
        count[d][g] += 1;
    }
    let n = gold.len() as f64;
    domain_of
        .iter()
        .zip(gold)
        .map(|(&d, &g)| {
            let classes = count[d].iter().filter(|&&k| k > 0).count() as f64;
            n / (domains as f64 * classes * count[d][g] as f64)
        })
        .collect()
}

/// Document weights `N / (groups present × documents of the group)`: every group carries
/// the same mass, the classes inside it as they come.
pub fn group_weights(group_of: &[usize], groups: usize) -> Vec<f64> {
    let mut count = vec![0usize; groups];
    group_of.iter().for_each(|&g| count[g] += 1);
    let present = count.iter().filter(|&&c| c > 0).count() as f64;
    let n = group_of.len() as f64;
    group_of.iter().map(|&g| n / (present * count[g] as f64)).collect()
}

/// Per document, the classes its corpus labels (bit `c` for class `c`).
pub fn corpus_classes(domain_of: &[usize], gold: &[usize], domains: usize) -> Vec<u8> {
    let mut mask = vec![0u8; domains];
    for (&d, &g) in domain_of.iter().zip(gold) {
        mask[d] |= 1 << g;
    }
    domain_of.iter().map(|&d| mask[d]).collect()
}

/// Multinomial logistic regression on dense stacker inputs: `Σ wᵢ · loss + ½ λ Σwᵢ ‖W‖²`
/// (intercepts free), by L-BFGS.
pub fn fit_stack(x: &[[f32; STACK_FEATURES]], y: &[usize], w: &[f64], classes: &[u8], l2: f64) -> (Vec<f32>, [f32; 3]) {
    let total: f64 = w.iter().sum::<f64>().max(1e-12);
    fit_stack_towards(x, y, w, classes, l2 * total, None)
}

/// [`fit_stack`] with the penalty `½ λ ‖W − W₀‖²` towards a `prior` stacker (weights then
/// intercepts; the intercepts stay free), started there, `lambda` not scaled by the data.
pub fn fit_stack_towards(x: &[[f32; STACK_FEATURES]], y: &[usize], w: &[f64], classes: &[u8], lambda: f64, prior: Option<&[f64]>) -> (Vec<f32>, [f32; 3]) {
    const F: usize = STACK_FEATURES;
    let zero = vec![0.0f64; 3 * F + 3];
    let prior = prior.unwrap_or(&zero);
    let mut theta = prior.to_vec();
    let objective = |t: &[f64], g: &mut [f64]| -> f64 {
        g.fill(0.0);
        let mut loss = 0.0;
        for (((xi, &yi), &wi), &allowed) in x.iter().zip(y).zip(w).zip(classes) {
            let mut z = [0f64; 3];
            for (j, zj) in z.iter_mut().enumerate() {
                *zj = t[3 * F + j] + (0..F).map(|f| t[j * F + f] * xi[f] as f64).sum::<f64>();
            }
            // The softmax over the classes the document's corpus labels (see fit_weighted).
            let on = |j: usize| allowed & (1 << j) != 0;
            let max = (0..3).filter(|&j| on(j)).map(|j| z[j]).fold(f64::NEG_INFINITY, f64::max);
            let lse = max + (0..3).filter(|&j| on(j)).map(|j| (z[j] - max).exp()).sum::<f64>().ln();
            loss += wi * (lse - z[yi]);
            for j in 0..3 {
                if !on(j) {
                    continue;
                }
                let d = wi * ((z[j] - lse).exp() - if j == yi { 1.0 } else { 0.0 });
                for f in 0..F {
                    g[j * F + f] += d * xi[f] as f64;
                }
                g[3 * F + j] += d;
            }
        }
        let mut reg = 0.0;
        for ((gj, tj), pj) in g[..3 * F].iter_mut().zip(&t[..3 * F]).zip(prior) {
            *gj += lambda * (tj - pj);
            reg += (tj - pj) * (tj - pj);
        }
        loss + 0.5 * lambda * reg
    };
    lbfgs::minimize(&mut theta, objective, 500, 1e-8);
    let weights = theta[..3 * F].iter().map(|&v| v as f32).collect();
    let intercept = [theta[3 * F] as f32, theta[3 * F + 1] as f32, theta[3 * F + 2] as f32];
    (weights, intercept)
}

/// The class mass of weighted labels, as a prior.
fn class_mass(y: &[usize], w: &[f64]) -> [f32; 3] {
    let mut m = [0f64; 3];
    for (&c, &wi) in y.iter().zip(w) {
        m[c] += wi;
    }
    let s: f64 = m.iter().sum::<f64>().max(1e-12);
    m.map(|v| (v / s) as f32)
}

/// Scores predictions against gold labels, with shares and the share error.
pub fn held(corpus: &str, variant: &str, gold: &[usize], predicted: &[usize]) -> Held {
    let labels = Task::Sentiment.labels();
    let r = metrics::evaluate(&labels, gold, predicted);
    let n = r.n.max(1) as f64;
    let pct = |count: u64| 100.0 * count as f64 / n;
    let true_share: [f64; 3] = std::array::from_fn(|g| r.confusion[g].iter().map(|&c| pct(c)).sum());
    let predicted_share: [f64; 3] = std::array::from_fn(|p| r.confusion.iter().map(|row| pct(row[p])).sum());
    let share_error_pp = metrics::share_error_pp(&r.confusion);
    Held {
        corpus: corpus.into(),
        variant: variant.into(),
        n: r.n,
        accuracy: r.accuracy,
        micro_f1: r.micro_f1,
        macro_f1: r.macro_f1,
        true_share,
        predicted_share,
        share_error_pp,
        confusion: r.confusion,
    }
}

/// Labels of stacked probabilities (calibrated for `stack.training_prior`) under a variant's
/// prior settings, with `mix` as the typical mix.
pub fn variant_labels(probs: &[[f32; 3]], stack: &Stack, mix: &[f32; 3], variant: &str) -> Vec<usize> {
    let (t, em) = variant_prior(variant).unwrap_or((0.0, None));
    let target = towards(&stack.training_prior, mix, t);
    let moved: Vec<[f32; 3]> = probs.iter().map(|p| adapt(p, &stack.training_prior, &target)).collect();
    match em {
        Some(strength) => {
            let a = crate::classify::stacked::Adaptation { from: target, strength };
            let prior = estimate_prior(&moved, &a);
            moved.iter().map(|p| argmax(&adapt(p, &target, &prior))).collect()
        }
        None => moved.iter().map(|p| argmax(p)).collect(),
    }
}

/// Per corpus, its class mix, or none when it does not label all three classes.
fn corpus_mixes(k: usize, domain_of: &[usize], gold: &[usize], classes: &[u8]) -> Vec<Option<[f32; 3]>> {
    let mut count = vec![0usize; k];
    for (&d, &c) in domain_of.iter().zip(classes) {
        count[d] += (c == 7) as usize;
    }
    let mut mixes: Vec<Option<[f32; 3]>> = count.iter().map(|&n| (n > 0).then_some([0f32; 3])).collect();
    for ((&d, &g), &c) in domain_of.iter().zip(gold).zip(classes) {
        if let (Some(m), true) = (mixes[d].as_mut(), c == 7) {
            m[g] += 1.0 / count[d] as f32;
        }
    }
    mixes
}

/// The mean class mix of the corpora among `domains` that label all three classes.
fn typical_mix(domains: &[usize], mixes: &[Option<[f32; 3]>]) -> [f32; 3] {
    let known: Vec<[f32; 3]> = domains.iter().filter_map(|&d| mixes[d]).collect();
    if known.is_empty() {
        return [1.0 / 3.0; 3];
    }
    [0, 1, 2].map(|c| known.iter().map(|m| m[c]).sum::<f32>() / known.len() as f32)
}

/// Which documents a model was trained without: the corpora in the bitmask `left_out`, and
/// when `fold` is set, that in-domain fold of every other corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    left_out: u32,
    fold: Option<usize>,
}

/// A sentiment model and the domain model on its feature space (the gate and the experts
/// of [`Stack::experts`]), trained on the same rows.
struct Fitted {
    model: LinearModel,
    domain: LinearModel,
    experts: Vec<usize>,
}

/// One stacker row: the document, whether its corpus was left out of the scoring model
/// (else the model saw the corpus but not the document), and the stacker's input.
type Row = (usize, bool, [f32; STACK_FEATURES]);

/// Trains the default classifier on `domains` and scores it leave-one-corpus-out.
/// `progress` is told each step as it finishes.
pub fn train(
    domains: &[Domain],
    settings: Settings,
    normalizer: &Normalizer,
    features: FeatureSettings,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Outcome, TrainError> {
    let k = domains.len();
    if k < 2 {
        return Err(ModelError::Training("cross-domain training needs at least two corpora".into()).into());
    }
    let labels = Task::Sentiment.labels();
    let lexicon = LexiconSentiment::builtin(normalizer);
    let mut docs: Vec<Vec<Term>> = Vec::new();
    let mut gold: Vec<usize> = Vec::new();
    let mut domain_of: Vec<usize> = Vec::new();
    for (d, domain) in domains.iter().enumerate() {
        let targets = super::data::targets(&domain.examples, Task::Sentiment, None)?;
        let texts: Vec<&str> = targets.examples.iter().map(|&i| domain.examples[i].text.as_str()).collect();
        docs.extend(texts.par_iter().map(|t| normalizer.normalize(t)).collect::<Vec<_>>());
        gold.extend(targets.gold.iter().map(|g| g[0]));
        domain_of.extend(std::iter::repeat_n(d, targets.examples.len()));
    }
    progress(&format!("{} documents in {k} corpora normalized", docs.len()));
    let gold_sets: Vec<Vec<usize>> = gold.iter().map(|&g| vec![g]).collect();
    let domain_sets: Vec<Vec<usize>> = domain_of.iter().map(|&d| vec![d]).collect();
    let domain_names: Vec<String> = domains.iter().map(|d| d.name.clone()).collect();
    let corpus = Corpus { task: Task::Sentiment, labels: &labels, docs: &docs, gold: &gold_sets, normalizer: normalizer.settings(), features };
    let vectors = featurize_all(&docs, &features);
    let weights = balanced_weights(&domain_of, &gold, k);
    let classes = corpus_classes(&domain_of, &gold, k);
    let params = TrainParams { c: settings.c, min_df: settings.min_df, max_features: settings.max_features, ..Algorithm::SparseLogistic.defaults() };
    let folds = settings.folds;
    // In-domain folds: interleaved inside each corpus.
    let fold_of: Vec<usize> = {
        let mut seen = vec![0usize; k];
        domain_of
            .iter()
            .map(|&d| {
                seen[d] += 1;
                seen[d] % folds.max(1)
            })
            .collect()
    };

    // Every model needed: trained without no corpus, one, or two; and without one in-domain
    // fold when no corpus or one is left out.
    let mut keys: Vec<Key> = vec![Key { left_out: 0, fold: None }];
    for a in 0..k {
        keys.push(Key { left_out: 1 << a, fold: None });
        for b in a + 1..k {
            keys.push(Key { left_out: 1 << a | 1 << b, fold: None });
        }
    }
    for f in 0..folds {
        keys.push(Key { left_out: 0, fold: Some(f) });
        for a in 0..k {
            keys.push(Key { left_out: 1 << a, fold: Some(f) });
        }
    }
    // Corpora labelling all three classes have a mix and get an expert (a model of that
    // corpus alone).
    let domain_mix = corpus_mixes(k, &domain_of, &gold, &classes);
    let ones = vec![1.0f64; docs.len()];
    let fitted: Vec<Result<(Key, Fitted), ModelError>> = keys
        .par_iter()
        .map(|&key| {
            let rows: Vec<usize> = (0..docs.len()).filter(|&i| key.left_out & (1 << domain_of[i]) == 0 && key.fold != Some(fold_of[i])).collect();
            let model = fit_weighted(&corpus, &vectors, Some(&rows), Some(&weights), Some(&classes), params)?;
            let gate = fit_on_space(
                &model,
                Task::Topic,
                domain_names.clone(),
                Labelled { vectors: &vectors, gold: &domain_sets, weights: &weights },
                &rows,
                settings.gate_c,
            );
            let experts: Vec<usize> = (0..k).filter(|&d| settings.experts && domain_mix[d].is_some() && key.left_out & (1 << d) == 0).collect();
            let expert_models: Vec<LinearModel> = experts
                .iter()
                .map(|&d| {
                    let own: Vec<usize> = rows.iter().copied().filter(|&i| domain_of[i] == d).collect();
                    fit_on_space(&model, Task::Sentiment, labels.clone(), Labelled { vectors: &vectors, gold: &gold_sets, weights: &ones }, &own, settings.c)
                })
                .collect();
            let mut outputs = vec![&gate];
            outputs.extend(&expert_models);
            let domain = LinearModel::side_by_side(&outputs, domain_labels(&domain_names, &experts))
                .ok_or_else(|| ModelError::Training("the domain model left the model's feature space".into()))?;
            let left_out: Vec<&str> = (0..k).filter(|d| key.left_out & (1 << d) != 0).map(|d| domains[d].name.as_str()).collect();
            let fold = key.fold.map(|f| format!(", fold {f}")).unwrap_or_default();
            progress(&format!("model without [{}]{fold} fitted on {} documents", left_out.join(", "), rows.len()));
            Ok((key, Fitted { model, domain, experts }))
        })
        .collect();
    let mut models: BTreeMap<Key, Fitted> = BTreeMap::new();
    for r in fitted {
        let (key, m) = r?;
        models.insert(key, m);
    }
    let evidence: Vec<Evidence> = docs.par_iter().map(|t| lexicon.evidence(t)).collect();
    let in_domain = |d: usize| -> Vec<usize> { (0..docs.len()).filter(|&i| domain_of[i] == d).collect() };
    let score = |i: usize, key: Key| -> ([f32; STACK_FEATURES], Vec<f32>) {
        let m = &models[&key];
        let p = m.model.scores(&docs[i]);
        // The mixes of corpora the model never saw are not known to it.
        let mixes: Vec<Option<[f32; 3]>> = domain_mix.iter().enumerate().map(|(d, mix)| mix.filter(|_| key.left_out & (1 << d) == 0)).collect();
        (stack_features(&p, evidence[i], Context::of(&m.domain.logits(&docs[i]), &mixes, &m.experts, &p)), p)
    };
    // The stacker's rows for corpus `o` when the corpora `outer` are held out of
    // everything: scored by a model without `o`, and by one without `o`'s fold.
    let rows_for = |o: usize, outer: u32| -> Vec<Row> {
        let mut rows: Vec<Row> = in_domain(o).into_par_iter().map(|i| (i, true, score(i, Key { left_out: outer | 1 << o, fold: None }).0)).collect();
        if folds > 1 {
            rows.extend(in_domain(o).into_par_iter().map(|i| (i, false, score(i, Key { left_out: outer, fold: Some(fold_of[i]) }).0)).collect::<Vec<_>>());
        }
        rows
    };
    let fit_stack_on = |rows: Vec<Row>| -> Stack {
        let x: Vec<[f32; STACK_FEATURES]> = rows.iter().map(|r| r.2).collect();
        let y: Vec<usize> = rows.iter().map(|r| gold[r.0]).collect();
        // Every corpus and kind of row the same mass among the stacker's rows; classes as
        // they come (the domain prior input says which mix to expect).
        let doms: Vec<usize> = rows.iter().map(|r| 2 * domain_of[r.0] + r.1 as usize).collect();
        let w = group_weights(&doms, 2 * k);
        let allowed: Vec<u8> = rows.iter().map(|r| classes[r.0]).collect();
        let (weights, intercept) = fit_stack(&x, &y, &w, &allowed, settings.stack_l2);
        // The prior its outputs are calibrated for: the class mass of the rows that were
        // scored over all three classes.
        let full: Vec<usize> = (0..y.len()).filter(|&i| allowed[i] == 7).collect();
        let prior = if full.is_empty() {
            [1.0 / 3.0; 3]
        } else {
            class_mass(&full.iter().map(|&i| y[i]).collect::<Vec<_>>(), &full.iter().map(|&i| w[i]).collect::<Vec<_>>())
        };
        Stack {
            format_version: STACK_FORMAT,
            weights,
            intercept,
            training_prior: prior,
            target_prior: prior,
            em_strength: None,
            measured: None,
            domains: domain_names.clone(),
            domain_mix: domain_mix.clone(),
            experts: Vec::new(),
            route: None,
            card: serde_json::Value::Null,
        }
    };

    let mut stack_rows = Vec::new();
    let mut keep = |stacker: Option<usize>, fitted: bool, rows: &mut dyn Iterator<Item = Row>| {
        if settings.keep_stack_rows {
            stack_rows.extend(rows.map(|(document, unseen_corpus, inputs)| StackRow {
                stacker,
                fitted,
                document,
                corpus: domain_of[document],
                unseen_corpus,
                gold: gold[document],
                inputs,
            }));
        }
    };
    let mut held_out = Vec::new();
    for (h, held_domain) in domains.iter().enumerate() {
        let others: Vec<usize> = (0..k).filter(|&o| o != h).collect();
        let rows: Vec<Row> = others.iter().flat_map(|&o| rows_for(o, 1 << h)).collect();
        keep(Some(h), true, &mut rows.iter().copied());
        let stack = fit_stack_on(rows);
        let test: Vec<(usize, [f32; STACK_FEATURES], Vec<f32>)> = in_domain(h)
            .into_par_iter()
            .map(|i| {
                let (x, p) = score(i, Key { left_out: 1 << h, fold: None });
                (i, x, p)
            })
            .collect();
        keep(Some(h), false, &mut test.iter().map(|r| (r.0, true, r.1)));
        let y: Vec<usize> = test.iter().map(|r| gold[r.0]).collect();
        let name = &held_domain.name;
        let model_labels: Vec<usize> = test.iter().map(|r| argmax(&r.2)).collect();
        held_out.push(held(name, VARIANTS[0], &y, &model_labels));
        let lexicon_labels: Vec<usize> = test.iter().map(|r| lexicon.predict(&docs[r.0]).label).collect();
        held_out.push(held(name, VARIANTS[1], &y, &lexicon_labels));
        let probs: Vec<[f32; 3]> = test.iter().map(|r| stack.probabilities(&r.1)).collect();
        let mix = typical_mix(&others, &domain_mix);
        for variant in &VARIANTS[2..] {
            held_out.push(held(name, variant, &y, &variant_labels(&probs, &stack, &mix, variant)));
        }
        progress(&format!("{name} held out: scored"));
    }
    let all_rows: Vec<Row> = (0..k).flat_map(|o| rows_for(o, 0)).collect();
    keep(None, true, &mut all_rows.iter().copied());
    // In-domain: each corpus's out-of-fold rows under the final stacker (which was fitted
    // on them, among others: its few weights barely overfit).
    let mut in_domain_scores = Vec::new();
    let stack = fit_stack_on(all_rows.clone());
    let mix = typical_mix(&(0..k).collect::<Vec<_>>(), &domain_mix);
    for (o, domain) in domains.iter().enumerate() {
        let rows: Vec<&Row> = all_rows.iter().filter(|r| domain_of[r.0] == o && !r.1).collect();
        if rows.is_empty() {
            continue;
        }
        let y: Vec<usize> = rows.iter().map(|r| gold[r.0]).collect();
        let probs: Vec<[f32; 3]> = rows.iter().map(|r| stack.probabilities(&r.2)).collect();
        for variant in &VARIANTS[2..] {
            in_domain_scores.push(held(&domain.name, variant, &y, &variant_labels(&probs, &stack, &mix, variant)));
        }
    }
    let final_key = Key { left_out: 0, fold: None };
    let Fitted { mut model, domain: gate, experts } = models.remove(&final_key).ok_or_else(|| ModelError::Training("no final model".into()))?;
    let route = match settings.route {
        None => None,
        Some(corpus) => match experts.iter().position(|&d| d == corpus) {
            Some(expert) => Some(Route { corpus, expert, gate: ROUTE_GATE, anchors: anchors(&docs, &domain_of, corpus), own_model: true }),
            None => {
                return Err(
                    ModelError::Training(format!("--route {}: the corpus has no expert (it does not label all three classes)", domains[corpus].name)).into()
                )
            }
        },
    };
    // The routed corpus's own model (its own selected features and IDF, its own class mix)
    // and beside it, on its features, a gate: is this text like the corpus?
    let route_model = match &route {
        Some(r) => {
            let own: Vec<usize> = (0..docs.len()).filter(|&i| domain_of[i] == r.corpus).collect();
            let sentiment = fit(&corpus, &vectors, Some(&own), params)?;
            let is_corpus: Vec<Vec<usize>> = domain_of.iter().map(|&d| if d == r.corpus { vec![0] } else { Vec::new() }).collect();
            let all: Vec<usize> = (0..docs.len()).collect();
            let name = domains[r.corpus].name.clone();
            let gate = fit_on_space(
                &sentiment,
                Task::Topic,
                vec![name.clone()],
                Labelled { vectors: &vectors, gold: &is_corpus, weights: &weights },
                &all,
                settings.gate_c,
            );
            let labels = sentiment.labels.iter().cloned().chain([name.clone()]).collect();
            let mut m = LinearModel::side_by_side(&[&sentiment, &gate], labels)
                .ok_or_else(|| ModelError::Training("the route's gate left its model's feature space".into()))?;
            m.training_data = domains[r.corpus].sources.iter().map(|s| format!("{name}: {s}")).collect();
            Some(m)
        }
        None => None,
    };
    let stack = Stack { experts, route, ..stack };
    model.training_data = domains.iter().flat_map(|d| d.sources.iter().map(move |s| format!("{}: {s}", d.name))).collect();
    model.params = params;
    Ok(Outcome { model, gate, stack, mix, held_out, in_domain: in_domain_scores, route_model, stack_rows })
}

/// A route's anchors need to be in at least this share of the routed corpus's documents…
pub const ANCHOR_MIN_SHARE: f64 = 0.01;

/// …and in at least this many of them (in a corpus of a few hundred documents, a word of
/// one document is no mark of its subject)…
pub const ANCHOR_MIN_DOCS: usize = 5;

/// …and this many times as common there as in the other corpora (shares, each smoothed by
/// one document).
pub const ANCHOR_RATIO: f64 = 50.0;

/// Terms shorter than this many characters are too ambiguous to mark a subject (GermEval's
/// forum replies start with `Re:`; `db`, `s1`, `re` are also other things).
pub const ANCHOR_MIN_CHARS: usize = 3;

/// The terms (words, handles, hashtags) that mark `corpus`'s subject: common in its documents
/// and rare in the other corpora's ([`ANCHOR_MIN_SHARE`], [`ANCHOR_MIN_DOCS`],
/// [`ANCHOR_RATIO`]), of [`ANCHOR_MIN_CHARS`] or more, most common first. For GermEval they
/// are the railway's words (`bahn`, `@db_bahn`, `ice`, `gdl`, `streik`, …): what tells its
/// rail feedback from other customers' feedback about other companies.
pub fn anchors(docs: &[Vec<Term>], domain_of: &[usize], corpus: usize) -> Vec<String> {
    let mut df: std::collections::HashMap<&str, [usize; 2]> = std::collections::HashMap::new();
    let mut n = [0usize; 2];
    for (doc, &d) in docs.iter().zip(domain_of) {
        let side = usize::from(d != corpus);
        n[side] += 1;
        let mut seen: Vec<&str> = doc
            .iter()
            .filter(|t| matches!(t.kind, Kind::Word | Kind::User | Kind::Hashtag) && t.text.chars().count() >= ANCHOR_MIN_CHARS)
            .map(|t| t.text.as_ref())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            df.entry(t).or_default()[side] += 1;
        }
    }
    let share = |c: usize, side: usize| (c + 1) as f64 / (n[side] + 1) as f64;
    let mut found: Vec<(usize, &str)> = df
        .into_iter()
        .filter(|(_, c)| c[0] >= ANCHOR_MIN_DOCS && c[0] as f64 >= ANCHOR_MIN_SHARE * n[0] as f64 && share(c[0], 0) >= ANCHOR_RATIO * share(c[1], 1))
        .map(|(t, c)| (c[0], t))
        .collect();
    found.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    found.into_iter().map(|(_, t)| t.to_string()).collect()
}

/// Whether a held-out corpus labels all three classes.
fn labels_all_three_classes(h: &Held) -> bool {
    h.true_share.iter().all(|&s| s > 0.0)
}

/// Mean |predicted − true| share per class over the held-out corpora with all three
/// classes, for one variant, in percentage points.
pub fn mean_share_error(rows: &[Held], variant: &str) -> [f64; 3] {
    let v: Vec<&Held> = rows.iter().filter(|r| r.variant == variant && labels_all_three_classes(r)).collect();
    let n = v.len().max(1) as f64;
    [0, 1, 2].map(|c| v.iter().map(|h| (h.predicted_share[c] - h.true_share[c]).abs()).sum::<f64>() / n)
}

/// What the report says of a variant: its range of scores and mean share errors over the
/// held-out corpora with all three classes.
pub fn measured(rows: &[Held], variant: &str) -> crate::classify::stacked::Measured {
    let v: Vec<&Held> = rows.iter().filter(|r| r.variant == variant && labels_all_three_classes(r)).collect();
    let range =
        |f: fn(&Held) -> f64| -> [f64; 2] { [v.iter().map(|h| f(h)).fold(f64::INFINITY, f64::min), v.iter().map(|h| f(h)).fold(f64::NEG_INFINITY, f64::max)] };
    crate::classify::stacked::Measured {
        corpora: v.iter().map(|h| h.corpus.clone()).collect(),
        accuracy: range(|h| h.accuracy),
        macro_f1: range(|h| h.macro_f1),
        share_error_pp: mean_share_error(rows, variant),
        own_labels: None,
    }
}

/// Mean of a score over the held-out corpora that label all three classes, for one
/// variant (a polarity-only corpus counts every neutral answer wrong, though user mentions
/// are mostly neutral: it is reported, not used to choose).
pub fn mean_over_corpora(rows: &[Held], variant: &str, score: impl Fn(&Held) -> f64) -> f64 {
    let v: Vec<f64> = rows.iter().filter(|r| r.variant == variant && labels_all_three_classes(r)).map(score).collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stacked_variant_says_its_prior() {
        // A variant without its settings would be scored, and shipped, as the plain stacker.
        for v in &VARIANTS[2..] {
            assert!(variant_prior(v).is_some(), "{v}");
        }
        assert_eq!(variant_prior("stacked+mix50+em70"), Some((0.5, Some(0.7))));
        assert_eq!(variant_prior("stacked+mix50+em"), Some((0.5, Some(1.0))));
        assert_eq!(variant_prior("model"), None);
    }

    #[test]
    fn anchors_are_the_words_of_the_corpus_subject() {
        let n = Normalizer::default();
        let mut docs = Vec::new();
        let mut domain_of = Vec::new();
        // Corpus 0 speaks of trains (and its replies start with "Re:"); corpus 1 of anything.
        for i in 0..200 {
            let rail = if i % 2 == 0 { "Re: Die Bahn ist wieder zu spät" } else { "Der ICE der Bahn fällt aus, danke" };
            docs.push(n.normalize(rail));
            domain_of.push(0);
            let other = if i % 2 == 0 { "Die Lieferung ist wieder zu spät" } else { "Der Service fällt auf, danke" };
            docs.push(n.normalize(other));
            domain_of.push(1);
        }
        // "spät", "fällt" and "danke" are common in both; "re" is too short to say anything.
        assert_eq!(anchors(&docs, &domain_of, 0), ["bahn", "ice"]);
        assert_eq!(anchors(&docs, &domain_of, 1), ["liefer", "servic"]);
        // Once the other corpus speaks of the railway too, `bahn` marks nothing.
        for _ in 0..10 {
            docs.push(n.normalize("Mit der Bahn zum Kunden"));
            domain_of.push(1);
        }
        assert_eq!(anchors(&docs, &domain_of, 0), ["ice"]);
        // In a small corpus beside a large one, a word of a few documents is no anchor,
        // however rare elsewhere.
        let small = |stellwerk: usize| {
            let mut docs: Vec<Vec<Term>> = (0..100).map(|i| n.normalize(if i < stellwerk { "Bahn Stellwerk" } else { "Bahn" })).collect();
            let mut domain_of = vec![0; 100];
            docs.extend((0..3000).map(|_| n.normalize("Der Service fällt auf")));
            domain_of.extend([1; 3000]);
            anchors(&docs, &domain_of, 0)
        };
        assert_eq!(small(ANCHOR_MIN_DOCS - 1), ["bahn"]);
        assert_eq!(small(ANCHOR_MIN_DOCS), ["bahn", "stellwerk"]);
    }

    #[test]
    fn balanced_weights_give_each_corpus_and_class_the_same_mass() {
        // Corpus 0: 3 negative, 1 positive; corpus 1: 2 neutral, 2 positive.
        let domain_of = [0, 0, 0, 0, 1, 1, 1, 1];
        let gold = [0, 0, 0, 2, 1, 1, 2, 2];
        let w = balanced_weights(&domain_of, &gold, 2);
        let mass = |d: usize, c: usize| -> f64 { (0..8).filter(|&i| domain_of[i] == d && gold[i] == c).map(|i| w[i]).sum() };
        assert!((mass(0, 0) - mass(0, 2)).abs() < 1e-12);
        assert!((mass(1, 1) - mass(1, 2)).abs() < 1e-12);
        assert!((mass(0, 0) + mass(0, 2) - (mass(1, 1) + mass(1, 2))).abs() < 1e-12);
        assert!((w.iter().sum::<f64>() - 8.0).abs() < 1e-9, "mean weight 1");
    }

    #[test]
    fn the_stacker_learns_to_follow_an_informative_input() {
        // Class given by the sign of the lexicon score (input 3); other inputs are noise.
        let input = |score: f32| {
            let mut row = [0f32; STACK_FEATURES];
            row[..4].copy_from_slice(&[-1.1, -1.1, -1.1, score]);
            row
        };
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..300 {
            let s = ((i * 37 % 100) as f32 - 50.0) / 50.0;
            let c = if s < -0.3 {
                0
            } else if s > 0.3 {
                2
            } else {
                1
            };
            let mut row = input(s);
            row[4] = (i % 3) as f32;
            x.push(row);
            y.push(c);
        }
        let w = vec![1.0; y.len()];
        let (weights, intercept) = fit_stack(&x, &y, &w, &vec![7u8; y.len()], 1e-4);
        let stack = Stack {
            format_version: STACK_FORMAT,
            weights,
            intercept,
            training_prior: [1.0 / 3.0; 3],
            target_prior: [1.0 / 3.0; 3],
            em_strength: None,
            measured: None,
            domains: Vec::new(),
            domain_mix: Vec::new(),
            experts: Vec::new(),
            route: None,
            card: serde_json::Value::Null,
        };
        assert_eq!(argmax(&stack.probabilities(&input(0.9))), 2);
        assert_eq!(argmax(&stack.probabilities(&input(-0.9))), 0);
        assert_eq!(argmax(&stack.probabilities(&input(0.0))), 1);
    }
}
