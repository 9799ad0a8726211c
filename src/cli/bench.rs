//! `resonanz bench`: every classifier for a task on the same data, side by side.

use std::path::PathBuf;

use clap::Args;
use resonanz::Error;

use super::{print_held_out, read_corpora, read_examples};

#[derive(Args)]
pub struct BenchArgs {
    /// Labelled training data (GermEval 2017 TSV or CSV).
    #[arg(long, required_unless_present = "corpus", num_args = 1..)]
    data: Vec<PathBuf>,
    /// Sentiment across domains, `NAME=FILE[,FILE…]` per corpus: every classifier (the
    /// linear model alone, the lexicon, the stacked run default with and without prior
    /// adaptation) scored leave one corpus out, with share errors.
    #[arg(long, value_name = "NAME=FILES")]
    corpus: Vec<String>,
    /// Learning curve of `train --base MODEL` on --data taken as the analyst's domain: a
    /// fifth of it held out, base and adapted scored on it for each of --sizes labels.
    #[arg(long, value_name = "MODEL")]
    base: Option<String>,
    /// With --base: the numbers of labels.
    #[arg(long, value_delimiter = ',', default_values_t = [100, 300, 1000])]
    sizes: Vec<usize>,
    /// With --base: how the labelled documents are picked.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [resonanz::train::adapt::Picking::Random, resonanz::train::adapt::Picking::LeastCertain])]
    picking: Vec<resonanz::train::adapt::Picking>,
    /// With --corpus: the linear model's C.
    #[arg(long, default_value_t = 3.0)]
    c: f64,
    /// With --corpus: the domain model without per-corpus experts (the gate alone).
    #[arg(long)]
    no_experts: bool,
    /// With --corpus: features kept after chi² ranking (0: all that occur in two documents
    /// or more), as `train --max-features`.
    #[arg(long, default_value_t = 0)]
    max_features: usize,
    /// With --corpus: character n-gram lengths inside words, `MIN-MAX`, as `train --chars`.
    #[arg(long, default_value = "2-5", value_parser = super::train::parse_range)]
    chars: (usize, usize),
    /// Held-out labelled data; without it, k-fold cross-validation on --data.
    #[arg(long, num_args = 1..)]
    test: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "sentiment")]
    task: resonanz::classify::Task,
    /// Cross-validation folds (default 5); with --corpus: the in-domain folds of the
    /// stacker's rows (default 2), as `train --folds`.
    #[arg(long)]
    folds: Option<usize>,
    /// Print the table as JSON.
    #[arg(long)]
    json: bool,
    /// With --corpus: also write every stacker row (each held-out corpus's stacker's rows,
    /// fitted and scored, and the final stacker's) as a tab-separated file, to try other
    /// ways of stacking or of estimating a batch's prior on them without retraining.
    #[arg(long, value_name = "FILE")]
    stack_rows: Option<PathBuf>,
}

pub fn bench_cross_domain(a: &BenchArgs) -> Result<u8, Error> {
    use resonanz::train::cross_domain::{self, Settings};
    if a.task != resonanz::classify::Task::Sentiment {
        return Err(Error::Usage("--corpus benches the sentiment task only".into()));
    }
    let domains = read_corpora(&a.corpus)?;
    let normalizer = resonanz::normalize::Normalizer::default();
    let bar = resonanz::progress::steps_spinner();
    let say = |m: &str| bar.set_message(m.to_string());
    let settings = Settings {
        c: a.c,
        experts: !a.no_experts,
        max_features: a.max_features,
        folds: a.folds.unwrap_or(Settings::default().folds),
        keep_stack_rows: a.stack_rows.is_some(),
        ..Settings::default()
    };
    let features = resonanz::classify::features::FeatureSettings { char_min: a.chars.0, char_max: a.chars.1, ..Default::default() };
    let outcome = cross_domain::train(&domains, settings, &normalizer, features, &say)?;
    bar.finish_and_clear();
    if let Some(path) = &a.stack_rows {
        let names: Vec<&str> = domains.iter().map(|d| d.name.as_str()).collect();
        resonanz::report::atomic::write_file(path, stack_rows_tsv(&outcome.stack_rows, &names).as_bytes())
            .map_err(|source| Error::Write { path: path.clone(), source })?;
        eprintln!("resonanz: {} stacker rows → {}", outcome.stack_rows.len(), path.display());
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "held_out": outcome.held_out, "in_domain": outcome.in_domain })).unwrap_or_default());
        return Ok(0);
    }
    println!("sentiment, leave one corpus out (each corpus scored by classifiers trained without it), C {}", a.c);
    print_held_out(&outcome.held_out, &mut std::io::stdout());
    println!("\nin domain (each corpus's out-of-fold documents, by the final stacker)");
    print_held_out(&outcome.in_domain, &mut std::io::stdout());
    Ok(0)
}

