//! Trusted with a monthly job: the defects found by breaking resonanz on purpose, one test
//! each (lone-CR files, far-off spreadsheet cells, implausible dates, link schemes,
//! pseudonymization leaks, directory loops and FIFOs, one atomic commit of the whole set, an
//! unwritable temporary directory).

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::util::{fixture, inspect_json, resonanz, stderr, stdout};

fn run_json(args: &[&str], cwd: &Path) -> serde_json::Value {
    let o = resonanz(args, cwd);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("--json prints JSON")
}

#[test]
fn lone_cr_line_endings_lose_no_record_and_count_lines() {
    let v = inspect_json(&fixture("lone_cr.csv"));
    assert_eq!((v["rows_in"].as_u64(), v["mentions"].as_u64(), v["rejected"].as_u64()), (Some(3), Some(3), Some(0)), "{v}");
    // The third record starts on line 5: the CR inside the quoted cell is a line break too.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_json(&["run", fixture("lone_cr.csv").to_str().unwrap(), "--out", out.to_str().unwrap(), "--json", "-q"], dir.path());
    use polars::prelude::*;
    let df = ParquetReader::new(fs::File::open(out.join("mentions.parquet")).unwrap()).finish().unwrap();
    let lines: Vec<u64> = df.column("source_line").unwrap().cast(&DataType::UInt64).unwrap().u64().unwrap().into_no_null_iter().collect();
    assert_eq!(lines, vec![2, 3, 5]);
}

#[test]
fn far_off_spreadsheet_cells_are_bounded_not_a_crash() {
    // A cell at XFD1048576: a one-line error naming the file and the cell, no abort.
    let dir = tempfile::tempdir().unwrap();
    let o = resonanz(&["inspect", "--json", fixture("far_cell_xfd.xlsx").to_str().unwrap()], dir.path());
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!text.contains("memory allocation") && !text.contains("panicked"), "{text}");
    assert!(text.contains("XFD1048576"), "names the cell: {text}");
    // A cell at ZZ100000 is read from the cells present: the sheet's two mentions and its
    // bad date, and the far-off row as a reject of its own (outside the table).
    let v = inspect_json(&fixture("far_cell_zz.xlsx"));
    assert_eq!(v["mentions"].as_u64(), Some(2), "{v}");
    assert_eq!(v["rows_in"].as_u64(), Some(v["mentions"].as_u64().unwrap() + v["rejected"].as_u64().unwrap() + v["duplicates"].as_u64().unwrap()));
    assert_eq!(v["rejected"].as_u64(), Some(2), "{v}");
    assert_eq!(v["first_rejects"][1]["line"].as_u64(), Some(100000), "{v}");
}

#[test]
fn implausible_dates_are_rejected_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let s = run_json(&["run", fixture("implausible_dates.csv").to_str().unwrap(), "--out", out.to_str().unwrap(), "--json", "-q"], dir.path());
    assert_eq!((s["rows_in"].as_u64(), s["mentions"].as_u64(), s["rejected"].as_u64()), (Some(4), Some(1), Some(3)), "{s}");
    let rejects = fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert_eq!(rejects.matches("plausible window").count(), 3, "{rejects}");
    let by_period = fs::read_to_string(out.join("by_period.csv")).unwrap();
    assert_eq!(by_period.lines().count(), 2, "one period, not centuries: {by_period}");
}

#[test]
fn only_http_links_are_clickable() {
    use resonanz::report::html::link;
    assert_eq!(link("https://example.com/a").as_deref(), Some("https://example.com/a"));
    assert_eq!(link("www.example.com").as_deref(), Some("https://www.example.com"));
    for bad in ["javascript:alert(1)", "JavaScript:alert('x.y')", "data:text/html,<b>x</b>", "vbscript:msgbox", "example.com/a", " javascript://x.com"] {
        assert_eq!(link(bad), None, "{bad}");
    }
}

