//! Ingest: read mention exports as they are, one canonical [`Mention`] per record.
//!
//! Per file: sniff the encoding ([`decode`]), the delimiter and header row ([`dialect`]), the
//! vendor layout ([`layout`]), then stream the records, parsing cells ([`fields`]). Every
//! record becomes an [`Event`]: a mention, a duplicate of an earlier mention ([`dedup`]), or a
//! reject with file, line, column and reason. Repairs that keep a record (a NUL byte removed,
//! a cell decoded as Windows-1252, a number that is not one) are warnings.

pub mod archive;
pub mod decode;
pub mod dedup;
pub mod dialect;
pub mod fields;
mod keyset;
pub mod layout;
mod sheet;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;

use chrono_tz::Tz;
use rayon::prelude::*;
use serde::Serialize;

use crate::mention::{Channel, Mention, ToolSentiment};
pub use archive::Input;
use decode::{Encoding, Sniffed};
use dedup::{Deduper, Keys, Origin, Seen};
use fields::DateOrder;
use layout::{ColumnMap, Layouts};

/// Bytes read from the start of a file to sniff its format; when they hold no header (a
/// long run of blank lines, a huge header row) the sample grows fourfold up to the cap.
const SAMPLE_BYTES: usize = 256 * 1024;
const MAX_SAMPLE_BYTES: usize = 64 * 1024 * 1024;

/// A file-level failure: the file cannot be read as an export at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}: invalid layouts file: {message}", path.display())]
    Layouts { path: PathBuf, message: String },
    /// The de-duplication index's scratch files (in `TMPDIR`) could not be written or read.
    #[error("de-duplication scratch file in {}: {source}; set TMPDIR to a writable directory", std::env::temp_dir().display())]
    Scratch { source: std::io::Error },
}

/// Settings for reading exports.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub layouts: Layouts,
    /// Time zone for dates without an offset, overriding the layout's own.
    pub timezone: Option<Tz>,
    /// Plausible publication times: a mention dated outside is rejected (a year 1 or 9999,
    /// an epoch in the wrong unit), not allowed to stretch the report over centuries.
    pub dates: DateWindow,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { layouts: Layouts::builtin(), timezone: None, dates: DateWindow::default() }
    }
}

/// The publication times a mention may have, inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateWindow {
    pub earliest: chrono::DateTime<chrono::Utc>,
    pub latest: chrono::DateTime<chrono::Utc>,
}

impl Default for DateWindow {
    /// 1990-01-01 (before any social-listening tool) to one day after now.
    fn default() -> Self {
        let earliest = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc()).unwrap_or_default();
        DateWindow { earliest, latest: chrono::Utc::now() + chrono::Duration::days(1) }
    }
}

/// What was detected in a file and what became of its records. The field names are a
/// contract: `summary.json` and `inspect --json` print them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
pub struct FileReport {
    pub path: String,
    /// Detected layout (`brandwatch`, `meltwater`, ..., `generic`); empty if unreadable.
    pub tool: String,
    /// `csv` or `spreadsheet`.
    pub format: String,
    pub encoding: Option<Encoding>,
    pub bom: bool,
    pub delimiter: Option<String>,
    /// 1-based physical line (sheet row) of the header.
    pub header_line: u64,
    /// Canonical field → the column(s) it is read from.
    pub columns: BTreeMap<String, String>,
    pub date_order: Option<DateOrder>,
    /// The zone dates without an offset are read in, and why (`layout meltwater default`,
    /// `named in the header …`, `--timezone`); values with an offset or a zone
    /// abbreviation (`CEST`) carry their own.
    pub naive_timezone: String,
    pub timezone_source: String,
    /// Of the records read into mentions, those whose date carried its own offset or zone
    /// (the others were read in `naive_timezone`).
    pub dates_with_offset: u64,
    #[serde(flatten)]
    pub counts: Counts,
    /// Why the file could not be read at all.
    pub error: Option<String>,
}

/// What became of the rows read, summed over files (or a merge's parts): every record is
/// a mention, a duplicate or a reject (`rows_in = mentions + duplicates + rejected`); blank
/// lines and warnings besides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    /// Records after the header (blank lines are not records).
    pub rows_in: u64,
    pub mentions: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Blank lines (or rows of empty cells) between records.
    pub skipped_lines: u64,
    pub warnings: u64,
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts {
            rows_in: self.rows_in + o.rows_in,
            mentions: self.mentions + o.mentions,
            duplicates: self.duplicates + o.duplicates,
            rejected: self.rejected + o.rejected,
            skipped_lines: self.skipped_lines + o.skipped_lines,
            warnings: self.warnings + o.warnings,
        }
    }
}

