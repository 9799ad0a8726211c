//! The `resonanz` command line: parses arguments, calls the library, maps errors to exit
//! codes (0 ok, 1 usage/config, 2 input error, 3 too many rejects).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use resonanz::ingest::{layout::Layouts, IngestOptions};
use resonanz::pipeline::{self, ReportOptions, RunOptions};
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
    /// Every classifier for a task on the same data: quality and speed side by side.
    Bench(BenchArgs),
    /// Merge the outputs of runs over disjoint parts of the inputs into the tables and report
    /// one run over all of them gives (from each part's partials/).
    Merge(MergeArgs),
    /// Pick mentions of a finished run to label (spread over channels, months and topics, no
    /// near-duplicates) as a CSV to fill in Excel.
    Sample(SampleArgs),
}

#[derive(Args)]
struct SampleArgs {
    /// Output directory of `resonanz run` (with mentions.parquet).
    run_dir: PathBuf,
    /// Number of mentions.
    #[arg(long, default_value_t = 300)]
    n: usize,
    /// The CSV to write.
    #[arg(long)]
    out: PathBuf,
    /// The seed of the random order (and of ties).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Order inside each channel × month × topic stratum: `spread` (random, the default:
    /// it measured best for `train --base`), `least-certain` first, or `mixed`.
    #[arg(long, value_enum, default_value = "spread")]
    order: resonanz::sample::Order,
    /// Comma-separated, `.` decimals, no byte order mark (default: German Excel's `;`,
    /// decimal comma, UTF-8 BOM).
    #[arg(long)]
    plain_csv: bool,
    /// Time zone of the `published_at` column and of the months sampled over.
    #[arg(long, default_value = "Europe/Berlin", value_name = "IANA_TZ")]
    timezone: String,
}

