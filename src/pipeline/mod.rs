//! The `run` and `inspect` jobs: ingest every input, write the outputs atomically;
//! `merge` adds up the outputs of several runs.

mod downstream;
mod merge;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::aggregate::{PartialsMeta, Routed, PARTIALS_FORMAT};
use crate::error::{Error, Result};
use crate::ingest::{self, Counts, Event, FileReport, IngestOptions, Reject};
use crate::report::{self, CsvTable, MentionSink, MentionWriter, Staging};
use downstream::Downstream;
pub use merge::{merge, MergeOptions};

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
    /// How the tables and the page are made.
    pub report: ReportOptions,
    /// Mentions as Hive-partitioned Parquet (`mentions/period=…/source=…/part-0.parquet`)
    /// instead of one `mentions.parquet`.
    pub partitioned: bool,
    /// With a key, authors are replaced by keyed pseudonyms in every output.
    pub pseudonym_key: Option<Vec<u8>>,
}

/// How the tables and the page are made; shared by `run` and `merge`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
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
    /// Which channels `by_channel_group` and the report put together.
    pub channel_groups: crate::aggregate::ChannelGroups,
}

impl ReportOptions {
    /// Where the outputs go: `out/<period>/`, or `out/` without a period.
    pub fn out_dir(&self, out: &Path) -> PathBuf {
        match &self.period {
            Some(p) => out.join(p),
            None => out.to_path_buf(),
        }
    }
}

/// What a run did; written as `summary.json`. Field names are a contract for schedulers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub resonanz_version: &'static str,
    pub started_at: String,
    pub duration_s: f64,
    #[serde(flatten)]
    pub counts: Counts,
    /// Rejected rows by the kind of their reason ([`crate::ingest::RejectReason::kind`]).
    pub reject_reasons: BTreeMap<String, u64>,
    pub files: Vec<FileReport>,
    /// For `merge`: the run outputs merged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// For `merge`: mentions (by id) found in more than one part, and so counted more than
    /// once; parts should be disjoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlapping_mentions: Option<u64>,
    /// For `run`: where the time went (see [`Stages`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages: Option<Stages>,
    /// For a `--pseudonymize` run: what was replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pseudonymized: Option<Pseudonymized>,
    /// When the sentiment classifier routes: the mentions it scored by one training
    /// corpus's own model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routed: Option<Routed>,
    pub outputs: Vec<String>,
}

/// Writes `summary.json`, its duration measured up to now, beside the staged outputs and
/// publishes them all (`run` and `merge` end so).
fn publish(mut summary: Summary, started: Instant, mut staging: Staging, out: &Path) -> Result<Summary> {
    summary.duration_s = secs(started);
    let (mut f, path) = staging.create("summary.json").map_err(|source| Error::Write { path: out.join("summary.json"), source })?;
    f.write_all(&report::to_json_bytes(&summary)).and_then(|_| f.flush()).map_err(|source| Error::Write { path, source })?;
    drop(f);
    staging.commit().map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    Ok(summary)
}

/// What `--pseudonymize` replaced in a run's outputs.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Pseudonymized {
    /// Author names replaced by their pseudonym.
    pub authors: u64,
    /// URLs in which an author's name or account was replaced.
    pub urls: u64,
    /// Reject excerpts left out of `rejects.csv`.
    pub reject_excerpts: u64,
}

/// Seconds per stage of a run. Ingest (reading, parsing, de-duplicating) streams batches
/// to a classifier thread and on to a writer thread, each working while the next batch is
/// read, so `ingest_s` (wall time until the last row was read) overlaps `classify_s` and
/// `write_mentions_s` (those threads' busy time); the rest runs after, one stage at a time.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Stages {
    pub ingest_s: f64,
    pub classify_s: f64,
    pub write_mentions_s: f64,
    /// From the last row read until `mentions.parquet` is complete.
    pub drain_s: f64,
    pub aggregate_s: f64,
    /// Tables, CSV variants and `report.html`.
    pub report_s: f64,
}

/// Seconds rounded to milliseconds, as `summary.json` gives them.
fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Seconds since `t`, rounded to milliseconds.
fn secs(t: Instant) -> f64 {
    round_ms(t.elapsed().as_secs_f64())
}

/// The export files of a run, and the paths that were passed over with the reason.
#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<PathBuf>,
    /// Not read: FIFOs, sockets, devices (a read could block forever), directories
    /// reached again through a symlink loop, a file reached twice.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Files named on the command line; directories contribute their export files (sorted,
