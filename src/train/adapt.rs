//! `train --base`: adapts a shipped (or earlier adapted) sentiment or relevance model to the
//! analyst's own labelled mentions, without the base's training data
//! ([`super::fit::fit_towards`]), and measures base against adapted by k-fold
//! cross-validation on those labels, so the analyst sees the gain (or its absence) before
//! switching. A sentiment base keeps its lexicon and stacker: the adapted linear model takes
//! the base model's place in them.

use serde::{Deserialize, Serialize};

use super::data::{self, Example};
use super::fit::{featurize_all, fit_towards};
use super::{metrics, TrainError};
use crate::classify::lexicon::LexiconSentiment;
use crate::classify::linear::LinearModel;
pub use crate::classify::record::BaseModel;
use crate::classify::stacked::{self, Measured, Stack, Stacked};
use crate::classify::{Classifier, Task};
use crate::normalize::{Normalizer, Term};

/// Values of the penalty's C compared (larger: further from the base).
pub const C_GRID: [f64; 4] = [0.3, 1.0, 3.0, 10.0];
/// Strength of the stacker's pull towards the base's stacker (in documents: with this many
/// labels the labels and the base weigh about the same).
pub const STACK_LAMBDA: f64 = 30.0;
/// Folds inside each fit that give the stacker the adapted model's out-of-fold
/// probabilities (in-sample ones would teach it to trust the model too much).
const INNER_FOLDS: usize = 3;
/// A new feature must occur in this many labelled documents.
pub const MIN_DF: u32 = 2;

/// A base: its linear model, and for sentiment the stacker beside it.
pub struct Base {
    pub record: BaseModel,
    pub model: LinearModel,
    pub stack: Option<Stack>,
    /// Sentiment: the domain gate beside the stacker (`domains.json`), if it has one.
    pub gate: Option<LinearModel>,
    /// Sentiment: the route's own model beside the stacker (`route.json`), if it has one.
    pub route_model: Option<LinearModel>,
}

impl Base {
    /// Loads `spec` (`default`: the shipped model of the task; else a model folder or its
    /// `model.json`, with `stack.json` beside it for a stacked sentiment model).
    pub fn load(spec: &str, task: Task, normalizer: &Normalizer) -> Result<Base, TrainError> {
        if task == Task::Topic {
            return Err(TrainError::AdaptTopics);
        }
        let sentiment = task == Task::Sentiment;
        let (json, stack_json, path, gate, route_model) = if spec == "default" {
            let stack = sentiment.then(|| crate::classify::SHIPPED_STACK.to_string());
            let path = std::path::PathBuf::from(format!("models/{}", task.as_str()));
            let gate = crate::classify::parse_beside(sentiment.then(crate::classify::shipped_gate).as_deref(), &path.join("domains.json"))?;
            let route = crate::classify::parse_beside(sentiment.then(crate::classify::shipped_route_model).as_deref(), &path.join("route.json"))?;
            (crate::classify::shipped_model(task), stack, path, gate, route)
        } else {
            let p = std::path::Path::new(spec);
            let file = if p.is_dir() { p.join("model.json") } else { p.to_path_buf() };
            let json = crate::classify::read(&file)?;
            let stack_file = file.with_file_name("stack.json");
            let stack = if sentiment && stack_file.is_file() { Some(crate::classify::read(&stack_file)?) } else { None };
            let gate = if stack.is_some() { crate::classify::read_beside(&file, "domains.json")? } else { None };
            let route = if stack.is_some() { crate::classify::read_beside(&file, "route.json")? } else { None };
            (json, stack, file, gate, route)
        };
        let model = LinearModel::from_json(&json, &path, Some(task))?;
        crate::classify::same_normalizer(&model, spec, normalizer)?;
        let stack = stack_json.as_deref().map(|text| crate::classify::parse_stack(text, spec)).transpose()?;
        // As `load_classifier` names it (the shipped one by its folder).
        let name = if spec == "default" { path.display().to_string() } else { spec.to_string() };
        let version = crate::classify::trained_version(&name, &model, stack.as_ref(), &crate::classify::model_fingerprint(&json, stack_json.as_deref()));
        let fingerprint = format!("{:016x}", crate::normalize::term_key(&json));
        Ok(Base { record: BaseModel { name: spec.to_string(), version, fingerprint }, model, stack, gate, route_model })
    }

