//! Aggregates: numbers checked against hand-computed expectations on a small set of
//! mentions; the tables a run writes (Excel CSV bytes, formula escaping, fresh inputs).

use std::fs;

use chrono::{TimeZone, Utc};
use polars::prelude::*;
use resonanz::aggregate::{aggregate, Granularity};
use resonanz::report::to_csv;
use resonanz::{Channel, Mention, Sentiment, ToolSentiment};

use crate::util::{fixture, resonanz, stderr};

#[allow(clippy::too_many_arguments)]
fn mention(
    t: (i32, u32, u32, u32),
    channel: Channel,
    s: Sentiment,
    reach: Option<i64>,
    engagement: Option<i64>,
    topics: &[&str],
    tool: ToolSentiment,
) -> Mention {
    let mut m = Mention::from_text("x".into(), Utc.with_ymd_and_hms(t.0, t.1, t.2, t.3, 30, 0).unwrap());
    m.channel = channel;
    m.sentiment = Some(s);
    m.reach = reach;
    m.engagement = engagement;
    m.topics = topics.iter().map(|&s| s.into()).collect();
    m.tool_sentiment = tool;
    m.source_tool = "t".into();
    m
}

fn sample() -> DataFrame {
    use Sentiment::*;
    let mut ms = vec![
        // 31 Jan 23:30 UTC is February in Berlin.
        mention((2026, 1, 31, 23), Channel::Twitter, Positive, Some(100), Some(5), &["Preis"], ToolSentiment::Positive),
        mention((2026, 2, 10, 9), Channel::Twitter, Negative, Some(50), Some(1), &["Preis", "Service"], ToolSentiment::Positive),
        mention((2026, 2, 11, 9), Channel::News, Neutral, None, None, &[], ToolSentiment::Unknown),
        mention((2026, 4, 1, 10), Channel::News, Positive, Some(10), Some(0), &[], ToolSentiment::Positive),
    ];
    for (m, (query, author)) in ms.iter_mut().zip([(Some("A"), Some("Anna")), (Some("B"), Some("Anna")), (Some("A"), Some("Bert")), (None, None)]) {
        m.query = query.map(str::to_string);
        m.author = author.map(str::to_string);
    }
    resonanz::report::mentions_frame(&ms).unwrap()
}

fn u32s(df: &DataFrame, c: &str) -> Vec<u32> {
    df.column(c).unwrap().u32().unwrap().into_no_null_iter().collect()
}

fn f64s(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c).unwrap().f64().unwrap().iter().map(|v| v.map(|x| (x * 1e6).round() / 1e6)).collect()
}

fn strs(df: &DataFrame, c: &str) -> Vec<String> {
    df.column(c).unwrap().str().unwrap().iter().flatten().map(str::to_string).collect()
}

