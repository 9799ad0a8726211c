//! `mentions.parquet`: the canonical mentions, written in row groups while the run streams.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use polars::prelude::*;

use crate::aggregate::Granularity;
use crate::mention::Mention;

/// Column names of `mentions.parquet`, in order.
pub const MENTION_COLUMNS: [&str; 24] = [
    "mention_id",
    "source_file",
    "source_line",
    "source_tool",
    "published_at",
    "channel",
    "author",
    "url",
    "title",
    "text",
    "language",
    "language_source",
    "country",
    "reach",
    "engagement",
    "tool_sentiment",
    "query",
    "vendor_id",
    "sentiment",
    "sentiment_score",
    "sentiment_confidence",
    "relevant",
    "topics",
    "model_version",
];

/// Mentions as a polars frame in the canonical schema (`published_at` is UTC, ms).
pub fn mentions_frame(ms: &[Mention]) -> PolarsResult<DataFrame> {
    let s = |name: &str, v: Vec<&str>| Column::new(name.into(), v);
    let o = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
    let published: Vec<i64> = ms.iter().map(|m| m.published_at.timestamp_millis()).collect();
    let published = Int64Chunked::from_vec("published_at".into(), published).into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)).into_column();
    DataFrame::new(
        ms.len(),
        vec![
            s("mention_id", ms.iter().map(|m| m.mention_id.as_str()).collect()),
            s("source_file", ms.iter().map(|m| &*m.source_file).collect()),
            Column::new("source_line".into(), ms.iter().map(|m| m.source_line).collect::<Vec<u64>>()),
            s("source_tool", ms.iter().map(|m| &*m.source_tool).collect()),
            published,
            s("channel", ms.iter().map(|m| m.channel.as_str()).collect()),
            o("author", ms.iter().map(|m| m.author.as_deref()).collect()),
            o("url", ms.iter().map(|m| m.url.as_deref()).collect()),
            o("title", ms.iter().map(|m| m.title.as_deref()).collect()),
            s("text", ms.iter().map(|m| m.text.as_str()).collect()),
            o("language", ms.iter().map(|m| m.language.as_deref()).collect()),
            o("language_source", ms.iter().map(|m| m.language_source.map(|l| l.as_str())).collect()),
            o("country", ms.iter().map(|m| m.country.as_deref()).collect()),
            Column::new("reach".into(), ms.iter().map(|m| m.reach).collect::<Vec<Option<i64>>>()),
            Column::new("engagement".into(), ms.iter().map(|m| m.engagement).collect::<Vec<Option<i64>>>()),
            s("tool_sentiment", ms.iter().map(|m| m.tool_sentiment.as_str()).collect()),
            o("query", ms.iter().map(|m| m.query.as_deref()).collect()),
            o("vendor_id", ms.iter().map(|m| m.vendor_id.as_deref()).collect()),
            o("sentiment", ms.iter().map(|m| m.sentiment_label()).collect()),
            Column::new("sentiment_score".into(), ms.iter().map(|m| m.sentiment_score).collect::<Vec<Option<f32>>>()),
            Column::new("sentiment_confidence".into(), ms.iter().map(|m| m.sentiment_confidence).collect::<Vec<Option<f32>>>()),
            Column::new("relevant".into(), ms.iter().map(|m| m.relevant).collect::<Vec<Option<bool>>>()),
            topics_column(ms),
            o("model_version", ms.iter().map(|m| m.model_version.as_deref()).collect()),
        ],
    )
}

fn topics_column(ms: &[Mention]) -> Column {
    let values = ms.iter().map(|m| m.topics.len()).sum();
    let mut b = ListStringChunkedBuilder::new("topics".into(), ms.len(), values);
    for m in ms {
        b.append_values_iter(m.topics.iter().map(|t| &**t));
    }
    b.finish().into_column()
}

/// Where `mentions.parquet` goes.
pub enum MentionSink {
    /// One Parquet file.
    File(BufWriter<File>),
    /// Hive-style partitions under a folder, by period (of `granularity` in `tz`) and export
    /// tool: `period=2026-08/source=brandwatch/part-0.parquet`, each file with every column,
    /// so DuckDB, Spark or DataFusion read the folder as one table.
    Partitioned { dir: PathBuf, tz: Tz, granularity: Granularity },
}

/// Writes mentions into Parquet, one row group per [`MentionWriter::write`] call (per
/// partition when partitioned), so memory holds a batch, not the whole table.
pub struct MentionWriter(Writers);