    /// The classifier `run` would use with this base and `model` in its place.
    fn classifier(&self, model: LinearModel, normalizer: &Normalizer) -> Result<Box<dyn Classifier>, TrainError> {
        Ok(match &self.stack {
            Some(stack) => Box::new(Stacked::new(model, self.gate.clone(), LexiconSentiment::builtin(normalizer), stack.clone(), self.route_model.clone())?),
            None => Box::new(model),
        })
    }
}

/// Quality on the analyst's labels, pooled over the folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Sentiment: the largest |predicted − true| share of negative or positive, pp.
    pub share_error_pp: Option<f64>,
    pub confusion: Vec<Vec<u64>>,
}

impl Scores {
    fn of(report: &metrics::Report, task: Task) -> Scores {
        Scores {
            accuracy: report.accuracy,
            macro_f1: report.macro_f1,
            share_error_pp: (task == Task::Sentiment).then(|| metrics::share_error_pp(&report.confusion)),
            confusion: report.confusion.clone(),
        }
    }
}

/// What `train --base` made and measured.
pub struct Adapted {
    /// The adapted linear model (its `base` filled in).
    pub model: LinearModel,
    /// Sentiment: the base's stacker, its card and measurement about the adaptation.
    pub stack: Option<Stack>,
    pub report: AdaptReport,
}

/// The comparison written into the model card and printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptReport {
    pub task: Task,
    pub base: BaseModel,
    pub labelled: usize,
    pub unlabelled: usize,
    pub class_counts: Vec<(String, usize)>,
    pub folds: usize,
    /// The base as it is, on every labelled document.
    pub base_scores: Scores,
    /// Per C: the adapted model's out-of-fold scores.
    pub candidates: Vec<(f64, Scores)>,
    pub chosen_c: f64,
    pub new_features: usize,
}

impl AdaptReport {
    pub fn chosen(&self) -> &Scores {
        self.candidates.iter().find(|(c, _)| *c == self.chosen_c).map(|(_, s)| s).unwrap_or(&self.base_scores)
    }
}

/// The labelled documents of one adaptation, prepared once.
struct Prepared<'a> {
    base: &'a Base,
    docs: Vec<Vec<Term>>,
    vectors: Vec<Vec<(u32, f32)>>,
    gold: Vec<usize>,
    gold_sets: Vec<Vec<usize>>,
    /// Sentiment: the stacker's lexicon input per document.
    evidence: Vec<crate::classify::lexicon::Evidence>,
    /// Sentiment: the base's domain model's outputs per document (empty without one).
    gate_logits: Vec<Vec<f32>>,
}