impl std::iter::Sum for Counts {
    fn sum<I: Iterator<Item = Counts>>(iter: I) -> Counts {
        iter.fold(Counts::default(), std::ops::Add::add)
    }
}

/// A record that did not become a mention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reject {
    pub file: String,
    /// 1-based physical line where the record starts (0: the file as a whole).
    pub line: u64,
    /// 1-based column number, when one column is at fault.
    pub column: Option<usize>,
    pub column_name: Option<String>,
    #[serde(serialize_with = "display")]
    pub reason: RejectReason,
    /// The start of the record, to find it by eye.
    pub excerpt: String,
}

/// Why a record (or a whole file) did not become a mention. `Display` is the message in
/// `rejects.csv`; [`RejectReason::kind`] the stable key counted in `summary.json`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RejectReason {
    /// The file could not be opened or decoded at all (reported on line 0).
    #[error("file not read: {0}")]
    FileNotRead(String),
    /// The parser gave up part-way (e.g. a read error); the rows before it were kept.
    #[error("reading stopped: {0}")]
    ReadingStopped(String),
    #[error("{found} fields where the header has {expected}{}", .cause.hint())]
    FieldCount { found: usize, expected: usize, cause: FieldCountCause },
    /// Every column of the text fallback chain is empty (their names, comma-separated).
    #[error("text is empty ({columns}): nothing to classify")]
    EmptyText { columns: String },
    #[error("{}: `{value}`", .error.describe())]
    BadDate { error: fields::DateError, value: String },
    #[error("date outside the plausible window {earliest} … {latest}: `{value}`")]
    DateOutsideWindow { earliest: chrono::NaiveDate, latest: chrono::NaiveDate, value: String },
    /// The file's last record ends in a cell whose quote is never closed: the lines after
    /// it were read into that cell (as many as `lines`).
    #[error("a quote opened in this cell is never closed: the rest of the file ({lines} more line{}) was read into it", if *.lines == 1 { "" } else { "s" })]
    UnclosedQuote { lines: u64 },
}

/// What most likely made a record's field count differ from the header's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldCountCause {
    /// More fields: a cell holds an unquoted delimiter.
    UnquotedDelimiter,
    /// Fewer fields and the last one runs over lines: an unclosed quote.
    UnclosedQuote,
    Unknown,
}

impl FieldCountCause {
    fn hint(self) -> &'static str {
        match self {
            FieldCountCause::UnquotedDelimiter => ": a cell holds an unquoted delimiter, so the split is ambiguous",
            FieldCountCause::UnclosedQuote => ": a quote that is never closed runs on to the end of the file",
            FieldCountCause::Unknown => "",
        }
    }
}

impl RejectReason {
    /// A stable key per kind of reason, for `summary.json`'s `reject_reasons` and the
    /// report (a scheduler may alert on them; the message may be reworded).
    pub fn kind(&self) -> &'static str {
        match self {
            RejectReason::FileNotRead(_) => "file_not_read",
            RejectReason::ReadingStopped(_) => "reading_stopped",
            RejectReason::FieldCount { .. } => "field_count",
            RejectReason::EmptyText { .. } => "text_empty",
            RejectReason::BadDate { error: fields::DateError::Empty, .. } => "date_empty",
            RejectReason::BadDate { error: fields::DateError::Unrecognised, .. } => "date_unrecognised",
            RejectReason::BadDate { error: fields::DateError::DoesNotExist, .. } => "date_does_not_exist",
            RejectReason::DateOutsideWindow { .. } => "date_out_of_window",
            RejectReason::UnclosedQuote { .. } => "unclosed_quote",
        }
    }
}

fn display<T: std::fmt::Display, S: serde::Serializer>(value: &T, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// A record kept after a repair, or a value that was left empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub file: String,
    pub line: u64,
    pub column: Option<usize>,
    pub column_name: Option<String>,
    pub message: String,
}

/// A mention dropped because an earlier one has the same URL, vendor id or content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    pub file: String,
    pub line: u64,
    pub duplicate_of_file: String,
    pub duplicate_of_line: u64,
    pub mention_id: String,
}

/// What one record became.
#[derive(Debug, Clone)]
pub enum Event {
    Mention(Box<Mention>),
    Duplicate(Box<Duplicate>),
    Reject(Box<Reject>),
    Warning(Box<Warning>),
}

