//! Language detection: agreement with the corpus language and time per text, for
//! resonanz's detector (`normalize::language`), whichlang alone and whatlang alone.
//!
//! `cargo bench --bench language` reads the German corpora in ../shared/data (GermEval 2017
//! dev, PotTS, the first 2,000 Mozetič tweets). With `RESONANZ_LANGUAGE_EVAL=FILE` (lines
//! `code<TAB>text`) it reads that file instead: BENCHMARKS.md says how the figures there
//! were made, with the other languages' tweets. `RESONANZ_LANGUAGE_MISSES=N` prints up to
//! N texts each detector got wrong.

use std::collections::BTreeMap;
use std::time::Instant;

use resonanz::normalize::language::{code_of, LanguageDetector, LANGUAGES, UNDETERMINED, WHICHLANG_LANGUAGES};

fn texts() -> Vec<(String, String)> {
    if let Ok(path) = std::env::var("RESONANZ_LANGUAGE_EVAL") {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        return text.lines().filter_map(|l| l.split_once('\t')).map(|(c, t)| (c.to_string(), t.to_string())).collect();
    }
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let mut out = Vec::new();
    for (file, take) in [("germeval2017/dev.tsv", usize::MAX), ("potts/potts.tsv", usize::MAX), ("tweets_extra/mozetic2016_de_tweets.tsv", 2000)] {
        let Ok(text) = std::fs::read_to_string(data.join(file)) else {
            eprintln!("{file} not found beside the project: left out");
            continue;
        };
        out.extend(text.lines().filter_map(|l| l.split('\t').nth(1)).filter(|t| !t.is_empty()).take(take).map(|t| ("de".to_string(), t.to_string())));
    }
    out
}

fn main() {
    let rows = texts();
    if rows.is_empty() {
        eprintln!("no texts: nothing measured");
        return;
    }
    let ours = LanguageDetector::default();
    // whatlang over the same languages, with the same codes.
    let plain = whatlang::Detector::with_allowlist(LANGUAGES.iter().map(|(l, _)| *l).collect());
    let code = |l: whatlang::Lang| code_of(&LANGUAGES, l);
    type Detect<'a> = Box<dyn Fn(&str) -> &'static str + 'a>;
    let which = |t: &str| code_of(&WHICHLANG_LANGUAGES, whichlang::detect_language(t));
    let methods: [(&str, Detect); 3] = [
        ("resonanz (German function words, whichlang; whatlang for Polish letters)", Box::new(|t: &str| ours.detect(t))),
        ("whichlang 0.1.1 alone (its 16 languages)", Box::new(which)),
        ("whatlang 0.16 alone (same 12 languages)", Box::new(|t: &str| plain.detect_lang(t).map_or(UNDETERMINED, code))),
    ];
    println!("{} texts", rows.len());
    for (name, detect) in &methods {
        // The fastest of three passes.
        let mut best = f64::INFINITY;
        let mut found = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            found = rows.iter().map(|(_, text)| detect(text)).collect::<Vec<_>>();
            best = best.min(t.elapsed().as_secs_f64());
        }
        let mut per: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
        let [mut de_in, mut de_n, mut other_in, mut other_n] = [0usize; 4];
        for ((gold, _), got) in rows.iter().zip(&found) {
            let e = per.entry(gold.as_str()).or_default();
            e[0] += usize::from(gold == got);
            e[1] += 1;
            let as_german = *got == "de" || *got == UNDETERMINED;
            if gold == "de" {
                de_n += 1;
                de_in += usize::from(as_german);
            } else {
                other_n += 1;
                other_in += usize::from(as_german);
            }
        }
        let right: usize = per.values().map(|v| v[0]).sum();
        let langs: Vec<String> = per.iter().map(|(l, v)| format!("{l} {:.3}", v[0] as f64 / v[1] as f64)).collect();
        let share = |a: usize, n: usize| if n == 0 { "–".to_string() } else { format!("{:.3}", a as f64 / n as f64) };
        println!(
            "{name}: agreement {:.3} ({}); scored as German: German {}, others {}; {:.1} µs/text",
            right as f64 / rows.len() as f64,
            langs.join(", "),
            share(de_in, de_n),
            share(other_in, other_n),
            best * 1e6 / rows.len() as f64
        );
        // `RESONANZ_LANGUAGE_MISSES=N`: up to N texts each detector got wrong, to read.
        let misses = std::env::var("RESONANZ_LANGUAGE_MISSES").ok().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
        for ((gold, text), got) in rows.iter().zip(&found).filter(|((gold, _), got)| gold != *got).take(misses) {
            println!("  {gold} → {got}: {text}");
        }
    }
}
