//! `resonanz merge`: runs over disjoint parts of the inputs, merged, give what one run over
//! all of them gives.

use std::fs;
use std::path::Path;

use crate::util::{fixture, resonanz, stderr};

fn run(args: &[&str], cwd: &Path) {
    let o = resonanz(args, cwd);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn merge_of_runs_over_parts_equals_one_run_over_all() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(&["synth", "--rows", "1500", "--seed", "11", "--out", "s1.csv"], d);
    run(&["synth", "--rows", "900", "--layout", "talkwalker", "--seed", "12", "--out", "s2.csv"], d);
    let torture = fixture("torture.csv");
    let torture = torture.to_str().unwrap();
    // Parts that are merged keep one class prior (each would adapt to its own mix).
    run(&["run", "s1.csv", "s2.csv", torture, "--out", "all", "--excel-csv", "--fixed-prior", "-q"], d);
    run(&["run", "s1.csv", "--out", "a", "--fixed-prior", "-q"], d);
    run(&["run", "s2.csv", torture, "--out", "b", "--fixed-prior", "-q"], d);
    run(&["merge", "a", "b", "--out", "merged", "--excel-csv", "-q"], d);

    let (all, merged) = (d.join("all"), d.join("merged"));
    let mut compared = 0;
    for entry in fs::read_dir(&all).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let table = name.ends_with(".csv") || (name.ends_with(".parquet") && name != "mentions.parquet") || name == "report.html";
        if table {
            assert!(fs::read(all.join(&name)).unwrap() == fs::read(merged.join(&name)).unwrap_or_default(), "{name} differs");
            compared += 1;
        }
    }
    assert_eq!(compared, 9 * 2 + 3 + 1, "9 tables as Parquet and CSV, rejects/duplicates/warnings, the page");
    let by_topic = fs::read_to_string(merged.join("by_topic.csv")).unwrap();
    assert!(by_topic.lines().next().unwrap().ends_with(";top_terms") && by_topic.contains(" ("), "top terms are merged too:\n{by_topic}");
    let (s_all, s_merged) = (summary(&all), summary(&merged));
    for key in ["rows_in", "mentions", "duplicates", "rejected", "warnings", "reject_reasons", "routed"] {
        assert_eq!(s_all[key], s_merged[key], "{key}");
    }
    assert!(s_all["rejected"].as_u64().unwrap() > 0, "the rejects of the parts are carried along");
    assert_eq!(s_merged["overlapping_mentions"], 0);
    assert_eq!(s_merged["parts"].as_array().unwrap().len(), 2);
}

#[test]
fn merge_says_what_it_cannot_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let generic = fixture("generic.csv");
    let generic = generic.to_str().unwrap();
    run(&["run", generic, "--out", "month", "-q"], d);
    run(&["run", generic, "--out", "week", "--granularity", "week", "-q"], d);

    // The same mentions twice: merged, but counted twice, and said so.
    run(&["merge", "month", "month", "--out", "twice", "-q"], d);
    let s = summary(&d.join("twice"));
    assert_eq!(s["overlapping_mentions"], s["mentions"].as_u64().unwrap() / 2);

    let o = resonanz(&["merge", "month", "week", "--out", "x"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("week: cannot merge") && stderr(&o).contains("same granularity"), "{}", stderr(&o));

    let o = resonanz(&["merge", "month", generic, "--out", "x"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("generic.csv: cannot merge: partials/meta.json"), "{}", stderr(&o));
    assert!(!d.join("x").join("by_period.csv").exists(), "nothing written");
}

#[test]
fn partitioned_mentions_are_one_hive_table_with_the_same_tables() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(&["synth", "--rows", "1200", "--seed", "5", "--out", "s.csv"], d);
    let torture = fixture("torture.csv");
    let torture = torture.to_str().unwrap();
    run(&["run", "s.csv", torture, "--out", "one", "-q"], d);
    run(&["run", "s.csv", torture, "--out", "parts", "--partitioned", "-q"], d);
    assert!(!d.join("parts/mentions.parquet").exists());
    for name in ["by_period.csv", "by_channel.csv", "by_topic.csv", "top_complaints.csv", "report.html"] {
        assert!(fs::read(d.join("one").join(name)).unwrap() == fs::read(d.join("parts").join(name)).unwrap(), "{name} differs");
    }
    // Read the folder the way engines do: Hive partitions become columns.
    let args = ScanArgsParquet { hive_options: HiveOptions::new_enabled(), ..Default::default() };
    let df = LazyFrame::scan_parquet(PlRefPath::new(d.join("parts/mentions").to_string_lossy().as_ref()), args)
        .unwrap()
        .select([col("period"), col("source"), col("source_tool"), col("published_at")])
        .collect()
        .unwrap();
    assert_eq!(df.height() as u64, summary(&d.join("parts"))["mentions"].as_u64().unwrap());
    let sources: std::collections::BTreeSet<String> = df.column("source").unwrap().str().unwrap().iter().flatten().map(String::from).collect();
    assert_eq!(sources.into_iter().collect::<Vec<_>>(), ["brandwatch", "generic"]);
    let local = df
        .lazy()
        .select([
            col("period"),
            col("published_at").dt().convert_time_zone(TimeZone::opt_try_new(Some("Europe/Berlin")).unwrap().unwrap()).dt().strftime("%Y-%m").alias("month"),
        ])
        .filter(col("period").neq(col("month")))
        .collect()
        .unwrap();
    assert_eq!(local.height(), 0, "each mention sits in the partition of its Berlin month");

    // Merge reads partitioned parts; a later single-file run replaces the folder.
    run(&["merge", "parts", "parts", "--out", "twice", "-q"], d);
    assert_eq!(summary(&d.join("twice"))["overlapping_mentions"], summary(&d.join("parts"))["mentions"]);
    run(&["run", "s.csv", "--out", "parts", "-q"], d);
    assert!(d.join("parts/mentions.parquet").exists() && !d.join("parts/mentions").exists(), "no mix of two runs' mentions");
}