/// recursively, hidden files skipped, each directory and file once however many symlinks
/// lead to it). A path that does not exist is an input error.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => collect_dir(p, &mut inputs, &mut seen).map_err(|e| Error::NoInput(format!("{}: {e}", p.display())))?,
            Ok(m) => add_file(p, &m, &mut inputs, &mut seen),
            Err(_) if p.symlink_metadata().is_ok() => inputs.skipped.push((p.clone(), "a symlink to nothing".into())),
            Err(_) => return Err(Error::NoInput(format!("{}: no such file or directory", p.display()))),
        }
    }
    Ok(inputs)
}

fn add_file(p: &Path, meta: &std::fs::Metadata, inputs: &mut Inputs, seen: &mut std::collections::HashSet<PathBuf>) {
    if !meta.is_file() {
        inputs.skipped.push((p.to_path_buf(), "not a regular file (FIFO, socket or device): not read".into()));
    } else if !seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())) {
        inputs.skipped.push((p.to_path_buf(), "the same file as an earlier input: read once".into()));
    } else {
        inputs.files.push(p.to_path_buf());
    }
}

fn collect_dir(dir: &Path, inputs: &mut Inputs, seen: &mut std::collections::HashSet<PathBuf>) -> std::io::Result<()> {
    if !seen.insert(std::fs::canonicalize(dir)?) {
        inputs.skipped.push((dir.to_path_buf(), "a directory already read (symlink loop or second link): read once".into()));
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&p) else {
            inputs.skipped.push((p.clone(), "a symlink to nothing".into()));
            continue;
        };
        if meta.is_dir() {
            collect_dir(&p, inputs, seen)?;
        } else if crate::ingest::archive::is_export_name(name) {
            add_file(&p, &meta, inputs, seen);
        }
    }
    Ok(())
}