/// Reads the files in order, de-duplicating across all of them, and hands every event to
/// `on_event`. A file that cannot be read is reported (its `error` set, and a reject for
/// line 0) and the others are still read. The duplicates come last, after every file is
/// read (see [`Deduper`]), in the order they were found. Returns one report per file; an
/// error only when the de-duplication index's scratch files fail.
pub fn ingest_files(
    paths: &[PathBuf],
    opts: &IngestOptions,
    mut on_event: impl FnMut(Event),
    mut on_file_done: impl FnMut(&FileReport),
) -> Result<Vec<FileReport>, IngestError> {
    let scratch = |source| IngestError::Scratch { source };
    let mut dedup = Deduper::new().map_err(scratch)?;
    let mut reports: Vec<FileReport> = Vec::with_capacity(paths.len());
    // An archive is as many inputs as it holds exports; one that cannot be opened is one
    // input that fails.
    let mut inputs: Vec<Result<Input, (PathBuf, archive::ArchiveError)>> = Vec::with_capacity(paths.len());
    for p in paths {
        match archive::inputs_of(p) {
            Ok(found) => inputs.extend(found.into_iter().map(Ok)),
            Err(e) => inputs.push(Err((p.clone(), e))),
        }
    }
    let names: Vec<String> = inputs.iter().map(|i| i.as_ref().map_or_else(|(p, _)| p.display().to_string(), Input::name)).collect();
    for (idx, input) in inputs.iter().enumerate() {
        let opened = match input {
            Ok(input) => ExportReader::open(input, opts),
            Err((path, e)) => Err(IngestError::Unreadable { path: path.clone(), reason: e.to_string() }),
        };
        let report = match opened {
            Ok(reader) => {
                // The reader (parse + parallel conversion) runs on its own thread, one
                // batch ahead; this thread de-duplicates and hands events on, in order.
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Event, Option<Keys>)>>(2);
                let (mut mentions, mut duplicates) = (0u64, 0u64);
                let mut failed = None;
                let mut report = std::thread::scope(|scope| {
                    let producer = scope.spawn(move || {
                        let mut reader = reader;
                        while let Some(batch) = reader.next_batch() {
                            if tx.send(batch).is_err() {
                                break;
                            }
                        }
                        reader.report
                    });
                    'batches: for batch in rx {
                        for (event, keys) in batch {
                            let Event::Mention(m) = event else {
                                on_event(event);
                                continue;
                            };
                            let keys = keys.unwrap_or_else(|| Keys::of(&m));
                            match dedup.check(&keys, Origin { file: idx as u32, line: m.source_line }) {
                                Ok(Seen::Again) => duplicates += 1,
                                Ok(Seen::First) => {
                                    mentions += 1;
                                    on_event(Event::Mention(m));
                                }
                                Err(e) => {
                                    // Dropping the receiver stops the reader.
                                    failed = Some(e);
                                    break 'batches;
                                }
                            }
                        }
                    }
                    producer.join().unwrap_or_else(|_| FileReport {
                        path: names[idx].clone(),
                        error: Some("internal error while reading".into()),
                        ..FileReport::default()
                    })
                });
                if let Some(e) = failed {
                    return Err(scratch(e));
                }
                report.counts.mentions = mentions;
                report.counts.duplicates = duplicates;
                report
            }
            Err(err) => {
                let reason = match &err {
                    IngestError::Unreadable { reason, .. } => reason.clone(),
                    other => other.to_string(),
                };
                on_event(Event::Reject(Box::new(Reject {
                    file: names[idx].clone(),
                    line: 0,
                    column: None,
                    column_name: None,
                    reason: RejectReason::FileNotRead(reason.clone()),
                    excerpt: String::new(),
                })));
                FileReport { path: names[idx].clone(), error: Some(reason), ..FileReport::default() }
            }
        };
        on_file_done(&report);
        reports.push(report);
    }
    dedup
        .finish(|r| {
            on_event(Event::Duplicate(Box::new(Duplicate {
                file: names[r.at.file as usize].clone(),
                line: r.at.line,
                duplicate_of_file: names[r.of.file as usize].clone(),
                duplicate_of_line: r.of.line,
                mention_id: r.mention_id(),
            })))
        })
        .map_err(scratch)?;
    Ok(reports)
}

/// Where records come from: a CSV stream or the rows of a spreadsheet.
enum Source {
    Csv(csv::Reader<Box<dyn Read + Send>>),
    Sheet(std::vec::IntoIter<(u64, Vec<String>)>),
}

/// How to turn this file's records into mentions.
struct Plan {
    file: Arc<str>,
    tool: Arc<str>,
    header: Vec<String>,
    map: ColumnMap,
    tz: Tz,
    order: DateOrder,
    default_channel: Channel,
    sentiment_scale: layout::SentimentScale,
    dates: DateWindow,
}

/// Records read per batch; a batch is converted in parallel while the next one is read.
const BATCH: usize = 2048;

