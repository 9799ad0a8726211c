//! The analyst's feedback loop end to end: run → sample → labels filled in (as German Excel
//! saves them) → train --base → eval on the mentions not labelled → run with the adapted
//! model. The fixture is a machine builder's mentions whose sentiment lives in shop-floor
//! words the shipped model has never seen as sentiment (`Nacharbeit`, `Rüstzeit halbiert`).

use std::fs;
use std::path::Path;

use crate::util::{resonanz, stderr, stdout};

const POSITIVE: [&str; 8] = [
    "Rüstzeit halbiert",
    "Taktzeit deutlich verkürzt",
    "Rundlauf präzise",
    "Maßhaltigkeit erreicht",
    "Durchsatz gesteigert",
    "Standzeit verdoppelt",
    "Abnahme bestanden",
    "Spindel läuft ruhig",
];
const NEGATIVE: [&str; 8] = [
    "Nacharbeit nötig",
    "Ausschuss gestiegen",
    "Stillstand seit Montag",
    "Spindelbruch gemeldet",
    "Rattermarken am Werkstück",
    "Lagerschaden festgestellt",
    "Ersatzteil fehlt",
    "Maschine steht wieder",
];
const NEUTRAL: [&str; 8] = [
    "Wartungsintervall geplant",
    "Hallenplan aktualisiert",
    "Lieferschein beigelegt",
    "Schulung im Oktober",
    "Standort Ulm",
    "Messestand Halle 3",
    "Datenblatt angefragt",
    "Termin mit dem Vertrieb",
];
const FILLER: [&str; 16] = [
    "Fräszentrum",
    "Drehmaschine",
    "Laserzelle",
    "Biegeautomat",
    "Kunde",
    "Werk",
    "Linie",
    "Schicht",
    "Projekt",
    "Anlage",
    "Halle",
    "Team",
    "Auftrag",
    "Baureihe",
    "Zelle",
    "Vorrichtung",
];

/// The fixture: `n` mentions, each with its gold sentiment, as a generic export.
fn fixture(n: usize) -> (String, Vec<(String, &'static str)>) {
    let mut rng = resonanz::synth::Rng::new(7);
    let mut csv = String::from("date,channel,text\n");
    let mut gold = Vec::new();
    let channels = ["twitter", "linkedin", "xing", "forum"];
    for i in 0..n {
        let (phrases, label) = match i % 3 {
            0 => (&POSITIVE, "positiv"),
            1 => (&NEGATIVE, "negativ"),
            _ => (&NEUTRAL, "neutral"),
        };
        let a = phrases[rng.below(8) as usize];
        let b = FILLER[rng.below(16) as usize];
        let c = FILLER[rng.below(16) as usize];
        let text = format!("{b} {c}: {a} (Ref {i})");
        let day = 1 + i % 28;
        let month = 9 + (i / 28) % 3;
        csv += &format!("2026-{month:02}-{day:02}T10:00:00Z,{},{text}\n", channels[i % 4]);
        gold.push((text, label));
    }
    (csv, gold)
}

/// Reads a `resonanz sample` CSV (BOM, `;`, CRLF) and fills its `label` column from the gold
/// labels by text, as the analyst would in Excel.
fn fill_in(sample: &Path, gold: &[(String, &str)]) -> Vec<String> {
    let text = fs::read_to_string(sample).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let mut rdr = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (text_col, label_col) = (col("text"), col("label"));
    let mut out = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    out.write_record(&header).unwrap();
    let mut labelled = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let t = rec.get(text_col).unwrap().to_string();
        let label = gold.iter().find(|(g, _)| *g == t).map(|(_, l)| *l).expect("every sampled text is a fixture text");
        let cells: Vec<String> = rec.iter().enumerate().map(|(k, v)| if k == label_col { label.to_uppercase() } else { v.to_string() }).collect();
        out.write_record(&cells).unwrap();
        labelled.push(t);
    }
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(out.into_inner().unwrap());
    fs::write(sample, bytes).unwrap();
    labelled
}

