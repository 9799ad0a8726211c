//! The command line, one module per command; here the argument groups and helpers several
//! commands share.

pub mod bench;
pub mod eval;
pub mod inspect;
pub mod merge;
pub mod run;
pub mod sample;
pub mod synth;
pub mod train;

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use resonanz::config::ReportConfig;
use resonanz::ingest::{layout::Layouts, IngestOptions};
use resonanz::report::html::Lang;
use resonanz::Error;

/// Where and how `run` and `merge` write the report: the flags both commands take.
#[derive(Args)]
pub struct OutputArgs {
    /// Output directory [default: out].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the tables' CSV for German Excel: `;`, decimal comma, UTF-8 BOM.
    #[arg(long)]
    excel_csv: bool,
    /// Language of report.html [default: de].
    #[arg(long, value_enum)]
    lang: Option<Lang>,
}

/// [`OutputArgs`] over `report.toml` over the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSettings {
    pub out: PathBuf,
    pub excel_csv: bool,
    pub lang: Lang,
}

impl OutputSettings {
    pub fn resolve(a: &OutputArgs, c: &ReportConfig) -> OutputSettings {
        OutputSettings {
            out: a.out.clone().or(c.out.clone()).unwrap_or_else(|| PathBuf::from("out")),
            // A flag can switch on, not off, what the config switched on.
            excel_csv: a.excel_csv || c.excel_csv.unwrap_or(false),
            lang: a.lang.or(c.lang).unwrap_or(Lang::De),
        }
    }
}

#[derive(Args)]
pub struct IngestArgs {
    /// Extra export layouts (TOML, same format as the built-in ones); tried first.
    #[arg(long, value_name = "FILE")]
    layouts: Option<PathBuf>,
    /// Time zone for dates written without an offset (default: per layout).
    #[arg(long, value_name = "IANA_TZ")]
    timezone: Option<String>,
}

#[derive(Args)]
pub struct ModelArgs {
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

pub fn ingest_options(a: &IngestArgs) -> Result<IngestOptions, Error> {
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

/// The channel groups of a report.toml (the defaults without one).
pub fn channel_groups(c: &resonanz::config::ReportConfig) -> resonanz::aggregate::ChannelGroups {
    c.channel_groups.as_ref().map_or_else(Default::default, resonanz::aggregate::ChannelGroups::with_overrides)
}

pub fn mention_classifier(sentiment: &str, relevance: &str, topics: &str) -> Result<resonanz::classify::MentionClassifier, Error> {
    let none = |s: &str| (s != "none").then_some(s.to_string());
    resonanz::classify::MentionClassifier::from_specs(sentiment, none(relevance).as_deref(), none(topics).as_deref()).map_err(Error::Load)
}

/// `--corpus NAME=FILE[,FILE…]` flags as domains.
pub fn read_corpora(specs: &[String]) -> Result<Vec<resonanz::train::cross_domain::Domain>, Error> {
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
pub fn print_held_out(rows: &[resonanz::train::cross_domain::Held], out: &mut dyn Write) {
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

/// Cross-validation folds of `train` and `bench` when `--folds` is not given (with `--corpus`
/// the flag means the stacker's in-domain folds instead, defaulting to the cross-domain
/// trainer's own).
pub const CV_FOLDS: usize = 5;

pub fn read_examples(paths: &[PathBuf]) -> Result<Vec<resonanz::train::data::Example>, Error> {
    let mut examples = Vec::new();
    for p in paths {
        examples.extend(resonanz::train::data::read_labelled(p)?);
    }
    Ok(examples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_settings_cli_over_config_over_defaults() {
        let none = OutputArgs { out: None, excel_csv: false, lang: None };
        let d = OutputSettings::resolve(&none, &ReportConfig::default());
        assert_eq!(d, OutputSettings { out: PathBuf::from("out"), excel_csv: false, lang: Lang::De });
        let c = ReportConfig { out: Some(PathBuf::from("/reports")), excel_csv: Some(true), lang: Some(Lang::En), ..ReportConfig::default() };
        assert_eq!(OutputSettings::resolve(&none, &c), OutputSettings { out: PathBuf::from("/reports"), excel_csv: true, lang: Lang::En });
        let cli = OutputArgs { out: Some(PathBuf::from("here")), excel_csv: false, lang: Some(Lang::De) };
        assert_eq!(OutputSettings::resolve(&cli, &c), OutputSettings { out: PathBuf::from("here"), excel_csv: true, lang: Lang::De });
    }
}
