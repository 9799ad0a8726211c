//! `mentions.parquet`: the canonical mentions, written in row groups while the run streams.

use std::fs::File;
use std::io::BufWriter;

use polars::prelude::*;

use crate::mention::Mention;

/// Column names of `mentions.parquet`, in order.
pub const MENTION_COLUMNS: [&str; 17] = [
    "mention_id", "source_file", "source_line", "source_tool", "published_at", "channel", "author", "url",
    "title", "text", "language", "country", "reach", "engagement", "tool_sentiment", "query", "vendor_id",
];

/// Mentions as a polars frame in the canonical schema (`published_at` is UTC, ms).
pub fn mentions_frame(ms: &[Mention]) -> PolarsResult<DataFrame> {
    let s = |name: &str, v: Vec<&str>| Column::new(name.into(), v);
    let o = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
    let published: Vec<i64> = ms.iter().map(|m| m.published_at.timestamp_millis()).collect();
    let published = Int64Chunked::from_vec("published_at".into(), published)
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        .into_column();
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
            o("country", ms.iter().map(|m| m.country.as_deref()).collect()),
            Column::new("reach".into(), ms.iter().map(|m| m.reach).collect::<Vec<Option<i64>>>()),
            Column::new("engagement".into(), ms.iter().map(|m| m.engagement).collect::<Vec<Option<i64>>>()),
            s("tool_sentiment", ms.iter().map(|m| m.tool_sentiment.as_str()).collect()),
            o("query", ms.iter().map(|m| m.query.as_deref()).collect()),
            o("vendor_id", ms.iter().map(|m| m.vendor_id.as_deref()).collect()),
        ],
    )
}

/// Streams mentions into a Parquet file, one row group per `batch` mentions, so memory
/// holds one batch, not the whole table.
pub struct MentionWriter {
    writer: polars::io::parquet::write::BatchedWriter<BufWriter<File>>,
    buffer: Vec<Mention>,
    batch: usize,
    pub written: u64,
}

impl MentionWriter {
    pub fn new(file: BufWriter<File>, batch: usize) -> PolarsResult<MentionWriter> {
        let schema = mentions_frame(&[])?.schema().as_ref().clone();
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .batched(&schema)?;
        Ok(MentionWriter { writer, buffer: Vec::with_capacity(batch), batch: batch.max(1), written: 0 })
    }

    pub fn push(&mut self, m: Mention) -> PolarsResult<()> {
        self.buffer.push(m);
        if self.buffer.len() >= self.batch {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> PolarsResult<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let df = mentions_frame(&self.buffer)?;
        self.writer.write_batch(&df)?;
        self.written += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    pub fn finish(mut self) -> PolarsResult<u64> {
        self.flush()?;
        self.writer.finish()?;
        Ok(self.written)
    }
}