impl Prepared<'_> {
    /// The adapted model and, for a stacked base, the stacker refitted on its out-of-fold
    /// probabilities (inner folds of `rows`), penalized towards the base's stacker, with
    /// every class weighing the same (calibrated for the base's uniform prior).
    fn fit(&self, rows: &[usize], c: f64) -> Result<(LinearModel, Option<Stack>), TrainError> {
        let model = fit_towards(&self.base.model, &self.vectors, &self.gold_sets, rows, c, MIN_DF)?;
        let Some(base_stack) = &self.base.stack else { return Ok((model, None)) };
        let mut x = vec![[0f32; stacked::STACK_FEATURES]; rows.len()];
        let inner_fold = shuffled_folds(rows.len(), INNER_FOLDS, 31);
        for f in 0..INNER_FOLDS {
            let train: Vec<usize> = rows.iter().enumerate().filter(|(k, _)| inner_fold[*k] != f).map(|(_, &r)| r).collect();
            let inner = fit_towards(&self.base.model, &self.vectors, &self.gold_sets, &train, c, MIN_DF)?;
            for (k, &r) in rows.iter().enumerate().filter(|(k, _)| inner_fold[*k] == f) {
                let p = inner.scores(&self.docs[r]);
                let ctx = match self.gate_logits.get(r) {
                    Some(z) => stacked::Context::of(z, &base_stack.domain_mix, &base_stack.experts, &p),
                    None => stacked::Context::unknown(&p),
                };
                x[k] = stacked::stack_features(&p, self.evidence[r], ctx);
            }
        }
        let y: Vec<usize> = rows.iter().map(|&r| self.gold[r]).collect();
        let mut count = [0usize; 3];
        y.iter().for_each(|&g| count[g] += 1);
        let w: Vec<f64> = y.iter().map(|&g| rows.len() as f64 / (3.0 * count[g] as f64)).collect();
        let prior: Vec<f64> = base_stack.weights.iter().chain(&base_stack.intercept).map(|&v| v as f64).collect();
        let (weights, intercept) = super::cross_domain::fit_stack_towards(&x, &y, &w, &vec![7u8; y.len()], STACK_LAMBDA, Some(&prior));
        // Decisions under the uniform prior it is calibrated for, without batch EM: on
        // labels picked least certain first, EM on the refitted stacker ran away to one
        // class (PotTS learning curve, README).
        let stack = Stack { weights, intercept, training_prior: [1.0 / 3.0; 3], target_prior: [1.0 / 3.0; 3], em_strength: None, ..base_stack.clone() };
        Ok((model, Some(stack)))
    }

    fn classifier(&self, model: LinearModel, stack: Option<Stack>, normalizer: &Normalizer) -> Result<Box<dyn Classifier>, TrainError> {
        Ok(match stack {
            Some(stack) => Box::new(Stacked::new(model, self.base.gate.clone(), LexiconSentiment::builtin(normalizer), stack, self.base.route_model.clone())?),
            None => Box::new(model),
        })
    }
}

/// The fold of each of `n` documents: a seeded shuffle dealt round the folds.
fn shuffled_folds(n: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::synth::Rng::new(seed);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut fold = vec![0; n];
    for (k, &d) in order.iter().enumerate() {
        fold[d] = k % folds;
    }
    fold
}

/// Labels for documents as `run` gives them: with batch prior adaptation where the
/// classifier has it.
fn predict_all(classifier: &dyn Classifier, docs: &[&Vec<Term>]) -> Vec<usize> {
    if classifier.batch_prior().is_none() {
        return docs.iter().map(|d| classifier.predict(d).label).collect();
    }
    let scored: Vec<([f32; 3], bool)> = docs
        .iter()
        .map(|d| {
            let (p, routed) = classifier.predict_routed(d);
            (crate::classify::three_class(&p), routed)
        })
        .collect();
    classifier.adapt_to_batch(&scored).iter().map(|p| crate::classify::argmax(p)).collect()
}