/// Raw records with their start lines, reused from batch to batch.
#[derive(Default)]
struct Batch {
    records: Vec<csv::ByteRecord>,
    lines: Vec<u64>,
    len: usize,
    /// The record whose last cell opened a quote never closed (the file's last record).
    unclosed_quote: Option<usize>,
}

/// The record stream of one file, with the line bookkeeping.
struct RecordSource {
    source: Source,
    stream_end: Arc<decode::StreamEnd>,
    header_line: u64,
    /// The line where the next record should start if no blank line comes between.
    next_line: u64,
    skipped_lines: u64,
    done: bool,
    /// Where and why reading stopped early.
    error: Option<(u64, String)>,
}

impl RecordSource {
    /// Reads up to [`BATCH`] records (blank ones are counted and skipped).
    fn fill(&mut self, batch: &mut Batch) {
        batch.len = 0;
        batch.unclosed_quote = None;
        while batch.len < BATCH && !self.done {
            if batch.records.len() == batch.len {
                batch.records.push(csv::ByteRecord::new());
                batch.lines.push(0);
            }
            let rec = &mut batch.records[batch.len];
            let (line, embedded, unclosed_quote) = match self.read_record(rec) {
                Ok(Some(at)) => at,
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    self.done = true;
                    self.error = Some((self.next_line, e.to_string()));
                    break;
                }
            };
            if line <= self.header_line {
                continue; // preamble and header
            }
            let span = 1 + embedded;
            if line > self.next_line {
                self.skipped_lines += line - self.next_line;
            }
            self.next_line = line + span;
            if rec.iter().all(|c| c.iter().all(|b| b.is_ascii_whitespace())) {
                self.skipped_lines += span;
                continue;
            }
            batch.lines[batch.len] = line;
            if unclosed_quote {
                batch.unclosed_quote = Some(batch.len);
            }
            batch.len += 1;
        }
    }

    /// Reads the next record into `rec`; returns its start line, the number of line feeds
    /// inside its cells, and whether its last cell opened a quote that is never closed.
    fn read_record(&mut self, rec: &mut csv::ByteRecord) -> Result<Option<(u64, u64, bool)>, csv::Error> {
        match &mut self.source {
            Source::Csv(rdr) => match rdr.read_byte_record(rec) {
                Ok(true) => {
                    let pos = rdr.position();
                    let embedded = memchr_count(b'\n', rec.as_slice()) as u64;
                    let last_lf = rec.iter().next_back().is_some_and(|c| c.ends_with(b"\n"));
                    let unterminated = self.stream_end.unterminated_at(pos.byte(), last_lf);
                    let unclosed = rec.iter().next_back().is_some_and(|c| c.contains(&b'\n')) && self.stream_end.open_quote_at(pos.byte());
                    Ok(Some((decode::record_start_line(pos.line(), embedded, unterminated), embedded, unclosed)))
                }
                Ok(false) => Ok(None),
                Err(e) => Err(e),
            },
            Source::Sheet(rows) => Ok(rows.next().map(|(line, cells)| {
                rec.clear();
                for c in &cells {
                    rec.push_field(c.as_bytes());
                }
                (line, 0, false)
            })),
        }
    }
}

/// A time zone a date column's header names: `Date (UTC)`, `Review Created (GMT)`,
/// `Zeit (MEZ)`, `Time (CET)`.
fn zone_in_header(h: &str) -> Option<Tz> {
    h.to_ascii_uppercase().split(|c: char| !c.is_ascii_alphanumeric()).find_map(|w| match w {
        "UTC" | "GMT" => Some(chrono_tz::UTC),
        "CET" | "CEST" | "MEZ" | "MESZ" => Some(chrono_tz::Europe::Berlin),
        _ => None,
    })
}

/// Reads the sample on to four times its limit; true when it now holds the whole file.
fn grow_sample(file: &mut dyn Read, sample: &mut Vec<u8>, limit: &mut usize) -> std::io::Result<bool> {
    let more = *limit * 3;
    *limit *= 4;
    file.take(more as u64).read_to_end(sample)?;
    Ok(sample.len() < *limit)
}

/// Streams one export file, record by record.
pub struct ExportReader {
    pub report: FileReport,
    plan: Plan,
    src: RecordSource,
    current: Batch,
    next: Batch,
    primed: bool,
}

/// One converted record: a mention with its de-duplication keys, or a reject; and warnings.
type Converted = (Result<(Mention, Keys, bool), Reject>, Vec<Warning>);