#[test]
fn tables_match_hand_computed_numbers() {
    let t = aggregate(&sample(), chrono_tz::Europe::Berlin, Granularity::Month, None).unwrap();
    let p = &t.by_period;
    assert_eq!(strs(p, "period"), ["2026-02", "2026-03", "2026-04"], "the empty March is a row");
    assert_eq!(u32s(p, "mentions"), [3, 0, 1]);
    assert_eq!(u32s(p, "positive"), [1, 0, 1]);
    assert_eq!(u32s(p, "negative"), [1, 0, 0]);
    assert_eq!(p.column("reach_gross").unwrap().i64().unwrap().into_no_null_iter().collect::<Vec<_>>(), [150, 0, 10]);
    assert_eq!(p.column("engagement").unwrap().i64().unwrap().into_no_null_iter().collect::<Vec<_>>(), [6, 0, 0]);
    assert_eq!(f64s(p, "net_sentiment"), [Some(0.0), Some(0.0), Some(1.0)]);
    assert_eq!(f64s(p, "positive_share"), [Some(0.333333), Some(0.0), Some(1.0)]);
    let deltas: Vec<Option<i64>> = p.column("mentions_delta").unwrap().i64().unwrap().iter().collect();
    assert_eq!(deltas, [None, Some(-3), Some(1)]);
    assert_eq!(f64s(p, "net_sentiment_delta"), [None, Some(0.0), Some(1.0)]);

    let c = &t.by_channel;
    assert_eq!(c.height(), 6, "3 periods × 2 channels");
    assert_eq!(strs(c, "channel"), ["news", "twitter", "news", "twitter", "news", "twitter"]);
    assert_eq!(u32s(c, "mentions"), [1, 2, 0, 0, 1, 0]);
    let cd: Vec<Option<i64>> = c.column("mentions_delta").unwrap().i64().unwrap().iter().collect();
    assert_eq!(cd, [None, None, Some(-1), Some(-2), Some(1), Some(0)], "deltas per channel");

    let topics = &t.by_topic;
    assert_eq!(strs(topics, "topic"), ["(none)", "Preis", "Service", "(none)"]);
    assert_eq!(u32s(topics, "mentions"), [1, 2, 1, 1]);
    assert_eq!(f64s(topics, "negative_share"), [Some(0.0), Some(0.5), Some(1.0), Some(0.0)]);

    let a = &t.classifier_agreement;
    assert_eq!(u32s(a, "mentions"), [1, 2, 1], "(positive, negative), (positive, positive), (unknown, neutral), sorted");
    assert_eq!(strs(a, "sentiment"), ["negative", "positive", "neutral"]);
    assert_eq!(f64s(a, "agreement_rate"), [Some(0.666667); 3]);

    let until = aggregate(&sample(), chrono_tz::Europe::Berlin, Granularity::Month, Some("2026-03")).unwrap();
    assert_eq!(strs(&until.by_period, "period"), ["2026-02", "2026-03"], "ends with the report period");
    let later = aggregate(&sample(), chrono_tz::Europe::Berlin, Granularity::Month, Some("2026-06")).unwrap();
    assert_eq!(u32s(&later.by_period, "mentions"), [3, 0, 1, 0, 0], "empty months up to the report period");
    let complaints = &t.top_complaints;
    assert_eq!(strs(complaints, "topic"), ["Preis", "Service"], "ties by name");
    assert_eq!(u32s(complaints, "rank"), [1, 2]);
    assert_eq!(strs(complaints, "published_at"), ["2026-02-10 10:30", "2026-02-10 10:30"], "local time");

    let roi_settings = resonanz::aggregate::RoiSettings {
        currency: None,
        costs: vec![
            resonanz::aggregate::Cost { period: "2026-02".into(), channel: "twitter".into(), amount: 100.0 },
            resonanz::aggregate::Cost { period: "2026-03".into(), channel: "news".into(), amount: 30.0 },
        ],
        emv_per_1000_reach: [("twitter".to_string(), 20.0)].into_iter().collect(),
    };
    let r = resonanz::aggregate::roi(&t.by_channel, &roi_settings).unwrap();
    assert_eq!(strs(&r, "channel"), ["twitter", "news"]);
    assert_eq!(f64s(&r, "cost_per_mention"), [Some(50.0), None], "nothing to divide by in an empty month");
    assert_eq!(f64s(&r, "cost_per_engagement"), [Some(16.666667), None]);
    assert_eq!(f64s(&r, "cost_per_positive"), [Some(100.0), None]);
    assert_eq!(f64s(&r, "emv_estimate"), [Some(3.0), None], "150 reach × 20 per 1,000; no rate for news");

    let sov = &t.share_of_voice;
    assert_eq!(strs(sov, "query"), ["A", "B", "(none)"]);
    assert_eq!(f64s(sov, "mentions_share"), [Some(0.666667), Some(0.333333), Some(1.0)]);
    assert_eq!(f64s(sov, "reach_gross_share"), [Some(0.666667), Some(0.333333), Some(1.0)]);

    let authors = &t.top_authors;
    assert_eq!(strs(authors, "author"), ["Anna", "Bert"]);
    assert_eq!(u32s(authors, "mentions"), [2, 1]);
    assert_eq!(u32s(authors, "negative"), [1, 0]);
    assert_eq!(authors.column("reach_max").unwrap().i64().unwrap().iter().collect::<Vec<_>>(), [Some(100), None]);

    let excel = to_csv(p, true).unwrap();
    assert!(excel.starts_with("\u{feff}period;mentions;".as_bytes()));
    let text = String::from_utf8(excel).unwrap();
    assert!(text.contains("\n2026-02;3;0;3;1;1;1;150;6;0,333333;0,333333;0,333333;0;;\n"), "{text}");
}

