//! Encoding detection and decoding: UTF-8 (with or without BOM), UTF-16LE/BE, Windows-1252.
//!
//! UTF-8 files are read as bytes without transcoding; a cell that is not valid UTF-8 is
//! decoded as Windows-1252 on its own (see [`cell_str`]). UTF-16 and Windows-1252 files are
//! transcoded to UTF-8 while streaming.

use std::borrow::Cow;
use std::io::Read;

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

/// What the first bytes of a file say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Text {
        encoding: Encoding,
        bom: bool,
    },
    /// A ZIP (XLSX, ODS) or OLE2 (XLS) container: read as a spreadsheet.
    Spreadsheet,
    Empty,
    /// Not text: NUL bytes or control characters where text would have none.
    Binary,
    /// Text in an encoding we do not read, or whose byte order mark contradicts its
    /// content: why, naming the encoding.
    Unsupported(&'static str),
}

/// Whether bytes look like UTF-16 (NUL in every other byte of mostly-ASCII text):
/// `Some(true)` little-endian, `Some(false)` big-endian.
fn utf16_pattern(sample: &[u8]) -> Option<bool> {
    let head = &sample[..sample.len().min(4096) & !1];
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let even_nul = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 10 >= pairs * 7 && even_nul * 10 < pairs {
        return Some(true);
    }
    if even_nul * 10 >= pairs * 7 && odd_nul * 10 < pairs {
        return Some(false);
    }
    None
}

/// Detects the encoding from a sample of the file's first bytes. `complete` says whether
/// the sample is the whole file (so a cut multi-byte character at its end is an error).
pub fn sniff(sample: &[u8], complete: bool) -> Sniffed {
    if sample.starts_with(b"PK\x03\x04") || sample.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Sniffed::Spreadsheet;
    }
    if sample.starts_with(&[0xFF, 0xFE, 0x00, 0x00]) || sample.starts_with(&[0x00, 0x00, 0xFE, 0xFF]) {
        return Sniffed::Unsupported("UTF-32 (byte order mark): not read; save the export as UTF-8 or UTF-16");
    }
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        if utf16_pattern(&sample[3..]).is_some() {
            return Sniffed::Unsupported("a UTF-8 byte order mark before UTF-16 text: the encoding contradicts itself; save the export again as UTF-8");
        }
        return text_or_empty(&sample[3..], Encoding::Utf8, true);
    }
    if sample.starts_with(&[0xFF, 0xFE]) {
        return text_or_empty(&sample[2..], Encoding::Utf16Le, true);
    }
    if sample.starts_with(&[0xFE, 0xFF]) {
        return text_or_empty(&sample[2..], Encoding::Utf16Be, true);
    }
    if sample.iter().all(|b| b.is_ascii_whitespace()) {
        return Sniffed::Empty;
    }
    // UTF-16 without BOM: NUL in every other byte of mostly-ASCII text.
    match utf16_pattern(sample) {
        Some(true) => return Sniffed::Text { encoding: Encoding::Utf16Le, bom: false },
        Some(false) => return Sniffed::Text { encoding: Encoding::Utf16Be, bom: false },
        None => {}
    }
    let controls = sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)).count();
    if controls * 100 > sample.len() {
        return Sniffed::Binary;
    }
    Sniffed::Text { encoding: utf8_or_1252(sample, complete), bom: false }
}

fn text_or_empty(rest: &[u8], encoding: Encoding, bom: bool) -> Sniffed {
    let blank = match encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => rest.iter().all(|b| *b == 0 || b.is_ascii_whitespace()),
        _ => rest.iter().all(|b| b.is_ascii_whitespace()),
    };
    if blank {
        Sniffed::Empty
    } else {
        Sniffed::Text { encoding, bom }
    }
}