/// Runs ingest over the inputs and writes `mentions.parquet`, `rejects.csv`,
/// `duplicates.csv`, `warnings.csv` and `summary.json` into `opts.out`, all or nothing.
pub fn run(opts: &RunOptions) -> Result<Summary> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let Inputs { files: inputs, skipped } = expand_inputs(&opts.inputs)?;
    if inputs.is_empty() {
        return Err(Error::NoInput("no export files (.csv, .tsv, .txt, .xlsx, .xls, .ods) in the given paths".into()));
    }
    let out_dir = opts.report.out_dir(&opts.out);
    let out = &out_dir;
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| Error::Write { path, source }
    };
    let mut staging = Staging::set(out).map_err(werr(out))?;
    let (sink, pq_path) = if opts.partitioned {
        let tmp = staging.create_dir("mentions").map_err(werr(out))?;
        staging.remove_at_commit("mentions.parquet");
        let sink = MentionSink::Partitioned { dir: tmp, tz: opts.report.report_timezone, granularity: opts.report.granularity };
        (sink, out.join("mentions"))
    } else {
        let (f, path) = staging.create("mentions.parquet").map_err(werr(out))?;
        staging.remove_at_commit("mentions");
        (MentionSink::File(f), path)
    };
    let words = opts.classifier.as_ref().map_or_else(Vec::new, |c| c.topic_words.clone());
    let (tz, g) = (opts.report.report_timezone, opts.report.granularity);
    let tally = crate::aggregate::Tally::new(tz, g, words);
    let writer = MentionWriter::new(sink).map_err(|source| Error::Parquet { path: pq_path.clone(), source })?;
    // ingest (below, on this thread) → classify → count and write (downstream).
    let mut mentions = Downstream::start(opts.classifier.clone(), writer, tally, ROW_GROUP);
    let (f, rejects_path) = staging.create("rejects.csv").map_err(werr(out))?;
    let mut rejects = CsvTable::new(f, &["file", "line", "column", "column_name", "reason", "excerpt"])
        .map_err(|e| Error::Write { path: rejects_path.clone(), source: e.into() })?;
    let (f, dups_path) = staging.create("duplicates.csv").map_err(werr(out))?;
    let mut dups = CsvTable::new(f, &["file", "line", "duplicate_of_file", "duplicate_of_line", "mention_id"])
        .map_err(|e| Error::Write { path: dups_path.clone(), source: e.into() })?;
    let (f, warnings_path) = staging.create("warnings.csv").map_err(werr(out))?;
    let mut warnings =
        CsvTable::new(f, &["file", "line", "column", "column_name", "message"]).map_err(|e| Error::Write { path: warnings_path.clone(), source: e.into() })?;

    for (p, why) in &skipped {
        let p = p.display().to_string();
        warnings.row([p.as_str(), "0", "", "", &format!("skipped: {why}")]).map_err(|e| Error::Write { path: warnings_path.clone(), source: e.into() })?;
    }
    let pb = crate::progress::rows_spinner(opts.quiet);
    let mut failure: Option<Error> = None;
    let mut unshown = 0u64;
    // Reject reasons for the report and summary.json, by kind.
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut replaced = Pseudonymized::default();
    let files = ingest::ingest_files(
        &inputs,
        &opts.ingest,
        |event| {
            if failure.is_some() {
                return;
            }
            // Counted locally, shown every 4096 rows: a progress bar update per row cost
            // more than 1 % of a run.
            unshown += 1;
            if unshown == 4096 {
                pb.inc(unshown);
                unshown = 0;
            }
            let res = match event {
                Event::Mention(mut m) => mentions
                    .push({
                        if let Some(key) = &opts.pseudonym_key {
                            if let Some(u) = &m.url {
                                let p = report::pseudonymize_url(key, u, m.author.as_deref());
                                replaced.urls += (p != *u) as u64;
                                m.url = Some(p);
                            }
                            if let Some(a) = &m.author {
                                m.author = Some(report::pseudonym(key, a));
                                replaced.authors += 1;
                            }
                        }
                        *m
                    })
                    .map_err(|source| Error::Parquet { path: pq_path.clone(), source }),
                Event::Reject(r) => {
                    replaced.reject_excerpts += opts.pseudonym_key.is_some() as u64;
                    *reasons.entry(r.reason.kind().to_string()).or_default() += 1;
                    rejects
                        .row([
                            r.file.as_str(),
                            &r.line.to_string(),
                            &opt_num(r.column),
                            r.column_name.as_deref().unwrap_or(""),
                            &r.reason.to_string(),
                            // The raw record may name its author: not shown when pseudonymizing.
                            if opts.pseudonym_key.is_some() { "(hidden: pseudonymized run)" } else { &r.excerpt },
                        ])
                        .map_err(|e| Error::Write { path: rejects_path.clone(), source: e.into() })
                }
                Event::Duplicate(d) => dups
                    .row([d.file.as_str(), &d.line.to_string(), &d.duplicate_of_file, &d.duplicate_of_line.to_string(), &d.mention_id])
                    .map_err(|e| Error::Write { path: dups_path.clone(), source: e.into() }),
                Event::Warning(w) => warnings
                    .row([w.file.as_str(), &w.line.to_string(), &opt_num(w.column), w.column_name.as_deref().unwrap_or(""), &w.message])
                    .map_err(|e| Error::Write { path: warnings_path.clone(), source: e.into() }),
            };
            if let Err(e) = res {
                failure = Some(e);
            }
        },
        |f| pb.set_message(f.path.clone()),
    )?;
    pb.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    if files.iter().all(|f| f.error.is_some()) {
        let reasons: Vec<String> = files.iter().map(|f| format!("{}: {}", f.path, f.error.as_deref().unwrap_or(""))).collect();
        return Err(Error::NoInput(reasons.join("; ")));
    }
    let mut stages = Stages { ingest_s: secs(started), ..Stages::default() };
    let t = Instant::now();
    let written = mentions.finish().map_err(|source| Error::Parquet { path: pq_path.clone(), source })?;
    stages.drain_s = secs(t);
    (stages.classify_s, stages.write_mentions_s) = (round_ms(written.classify_s), round_ms(written.write_s));
    for (table, path) in [(rejects.finish(), &rejects_path), (dups.finish(), &dups_path), (warnings.finish(), &warnings_path)] {
        table.and_then(|mut w| w.flush()).map_err(werr(path))?;
    }

    let mentions_name = if opts.partitioned { "mentions/" } else { "mentions.parquet" };
    let mut outputs: Vec<String> = [mentions_name, "rejects.csv", "duplicates.csv", "warnings.csv"].iter().map(|s| s.to_string()).collect();
    let t = Instant::now();
    let partials = written.tally.partials().map_err(|source| Error::Parquet { path: pq_path.clone(), source })?;
    stages.aggregate_s = secs(t);
    let meta = PartialsMeta {
        format: PARTIALS_FORMAT,
        granularity: opts.report.granularity,
        timezone: opts.report.report_timezone.name().to_string(),
        pseudonymized: opts.pseudonym_key.is_some(),
        model_version: opts.classifier.as_ref().map_or("–".to_string(), |c| c.version.clone()),
        sentiment_measured: opts.classifier.as_ref().and_then(|c| c.sentiment.measured().cloned()),
        routed: opts.classifier.as_ref().and_then(|c| c.sentiment.routed_to()).map(|corpus| Routed { corpus: corpus.to_string(), mentions: written.routed }),
    };
    let report_ctx = report::html::Context {
        sentiment_measured: meta.sentiment_measured.clone(),
        routed: meta.routed.clone(),
        files: &files,
        reasons: by_count(&reasons),
        model_version: meta.model_version.clone(),
        lang: opts.report.lang,
    };
    let t = Instant::now();
    outputs.extend(write_report(&mut staging, &partials, &meta, &opts.report, out, &report_ctx)?);
    outputs.push("summary.json".into());
    stages.report_s = secs(t);

    let mut counts: Counts = files.iter().map(|f| f.counts).sum();
    counts.warnings += skipped.len() as u64;
    let summary = Summary {
        resonanz_version: env!("CARGO_PKG_VERSION"),
        started_at,
        duration_s: 0.0,
        counts,
        reject_reasons: reasons,
        files,
        parts: Vec::new(),
        overlapping_mentions: None,
        stages: Some(stages),
        pseudonymized: opts.pseudonym_key.is_some().then_some(replaced),
        routed: meta.routed.clone(),
        outputs,
    };
    publish(summary, started, staging, out)
}

