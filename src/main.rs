//! The `resonanz` command line: parses arguments, calls the library, maps errors to exit
//! codes (0 ok, 1 usage/config, 2 input error, 3 too many rejects).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use resonanz::ingest::{layout::Layouts, IngestOptions};
use resonanz::pipeline::{self, RunOptions};
use resonanz::Error;

/// mimalloc: ingest allocates many small strings per row from several threads; glibc's
/// allocator spent a sixth of the ingest time consolidating them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "resonanz", version, about = "Mention exports in, German sentiment/topic/ROI reports out")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline on export files or directories (default: the shipped sample in data/).
    Run(RunArgs),
    /// Show what resonanz detects in export files and what it would reject; writes nothing.
    Inspect(InspectArgs),
    /// Generate a seeded export of fictional German mentions (for demos and benchmarks).
    Synth(SynthArgs),
    /// Score a classifier on labelled data: accuracy, micro/macro-F1, per class, confusion, docs/s.
    Eval(EvalArgs),
    /// Train a model on labelled data, choosing its penalty by k-fold cross-validation.
    Train(TrainArgs),
}

#[derive(Args)]
struct TrainArgs {
    /// Labelled data: GermEval 2017 TSV or CSV with `text,label`.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    #[arg(long, value_enum)]
    task: resonanz::classify::Task,
    /// Algorithm (linfa multinomial logistic regression).
    #[arg(long, default_value = "logistic", value_parser = ["logistic"])]
    algo: String,
    /// Output directory; the model is written to OUT/model.json.
    #[arg(long)]
    out: PathBuf,
    /// Penalties to try (L2 `alpha`); the best by cross-validated micro-F1 is kept.
    #[arg(long, num_args = 1.., default_values_t = [0.3, 1.0, 3.0])]
    alpha: Vec<f64>,
    /// Features kept after chi² selection.
    #[arg(long, default_value_t = 12_000)]
    max_features: usize,
    #[arg(long, default_value_t = 5)]
    folds: usize,
}

#[derive(Args)]
struct SynthArgs {
    /// Number of mentions.
    #[arg(long, default_value_t = 1000)]
    rows: u64,
    #[arg(long, value_enum, default_value = "brandwatch")]
    layout: resonanz::synth::SynthLayout,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file (or, with --demo, the directory for the demo files).
    #[arg(long)]
    out: PathBuf,
    /// Write the shipped three-month demo (three files, three layouts) instead.
    #[arg(long)]
    demo: bool,
}

#[derive(Args)]
struct IngestArgs {
    /// Extra export layouts (TOML, same format as the built-in ones); tried first.
    #[arg(long, value_name = "FILE")]
    layouts: Option<PathBuf>,
    /// Time zone for dates written without an offset (default: per layout).
    #[arg(long, value_name = "IANA_TZ")]
    timezone: Option<String>,
}

#[derive(Args)]
struct RunArgs {
    /// Export files or directories.
    paths: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Exit with code 3 when more than this share of rows (0..1) is rejected.
    #[arg(long, value_name = "RATE")]
    max_reject_rate: Option<f64>,
    /// No progress and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Print the run summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    ingest: IngestArgs,
    #[command(flatten)]
    models: ModelArgs,
}

#[derive(Args)]
struct ModelArgs {
    /// Topic taxonomy (TOML; default: the built-in Mittelstand taxonomy, models/topics/).
    #[arg(long, value_name = "FILE")]
    taxonomy: Option<PathBuf>,
    /// Sentiment lexicon (TOML in the built-in format) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    lexicon: Option<PathBuf>,
}