/// The stacker rows as `bench --stack-rows` writes them: a header, then per row the stacker
/// (the held-out corpus, or `final`), `fitted` or `scored`, the document's number and corpus,
/// whether the models that scored it never saw its corpus (`unseen`) or only not its
/// in-domain fold (`in-domain`), its gold label and the stacker's inputs.
fn stack_rows_tsv(rows: &[resonanz::train::cross_domain::StackRow], corpora: &[&str]) -> String {
    use std::fmt::Write;
    let labels = resonanz::classify::Task::Sentiment.labels();
    let mut out = format!("stacker\trole\tdocument\tcorpus\tscored_by\tgold\t{}\n", resonanz::classify::stacked::STACK_INPUTS.join("\t"));
    for r in rows {
        let stacker = r.stacker.map_or("final", |h| corpora[h]);
        let role = if r.fitted { "fitted" } else { "scored" };
        let by = if r.unseen_corpus { "unseen" } else { "in-domain" };
        let _ = write!(out, "{stacker}\t{role}\t{}\t{}\t{by}\t{}", r.document, corpora[r.corpus], labels[r.gold]);
        for x in r.inputs {
            let _ = write!(out, "\t{x}");
        }
        out.push('\n');
    }
    out
}

/// `bench --base MODEL --data FILE`: the learning curve of `train --base`.
pub fn bench_learning_curve(a: &BenchArgs, base: &str) -> Result<u8, Error> {
    use resonanz::train::adapt;
    let normalizer = resonanz::normalize::Normalizer::default();
    let b = adapt::Base::load(base, a.task, &normalizer)?;
    let examples = read_examples(&a.data)?;
    let bar = resonanz::progress::steps_spinner();
    let points = adapt::learning_curve(&b, &examples, &a.sizes, &a.picking, 0.2, &normalizer, &|m| bar.set_message(m.to_string()))?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&points).unwrap_or_default());
        return Ok(0);
    }
    let data = a.data.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" + ");
    println!(
        "{} adapted from {base} to labels of {data}; scored on the {} documents never labelled",
        a.task.as_str(),
        points.first().map_or(0, |p| p.held_out)
    );
    println!("| labels | picked | labels per class | C | base accuracy | base macro-F1 | adapted accuracy | adapted macro-F1 | base share error | adapted share error |");
    println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let pp = |s: &adapt::Scores| s.share_error_pp.map(|e| format!("{e:.1} pp")).unwrap_or_else(|| "–".into());
    for p in &points {
        println!(
            "| {} | {:?} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} |",
            p.labels,
            p.picking,
            p.class_counts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" / "),
            p.chosen_c,
            p.base.accuracy,
            p.base.macro_f1,
            p.adapted.accuracy,
            p.adapted.macro_f1,
            pp(&p.base),
            pp(&p.adapted)
        );
    }
    Ok(0)
}

pub fn bench(a: BenchArgs) -> Result<u8, Error> {
    if !a.corpus.is_empty() {
        return bench_cross_domain(&a);
    }
    if let Some(base) = &a.base {
        return bench_learning_curve(&a, base);
    }
    let train = read_examples(&a.data)?;
    let test = if a.test.is_empty() { None } else { Some(read_examples(&a.test)?) };
    let rows = resonanz::train::bench::bench(a.task, &train, test.as_deref(), a.folds.unwrap_or(super::CV_FOLDS))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
        return Ok(0);
    }
    println!(
        "{} on {} ({})",
        a.task.as_str(),
        a.data.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" + "),
        rows.first().map_or("", |r| r.evaluation.as_str())
    );
    println!("| classifier | settings | evaluation | n | accuracy | micro-F1 | macro-F1 | share error pp | fit s | docs/s (1 thread) |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let share = r.share_error_pp.map(|e| format!("{e:.1}")).unwrap_or_else(|| "–".into());
        println!(
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {share} | {:.2} | {:.0} |",
            r.classifier, r.settings, r.evaluation, r.n, r.accuracy, r.micro_f1, r.macro_f1, r.fit_s, r.docs_per_s
        );
    }
    if rows.iter().any(|r| r.classifier == "default (run)") {
        println!("\n`default (run)`: the shipped classifier `run` uses, trained on the corpora of models/MODEL_CARD.md (not held out if these data are among them; `bench --corpus` scores it leave one corpus out).");
    }
    Ok(0)
}
