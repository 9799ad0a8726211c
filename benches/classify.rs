//! Criterion micro-benches for classification, per stage, on 2,000 German texts: GermEval
//! 2017 dev (../shared/data/germeval2017/dev.tsv, when present beside the project) and
//! generated mentions. Throughput is reported in documents (criterion's elements/s).
//!
//! `cargo bench --bench classify`

use std::hint::black_box;

use chrono::TimeZone;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use resonanz::classify::features::featurize;
use resonanz::classify::MentionClassifier;
use resonanz::normalize::{Normalizer, Term};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpora() -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    let germeval = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/germeval2017/dev.tsv");
    if let Ok(examples) = resonanz::train::data::read_labelled(&germeval) {
        out.push(("germeval", examples.into_iter().take(2000).map(|e| e.text).collect()));
    }
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let end = chrono::Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let mut g = resonanz::synth::Generator::new(5, start, end, 2000);
    out.push(("generated", (0..2000).map(|_| g.next_mention().text).collect()));
    out
}

fn stages(c: &mut Criterion) {
    let classifier = MentionClassifier::default_models().expect("shipped models load");
    let normalizer = Normalizer::default();
    let sentiment = resonanz::classify::load_classifier("default", Some(resonanz::classify::Task::Sentiment), &normalizer).unwrap().classifier;
    let features = resonanz::classify::features::FeatureSettings::default();
    for (name, texts) in corpora() {
        let docs: Vec<Vec<Term>> = texts.iter().map(|t| normalizer.normalize(t)).collect();
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(texts.len() as u64));
        g.sample_size(20);
        g.bench_function("normalize", |b| {
            let mut terms = Vec::new();
            b.iter(|| {
                for t in &texts {
                    normalizer.normalize_into(t, &mut terms);
                    black_box(&terms);
                }
            })
        });
        g.bench_function("featurize", |b| {
            let mut feats = Vec::new();
            b.iter(|| {
                for d in &docs {
                    featurize(d, &features, &mut feats);
                    black_box(&feats);
                }
            })
        });
        g.bench_function("sentiment_from_terms", |b| {
            b.iter(|| {
                for d in &docs {
                    black_box(sentiment.predict(d));
                }
            })
        });
        g.bench_function("sentiment_from_text", |b| {
            let mut terms = Vec::new();
            b.iter(|| {
                for t in &texts {
                    normalizer.normalize_into(t, &mut terms);
                    black_box(sentiment.predict(&terms));
                }
            })
        });
        // What `run` does per mention: normalize once, sentiment (model + lexicon),
        // relevance, taxonomy topics; in parallel over the available threads.
        let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mentions: Vec<resonanz::Mention> = texts.iter().map(|t| resonanz::Mention::from_text(t.clone(), start)).collect();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            g.bench_function(format!("classify_all_{threads}_threads"), |b| {
                let mut batch = mentions.clone();
                b.iter(|| pool.install(|| classifier.classify_all(black_box(&mut batch))))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
