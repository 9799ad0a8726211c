//! Report: the run's outputs — `mentions.parquet` (canonical schema), `rejects.csv`,
//! `duplicates.csv`, `warnings.csv` and `summary.json` — all written atomically.

pub mod atomic;
pub mod html;
mod mentions;

use std::io::Write;

use serde::Serialize;

pub use atomic::Staging;
pub use mentions::{mentions_frame, scan_mentions, MentionSink, MentionWriter, MENTION_COLUMNS};

/// A CSV cell made safe for spreadsheets: a cell starting with `=`, `+`, `-`, `@`, tab or CR
/// would be run as a formula by Excel, so it gets a leading apostrophe.
pub fn safe_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// CSV for one table: comma, `.` decimals, UTF-8; or with `excel` the German Excel variant:
/// `;`, decimal comma, UTF-8 BOM. Text cells are escaped against formula injection.
pub fn to_csv(df: &polars::prelude::DataFrame, excel: bool) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if excel {
        buf.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut w = csv::WriterBuilder::new().delimiter(if excel { b';' } else { b',' }).from_writer(buf);
    let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
    w.write_record(&names)?;
    let columns = df.columns();
    for i in 0..df.height() {
        let row: Vec<String> = columns.iter().map(|c| cell(c.get(i).unwrap_or(polars::prelude::AnyValue::Null), excel)).collect();
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

fn cell(v: polars::prelude::AnyValue, excel: bool) -> String {
    let decimal = |s: String| if excel { s.replace('.', ",") } else { s };
    use polars::prelude::AnyValue;
    match v {
        AnyValue::Null => String::new(),
        AnyValue::Float64(f) => decimal(format!("{}", (f * 1e6).round() / 1e6)),
        AnyValue::Float32(f) => decimal(format!("{}", (f as f64 * 1e6).round() / 1e6)),
        AnyValue::String(s) => safe_cell(s).into_owned(),
        AnyValue::StringOwned(s) => safe_cell(&s).into_owned(),
        AnyValue::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A CSV table written row by row (UTF-8, comma, header first, cells escaped).
pub struct CsvTable<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvTable<W> {
    pub fn new(w: W, header: &[&str]) -> csv::Result<CsvTable<W>> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(header)?;
        Ok(CsvTable { out })
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> csv::Result<()> {
        self.out.write_record(cells.into_iter().map(|c| safe_cell(c).into_owned()))
    }

    pub fn finish(self) -> std::io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// A stable pseudonym for a name: `anon-` and 16 hex digits of HMAC-SHA256 under `key`.
/// Without the key the name cannot be recovered or matched against a list of names.
pub fn pseudonym(key: &[u8], name: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(name.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("anon-{hex}")
}

/// Hosts whose first path segment names an account (`x.com/<handle>/status/…`).
const HANDLE_HOSTS: [&str; 6] = ["twitter.com", "x.com", "instagram.com", "tiktok.com", "threads.net", "mastodon.social"];
/// First path segments on those hosts that are not accounts.
const NOT_HANDLES: [&str; 12] = ["i", "status", "p", "reel", "reels", "hashtag", "search", "explore", "intent", "share", "home", "tag"];

/// A mention's URL with its author taken out: the author's name or handle wherever it
/// occurs (any case), and the account segment of social-network links, become the author's
/// pseudonym. Returns the URL unchanged when there is nothing to replace.
pub fn pseudonymize_url(key: &[u8], url: &str, author: Option<&str>) -> String {
    let mut out = url.to_string();
    if let Some(a) = author {
        let handle = a.trim().trim_start_matches('@');
        if handle.chars().count() >= 2 {
            let alias = pseudonym(key, a);
            let lower = out.to_lowercase();
            let needle = handle.to_lowercase();
            if lower.len() == out.len() && needle.len() == handle.len() {
                let mut rebuilt = String::with_capacity(out.len());
                let mut at = 0;
                for (i, _) in lower.match_indices(&needle) {
                    if i >= at {
                        rebuilt.push_str(&out[at..i]);
                        rebuilt.push_str(&alias);
                        at = i + needle.len();
                    }
                }
                rebuilt.push_str(&out[at..]);
                out = rebuilt;
            }
        }
    }
    // The account segment of social links, whoever it names (a retweet's original author).
    let (scheme, rest) = match out.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r.to_string()),
        None => (String::new(), out.clone()),
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest.as_str(), ""));
    let bare = host.to_ascii_lowercase();
    let bare = bare.trim_start_matches("www.").trim_start_matches("mobile.").trim_start_matches("m.");
    if HANDLE_HOSTS.contains(&bare) {
        let (first, tail) = path.split_once('/').map_or((path, None), |(f, t)| (f, Some(t)));
        let name = first.trim_start_matches('@');
        if !name.is_empty() && !name.starts_with("anon-") && !NOT_HANDLES.contains(&name.to_ascii_lowercase().as_str()) && !name.contains(['?', '#']) {
            let alias = pseudonym(key, name);
            return match tail {
                Some(t) => format!("{scheme}{host}/{alias}/{t}"),
                None => format!("{scheme}{host}/{alias}"),
            };
        }
    }
    out
}

/// Writes a value as pretty JSON followed by a newline.
pub fn to_json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(value).unwrap_or_default();
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonymized_urls_keep_no_handle() {
        let k = b"a key of sixteen+";
        let u = pseudonymize_url(k, "https://twitter.com/MaxMuster/status/123", Some("@maxmuster"));
        assert!(!u.to_lowercase().contains("maxmuster") && u.ends_with("/status/123") && u.contains("anon-"), "{u}");
        let rt = pseudonymize_url(k, "https://x.com/someone_else/status/9", Some("Max"));
        assert!(!rt.contains("someone_else"), "{rt}");
        let fb = pseudonymize_url(k, "https://www.facebook.com/jana.beispiel/posts/1", Some("jana.beispiel"));
        assert!(!fb.contains("jana.beispiel"), "{fb}");
        assert_eq!(pseudonymize_url(k, "https://www.welt.de/artikel/1", Some("Redaktion")), "https://www.welt.de/artikel/1");
        assert_eq!(pseudonymize_url(k, "https://x.com/i/web/status/1", None), "https://x.com/i/web/status/1");
    }

    #[test]
    fn formulas_are_escaped() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("-1"), "'-1");
        assert_eq!(safe_cell("@user"), "'@user");
        assert_eq!(safe_cell("Hallo"), "Hallo");
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_hide_the_name() {
        let a = pseudonym(b"key one", "Jürgen H.");
        assert_eq!(a, pseudonym(b"key one", "Jürgen H."));
        assert_ne!(a, pseudonym(b"key two", "Jürgen H."));
        assert_ne!(a, pseudonym(b"key one", "Jürgen K."));
        assert!(a.starts_with("anon-") && a.len() == 21 && !a.contains("Jürgen"));
    }
}
