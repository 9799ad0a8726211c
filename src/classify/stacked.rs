//! The default sentiment classifier: a linear model trained on several labelled corpora,
//! combined with the lexicon by a small stacker, with the class prior adapted to the batch.
//!
//! - The linear model ([`LinearModel`]) learns wording; it is trained with every corpus
//!   weighing the same and every class weighing the same inside its corpus, so no corpus's
//!   class mix becomes its prior.
//! - The stacker is a multinomial logistic regression over [`STACK_FEATURES`] numbers per
//!   document: the model's log-probabilities, the lexicon's evidence, and the document's
//!   *familiarity*: how surely a one-vs-rest model over the training corpora (the domain
//!   gate, same feature space as the model) places it in one of those that label all three
//!   classes ([`Context::familiarity`]). It is fitted on two
//!   kinds of predictions per corpus: **leave-one-corpus-out** ones (the corpus scored by a
//!   model that never saw it) and **in-domain out-of-fold** ones (scored by a model that saw
//!   the corpus but not the document), so it learns how far to trust the model on text like
//!   its training data and how far on text from an unseen domain, and tells the two apart by
//!   the familiarity (`crate::train::cross_domain` trains it).
//! - The class prior of a batch is unknown: [`estimate_prior`] re-estimates it by EM
//!   (Saerens, Latinne & Decaestecker 2002, "Adjusting the outputs of a classifier to new a
//!   priori probabilities") and [`adapt`] moves each document's probabilities to it. `run`
//!   does this per classified batch, `eval` over the evaluation file.

use serde::{Deserialize, Serialize};

use super::lexicon::{Evidence, LexiconSentiment};
use super::linear::LinearModel;
use super::{argmax, softmax, Classifier, Prediction, Task};
use crate::normalize::{term_key, Term};

/// Numbers per document the stacker sees: `ln p` of the model's three classes, the
/// lexicon's score, `ln(1 + positive)` and `ln(1 + negative)` weight, the familiarity `f`,
/// `f` times each `ln p` and the lexicon score, `ln` of the document's domain prior, `ln`
/// of its domain experts' probabilities ([`Context`]), and `f` times each of those: the
/// experts of a corpus speak for text like that corpus, not for text like none (2026-12-06:
/// leave-one-corpus-out criterion 0.4436 → 0.4460; model card).
pub const STACK_FEATURES: usize = 20;

/// The stacker's inputs by name, in [`stack_features`]' order (`f`: the familiarity).
pub const STACK_INPUTS: [&str; STACK_FEATURES] = [
    "ln_p_negative",
    "ln_p_neutral",
    "ln_p_positive",
    "lexicon_score",
    "ln1p_lexicon_positive",
    "ln1p_lexicon_negative",
    "familiarity",
    "f_ln_p_negative",
    "f_ln_p_neutral",
    "f_ln_p_positive",
    "f_lexicon_score",
    "ln_domain_prior_negative",
    "ln_domain_prior_neutral",
    "ln_domain_prior_positive",
    "ln_expert_negative",
    "ln_expert_neutral",
    "ln_expert_positive",
    "f_ln_expert_negative",
    "f_ln_expert_neutral",
    "f_ln_expert_positive",
];

/// Bumped whenever the saved stacker's format or meaning changes (3: the familiarity times
/// the experts' `ln p`; 4: [`Stack::route`]; 5: [`Route::own_model`]). Format 3 files still
/// load (no route), format 4 ones route to the domain model's expert.
pub const STACK_FORMAT: u32 = 5;

/// The oldest saved stacker format that still loads.
pub const STACK_FORMAT_OLDEST: u32 = 3;

/// The stacker as saved in `models/<name>/stack.json`, beside the linear model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    pub format_version: u32,
    /// `3 × STACK_FEATURES`, one row per label (negative, neutral, positive).
    pub weights: Vec<f32>,
    pub intercept: [f32; 3],
    /// The class prior the stacked probabilities are calibrated for (the class mass of the
    /// data it was fitted on): what [`adapt`] divides out.
    pub training_prior: [f32; 3],
    /// The prior decisions are made under: the training prior, or a typical mix (the mean
    /// class mix of the training corpora).
    pub target_prior: [f32; 3],
    /// When set, `run` and `eval` re-estimate each batch's prior by EM, anchored at
    /// `target_prior` with this strength ([`estimate_prior`]).
    pub em_strength: Option<f32>,
    /// How it scored on the corpora held out in training (what the report says of it).
    #[serde(default)]
    pub measured: Option<Measured>,
    /// The training corpora the domain gate (`domains.json` beside this file) knows, in
    /// its label order; empty when the stacker was fitted without familiarity.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Per corpus in `domains`, its class mix (negative, neutral, positive), or none for a
    /// corpus that does not label all three classes.
    #[serde(default)]
    pub domain_mix: Vec<Option<[f32; 3]>>,
    /// The corpora (indexes into `domains`) with an expert: a model trained on that corpus
    /// alone, with its own class mix, in the gate's output order.
    #[serde(default)]
    pub experts: Vec<usize>,
    /// Documents the gate places in this corpus surely enough are scored by its expert alone
    /// and decided apart from the rest of their batch (`train --route`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// How it was made and how it scored: corpora, settings, leave-one-corpus-out results.
    pub card: serde_json::Value,
}

