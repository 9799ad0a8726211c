//! Compresses the shipped models (`models/*/model.json`, `models/sentiment/domains.json`)
//! into `OUT_DIR` for `resonanz::classify` to embed: 15 MB of JSON become ~4 MB in the
//! binary, inflated when a model is loaded. The JSON files stay the source of truth.

use std::{env, fs, path::PathBuf};

/// The files embedded, and the name each gets in `OUT_DIR`.
const MODELS: [(&str, &str); 4] = [
    ("models/sentiment/model.json", "sentiment.json.zst"),
    ("models/sentiment/domains.json", "sentiment-domains.json.zst"),
    ("models/relevance/model.json", "relevance.json.zst"),
    ("models/topic/model.json", "topic.json.zst"),
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (source, name) in MODELS {
        println!("cargo::rerun-if-changed={source}");
        let json = fs::read(source).unwrap_or_else(|e| panic!("{source}: {e}"));
        // Level 9: within a few seconds even in an unoptimized build script.
        let packed = zstd::bulk::compress(&json, 9).unwrap_or_else(|e| panic!("{source}: {e}"));
        fs::write(out.join(name), packed).unwrap_or_else(|e| panic!("{}: {e}", out.join(name).display()));
    }
    println!("cargo::rerun-if-changed=build.rs");
}
