//! Helpers: fixture paths, a fresh work directory, running the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn resonanz(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_resonanz")).args(args).current_dir(cwd).env_remove("RUST_BACKTRACE").output().expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `inspect --json` for one file, as JSON.
pub fn inspect_json(file: &Path) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let o = resonanz(&["inspect", "--json", file.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "inspect failed: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("inspect --json prints JSON");
    v[0].clone()
}
