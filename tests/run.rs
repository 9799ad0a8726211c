//! `resonanz run`: outputs, accounting, exit codes, atomicity, the shipped demo.

use std::fs;

use polars::prelude::*;

use crate::util::{fixture, repo, resonanz, stderr, stdout};

fn read_parquet(path: &std::path::Path) -> DataFrame {
    ParquetReader::new(fs::File::open(path).unwrap()).finish().unwrap()
}

#[test]
fn run_writes_all_outputs_and_accounts_for_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = resonanz(
        &["run", fixture("torture.csv").to_str().unwrap(), fixture("brandwatch_preamble.csv").to_str().unwrap(), "--out", out.to_str().unwrap(), "--json"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((s["rows_in"].as_u64(), s["mentions"].as_u64(), s["duplicates"].as_u64(), s["rejected"].as_u64()), (Some(14), Some(9), Some(1), Some(4)));
    assert!(stderr(&o).contains("14 rows in → 9 mentions + 1 duplicates + 4 rejected"), "{}", stderr(&o));
    let on_disk: serde_json::Value = serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(on_disk["files"][1]["tool"], "brandwatch");
    // Reasons are counted by stable kind, not by the start of their message.
    assert_eq!(on_disk["reject_reasons"], serde_json::json!({"text_empty": 1, "date_does_not_exist": 1, "field_count": 1, "unclosed_quote": 1}));
    for stage in ["ingest_s", "classify_s", "write_mentions_s", "drain_s", "aggregate_s", "report_s"] {
        assert!(on_disk["stages"][stage].as_f64().is_some_and(|s| s >= 0.0), "{stage}: {on_disk}");
    }
    let df = read_parquet(&out.join("mentions.parquet"));
    assert_eq!(df.height(), 9);
    let topics = df.column("topics").unwrap().list().unwrap().clone();
    assert_eq!(topics.inner_dtype(), &DataType::String);
    assert_eq!(topics.len(), 9);
    assert_eq!(topics.null_count(), 0, "every mention has a (maybe empty) topic list");
    let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
    assert_eq!(names, resonanz::report::MENTION_COLUMNS.to_vec());
    assert_eq!(df.column("published_at").unwrap().dtype(), &DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)));
    let rejects = fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 1 + 4);
    assert!(rejects.starts_with("file,line,column,column_name,reason,excerpt"));
    assert!(rejects.contains("torture.csv,7,1,date,\"date does not exist"), "{rejects}");
    let dups = fs::read_to_string(out.join("duplicates.csv")).unwrap();
    assert!(dups.lines().nth(1).unwrap().contains("torture.csv,8,"), "{dups}");
    let leftovers: Vec<_> = fs::read_dir(&out).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with('.')).collect();
    assert!(leftovers.is_empty(), "no temporary files left");
}