/// How a sentiment classifier scored leave one corpus out: what the report's intervals and
/// its sentence on reliability rest on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    /// The corpora, each scored by a model trained without it.
    pub corpora: Vec<String>,
    /// Lowest and highest accuracy over those corpora.
    pub accuracy: [f64; 2],
    /// Lowest and highest macro-F1.
    pub macro_f1: [f64; 2],
    /// Mean |predicted − true| share per class (negative, neutral, positive), percentage
    /// points: the systematic part of the tables' share intervals.
    pub share_error_pp: [f64; 3],
    /// For a model adapted to the analyst's labels (`train --base`): measured by
    /// cross-validation on this many of them instead of on unseen corpora.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_labels: Option<usize>,
}

/// The gate probability from which `train --route` sends a document (with an anchor) to the
/// corpus's expert: the gate's own decision point, more likely that corpus than not
/// (GermEval dev held out in halves: 0.3 did about as well, 0.9 kept a third of the gain;
/// model card).
pub const ROUTE_GATE: f32 = 0.5;

/// Text like one training corpus, about its subject, goes to a model of that corpus (its
/// expert, or with [`Route::own_model`] a model of its own): on GermEval-like text the
/// stacked default gave away what such a model knows (GermEval dev held out in halves: 0.729
/// against 0.796 for a model of GermEval alone; with the route to the expert 0.749, to a
/// model of its own 0.763), and tweets of
/// domains none of the corpora covers are hardly ever routed (DAI and PotTS, each held out).
/// The gate alone also sent Mittelstand customer feedback to the rail expert; the anchors
/// keep it out (model card, item 6). The shipped model routes to GermEval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The corpus (index into [`Stack::domains`]).
    pub corpus: usize,
    /// Its expert (index into [`Stack::experts`]).
    pub expert: usize,
    /// The gate probability from which a document is routed.
    pub gate: f32,
    /// When not empty, only a document with one of these terms (normalized words, handles,
    /// hashtags) is routed: the words that mark the corpus's subject (`train --route` takes
    /// them from the corpora, [`crate::train::cross_domain::anchors`]). The gate tells the
    /// corpus's *kind* of text, the anchors its *subject*: customer feedback about deliveries
    /// reads like GermEval's rail feedback, but does not speak of trains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anchors: Vec<String>,
    /// Routing is decided and routed documents are scored on features of the corpus's own
    /// (`route.json` beside this file: a model of the corpus alone, and beside it a gate "is
    /// this text like the corpus?" on the same features) instead of by the domain model's
    /// gate and expert, which share the pooled model's features: GermEval dev held out in
    /// halves, the expert 0.765 and such a model 0.779 on the routed documents (model card).
    /// A document with an anchor is scored by it first; only when its gate says no does the
    /// pooled model score it too, so a routed document costs one pass over its features.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_model: bool,
}

/// What the domain gate says of a document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context {
    /// How surely the gate places it in one of its corpora that label all three classes: the
    /// largest of their one-vs-rest probabilities (0..1). Resembling a polarity-only corpus
    /// does not count: such a corpus says nothing of the class mix to expect, so text like it
    /// is scored as text of an unseen domain (leave one corpus out, 2026-12-04: selection
    /// criterion 0.419 → 0.426, in-domain GermEval accuracy 0.721 → 0.730; model card).
    pub familiarity: f32,
    /// The class mix of the corpora it resembles: their mixes weighted by the gate's
    /// probabilities, shrunk towards uniform for text that resembles none.
    pub prior: [f32; 3],
    /// The experts of the corpora it resembles: their probabilities weighted by the gate's,
    /// shrunk towards the pooled model's for text that resembles none.
    pub experts: [f32; 3],
}

/// Weight of the uniform mix in [`Context::prior`], as gate probability mass.
const UNIFORM_MASS: f32 = 0.05;

impl Context {
    /// No gate: nothing known of the document's domain; `p` the pooled model's probabilities.
    pub fn unknown(p: &[f32]) -> Context {
        Context { familiarity: 0.0, prior: [1.0 / 3.0; 3], experts: [p[0], p[1], p[2]] }
    }

