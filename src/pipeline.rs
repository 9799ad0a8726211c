//! The `run` and `inspect` jobs: ingest every input, write the outputs atomically.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::{self, Event, FileReport, IngestOptions, Reject};
use crate::report::{self, CsvTable, MentionWriter, Staging};

/// File extensions read when a directory is given.
const INPUT_EXTENSIONS: [&str; 7] = ["csv", "tsv", "txt", "xlsx", "xls", "xlsb", "ods"];

/// Mentions per Parquet row group.
const ROW_GROUP: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub ingest: IngestOptions,
    /// Classifiers applied to every mention; `None` writes ingested mentions only.
    pub classifier: Option<std::sync::Arc<crate::classify::MentionClassifier>>,
    pub quiet: bool,
    /// How the tables group time, and in which time zone.
    pub granularity: crate::aggregate::Granularity,
    pub report_timezone: chrono_tz::Tz,
    /// Tables as German Excel CSV (`;`, decimal comma, UTF-8 BOM) instead of plain CSV.
    pub excel_csv: bool,
    /// Language of `report.html`.
    pub lang: crate::report::html::Lang,
    /// The report's period: outputs go to `out/<period>/` and the tables end with it.
    /// Without it, outputs go to `out/` and the report shows the last period with mentions.
    pub period: Option<String>,
    /// Channel costs (and EMV rates) for the `roi` table; no table without costs.
    pub roi: crate::aggregate::RoiSettings,
    /// With a key, authors are replaced by keyed pseudonyms in every output.
    pub pseudonym_key: Option<Vec<u8>>,
}

/// What a run did; written as `summary.json`. Field names are a contract for schedulers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub resonanz_version: &'static str,
    pub started_at: String,
    pub duration_s: f64,
    pub rows_in: u64,
    pub mentions: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub skipped_lines: u64,
    pub warnings: u64,
    pub files: Vec<FileReport>,
    pub outputs: Vec<String>,
}

