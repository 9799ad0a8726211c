//! `resonanz train`: a model trained on labelled data (plain, adapted to a base, or cross-domain).

use std::path::PathBuf;

use clap::Args;
use resonanz::Error;

use super::{print_held_out, read_corpora, read_examples};

#[derive(Args)]
pub struct TrainArgs {
    /// Labelled data: GermEval 2017 TSV or CSV with `text` and `label`/`relevance`/`topics`.
    #[arg(long, required_unless_present = "corpus", num_args = 1..)]
    data: Vec<PathBuf>,
    /// Sentiment across domains: one labelled corpus per flag, `NAME=FILE[,FILE…]`. Trains
    /// the stacked default classifier (model + lexicon + stacker, class prior adapted per
    /// batch) and scores it leave one corpus out; `--grid` gives the C values to compare.
    #[arg(long, value_name = "NAME=FILES")]
    corpus: Vec<String>,
    /// Adapt this model (`default`: the shipped one, or a model folder) to the labels in
    /// --data (a `resonanz sample` CSV filled in) instead of training from zero; prints and
    /// writes into OUT/MODEL_CARD.md base vs adapted by k-fold CV on those labels.
    #[arg(long, value_name = "MODEL")]
    base: Option<String>,
    /// With --corpus: the domain model without per-corpus experts (the gate alone).
    #[arg(long)]
    no_experts: bool,
    /// With --corpus: text that has one of this corpus's anchors (words common in it and
    /// rare in the other corpora, learned and printed) and that a gate of the corpus places
    /// in it (probability ≥ 0.5) is scored by a model of this corpus alone, on features of
    /// its own (`route.json`), its probabilities kept out of the batch's class-mix
    /// estimate (the corpus must label all three classes). The printed tables do not show
    /// it: held out, a corpus has no model to be routed to (model card).
    #[arg(long, value_name = "NAME")]
    route: Option<String>,
    /// With --corpus: keep this prior variant (`stacked`, `stacked+mix+em`, …) instead of
    /// choosing the best by the leave-one-corpus-out criterion.
    #[arg(long)]
    variant: Option<String>,
    #[arg(long, value_enum)]
    task: resonanz::classify::Task,
    #[arg(long, value_enum, default_value = "sparse-logistic")]
    algo: resonanz::train::fit::Algorithm,
    /// Output directory; the model is written to OUT/model.json.
    #[arg(long)]
    out: PathBuf,
    /// Values of the algorithm's knob to compare (logistic: C, naive Bayes: smoothing);
    /// default: the algorithm's grid. The best by cross-validated micro-F1 is kept.
    #[arg(long, num_args = 1..)]
    grid: Vec<f64>,
    /// Features kept after chi² ranking (0: all that occur in two documents or more).
    #[arg(long)]
    max_features: Option<usize>,
    /// Cross-validation folds (default 5); with --corpus: the in-domain folds of the
    /// stacker's rows (default 2).
    #[arg(long)]
    folds: Option<usize>,
    /// Character n-gram lengths inside words, `MIN-MAX` (`0-0`: none).
    #[arg(long, default_value = "2-5", value_parser = parse_range)]
    chars: (usize, usize),
    /// Keep stop words.
    #[arg(long)]
    keep_stop_words: bool,
    /// Do not stem.
    #[arg(long)]
    no_stem: bool,
    /// Do not mark negation scope.
    #[arg(long)]
    no_negation: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("expected MIN-MAX with MIN ≤ MAX ≤ 12, e.g. 3-5")]
pub struct RangeError;

pub fn parse_range(s: &str) -> Result<(usize, usize), RangeError> {
    let (a, b) = s.split_once('-').ok_or(RangeError)?;
    let (a, b) = (a.trim().parse::<usize>().map_err(|_| RangeError)?, b.trim().parse::<usize>().map_err(|_| RangeError)?);
    if a > b || b > 12 {
        return Err(RangeError);
    }
    Ok((a, b))
}