impl ExportReader {
    /// Opens a file and detects its format; fails only if it cannot be read as an export.
    pub fn open(input: &Input, opts: &IngestOptions) -> Result<ExportReader, IngestError> {
        let name = input.name();
        let io_err = |source| IngestError::Io { path: PathBuf::from(&name), source };
        let unreadable = |reason: String| IngestError::Unreadable { path: PathBuf::from(&name), reason };
        let mut file = input.open().map_err(io_err)?;
        let mut sample = Vec::with_capacity(SAMPLE_BYTES);
        let mut limit = SAMPLE_BYTES;
        (&mut file).take(limit as u64).read_to_end(&mut sample).map_err(io_err)?;
        let mut complete = sample.len() < limit;
        while !complete && limit < MAX_SAMPLE_BYTES && matches!(decode::sniff(&sample, complete), Sniffed::Empty) {
            complete = grow_sample(&mut file, &mut sample, &mut limit).map_err(io_err)?;
        }

        let (encoding, bom, delimiter, mut records, choice, source_kind) = match decode::sniff(&sample, complete) {
            Sniffed::Empty => return Err(unreadable("file is empty".into())),
            Sniffed::Binary => return Err(unreadable("not a text export: the file holds binary data".into())),
            Sniffed::Unsupported(why) => return Err(unreadable(format!("encoding: {why}"))),
            Sniffed::Spreadsheet => {
                let rows = match input.path() {
                    Some(path) => sheet::read_rows(path),
                    None => {
                        // Inside an archive: the whole spreadsheet in memory (it needs seeking),
                        // the sample and the rest of the stream it was read from.
                        file.read_to_end(&mut sample).map_err(io_err)?;
                        sheet::read_rows_from(std::io::Cursor::new(Arc::<[u8]>::from(std::mem::take(&mut sample))))
                    }
                }
                .map_err(|e| unreadable(e.to_string()))?;
                let choice =
                    dialect::choose_header(&rows, &opts.layouts).ok_or_else(|| unreadable("no header row found in the first 30 rows of the sheet".into()))?;
                (None, false, None, rows, choice, SourceKind::Sheet)
            }
            Sniffed::Text { encoding, bom } => loop {
                let text = decode::decode_sample(&sample, encoding);
                if let Some((d, records, choice)) = dialect::sniff_text(&text, complete, &opts.layouts) {
                    break (Some(encoding), bom, Some(d), records, choice, SourceKind::Csv);
                }
                if complete || limit >= MAX_SAMPLE_BYTES {
                    let within = if complete { String::new() } else { format!(" (within the first {} MiB)", limit >> 20) };
                    return Err(unreadable(format!("no header row found in the first 30 records{within} (tried delimiters , ; tab |)")));
                }
                complete = grow_sample(&mut file, &mut sample, &mut limit).map_err(io_err)?;
            },
        };

        let (header_line, header) = records[choice.index].clone();
        let sample_rows: Vec<Vec<String>> = records[choice.index + 1..].iter().map(|(_, r)| r.clone()).collect();
        let layout = opts.layouts.detect(&header);
        let mut map = ColumnMap::resolve(layout, &header, &sample_rows, DateOrder::Dmy);
        let order = map.published_at.and_then(|i| sample_rows.iter().filter_map(|r| r.get(i)).find_map(|v| fields::slashed_date_order(v))).unwrap_or_default();
        if order == DateOrder::Mdy {
            map = ColumnMap::resolve(layout, &header, &sample_rows, order);
        }
        // On one line: a header cell may hold a line break.
        let header_list = || header.iter().map(|h| format!("`{}`", crate::message::one_line(h))).collect::<Vec<_>>().join(", ");
        if map.text.is_empty() {
            return Err(unreadable(format!("no text column found (header on line {header_line}: {})", header_list())));
        }
        if map.published_at.is_none() {
            return Err(unreadable(format!("no date column found (header on line {header_line}: {})", header_list())));
        }
        // The zone of dates without an offset: --timezone, else one the date column's header
        // names (`Review Created (UTC)`), else the layout's.
        let date_header = map.published_at.and_then(|i| header.get(i));
        let (tz, timezone_source) = match (opts.timezone, date_header.and_then(|h| zone_in_header(h))) {
            (Some(tz), _) => (tz, "--timezone".to_string()),
            (None, Some(tz)) => (tz, format!("named in the header `{}`", date_header.map_or("", String::as_str))),
            (None, None) => (layout.naive_timezone.parse::<Tz>().unwrap_or(chrono_tz::UTC), format!("layout {} default", layout.name)),
        };

        let stream_end = std::sync::Arc::new(decode::StreamEnd::default());
        let source = match source_kind {
            SourceKind::Sheet => {
                // Cells as wide as the header: a sheet row ends at its last filled cell
                // (XLSX) or at the sheet's edge (XLS, ODS); neither is a field count.
                let width = header.len();
                let mut rows = records.split_off(choice.index + 1);
                for (_, cells) in rows.iter_mut() {
                    while cells.len() > width && cells.last().is_some_and(|c| c.is_empty()) {
                        cells.pop();
                    }
                    if cells.len() < width {
                        cells.resize(width, String::new());
                    }
                }
                Source::Sheet(rows.into_iter())
            }
            SourceKind::Csv => {
                let file = input.open().map_err(io_err)?;
                let reader = decode::utf8_reader(BufReader::with_capacity(1 << 16, file), encoding.unwrap_or(Encoding::Utf8));
                let reader: Box<dyn Read + Send> = Box::new(decode::CrlfToLf::new(reader, stream_end.clone()));
                Source::Csv(
                    csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .delimiter(delimiter.unwrap_or(b','))
                        .buffer_capacity(1 << 18)
                        .from_reader(reader),
                )
            }
        };

        let report = FileReport {
            path: name.clone(),
            tool: layout.name.clone(),
            format: match source_kind {
                SourceKind::Sheet => "spreadsheet".into(),
                SourceKind::Csv => "csv".into(),
            },
            encoding,
            bom,
            delimiter: delimiter.map(|d| (d as char).to_string()),
            header_line,
            columns: map.describe(&header),
            date_order: Some(order),
            naive_timezone: tz.name().to_string(),
            timezone_source,
            ..FileReport::default()
        };
        let plan = Plan {
            file: name.as_str().into(),
            tool: layout.name.as_str().into(),
            header,
            map,
            tz,
            order,
            default_channel: layout.default_channel.unwrap_or(Channel::Other),
            sentiment_scale: layout.tool_sentiment_scale,
            dates: opts.dates,
        };
        Ok(ExportReader {
            report,
            plan,
            src: RecordSource { source, stream_end, header_line, next_line: header_line + 1, skipped_lines: 0, done: false, error: None },
            current: Batch::default(),
            next: Batch::default(),
            primed: false,
        })
    }

