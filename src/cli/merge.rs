//! `resonanz merge`: the outputs of runs over disjoint inputs added up.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use resonanz::pipeline;
use resonanz::Error;

use super::channel_groups;

#[derive(Args)]
pub struct MergeArgs {
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

pub fn merge(a: MergeArgs) -> Result<u8, Error> {
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