fn eval_json(model: Option<&str>, data: &Path, cwd: &Path) -> serde_json::Value {
    let mut args = vec!["eval", "--task", "sentiment", "--data", data.to_str().unwrap(), "--json"];
    if let Some(m) = model {
        args.extend(["--model", m]);
    }
    let o = resonanz(&args, cwd);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn run_sample_label_train_base_eval_and_run_with_the_adapted_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (csv, gold) = fixture(600);
    fs::write(d.join("export.csv"), csv).unwrap();
    let o = resonanz(&["run", "export.csv", "--out", "out1", "-q"], d);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = resonanz(&["sample", "out1", "--n", "240", "--out", "labels.csv"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled = fill_in(&d.join("labels.csv"), &gold);
    // Fewer than asked: the fixture's texts repeat (its near-duplicates are left out).
    assert!(labelled.len() >= 100, "sample gave {} mentions", labelled.len());

    let o = resonanz(&["train", "--task", "sentiment", "--base", "default", "--data", "labels.csv", "--out", "models/mine"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("base default") && stderr(&o).contains("(chosen)"), "prints base vs adapted: {}", stderr(&o));
    let card = fs::read_to_string(d.join("models/mine/MODEL_CARD.md")).unwrap();
    assert!(card.contains("Base vs adapted on your labels") && card.contains(&format!("{} labelled mentions", labelled.len())), "{card}");
    let model: serde_json::Value = serde_json::from_str(&fs::read_to_string(d.join("models/mine/model.json")).unwrap()).unwrap();
    assert_eq!(model["base"]["name"], "default", "the model records its base");

    // The mentions nobody labelled: the adapted model must beat the shipped one there.
    let mut held = String::from("text,label\n");
    for (t, l) in gold.iter().filter(|(t, _)| !labelled.contains(t)) {
        held += &format!("\"{t}\",{l}\n");
    }
    fs::write(d.join("held.csv"), held).unwrap();
    let shipped = eval_json(None, &d.join("held.csv"), d);
    let adapted = eval_json(Some("models/mine"), &d.join("held.csv"), d);
    let (s, a) = (shipped["macro_f1"].as_f64().unwrap(), adapted["macro_f1"].as_f64().unwrap());
    assert!(a >= s + 0.05, "adapted macro-F1 {a:.3} vs shipped {s:.3}");
    assert!(adapted["accuracy"].as_f64().unwrap() >= 0.55, "{adapted}");

    // `run` uses it when told to, and says so in every mention's model_version.
    let o = resonanz(&["run", "export.csv", "--sentiment-model", "models/mine", "--out", "out2", "--json", "-q"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    use polars::prelude::*;
    let df = ParquetReader::new(fs::File::open(d.join("out2/mentions.parquet")).unwrap()).finish().unwrap();
    let version = df.column("model_version").unwrap().str().unwrap().get(0).unwrap().to_string();
    assert!(version.contains("sentiment=models/mine"), "{version}");
    let html = fs::read_to_string(d.join("out2/report.html")).unwrap().replace("&#x2f;", "/");
    assert!(html.contains("eigenes Stimmungsmodell models/mine"), "the report names the model in words");
    assert!(html.contains(&format!("an {} eigene gelabelte Erwähnungen angepasst", labelled.len())), "and says what its reliability rests on");

    // A label that is not one is a one-line error naming the file, line and value.
    fs::write(d.join("bad.csv"), "text;label\nGut;positiv\nSchlecht;miserabel\n").unwrap();
    let o = resonanz(&["train", "--task", "sentiment", "--base", "default", "--data", "bad.csv", "--out", "models/bad"], d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.csv:3: unknown label `miserabel`"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn relevance_rules_from_report_toml_decide_which_mentions_are_about_the_brand() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("export.csv"),
        "date,text\n\
         2026-10-01T09:00:00Z,Neue Laserzelle von Auerhahn Maschinenbau gesehen\n\
         2026-10-02T09:00:00Z,danke @auerhahn_mb für den schnellen Service\n\
         2026-10-03T09:00:00Z,Zimmer im Auerhahn Hotel war laut\n\
         2026-10-04T09:00:00Z,Die Bahn ist wieder zu spät\n",
    )
    .unwrap();
    fs::write(
        d.join("report.toml"),
        "inputs = [\"export.csv\"]\nperiod = \"2026-10\"\n\n[relevance]\nterms = [\"Auerhahn\", \"Auerhahn Maschinenbau\"]\nhandles = [\"auerhahn_mb\"]\nnot = [\"Auerhahn Hotel\"]\n",
    )
    .unwrap();
    let o = resonanz(&["run", "--config", "report.toml", "--out", "out", "-q"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    use polars::prelude::*;
    let df = ParquetReader::new(fs::File::open(d.join("out/2026-10/mentions.parquet")).unwrap()).finish().unwrap();
    let relevant: Vec<Option<bool>> = df.column("relevant").unwrap().bool().unwrap().iter().collect();
    assert_eq!(relevant, [Some(true), Some(true), Some(false), Some(false)]);
    let html = fs::read_to_string(d.join("out/2026-10/report.html")).unwrap();
    assert!(
        html.contains("Relevanz nach den Regeln in report.toml [relevance]") && html.contains("2 von 4 Erwähnungen"),
        "the report says how relevance was decided"
    );
    assert!(!html.contains("Relevanz wurde nicht geprüft"));

    // A rule with nothing to match is a config error naming the file.
    fs::write(d.join("bad.toml"), "inputs = [\"export.csv\"]\n[relevance]\nterms = [\"und\"]\n").unwrap();
    let o = resonanz(&["run", "--config", "bad.toml", "--out", "out-bad", "-q"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.toml") && stderr(&o).contains("`und` has no word"), "{}", stderr(&o));
}