    /// From the domain model's outputs (`logits`: one per corpus of `mixes`, then three per
    /// expert, see [`Stack::experts`]), the corpora's class mixes (none: not used), and the
    /// pooled model's probabilities `p`.
    pub fn of(logits: &[f32], mixes: &[Option<[f32; 3]>], experts: &[usize], p: &[f32]) -> Context {
        let k = mixes.len();
        // Each corpus's gate probability, once (the experts are weighted by the same).
        let gates: Vec<f32> = logits[..k].iter().map(|&z| super::linear::sigmoid(z)).collect();
        let gate = |d: usize| gates[d];
        let mut familiarity = 0f32;
        let mut prior = [UNIFORM_MASS / 3.0; 3];
        let mut mass = UNIFORM_MASS;
        for (d, mix) in mixes.iter().enumerate() {
            let s = gate(d);
            if let Some(m) = mix {
                familiarity = familiarity.max(s);
                prior.iter_mut().zip(m).for_each(|(q, v)| *q += s * v);
                mass += s;
            }
        }
        let mut moe = [0, 1, 2].map(|c| UNIFORM_MASS * p[c]);
        let mut moe_mass = UNIFORM_MASS;
        for (j, &d) in experts.iter().enumerate() {
            let Some(e) = logits.get(k + 3 * j..).and_then(three_probabilities) else { continue };
            let s = gate(d);
            moe.iter_mut().zip(e).for_each(|(q, v)| *q += s * v);
            moe_mass += s;
        }
        Context { familiarity, prior: prior.map(|q| q / mass), experts: moe.map(|q| q / moe_mass) }
    }
}

/// The labels of a domain model over `domains` with experts for the corpora `experts`.
pub fn domain_labels(domains: &[String], experts: &[usize]) -> Vec<String> {
    let mut labels = domains.to_vec();
    for &d in experts {
        labels.extend(Task::Sentiment.labels().iter().map(|l| format!("{}:{l}", domains[d])));
    }
    labels
}

/// The stacker's input for one document: the model's probabilities `p`, the lexicon's
/// evidence and what the domain gate says of it.
pub fn stack_features(p: &[f32], e: Evidence, ctx: Context) -> [f32; STACK_FEATURES] {
    let ln = |x: f32| x.max(1e-6).ln();
    let (a, b, c) = (ln(p[0]), ln(p[1]), ln(p[2]));
    let f = ctx.familiarity;
    let q = ctx.prior;
    let x = ctx.experts;
    let (u, v, w) = (ln(x[0]), ln(x[1]), ln(x[2]));
    [a, b, c, e.score, e.positive.ln_1p(), e.negative.ln_1p(), f, f * a, f * b, f * c, f * e.score, ln(q[0]), ln(q[1]), ln(q[2]), u, v, w, f * u, f * v, f * w]
}

impl Stack {
    /// Class probabilities from the stacker's input.
    pub fn probabilities(&self, x: &[f32; STACK_FEATURES]) -> [f32; 3] {
        let mut z = self.intercept;
        for (j, zj) in z.iter_mut().enumerate() {
            let row = &self.weights[j * STACK_FEATURES..(j + 1) * STACK_FEATURES];
            *zj += row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>();
        }
        softmax(&mut z);
        z
    }
}

/// Moves probabilities calibrated for prior `from` to prior `to` (Bayes' rule).
pub fn adapt(p: &[f32; 3], from: &[f32; 3], to: &[f32; 3]) -> [f32; 3] {
    let mut q = [0f32; 3];
    for c in 0..3 {
        q[c] = p[c] * to[c] / from[c].max(1e-6);
    }
    let sum: f32 = q.iter().sum();
    if sum > 0.0 {
        q.iter_mut().for_each(|v| *v /= sum);
        q
    } else {
        *p
    }
}

/// How a batch's class prior is estimated: EM from probabilities calibrated for `from`,
/// shrunk towards `from` with `strength` (pseudo-documents per document).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adaptation {
    pub from: [f32; 3],
    pub strength: f32,
}

/// The class prior of a batch by EM over its documents' probabilities (calibrated for
/// `a.from`): the mean adapted probability, plus `a.strength` pseudo-documents at `a.from`
/// per document, iterated to a fixed point. Strength 0 is the plain EM of Saerens et al.;
/// a positive strength keeps a poorly calibrated classifier from running away to one class.
/// An empty batch keeps `a.from`.
pub fn estimate_prior(probs: &[[f32; 3]], a: &Adaptation) -> [f32; 3] {
    let from = a.from;
    let mut prior = from;
    if probs.is_empty() {
        return prior;
    }
    let n = probs.len() as f64;
    let k = a.strength.max(0.0) as f64;
    for _ in 0..200 {
        let mut sum = [0f64; 3];
        for p in probs {
            let q = adapt(p, &from, &prior);
            for c in 0..3 {
                sum[c] += q[c] as f64;
            }
        }
        let next = [0, 1, 2].map(|c| (((sum[c] + k * n * from[c] as f64) / ((1.0 + k) * n)) as f32).max(1e-4));
        let moved = next.iter().zip(&prior).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        prior = next;
        if moved < 1e-5 {
            break;
        }
    }
    prior
}

/// A batch's probabilities as `run` and `eval` decide them: the class prior of the batch
/// by EM ([`estimate_prior`] with `a`), and apart from it that of the documents routed to an
/// expert (`true` beside their probabilities, with `r`: they are calibrated for their
/// corpus's mix, not for the stacker's), each document's probabilities moved to its group's
/// prior. Without `r` routed documents keep theirs.
pub fn adapt_batch(scored: &[([f32; 3], bool)], a: &Adaptation, r: Option<&Adaptation>) -> Vec<[f32; 3]> {
    let group = |want: bool| -> Vec<[f32; 3]> { scored.iter().filter(|(_, g)| *g == want).map(|(p, _)| *p).collect() };
    let prior = estimate_prior(&group(false), a);
    let routed_prior = r.map(|r| (r, estimate_prior(&group(true), r)));
    scored
        .iter()
        .map(|(p, g)| match (*g, routed_prior) {
            (false, _) => adapt(p, &a.from, &prior),
            (true, Some((r, q))) => adapt(p, &r.from, &q),
            (true, None) => *p,
        })
        .collect()
}