/// The open Parquet writers of a sink.
enum Writers {
    One(Box<polars::io::parquet::write::BatchedWriter<BufWriter<File>>>),
    Partitioned {
        dir: PathBuf,
        tz: Tz,
        granularity: Granularity,
        schema: Schema,
        open: BTreeMap<(String, String), polars::io::parquet::write::BatchedWriter<BufWriter<File>>>,
    },
}

/// zstd level 2: the writer's compression competes with classification for the cores;
/// on 1M realistic rows level 1 took 0.94× the time of the default (3) and level 2 as long
/// as level 1, for 5 % more bytes than the default (BENCHMARKS.md).
fn batched(file: BufWriter<File>, schema: &Schema) -> PolarsResult<polars::io::parquet::write::BatchedWriter<BufWriter<File>>> {
    ParquetWriter::new(file).with_compression(ParquetCompression::Zstd(Some(polars_parquet::write::ZstdLevel::try_new(2)?))).batched(schema)
}

/// A partition value as a folder name: lower-case letters, digits, `-` and `_`.
fn partition_value(s: &str) -> String {
    let v: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '_' }).collect();
    if v.is_empty() {
        "unknown".into()
    } else {
        v
    }
}

impl MentionWriter {
    pub fn new(sink: MentionSink) -> PolarsResult<MentionWriter> {
        let schema = mentions_frame(&[])?.schema().as_ref().clone();
        Ok(MentionWriter(match sink {
            MentionSink::File(file) => Writers::One(Box::new(batched(file, &schema)?)),
            MentionSink::Partitioned { dir, tz, granularity } => Writers::Partitioned { dir, tz, granularity, schema, open: BTreeMap::new() },
        }))
    }

    /// Writes a batch of mentions (reordered by partition when partitioned).
    pub fn write(&mut self, ms: &mut [Mention]) -> PolarsResult<()> {
        match &mut self.0 {
            Writers::One(w) => w.write_batch(&mentions_frame(ms)?),
            Writers::Partitioned { dir, tz, granularity, schema, open } => {
                let key = |m: &Mention| (crate::aggregate::period_key(m.published_at, *tz, *granularity), partition_value(&m.source_tool));
                // Stable: mentions keep their order inside a partition.
                ms.sort_by_cached_key(key);
                let mut rest = &ms[..];
                while let Some(first) = rest.first() {
                    let k = key(first);
                    let n = rest.iter().take_while(|m| key(m) == k).count();
                    let writer = match open.entry(k) {
                        std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                        std::collections::btree_map::Entry::Vacant(e) => {
                            let (period, source) = e.key();
                            let folder = dir.join(format!("period={period}")).join(format!("source={source}"));
                            std::fs::create_dir_all(&folder)?;
                            let file = File::create(folder.join("part-0.parquet"))?;
                            e.insert(batched(BufWriter::with_capacity(1 << 16, file), schema)?)
                        }
                    };
                    writer.write_batch(&mentions_frame(&rest[..n])?)?;
                    rest = &rest[n..];
                }
                Ok(())
            }
        }
    }

    /// Writes the footers.
    pub fn finish(self) -> PolarsResult<()> {
        match self.0 {
            Writers::One(w) => w.finish().map(|_| ()),
            Writers::Partitioned { open, .. } => open.into_values().try_for_each(|w| w.finish().map(|_| ())),
        }
    }
}

/// The Parquet files of a mentions output: the file itself, or every `.parquet` file under
/// a partitioned folder (sorted).
fn mention_files(path: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "parquet") {
                out.push(p);
            }
        }
    }
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    walk(path, &mut files);
    files.sort();
    files
}

/// The mentions of a run output (file or partitioned folder) as one lazy table.
pub fn scan_mentions(path: &Path) -> polars::prelude::PolarsResult<polars::prelude::LazyFrame> {
    use polars::prelude::{IntoLazy, LazyFrame, PlRefPath, ScanArgsParquet};
    let files: Vec<PlRefPath> = mention_files(path).iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
    if files.is_empty() {
        return Ok(mentions_frame(&[])?.lazy());
    }
    let args = ScanArgsParquet { hive_options: polars::prelude::HiveOptions::new_disabled(), ..Default::default() };
    LazyFrame::scan_parquet_files(files.into_iter().collect(), args)
}
