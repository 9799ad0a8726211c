//! Ingest benchmark on a generated Brandwatch-like export (default 1,000,000 rows).
//!
//! `cargo bench --bench ingest` generates the file once (seeded, under target/bench-data),
//! then runs each phase in its own process so that peak RSS is per phase:
//! - `parse`:  CSV records only (the parser's ceiling),
//! - `ingest`: sniff + decode + parse + canonical mentions + de-duplication, built into
//!   polars columns batch by batch (what `run` does before writing),
//! - `run`:    the whole `resonanz run` job: ingest, classify with the shipped defaults
//!   (sentiment model + lexicon, relevance model, taxonomy), write mentions.parquet,
//!   aggregate the tables, write report, rejects and summary (into target/bench-data);
//! - `aggregate`: the tables alone, from the run phase's classified mentions.parquet.
//!
//! Prints one JSON line per phase: rows, MB, seconds, MB/s, rows/s, peak RSS.
//! Rows: RESONANZ_BENCH_ROWS (default 1000000).
//!
//! `RESONANZ_BENCH_INPUT=germeval` runs the same phases on realistic text instead: a generic
//! `date,channel,author,text,reach,engagement` CSV whose texts are the GermEval 2017
//! documents (read from `../shared/data/germeval2017/`, never copied), each made unique by an
//! appended reference number: long tails of rare words, URLs, handles, numbers, news
//! articles beside tweets. The input family the analyst's pandas notebook is measured on.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use polars::prelude::{LazyFrame, PlRefPath};
use resonanz::aggregate;
use resonanz::ingest::{ingest_files, Event, IngestOptions};
use resonanz::pipeline::{self, RunOptions};
use resonanz::synth::{self, SynthLayout};

/// mimalloc: ingest allocates many small strings per row from several threads; glibc's
/// allocator spent a sixth of the ingest time consolidating them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

resonanz::tune_allocator_before_main!();

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `target/bench-data/NAME`, written once by `write` (into a temporary file, renamed when
/// complete) and reused by later runs.
fn bench_file(name: &str, write: impl FnOnce(&Path) -> String) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let path = dir.join(name);
    if !path.exists() {
        let t = Instant::now();
        let tmp = path.with_extension("tmp");
        let what = write(&tmp);
        std::fs::rename(&tmp, &path).expect("rename bench file");
        eprintln!("generated {}{what} in {:.1} s", path.display(), t.elapsed().as_secs_f64());
    }
    path
}

fn data_file(rows: u64) -> PathBuf {
    bench_file(&format!("brandwatch_{rows}.csv"), |tmp| {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap();
        let mut g = synth::Generator::new(42, start, end, rows);
        let f = std::fs::File::create(tmp).expect("create bench file");
        synth::write_export(SynthLayout::Brandwatch, (0..rows).map(|_| g.next_mention()), f).expect("write bench file");
        String::new()
    })
}

/// The GermEval 2017 texts (dev, trial and the Twitter part of train), in file order.
fn germeval_texts() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/germeval2017");
    let mut texts = Vec::new();
    for name in ["dev.tsv", "trial.tsv", "train_twitter.tsv"] {
        let path = dir.join(name);
        let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (the realistic-text bench reads ../shared)", path.display()));
        texts.extend(data.lines().filter_map(|l| l.split('\t').nth(1)).filter(|t| !t.trim().is_empty()).map(str::to_string));
    }
    texts
}

/// A generic export of `rows` mentions with GermEval texts (see the module comment):
/// dates spread over 2026, channels and authors from small pools, reach and engagement
/// pseudo-random (seeded).
fn germeval_file(rows: u64) -> PathBuf {
    bench_file(&format!("germeval_{rows}.csv"), |tmp| {
        let texts = germeval_texts();
        let channels = ["twitter", "facebook", "news", "blog", "forum", "instagram", "youtube", "linkedin"];
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut w = csv::Writer::from_path(tmp).expect("create bench file");
        w.write_record(["date", "channel", "author", "text", "reach", "engagement"]).expect("write");
        let mut x: u64 = 42;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            x >> 33
        };
        for i in 0..rows {
            let date = start + chrono::Duration::seconds((next() % (365 * 86_400)) as i64);
            let text = format!("{} (Ref. {i})", texts[i as usize % texts.len()]);
            let (channel, author) = (channels[next() as usize % channels.len()], format!("nutzer{}", next() % 50_000));
            let (reach, engagement) = ((next() % 100_000).to_string(), (next() % 500).to_string());
            w.write_record([date.format("%Y-%m-%d %H:%M:%S").to_string().as_str(), channel, &author, &text, &reach, &engagement]).expect("write");
        }
        w.flush().expect("write bench file");
        format!(" from {} GermEval texts", texts.len())
    })
}

/// Where the run phase writes, for the aggregate phase to read.
fn run_out(input: &Path) -> PathBuf {
    input.with_extension("run")
}

