//! resonanz turns the mention exports of social-listening tools (Brandwatch, Talkwalker,
//! Meltwater, Brand24, German Excel lists, ...) into classified, aggregated reports.
//!
//! The pipeline, one module per stage:
//! 1. [`ingest`] — read exports as they are (encodings, delimiters, preambles, vendor
//!    layouts, German dates and numbers) into canonical [`Mention`]s; every record ends as a
//!    mention, a duplicate or a reject with file, line, column and reason.
//! 2. [`normalize`] — German text to terms (NFC, folding, negation scope, stems).
//! 3. [`classify`] — sentiment, relevance and topics, in parallel; trained models, the
//!    lexicon and the analyst's taxonomy behind one trait.
//! 4. [`aggregate`] — the report tables in polars (by period, channel, topic; vendor
//!    agreement).
//! 5. [`report`] — write the outputs atomically (`mentions.parquet`, tables, `rejects.csv`,
//!    `summary.json`, ...).
//!
//! [`pipeline`] runs the stages for the `run` command; the binary is a thin CLI over it.
//! Offline, [`sample`] picks a run's mentions for the analyst to label, which `train
//! --base` adapts the classifiers to; `train` (the cargo feature of the same name, on by
//! default) holds the offline tools: training, evaluation, benchmarks. [`hash`] is the one
//! hash behind every stable key; [`message`] keeps every message that quotes a user's file on
//! one line.

pub mod aggregate;
pub mod allocator;
pub mod classify;
pub mod config;
pub mod error;
pub mod hash;
pub mod ingest;
pub mod mention;
pub mod message;
pub mod normalize;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod sample;
pub mod synth;
#[cfg(feature = "train")]
pub mod train;

pub use error::{Error, Result};
pub use mention::{Channel, LanguageSource, Mention, Sentiment, ToolSentiment};