    /// The events of the next batch of records, in file order: per record its warnings,
    /// then its mention (with its de-duplication keys) or reject. Duplicates are not
    /// detected here (see [`ingest_files`]). A batch is converted in parallel (rayon) while
    /// the next one is read. `None` at the end of the file.
    pub fn next_batch(&mut self) -> Option<Vec<(Event, Option<Keys>)>> {
        if !self.primed {
            self.src.fill(&mut self.current);
            self.primed = true;
        }
        if self.current.len == 0 {
            let (line, reason) = self.src.error.take()?;
            self.report.error = Some(reason.clone());
            self.report.counts.rows_in += 1;
            self.report.counts.rejected += 1;
            let reject = Reject {
                file: self.plan.file.to_string(),
                line,
                column: None,
                column_name: None,
                reason: RejectReason::ReadingStopped(reason),
                excerpt: String::new(),
            };
            return Some(vec![(Event::Reject(Box::new(reject)), None)]);
        }
        let (plan, current, src, next) = (&self.plan, &self.current, &mut self.src, &mut self.next);
        let (converted, ()) = rayon::join(|| convert_batch(current, plan), || src.fill(next));
        let mut events = Vec::with_capacity(converted.len());
        for (result, warnings) in converted {
            self.report.counts.rows_in += 1;
            self.report.counts.warnings += warnings.len() as u64;
            events.extend(warnings.into_iter().map(|w| (Event::Warning(Box::new(w)), None)));
            match result {
                Ok((m, keys, own_zone)) => {
                    self.report.dates_with_offset += own_zone as u64;
                    events.push((Event::Mention(Box::new(m)), Some(keys)));
                }
                Err(r) => {
                    self.report.counts.rejected += 1;
                    events.push((Event::Reject(Box::new(r)), None));
                }
            }
        }
        std::mem::swap(&mut self.current, &mut self.next);
        self.report.counts.skipped_lines = self.src.skipped_lines;
        Some(events)
    }
}

fn convert_batch(batch: &Batch, plan: &Plan) -> Vec<Converted> {
    batch.records[..batch.len]
        .par_iter()
        .zip(batch.lines[..batch.len].par_iter())
        .enumerate()
        .with_min_len(64)
        .map(|(i, (rec, &line))| {
            let mut warnings = Vec::new();
            let result = match batch.unclosed_quote == Some(i) {
                true => Err(unclosed_quote(rec, line, plan)),
                false => convert(rec, line, plan, &mut warnings),
            };
            (result, warnings)
        })
        .collect()
}