#[test]
fn a_run_writes_the_tables_from_its_own_inputs_with_escaped_cells() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("t.toml"), "[[topic]]\nname = \"=SUM(A1)\"\nkeywords = [\"Text\"]\n").unwrap();
    // A previous run into the same directory, on other inputs.
    let o = resonanz(&["run", fixture("torture.csv").to_str().unwrap(), "--out", "out", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = resonanz(&["run", fixture("generic.csv").to_str().unwrap(), "--out", "out", "--topics", "t.toml", "--excel-csv", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let by_period = fs::read_to_string(dir.path().join("out/by_period.csv")).unwrap();
    assert!(by_period.starts_with("\u{feff}period;mentions;"), "{by_period}");
    assert!(by_period.contains("\n2024-05;2;"), "the new inputs, not the previous run's: {by_period}");
    let by_topic = fs::read_to_string(dir.path().join("out/by_topic.csv")).unwrap();
    assert!(by_topic.contains(";'=SUM(A1);"), "formula escaped: {by_topic}");
    let metrics = fs::read_to_string(dir.path().join("out/metrics.md")).unwrap();
    assert!(metrics.contains("net_sentiment"));
    let summary: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("out/summary.json")).unwrap()).unwrap();
    let outputs: Vec<&str> = summary["outputs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for f in ["by_period.parquet", "by_channel.csv", "by_topic.parquet", "classifier_agreement.csv", "top_complaints.csv", "metrics.md"] {
        assert!(outputs.contains(&f), "{outputs:?}");
        assert!(dir.path().join("out").join(f).exists());
    }
}

#[test]
fn same_inputs_give_byte_identical_outputs_with_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = crate::util::repo("data");
    for threads in ["1", "2"] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_resonanz"))
            .args(["run", data.to_str().unwrap(), "--out", threads, "-q"])
            .current_dir(dir.path())
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in [
        "mentions.parquet",
        "by_period.csv",
        "by_period.parquet",
        "by_channel.csv",
        "by_topic.csv",
        "classifier_agreement.csv",
        "rejects.csv",
        "duplicates.csv",
    ] {
        let a = fs::read(dir.path().join("1").join(f)).unwrap();
        let b = fs::read(dir.path().join("2").join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn pseudonymized_runs_never_write_the_raw_author() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("brandwatch_preamble.csv");
    let raw = fs::read_to_string(&input).unwrap();
    let run = |key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_resonanz"));
        cmd.args(["run", input.to_str().unwrap(), "--out", "out", "-q", "--pseudonymize"]).current_dir(dir.path());
        match key {
            Some(k) => cmd.env("RESONANZ_PSEUDONYM_KEY", k),
            None => cmd.env_remove("RESONANZ_PSEUDONYM_KEY"),
        };
        cmd.output().unwrap()
    };
    let o = run(None);
    assert_eq!(o.status.code(), Some(1), "no key, no run");
    assert!(String::from_utf8_lossy(&o.stderr).contains("RESONANZ_PSEUDONYM_KEY"));
    let o = run(Some("a long enough secret key"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let df = ParquetReader::new(fs::File::open(dir.path().join("out/mentions.parquet")).unwrap()).finish().unwrap();
    let authors: Vec<String> = df.column("author").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect();
    assert!(!authors.is_empty() && authors.iter().all(|a| a.starts_with("anon-")), "{authors:?}");
    let top = fs::read_to_string(dir.path().join("out/top_authors.csv")).unwrap();
    assert!(top.lines().skip(1).all(|l| l.starts_with("anon-")), "{top}");
    assert!(raw.contains("Lea Huber") && !top.contains("Lea Huber") && !authors.iter().any(|a| a.contains("Lea")));
}

#[test]
fn complaint_examples_show_surely_negative_mentions_first() {
    // A borderline negative news item with the widest reach (the batch's class mix tipped
    // it), and two mentions the classifier is sure of.
    let ms: Vec<Mention> = [("a", 1000, 0.45), ("b", 10, 0.8), ("c", 20, 0.6), ("d", 5, 0.3)]
        .into_iter()
        .map(|(id, reach, confidence)| {
            let mut m = mention((2026, 2, 10, 9), Channel::News, Sentiment::Negative, Some(reach), None, &["Service"], ToolSentiment::Unknown);
            m.mention_id = id.into();
            m.text = format!("text {id}");
            m.sentiment_confidence = Some(confidence);
            m
        })
        .collect();
    let t = aggregate(&resonanz::report::mentions_frame(&ms).unwrap(), chrono_tz::Europe::Berlin, Granularity::Month, None).unwrap();
    assert_eq!(strs(&t.top_complaints, "text"), ["text c", "text b", "text a"], "surely negative by reach, then the widest of the others");
}

#[test]
fn a_mention_is_the_example_of_one_complaint_topic_where_others_can_be() {
    let both = &["Preis", "Service"][..];
    let ms: Vec<Mention> =
        [("a", 100, both), ("b", 90, both), ("c", 80, both), ("d", 70, &["Preis"][..]), ("e", 60, &["Preis"][..]), ("g", 10, &["Service"][..])]
            .into_iter()
            .map(|(id, reach, topics)| {
                let mut m = mention((2026, 2, 10, 9), Channel::News, Sentiment::Negative, Some(reach), None, topics, ToolSentiment::Unknown);
                m.mention_id = id.into();
                m.text = format!("text {id}");
                m.sentiment_confidence = Some(0.9);
                m
            })
            .collect();
    let t = aggregate(&resonanz::report::mentions_frame(&ms).unwrap(), chrono_tz::Europe::Berlin, Granularity::Month, None).unwrap();
    let c = &t.top_complaints;
    assert_eq!(strs(c, "topic"), ["Preis", "Preis", "Preis", "Service", "Service", "Service"], "Preis has more negative mentions");
    assert_eq!(strs(c, "text"), ["text a", "text b", "text c", "text g", "text a", "text b"], "Service's own mention first, then the widest-reaching again");
}
