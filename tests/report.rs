//! `report.html`: self-contained, and it renders in a real browser with the expected figures.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{repo, resonanz, stderr};

fn chromium() -> Option<PathBuf> {
    let candidates = [std::env::var("CHROME").unwrap_or_default(), "chromium".into(), "chromium-headless-shell".into(), "google-chrome".into()];
    candidates
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
        .find(|c| Command::new(c).arg("--version").output().map(|o| o.status.success()).unwrap_or(false))
}

fn demo_report(dir: &Path, lang: &str) -> String {
    let o = resonanz(&["run", repo("data").to_str().unwrap(), "--out", "out", "-q", "--lang", lang], dir);
    assert!(o.status.success(), "{}", stderr(&o));
    fs::read_to_string(dir.join("out/report.html")).unwrap()
}

#[test]
fn report_is_self_contained_and_names_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let html = demo_report(dir.path(), "de");
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains(" src="), "no scripts, no external resources");
    assert!(html.contains("<svg"), "inline charts");
    assert!(html.contains("Resonanz-Bericht 2026-10"));
    // Demo, October: 152 mentions, 5 more than September; 472 rows in, 22 duplicates.
    assert!(html.contains(r#"<div class="value">152</div><div class="delta">+5 ggü. Vorperiode</div>"#), "mentions card");
    assert!(html.contains("472 Zeilen gelesen → 450 Erwähnungen + 22 Duplikate + 0 abgelehnt"));
    let en = demo_report(dir.path(), "en");
    assert!(en.contains("Resonance report 2026-10") && en.contains("+5 vs previous period"));
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED report_renders_in_headless_chromium: no chromium found (install the Debian package `chromium`, or set CHROME)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    demo_report(dir.path(), "de");
    let page = dir.path().join("out/report.html");
    let o = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    assert!(dom.contains("Resonanz-Bericht 2026-10"), "{dom}");
    assert!(dom.contains("id=\"card-mentions\""));
    assert!(dom.contains(">152<"), "October's mentions in the rendered DOM");
    assert!(dom.contains("Top-Beschwerden") && dom.contains("Datenqualität"));
    assert!(dom.matches("<rect").count() >= 9, "trend bars rendered: 3 periods × 3 tones");
}