/// Files staged for one output directory, by name.
struct Outputs<'a> {
    staging: &'a mut Staging,
    out: &'a Path,
    names: Vec<String>,
}

impl Outputs<'_> {
    fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.out.join(name);
        let (mut f, _) = self.staging.create(name).map_err(|source| Error::Write { path: path.clone(), source })?;
        f.write_all(bytes).and_then(|_| f.flush()).map_err(|source| Error::Write { path, source })?;
        self.names.push(name.to_string());
        Ok(())
    }

    fn parquet(&mut self, name: &str, df: &mut polars::prelude::DataFrame) -> Result<()> {
        let path = self.out.join(name);
        let (f, _) = self.staging.create(name).map_err(|source| Error::Write { path: path.clone(), source })?;
        polars::prelude::ParquetWriter::new(f).finish(df).map_err(|source| Error::Parquet { path, source })?;
        self.names.push(name.to_string());
        Ok(())
    }
}

/// Stages the partial aggregates (`partials/`), every table as Parquet and CSV,
/// `metrics.md` and `report.html`. Returns the file names.
fn write_report(
    staging: &mut Staging,
    partials: &crate::aggregate::Partials,
    meta: &PartialsMeta,
    opts: &ReportOptions,
    out: &Path,
    ctx: &report::html::Context,
) -> Result<Vec<String>> {
    let mut o = Outputs { staging, out, names: Vec::new() };
    for (name, df) in partials.named() {
        o.parquet(&format!("partials/{name}.parquet"), &mut df.clone())?;
    }
    o.bytes("partials/meta.json", &report::to_json_bytes(meta))?;

    let (tz, g, period) = (opts.report_timezone, opts.granularity, opts.period.as_deref());
    let perr = |source: polars::error::PolarsError| Error::Parquet { path: out.join("partials"), source };
    let mut tables = crate::aggregate::tables(partials, tz, g, period, &opts.channel_groups).map_err(perr)?;
    if let Some(m) = &meta.sentiment_measured {
        tables.with_share_intervals(m.share_error_pp).map_err(perr)?;
    }
    let mut roi = match opts.roi.costs.is_empty() {
        true => None,
        false => Some(crate::aggregate::up_to(crate::aggregate::roi(&tables.by_channel, &opts.roi).map_err(perr)?, period).map_err(perr)?),
    };
    let html = report::html::render(&tables, roi.as_ref(), ctx)
        .map_err(|e| Error::Write { path: out.join("report.html"), source: std::io::Error::other(e.to_string()) })?;
    let mut all: Vec<(&str, &mut polars::prelude::DataFrame)> = tables.named().into_iter().collect();
    if let Some(roi) = roi.as_mut() {
        all.push(("roi", roi));
    }
    for (name, df) in all {
        o.parquet(&format!("{name}.parquet"), df)?;
        let csv = report::to_csv(df, opts.excel_csv).map_err(|source| Error::Write { path: out.join(format!("{name}.csv")), source })?;
        o.bytes(&format!("{name}.csv"), &csv)?;
    }
    o.bytes("metrics.md", crate::aggregate::METRICS_MD.as_bytes())?;
    o.bytes("report.html", html.as_bytes())?;
    Ok(o.names)
}

/// Reject reasons, most frequent first (ties by name).
fn by_count(reasons: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = reasons.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
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
    let Inputs { files: inputs, skipped } = expand_inputs(paths)?;
    for (p, why) in &skipped {
        eprintln!("resonanz: {}: skipped, {why}", p.display());
    }
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
        )?;
        if let Some(file) = reports.pop() {
            out.push(Inspection { file, first_rejects });
        }
    }
    Ok(out)
}
