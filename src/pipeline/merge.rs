//! The `merge` job: the partial aggregates of several `run` outputs (over disjoint inputs)
//! added up into the tables, `report.html` and `summary.json` one run over all of them
//! would give.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{by_count, publish, write_report, Counts, ReportOptions, Summary};
use crate::aggregate::{PartialsMeta, Routed, PARTIALS_FORMAT};
use crate::error::{Error, Result};
use crate::ingest::FileReport;
use crate::report::{self, Staging};

/// The part of a run's `summary.json` that `merge` adds up.
#[derive(Debug, serde::Deserialize)]
struct PartSummary {
    #[serde(flatten)]
    counts: Counts,
    #[serde(default)]
    reject_reasons: BTreeMap<String, u64>,
    files: Vec<FileReport>,
}

/// What `merge` reads and writes.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// Output directories of `run`.
    pub parts: Vec<PathBuf>,
    pub out: PathBuf,
    /// `YYYY-MM` (or week/quarter as the parts were run), or `last-full-month`.
    pub period: Option<String>,
    pub excel_csv: bool,
    pub lang: crate::report::html::Lang,
    pub roi: crate::aggregate::RoiSettings,
    pub channel_groups: crate::aggregate::ChannelGroups,
}

/// Merges the partial aggregates of run outputs over disjoint inputs and writes the tables,
/// `report.html` and `summary.json` one run over all inputs gives (not `mentions.parquet`:
/// the parts' mentions stay where they are). All or nothing, like `run`.
pub fn merge(opts: &MergeOptions) -> Result<(Summary, PathBuf)> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut meta: Option<PartialsMeta> = None;
    let mut model_versions: Vec<String> = Vec::new();
    let mut routed: Option<Routed> = None;
    let (mut partials, mut summaries) = (Vec::new(), Vec::new());
    let mut ids: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let mut overlapping = 0u64;
    for (k, part) in opts.parts.iter().enumerate() {
        let bad = |reason: String| Error::Part { path: part.clone(), reason };
        let read = |name: &str| std::fs::read(part.join(name)).map_err(|e| bad(format!("{name}: {e} (not the output folder of `resonanz run`?)")));
        let m: PartialsMeta = serde_json::from_slice(&read("partials/meta.json")?).map_err(|e| bad(format!("partials/meta.json: {e}")))?;
        if m.format != PARTIALS_FORMAT {
            return Err(bad(format!("partials format {} (this resonanz reads {PARTIALS_FORMAT}): re-run it with this version", m.format)));
        }
        if let Some(first) = &meta {
            if (first.granularity, &first.timezone, first.pseudonymized) != (m.granularity, &m.timezone, m.pseudonymized) {
                return Err(bad(format!(
                    "run with {:?} periods in {}{} but {} with {:?} in {}{}: parts must be run with the same granularity, report time zone and pseudonymization",
                    m.granularity,
                    m.timezone,
                    if m.pseudonymized { ", pseudonymized" } else { "" },
                    opts.parts[0].display(),
                    first.granularity,
                    first.timezone,
                    if first.pseudonymized { ", pseudonymized" } else { "" },
                )));
            }
        }
        if !model_versions.contains(&m.model_version) {
            model_versions.push(m.model_version.clone());
        }
        routed = match (routed, m.routed.clone()) {
            (Some(a), Some(b)) => {
                Some(Routed { corpus: if a.corpus == b.corpus { a.corpus } else { format!("{}, {}", a.corpus, b.corpus) }, mentions: a.mentions + b.mentions })
            }
            (a, b) => a.or(b),
        };
        meta.get_or_insert(m);
        let s: PartSummary = serde_json::from_slice(&read("summary.json")?).map_err(|e| bad(format!("summary.json: {e}")))?;
        summaries.push(s);
        let p = crate::aggregate::Partials::from_named(|name| {
            let path = part.join(format!("partials/{name}.parquet"));
            let f = std::fs::File::open(&path).map_err(|e| polars::error::PolarsError::IO { error: std::sync::Arc::new(e), msg: None })?;
            use polars::prelude::SerReader;
            polars::prelude::ParquetReader::new(f).finish()
        })
        .map_err(|e| bad(format!("partials: {e}")))?;
        partials.push(p);
        overlapping += count_overlaps(&part.join("mentions.parquet"), k, &mut ids) + count_overlaps(&part.join("mentions"), k, &mut ids);
    }
    let meta = meta.ok_or_else(|| Error::Usage("merge needs at least one part".into()))?;
    let tz: chrono_tz::Tz =
        meta.timezone.parse().map_err(|_| Error::Part { path: opts.parts[0].clone(), reason: format!("unknown time zone {}", meta.timezone) })?;
    let period = match opts.period.as_deref() {
        Some("last-full-month") => Some(crate::config::last_full_month(chrono::Utc::now(), tz)),
        p => p.map(str::to_string),
    };
    if let Some(p) = &period {
        crate::config::check_period(p, meta.granularity)?;
    }
    let report_opts = ReportOptions {
        granularity: meta.granularity,
        report_timezone: tz,
        excel_csv: opts.excel_csv,
        lang: opts.lang,
        period,
        roi: opts.roi.clone(),
        channel_groups: opts.channel_groups.clone(),
    };
    let out = report_opts.out_dir(&opts.out);
    let merged = crate::aggregate::Partials::merge(partials).map_err(|source| Error::Parquet { path: out.join("partials"), source })?;

    let files: Vec<FileReport> = summaries.iter().flat_map(|s| s.files.iter().cloned()).collect();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for (r, n) in summaries.iter().flat_map(|s| s.reject_reasons.iter()) {
        *reasons.entry(r.clone()).or_default() += n;
    }
    let meta = PartialsMeta { model_version: model_versions.join(", "), routed, ..meta };
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| Error::Write { path, source }
    };
    let mut staging = Staging::set(&out).map_err(werr(&out))?;
    let ctx = report::html::Context {
        files: &files,
        reasons: by_count(&reasons),
        model_version: meta.model_version.clone(),
        lang: opts.lang,
        sentiment_measured: meta.sentiment_measured.clone(),
        routed: meta.routed.clone(),
    };
    let mut outputs = write_report(&mut staging, &merged, &meta, &report_opts, &out, &ctx)?;
    // Rejects, duplicates and warnings of all parts, one after the other.
    for name in ["rejects.csv", "duplicates.csv", "warnings.csv"] {
        let mut all: Vec<u8> = Vec::new();
        for part in &opts.parts {
            let Ok(bytes) = std::fs::read(part.join(name)) else { continue };
            let body = match all.is_empty() {
                true => &bytes[..],
                false => bytes.iter().position(|&b| b == b'\n').map_or(&[][..], |i| &bytes[i + 1..]),
            };
            all.extend_from_slice(body);
        }
        if !all.is_empty() {
            let (mut f, path) = staging.create(name).map_err(werr(&out))?;
            f.write_all(&all).and_then(|_| f.flush()).map_err(werr(&path))?;
            outputs.push(name.to_string());
        }
    }
    outputs.push("summary.json".into());
    let summary = Summary {
        resonanz_version: env!("CARGO_PKG_VERSION"),
        started_at,
        duration_s: 0.0,
        counts: summaries.iter().map(|s| s.counts).sum(),
        reject_reasons: reasons,
        files,
        parts: opts.parts.iter().map(|p| p.display().to_string()).collect(),
        overlapping_mentions: Some(overlapping),
        stages: None,
        pseudonymized: None,
        routed: meta.routed.clone(),
        outputs,
    };
    Ok((publish(summary, started, staging, &out)?, out))
}

/// Adds the mention ids of a part's `mentions.parquet` (when it has one) to `seen` and
/// returns how many of them an earlier part already had.
fn count_overlaps(mentions: &Path, part: usize, seen: &mut std::collections::HashMap<u64, usize>) -> u64 {
    use polars::prelude::col;
    if !mentions.exists() {
        return 0;
    }
    let Ok(df) = report::scan_mentions(mentions).and_then(|lf| lf.select([col("mention_id")]).collect()) else { return 0 };
    let Ok(ids) = df.column("mention_id").and_then(|c| c.str().cloned()) else { return 0 };
    let mut overlaps = 0;
    for id in ids.iter().flatten() {
        if let Ok(k) = u64::from_str_radix(id, 16) {
            if *seen.entry(k).or_insert(part) != part {
                overlaps += 1;
            }
        }
    }
    overlaps
}