/// The reject of a record whose last cell opened a quote that is never closed: that cell
/// holds the rest of the file, so no field of it can be trusted.
fn unclosed_quote(rec: &csv::ByteRecord, line: u64, plan: &Plan) -> Reject {
    let last = rec.len().saturating_sub(1);
    let lines = rec.get(last).map_or(0, |c| memchr_count(b'\n', c.strip_suffix(b"\n").unwrap_or(c)) as u64);
    Reject {
        file: plan.file.to_string(),
        line,
        column: Some(last + 1),
        column_name: plan.header.get(last).cloned(),
        reason: RejectReason::UnclosedQuote { lines },
        excerpt: excerpt(rec),
    }
}

#[derive(Clone, Copy)]
enum SourceKind {
    Csv,
    Sheet,
}

fn memchr_count(needle: u8, hay: &[u8]) -> usize {
    memchr::memchr_iter(needle, hay).count()
}

fn excerpt(record: &csv::ByteRecord) -> String {
    let joined: String = record.iter().map(|c| decode::cell_str(c).0.into_owned()).collect::<Vec<_>>().join(" | ");
    let flat: String = joined.chars().map(|c| if c.is_control() { ' ' } else { c }).take(120).collect();
    flat
}

/// Turns one record into a mention, or says why it cannot be one: the mention, its
/// de-duplication keys and whether its date carried its own offset or zone (`Z`, `+0200`,
/// `CEST`, an epoch), else it was read in the file's naive zone.
// The mention beside it is larger than the reject (440 against 136 bytes): boxing the
// reject would shrink nothing.
#[allow(clippy::result_large_err)]
fn convert(rec: &csv::ByteRecord, line: u64, plan: &Plan, warnings: &mut Vec<Warning>) -> Result<(Mention, Keys, bool), Reject> {
    let width = plan.header.len();
    let reject = |column: Option<usize>, reason: RejectReason| Reject {
        file: plan.file.to_string(),
        line,
        column: column.map(|c| c + 1),
        column_name: column.and_then(|c| plan.header.get(c).cloned()),
        reason,
        excerpt: excerpt(rec),
    };
    if rec.len() != width {
        let extra_all_empty = rec.len() > width && rec.iter().skip(width).all(|c| c.iter().all(|b| b.is_ascii_whitespace()));
        if !extra_all_empty {
            let cause = if rec.len() > width {
                FieldCountCause::UnquotedDelimiter
            } else if rec.iter().next_back().is_some_and(|c| c.contains(&b'\n')) {
                FieldCountCause::UnclosedQuote
            } else {
                FieldCountCause::Unknown
            };
            let reason = RejectReason::FieldCount { found: rec.len(), expected: width, cause };
            return Err(reject(Some(width.min(rec.len())), reason));
        }
    }
    // One UTF-8 check and NUL scan for the whole record; cells are then slices of it.
    let whole = std::str::from_utf8(rec.as_slice()).ok().filter(|w| memchr::memchr(0, w.as_bytes()).is_none());
    let mut cells = Cells { rec, whole, plan, line, warnings };
    let opt = |s: Cow<'_, str>| -> Option<String> {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    };

    // Text: the first non-empty column of the fallback chain.
    let mut text = None;
    for &i in &plan.map.text {
        let v = cells.get(i);
        let t = v.trim();
        if !t.is_empty() {
            text = Some(if t.contains('\r') { t.replace("\r\n", "\n").replace('\r', "\n") } else { t.to_string() });
            break;
        }
    }
    let Some(text) = text else {
        let names: Vec<&str> = plan.map.text.iter().filter_map(|&i| plan.header.get(i).map(String::as_str)).collect();
        return Err(reject(plan.map.text.first().copied(), RejectReason::EmptyText { columns: names.join(", ") }));
    };

    // Date (and a separate time column where the date has none).
    let date_col = plan.map.published_at.unwrap_or(0);
    let raw_date = cells.get(date_col);
    let mut date = match fields::parse_date(&raw_date, plan.order) {
        Ok(d) => d,
        Err(error) => return Err(reject(Some(date_col), RejectReason::BadDate { error, value: raw_date.trim().to_string() })),
    };
    if let (false, Some(tc)) = (date.has_time, plan.map.time) {
        let raw = cells.get(tc);
        match fields::parse_time(&raw) {
            Some(t) => date = date.with_time(t),
            None if raw.trim().is_empty() => {}
            None => cells.warn(tc, format!("time `{}` not understood; 00:00 used", raw.trim())),
        }
    }
    let published_at = date.to_utc(plan.tz);
    if published_at < plan.dates.earliest || published_at > plan.dates.latest {
        let reason = RejectReason::DateOutsideWindow {
            earliest: plan.dates.earliest.date_naive(),
            latest: plan.dates.latest.date_naive(),
            value: raw_date.trim().to_string(),
        };
        return Err(reject(Some(date_col), reason));
    }

    let reach = cells.count(plan.map.reach, "reach");
    let mut engagement = cells.count(plan.map.engagement, "engagement");
    if engagement.is_none() && !plan.map.engagement_parts.is_empty() {
        let parts: Vec<i64> = plan.map.engagement_parts.iter().filter_map(|&i| cells.count(Some(i), "engagement")).collect();
        engagement = (!parts.is_empty()).then(|| parts.iter().sum());
    }

    let url = plan
        .map
        .url
        .and_then(|i| {
            let u = opt(cells.get(i))?;
            let looks_like_url = !u.contains(char::is_whitespace) && (u.contains("://") || u.contains('.'));
            if !looks_like_url {
                cells.warn(i, format!("`{u}` is not a URL; left empty"));
            }
            looks_like_url.then_some(u)
        })
        .or_else(|| plan.map.url_from_template(|i| cells.get(i).to_string()));
    let vendor_id = plan.map.vendor_id.and_then(|i| {
        let id = opt(cells.get(i))?;
        let mangled = id.contains("E+") || id.contains("e+");
        if mangled {
            cells.warn(i, format!("id `{id}` was mangled by a spreadsheet; not used as a key"));
        }
        (!mangled && id != "0" && id != "-").then_some(id)
    });
    let channel = plan
        .map
        .channel
        .iter()
        .find_map(|&i| fields::channel_from_label(&cells.get(i)))
        .or_else(|| url.as_deref().and_then(fields::channel_from_url))
        .unwrap_or(plan.default_channel);
    let author = plan.map.author.and_then(|i| opt(cells.get(i))).map(|a| match a.strip_prefix('@') {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => a,
    });
    let tool_sentiment = plan
        .map
        .tool_sentiment
        .map(|i| match plan.sentiment_scale {
            layout::SentimentScale::Signed => fields::parse_tool_sentiment(&cells.get(i)),
            layout::SentimentScale::Stars => fields::stars_sentiment(&cells.get(i)),
        })
        .unwrap_or(ToolSentiment::Unknown);

    let language = plan.map.language.and_then(|i| fields::normalize_language(&cells.get(i)));
    let language_source = language.as_ref().map(|_| crate::mention::LanguageSource::Vendor);
    let mut m = Mention {
        mention_id: String::new(),
        source_file: plan.file.clone(),
        source_line: line,
        source_tool: plan.tool.clone(),
        published_at,
        channel,
        author,
        url,
        title: plan.map.title.and_then(|i| opt(cells.get(i))),
        text,
        language,
        language_source,
        country: plan.map.country.and_then(|i| fields::normalize_country(&cells.get(i))),
        reach,
        engagement,
        tool_sentiment,
        query: plan.map.query.and_then(|i| opt(cells.get(i))),
        vendor_id,
        sentiment: None,
        sentiment_score: None,
        sentiment_confidence: None,
        relevant: None,
        topics: Vec::new(),
        topic_words: Vec::new(),
        model_version: None,
    };
    let keys = Keys::of(&m);
    m.mention_id = keys.mention_id();
    Ok((m, keys, date.offset_secs.is_some()))
}

