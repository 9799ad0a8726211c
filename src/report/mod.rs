//! Report: the run's outputs — `mentions.parquet` (canonical schema), `rejects.csv`,
//! `duplicates.csv`, `warnings.csv` and `summary.json` — all written atomically.

pub mod atomic;
pub mod html;
mod mentions;

use std::io::Write;

use serde::Serialize;

pub use atomic::Staging;
pub use mentions::{mentions_frame, MentionSink, MentionWriter, MENTION_COLUMNS};

/// A CSV cell made safe for spreadsheets: a cell starting with `=`, `+`, `-`, `@`, tab or CR
/// would be run as a formula by Excel, so it gets a leading apostrophe.
pub fn safe_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}").into(),
        _ => s.into(),
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