#[derive(Args)]
struct MergeArgs {
    /// Output directories of `resonanz run` (each with summary.json and partials/).
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Settings (`[roi]` costs, `excel_csv`, `lang`, `out`, `period`) from a report.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The report's period: outputs go to OUT/<period>/ and the tables end with it.
    #[arg(long)]
    period: Option<String>,
    /// Output directory [default: out].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the tables' CSV for German Excel: `;`, decimal comma, UTF-8 BOM.
    #[arg(long)]
    excel_csv: bool,
    /// Language of report.html [default: de].
    #[arg(long, value_enum)]
    lang: Option<resonanz::report::html::Lang>,
    /// No summary on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Print the merge summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BenchArgs {
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
    /// Held-out labelled data; without it, k-fold cross-validation on --data.
    #[arg(long, num_args = 1..)]
    test: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "sentiment")]
    task: resonanz::classify::Task,
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Print the table as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct TrainArgs {
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
    #[arg(long, default_value_t = 5)]
    folds: usize,
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
struct RangeError;

fn parse_range(s: &str) -> Result<(usize, usize), RangeError> {
    let (a, b) = s.split_once('-').ok_or(RangeError)?;
    let (a, b) = (a.trim().parse::<usize>().map_err(|_| RangeError)?, b.trim().parse::<usize>().map_err(|_| RangeError)?);
    if a > b || b > 12 {
        return Err(RangeError);
    }
    Ok((a, b))
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
    /// Export files or directories (default: the config's `inputs`, else data/).
    paths: Vec<PathBuf>,
    /// Settings of a scheduled run (report.toml); options given here win over it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The report's period (`YYYY-MM`, or `YYYY-Www` with --granularity week; with --config
    /// the default is the last full month): outputs go to OUT/<period>/.
    #[arg(long)]
    period: Option<String>,
    /// Output directory [default: out].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Exit with code 3 when more than this share of rows (0..1) is rejected.
    #[arg(long, value_name = "RATE")]
    max_reject_rate: Option<f64>,
    /// No progress and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Print the run summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Periods of the tables [default: month].
    #[arg(long, value_enum)]
    granularity: Option<resonanz::aggregate::Granularity>,
    /// Time zone the periods are cut in [default: Europe/Berlin].
    #[arg(long, value_name = "IANA_TZ")]
    report_timezone: Option<String>,
    /// Write the tables' CSV for German Excel: `;`, decimal comma, UTF-8 BOM.
    #[arg(long)]
    excel_csv: bool,
    /// Write mentions as Hive-partitioned Parquet, mentions/period=…/source=…/part-0.parquet,
    /// instead of one mentions.parquet (DuckDB, Spark, DataFusion read the folder as a table).
    #[arg(long)]
    partitioned: bool,
    /// Language of report.html [default: de].
    #[arg(long, value_enum)]
    lang: Option<resonanz::report::html::Lang>,
    /// Replace author names by keyed pseudonyms (HMAC-SHA256) in every output; the key is
    /// read from the environment variable RESONANZ_PSEUDONYM_KEY.
    #[arg(long)]
    pseudonymize: bool,
    #[command(flatten)]
    ingest: IngestArgs,
    #[command(flatten)]
    models: ModelArgs,
}

#[derive(Args)]
struct ModelArgs {
    /// Sentiment: `default` (the shipped cross-domain model and lexicon, stacked, class
    /// prior adapted to the batch), `lexicon`, a lexicon file (.toml), models/NAME, or
    /// `MODEL+lexicon[:WEIGHT]` (a model of yours and the lexicon at a fixed weight).
    #[arg(long, value_name = "MODEL")]
    sentiment_model: Option<String>,
    /// Keep the sentiment model's training class prior instead of estimating the batch's
    /// own mix: for runs over parts that `merge` adds up (each part would adapt to its own).
    #[arg(long)]
    fixed_prior: bool,
    /// The languages (ISO 639-1, comma-separated) the sentiment classifier is applied to;
    /// mentions in others are `unclassified`. Default `de` (the shipped classifier is German).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    sentiment_languages: Vec<String>,
    /// Relevance: `none` (the default: every mention counts, and the report says relevance
    /// was not checked), `default` (the shipped GermEval model: "is this about Deutsche
    /// Bahn", for the rail demo only), or models/NAME.
    #[arg(long, value_name = "MODEL")]
    relevance_model: Option<String>,
    /// Topics: `mittelstand` (built-in taxonomy, the default), a taxonomy file (.toml),
    /// `default` (the shipped GermEval aspect model), models/NAME, several of these joined
    /// by `+` (e.g. `mittelstand+default`: the topics of each, together), or `none`.
    #[arg(long, value_name = "TOPICS")]
    topics: Option<String>,
}

#[derive(Args)]
struct EvalArgs {
    /// Labelled data: GermEval 2017 TSV or CSV with `text,label`.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Classifier: `default` (the shipped model of `--task`), `lexicon` (built in), a lexicon
    /// file (`.toml`), or a trained model (`models/NAME` or its `model.json`), whose task
    /// picks the gold column.
    #[arg(long, default_value = "default")]
    model: String,
    /// The task to score (default: the model's; `default` models: sentiment).
    #[arg(long, value_enum)]
    task: Option<resonanz::classify::Task>,
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
    Ok(IngestOptions { layouts, timezone, ..IngestOptions::default() })
}

fn main() -> ExitCode {
    resonanz::allocator::tune_for_batch();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Inspect(a) => inspect(a),
        Command::Synth(a) => synth(a),
        Command::Eval(a) => eval(a),
        Command::Train(a) => train(a),
        Command::Bench(a) => bench(a),
        Command::Merge(a) => merge(a),
        Command::Sample(a) => sample(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("resonanz: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Where `run`'s exports come from: the paths given, or the config's patterns.
#[derive(Debug, Clone, PartialEq)]
enum InputSpec {
    Paths(Vec<PathBuf>),
    Patterns(Vec<String>),
}

/// Everything `run` is asked to do: the command line over `report.toml` over the defaults,
/// resolved once (without touching files, models or the environment: see [`run`]).
#[derive(Debug, Clone, PartialEq)]
struct RunSettings {
    inputs: InputSpec,
    out: PathBuf,
    report_timezone: chrono_tz::Tz,
    granularity: resonanz::aggregate::Granularity,
    /// `YYYY-MM`/`YYYY-Www`; with a config and no period, the last full month before `now`.
    period: Option<String>,
    max_reject_rate: Option<f64>,
    pseudonymize: bool,
    sentiment_model: String,
    relevance_model: String,
    topics: String,
    sentiment_languages: Vec<String>,
    fixed_prior: bool,
    layouts: Option<PathBuf>,
    input_timezone: Option<String>,
    excel_csv: bool,
    lang: resonanz::report::html::Lang,
    partitioned: bool,
}

impl RunSettings {
    fn resolve(a: &RunArgs, c: &resonanz::config::ReportConfig, now: chrono::DateTime<chrono::Utc>) -> Result<RunSettings, Error> {
        use resonanz::config;
        let max_reject_rate = a.max_reject_rate.or(c.max_reject_rate);
        if let Some(r) = max_reject_rate {
            if !(0.0..=1.0).contains(&r) {
                return Err(Error::Usage(format!("max_reject_rate must be between 0 and 1, not {r}")));
            }
        }
        let inputs = match (a.paths.is_empty(), &c.inputs) {
            (false, _) => InputSpec::Paths(a.paths.clone()),
            (true, Some(patterns)) => InputSpec::Patterns(patterns.clone()),
            (true, None) => InputSpec::Paths(vec![PathBuf::from("data")]),
        };
        let tz_name = a.report_timezone.clone().or(c.timezone.clone()).unwrap_or_else(|| "Europe/Berlin".into());
        let report_timezone: chrono_tz::Tz = tz_name.parse().map_err(|_| Error::Usage(format!("report time zone: unknown time zone `{tz_name}`")))?;
        let granularity = a.granularity.or(c.granularity).unwrap_or(resonanz::aggregate::Granularity::Month);
        let period = match a.period.clone().or(c.period.clone()) {
            Some(p) if p == "last-full-month" => Some(config::last_full_month(now, report_timezone)),
            Some(p) => Some(p),
            None if a.config.is_some() => Some(config::last_full_month(now, report_timezone)),
            None => None,
        };
        if let Some(p) = &period {
            config::check_period(p, granularity)?;
        }
        Ok(RunSettings {
            inputs,
            out: a.out.clone().or(c.out.clone()).unwrap_or_else(|| PathBuf::from("out")),
            report_timezone,
            granularity,
            period,
            max_reject_rate,
            pseudonymize: a.pseudonymize || c.pseudonymize.unwrap_or(false),
            sentiment_model: a.models.sentiment_model.clone().or(c.sentiment_model.clone()).unwrap_or_else(|| "default".into()),
            relevance_model: a.models.relevance_model.clone().or(c.relevance_model.clone()).unwrap_or_else(|| "none".into()),
            topics: a.models.topics.clone().or(c.topics.clone()).unwrap_or_else(|| "mittelstand".into()),
            sentiment_languages: if a.models.sentiment_languages.is_empty() {
                c.sentiment_languages.clone().unwrap_or_default()
            } else {
                a.models.sentiment_languages.clone()
            },
            fixed_prior: a.models.fixed_prior,
            layouts: a.ingest.layouts.clone().or(c.layouts.clone()),
            input_timezone: a.ingest.timezone.clone().or(c.input_timezone.clone()),
            excel_csv: a.excel_csv || c.excel_csv.unwrap_or(false),
            lang: a.lang.or(c.lang).unwrap_or(resonanz::report::html::Lang::De),
            partitioned: a.partitioned || c.partitioned.unwrap_or(false),
        })
    }
}

fn run(a: RunArgs) -> Result<u8, Error> {
    use resonanz::config::{self, ReportConfig};
    let c = match &a.config {
        Some(p) => ReportConfig::load(p)?,
        None => ReportConfig::default(),
    };
    let r = RunSettings::resolve(&a, &c, chrono::Utc::now())?;
    let inputs = match &r.inputs {
        InputSpec::Paths(p) => p.clone(),
        InputSpec::Patterns(patterns) => config::expand_globs(patterns)?,
    };
    let pseudonym_key = if r.pseudonymize {
        match std::env::var("RESONANZ_PSEUDONYM_KEY") {
            Ok(k) if k.len() >= 16 => Some(k.into_bytes()),
            _ => return Err(Error::Usage("pseudonymization needs a key of at least 16 characters in the environment variable RESONANZ_PSEUDONYM_KEY".into())),
        }
    } else {
        None
    };
    let classifier = mention_classifier(&r.sentiment_model, &r.relevance_model, &r.topics)?;
    let classifier = match &c.relevance {
        Some(spec) => classifier.with_relevance_rules(spec).map_err(|source| Error::Rules { path: a.config.clone().unwrap_or_default(), source })?,
        None => classifier,
    };
    let classifier = classifier.for_languages(&r.sentiment_languages);
    let classifier = match &c.sentiment_models {
        Some(models) => classifier.with_language_models(models).map_err(Error::Load)?,
        None => classifier,
    };
    let classifier = Some(std::sync::Arc::new(if r.fixed_prior { classifier.fixed_prior() } else { classifier }));
    let ingest = IngestArgs { layouts: r.layouts.clone(), timezone: r.input_timezone.clone() };
    let max_reject_rate = r.max_reject_rate;
    let opts = RunOptions {
        inputs,
        out: r.out.clone(),
        ingest: ingest_options(&ingest)?,
        classifier,
        quiet: a.quiet,
        report: ReportOptions {
            granularity: r.granularity,
            report_timezone: r.report_timezone,
            excel_csv: r.excel_csv,
            lang: r.lang,
            period: r.period.clone(),
            roi: c.roi.clone().unwrap_or_default(),
            channel_groups: channel_groups(&c),
        },
        partitioned: r.partitioned,
        pseudonym_key,
    };
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
            opts.report.out_dir(&opts.out).display()
        );
    }
    let rate = if s.rows_in == 0 { 0.0 } else { s.rejected as f64 / s.rows_in as f64 };
    match max_reject_rate {
        Some(max) if rate > max => {
            eprintln!("resonanz: {:.1}% of rows rejected, above the maximum reject rate {:.1}%", rate * 100.0, max * 100.0);
            Ok(3)
        }
        _ => Ok(0),
    }
}

/// The channel groups of a report.toml (the defaults without one).
fn channel_groups(c: &resonanz::config::ReportConfig) -> resonanz::aggregate::ChannelGroups {
    c.channel_groups.as_ref().map_or_else(Default::default, resonanz::aggregate::ChannelGroups::with_overrides)
}

fn merge(a: MergeArgs) -> Result<u8, Error> {
    use resonanz::config::ReportConfig;
    let c = match &a.config {
        Some(p) => ReportConfig::load(p)?,
        None => ReportConfig::default(),
    };
    let opts = pipeline::MergeOptions {
        parts: a.parts.clone(),
        out: a.out.clone().or(c.out.clone()).unwrap_or_else(|| PathBuf::from("out")),
        period: a.period.clone().or(c.period.clone()),
        excel_csv: a.excel_csv || c.excel_csv.unwrap_or(false),
        lang: a.lang.or(c.lang).unwrap_or(resonanz::report::html::Lang::De),
        roi: c.roi.clone().unwrap_or_default(),
        channel_groups: channel_groups(&c),
    };
    let (s, out) = pipeline::merge(&opts)?;
    if a.json {
        let _ = std::io::stdout().write_all(&resonanz::report::to_json_bytes(&s));
    }
    if !a.quiet {
        eprintln!(
            "resonanz: merged {} parts: {} rows in → {} mentions + {} duplicates + {} rejected → {}",
            s.parts.len(),
            s.rows_in,
            s.mentions,
            s.duplicates,
            s.rejected,
            out.display()
        );
    }
    Ok(0)
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
        let _ = writeln!(out, "  dates without offset read as {} ({})", f.naive_timezone, f.timezone_source);
        let read = f.rows_in.saturating_sub(f.rejected);
        if read > 0 {
            let _ = writeln!(
                out,
                "    {} of {read} dates read carried their own offset or zone, {} were read as {}",
                f.dates_with_offset,
                read - f.dates_with_offset.min(read),
                f.naive_timezone
            );
        }
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

fn sample(a: SampleArgs) -> Result<u8, Error> {
    use resonanz::sample;
    let tz: chrono_tz::Tz = a.timezone.parse().map_err(|_| Error::Usage(format!("--timezone: unknown time zone `{}`", a.timezone)))?;
    let candidates = sample::read_run(&a.run_dir)?;
    let picked = sample::pick(&candidates, a.n, a.seed, a.order, tz);
    sample::write_csv(&a.out, &candidates, &picked, tz, !a.plain_csv)?;
    eprintln!(
        "resonanz: {} of {} mentions to label → {} (fill in `label`: negativ/neutral/positiv, `relevant_label`: ja/nein; blank rows are skipped)",
        picked.len(),
        candidates.len(),
        a.out.display()
    );
    Ok(0)
}

fn mention_classifier(sentiment: &str, relevance: &str, topics: &str) -> Result<resonanz::classify::MentionClassifier, Error> {
    let none = |s: &str| (s != "none").then_some(s.to_string());
    resonanz::classify::MentionClassifier::from_specs(sentiment, none(relevance).as_deref(), none(topics).as_deref()).map_err(Error::Load)
}

fn eval(a: EvalArgs) -> Result<u8, Error> {
    use resonanz::classify::load_classifier;
    let normalizer = resonanz::normalize::Normalizer::default();
    let loaded = load_classifier(&a.model, a.task, &normalizer)?;
    let classifier = loaded.classifier;
    let examples = read_examples(&a.data)?;
    let report = resonanz::train::evaluate_on(classifier.as_ref(), &normalizer, &examples).map_err(resonanz::train::TrainError::Data)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let _ = out.write_all(&resonanz::report::to_json_bytes(&report));
        return Ok(0);
    }
    let _ = writeln!(
        out,
        "{} on {} documents ({}): accuracy {:.3}, micro-F1 {:.3}, macro-F1 {:.3}, {:.0} docs/s",
        report.model, report.metrics.n, report.task, report.metrics.accuracy, report.metrics.micro_f1, report.metrics.macro_f1, report.docs_per_s
    );
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
    use resonanz::classify::features::FeatureSettings;
    use resonanz::normalize::{Normalizer, NormalizerSettings};
    use resonanz::train::{
        data,
        fit::{self as train, Algorithm, Corpus, TrainParams},
    };
    let started = std::time::Instant::now();
    let normalizer = Normalizer::new(NormalizerSettings { stem: !a.no_stem, stop_words: !a.keep_stop_words, negation: !a.no_negation });
    let features = FeatureSettings { char_min: a.chars.0, char_max: a.chars.1, ..FeatureSettings::default() };
    if !a.corpus.is_empty() {
        return train_cross_domain(&a, &normalizer, features, started);
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
    let mut model = train::select_and_train(&corpus, &grid, a.folds).map_err(resonanz::train::TrainError::Model)?;
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
fn train_adapted(a: &TrainArgs, base: &str, started: std::time::Instant) -> Result<u8, Error> {
    use resonanz::train::adapt;
    let normalizer = resonanz::normalize::Normalizer::default();
    let base = adapt::Base::load(base, a.task, &normalizer)?;
    let examples = read_examples(&a.data)?;
    let bar = resonanz::progress::steps_spinner();
    let adapted = adapt::adapt(&base, a.task, &examples, a.folds, &normalizer, &|m| bar.set_message(m.to_string()))?;
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
fn train_cross_domain(
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
        let settings = Settings { c, max_features: a.max_features.unwrap_or(0), experts: !a.no_experts, ..Settings::default() };
        let outcome = cross_domain::train(&domains, settings, normalizer, features, &say)?;
        bar.suspend(|| {
            eprintln!("C {c}: leave one corpus out (train on the others, score the one left out)");
            print_held_out(&outcome.held_out, &mut std::io::stderr());
            eprintln!("C {c}: in domain (each corpus's out-of-fold documents, by the final stacker)");
            print_held_out(&outcome.in_domain, &mut std::io::stderr());
        });
        tables.push(serde_json::json!({ "settings": settings, "held_out": outcome.held_out, "in_domain": outcome.in_domain }));
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
        "chosen": { "settings": settings, "variant": variant, "criterion": "mean over held-out corpora of (micro-F1 + macro-F1) / 2 minus mean share error / 100", "score": score },
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
    Ok(0)
}

/// `--corpus NAME=FILE[,FILE…]` flags as domains.
fn read_corpora(specs: &[String]) -> Result<Vec<resonanz::train::cross_domain::Domain>, Error> {
    let mut domains = Vec::new();
    for spec in specs {
        let (name, files) = spec.split_once('=').ok_or_else(|| Error::Usage(format!("--corpus {spec}: expected NAME=FILE[,FILE…]")))?;
        let paths: Vec<PathBuf> = files.split(',').map(PathBuf::from).collect();
        let examples = read_examples(&paths)?;
        domains.push(resonanz::train::cross_domain::Domain {
            name: name.to_string(),
            sources: paths.iter().map(|p| p.display().to_string()).collect(),
            examples,
        });
    }
    Ok(domains)
}

/// The leave-one-corpus-out table as Markdown rows.
fn print_held_out(rows: &[resonanz::train::cross_domain::Held], out: &mut dyn Write) {
    let _ = writeln!(out, "| held out | classifier | n | accuracy | macro-F1 | true neg / neu / pos % | predicted neg / neu / pos % | share error pp |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---|---|---:|");
    for h in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} | {:.3} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} |",
            h.corpus,
            h.variant,
            h.n,
            h.accuracy,
            h.macro_f1,
            h.true_share[0],
            h.true_share[1],
            h.true_share[2],
            h.predicted_share[0],
            h.predicted_share[1],
            h.predicted_share[2],
            h.share_error_pp
        );
    }
}

fn bench_cross_domain(a: &BenchArgs) -> Result<u8, Error> {
    use resonanz::train::cross_domain::{self, Settings};
    if a.task != resonanz::classify::Task::Sentiment {
        return Err(Error::Usage("--corpus benches the sentiment task only".into()));
    }
    let domains = read_corpora(&a.corpus)?;
    let normalizer = resonanz::normalize::Normalizer::default();
    let bar = resonanz::progress::steps_spinner();
    let say = |m: &str| bar.set_message(m.to_string());
    let settings = Settings { c: a.c, experts: !a.no_experts, ..Settings::default() };
    let outcome = cross_domain::train(&domains, settings, &normalizer, Default::default(), &say)?;
    bar.finish_and_clear();
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

fn read_examples(paths: &[PathBuf]) -> Result<Vec<resonanz::train::data::Example>, Error> {
    let mut examples = Vec::new();
    for p in paths {
        examples.extend(resonanz::train::data::read_labelled(p)?);
    }
    Ok(examples)
}

/// `bench --base MODEL --data FILE`: the learning curve of `train --base`.
fn bench_learning_curve(a: &BenchArgs, base: &str) -> Result<u8, Error> {
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

fn bench(a: BenchArgs) -> Result<u8, Error> {
    if !a.corpus.is_empty() {
        return bench_cross_domain(&a);
    }
    if let Some(base) = &a.base {
        return bench_learning_curve(&a, base);
    }
    let train = read_examples(&a.data)?;
    let test = if a.test.is_empty() { None } else { Some(read_examples(&a.test)?) };
    let rows = resonanz::train::bench::bench(a.task, &train, test.as_deref(), a.folds)?;
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
    println!("| classifier | settings | evaluation | n | accuracy | micro-F1 | macro-F1 | fit s | docs/s (1 thread) |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.2} | {:.0} |",
            r.classifier, r.settings, r.evaluation, r.n, r.accuracy, r.micro_f1, r.macro_f1, r.fit_s, r.docs_per_s
        );
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use resonanz::aggregate::Granularity;
    use resonanz::config::ReportConfig;
    use resonanz::report::html::Lang;

    fn args(cli: &[&str]) -> RunArgs {
        let argv = ["resonanz", "run"].iter().chain(cli).copied();
        match Cli::try_parse_from(argv).expect("the arguments parse").command {
            Command::Run(a) => a,
            _ => unreachable!("a run command"),
        }
    }

    /// A report.toml in a fresh directory, loaded as `run --config` loads it.
    fn config(toml: &str) -> (tempfile::TempDir, ReportConfig) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.toml");
        std::fs::write(&path, toml).unwrap();
        let c = ReportConfig::load(&path).unwrap();
        (dir, c)
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()
    }

    #[test]
    fn without_flags_or_config_run_takes_the_defaults() {
        let r = RunSettings::resolve(&args(&[]), &ReportConfig::default(), now()).unwrap();
        assert_eq!(r.inputs, InputSpec::Paths(vec![PathBuf::from("data")]));
        assert_eq!((r.out, r.report_timezone, r.granularity, r.period), (PathBuf::from("out"), chrono_tz::Europe::Berlin, Granularity::Month, None));
        assert_eq!((r.sentiment_model.as_str(), r.relevance_model.as_str(), r.topics.as_str()), ("default", "none", "mittelstand"));
        assert_eq!((r.lang, r.excel_csv, r.partitioned, r.pseudonymize, r.fixed_prior), (Lang::De, false, false, false, false));
        assert_eq!((r.max_reject_rate, r.layouts, r.input_timezone), (None, None, None));
        assert!(r.sentiment_languages.is_empty(), "the classifier's own default (de) applies");
    }

    #[test]
    fn the_config_is_over_the_defaults_and_the_command_line_over_the_config() {
        let toml = r#"
inputs = ["exports/*.csv"]
out = "reports"
period = "2026-W40"
granularity = "week"
timezone = "Europe/Vienna"
input_timezone = "UTC"
sentiment_model = "models/ours"
relevance_model = "default"
topics = "none"
lang = "en"
excel_csv = true
partitioned = true
max_reject_rate = 0.2
sentiment_languages = ["de", "en"]
"#;
        let (dir, c) = config(toml);
        let base = dir.path();
        let r = RunSettings::resolve(&args(&["--config", "x"]), &c, now()).unwrap();
        assert_eq!(r.inputs, InputSpec::Patterns(vec![base.join("exports/*.csv").to_string_lossy().into_owned()]), "relative to the config");
        assert_eq!(r.out, base.join("reports"));
        assert_eq!((r.report_timezone, r.granularity, r.period.as_deref()), (chrono_tz::Europe::Vienna, Granularity::Week, Some("2026-W40")));
        assert_eq!(r.sentiment_model, base.join("models/ours").to_string_lossy());
        assert_eq!((r.relevance_model.as_str(), r.topics.as_str(), r.lang, r.excel_csv, r.partitioned), ("default", "none", Lang::En, true, true));
        assert_eq!((r.max_reject_rate, r.input_timezone.as_deref(), r.sentiment_languages.len()), (Some(0.2), Some("UTC"), 2));

        let cli = [
            "--config",
            "x",
            "a.csv",
            "--out",
            "elsewhere",
            "--period",
            "2026-W41",
            "--report-timezone",
            "UTC",
            "--timezone",
            "Europe/Berlin",
            "--sentiment-model",
            "lexicon",
            "--relevance-model",
            "none",
            "--topics",
            "mittelstand",
            "--lang",
            "de",
            "--max-reject-rate",
            "0.5",
            "--sentiment-languages",
            "de",
        ];
        let r = RunSettings::resolve(&args(&cli), &c, now()).unwrap();
        assert_eq!(r.inputs, InputSpec::Paths(vec![PathBuf::from("a.csv")]));
        assert_eq!((r.out, r.report_timezone, r.period.as_deref()), (PathBuf::from("elsewhere"), chrono_tz::UTC, Some("2026-W41")));
        assert_eq!(r.granularity, Granularity::Week, "not given: the config's");
        assert_eq!((r.sentiment_model.as_str(), r.relevance_model.as_str(), r.topics.as_str(), r.lang), ("lexicon", "none", "mittelstand", Lang::De));
        assert_eq!((r.max_reject_rate, r.input_timezone.as_deref(), r.sentiment_languages.clone()), (Some(0.5), Some("Europe/Berlin"), vec!["de".to_string()]));
        assert!(r.excel_csv && r.partitioned, "a flag can switch on, not off, what the config switched on");
    }

    #[test]
    fn a_config_without_a_period_reports_the_last_full_month_in_the_report_zone() {
        let (_dir, c) = config("timezone = \"Europe/Berlin\"\n");
        let r = RunSettings::resolve(&args(&["--config", "x"]), &c, now()).unwrap();
        assert_eq!(r.period.as_deref(), Some("2026-11"));
        let january = chrono::Utc.with_ymd_and_hms(2027, 1, 1, 0, 30, 0).unwrap(); // 01:30 in Berlin
        assert_eq!(RunSettings::resolve(&args(&["--config", "x"]), &c, january).unwrap().period.as_deref(), Some("2026-12"));
        let r = RunSettings::resolve(&args(&["--period", "last-full-month"]), &ReportConfig::default(), now()).unwrap();
        assert_eq!(r.period.as_deref(), Some("2026-11"));
    }

    #[test]
    fn settings_a_run_cannot_use_are_usage_errors() {
        let none = ReportConfig::default();
        for (cli, want) in [
            (vec!["--max-reject-rate", "1.5"], "between 0 and 1"),
            (vec!["--report-timezone", "Mars/Olympus"], "unknown time zone"),
            (vec!["--granularity", "week", "--period", "2026-10"], "2026-10"),
        ] {
            let e = RunSettings::resolve(&args(&cli), &none, now()).unwrap_err();
            assert!(e.to_string().contains(want), "{cli:?}: {e}");
        }
    }
}