/// Adapts `base` to the labelled `examples` (blank labels skipped) and compares base and
/// adapted by `folds`-fold cross-validation (seeded shuffle); C is chosen by macro-F1 on
/// the same folds, ties to the smaller C (closer to the base).
pub fn adapt(base: &Base, task: Task, examples: &[Example], folds: usize, normalizer: &Normalizer, progress: &dyn Fn(&str)) -> Result<Adapted, TrainError> {
    let targets = data::targets(examples, task, Some(&base.model.labels))?;
    let n = targets.examples.len();
    if n < 2 * folds.max(2) {
        return Err(TrainError::TooFewRows { rows: n, folds, needed: 2 * folds.max(2) });
    }
    let labels = &base.model.labels;
    let gold: Vec<usize> = targets.gold.iter().map(|g| g[0]).collect();
    for (j, l) in labels.iter().enumerate() {
        if gold.iter().filter(|&&g| g == j).count() < 2 {
            return Err(TrainError::TooFewOfLabel(l.clone()));
        }
    }
    let docs: Vec<Vec<Term>> = targets.examples.iter().map(|&i| normalizer.normalize(&examples[i].text)).collect();
    let lexicon = LexiconSentiment::builtin(normalizer);
    let prepared = Prepared {
        base,
        vectors: featurize_all(&docs, &base.model.features),
        evidence: if base.stack.is_some() { docs.iter().map(|d| lexicon.evidence(d)).collect() } else { Vec::new() },
        gate_logits: match (&base.stack, &base.gate) {
            (Some(_), Some(g)) => docs.iter().map(|d| g.logits(d)).collect(),
            _ => Vec::new(),
        },
        gold_sets: targets.gold.clone(),
        gold: gold.clone(),
        docs,
    };
    let docs = &prepared.docs;

    let base_classifier = base.classifier(base.model.clone(), normalizer)?;
    let all: Vec<&Vec<Term>> = docs.iter().collect();
    let base_scores = Scores::of(&metrics::evaluate(labels, &gold, &predict_all(base_classifier.as_ref(), &all)), task);

    let fold_of = shuffled_folds(n, folds, 29);
    let mut candidates = Vec::new();
    for &c in &C_GRID {
        progress(&format!("C {c}: {folds}-fold cross-validation on {n} labelled mentions"));
        use rayon::prelude::*;
        let per_fold: Vec<Result<Vec<(usize, usize)>, TrainError>> = (0..folds)
            .into_par_iter()
            .map(|f| {
                let train: Vec<usize> = (0..n).filter(|&d| fold_of[d] != f).collect();
                let test: Vec<usize> = (0..n).filter(|&d| fold_of[d] == f).collect();
                let (m, stack) = prepared.fit(&train, c)?;
                let classifier = prepared.classifier(m, stack, normalizer)?;
                let test_docs: Vec<&Vec<Term>> = test.iter().map(|&d| &docs[d]).collect();
                Ok(test.iter().copied().zip(predict_all(classifier.as_ref(), &test_docs)).collect())
            })
            .collect();
        let mut predicted = vec![0usize; n];
        for fold in per_fold {
            for (d, p) in fold? {
                predicted[d] = p;
            }
        }
        candidates.push((c, Scores::of(&metrics::evaluate(labels, &gold, &predicted), task)));
    }
    let chosen_c = candidates
        .iter()
        .fold(None::<&(f64, Scores)>, |best, cand| match best {
            Some(b) if b.1.macro_f1 >= cand.1.macro_f1 => Some(b),
            _ => Some(cand),
        })
        .map(|b| b.0)
        .ok_or(TrainError::EmptyGrid)?;
    progress(&format!("C {chosen_c}: fitting on all {n} labelled mentions"));
    let rows: Vec<usize> = (0..n).collect();
    let (mut model, stack) = prepared.fit(&rows, chosen_c)?;
    let new_features = model.feature_ids.len() - base.model.feature_ids.len();
    model.base = Some(base.record.clone());
    model.training_data = vec![format!("{n} labelled mentions, adapted from {}", base.record.name)];
    let class_counts = labels.iter().enumerate().map(|(j, l)| (l.clone(), gold.iter().filter(|&&g| g == j).count())).collect();
    let report = AdaptReport {
        task,
        base: base.record.clone(),
        labelled: n,
        unlabelled: targets.unlabelled,
        class_counts,
        folds,
        base_scores,
        candidates,
        chosen_c,
        new_features,
    };
    let stack = stack.map(|mut s| {
        let chosen = report.chosen();
        // What the report may say of it now: measured on the analyst's labels, by CV.
        s.measured = Some(Measured {
            corpora: vec![format!("{folds}-fold CV")],
            accuracy: [chosen.accuracy; 2],
            macro_f1: [chosen.macro_f1; 2],
            share_error_pp: share_errors(&chosen.confusion),
            own_labels: Some(n),
        });
        s.card = serde_json::json!({ "adapted": &report, "base_card": s.card });
        s
    });
    Ok(Adapted { model, stack, report })
}

