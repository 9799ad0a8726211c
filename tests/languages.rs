//! Languages: the export's language kept, others detected; only German mentions are scored
//! by the German classifier, the rest `unclassified`; shares over classified mentions;
//! channel groups and `by_language` in the tables and the report. On
//! `tests/fixtures/mixed_languages.csv`: German, English, French and Italian texts, an
//! emoji-only one, a too-short one, a German text the export calls English.

use std::fs;
use std::path::Path;

use polars::prelude::*;

use crate::util::{fixture, resonanz, stderr};

/// Runs on the fixture; the mentions as written to `out/` (or `out/<period>/` with a config).
fn run(dir: &Path, extra: &[&str]) -> DataFrame {
    let f = fixture("mixed_languages.csv");
    let mut args = vec!["run", f.to_str().unwrap(), "--out", "out", "-q"];
    args.extend_from_slice(extra);
    let o = resonanz(&args, dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = if extra.contains(&"--config") { dir.join("out/2026-10") } else { dir.join("out") };
    ParquetReader::new(fs::File::open(out.join("mentions.parquet")).unwrap()).finish().unwrap()
}

fn strs(df: &DataFrame, c: &str) -> Vec<String> {
    df.column(c).unwrap().str().unwrap().iter().map(|s| s.unwrap_or("∅").to_string()).collect()
}

/// The CSV table's rows as maps from column to value.
fn table(out: &Path, name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(out.join(name)).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records().map(|row| header.iter().cloned().zip(row.unwrap().iter().map(str::to_string)).collect()).collect()
}

#[test]
fn languages_are_kept_or_detected_and_only_german_is_scored_as_german() {
    let dir = tempfile::tempdir().unwrap();
    let df = run(dir.path(), &[]);
    let out = dir.path().join("out");
    let (lang, source, sentiment, author) = (strs(&df, "language"), strs(&df, "language_source"), strs(&df, "sentiment"), strs(&df, "author"));
    let of = |a: &str| author.iter().position(|x| x == a).unwrap();
    let expect = [
        ("anna", "de", "detected"),
        ("bert", "de", "detected"),
        ("carla", "de", "detected"),
        ("elise", "fr", "detected"),
        ("fabio", "it", "detected"),
        ("gina", "und", "undetermined"),
        ("hans", "und", "undetermined"),
        ("ines", "en", "vendor"),
        ("jan", "de", "vendor"),
    ];
    for (a, l, s) in expect {
        assert_eq!((lang[of(a)].as_str(), source[of(a)].as_str()), (l, s), "{a}");
    }
    assert_eq!(lang.iter().filter(|l| *l == "en").count(), 3, "dave's two English tweets and the export's `English`: {lang:?}");
    for (i, l) in lang.iter().enumerate() {
        let scored = sentiment[i] != "unclassified";
        assert_eq!(scored, l == "de" || l == "und", "{} ({l}): {}", author[i], sentiment[i]);
    }
    assert_eq!(sentiment[of("gina")], "positive", "emoji-only text scored by its emoji");
    assert!(df.column("sentiment_score").unwrap().f32().unwrap().get(of("elise")).is_none(), "no score for unclassified");

    // Shares over the classified mentions.
    let p = &table(&out, "by_period.csv")[0];
    let n = |k: &str| p[k].parse::<f64>().unwrap();
    assert_eq!((n("mentions"), n("classified")), (11.0, 6.0), "{p:?}");
    assert_eq!(n("positive") + n("neutral") + n("negative"), n("classified"));
    assert!((n("positive_share") - n("positive") / n("classified")).abs() < 1e-6, "{p:?}");
    assert!((n("net_sentiment") - (n("positive") - n("negative")) / n("classified")).abs() < 1e-6, "{p:?}");

    let by_lang = table(&out, "by_language.csv");
    let row = |l: &str| by_lang.iter().find(|r| r["language"] == l).unwrap_or_else(|| panic!("{l} in {by_lang:?}"));
    assert_eq!((row("en")["mentions"].as_str(), row("en")["classified"].as_str(), row("en")["detected"].as_str()), ("3", "0", "2"));
    assert_eq!((row("de")["mentions"].as_str(), row("de")["classified"].as_str(), row("de")["unclassified"].as_str()), ("4", "4", "0"));
    assert_eq!(row("und")["classified"], "2");

    let groups = table(&out, "by_channel_group.csv");
    let group = |g: &str| groups.iter().find(|r| r["channel_group"] == g).unwrap_or_else(|| panic!("{g} in {groups:?}"));
    assert_eq!(group("social")["mentions"], "8", "twitter ×3, facebook ×2, youtube, pinterest, instagram: {groups:?}");
    assert_eq!(group("professional")["mentions"], "2", "linkedin and xing");
    assert_eq!(group("community")["mentions"], "1");
    let channels = table(&out, "by_channel.csv");
    assert!(channels.iter().any(|r| r["channel"] == "pinterest" && r["channel_group"] == "social"), "{channels:?}");

    let html = fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(
        html.contains("5 von 11 Erwähnungen im Zeitraum sind nicht klassifiziert (Sprache ohne Stimmungsklassifikator: en 3, fr 1, it 1)"),
        "report names the unclassified by language"
    );
    assert!(html.contains(r#"<table id="languages">"#) && html.contains(r#"<table id="channel-groups">"#));
}

#[test]
fn languages_can_get_classifiers_and_groups_can_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("lexicon_fr.toml"), "[positive]\n\"rapide\" = 2\n\"merci\" = 1\n[negative]\n\"lent\" = 2\n").unwrap();
    fs::write(
        dir.path().join("report.toml"),
        "period = \"2026-10\"\nsentiment_languages = [\"de\", \"en\"]\n[sentiment_models]\nfr = \"lexicon_fr.toml\"\n[channel_groups]\nvisual = [\"pinterest\", \"instagram\", \"youtube\"]\n",
    )
    .unwrap();
    let df = run(dir.path(), &["--config", "report.toml"]);
    let out = dir.path().join("out/2026-10");
    let (lang, sentiment) = (strs(&df, "language"), strs(&df, "sentiment"));
    for (l, s) in lang.iter().zip(&sentiment) {
        assert_eq!(s == "unclassified", l == "it", "{l}: {s}");
        if l == "fr" {
            assert_eq!(s, "positive", "by the French lexicon");
        }
    }
    let mv = strs(&df, "model_version");
    assert!(mv[0].contains(";languages=de,en") && mv[0].contains(";sentiment[fr]=lexicon:"), "{}", mv[0]);
    let groups = table(&out, "by_channel_group.csv");
    let group = |g: &str| groups.iter().find(|r| r["channel_group"] == g).map(|r| r["mentions"].clone());
    assert_eq!(group("visual").as_deref(), Some("3"), "{groups:?}");
    assert_eq!(group("social").as_deref(), Some("5"), "twitter ×3, facebook ×2");
}