#[test]
fn pseudonymized_runs_leak_no_author_into_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("export.csv");
    fs::write(
        &input,
        "date,text,author,url\n\
         2024-05-01T09:00:00Z,Tolle Maschine,MaxMusterfrau,https://twitter.com/MaxMusterfrau/status/1\n\
         2024-05-02T09:00:00Z,Schlechter Service und kaputt,JanaBeispiel,https://x.com/JanaBeispiel/status/2\n\
         kein Datum,Noch ein Text,GeheimerName,https://twitter.com/GeheimerName/status/3\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_resonanz"))
        .args(["run", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--pseudonymize", "-q"])
        .env("RESONANZ_PSEUDONYM_KEY", "a key of at least sixteen characters")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut scanned = 0;
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            for name in ["maxmusterfrau", "janabeispiel", "geheimername"] {
                assert!(!text.contains(name), "{} names {name}", p.display());
            }
            scanned += 1;
        }
    }
    assert!(scanned >= 10, "{scanned} files scanned");
    // And the summary says what was replaced.
    let summary: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["pseudonymized"], serde_json::json!({ "authors": 2, "urls": 2, "reject_excerpts": 1 }), "{summary}");
}

#[test]
fn directory_loops_and_fifos_do_not_multiply_or_block_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    fs::create_dir_all(inputs.join("sub")).unwrap();
    fs::copy(fixture("generic.csv"), inputs.join("sub/a.csv")).unwrap();
    std::os::unix::fs::symlink("..", inputs.join("sub/loop")).unwrap();
    let fifo = inputs.join("pipe.csv");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = dir.path().join("out");
    let s = run_json(&["run", inputs.to_str().unwrap(), "--out", out.to_str().unwrap(), "--json", "-q"], dir.path());
    let once = inspect_json(&fixture("generic.csv"))["rows_in"].as_u64().unwrap();
    assert_eq!(s["rows_in"].as_u64(), Some(once), "each file read once: {s}");
    let warnings = fs::read_to_string(out.join("warnings.csv")).unwrap();
    assert!(warnings.contains("pipe.csv") && warnings.contains("not a regular file"), "{warnings}");
    assert!(warnings.contains("loop") && warnings.contains("already read"), "{warnings}");
}

#[test]
fn the_output_set_switches_as_a_whole_and_dead_runs_are_cleaned_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let a = fixture("generic.csv");
    let b = fixture("brandwatch_preamble.csv");
    // The first run over a plain folder with an old report in it.
    fs::create_dir_all(out.join("2024-04")).unwrap();
    fs::write(out.join("2024-04/keep.txt"), "a period folder of an earlier --period run").unwrap();
    fs::write(out.join("roi.csv"), "a table of an older run").unwrap();
    // What a killed run left: a generation and a temporary file of a process that is gone.
    let dead = dir.path().join(".out.gen-4000000-1");
    fs::create_dir_all(&dead).unwrap();
    fs::write(dead.join("mentions.parquet"), "half").unwrap();
    run_json(&["run", a.to_str().unwrap(), "--out", out.to_str().unwrap(), "--json", "-q"], dir.path());
    assert!(out.symlink_metadata().unwrap().file_type().is_symlink(), "the output set is one link");
    assert!(!dead.exists(), "the dead run's generation is removed");
    assert!(!out.join("roi.csv").exists(), "no table of an older run beside the new set");
    assert_eq!(fs::read_to_string(out.join("2024-04/keep.txt")).unwrap(), "a period folder of an earlier --period run");
    let first = fs::canonicalize(&out).unwrap();
    let summary_a = fs::read_to_string(out.join("summary.json")).unwrap();
    run_json(&["run", b.to_str().unwrap(), "--out", out.to_str().unwrap(), "--json", "-q"], dir.path());
    let second = fs::canonicalize(&out).unwrap();
    assert_ne!(first, second);
    assert!(!first.exists(), "the previous generation is removed after the switch");
    assert_ne!(fs::read_to_string(out.join("summary.json")).unwrap(), summary_a);
    let hidden: Vec<String> =
        fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| n.starts_with('.')).collect();
    assert_eq!(hidden.len(), 1, "only the current generation: {hidden:?}");
}

#[test]
fn a_temporary_directory_that_cannot_be_written_is_an_error_not_lost_duplicates() {
    // The de-duplication index keeps where each mention was first seen in scratch files in
    // TMPDIR; without them a run cannot say what a duplicate repeats, so it stops (exit 4,
    // like a full disk) and leaves no output set.
    let dir = tempfile::tempdir().unwrap();
    let t = fixture("torture.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_resonanz"))
        .args(["run", t.to_str().unwrap(), "--out", "o", "-q"])
        .current_dir(dir.path())
        .env("TMPDIR", dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("de-duplication scratch file in") && err.contains("missing"), "{err}");
    assert!(!dir.path().join("o").exists());
}