#[derive(Args)]
struct EvalArgs {
    /// Labelled data: GermEval 2017 TSV or CSV with `text,label`.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Classifier: `lexicon` (built in), a lexicon file (`.toml`), or a trained model
    /// (`models/NAME` or its `model.json`), whose task picks the gold column.
    #[arg(long, default_value = "lexicon")]
    model: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct InspectArgs {
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print a JSON array of per-file reports.
    #[arg(long)]
    json: bool,
    /// How many rejects to show per file.
    #[arg(long, default_value_t = 10)]
    rejects: usize,
    #[command(flatten)]
    ingest: IngestArgs,
}

fn ingest_options(a: &IngestArgs) -> Result<IngestOptions, Error> {
    let layouts = match &a.layouts {
        Some(p) => Layouts::with_user_file(p)?,
        None => Layouts::builtin(),
    };
    let timezone = match &a.timezone {
        Some(tz) => Some(tz.parse().map_err(|_| Error::Usage(format!("--timezone: unknown time zone `{tz}`")))?),
        None => None,
    };
    Ok(IngestOptions { layouts, timezone })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Inspect(a) => inspect(a),
        Command::Synth(a) => synth(a),
        Command::Eval(a) => eval(a),
        Command::Train(a) => train(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("resonanz: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(a: RunArgs) -> Result<u8, Error> {
    if let Some(r) = a.max_reject_rate {
        if !(0.0..=1.0).contains(&r) {
            return Err(Error::Usage(format!("--max-reject-rate must be between 0 and 1, not {r}")));
        }
    }
    let inputs = if a.paths.is_empty() { vec![PathBuf::from("data")] } else { a.paths };
    let classifier = Some(std::sync::Arc::new(mention_classifier(&a.models)?));
    let opts = RunOptions { inputs, out: a.out, ingest: ingest_options(&a.ingest)?, classifier, quiet: a.quiet };
    let s = pipeline::run(&opts)?;
    if a.json {
        let _ = std::io::stdout().write_all(&resonanz::report::to_json_bytes(&s));
    }
    if !a.quiet {
        for f in &s.files {
            match &f.error {
                Some(e) => eprintln!("  {}: NOT READ: {e}", f.path),
                None => eprintln!(
                    "  {}: {} ({}, {}), header line {}: {} rows → {} mentions, {} duplicates, {} rejected",
                    f.path,
                    f.tool,
                    f.encoding.map_or("spreadsheet", |e| e.as_str()),
                    f.delimiter.as_deref().map_or("-".to_string(), |d| format!("{d:?}")),
                    f.header_line,
                    f.rows_in,
                    f.mentions,
                    f.duplicates,
                    f.rejected
                ),
            }
        }
        eprintln!(
            "resonanz: {} rows in → {} mentions + {} duplicates + {} rejected ({} warnings) → {}",
            s.rows_in,
            s.mentions,
            s.duplicates,
            s.rejected,
            s.warnings,
            opts.out.display()
        );
    }
    let rate = if s.rows_in == 0 { 0.0 } else { s.rejected as f64 / s.rows_in as f64 };
    match a.max_reject_rate {
        Some(max) if rate > max => {
            eprintln!("resonanz: {:.1}% of rows rejected, above --max-reject-rate {:.1}%", rate * 100.0, max * 100.0);
            Ok(3)
        }
        _ => Ok(0),
    }
}

fn inspect(a: InspectArgs) -> Result<u8, Error> {
    let opts = ingest_options(&a.ingest)?;
    let reports = pipeline::inspect(&a.paths, &opts, a.rejects)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let _ = out.write_all(&resonanz::report::to_json_bytes(&reports));
        return Ok(0);
    }
    for r in &reports {
        let f = &r.file;
        let _ = writeln!(out, "{}", f.path);
        if let Some(e) = &f.error {
            let _ = writeln!(out, "  not readable: {e}\n");
            continue;
        }
        let _ = writeln!(
            out,
            "  layout {} | {} | encoding {}{} | delimiter {} | header line {}",
            f.tool,
            f.format,
            f.encoding.map_or("-", |e| e.as_str()),
            if f.bom { " (BOM)" } else { "" },
            f.delimiter.as_deref().map_or("-".to_string(), |d| format!("{d:?}")),
            f.header_line
        );
        let _ = writeln!(out, "  dates without offset read as {}", f.naive_timezone);
        for (field, col) in &f.columns {
            let _ = writeln!(out, "    {field:<16} ← {col}");
        }
        let _ = writeln!(
            out,
            "  rows {} → mentions {}, duplicates {}, rejected {} (blank lines {}, warnings {})",
            f.rows_in, f.mentions, f.duplicates, f.rejected, f.skipped_lines, f.warnings
        );
        for rj in &r.first_rejects {
            let col = rj.column_name.as_deref().map(|c| format!(", column {c}")).unwrap_or_default();
            let _ = writeln!(out, "    reject line {}{}: {}", rj.line, col, rj.reason);
        }
        let _ = writeln!(out);
    }
    Ok(0)
}

fn synth(a: SynthArgs) -> Result<u8, Error> {
    use chrono::TimeZone;
    use resonanz::synth;
    let werr = |source| Error::Write { path: a.out.clone(), source };
    if a.demo {
        for (name, n) in synth::write_demo(&a.out).map_err(werr)? {
            eprintln!("  {name}: {n} rows");
        }
        return Ok(0);
    }
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
    let end = chrono::Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().unwrap_or_default();
    let mut g = synth::Generator::new(a.seed, start, end, a.rows);
    let file = std::fs::File::create(&a.out).map_err(werr)?;
    let n = synth::write_export(a.layout, (0..a.rows).map(|_| g.next_mention()), file).map_err(werr)?;
    eprintln!("resonanz: wrote {n} mentions to {}", a.out.display());
    Ok(0)
}

fn read_config_file(path: &std::path::Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

fn mention_classifier(m: &ModelArgs) -> Result<resonanz::classify::MentionClassifier, Error> {
    use resonanz::classify::{lexicon::LexiconSentiment, topics::Taxonomy, MentionClassifier};
    let mut c = MentionClassifier::default_models();
    if let Some(p) = &m.taxonomy {
        let t = Taxonomy::from_toml(&read_config_file(p)?, &c.normalizer)
            .map_err(|e| Error::Usage(format!("{}: {e}", p.display())))?;
        c.taxonomy = Some(t);
        c.version = c.version.replace("topics=mittelstand", &format!("topics={}", p.display()));
    }
    if let Some(p) = &m.lexicon {
        let l = LexiconSentiment::from_toml(&read_config_file(p)?, &c.normalizer)
            .map_err(|e| Error::Usage(format!("{}: {e}", p.display())))?;
        c.sentiment = Box::new(l);
        c.version = c.version.replace("sentiment=lexicon-de", &format!("sentiment=lexicon:{}", p.display()));
    }
    Ok(c)
}

fn eval(a: EvalArgs) -> Result<u8, Error> {
    use resonanz::classify::{data, lexicon::LexiconSentiment};
    let mut normalizer = resonanz::normalize::Normalizer::default();
    let classifier: Box<dyn resonanz::classify::Classifier> = match a.model.as_str() {
        "lexicon" => Box::new(LexiconSentiment::builtin(&normalizer)),
        path if path.ends_with(".toml") => Box::new(
            LexiconSentiment::from_toml(&read_config_file(std::path::Path::new(path))?, &normalizer)
                .map_err(|e| Error::Usage(format!("{path}: {e}")))?,
        ),
        path => {
            let m = load_model(std::path::Path::new(path), None)?;
            normalizer = resonanz::normalize::Normalizer::new(m.normalizer); // as in training
            Box::new(m)
        }
    };
    let mut examples = Vec::new();
    for p in &a.data {
        examples.extend(data::read_labelled(p).map_err(|e| Error::NoInput(e.to_string()))?);
    }
    let report = resonanz::classify::evaluate_on(classifier.as_ref(), &normalizer, &examples)
        .map_err(Error::Usage)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let _ = out.write_all(&resonanz::report::to_json_bytes(&report));
        return Ok(0);
    }
    let _ = writeln!(out, "{} on {} documents ({}): accuracy {:.3}, micro-F1 {:.3}, macro-F1 {:.3}, {:.0} docs/s",
        report.model, report.metrics.n, report.task, report.metrics.accuracy, report.metrics.micro_f1, report.metrics.macro_f1, report.docs_per_s);
    let _ = writeln!(out, "  {:<10} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "f1", "support");
    for (label, c) in &report.metrics.per_class {
        let _ = writeln!(out, "  {:<10} {:>9.3} {:>9.3} {:>9.3} {:>8}", label, c.precision, c.recall, c.f1, c.support);
    }
    let _ = writeln!(out, "  confusion (rows gold, columns predicted: {}):", report.metrics.labels.join(", "));
    for (label, row) in report.metrics.labels.iter().zip(&report.metrics.confusion) {
        let _ = writeln!(out, "  {:<10} {:?}", label, row);
    }
    Ok(0)
}

fn train(a: TrainArgs) -> Result<u8, Error> {
    use resonanz::classify::{data, features::FeatureSettings, linear, Task};
    use resonanz::normalize::{Normalizer, NormalizerSettings};
    if a.folds < 2 {
        return Err(Error::Usage("--folds must be at least 2".into()));
    }
    let started = std::time::Instant::now();
    let normalizer = Normalizer::new(NormalizerSettings::default());
    let mut examples = Vec::new();
    for p in &a.data {
        examples.extend(data::read_labelled(p).map_err(|e| Error::NoInput(e.to_string()))?);
    }
    let gold: Vec<usize> = examples
        .iter()
        .map(|e| match a.task {
            Task::Sentiment => e.sentiment.map(|s| s as usize),
            Task::Relevance => e.relevant.map(|r| r as usize),
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::Usage(format!("the data has no {} labels", a.task.as_str())))?;
    let docs: Vec<_> = examples.iter().map(|e| normalizer.normalize(&e.text)).collect();
    let grid: Vec<linear::TrainParams> = a
        .alpha
        .iter()
        .map(|&alpha| linear::TrainParams { alpha, max_features: a.max_features, ..Default::default() })
        .collect();
    let (mut model, candidates) = linear::select_and_train(
        &docs, &gold, a.task, normalizer.settings(), FeatureSettings::default(), &grid, a.folds,
    )
    .map_err(|e| Error::Usage(e.to_string()))?;
    model.training_data = a.data.iter().map(|p| p.display().to_string()).collect();
    for c in &candidates {
        eprintln!(
            "  alpha {:<6} {}-fold CV: accuracy {:.3}, micro-F1 {:.3}, macro-F1 {:.3}",
            c.params.alpha, c.cv.folds, c.cv.accuracy, c.cv.micro_f1, c.cv.macro_f1
        );
    }
    let path = a.out.join("model.json");
    std::fs::create_dir_all(&a.out).map_err(|source| Error::Write { path: a.out.clone(), source })?;
    resonanz::report::atomic::write_file(&path, model.to_json().as_bytes())
        .map_err(|source| Error::Write { path: path.clone(), source })?;
    eprintln!(
        "resonanz: {} model (alpha {}) on {} documents → {} in {:.1} s",
        a.task.as_str(),
        model.params.alpha,
        model.training_documents,
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// A trained model from `models/NAME` (or a `model.json` path).
fn load_model(path: &std::path::Path, task: Option<resonanz::classify::Task>) -> Result<resonanz::classify::linear::LinearModel, Error> {
    let file = if path.is_dir() { path.join("model.json") } else { path.to_path_buf() };
    resonanz::classify::linear::LinearModel::load(&file, task).map_err(|e| Error::Usage(e.to_string()))
}
