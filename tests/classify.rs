//! Classifiers end to end: train → save → eval → run with the saved model; clear errors for
//! bad training data and broken or mismatched models; the shipped defaults on mentions
//! outside their training domain.

use std::fs;
use std::path::Path;

use chrono::TimeZone;
use resonanz::classify::MentionClassifier;
use resonanz::synth::Generator;

use crate::util::{fixture, resonanz, stderr, stdout};

/// Generated, labelled mentions as `text,label,topics` CSV (our own templates).
fn write_labelled(path: &Path, n: u64, seed: u64) {
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let end = chrono::Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let mut g = Generator::new(seed, start, end, n);
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(["text", "label", "topics"]).unwrap();
    for _ in 0..n {
        let m = g.next_mention();
        w.write_record([m.text.as_str(), m.tone.as_str(), m.topic]).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn train_save_eval_and_run_with_the_saved_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("labelled.csv");
    write_labelled(&data, 400, 3);
    let test = dir.path().join("test.csv");
    write_labelled(&test, 200, 4);
    let o = resonanz(&["train", "--data", "labelled.csv", "--task", "sentiment", "--out", "models/mine", "--grid", "1", "10", "--folds", "3"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("3-fold CV accuracy"), "{}", stderr(&o));
    let model: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("models/mine/model.json")).unwrap()).unwrap();
    assert_eq!(model["task"], "sentiment");
    assert_eq!(model["format_version"], 1);
    assert_eq!(model["selection"].as_array().unwrap().len(), 2, "both settings are recorded");
    assert!(model["cv"]["micro_f1"].as_f64().unwrap() > 0.5);

    let o = resonanz(&["eval", "--data", "test.csv", "--model", "models/mine", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in ["task", "model", "n", "accuracy", "micro_f1", "macro_f1", "per_class", "confusion", "docs_per_s"] {
        assert!(r.get(key).is_some(), "eval --json has `{key}`: {r}");
    }
    assert_eq!(r["n"], 200);
    assert!(r["accuracy"].as_f64().unwrap() > 0.7, "held-out generated mentions: {r}");
    let confusion: u64 = r["confusion"].as_array().unwrap().iter().flat_map(|row| row.as_array().unwrap()).map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(confusion, 200);

    // Topics from the same file (multi-label model, `|`-separated categories).
    let o = resonanz(&["train", "--data", "labelled.csv", "--task", "topic", "--out", "models/topics", "--grid", "10", "--folds", "3"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = resonanz(&["eval", "--data", "test.csv", "--model", "models/topics", "--json"], dir.path());
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["task"], "topic");
    assert!(r["micro_f1"].as_f64().unwrap() > 0.6, "{r}");

    // The pipeline with the trained models swapped in.
    let o = resonanz(
        &[
            "run",
            fixture("generic.csv").to_str().unwrap(),
            "--out",
            "out",
            "--sentiment-model",
            "models/mine",
            "--topics",
            "models/topics",
            "--relevance-model",
            "none",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(fs::File::open(dir.path().join("out/mentions.parquet")).unwrap()).finish().unwrap();
    let version = df.column("model_version").unwrap().str().unwrap().get(0).unwrap().to_string();
    // Each model by name and by a fingerprint of its files (`#` and 8 hex digits).
    let (sentiment, topics) = version.split_once(';').unwrap();
    for (part, name) in [(sentiment, "sentiment=models/mine:sparse-logistic#"), (topics, "topics=models/topics:sparse-logistic#")] {
        let fp = part.strip_prefix(name).unwrap_or_else(|| panic!("{version}"));
        assert!(fp.len() == 8 && fp.bytes().all(|b| b.is_ascii_hexdigit()), "{version}");
    }
    assert_eq!(df.column("relevant").unwrap().null_count(), df.height(), "no relevance model, no relevance");
}

#[test]
fn bad_training_data_and_bad_models_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.csv"), "text,label\nsuper Service,positive\nganz okay,vielleicht\n").unwrap();
    let o = resonanz(&["train", "--data", "bad.csv", "--task", "sentiment", "--out", "m"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.csv:3: unknown label `vielleicht`"), "{}", stderr(&o));
    fs::write(dir.path().join("empty_text.tsv"), "id1\tToller Zug\ttrue\tpositive\t\nid2\t \ttrue\tneutral\t\n").unwrap();
    let o = resonanz(&["train", "--data", "empty_text.tsv", "--task", "sentiment", "--out", "m"], dir.path());
    assert!(stderr(&o).contains("empty_text.tsv:2: empty text"), "{}", stderr(&o));

    fs::create_dir_all(dir.path().join("models/broken")).unwrap();
    fs::write(dir.path().join("models/broken/model.json"), "{\"format_version\": 1, \"task\": \"sentiment\", \"weights\": [").unwrap();
    write_labelled(&dir.path().join("l.csv"), 20, 1);
    let o = resonanz(&["eval", "--data", "l.csv", "--model", "models/broken"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("models/broken/model.json: not a resonanz model"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
    let shipped_topic = resonanz::classify::shipped_model(resonanz::classify::Task::Topic);
    fs::create_dir_all(dir.path().join("models/t")).unwrap();
    fs::write(dir.path().join("models/t/model.json"), shipped_topic).unwrap();
    let o = resonanz(&["run", fixture("generic.csv").to_str().unwrap(), "--sentiment-model", "models/t"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("a topic model, but a sentiment model is needed"), "{}", stderr(&o));
    assert!(!dir.path().join("out").exists(), "nothing written on a model error");

    // A model saved before revisions of the normalizer were recorded (before it read `fuer`
    // as `für`) has none in its settings.
    let shipped_relevance = resonanz::classify::shipped_model(resonanz::classify::Task::Relevance);
    let before_umlauts = shipped_relevance.replace(&format!(",\"revision\":{}", resonanz::normalize::REVISION), "");
    assert_ne!(before_umlauts, shipped_relevance);
    fs::create_dir_all(dir.path().join("models/old")).unwrap();
    fs::write(dir.path().join("models/old/model.json"), before_umlauts).unwrap();
    let o = resonanz(&["run", fixture("generic.csv").to_str().unwrap(), "--relevance-model", "models/old"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.starts_with("resonanz: error: models/old")
            && e.contains(": trained with revision 0 of the normalizer's rules, this resonanz reads text by revision 3"),
        "{e}"
    );
    assert!(!dir.path().join("out").exists(), "nothing written on a model error");
}

#[test]
fn shipped_default_recognises_all_three_tones_outside_its_training_domain() {
    let c = MentionClassifier::default_models().unwrap();
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let end = chrono::Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let mut g = Generator::new(11, start, end, 900);
    let mut confusion = [[0u32; 3]; 3];
    for _ in 0..900 {
        let m = g.next_mention();
        let p = c.sentiment.predict(&c.normalizer.normalize(&m.text)).label;
        confusion[m.tone as usize][p] += 1;
    }
    for (i, row) in confusion.iter().enumerate() {
        let recall = row[i] as f64 / row.iter().sum::<u32>().max(1) as f64;
        assert!(recall > 0.4, "class {i} recall {recall:.2}: {confusion:?}");
    }
}

#[test]
fn taxonomy_and_aspect_model_combine() {
    let both = MentionClassifier::from_specs("lexicon", None, Some("mittelstand+default")).unwrap();
    let taxonomy = MentionClassifier::from_specs("lexicon", None, Some("mittelstand")).unwrap();
    let model = MentionClassifier::from_specs("lexicon", None, Some("default")).unwrap();
    assert!(both.version.contains(";topics=taxonomy:mittelstand+models/topic:"), "{}", both.version);
    let n = &both.normalizer;
    for text in ["Die Lieferung kam drei Wochen zu spät, der Service ist nicht erreichbar", "Zug fällt aus, keine Durchsage am Bahnhof"] {
        let terms = n.normalize(text);
        let (t, m) = (taxonomy.topics_of(&terms), model.topics_of(&terms));
        let mut want = t.clone();
        want.extend(m.into_iter().filter(|x| !t.contains(x)));
        assert_eq!(both.topics_of(&terms), want, "{text}");
        assert!(!want.is_empty());
    }
    let e = MentionClassifier::from_specs("lexicon", None, Some("mittelstand+nowhere.toml")).unwrap_err().to_string();
    assert!(e.contains("nowhere.toml"), "{e}");
}

/// Runs `run` on `input` into `dir/out`, then the default `eval` on its mentions labelled
/// with what `run` wrote: the two must agree on every one. Returns the run's sentiments.
fn eval_agrees_with_run(input: &Path, dir: &Path) -> Vec<String> {
    use polars::prelude::*;
    let out = dir.join("out");
    let o = resonanz(&["run", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"], dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let df = ParquetReader::new(fs::File::open(out.join("mentions.parquet")).unwrap()).finish().unwrap();
    let texts: Vec<String> = df.column("text").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect();
    let sentiments: Vec<String> = df.column("sentiment").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect();
    assert_eq!(texts.len(), sentiments.len());
    // The run's own labels as gold: the default eval must agree on every mention.
    let labelled = dir.join("labelled.csv");
    let mut w = csv::Writer::from_path(&labelled).unwrap();
    w.write_record(["text", "label"]).unwrap();
    // Mentions in languages without a sentiment classifier are `unclassified`: not labels.
    for (t, s) in texts.iter().zip(&sentiments).filter(|(_, s)| *s != "unclassified") {
        w.write_record([t.as_str(), s.as_str()]).unwrap();
    }
    w.flush().unwrap();
    let o = resonanz(&["eval", "--data", labelled.to_str().unwrap(), "--json"], dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["accuracy"].as_f64(), Some(1.0), "eval's default predicts what run wrote for {input:?}: {v}");
    assert_eq!(v["share_error_pp"].as_f64(), Some(0.0), "{v}");
    // And routes the same mentions (the demo's `unclassified` have none to route).
    let summary: serde_json::Value = serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(v["routed"], serde_json::json!({ "corpus": "germeval", "documents": summary["routed"]["mentions"] }), "{v}");
    sentiments
}

#[test]
fn eval_without_a_model_scores_exactly_what_run_uses_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let sentiments = eval_agrees_with_run(&crate::util::repo("data"), dir.path());
    // The demo's Mittelstand mentions are not rail feedback: none routed, and the report
    // says nothing of routing.
    let routed = |out: &Path| -> u64 {
        let summary: serde_json::Value = serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["routed"]["corpus"], "germeval", "{summary}");
        summary["routed"]["mentions"].as_u64().unwrap()
    };
    assert_eq!(routed(&dir.path().join("out")), 0);
    assert!(!fs::read_to_string(dir.path().join("out/report.html")).unwrap().contains("Trainingssammlung"));
    // Every class occurs in the demo's predictions: the default is not stuck on one.
    for class in ["negative", "neutral", "positive"] {
        assert!(sentiments.iter().any(|s| s == class), "no {class} in the demo");
    }
    // Rail feedback, which the default routes to its GermEval expert with a batch prior of
    // its own, among other mentions: the same in both.
    let rail = dir.path().join("rail.csv");
    let mut w = csv::Writer::from_path(&rail).unwrap();
    w.write_record(["date", "text"]).unwrap();
    let texts = [
        "Die S-Bahn hat schon wieder 20 Minuten Verspätung und der Anschluss ist weg #bahn",
        "@DB_Bahn danke, der ICE war heute pünktlich und sauber",
        "GDL kündigt neuen Bahnstreik an, Fahrgäste müssen mit Ausfällen rechnen",
        "Klimaanlage im ICE ausgefallen, 35 Grad im Wagen. Danke Deutsche Bahn",
        "Die Lieferung der Ersatzteile kam schon wieder zu spät, der Service antwortet nicht",
        "Super Beratung am Messestand, vielen Dank an das Team!",
        "Das neue Werk in Augsburg geht im Herbst in Betrieb.",
    ];
    for (i, t) in texts.iter().cycle().take(70).enumerate() {
        w.write_record([format!("2026-10-{:02}", 1 + i % 28).as_str(), &format!("{t} ({i})")]).unwrap();
    }
    w.flush().unwrap();
    let rail_dir = dir.path().join("rail");
    fs::create_dir(&rail_dir).unwrap();
    eval_agrees_with_run(&rail, &rail_dir);
    // The rail complaints were routed (four texts of seven, ten times each), and the report
    // says how many.
    let out = rail_dir.join("out");
    assert_eq!(routed(&out), 40);
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("40 Erwähnungen dieses Laufs glichen in Art und Thema der Trainingssammlung „germeval“"), "{report}");
}

#[test]
fn bench_shows_the_run_default_beside_the_trained_classifiers_with_share_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_labelled(&dir.path().join("l.csv"), 120, 21);
    let o = resonanz(&["bench", "--task", "sentiment", "--data", "l.csv", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(rows.iter().all(|r| r["share_error_pp"].as_f64().is_some()), "every sentiment row has its share error: {rows:?}");
    let default = rows.iter().find(|r| r["classifier"] == "default (run)").expect("the run default is a row");
    assert_eq!(default["evaluation"], "shipped, all documents");
    // The same classifier, scored the same way, as `eval` without `--model`.
    let o = resonanz(&["eval", "--data", "l.csv", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let eval: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in ["accuracy", "macro_f1", "share_error_pp"] {
        assert_eq!(default[key], eval[key], "{key}");
    }
    assert!(default["settings"].as_str().unwrap().starts_with("models/sentiment:"), "{default}");
}

#[test]
fn bench_writes_every_stacker_row_for_offline_work() {
    let dir = tempfile::tempdir().unwrap();
    for (name, seed) in [("a", 31), ("b", 32), ("c", 33)] {
        write_labelled(&dir.path().join(format!("{name}.csv")), 120, seed);
    }
    let args = ["bench", "--task", "sentiment", "--corpus", "a=a.csv", "--corpus", "b=b.csv", "--corpus", "c=c.csv", "--json", "--stack-rows", "rows.tsv"];
    let o = resonanz(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = fs::read_to_string(dir.path().join("rows.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(header[..6], ["stacker", "role", "document", "corpus", "scored_by", "gold"]);
    assert_eq!(header.len(), 6 + 20, "{header:?}");
    assert_eq!(header[12], "familiarity");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == header.len() && r[6..].iter().all(|v| v.parse::<f32>().is_ok_and(f32::is_finite))));
    let count = |f: &dyn Fn(&Vec<&str>) -> bool| rows.iter().filter(|r| f(r)).count();
    for held in ["a", "b", "c"] {
        // Scored: the held-out corpus, every document once, by models that never saw it.
        let scored: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == held && r[1] == "scored").collect();
        assert_eq!(scored.len(), 120, "{held}");
        assert!(scored.iter().all(|r| r[3] == held && r[4] == "unseen"));
        let mut docs: Vec<&str> = scored.iter().map(|r| r[2]).collect();
        docs.sort_unstable();
        docs.dedup();
        assert_eq!(docs.len(), 120);
        // Fitted: the other corpora only, each document as unseen and as in-domain.
        assert_eq!(count(&|r| r[0] == held && r[1] == "fitted" && r[3] == held), 0, "{held} never fits its own stacker");
        assert_eq!(count(&|r| r[0] == held && r[1] == "fitted" && r[4] == "unseen"), 240);
        assert_eq!(count(&|r| r[0] == held && r[1] == "fitted" && r[4] == "in-domain"), 240);
    }
    assert_eq!(count(&|r| r[0] == "final" && r[1] == "fitted"), 2 * 360);
    assert_eq!(count(&|r| r[0] == "final" && r[1] == "scored"), 0);
    assert!(rows.iter().all(|r| ["negative", "neutral", "positive"].contains(&r[5])));
}

#[test]
fn eval_writes_each_decision_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // Two files; the second has a text over two lines, so its records' lines are not counts.
    write_labelled(&dir.path().join("a.csv"), 60, 41);
    let b = "text,label\n\"Lieferung kam pünktlich,\nalles bestens :)\",positive\nHotline seit Tagen nicht erreichbar,negative\nDas Werk öffnet im Herbst,neutral\n";
    fs::write(dir.path().join("b.csv"), b).unwrap();
    let args = ["eval", "--data", "a.csv", "b.csv", "--json"];
    let plain = resonanz(&args, dir.path());
    assert!(plain.status.success(), "{}", stderr(&plain));
    let o = resonanz(&[&args[..], &["--predictions", "out/p.csv"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let without: serde_json::Value = serde_json::from_str(&stdout(&plain)).unwrap();
    for key in ["accuracy", "macro_f1", "confusion", "share_error_pp", "routed"] {
        assert_eq!(report[key], without[key], "{key}: the report is the same with --predictions");
    }
    let mut r = csv::Reader::from_path(dir.path().join("out/p.csv")).unwrap();
    assert_eq!(r.headers().unwrap(), vec!["file", "line", "gold", "predicted", "p_negative", "p_neutral", "p_positive", "routed", "text"]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 63);
    // The rows give back the report's confusion matrix.
    let labels = ["negative", "neutral", "positive"];
    let at = |s: &str| labels.iter().position(|l| *l == s).unwrap();
    let mut confusion = vec![vec![0u64; 3]; 3];
    for row in &rows {
        confusion[at(&row[2])][at(&row[3])] += 1;
        // The default decides per batch: the label is the most probable class.
        let p: Vec<f32> = (4..7).map(|i| row[i].parse().unwrap()).collect();
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-3, "{row:?}");
        assert_eq!(labels[resonanz::classify::argmax(&p)], &row[3], "{row:?}");
        assert!(["true", "false"].contains(&&row[7]));
    }
    assert_eq!(serde_json::json!(confusion), report["confusion"]);
    // Each row names the file and the line its record starts on.
    let last: Vec<(&str, &str, &str, &str)> = rows[60..].iter().map(|r| (&r[0], &r[1], &r[2], &r[8])).collect();
    assert_eq!(
        last,
        [
            ("b.csv", "2", "positive", "Lieferung kam pünktlich,\nalles bestens :)"),
            ("b.csv", "4", "negative", "Hotline seit Tagen nicht erreichbar"),
            ("b.csv", "5", "neutral", "Das Werk öffnet im Herbst")
        ]
    );
    let mut a = csv::Reader::from_path(dir.path().join("a.csv")).unwrap();
    let records: Vec<(String, String)> = a.records().map(Result::unwrap).map(|r| (r.position().unwrap().line().to_string(), r[0].trim().to_string())).collect();
    let named: Vec<(String, String)> = rows[..60].iter().map(|r| (r[1].to_string(), r[8].to_string())).collect();
    assert_eq!(named, records);
    assert!(rows[..60].iter().all(|r| &r[0] == "a.csv"));
    // A classifier that decides each document alone has no batch probabilities to show.
    let o = resonanz(&["eval", "--data", "b.csv", "--model", "lexicon", "--predictions", "l.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(dir.path().join("l.csv")).unwrap().records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r[4].is_empty() && r[7].is_empty() && labels.contains(&&r[3])));
}

#[test]
fn cross_domain_training_saves_a_domain_model_that_eval_needs() {
    let dir = tempfile::tempdir().unwrap();
    for (name, seed) in [("a", 11), ("b", 12), ("c", 13)] {
        write_labelled(&dir.path().join(format!("{name}.csv")), 150, seed);
    }
    let o = resonanz(&["train", "--task", "sentiment", "--out", "models/x", "--corpus", "a=a.csv", "--corpus", "b=b.csv", "--corpus", "c=c.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("leave one corpus out") && err.contains("in domain"), "both tables are printed: {err}");
    let stack: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("models/x/stack.json")).unwrap()).unwrap();
    assert_eq!(stack["domains"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(stack["experts"], serde_json::json!([0, 1, 2]), "every corpus labels all three classes");
    let domain: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("models/x/domains.json")).unwrap()).unwrap();
    assert_eq!(domain["labels"].as_array().unwrap().len(), 3 + 3 * 3, "a gate output per corpus, three per expert");
    write_labelled(&dir.path().join("test.csv"), 100, 14);
    let o = resonanz(&["eval", "--data", "test.csv", "--model", "models/x", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(r["accuracy"].as_f64().unwrap() > 0.7, "generated mentions, like the training corpora: {r}");
    // Without its domain model the stacker is refused, not run on half its inputs.
    fs::remove_file(dir.path().join("models/x/domains.json")).unwrap();
    let o = resonanz(&["eval", "--data", "test.csv", "--model", "models/x"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("domain gate"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
    // `--no-experts`: the gate alone, and eval runs on it.
    let o = resonanz(
        &["train", "--task", "sentiment", "--out", "models/y", "--corpus", "a=a.csv", "--corpus", "b=b.csv", "--corpus", "c=c.csv", "--no-experts"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let stack: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("models/y/stack.json")).unwrap()).unwrap();
    assert_eq!(stack["experts"], serde_json::json!([]));
    let domain: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("models/y/domains.json")).unwrap()).unwrap();
    assert_eq!(domain["labels"], serde_json::json!(["a", "b", "c"]));
    let o = resonanz(&["eval", "--data", "test.csv", "--model", "models/y", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    // `--route`: text like corpus b goes to b's expert; eval scores with it.
    let o = resonanz(
        &["train", "--task", "sentiment", "--out", "models/z", "--corpus", "a=a.csv", "--corpus", "b=b.csv", "--corpus", "c=c.csv", "--route", "b"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let stack: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("models/z/stack.json")).unwrap()).unwrap();
    assert_eq!(stack["route"]["corpus"], 1);
    assert_eq!(stack["route"]["expert"], 1);
    assert_eq!(stack["card"]["chosen"]["settings"]["route"], "b", "the card names the routed corpus");
    assert!(stderr(&o).contains("routes text route.json's gate places in b"), "{}", stderr(&o));
    assert_eq!(stack["format_version"], 5);
    assert_eq!(stack["route"]["own_model"], true, "routed text is scored by a model of b alone");
    let route: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("models/z/route.json")).unwrap()).unwrap();
    assert_eq!(route["labels"], serde_json::json!(["negative", "neutral", "positive", "b"]), "b's sentiment and its gate");
    let o = resonanz(&["eval", "--data", "test.csv", "--model", "models/z", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    // Without its route model the stacker is refused too.
    fs::remove_file(dir.path().join("models/z/route.json")).unwrap();
    let o = resonanz(&["eval", "--data", "test.csv", "--model", "models/z"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("route.json") && !stderr(&o).contains("panicked"), "{}", stderr(&o));
    // A corpus that is not there, or one without an expert, is refused with a reason.
    for extra in [&["--route", "zz"][..], &["--route", "a", "--no-experts"][..]] {
        let mut args = vec!["train", "--task", "sentiment", "--out", "models/w", "--corpus", "a=a.csv", "--corpus", "b=b.csv", "--corpus", "c=c.csv"];
        args.extend_from_slice(extra);
        let o = resonanz(&args, dir.path());
        assert!(!o.status.success() && stderr(&o).contains("--route"), "{extra:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}
