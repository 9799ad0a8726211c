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
    run(&["run", "s1.csv", "s2.csv", torture, "--out", "all", "--excel-csv", "-q"], d);
    run(&["run", "s1.csv", "--out", "a", "-q"], d);
    run(&["run", "s2.csv", torture, "--out", "b", "-q"], d);
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
    assert_eq!(compared, 7 * 2 + 3 + 1, "7 tables as Parquet and CSV, rejects/duplicates/warnings, the page");
    let (s_all, s_merged) = (summary(&all), summary(&merged));
    for key in ["rows_in", "mentions", "duplicates", "rejected", "warnings", "reject_reasons"] {
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