/// UTF-8 unless the sample has invalid sequences and (almost) no valid multi-byte
/// characters: Windows-1252 text practically never forms valid UTF-8 sequences, so a UTF-8
/// file with one stray Windows-1252 record stays UTF-8 (that record is repaired per cell).
fn utf8_or_1252(sample: &[u8], complete: bool) -> Encoding {
    // Characters that Windows-1252 bytes form by accident when read as UTF-8 (`ß€` is
    // U+07C0), but real text hardly contains: C1 controls and the Syriac/Thaana/NKo block.
    let implausible = |c: char| matches!(c as u32, 0x80..=0x9F | 0x0700..=0x07FF);
    // What German UTF-8 text is made of (umlauts, `ß`, `€`, typographic quotes and dashes,
    // emoji) weighs twice what the rest of U+0100–U+07FF does: an upper-case umlaut or `ß`
    // before a Windows-1252 symbol forms such a character too (`Ä€` is U+0100 `Ā`).
    let typical = |c: char| matches!(c as u32, 0xA0..=0xFF | 0x2000..=0x20CF) || c as u32 >= 0x0800;
    let (mut plausible_multi, mut odd) = (0usize, 0usize);
    let mut count = |s: &str| {
        for c in s.chars().filter(|c| !c.is_ascii()) {
            if implausible(c) {
                odd += 1;
            } else {
                plausible_multi += if typical(c) { 2 } else { 1 };
            }
        }
    };
    let mut rest = sample;
    let mut invalid = 0usize;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                count(s);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                count(std::str::from_utf8(good).unwrap_or_default());
                match e.error_len() {
                    Some(n) => {
                        invalid += 1;
                        rest = &bad[n..];
                    }
                    None => {
                        // A character cut by the end of the sample is fine; at the end of the
                        // file it is not.
                        invalid += complete as usize;
                        break;
                    }
                }
            }
        }
    }
    let against = invalid + odd;
    if against > 0 && plausible_multi * 2 < against {
        Encoding::Windows1252
    } else {
        Encoding::Utf8
    }
}

/// A reader that yields UTF-8 (for UTF-8 input: the bytes as they are, BOM removed).
pub fn utf8_reader<R: Read + Send + 'static>(mut inner: R, encoding: Encoding) -> Box<dyn Read + Send> {
    let enc = match encoding {
        Encoding::Utf8 => {
            // Pass the bytes through untouched, without a BOM.
            let mut head = Vec::with_capacity(3);
            let _ = (&mut inner).take(3).read_to_end(&mut head);
            if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
                head.clear();
            }
            return Box::new(std::io::Cursor::new(head).chain(inner));
        }
        Encoding::Utf16Le => UTF_16LE,
        Encoding::Utf16Be => UTF_16BE,
        Encoding::Windows1252 => WINDOWS_1252,
    };
    Box::new(DecodeReaderBytesBuilder::new().encoding(Some(enc)).bom_override(true).build(inner))
}

/// The sample decoded for sniffing the dialect.
pub fn decode_sample(sample: &[u8], encoding: Encoding) -> String {
    let mut out = String::new();
    let mut r = utf8_reader(std::io::Cursor::new(sample.to_vec()), encoding);
    let mut bytes = Vec::new();
    if r.read_to_end(&mut bytes).is_ok() {
        out = String::from_utf8_lossy(&bytes).into_owned();
    }
    out
}

/// What had to be repaired in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Repairs {
    pub windows_1252: bool,
    pub nul_removed: bool,
}