fn phase(name: &str, path: &Path) {
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let t = Instant::now();
    let mut stages: Option<String> = None;
    let rows: u64 = match name {
        "parse" => {
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(path).expect("open");
            let mut rec = csv::ByteRecord::new();
            let mut n = 0;
            while rdr.read_byte_record(&mut rec).expect("read") {
                n += 1;
            }
            n
        }
        "ingest" => {
            let mut batch = Vec::with_capacity(65_536);
            let mut n = 0u64;
            let mut cells = 0usize;
            let files = ingest_files(
                &[path.to_path_buf()],
                &IngestOptions::default(),
                |e| {
                    if let Event::Mention(m) = e {
                        batch.push(*m);
                        if batch.len() == 65_536 {
                            let df = resonanz::report::mentions_frame(&batch).expect("frame");
                            cells += df.height() * df.width();
                            n += batch.len() as u64;
                            batch.clear();
                        }
                    }
                },
                |_| {},
            )
            .expect("scratch files");
            n += batch.len() as u64;
            assert!(cells > 0 || n < 65_536);
            assert_eq!(files[0].counts.mentions, n, "every mention reached the columns");
            files[0].counts.rows_in
        }
        "run" => {
            let out = run_out(path);
            let s = pipeline::run(&RunOptions {
                inputs: vec![path.to_path_buf()],
                out: out.clone(),
                ingest: IngestOptions::default(),
                classifier: Some(std::sync::Arc::new(resonanz::classify::MentionClassifier::default_models().expect("shipped models"))),
                quiet: true,
                report: pipeline::ReportOptions {
                    granularity: resonanz::aggregate::Granularity::Month,
                    report_timezone: chrono_tz::Europe::Berlin,
                    excel_csv: false,
                    lang: resonanz::report::html::Lang::De,
                    period: None,
                    roi: Default::default(),
                    channel_groups: Default::default(),
                },
                partitioned: false,
                pseudonym_key: None,
            })
            .expect("run");
            let c = s.counts;
            assert_eq!(c.rows_in, c.mentions + c.duplicates + c.rejected);
            stages = s.stages.map(|st| serde_json::to_string(&st).expect("stages as JSON"));
            c.rows_in
        }
        "aggregate" => {
            // The tables from the run phase's classified mentions, as `run` computes them.
            let mentions = run_out(path).join("mentions.parquet");
            let t = Instant::now();
            let tz = chrono_tz::Europe::Berlin;
            let g = aggregate::Granularity::Month;
            let scan = LazyFrame::scan_parquet(PlRefPath::new(mentions.to_string_lossy().as_ref()), Default::default()).expect("scan");
            let partials = aggregate::Partials::of_chunked(scan, tz, g, aggregate::Partials::CHUNK_ROWS).expect("partials");
            let partials_s = t.elapsed().as_secs_f64();
            let tables = aggregate::tables(&partials, tz, g, None, &Default::default()).expect("tables");
            let n = partials.channel.column("mentions").expect("mentions").u32().expect("u32").into_no_null_iter().map(u64::from).sum::<u64>();
            eprintln!(
                "aggregate: partials {partials_s:.2} s, tables from partials {:.3} s; {} periods, {} channel rows, {} topic rows, {} complaint rows, {} sov rows, {} of {} authors",
                t.elapsed().as_secs_f64() - partials_s,
                tables.by_period.height(),
                tables.by_channel.height(),
                tables.by_topic.height(),
                tables.top_complaints.height(),
                tables.share_of_voice.height(),
                tables.top_authors.height(),
                partials.authors.height(),
            );
            n
        }
        other => panic!("unknown phase {other}"),
    };
    let secs = t.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    let stages = stages.map_or(String::new(), |s| format!(",\"stages\":{s}"));
    println!(
        "{{\"bench\":\"ingest/{name}\",\"rows\":{rows},\"mb\":{mb:.1},\"seconds\":{secs:.3},\"mb_per_s\":{:.1},\"rows_per_s\":{:.0},\"peak_rss_mib\":{:.1}{stages}}}",
        mb / secs,
        rows as f64 / secs,
        peak_rss_mib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        phase(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let rows: u64 = std::env::var("RESONANZ_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let path = match std::env::var("RESONANZ_BENCH_INPUT").as_deref() {
        Ok("germeval") => germeval_file(rows),
        Ok("brandwatch") | Err(_) => data_file(rows),
        Ok(other) => panic!("RESONANZ_BENCH_INPUT={other}: brandwatch (default) or germeval"),
    };
    let exe = std::env::current_exe().expect("own path");
    for name in ["parse", "ingest", "run", "aggregate"] {
        let status = std::process::Command::new(&exe).args(["--phase", name, path.to_str().expect("utf-8 path")]).status().expect("phase runs");
        assert!(status.success(), "phase {name} failed");
    }
}