#[test]
fn partials_in_chunks_equal_partials_in_one_pass() {
    use polars::prelude::{LazyFrame, PlRefPath};
    use resonanz::aggregate::{Granularity, Partials};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(&["synth", "--rows", "2000", "--seed", "5", "--out", "s.csv"], d);
    run(&["run", "s.csv", "--out", "out", "-q"], d);
    let path = d.join("out/mentions.parquet");
    let scan = || LazyFrame::scan_parquet(PlRefPath::new(path.to_string_lossy().as_ref()), Default::default()).unwrap();
    let tz = chrono_tz::Europe::Berlin;
    let one = Partials::of(scan(), tz, Granularity::Month).unwrap();
    for chunk in [333, 1000, 1999] {
        let chunked = Partials::of_chunked(scan(), tz, Granularity::Month, chunk).unwrap();
        for ((name, a), (_, b)) in one.named().into_iter().zip(chunked.named()) {
            // Taxonomy words are counted while mentions are written, not from the file.
            assert!(a.height() > 0 || name == "terms", "{name} is empty");
            assert!(a.equals_missing(b), "{name} differs with chunks of {chunk}:\n{a}\n{b}");
        }
    }
}

#[test]
fn partials_counted_while_writing_equal_partials_of_the_written_mentions() {
    // `run` counts its partial aggregates as the mentions stream to `mentions.parquet`
    // (`aggregate::Tally`); `Partials::of` computes them from the written file. Same tables,
    // on generated mentions and on the demo's exports (vendor sentiment, queries, other
    // languages), by month, by week, and by quarter with a relevance model (relevant and
    // irrelevant mentions) and without topics.
    use polars::prelude::{LazyFrame, ParquetReader, PlRefPath, SerReader};
    use resonanz::aggregate::{Granularity, Partials};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(&["synth", "--rows", "3000", "--seed", "11", "--out", "s.csv"], d);
    let demo = crate::util::repo("data");
    let inputs = [("synth", d.join("s.csv")), ("demo", demo)];
    let settings: [(Granularity, &str, &[&str]); 3] = [
        (Granularity::Month, "month", &[]),
        (Granularity::Week, "week", &[]),
        (Granularity::Quarter, "quarter", &["--relevance-model", "default", "--topics", "none"]),
    ];
    for ((name, input), (g, flag, more)) in inputs.iter().flat_map(|i| settings.map(|s| (i, s))) {
        let out = d.join(format!("{name}-{flag}"));
        let (input, out_arg) = (input.to_string_lossy(), out.to_string_lossy());
        let args: Vec<&str> = ["run", &*input, "--out", &*out_arg, "--granularity", flag, "-q"].into_iter().chain(more.iter().copied()).collect();
        run(&args, d);
        let mentions = out.join("mentions.parquet");
        let scan = LazyFrame::scan_parquet(PlRefPath::new(mentions.to_string_lossy().as_ref()), Default::default()).unwrap();
        let from_file = Partials::of(scan, chrono_tz::Europe::Berlin, g).unwrap();
        for (table, want) in from_file.named() {
            if table == "terms" {
                continue; // counted while written either way: the words are not a column
            }
            let got = ParquetReader::new(fs::File::open(out.join(format!("partials/{table}.parquet"))).unwrap()).finish().unwrap();
            assert!(got.height() > 0 || (table == "examples" && more.contains(&"none")), "{name} {flag}: {table} is empty");
            assert!(got.equals_missing(want), "{name} {flag}: {table} differs:\n{got}\n{want}");
        }
    }
}