/// How the labelled mentions of a learning curve are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Picking {
    /// At random.
    Random,
    /// The base's least certain first.
    LeastCertain,
    /// Least certain and random in turn, as `resonanz sample` orders them.
    Mixed,
}

/// One point of a learning curve: labels used, how they were picked, and base and adapted
/// on the documents never labelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    pub labels: usize,
    pub picking: Picking,
    pub chosen_c: f64,
    /// The picked labels per class.
    pub class_counts: Vec<usize>,
    pub held_out: usize,
    pub base: Scores,
    pub adapted: Scores,
}

/// A learning curve on one labelled corpus taken as "the analyst's domain": a seeded
/// `test` share of it is held out; for each size, that many of the rest are labelled
/// (picked as `picking` says), the base is adapted to them as `train --base` does, and base
/// and adapted are scored on the held-out documents.
pub fn learning_curve(
    base: &Base,
    examples: &[Example],
    sizes: &[usize],
    picking: &[Picking],
    test_share: f64,
    normalizer: &Normalizer,
    progress: &dyn Fn(&str),
) -> Result<Vec<CurvePoint>, TrainError> {
    let task = base.model.task;
    let targets = data::targets(examples, task, Some(&base.model.labels))?;
    let n = targets.examples.len();
    let is_test = shuffled_folds(n, 1000, 41).into_iter().map(|f| (f as f64) < test_share * 1000.0).collect::<Vec<_>>();
    let test: Vec<usize> = (0..n).filter(|&i| is_test[i]).collect();
    let pool: Vec<usize> = (0..n).filter(|&i| !is_test[i]).collect();
    let docs: Vec<Vec<Term>> = targets.examples.iter().map(|&i| normalizer.normalize(&examples[i].text)).collect();
    let gold: Vec<usize> = targets.gold.iter().map(|g| g[0]).collect();
    let test_docs: Vec<&Vec<Term>> = test.iter().map(|&i| &docs[i]).collect();
    let test_gold: Vec<usize> = test.iter().map(|&i| gold[i]).collect();
    let labels = &base.model.labels;
    let base_classifier = base.classifier(base.model.clone(), normalizer)?;
    let base_scores = Scores::of(&metrics::evaluate(labels, &test_gold, &predict_all(base_classifier.as_ref(), &test_docs)), task);
    // The pool in each picking's order.
    let random: Vec<usize> = {
        let fold = shuffled_folds(pool.len(), pool.len().max(1), 43);
        let mut order: Vec<usize> = (0..pool.len()).collect();
        order.sort_by_key(|&k| fold[k]);
        order.into_iter().map(|k| pool[k]).collect()
    };
    let least_certain: Vec<usize> = {
        let mut order = random.clone();
        let confidence: std::collections::HashMap<usize, f32> = order
            .iter()
            .map(|&i| {
                let p = base_classifier.predict(&docs[i]);
                (i, p.scores[p.label])
            })
            .collect();
        order.sort_by(|a, b| confidence[a].total_cmp(&confidence[b]));
        order
    };
    let mixed = crate::sample::interleave(&least_certain, &random);
    let mut out = Vec::new();
    for &how in picking {
        let order = match how {
            Picking::Random => &random,
            Picking::LeastCertain => &least_certain,
            Picking::Mixed => &mixed,
        };
        for &size in sizes {
            if size > order.len() {
                return Err(TrainError::CurveTooLong { asked: size, available: order.len() });
            }
            progress(&format!("{size} labels, {how:?}"));
            let picked: Vec<Example> = order[..size].iter().map(|&i| examples[targets.examples[i]].clone()).collect();
            let a = adapt(base, task, &picked, 5, normalizer, &|_| {})?;
            let classifier: Box<dyn Classifier> = match a.stack {
                Some(stack) => Box::new(Stacked::new(a.model, base.gate.clone(), LexiconSentiment::builtin(normalizer), stack, base.route_model.clone())?),
                None => Box::new(a.model),
            };
            let adapted = Scores::of(&metrics::evaluate(labels, &test_gold, &predict_all(classifier.as_ref(), &test_docs)), task);
            let class_counts = a.report.class_counts.iter().map(|c| c.1).collect();
            out.push(CurvePoint {
                labels: size,
                picking: how,
                chosen_c: a.report.chosen_c,
                class_counts,
                held_out: test.len(),
                base: base_scores.clone(),
                adapted,
            });
        }
    }
    Ok(out)
}

