//! `resonanz run`: settings resolved once (CLI over `report.toml` over defaults), then the pipeline.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use resonanz::pipeline::{self, ReportOptions, RunOptions};
use resonanz::Error;

use super::{channel_groups, ingest_options, mention_classifier, IngestArgs, ModelArgs, OutputArgs, OutputSettings};

#[derive(Args)]
pub struct RunArgs {
    /// Export files or directories (default: the config's `inputs`, else data/).
    paths: Vec<PathBuf>,
    /// Settings of a scheduled run (report.toml); options given here win over it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The report's period (`YYYY-MM`, or `YYYY-Www` with --granularity week; with --config
    /// the default is the last full month): outputs go to OUT/<period>/.
    #[arg(long)]
    period: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
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
    /// Write mentions as Hive-partitioned Parquet, mentions/period=…/source=…/part-0.parquet,
    /// instead of one mentions.parquet (DuckDB, Spark, DataFusion read the folder as a table).
    #[arg(long)]
    partitioned: bool,
    /// Replace author names by keyed pseudonyms (HMAC-SHA256) in every output; the key is
    /// read from the environment variable RESONANZ_PSEUDONYM_KEY.
    #[arg(long)]
    pseudonymize: bool,
    #[command(flatten)]
    ingest: IngestArgs,
    #[command(flatten)]
    models: ModelArgs,
}

/// Where `run`'s exports come from: the paths given, or the config's patterns.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSpec {
    Paths(Vec<PathBuf>),
    Patterns(Vec<String>),
}

/// Everything `run` is asked to do: the command line over `report.toml` over the defaults,
/// resolved once (without touching files, models or the environment: see [`run`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    inputs: InputSpec,
    output: OutputSettings,
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
            output: OutputSettings::resolve(&a.output, c),
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
            partitioned: a.partitioned || c.partitioned.unwrap_or(false),
        })
    }
}

pub fn run(a: RunArgs) -> Result<u8, Error> {
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
        out: r.output.out.clone(),
        ingest: ingest_options(&ingest)?,
        classifier,
        quiet: a.quiet,
        report: ReportOptions {
            granularity: r.granularity,
            report_timezone: r.report_timezone,
            excel_csv: r.output.excel_csv,
            lang: r.output.lang,
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
                    f.counts.rows_in,
                    f.counts.mentions,
                    f.counts.duplicates,
                    f.counts.rejected
                ),
            }
        }
        eprintln!(
            "resonanz: {} rows in → {} mentions + {} duplicates + {} rejected ({} warnings) → {}",
            s.counts.rows_in,
            s.counts.mentions,
            s.counts.duplicates,
            s.counts.rejected,
            s.counts.warnings,
            opts.report.out_dir(&opts.out).display()
        );
    }
    let rate = if s.counts.rows_in == 0 { 0.0 } else { s.counts.rejected as f64 / s.counts.rows_in as f64 };
    match max_reject_rate {
        Some(max) if rate > max => {
            eprintln!("resonanz: {:.1}% of rows rejected, above the maximum reject rate {:.1}%", rate * 100.0, max * 100.0);
            Ok(3)
        }
        _ => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Command};
    use chrono::TimeZone;
    use clap::Parser;
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
        assert_eq!((r.output.out, r.report_timezone, r.granularity, r.period), (PathBuf::from("out"), chrono_tz::Europe::Berlin, Granularity::Month, None));
        assert_eq!((r.sentiment_model.as_str(), r.relevance_model.as_str(), r.topics.as_str()), ("default", "none", "mittelstand"));
        assert_eq!((r.output.lang, r.output.excel_csv, r.partitioned, r.pseudonymize, r.fixed_prior), (Lang::De, false, false, false, false));
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
        assert_eq!(r.output.out, base.join("reports"));
        assert_eq!((r.report_timezone, r.granularity, r.period.as_deref()), (chrono_tz::Europe::Vienna, Granularity::Week, Some("2026-W40")));
        assert_eq!(r.sentiment_model, base.join("models/ours").to_string_lossy());
        assert_eq!(
            (r.relevance_model.as_str(), r.topics.as_str(), r.output.lang, r.output.excel_csv, r.partitioned),
            ("default", "none", Lang::En, true, true)
        );
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
        assert_eq!((r.output.out, r.report_timezone, r.period.as_deref()), (PathBuf::from("elsewhere"), chrono_tz::UTC, Some("2026-W41")));
        assert_eq!(r.granularity, Granularity::Week, "not given: the config's");
        assert_eq!((r.sentiment_model.as_str(), r.relevance_model.as_str(), r.topics.as_str(), r.output.lang), ("lexicon", "none", "mittelstand", Lang::De));
        assert_eq!((r.max_reject_rate, r.input_timezone.as_deref(), r.sentiment_languages.clone()), (Some(0.5), Some("Europe/Berlin"), vec!["de".to_string()]));
        assert!(r.output.excel_csv && r.partitioned, "a flag can switch on, not off, what the config switched on");
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