/// The cells of one record, with the warnings their repairs cause.
struct Cells<'a, 'w> {
    rec: &'a csv::ByteRecord,
    /// The record's bytes as text when all of it is valid UTF-8 without NUL bytes.
    whole: Option<&'a str>,
    plan: &'a Plan,
    line: u64,
    warnings: &'w mut Vec<Warning>,
}

impl<'a> Cells<'a, '_> {
    fn get(&mut self, i: usize) -> Cow<'a, str> {
        if let Some(cell) = self.whole.and_then(|w| w.get(self.rec.range(i)?)) {
            return Cow::Borrowed(cell);
        }
        let (s, repairs) = decode::cell_str(self.rec.get(i).unwrap_or_default());
        if repairs.windows_1252 {
            self.warn(i, "cell is not valid UTF-8; decoded as Windows-1252".into());
        }
        if repairs.nul_removed {
            self.warn(i, "NUL bytes removed".into());
        }
        s
    }

    fn warn(&mut self, column: usize, message: String) {
        self.warnings.push(Warning {
            file: self.plan.file.to_string(),
            line: self.line,
            column: Some(column + 1),
            column_name: self.plan.header.get(column).cloned(),
            message,
        });
    }

    /// A count cell; a value that is not a number is left empty with a warning.
    fn count(&mut self, col: Option<usize>, what: &str) -> Option<i64> {
        let i = col?;
        let raw = self.get(i);
        match fields::parse_count(&raw) {
            Ok(v) => v,
            Err(_) => {
                self.warn(i, format!("{what} `{}` is not a number; left empty", raw.trim()));
                None
            }
        }
    }
}