pub fn train(a: TrainArgs) -> Result<u8, Error> {
    use resonanz::classify::features::FeatureSettings;
    use resonanz::normalize::{Normalizer, NormalizerSettings};
    use resonanz::train::{
        data,
        fit::{self as train, Algorithm, Corpus, TrainParams},
    };
    let started = std::time::Instant::now();
    let normalizer = Normalizer::new(NormalizerSettings {
        stem: !a.no_stem,
        stop_words: !a.keep_stop_words,
        negation: !a.no_negation,
        revision: resonanz::normalize::REVISION,
    });
    let features = FeatureSettings { char_min: a.chars.0, char_max: a.chars.1, ..FeatureSettings::default() };
    if !a.corpus.is_empty() {
        return train_cross_domain(&a, &normalizer, features, started);
    }
    if a.route.is_some() || a.variant.is_some() || a.no_experts {
        return Err(Error::Usage("--route, --variant and --no-experts go with --corpus".into()));
    }
    if let Some(base) = &a.base {
        return train_adapted(&a, base, started);
    }
    let examples = read_examples(&a.data)?;
    let targets = data::targets(&examples, a.task, None).map_err(resonanz::train::TrainError::Data)?;
    let docs: Vec<_> = targets.examples.iter().map(|&i| normalizer.normalize(&examples[i].text)).collect();
    let defaults = a.algo.defaults_for(a.task);
    let defaults = TrainParams { max_features: a.max_features.unwrap_or(defaults.max_features), ..defaults };
    let grid: Vec<TrainParams> = if a.grid.is_empty() {
        a.algo.grid_for(a.task).into_iter().map(|p| TrainParams { max_features: defaults.max_features, ..p }).collect()
    } else {
        a.grid
            .iter()
            .map(|&v| match a.algo {
                Algorithm::NaiveBayes => TrainParams { smoothing: v, ..defaults },
                _ => TrainParams { c: v, ..defaults },
            })
            .collect()
    };
    let corpus = Corpus { task: a.task, labels: &targets.labels, docs: &docs, gold: &targets.gold, normalizer: normalizer.settings(), features };
    let mut model = train::select_and_train(&corpus, &grid, a.folds.unwrap_or(super::CV_FOLDS)).map_err(resonanz::train::TrainError::Model)?;
    model.training_data = a.data.iter().map(|p| p.display().to_string()).collect();
    for c in &model.selection {
        eprintln!(
            "  {} C {} smoothing {}{}: {}-fold CV accuracy {:.3}, micro-F1 {:.3}, macro-F1 {:.3}, {:.1} s per fit",
            c.params.algorithm.as_str(),
            c.params.c,
            c.params.smoothing,
            c.cv.threshold.map(|t| format!(" threshold {t}")).unwrap_or_default(),
            c.cv.folds,
            c.cv.accuracy,
            c.cv.micro_f1,
            c.cv.macro_f1,
            c.cv.fit_s
        );
    }
    let path = a.out.join("model.json");
    std::fs::create_dir_all(&a.out).map_err(|source| Error::Write { path: a.out.clone(), source })?;
    resonanz::report::atomic::write_file(&path, model.to_json().as_bytes()).map_err(|source| Error::Write { path: path.clone(), source })?;
    eprintln!(
        "resonanz: {} {} model, {} labels, {} features, {} documents → {} in {:.1} s",
        a.task.as_str(),
        model.algorithm,
        model.labels.len(),
        model.feature_ids.len(),
        model.training_documents,
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// `train --base MODEL --data LABELS.csv`: the base adapted to the analyst's labels, with
/// base vs adapted by k-fold CV; writes OUT/model.json, OUT/stack.json (sentiment) and
/// OUT/MODEL_CARD.md.
pub fn train_adapted(a: &TrainArgs, base: &str, started: std::time::Instant) -> Result<u8, Error> {
    use resonanz::train::adapt;
    let normalizer = resonanz::normalize::Normalizer::default();
    let base = adapt::Base::load(base, a.task, &normalizer)?;
    let examples = read_examples(&a.data)?;
    let bar = resonanz::progress::steps_spinner();
    let adapted = adapt::adapt(&base, a.task, &examples, a.folds.unwrap_or(super::CV_FOLDS), &normalizer, &|m| bar.set_message(m.to_string()))?;
    bar.finish_and_clear();
    let r = &adapted.report;
    eprintln!(
        "{} labelled mentions ({}), {} rows without a label skipped; {}-fold CV on them:",
        r.labelled,
        r.class_counts.iter().map(|(l, c)| format!("{c} {l}")).collect::<Vec<_>>().join(", "),
        r.unlabelled,
        r.folds
    );
    let line = |name: &str, s: &adapt::Scores| {
        let share = s.share_error_pp.map(|e| format!(", share error {e:.1} pp")).unwrap_or_default();
        eprintln!("  {name:<28} accuracy {:.3}, macro-F1 {:.3}{share}", s.accuracy, s.macro_f1);
    };
    line(&format!("base {}", r.base.name), &r.base_scores);
    for (c, s) in &r.candidates {
        line(&format!("adapted C {c}{}", if *c == r.chosen_c { " (chosen)" } else { "" }), s);
    }
    let gain = r.chosen().macro_f1 - r.base_scores.macro_f1;
    let command = std::env::args().map(|s| if s.contains(' ') { format!("'{s}'") } else { s }).collect::<Vec<_>>().join(" ");
    std::fs::create_dir_all(&a.out).map_err(|source| Error::Write { path: a.out.clone(), source })?;
    let write = |name: &str, bytes: &[u8]| {
        let path = a.out.join(name);
        resonanz::report::atomic::write_file(&path, bytes).map_err(|source| Error::Write { path, source })
    };
    write("model.json", adapted.model.to_json().as_bytes())?;
    if let Some(stack) = &adapted.stack {
        write("stack.json", serde_json::to_string_pretty(stack).unwrap_or_default().as_bytes())?;
        if let Some(gate) = &base.gate {
            write("domains.json", gate.to_json().as_bytes())?;
        }
        if let Some(route) = &base.route_model {
            write("route.json", route.to_json().as_bytes())?;
        }
    }
    write("MODEL_CARD.md", adapt::model_card(r, &command).as_bytes())?;
    eprintln!(
        "resonanz: {} model adapted from {} → {} in {:.1} s; macro-F1 {gain:+.3} over the base{}",
        a.task.as_str(),
        r.base.name,
        a.out.display(),
        started.elapsed().as_secs_f64(),
        if gain > 0.0 { format!("; use it with `run --{}-model {}`", a.task.as_str(), a.out.display()) } else { ": no gain, keep the base".into() }
    );
    Ok(0)
}

/// `train --corpus …`: the stacked sentiment classifier, chosen and scored leave one corpus
/// out; writes OUT/model.json and OUT/stack.json (whose `card` holds every table).
pub fn train_cross_domain(
    a: &TrainArgs,
    normalizer: &resonanz::normalize::Normalizer,
    features: resonanz::classify::features::FeatureSettings,
    started: std::time::Instant,
) -> Result<u8, Error> {
    use resonanz::train::cross_domain::{self, Settings, VARIANTS};
    if a.task != resonanz::classify::Task::Sentiment {
        return Err(Error::Usage("--corpus trains the sentiment task only".into()));
    }
    if let Some(v) = &a.variant {
        if !VARIANTS[2..].contains(&v.as_str()) {
            return Err(Error::Usage(format!("--variant `{v}`: one of {}", VARIANTS[2..].join(", "))));
        }
    }
    let domains = read_corpora(&a.corpus)?;
    let route = match &a.route {
        None => None,
        Some(name) => Some(domains.iter().position(|d| &d.name == name).ok_or_else(|| Error::Usage(format!("--route {name}: no --corpus of that name")))?),
    };
    let grid = if a.grid.is_empty() { vec![Settings::default().c] } else { a.grid.clone() };
    let bar = resonanz::progress::steps_spinner();
    let say = |m: &str| bar.set_message(m.to_string());
    // Quality and honest shares both: mean (micro-F1 + macro-F1) / 2 minus the mean share
    // error (as a fraction) over the held-out corpora.
    let criterion = |rows: &[cross_domain::Held], v: &str| {
        cross_domain::mean_over_corpora(rows, v, |h| (h.micro_f1 + h.macro_f1) / 2.0) - cross_domain::mean_over_corpora(rows, v, |h| h.share_error_pp / 100.0)
    };
    let mut best: Option<(f64, cross_domain::Outcome, Settings, &str)> = None;
    let mut tables = Vec::new();
    for &c in &grid {
        let settings = Settings {
            c,
            max_features: a.max_features.unwrap_or(0),
            experts: !a.no_experts,
            folds: a.folds.unwrap_or(Settings::default().folds),
            route,
            ..Settings::default()
        };
        let outcome = cross_domain::train(&domains, settings, normalizer, features, &say)?;
        bar.suspend(|| {
            eprintln!("C {c}: leave one corpus out (train on the others, score the one left out)");
            print_held_out(&outcome.held_out, &mut std::io::stderr());
            eprintln!("C {c}: in domain (each corpus's out-of-fold documents, by the final stacker)");
            print_held_out(&outcome.in_domain, &mut std::io::stderr());
        });
        tables.push(serde_json::json!({ "settings": settings_json(&settings, &domains), "held_out": outcome.held_out, "in_domain": outcome.in_domain }));
        // This setting's best variant (the first on a tie), then against the other settings:
        // the outcome is moved, not copied per variant.
        let mut top: Option<(f64, &str)> = None;
        for &variant in VARIANTS[2..].iter().filter(|v| a.variant.as_deref().is_none_or(|w| w == **v)) {
            let score = criterion(&outcome.held_out, variant);
            eprintln!("  C {c}, {variant}: mean over held-out corpora of (micro-F1 + macro-F1) / 2 − share error = {score:.4}");
            if top.is_none_or(|t| score > t.0) {
                top = Some((score, variant));
            }
        }
        if let Some((score, variant)) = top {
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, outcome, settings, variant));
            }
        }
    }
    bar.finish_and_clear();
    let (score, outcome, settings, variant) = best.ok_or_else(|| Error::Usage("empty grid".into()))?;
    let mut stack = outcome.stack;
    let (t, em) = cross_domain::variant_prior(variant).unwrap_or((0.0, None));
    stack.target_prior = cross_domain::towards(&stack.training_prior, &outcome.mix, t);
    stack.em_strength = em;
    stack.measured = Some(cross_domain::measured(&outcome.held_out, variant));
    stack.card = serde_json::json!({
        "chosen": { "settings": settings_json(&settings, &domains), "variant": variant, "criterion": "mean over held-out corpora of (micro-F1 + macro-F1) / 2 minus mean share error / 100", "score": score },
        "corpora": domains.iter().map(|d| serde_json::json!({ "name": d.name, "sources": d.sources, "documents": d.examples.len() })).collect::<Vec<_>>(),
        "leave_one_corpus_out": tables,
    });
    std::fs::create_dir_all(&a.out).map_err(|source| Error::Write { path: a.out.clone(), source })?;
    let model_path = a.out.join("model.json");
    let stack_path = a.out.join("stack.json");
    let gate_path = a.out.join("domains.json");
    resonanz::report::atomic::write_file(&model_path, outcome.model.to_json().as_bytes())
        .map_err(|source| Error::Write { path: model_path.clone(), source })?;
    resonanz::report::atomic::write_file(&gate_path, outcome.gate.to_json().as_bytes()).map_err(|source| Error::Write { path: gate_path.clone(), source })?;
    if let Some(route) = &outcome.route_model {
        let path = a.out.join("route.json");
        resonanz::report::atomic::write_file(&path, route.to_json().as_bytes()).map_err(|source| Error::Write { path: path.clone(), source })?;
    }
    let stack_text = serde_json::to_string_pretty(&stack).unwrap_or_default();
    resonanz::report::atomic::write_file(&stack_path, stack_text.as_bytes()).map_err(|source| Error::Write { path: stack_path.clone(), source })?;
    eprintln!(
        "resonanz: stacked sentiment model (C {}, {variant}), {} features, {} documents in {} corpora → {} + {} in {:.1} s",
        settings.c,
        outcome.model.feature_ids.len(),
        outcome.model.training_documents,
        domains.len(),
        model_path.display(),
        stack_path.display(),
        started.elapsed().as_secs_f64()
    );
    if let Some(r) = &stack.route {
        let anchors = if r.anchors.is_empty() { "none: the gate alone decides".to_string() } else { r.anchors.join(" ") };
        let (gate, to) = if r.own_model { ("route.json's gate", "a model of that corpus alone (route.json)") } else { ("the gate", "its expert") };
        eprintln!("  routes text {gate} places in {} (p ≥ {}) with one of its anchors to {to}; anchors: {anchors}", domains[r.corpus].name, r.gate);
    }
    Ok(0)
}

/// Training settings as the model card records them: the routed corpus by name, not by its
/// position among the `--corpus` arguments.
fn settings_json(settings: &resonanz::train::cross_domain::Settings, domains: &[resonanz::train::cross_domain::Domain]) -> serde_json::Value {
    let mut v = serde_json::json!(settings);
    if let (Some(route), Some(corpus)) = (v.get_mut("route"), settings.route.and_then(|i| domains.get(i))) {
        *route = serde_json::json!(corpus.name);
    }
    v
}