/// Files named on the command line; directories contribute their export files (sorted,
/// recursively, hidden files skipped). A path that does not exist is an input error.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            collect_dir(p, &mut out).map_err(|e| Error::NoInput(format!("{}: {e}", p.display())))?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(Error::NoInput(format!("{}: no such file or directory", p.display())));
        }
    }
    Ok(out)
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_dir(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| INPUT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Runs ingest over the inputs and writes `mentions.parquet`, `rejects.csv`,
/// `duplicates.csv`, `warnings.csv` and `summary.json` into `opts.out`, all or nothing.
pub fn run(opts: &RunOptions) -> Result<Summary> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let inputs = expand_inputs(&opts.inputs)?;
    if inputs.is_empty() {
        return Err(Error::NoInput("no export files (.csv, .tsv, .txt, .xlsx, .xls, .ods) in the given paths".into()));
    }
    let out_dir = match &opts.period {
        Some(p) => opts.out.join(p),
        None => opts.out.clone(),
    };
    let out = &out_dir;
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| Error::Write { path, source }
    };
    let mut staging = Staging::new(out).map_err(werr(out))?;
    let (pq_file, pq_path) = staging.create("mentions.parquet").map_err(werr(out))?;
    let mut mentions = MentionWriter::new(pq_file, ROW_GROUP, opts.classifier.clone())
        .map_err(|source| Error::Parquet { path: pq_path.clone(), source })?;
    let (f, rejects_path) = staging.create("rejects.csv").map_err(werr(out))?;
    let mut rejects = CsvTable::new(f, &["file", "line", "column", "column_name", "reason", "excerpt"])
        .map_err(|e| Error::Write { path: rejects_path.clone(), source: e.into() })?;
    let (f, dups_path) = staging.create("duplicates.csv").map_err(werr(out))?;
    let mut dups = CsvTable::new(f, &["file", "line", "duplicate_of_file", "duplicate_of_line", "mention_id"])
        .map_err(|e| Error::Write { path: dups_path.clone(), source: e.into() })?;
    let (f, warnings_path) = staging.create("warnings.csv").map_err(werr(out))?;
    let mut warnings = CsvTable::new(f, &["file", "line", "column", "column_name", "message"])
        .map_err(|e| Error::Write { path: warnings_path.clone(), source: e.into() })?;

    let pb = crate::progress::rows_spinner(opts.quiet);
    let mut failure: Option<Error> = None;
    // Reject reasons for the report, by their general part (before a `:`).
    let mut reasons: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let files = ingest::ingest_files(
        &inputs,
        &opts.ingest,
        |event| {
            if failure.is_some() {
                return;
            }
            pb.inc(1);
            let res = match event {
                Event::Mention(mut m) => mentions
                    .push({
                        if let (Some(key), Some(a)) = (&opts.pseudonym_key, &m.author) {
                            m.author = Some(report::pseudonym(key, a));
                        }
                        *m
                    })
                    .map_err(|source| Error::Parquet { path: pq_path.clone(), source }),
                Event::Reject(r) => {
                    *reasons.entry(r.reason.split(':').next().unwrap_or("").trim().to_string()).or_default() += 1;
                    rejects
                    .row([
                        r.file.as_str(),
                        &r.line.to_string(),
                        &opt_num(r.column),
                        r.column_name.as_deref().unwrap_or(""),
                        &r.reason,
                        &r.excerpt,
                    ])
                    .map_err(|e| Error::Write { path: rejects_path.clone(), source: e.into() })
                }
                Event::Duplicate(d) => dups
                    .row([
                        d.file.as_str(),
                        &d.line.to_string(),
                        &d.duplicate_of_file,
                        &d.duplicate_of_line.to_string(),
                        &d.mention_id,
                    ])
                    .map_err(|e| Error::Write { path: dups_path.clone(), source: e.into() }),
                Event::Warning(w) => warnings
                    .row([
                        w.file.as_str(),
                        &w.line.to_string(),
                        &opt_num(w.column),
                        w.column_name.as_deref().unwrap_or(""),
                        &w.message,
                    ])
                    .map_err(|e| Error::Write { path: warnings_path.clone(), source: e.into() }),
            };
            if let Err(e) = res {
                failure = Some(e);
            }
        },
        |f| pb.set_message(f.path.clone()),
    );
    pb.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    if files.iter().all(|f| f.error.is_some()) {
        let reasons: Vec<String> =
            files.iter().map(|f| format!("{}: {}", f.path, f.error.as_deref().unwrap_or(""))).collect();
        return Err(Error::NoInput(reasons.join("; ")));
    }
    mentions.finish().map_err(|source| Error::Parquet { path: pq_path.clone(), source })?;
    for (table, path) in [(rejects.finish(), &rejects_path), (dups.finish(), &dups_path), (warnings.finish(), &warnings_path)] {
        table.and_then(|mut w| w.flush()).map_err(werr(path))?;
    }

    let mut outputs: Vec<String> = ["mentions.parquet", "rejects.csv", "duplicates.csv", "warnings.csv"].iter().map(|s| s.to_string()).collect();
    let staged = staging.staged_path("mentions.parquet").unwrap_or(&pq_path).to_path_buf();
    let mut reasons: Vec<(String, u64)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let report_ctx = report::html::Context {
        files: &files,
        reasons,
        model_version: opts.classifier.as_ref().map_or("–".to_string(), |c| c.version.clone()),
        lang: opts.lang,
    };
    outputs.extend(write_tables(&mut staging, &staged, opts, out, &report_ctx)?);
    outputs.push("summary.json".into());

    let sum = |f: fn(&FileReport) -> u64| files.iter().map(f).sum::<u64>();
    let mut summary = Summary {
        resonanz_version: env!("CARGO_PKG_VERSION"),
        started_at,
        duration_s: 0.0,
        rows_in: sum(|f| f.rows_in),
        mentions: sum(|f| f.mentions),
        duplicates: sum(|f| f.duplicates),
        rejected: sum(|f| f.rejected),
        skipped_lines: sum(|f| f.skipped_lines),
        warnings: sum(|f| f.warnings),
        files,
        outputs,
    };
    summary.duration_s = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let (mut f, summary_path) = staging.create("summary.json").map_err(werr(out))?;
    f.write_all(&report::to_json_bytes(&summary)).and_then(|_| f.flush()).map_err(werr(&summary_path))?;
    drop(f);
    staging.commit().map_err(werr(out))?;
    Ok(summary)
}