/// The label and polarity score of adapted probabilities.
pub fn decide(p: [f32; 3]) -> Prediction {
    Prediction { label: argmax(&p), score: p[2] - p[0], scores: p.to_vec() }
}

/// The linear model, the domain gate, the lexicon and the stacker: `run`'s default
/// sentiment classifier.
pub struct Stacked {
    pub model: LinearModel,
    /// One-vs-rest over the training corpora ([`Stack::domains`]) and their experts; on the
    /// model's feature space.
    pub gate: Option<LinearModel>,
    /// The model and the gate side by side: both scored in one pass over a document's
    /// features (when the gate shares the model's feature space).
    joint: Option<LinearModel>,
    pub lexicon: LexiconSentiment,
    pub stack: Stack,
    /// [`term_key`]s of the route's anchors, sorted.
    anchors: Vec<u64>,
    /// The route's own model ([`Route::own_model`]).
    route_model: Option<LinearModel>,
    name: String,
}

impl Stacked {
    /// Checks that the pieces fit: sentiment models, the stacker's size, a gate over exactly
    /// the corpora the stacker names (none when it names none), and a route's own model
    /// when, and only when, its route asks for one.
    pub fn new(
        model: LinearModel,
        gate: Option<LinearModel>,
        lexicon: LexiconSentiment,
        stack: Stack,
        route_model: Option<LinearModel>,
    ) -> Result<Stacked, super::CombineError> {
        if model.task != Task::Sentiment || model.labels != Task::Sentiment.labels() {
            return Err(super::CombineError::StackerNeedsSentiment);
        }
        let wants_model = stack.route.as_ref().is_some_and(|r| r.own_model);
        let sentiment_and_gate = |m: &LinearModel| m.labels.len() == 4 && m.labels[..3] == Task::Sentiment.labels()[..];
        if wants_model != route_model.is_some() || !route_model.iter().all(sentiment_and_gate) {
            return Err(super::CombineError::RouteModel { wanted: wants_model });
        }
        if stack.weights.len() != 3 * STACK_FEATURES {
            return Err(super::CombineError::StackerWeights { found: stack.weights.len(), expected: 3 * STACK_FEATURES });
        }
        let gate_labels = gate.as_ref().map(|g| g.labels.clone()).unwrap_or_default();
        let wanted = if stack.domains.is_empty() { Vec::new() } else { domain_labels(&stack.domains, &stack.experts) };
        if gate_labels != wanted || stack.domain_mix.len() != stack.domains.len() {
            return Err(super::CombineError::Gate { stacker: wanted, gate: gate_labels });
        }
        if let Some(r) = &stack.route {
            let fits = stack.experts.get(r.expert) == Some(&r.corpus) && stack.domain_mix.get(r.corpus).is_some_and(Option::is_some);
            if !fits {
                return Err(super::CombineError::Route { corpus: r.corpus, expert: r.expert });
            }
        }
        let name = format!("{}+lexicon, stacked", model.algorithm);
        let joint = gate.as_ref().and_then(|g| {
            let labels = model.labels.iter().chain(&g.labels).cloned().collect();
            LinearModel::side_by_side(&[&model, g], labels)
        });
        let mut anchors: Vec<u64> = stack.route.iter().flat_map(|r| r.anchors.iter().map(|a| term_key(a))).collect();
        anchors.sort_unstable();
        Ok(Stacked { model, gate, joint, lexicon, stack, anchors, route_model, name })
    }

    /// Probabilities under the target prior (before any batch adaptation), or for a routed
    /// document ([`Stack::route`]) its expert's, under its corpus's class mix.
    pub fn probabilities(&self, terms: &[Term]) -> [f32; 3] {
        self.probabilities_routed(terms).0
    }

    /// [`Stacked::probabilities`], and whether the document was routed (to its corpus's own
    /// model or expert).
    pub fn probabilities_routed(&self, terms: &[Term]) -> ([f32; 3], bool) {
        if let Some(p) = self.routed_by_own_model(terms) {
            return (p, true);
        }
        // The pooled model's probabilities and the domain model's logits, in one pass where
        // they share a feature space.
        let (joint_z, gate_z);
        let (p, logits): ([f32; 3], Option<&[f32]>) = match &self.joint {
            Some(joint) => {
                joint_z = joint.logits(terms);
                (three_probabilities(&joint_z).unwrap_or([1.0 / 3.0; 3]), joint_z.get(3..))
            }
            None => {
                let p = self.model.scores(terms);
                gate_z = self.gate.as_ref().map(|g| g.logits(terms));
                ([p[0], p[1], p[2]], gate_z.as_deref())
            }
        };
        if let Some(e) = logits.and_then(|z| self.routed(terms, z)) {
            return (e, true);
        }
        let ctx = match logits {
            Some(z) => Context::of(z, &self.stack.domain_mix, &self.stack.experts, &p),
            None => Context::unknown(&p),
        };
        let x = stack_features(&p, self.lexicon.evidence(terms), ctx);
        (adapt(&self.stack.probabilities(&x), &self.stack.training_prior, &self.stack.target_prior), false)
    }

