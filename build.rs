//! Compresses the shipped models (`models/*/model.json`, `models/sentiment/domains.json` and
//! `route.json`) into `OUT_DIR`, each under its own path plus `.zst`, for
//! `resonanz::classify` to embed and inflate when a model is loaded. The JSON files stay the
//! source of truth.

use std::{env, fs, path::PathBuf};

/// The files embedded (`classify::shipped!` names the same paths).
const MODELS: [&str; 5] =
    ["models/sentiment/model.json", "models/sentiment/domains.json", "models/sentiment/route.json", "models/relevance/model.json", "models/topic/model.json"];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for source in MODELS {
        println!("cargo::rerun-if-changed={source}");
        let json = fs::read(source).unwrap_or_else(|e| panic!("{source}: {e}"));
        let packed = zstd::bulk::compress(&json, 9).unwrap_or_else(|e| panic!("{source}: {e}"));
        let target = out.join(format!("{source}.zst"));
        fs::create_dir_all(target.parent().expect("a path under OUT_DIR")).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        fs::write(&target, packed).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
    }
    println!("cargo::rerun-if-changed=build.rs");
}
