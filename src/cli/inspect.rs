//! `resonanz inspect`: what resonanz detects in export files and would reject; writes nothing.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use resonanz::pipeline;
use resonanz::Error;

use super::{ingest_options, IngestArgs};

#[derive(Args)]
pub struct InspectArgs {
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

pub fn inspect(a: InspectArgs) -> Result<u8, Error> {
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
        let read = f.counts.rows_in.saturating_sub(f.counts.rejected);
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
            f.counts.rows_in, f.counts.mentions, f.counts.duplicates, f.counts.rejected, f.counts.skipped_lines, f.counts.warnings
        );
        for rj in &r.first_rejects {
            let col = rj.column_name.as_deref().map(|c| format!(", column {c}")).unwrap_or_default();
            let _ = writeln!(out, "    reject line {}{}: {}", rj.line, col, rj.reason);
        }
        let _ = writeln!(out);
    }
    Ok(0)
}