    /// The probabilities of the route's own model, or of its expert, when the gate's
    /// `logits` (one per corpus, then three per expert) place the document in the routed
    /// corpus surely enough and it has one of the route's anchors (if it has any).
    fn routed(&self, terms: &[Term], logits: &[f32]) -> Option<[f32; 3]> {
        let r = self.stack.route.as_ref().filter(|r| !r.own_model)?;
        let k = self.stack.domains.len();
        if super::linear::sigmoid(*logits.get(r.corpus)?) < r.gate {
            return None;
        }
        if !self.has_anchor(terms) {
            return None;
        }
        three_probabilities(logits.get(k + 3 * r.expert..)?)
    }

    /// Whether the document has one of the route's anchors (true when it has none).
    fn has_anchor(&self, terms: &[Term]) -> bool {
        self.anchors.is_empty() || terms.iter().any(|t| self.anchors.binary_search(&t.key).is_ok())
    }

    /// With a route model ([`Route::own_model`]): its probabilities when the document has an
    /// anchor and the route model's gate places it in the corpus surely enough.
    fn routed_by_own_model(&self, terms: &[Term]) -> Option<[f32; 3]> {
        let (r, m) = (self.stack.route.as_ref()?, self.route_model.as_ref()?);
        if !self.has_anchor(terms) {
            return None;
        }
        let z = m.logits(terms);
        if super::linear::sigmoid(*z.get(3)?) < r.gate {
            return None;
        }
        three_probabilities(&z)
    }
}

/// Softmax over the three logits (negative, neutral, positive) at the start of `z`; `None`
/// when it has fewer.
fn three_probabilities(z: &[f32]) -> Option<[f32; 3]> {
    let mut p: [f32; 3] = z.get(..3)?.try_into().ok()?;
    softmax(&mut p);
    Some(p)
}

impl Classifier for Stacked {
    fn name(&self) -> &str {
        &self.name
    }

    fn task(&self) -> Task {
        Task::Sentiment
    }

    fn labels(&self) -> &[String] {
        &self.model.labels
    }

    fn predict(&self, terms: &[Term]) -> Prediction {
        decide(self.probabilities(terms))
    }

    fn predict_routed(&self, terms: &[Term]) -> (Prediction, bool) {
        let (p, routed) = self.probabilities_routed(terms);
        (decide(p), routed)
    }

    fn batch_prior(&self) -> Option<Adaptation> {
        self.stack.em_strength.map(|strength| Adaptation { from: self.stack.target_prior, strength })
    }

    /// The routed documents' class mix is re-estimated when the domain model's expert scores
    /// them; a route's own model ([`Route::own_model`]) is calibrated on its corpus and keeps
    /// its probabilities (GermEval dev held out in halves: re-estimating took the negatives
    /// further from the truth, model card).
    fn routed_prior(&self) -> Option<Adaptation> {
        let r = self.stack.route.as_ref().filter(|r| !r.own_model)?;
        let from = self.stack.domain_mix.get(r.corpus).copied().flatten()?;
        self.stack.em_strength.map(|strength| Adaptation { from, strength })
    }

    fn routed_to(&self) -> Option<&str> {
        self.stack.route.as_ref().and_then(|r| self.stack.domains.get(r.corpus)).map(String::as_str)
    }

    fn measured(&self) -> Option<&Measured> {
        self.stack.measured.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stacker_inputs_are_named_in_their_order() {
        // Every input a distinct power of two (or its logarithm), so each lands in one place.
        let p = [0.5f32, 0.25, 0.125];
        let e = Evidence { positive: 1.0, negative: 3.0, score: 0.75 };
        let ctx = Context { familiarity: 0.5, prior: [0.0625, 0.03125, 0.015625], experts: [0.0078125, 0.00390625, 0.001953125] };
        let x = stack_features(&p, e, ctx);
        let at = |name: &str| x[STACK_INPUTS.iter().position(|n| *n == name).unwrap()];
        assert_eq!(at("ln_p_negative"), 0.5f32.ln());
        assert_eq!(at("ln_p_positive"), 0.125f32.ln());
        assert_eq!(at("lexicon_score"), 0.75);
        assert_eq!(at("ln1p_lexicon_positive"), 1f32.ln_1p());
        assert_eq!(at("ln1p_lexicon_negative"), 3f32.ln_1p());
        assert_eq!(at("familiarity"), 0.5);
        assert_eq!(at("f_ln_p_neutral"), 0.5 * 0.25f32.ln());
        assert_eq!(at("f_lexicon_score"), 0.5 * 0.75);
        assert_eq!(at("ln_domain_prior_neutral"), 0.03125f32.ln());
        assert_eq!(at("ln_expert_positive"), 0.001953125f32.ln());
        assert_eq!(at("f_ln_expert_negative"), 0.5 * 0.0078125f32.ln());
        let mut names = STACK_INPUTS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STACK_FEATURES, "no name twice");
    }