/// Reads the staged mentions back (only the columns the tables need), aggregates them and
/// stages each table as Parquet and CSV, plus `metrics.md`. Returns the file names.
fn write_tables(staging: &mut Staging, mentions_path: &Path, opts: &RunOptions, out: &Path, ctx: &report::html::Context) -> Result<Vec<String>> {
    use polars::prelude::{ParquetReader, ParquetWriter, SerReader};
    let perr = |path: &Path| {
        let path = path.to_path_buf();
        move |source: polars::error::PolarsError| Error::Parquet { path, source }
    };
    let file = std::fs::File::open(mentions_path).map_err(|source| Error::Write { path: mentions_path.to_path_buf(), source })?;
    let mentions = ParquetReader::new(file)
        .with_columns(Some(crate::aggregate::INPUT_COLUMNS.iter().map(|s| s.to_string()).collect()))
        .finish()
        .map_err(perr(mentions_path))?;
    let mut tables = crate::aggregate::aggregate(&mentions, opts.report_timezone, opts.granularity, opts.period.as_deref())
        .map_err(perr(mentions_path))?;
    drop(mentions);
    let scan = || {
        polars::prelude::LazyFrame::scan_parquet(polars::prelude::PlRefPath::new(mentions_path.to_string_lossy().as_ref()), Default::default())
            .map_err(perr(mentions_path))
    };
    // Tables over periods end with the report period, when there is one.
    let until = |df: polars::prelude::DataFrame| crate::aggregate::up_to(df, opts.period.as_deref()).map_err(perr(mentions_path));
    let (tz, g) = (opts.report_timezone, opts.granularity);
    let mut complaints = until(crate::aggregate::top_complaints(scan()?, tz, g).map_err(perr(mentions_path))?)?;
    let mut sov = until(crate::aggregate::share_of_voice(scan()?, tz, g).map_err(perr(mentions_path))?)?;
    let mut authors = crate::aggregate::top_authors(scan()?).map_err(perr(mentions_path))?;
    let mut roi = match opts.roi.costs.is_empty() {
        true => None,
        false => Some(until(crate::aggregate::roi(&tables.by_channel, &opts.roi).map_err(perr(mentions_path))?)?),
    };
    let html = report::html::render(&tables, &complaints, roi.as_ref(), ctx)
        .map_err(|e| Error::Write { path: out.join("report.html"), source: std::io::Error::other(e.to_string()) })?;
    let mut names = Vec::new();
    let mut all: Vec<(&str, &mut polars::prelude::DataFrame)> = tables.named().into_iter().collect();
    all.push(("top_complaints", &mut complaints));
    all.push(("share_of_voice", &mut sov));
    all.push(("top_authors", &mut authors));
    if let Some(roi) = roi.as_mut() {
        all.push(("roi", roi));
    }
    for (name, df) in all {
        let (f, path) = staging.create(&format!("{name}.parquet")).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
        ParquetWriter::new(f).finish(df).map_err(perr(&path))?;
        let csv = crate::aggregate::to_csv(df, opts.excel_csv).map_err(|source| Error::Write { path: path.clone(), source })?;
        let (mut f, path) = staging.create(&format!("{name}.csv")).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
        f.write_all(&csv).and_then(|_| f.flush()).map_err(|source| Error::Write { path, source })?;
        names.push(format!("{name}.parquet"));
        names.push(format!("{name}.csv"));
    }
    let (mut f, path) = staging.create("metrics.md").map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    f.write_all(crate::aggregate::METRICS_MD.as_bytes()).and_then(|_| f.flush()).map_err(|source| Error::Write { path, source })?;
    names.push("metrics.md".into());
    let (mut f, path) = staging.create("report.html").map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    f.write_all(html.as_bytes()).and_then(|_| f.flush()).map_err(|source| Error::Write { path, source })?;
    names.push("report.html".into());
    Ok(names)
}

fn opt_num(n: Option<usize>) -> String {
    n.map(|c| c.to_string()).unwrap_or_default()
}

/// One file as `inspect` shows it: the detection, the counts, and the first rejects.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    #[serde(flatten)]
    pub file: FileReport,
    pub first_rejects: Vec<Reject>,
}

/// Reads each file on its own (duplicates counted within the file) and writes nothing.
pub fn inspect(paths: &[PathBuf], opts: &IngestOptions, max_rejects: usize) -> Result<Vec<Inspection>> {
    let inputs = expand_inputs(paths)?;
    let mut out = Vec::with_capacity(inputs.len());
    for path in inputs {
        let mut first_rejects = Vec::new();
        let mut reports = ingest::ingest_files(
            std::slice::from_ref(&path),
            opts,
            |e| {
                if let Event::Reject(r) = e {
                    if first_rejects.len() < max_rejects {
                        first_rejects.push(*r);
                    }
                }
            },
            |_| {},
        );
        if let Some(file) = reports.pop() {
            out.push(Inspection { file, first_rejects });
        }
    }
    Ok(out)
}