#[test]
fn unreadable_input_fails_with_code_2_and_keeps_previous_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = resonanz(&["run", fixture("generic.csv").to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let before = fs::read(out.join("mentions.parquet")).unwrap();
    let before_tables = fs::read(out.join("by_period.csv")).unwrap();
    let listing = |d: &std::path::Path| {
        let mut v: Vec<String> = fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    let files_before = listing(&out);
    let o = resonanz(&["run", fixture("empty.csv").to_str().unwrap(), fixture("binary.csv").to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("empty.csv: file is empty") && err.contains("binary.csv"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
    assert_eq!(fs::read(out.join("mentions.parquet")).unwrap(), before, "previous outputs untouched");
    assert_eq!(fs::read(out.join("by_period.csv")).unwrap(), before_tables, "previous tables untouched");
    assert_eq!(listing(&out), files_before, "no temporary files left");
}

#[test]
fn a_bad_file_among_good_ones_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = resonanz(&["run", fixture("no_text.csv").to_str().unwrap(), fixture("generic.csv").to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("NOT READ: no text column"), "{}", stderr(&o));
    let rejects = fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert!(rejects.contains("no_text.csv,0,,,\"file not read: no text column"), "{rejects}");
}

#[test]
fn max_reject_rate_gives_exit_code_3_and_usage_errors_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture("torture.csv");
    let o = resonanz(&["run", t.to_str().unwrap(), "--out", "o", "-q", "--max-reject-rate", "0.1"], dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let o = resonanz(&["run", t.to_str().unwrap(), "--out", "o", "-q", "--timezone", "Mars/Olympus"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown time zone `Mars/Olympus`"));
    let o = resonanz(&["run", "does/not/exist.csv", "--out", "o"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does/not/exist.csv: no such file"));
}

#[test]
fn user_layouts_map_unusual_headers() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("crm.csv");
    fs::write(&csv, "Eingang|Anliegen|Kunde|Wert\n2024-05-03 10:00|Maschine läuft nicht|Firma A|3\n").unwrap();
    let layouts = dir.path().join("layouts.toml");
    fs::write(&layouts, "[[layout]]\nname = \"crm\"\nsignatures = [[\"Eingang\", \"Anliegen\"]]\nnaive_timezone = \"UTC\"\n[layout.columns]\npublished_at = [\"Eingang\"]\ntext = [\"Anliegen\"]\nauthor = [\"Kunde\"]\n").unwrap();
    let o = resonanz(&["inspect", "--json", "--layouts", layouts.to_str().unwrap(), csv.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v[0]["tool"].as_str(), v[0]["delimiter"].as_str(), v[0]["mentions"].as_u64()), (Some("crm"), Some("|"), Some(1)));
    assert_eq!(v[0]["columns"]["author"], "Kunde");
}

#[test]
fn shipped_demo_runs_and_is_reproducible_from_the_generator() {
    let dir = tempfile::tempdir().unwrap();
    let o = resonanz(&["synth", "--demo", "--out", dir.path().join("data").to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let mut shipped: Vec<_> = fs::read_dir(repo("data")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "csv")).collect();
    shipped.sort();
    assert_eq!(shipped.len(), 3);
    for p in &shipped {
        let regenerated = fs::read(dir.path().join("data").join(p.file_name().unwrap())).unwrap();
        assert!(fs::read(p).unwrap() == regenerated, "{} differs from `resonanz synth --demo`", p.display());
    }
    let o = resonanz(&["run", repo("data").to_str().unwrap(), "--out", dir.path().join("out").to_str().unwrap(), "--json", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (rows, m, d, r) = (s["rows_in"].as_u64().unwrap(), s["mentions"].as_u64().unwrap(), s["duplicates"].as_u64().unwrap(), s["rejected"].as_u64().unwrap());
    assert_eq!(rows, m + d + r);
    assert_eq!(r, 0);
    assert!((300..=600).contains(&m), "{m} mentions");
    assert!(d > 0, "the demo has mentions exported by two tools");
    let tools: Vec<&str> = s["files"].as_array().unwrap().iter().map(|f| f["tool"].as_str().unwrap()).collect();
    assert_eq!(tools, vec!["brandwatch", "excel_de", "meltwater"]);
}

#[test]
fn scheduled_run_with_a_config_writes_the_period_folder_and_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = repo("data");
    let config = format!(
        "inputs = [\"{}/*.csv\"]\nout = \"reports\"\nperiod = \"2026-09\"\nlang = \"en\"\nexcel_csv = true\nmax_reject_rate = 0.5\n\n[roi]\ncosts = [{{ period = \"2026-09\", channel = \"linkedin\", amount = 1200.0 }}]\nemv_per_1000_reach = {{ linkedin = 25.0 }}\n",
        data.display()
    );
    fs::write(dir.path().join("report.toml"), &config).unwrap();
    let o = resonanz(&["run", "--config", "report.toml", "--quiet", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "quiet: nothing on stderr: {}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(s["rows_in"], 472);
    let month = dir.path().join("reports/2026-09");
    let html = fs::read_to_string(month.join("report.html")).unwrap();
    assert!(html.contains("Resonance report 2026-09"), "the configured period and language");
    assert!(html.contains("Cost per result (2026-09)") && html.contains("<td>linkedin</td><td class=\"num\">1,200.00 EUR</td>"), "ROI section");
    let roi = fs::read_to_string(month.join("roi.csv")).unwrap();
    assert!(roi.starts_with("\u{feff}period;channel;currency;cost;"), "{roi}");
    let by_period = fs::read_to_string(month.join("by_period.csv")).unwrap();
    let periods: Vec<&str> = by_period.lines().skip(1).map(|l| l.split(';').next().unwrap()).collect();
    assert_eq!(periods, ["2026-08", "2026-09"], "tables end with the report period: {by_period}");
    // The command line wins over the file; a typo in the file is an error with its line.
    let o = resonanz(&["run", "--config", "report.toml", "--period", "2026-10", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("reports/2026-10/report.html").exists());
    fs::write(dir.path().join("report.toml"), config.replace("max_reject_rate", "max_rejects")).unwrap();
    let o = resonanz(&["run", "--config", "report.toml"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("max_rejects") && stderr(&o).contains("report.toml:6:"), "{}", stderr(&o));
    fs::write(dir.path().join("report.toml"), "inputs = [\"nothing/*.csv\"]\n").unwrap();
    let o = resonanz(&["run", "--config", "report.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("matches no file"), "{}", stderr(&o));
}

#[test]
fn shipped_example_config_is_valid() {
    resonanz::config::ReportConfig::load(&repo("examples/report.toml")).unwrap();
}