#[test]
fn contradictory_or_unsupported_encodings_are_named_not_silently_empty() {
    let dir = tempfile::tempdir().unwrap();
    let text = "date,text\n2024-05-01T09:00:00Z,Erster Text\n";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let mut bom_mismatch = vec![0xEF, 0xBB, 0xBF];
    bom_mismatch.extend_from_slice(&utf16);
    let mut utf32 = vec![0xFF, 0xFE, 0x00, 0x00];
    utf32.extend(text.chars().flat_map(|c| (c as u32).to_le_bytes()));
    for (name, bytes, want) in [("mismatch.csv", bom_mismatch, "UTF-8 byte order mark before UTF-16"), ("utf32.csv", utf32, "UTF-32")] {
        let p = dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let o = resonanz(&["run", p.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(want), "{name}: {}", stderr(&o));
    }
}

#[test]
fn a_header_cell_with_a_line_break_keeps_the_error_on_one_line() {
    // Found by mutating the fixtures at random: the error listed the header cells as they
    // were, line breaks included.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.csv");
    fs::write(&p, "date,\"Tweet\ntext\",reach\n2024-05-01T09:00:00Z,Erster Text,3\n").unwrap();
    let o = resonanz(&["run", p.to_str().unwrap(), "--out", dir.path().join("out").to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no text column found") && err.contains("`Tweet\\ntext`"), "{err}");
}

#[test]
fn broken_lexicons_taxonomies_layouts_and_labels_are_one_line_errors_with_their_place() {
    // `toml`'s own messages span five lines (a snippet with a caret); found by breaking a
    // lexicon on purpose.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("lex.toml"), "resolvers = [\"gelöst\"\n[positive]\n").unwrap();
    fs::write(dir.path().join("tax.toml"), "[[topic]]\nname = \"x\"\nwords = [\"a\"\n").unwrap();
    fs::write(dir.path().join("lay.toml"), "[[layout]]\nname = 3\n").unwrap();
    fs::write(dir.path().join("labels.csv"), "text,label\nGut,positive\nSchlecht,\"neg\nativ\"\n").unwrap();
    let data = crate::util::repo("data");
    let data = data.to_str().unwrap();
    for (args, want) in [
        (vec!["eval", "--data", "labels.csv", "--model", "lex.toml"], "lex.toml: line 2, column 1: "),
        (vec!["run", data, "--topics", "tax.toml", "--out", "o1"], "tax.toml: line 3, column 13: "),
        (vec!["run", data, "--layouts", "lay.toml", "--out", "o2"], "lay.toml: invalid layouts file: line 2, column 8: "),
        (vec!["eval", "--data", "labels.csv"], "labels.csv:3: unknown label `neg\\nativ`"),
    ] {
        let o = resonanz(&args, dir.path());
        let err = stderr(&o);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn exports_broken_at_random_end_in_counts_or_one_line_errors_never_a_panic() {
    // Each case a fixture with a few bytes flipped, inserted (quotes, line breaks,
    // delimiters, byte order marks, NUL, invalid UTF-8), deleted or cut off; the same cases
    // every run (a fixed LCG). A run either accounts for every row or stops with one line.
    const INSERTS: [&[u8]; 10] = [b"\"", b"\r", b"\n", b",", b";", b"\t", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3"];
    let dir = tempfile::tempdir().unwrap();
    let mut fixtures: Vec<_> = fs::read_dir(fixture("")).unwrap().map(|e| e.unwrap().path()).collect();
    fixtures.sort();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n.max(1)
    };
    for case in 0..60 {
        let src = &fixtures[next(fixtures.len())];
        let mut bytes = fs::read(src).unwrap();
        for _ in 0..1 + next(6) {
            let at = next(bytes.len());
            match next(4) {
                0 if !bytes.is_empty() => bytes[at] = next(256) as u8,
                1 => bytes.splice(at..at, INSERTS[next(INSERTS.len())].iter().copied()).for_each(drop),
                2 => bytes.drain(at..(at + 1 + next(40)).min(bytes.len())).for_each(drop),
                _ => bytes.truncate(at),
            }
        }
        let name = format!("case{case}.{}", src.extension().and_then(|e| e.to_str()).unwrap_or("csv"));
        fs::write(dir.path().join(&name), &bytes).unwrap();
        let out = format!("out{case}");
        let o = resonanz(&["run", &name, "--out", &out, "--json", "-q"], dir.path());
        let err = stderr(&o);
        let what = format!("case {case} from {}: {err}", src.display());
        assert!(!err.contains("panicked"), "{what}");
        match o.status.code() {
            Some(0) => {
                let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("--json prints JSON");
                let n = |k: &str| v[k].as_u64().unwrap();
                assert_eq!(n("rows_in"), n("mentions") + n("duplicates") + n("rejected"), "{what}");
            }
            Some(1..=3) => assert_eq!(err.trim().lines().count(), 1, "{what}"),
            other => panic!("exit {other:?}: {what}"),
        }
    }
}

#[test]
fn a_header_after_many_blank_lines_or_longer_than_the_first_sample_is_found() {
    let dir = tempfile::tempdir().unwrap();
    // 300,000 blank lines (300 KB, more than the first 256 KiB sample) before the header.
    let blank = format!("{}date,text\n2024-05-01T09:00:00Z,Erster Text\n2024-05-02T09:00:00Z,Zweiter Text\n", "\n".repeat(300_000));
    // A header row of 400 KB: 20,000 extra columns beside the two we read.
    let extra: String = (0..20_000).map(|i| format!(",extra_column_{i:06}")).collect();
    let empty = ",".repeat(20_000);
    let long = format!("date,text{extra}\n2024-05-01T09:00:00Z,Erster Text{empty}\n2024-05-02T09:00:00Z,Zweiter Text{empty}\n");
    for (name, text, header_line) in [("blank.csv", blank, 300_001), ("long.csv", long, 1)] {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        let v = inspect_json(&p);
        assert_eq!((v["rows_in"].as_u64(), v["mentions"].as_u64()), (Some(2), Some(2)), "{name}: {v}");
        assert_eq!(v["header_line"].as_u64(), Some(header_line), "{name}: {v}");
    }
}

/// The output files of a complete set, by name, without the run's own timings
/// (`summary.json`) and the partials folder.
fn output_set(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| (e.file_name().to_string_lossy().to_string(), fs::read(e.path()).unwrap()))
        .filter(|(n, _)| n != "summary.json")
        .collect()
}

#[test]
fn kill_9_at_any_moment_leaves_the_previous_or_the_new_set_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_resonanz");
    let big = dir.path().join("big.csv");
    let o = resonanz(&["synth", "--rows", "20000", "--out", big.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let small = fixture("generic.csv");
    // The two complete sets, each written on its own.
    let run = |input: &Path, out: &Path| run_json(&["run", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--json", "-q"], dir.path());
    let (ref_old, ref_new) = (dir.path().join("ref-old"), dir.path().join("ref-new"));
    run(&small, &ref_old);
    let started = std::time::Instant::now();
    run(&big, &ref_new);
    let full = started.elapsed();
    let (old, new) = (output_set(&ref_old), output_set(&ref_new));
    let rows = |d: &Path| -> u64 {
        let s: serde_json::Value = serde_json::from_str(&fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
        s["rows_in"].as_u64().unwrap()
    };
    let (old_rows, new_rows) = (rows(&ref_old), rows(&ref_new));
    assert_ne!(old, new);

    let out = dir.path().join("out");
    let (mut saw_old, mut saw_new) = (0, 0);
    for step in 0..16u32 {
        // Start from the old set, then kill the run over the big input at a point spread
        // over twice the time a whole run takes.
        run(&small, &out);
        let mut child = Command::new(bin)
            .args(["run", big.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * step / 8);
        child.kill().ok(); // SIGKILL; the run may have finished already.
        child.wait().unwrap();
        let seen = output_set(&out);
        if seen == old {
            assert_eq!(rows(&out), old_rows, "step {step}: summary of another set");
            saw_old += 1;
        } else if seen == new {
            assert_eq!(rows(&out), new_rows, "step {step}: summary of another set");
            saw_new += 1;
        } else {
            let mixed: Vec<&String> = seen.iter().filter(|(n, b)| old.get(*n) != Some(b)).map(|(n, _)| n).collect();
            panic!("step {step}: neither the old nor the new set; differs from the old in {mixed:?}");
        }
    }
    assert!(saw_old > 0 && saw_new > 0, "kills before and after the switch: old {saw_old}, new {saw_new}");
    // The next run removes what the killed ones left.
    run(&small, &out);
    let hidden: Vec<String> =
        fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| n.starts_with(".out.")).collect();
    assert_eq!(hidden.len(), 1, "only the current generation: {hidden:?}");
}
