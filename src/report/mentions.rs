//! `mentions.parquet`: the canonical mentions, written in row groups while the run streams.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use chrono_tz::Tz;
use polars::prelude::*;

use crate::aggregate::{Granularity, TermCounts};
use crate::classify::MentionClassifier;
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

fn batched(file: BufWriter<File>, schema: &Schema) -> PolarsResult<polars::io::parquet::write::BatchedWriter<BufWriter<File>>> {
    ParquetWriter::new(file).with_compression(ParquetCompression::Zstd(None)).batched(schema)
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

impl Writers {
    fn write(&mut self, ms: &mut [Mention]) -> PolarsResult<()> {
        match self {
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

    fn finish(self) -> PolarsResult<()> {
        match self {
            Writers::One(w) => w.finish().map(|_| ()),
            Writers::Partitioned { open, .. } => open.into_values().try_for_each(|w| w.finish().map(|_| ())),
        }
    }
}

/// What a [`MentionWriter`] did: mentions written, the seconds its threads spent
/// classifying them (classifier thread) and writing them (writer thread: building
/// columns, compressing, writing), and the taxonomy words counted on the way.
#[derive(Debug)]
pub struct Written {
    pub mentions: u64,
    pub classify_s: f64,
    pub write_s: f64,
    pub terms: TermCounts,
}

/// Streams mentions into Parquet, one row group per `batch` mentions (per partition), so
/// memory holds a few batches, not the whole table. Building the columns and compressing
/// them happens on a writer thread, overlapping with ingest.
pub struct MentionWriter {
    tx: Option<SyncSender<Vec<Mention>>>,
    /// Emptied batch buffers back from the writer thread: a fresh 64k-mention buffer per
    /// batch cost page faults.
    recycled: Receiver<Vec<Mention>>,
    worker: Option<JoinHandle<PolarsResult<Written>>>,
    buffer: Vec<Mention>,
    batch: usize,
}

impl MentionWriter {
    /// `classifier`, when given, classifies each batch on a thread of its own (in parallel,
    /// on the rayon pool) before the writer thread writes it; the writer thread adds each
    /// batch's taxonomy words to `terms`.
    pub fn new(sink: MentionSink, batch: usize, classifier: Option<Arc<MentionClassifier>>, terms: TermCounts) -> PolarsResult<MentionWriter> {
        let schema = mentions_frame(&[])?.schema().as_ref().clone();
        let mut writers = match sink {
            MentionSink::File(file) => Writers::One(Box::new(batched(file, &schema)?)),
            MentionSink::Partitioned { dir, tz, granularity } => Writers::Partitioned { dir, tz, granularity, schema, open: BTreeMap::new() },
        };
        let (tx, rx) = sync_channel::<Vec<Mention>>(2);
        // Classifying a batch (in parallel, on the rayon pool) overlaps with writing the
        // previous one.
        let (rx, classifier) = match classifier {
            Some(c) => {
                let (classified_tx, classified_rx) = sync_channel::<Vec<Mention>>(1);
                let classifier = std::thread::spawn(move || {
                    let mut busy = 0.0;
                    for mut ms in rx {
                        let t = std::time::Instant::now();
                        c.classify_all(&mut ms);
                        busy += t.elapsed().as_secs_f64();
                        if classified_tx.send(ms).is_err() {
                            break; // the writer stopped; its result says why
                        }
                    }
                    busy
                });
                (classified_rx, Some(classifier))
            }
            None => (rx, None),
        };
        let (recycle, recycled) = sync_channel::<Vec<Mention>>(2);
        let worker = std::thread::spawn(move || {
            let mut done = Written { mentions: 0, classify_s: 0.0, write_s: 0.0, terms };
            for mut ms in rx {
                let t = std::time::Instant::now();
                done.terms.add(&ms);
                writers.write(&mut ms)?;
                done.write_s += t.elapsed().as_secs_f64();
                done.mentions += ms.len() as u64;
                ms.clear();
                let _ = recycle.try_send(ms); // when the reader has enough, it is dropped
            }
            let t = std::time::Instant::now();
            writers.finish()?;
            done.write_s += t.elapsed().as_secs_f64();
            if let Some(c) = classifier {
                done.classify_s = c.join().map_err(|_| PolarsError::ComputeError("classifier thread failed".into()))?;
            }
            Ok(done)
        });
        let batch = batch.max(1);
        Ok(MentionWriter { tx: Some(tx), recycled, worker: Some(worker), buffer: Vec::with_capacity(batch), batch })
    }

    pub fn push(&mut self, m: Mention) -> PolarsResult<()> {
        self.buffer.push(m);
        if self.buffer.len() >= self.batch {
            let empty = self.recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(self.batch));
            let full = std::mem::replace(&mut self.buffer, empty);
            self.send(full)?;
        }
        Ok(())
    }

    fn send(&mut self, ms: Vec<Mention>) -> PolarsResult<()> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(ms).is_ok());
        if sent {
            return Ok(());
        }
        // The writer thread stopped: its result says why.
        self.tx = None;
        self.join().and(Err(PolarsError::ComputeError("Parquet writer stopped".into())))
    }

    fn join(&mut self) -> PolarsResult<Written> {
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(PolarsError::ComputeError("Parquet writer thread failed".into())),
            None => Err(PolarsError::ComputeError("Parquet writer already finished".into())),
        }
    }

    /// Writes the last row group and the footer; says what was written and how long it took.
    pub fn finish(mut self) -> PolarsResult<Written> {
        let rest = std::mem::take(&mut self.buffer);
        if !rest.is_empty() {
            self.send(rest)?;
        }
        self.tx = None;
        self.join()
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