/// A cell as text: valid UTF-8 as it is (no copy), anything else decoded as Windows-1252;
/// NUL characters are removed.
pub fn cell_str(bytes: &[u8]) -> (Cow<'_, str>, Repairs) {
    let mut repairs = Repairs::default();
    let mut s = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            repairs.windows_1252 = true;
            let (decoded, _, _) = WINDOWS_1252.decode(bytes);
            Cow::Owned(decoded.into_owned())
        }
    };
    if s.contains('\0') {
        repairs.nul_removed = true;
        s = Cow::Owned(s.replace('\0', ""));
    }
    (s, repairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_told_apart() {
        let t = |e, b| Sniffed::Text { encoding: e, bom: b };
        assert_eq!(sniff(b"date,text\n2024-01-01,gr\xc3\xbc\xc3\x9f\n", true), t(Encoding::Utf8, false));
        assert_eq!(sniff(b"\xef\xbb\xbfdate,text\n", true), t(Encoding::Utf8, true));
        assert_eq!(sniff(b"\xff\xfed\0a\0t\0e\0", true), t(Encoding::Utf16Le, true));
        assert_eq!(sniff(b"\xfe\xff\0d\0a\0t\0e", true), t(Encoding::Utf16Be, true));
        assert_eq!(sniff(b"d\0a\0t\0e\0,\0t\0e\0x\0t\0", true), t(Encoding::Utf16Le, false));
        assert_eq!(sniff(b"Datum;Text\n01.02.2024;Gr\xfc\xdfe aus M\xfcnchen\n", true), t(Encoding::Windows1252, false));
        // one stray Windows-1252 cell among UTF-8 umlauts stays UTF-8
        assert_eq!(sniff("a,b\nä,ö,ü\nx,\u{fc}\n".as_bytes().iter().copied().chain(*b"\xfc\n").collect::<Vec<_>>().as_slice(), true), t(Encoding::Utf8, false));
        // Windows-1252 bytes that happen to be valid UTF-8 (`ß€` = U+07C0)
        assert_eq!(sniff(b"text\n\xdf\x80?\n", true), t(Encoding::Windows1252, false));
        // … or a rarer letter (`Ä€` = U+0100 `Ā`) beside four invalid bytes (`–`, `ü`, `ß`, `ö`)
        assert_eq!(sniff(b"text\nA \x96 Gr\xfc\xdfe aus K\xf6ln\n\xc4\x80!\n", true), t(Encoding::Windows1252, false));
        // while such letters in numbers keep a UTF-8 file with one stray record UTF-8
        assert_eq!(sniff("text\nŁukasz, Dvořák, Škoda\n".bytes().chain(*b"Gr\xfc\xdfe\n").collect::<Vec<_>>().as_slice(), true), t(Encoding::Utf8, false));
        assert_eq!(sniff(b"", true), Sniffed::Empty);
        assert_eq!(sniff(b"\xef\xbb\xbf  \r\n", true), Sniffed::Empty);
        assert_eq!(sniff(b"PK\x03\x04rest", false), Sniffed::Spreadsheet);
        assert!(matches!(sniff(b"\xff\xfe\0\0d\0\0\0a\0\0\0", true), Sniffed::Unsupported(w) if w.starts_with("UTF-32")));
        assert!(matches!(sniff(b"\xef\xbb\xbfd\0a\0t\0e\0,\0t\0", true), Sniffed::Unsupported(w) if w.contains("UTF-8 byte order mark before UTF-16")));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0", true), Sniffed::Binary);
    }

    #[test]
    fn cells_are_repaired_not_lost() {
        let (s, r) = cell_str(b"Gr\xfc\xdfe");
        assert_eq!(s, "Grüße");
        assert!(r.windows_1252);
        let (s, r) = cell_str(b"a\0b\0c");
        assert_eq!(s, "abc");
        assert!(r.nul_removed);
        let (s, r) = cell_str("Grüße".as_bytes());
        assert!(matches!(s, Cow::Borrowed(_)));
        assert_eq!(r, Repairs::default());
    }

    #[test]
    fn utf16_is_transcoded_while_streaming() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Datum\tText\r\n1.2.2024\tGrüße 👍\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let mut out = String::new();
        utf8_reader(std::io::Cursor::new(bytes), Encoding::Utf16Le).read_to_string(&mut out).unwrap();
        assert_eq!(out, "Datum\tText\r\n1.2.2024\tGrüße 👍\r\n");
    }
}

/// Shared view of where a [`CrlfToLf`] stream ended: total bytes emitted and whether the
/// last one was a line feed (set once the inner reader is exhausted).
#[derive(Debug, Default)]
pub struct StreamEnd {
    total: std::sync::atomic::AtomicU64,
    ended: std::sync::atomic::AtomicBool,
    last_is_lf: std::sync::atomic::AtomicBool,
    /// Whether the last byte that is not a space, tab or line feed is a quote.
    ends_in_quote: std::sync::atomic::AtomicBool,
}

impl StreamEnd {
    /// Whether a record that ends at byte `consumed` is the file's last one and has no line
    /// terminator after it: the file ends without a line feed, or its final line feed sits
    /// inside the record's last cell (a quote never closed).
    pub fn unterminated_at(&self, consumed: u64, last_cell_ends_with_lf: bool) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.ended.load(Relaxed) && self.total.load(Relaxed) == consumed && (!self.last_is_lf.load(Relaxed) || last_cell_ends_with_lf)
    }

    /// Whether a record that ends at byte `consumed` is the file's last one and the file
    /// does not end in a quote (spaces and line breaks after it aside). Such a record whose
    /// last cell runs over lines (only quotes make a cell do that) opened a quote that was
    /// never closed, and the lines after it were read into that cell.
    pub fn open_quote_at(&self, consumed: u64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.ended.load(Relaxed) && self.total.load(Relaxed) == consumed && !self.ends_in_quote.load(Relaxed)
    }
}