    /// The shipped default's pooled model, domain model and stacker.
    fn shipped_parts() -> (LinearModel, Option<LinearModel>, Stack) {
        let path = std::path::Path::new("models/sentiment");
        let model = LinearModel::from_json(&crate::classify::shipped_model(Task::Sentiment), path, Some(Task::Sentiment)).unwrap();
        let gate = crate::classify::parse_beside(Some(&crate::classify::shipped_gate()), path).unwrap();
        let mut stack = crate::classify::parse_stack(crate::classify::SHIPPED_STACK, "shipped").unwrap();
        // The route's expert, as format 4 routed (these tests are about routing, not its model).
        if let Some(r) = stack.route.as_mut() {
            r.own_model = false;
        }
        (model, gate, stack)
    }

    #[test]
    fn the_shipped_default_scores_the_same_in_one_pass_as_model_by_model() {
        use crate::normalize::Normalizer;
        let n = Normalizer::default();
        let (model, gate, stack) = shipped_parts();
        let joint = Stacked::new(model, gate, LexiconSentiment::builtin(&n), stack, None).unwrap();
        assert!(joint.joint.is_some(), "the shipped gate shares the model's feature space");
        let separate =
            Stacked { joint: None, ..Stacked::new(joint.model.clone(), joint.gate.clone(), LexiconSentiment::builtin(&n), joint.stack.clone(), None).unwrap() };
        for text in ["Der Zug hat wieder 40 Minuten Verspätung, danke für nichts", "Super Service, sehr freundlich!", "Die Sitzung beginnt um 10 Uhr.", ""] {
            let t = n.normalize(text);
            let (a, b) = (joint.probabilities(&t), separate.probabilities(&t));
            assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5), "{text}: {a:?} vs {b:?}");
        }
    }

    #[test]
    fn a_routed_document_is_scored_by_its_corpus_expert_alone() {
        use crate::normalize::Normalizer;
        let n = Normalizer::default();
        let (model, gate, stack) = shipped_parts();
        let germeval = stack.domains.iter().position(|d| d == "germeval").unwrap();
        let expert = stack.experts.iter().position(|&d| d == germeval).unwrap();
        let route = Route { corpus: germeval, expert, gate: ROUTE_GATE, anchors: Vec::new(), own_model: false };
        let routing =
            Stacked::new(model.clone(), gate.clone(), LexiconSentiment::builtin(&n), Stack { route: Some(route.clone()), ..stack.clone() }, None).unwrap();
        let plain = Stacked::new(model.clone(), gate.clone(), LexiconSentiment::builtin(&n), Stack { route: None, ..stack.clone() }, None).unwrap();
        let rail = n.normalize("Die S-Bahn hat schon wieder 20 Minuten Verspätung und der Anschluss ist weg #bahn");
        let (p, routed) = routing.probabilities_routed(&rail);
        assert!(routed, "a rail complaint is GermEval's kind of text");
        // With anchors, only a document that has one of them is routed.
        let anchored = |words: &[&str]| {
            let anchors = words.iter().map(|w| n.normalize(w)[0].text.to_string()).collect();
            let stack = Stack { route: Some(Route { anchors, ..route.clone() }), ..stack.clone() };
            Stacked::new(model.clone(), gate.clone(), LexiconSentiment::builtin(&n), stack, None).unwrap().probabilities_routed(&rail)
        };
        assert_eq!(anchored(&["Verspätung", "Zug"]), (p, true));
        assert!(!anchored(&["Lieferung", "Zug"]).1, "no anchor in the text: not routed");
        let z = routing.gate.as_ref().unwrap().logits(&rail);
        let at = stack.domains.len() + 3 * expert;
        let mut e = [z[at], z[at + 1], z[at + 2]];
        softmax(&mut e);
        assert!(p.iter().zip(e).all(|(a, b)| (a - b).abs() < 1e-5), "{p:?} vs the expert's {e:?}");
        assert_eq!(routing.routed_prior().map(|a| a.from), stack.domain_mix[germeval]);
        // Without a route nothing is routed, and text unlike GermEval is scored as before.
        assert!(!plain.probabilities_routed(&rail).1);
        let other = n.normalize("Tolles Konzert gestern Abend, die Band war großartig 😍");
        assert_eq!(routing.probabilities_routed(&other), plain.probabilities_routed(&other));
        // A route to a corpus without an expert does not fit.
        let mozetic = stack.domains.iter().position(|d| d == "mozetic").unwrap();
        let bad = Stack { route: Some(Route { corpus: mozetic, ..route }), ..stack };
        assert!(matches!(Stacked::new(model, gate, LexiconSentiment::builtin(&n), bad, None), Err(crate::classify::CombineError::Route { .. })));
    }

    #[test]
    fn the_shipped_default_routes_rail_feedback_and_not_other_customers_feedback() {
        use crate::normalize::Normalizer;
        let n = Normalizer::default();
        let (model, gate, stack) = shipped_parts();
        let route = stack.route.clone().expect("the shipped model routes");
        assert_eq!(stack.domains[route.corpus], "germeval");
        assert!(route.anchors.iter().any(|a| a == "bahn"), "{:?}", route.anchors);
        let default = Stacked::new(model, gate, LexiconSentiment::builtin(&n), stack, None).unwrap();
        for rail in ["Die S-Bahn hat schon wieder 20 Minuten Verspätung und der Anschluss ist weg #bahn", "GDL kündigt neuen Bahnstreik an"] {
            assert!(default.probabilities_routed(&n.normalize(rail)).1, "{rail}");
        }
        for other in [
            "Die Lieferung der Ersatzteile kam schon wieder zu spät, der Service antwortet nicht",
            "Hotline von Auerhahn Maschinenbau ist nie erreichbar, Ticket wird einfach geschlossen",
            "Tolles Konzert gestern Abend, die Band war großartig 😍",
        ] {
            assert!(!default.probabilities_routed(&n.normalize(other)).1, "{other}");
        }
        // The gate alone would have sent such feedback to the rail expert.
        let gate_only =
            Stacked { anchors: Vec::new(), stack: Stack { route: Some(Route { anchors: Vec::new(), ..route }), ..default.stack.clone() }, ..default };
        let hotline = n.normalize("Hotline von Auerhahn Maschinenbau ist nie erreichbar, Ticket wird einfach geschlossen");
        assert!(gate_only.probabilities_routed(&hotline).1);
    }

    #[test]
    fn the_shipped_default_scores_routed_rail_feedback_by_its_route_model_without_the_batch_em() {
        use crate::normalize::Normalizer;
        let n = Normalizer::default();
        let loaded = crate::classify::load_classifier("default", Some(Task::Sentiment), &n).unwrap();
        let c = loaded.classifier.as_ref();
        let texts = [
            "Die S-Bahn hat schon wieder 20 Minuten Verspätung und der Anschluss ist weg #bahn",
            "GDL kündigt neuen Bahnstreik an",
            "Die Lieferung der Ersatzteile kam schon wieder zu spät, der Service antwortet nicht",
            "Tolles Konzert gestern Abend, die Band war großartig 😍",
        ];
        let scored: Vec<([f32; 3], bool)> = texts
            .iter()
            .map(|t| {
                let (p, routed) = c.predict_routed(&n.normalize(t));
                (crate::classify::three_class(&p), routed)
            })
            .collect();
        assert_eq!(scored.iter().map(|s| s.1).collect::<Vec<_>>(), [true, true, false, false]);
        assert_eq!(c.routed_to(), Some("germeval"));
        assert!(c.routed_prior().is_none(), "the route model is calibrated on its corpus");
        // Routed documents keep their probabilities; the others move to the batch's mix.
        let adapted = c.adapt_to_batch(&scored);
        assert_eq!(adapted[..2], [scored[0].0, scored[1].0]);
        assert!(adapted[2..].iter().zip(&scored[2..]).any(|(a, (p, _))| a != p));
        // What routes: the route model's own sentiment, its gate beside it.
        let route = crate::classify::parse_beside(Some(&crate::classify::shipped_route_model()), std::path::Path::new("route.json")).unwrap().unwrap();
        let z = route.logits(&n.normalize(texts[0]));
        let mut own = [z[0], z[1], z[2]];
        softmax(&mut own);
        assert!(super::super::linear::sigmoid(z[3]) >= ROUTE_GATE);
        assert!(own.iter().zip(scored[0].0).all(|(a, b)| (a - b).abs() < 1e-5), "{own:?} vs {:?}", scored[0].0);
    }

    #[test]
    fn routed_documents_get_a_batch_prior_of_their_own() {
        let a = Adaptation { from: [1.0 / 3.0; 3], strength: 0.0 };
        let r = Adaptation { from: [0.3, 0.6, 0.1], strength: 0.0 };
        // Unrouted documents lean positive, routed ones negative.
        let probs: Vec<[f32; 3]> = (0..40).map(|i| if i < 20 { [0.1, 0.3, 0.6] } else { [0.6, 0.3, 0.1] }).collect();
        let scored: Vec<([f32; 3], bool)> = probs.iter().enumerate().map(|(i, p)| (*p, i >= 20)).collect();
        let out = adapt_batch(&scored, &a, Some(&r));
        // Each group as if it were a batch of its own.
        let alone = |from: usize, to: usize, ad: &Adaptation| {
            let ps = &probs[from..to];
            let prior = estimate_prior(ps, ad);
            ps.iter().map(|p| adapt(p, &ad.from, &prior)).collect::<Vec<_>>()
        };
        assert_eq!(out[..20], alone(0, 20, &a)[..]);
        assert_eq!(out[20..], alone(20, 40, &r)[..]);
        // Without a prior for them routed documents keep their probabilities.
        assert_eq!(adapt_batch(&scored, &a, None)[20..], probs[20..]);
        // Nothing routed: the plain batch EM.
        let unrouted: Vec<([f32; 3], bool)> = probs.iter().map(|p| (*p, false)).collect();
        assert_eq!(adapt_batch(&unrouted, &a, Some(&r)), alone(0, 40, &a));
    }

    #[test]
    fn golden_stacker_input_order() {
        // Saved stackers (`stack.json`, format 3) hold one weight per input in this order: it
        // must not change without a new format.
        let e = Evidence { positive: 1.0, negative: 0.0, score: 0.5 };
        let ctx = Context { familiarity: 0.5, prior: [0.2, 0.5, 0.3], experts: [0.1, 0.6, 0.3] };
        let x = stack_features(&[0.25, 0.5, 0.25], e, ctx);
        let ln = |v: f32| v.ln();
        let want = [
            ln(0.25),
            ln(0.5),
            ln(0.25),
            0.5,
            ln(2.0),
            0.0,
            0.5,
            0.5 * ln(0.25),
            0.5 * ln(0.5),
            0.5 * ln(0.25),
            0.25,
            ln(0.2),
            ln(0.5),
            ln(0.3),
            ln(0.1),
            ln(0.6),
            ln(0.3),
            0.5 * ln(0.1),
            0.5 * ln(0.6),
            0.5 * ln(0.3),
        ];
        assert_eq!(STACK_FORMAT, 5);
        assert!(x.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6), "{x:?}");
    }

    #[test]
    fn the_domain_prior_follows_the_corpora_a_text_resembles() {
        let mixes = [Some([0.3, 0.6, 0.1]), Some([0.2, 0.3, 0.5]), None];
        let logit = |p: f32| (p / (1.0 - p)).ln();
        let pooled = [0.2, 0.2, 0.6];
        // Gate logits for three corpora, then the first corpus's expert (sure: neutral).
        let with = |g: [f32; 3]| -> Vec<f32> { g.iter().map(|&p| logit(p)).chain([0.0, 9.0, 0.0]).collect() };
        // Surely the first corpus: close to its mix, and its expert speaks.
        let first = Context::of(&with([0.95, 0.01, 0.0001]), &mixes, &[0], &pooled);
        assert!((first.familiarity - 0.95).abs() < 1e-4);
        assert!((first.prior[1] - 0.6).abs() < 0.02 && (first.prior[2] - 0.1).abs() < 0.02, "{first:?}");
        assert!(first.experts[1] > 0.9, "{first:?}");
        // Like nothing the gate knows: near uniform, not familiar, the pooled model speaks.
        let none = Context::of(&with([0.001, 0.001, 0.0001]), &mixes, &[0], &pooled);
        assert!(none.prior.iter().all(|p| (p - 1.0 / 3.0).abs() < 0.02), "{none:?}");
        assert!((none.experts[2] - 0.6).abs() < 0.03, "{none:?}");
        // A polarity-only corpus (no mix) leaves the prior alone and is not familiar.
        let polar = Context::of(&with([0.0001, 0.0001, 0.9]), &mixes, &[0], &pooled);
        assert!(polar.familiarity < 0.01, "{polar:?}");
        assert!(polar.prior.iter().all(|p| (p - 1.0 / 3.0).abs() < 0.01), "{polar:?}");
        let c = Context::of(&with([0.5, 0.5, 0.2]), &mixes, &[0], &pooled);
        assert!((c.prior.iter().sum::<f32>() - 1.0).abs() < 1e-5 && (c.experts.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(domain_labels(&["a".into(), "b".into()], &[1]), ["a", "b", "b:negative", "b:neutral", "b:positive"]);
    }

    #[test]
    fn adapting_to_the_same_prior_changes_nothing_and_em_finds_a_skewed_mix() {
        let from = [1.0 / 3.0; 3];
        let p = [0.2, 0.5, 0.3];
        let same = adapt(&p, &from, &from);
        assert!(same.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-6));
        // A batch whose documents lean neutral: EM moves the prior towards neutral, and the
        // adapted probabilities' mean equals the prior (the fixed point).
        let probs: Vec<[f32; 3]> = (0..100).map(|i| if i % 10 == 0 { [0.7, 0.2, 0.1] } else { [0.2, 0.6, 0.2] }).collect();
        let prior = estimate_prior(&probs, &Adaptation { from, strength: 0.0 });
        assert!(prior[1] > 0.6, "{prior:?}");
        let mean: f32 = probs.iter().map(|p| adapt(p, &from, &prior)[1]).sum::<f32>() / 100.0;
        assert!((mean - prior[1]).abs() < 1e-3, "{mean} vs {prior:?}");
        // Shrinkage keeps the estimate between the start and the plain EM's answer.
        let shrunk = estimate_prior(&probs, &Adaptation { from, strength: 1.0 });
        assert!(shrunk[1] > from[1] && shrunk[1] < prior[1], "{shrunk:?} vs {prior:?}");
        assert_eq!(estimate_prior(&[], &Adaptation { from, strength: 0.0 }), from);
    }
}