/// |predicted − true| share per class, percentage points, from a confusion matrix.
fn share_errors(confusion: &[Vec<u64>]) -> [f64; 3] {
    let n: u64 = confusion.iter().flatten().sum();
    let mut out = [0.0; 3];
    if n == 0 {
        return out;
    }
    for (c, o) in out.iter_mut().enumerate().take(confusion.len()) {
        let gold: u64 = confusion[c].iter().sum();
        let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
        *o = 100.0 * (predicted as f64 - gold as f64).abs() / n as f64;
    }
    out
}

/// The model card of an adapted model (Markdown).
pub fn model_card(r: &AdaptReport, command: &str) -> String {
    let pct = |x: f64| format!("{:.1} %", 100.0 * x);
    let share = |s: &Scores| s.share_error_pp.map(|e| format!(" | {e:.1} pp")).unwrap_or_default();
    let share_head = if r.task == Task::Sentiment { " | share error |" } else { " |" };
    let share_rule = if r.task == Task::Sentiment { "---:|" } else { "" };
    let mut md = format!(
        "# Adapted {task} model\n\n\
         Adapted from `{base}` ({version}, model.json fingerprint {fp}) to {n} labelled mentions \
         ({counts}; {blank} rows without a label skipped), without the base's training data: logistic \
         regression penalized towards the base's weights (`C · Σ loss + ½‖W − W₀‖²`), the base's \
         features plus {new} new ones from the labelled mentions.\n\n\
         Made with:\n\n```\n{command}\n```\n\n\
         ## Base vs adapted on your labels ({folds}-fold cross-validation)\n\n\
         The base is scored on every labelled mention as it is; the adapted model on each fold by a \
         model fitted on the other folds. C is chosen on the same folds (a slightly optimistic \
         choice among {k} values); check the gain with `resonanz eval` on labels kept aside.\n\n\
         | model | accuracy | macro-F1{share_head}\n|---|---:|---:|{share_rule}\n",
        task = r.task.as_str(),
        base = r.base.name,
        version = r.base.version,
        fp = r.base.fingerprint,
        n = r.labelled,
        counts = r.class_counts.iter().map(|(l, c)| format!("{c} {l}")).collect::<Vec<_>>().join(", "),
        blank = r.unlabelled,
        new = r.new_features,
        folds = r.folds,
        k = r.candidates.len(),
    );
    md += &format!("| base `{}` | {} | {:.3}{} |\n", r.base.name, pct(r.base_scores.accuracy), r.base_scores.macro_f1, share(&r.base_scores));
    for (c, s) in &r.candidates {
        let mark = if *c == r.chosen_c { " (chosen)" } else { "" };
        md += &format!("| adapted, C {c}{mark} | {} | {:.3}{} |\n", pct(s.accuracy), s.macro_f1, share(s));
    }
    let gain = r.chosen().macro_f1 - r.base_scores.macro_f1;
    md += &format!(
        "\n{}\n\n## What it is bad at\n\n\
         - It knows your domain only through the {n} mentions labelled; classes with few labels \
         ({rare}) are learned least.\n\
         - `resonanz sample` spreads its picks over channels, months and topics (every stratum \
         one mention per round): rare strata get more than their share, so the class mix above \
         is not quite your mentions' mix.\n\
         - Everything the base is bad at still holds outside what the labels cover (see the base's \
         model card).\n",
        if gain > 0.0 {
            format!("Macro-F1 gain over the base: {gain:+.3}.")
        } else {
            format!("No gain over the base (macro-F1 {gain:+.3}): keep using the base.")
        },
        n = r.labelled,
        rare = r.class_counts.iter().min_by_key(|(_, c)| *c).map(|(l, c)| format!("{l}: {c}")).unwrap_or_default(),
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_is_named_as_run_names_its_classifier() {
        let n = Normalizer::default();
        let dir = tempfile::tempdir().unwrap();
        for f in ["model.json", "domains.json", "route.json", "stack.json"] {
            std::fs::copy(format!("models/sentiment/{f}"), dir.path().join(f)).unwrap();
        }
        let folder = dir.path().to_str().unwrap();
        let relevance = dir.path().join("relevance.json");
        std::fs::copy("models/relevance/model.json", &relevance).unwrap();
        for (spec, task) in
            [("default", Task::Sentiment), ("default", Task::Relevance), (folder, Task::Sentiment), (relevance.to_str().unwrap(), Task::Relevance)]
        {
            let base = Base::load(spec, task, &n).unwrap();
            assert_eq!(base.record.version, crate::classify::load_classifier(spec, Some(task), &n).unwrap().version, "{spec}");
        }
    }

    #[test]
    fn adapting_moves_the_base_only_as_far_as_the_labels_pull_it() {
        // The shipped sentiment model and a word it does not know as positive in this
        // domain: "Spindelleistung" praised in every labelled mention.
        let n = Normalizer::default();
        let base = Base::load("default", Task::Sentiment, &n).unwrap();
        let texts: Vec<Example> = (0..60)
            .map(|i| Example {
                text: match i % 3 {
                    0 => format!("Die Spindelleistung der Maschine {i}"),
                    1 => format!("Der Stillstand der Anlage {i}"),
                    _ => format!("Die Anlage steht in Halle {i}"),
                },
                sentiment: Some([crate::mention::Sentiment::Positive, crate::mention::Sentiment::Negative, crate::mention::Sentiment::Neutral][i as usize % 3]),
                relevant: None,
                aspects: Vec::new(),
                line: i + 2,
            })
            .collect();
        let a = adapt(&base, Task::Sentiment, &texts, 5, &n, &|_| {}).unwrap();
        assert_eq!(a.report.labelled, 60);
        assert!(a.report.chosen().macro_f1 > a.report.base_scores.macro_f1, "{:?}", a.report);
        let adapted =
            Stacked::new(a.model.clone(), base.gate.clone(), LexiconSentiment::builtin(&n), a.stack.clone().unwrap(), base.route_model.clone()).unwrap();
        assert_eq!(adapted.predict(&n.normalize("Spindelleistung der Maschine 99")).label, 2);
        assert_eq!(a.model.base.as_ref().map(|b| b.name.as_str()), Some("default"));
        // With a vanishing C the fit stays at the base.
        let rows: Vec<usize> = (0..60).collect();
        let docs: Vec<Vec<Term>> = texts.iter().map(|e| n.normalize(&e.text)).collect();
        let vectors = featurize_all(&docs, &base.model.features);
        let gold: Vec<Vec<usize>> = texts.iter().map(|e| vec![e.sentiment.unwrap() as usize]).collect();
        let still = fit_towards(&base.model, &vectors, &gold, &rows, 1e-9, MIN_DF).unwrap();
        let t = n.normalize("Der Zug ist pünktlich, danke");
        let (x, y) = (base.model.scores(&t), still.scores(&t));
        assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() < 0.02), "{x:?} vs {y:?}");
    }
}