/// Turns CRLF and a lone CR (old Mac, some Excel exports) into LF while streaming, so that
/// every line ends in one LF and line numbers are counted the same way for every file: the
/// CSV reader splits records at CR as well as LF but counts lines at LF only, so a CR kept
/// would put every record on the header's line. A CR inside a quoted cell becomes LF too.
pub struct CrlfToLf<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    pending_cr: bool,
    eof: bool,
    emitted: u64,
    last: u8,
    /// The last byte emitted that is not a space, tab or line feed.
    last_significant: u8,
    end_state: std::sync::Arc<StreamEnd>,
}

impl<R: Read> CrlfToLf<R> {
    pub fn new(inner: R, end_state: std::sync::Arc<StreamEnd>) -> CrlfToLf<R> {
        CrlfToLf {
            inner,
            buf: vec![0; 1 << 16].into_boxed_slice(),
            start: 0,
            end: 0,
            pending_cr: false,
            eof: false,
            emitted: 0,
            last: 0,
            last_significant: 0,
            end_state,
        }
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use std::sync::atomic::Ordering::Relaxed;
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.start == self.end {
                if self.eof {
                    if self.pending_cr {
                        self.pending_cr = false;
                        out[0] = b'\n';
                        self.emitted += 1;
                        self.last = b'\n';
                        return Ok(1);
                    }
                    self.end_state.total.store(self.emitted, Relaxed);
                    self.end_state.last_is_lf.store(self.last == b'\n', Relaxed);
                    self.end_state.ends_in_quote.store(self.last_significant == b'"', Relaxed);
                    self.end_state.ended.store(true, Relaxed);
                    return Ok(0);
                }
                let n = self.inner.read(&mut self.buf)?;
                self.start = 0;
                self.end = n;
                if n == 0 {
                    self.eof = true;
                }
                continue;
            }
            let mut w = 0;
            if self.pending_cr {
                self.pending_cr = false;
                if self.buf[self.start] != b'\n' {
                    out[w] = b'\n';
                    w += 1;
                }
            }
            // Copy runs up to each CR; drop the CR of every CRLF.
            while self.start < self.end && w < out.len() {
                let avail = &self.buf[self.start..self.end];
                let room = out.len() - w;
                let run = memchr::memchr(b'\r', &avail[..avail.len().min(room)]);
                match run {
                    None => {
                        let n = avail.len().min(room);
                        out[w..w + n].copy_from_slice(&avail[..n]);
                        w += n;
                        self.start += n;
                    }
                    Some(i) => {
                        out[w..w + i].copy_from_slice(&avail[..i]);
                        w += i;
                        self.start += i + 1; // past the CR
                        if self.start == self.end {
                            self.pending_cr = true;
                            break;
                        }
                        if self.buf[self.start] != b'\n' {
                            if w == out.len() {
                                self.start -= 1; // no room for the lone CR: keep it for later
                                break;
                            }
                            out[w] = b'\n';
                            w += 1;
                        }
                    }
                }
            }
            if w > 0 {
                self.emitted += w as u64;
                self.last = out[w - 1];
                if let Some(&b) = out[..w].iter().rev().find(|b| !matches!(b, b' ' | b'\t' | b'\n')) {
                    self.last_significant = b;
                }
                return Ok(w);
            }
        }
    }
}

/// The 1-based line where a record starts, from the reader's line count after reading it
/// (LF-only input: every LF counted), the line feeds inside its cells, and whether it was
/// the last record with no line feed after it.
pub fn record_start_line(line_after: u64, embedded_lf: u64, unterminated: bool) -> u64 {
    let end_line = if unterminated { line_after } else { line_after.saturating_sub(1) };
    end_line.saturating_sub(embedded_lf).max(1)
}

#[cfg(test)]
mod crlf_tests {
    use super::*;

    #[test]
    fn crlf_becomes_lf_across_buffer_edges() {
        for input in [&b"a\r\nb\r\n"[..], b"a\rb\r", b"\r\n\r\n", b"x\r", b"plain\n"] {
            let end = std::sync::Arc::new(StreamEnd::default());
            let mut r = CrlfToLf::new(std::io::Cursor::new(input.to_vec()), end.clone());
            r.buf = vec![0; 1].into_boxed_slice(); // one byte at a time
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            let want = String::from_utf8_lossy(input).replace("\r\n", "\n").replace('\r', "\n");
            assert_eq!(String::from_utf8_lossy(&out), want);
            assert_eq!(end.unterminated_at(out.len() as u64, false), !want.ends_with('\n'));
        }
    }
}
