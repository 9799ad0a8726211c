//! `resonanz merge`: the outputs of runs over disjoint inputs added up.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use resonanz::pipeline;
use resonanz::Error;

use super::{channel_groups, OutputArgs, OutputSettings};

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
    #[command(flatten)]
    output: OutputArgs,
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
    let output = OutputSettings::resolve(&a.output, &c);
    let opts = pipeline::MergeOptions {
        parts: a.parts.clone(),
        out: output.out,
        // `last-full-month` is resolved in the parts' report time zone (pipeline::merge).
        period: a.period.clone().or(c.period.clone()),
        excel_csv: output.excel_csv,
        lang: output.lang,
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
            s.counts.rows_in,
            s.counts.mentions,
            s.counts.duplicates,
            s.counts.rejected,
            out.display()
        );
    }
    Ok(0)
}
