//! De-duplication across files: the same URL or the same vendor id is the same mention;
//! without either, the same author, timestamp and text.

use std::fs::File;
use std::io::{self, Read, Seek, Write};

use crate::hash::{fnv1a, fnv1a_continue, KeyBuildHasher};
use crate::mention::Mention;

use super::keyset::KeySet;

/// A URL reduced to what identifies the post: scheme, `www.`/`m.`/`mobile.`, `x.com` vs
/// `twitter.com`, case of the host, a trailing slash and `utm_*` tracking parameters do not
/// make two mentions different.
pub fn canonical_url(url: &str) -> String {
    let url = url.trim();
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (host, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut host = host.to_lowercase();
    for prefix in ["www.", "mobile.", "m."] {
        if let Some(h) = host.strip_prefix(prefix) {
            host = h.to_string();
            break;
        }
    }
    if host == "x.com" {
        host = "twitter.com".into();
    }
    let (path, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (path, None),
    };
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut out = host;
    out.push_str(path.trim_end_matches('/'));
    if let Some(q) = query {
        let kept: Vec<&str> = q.split('&').filter(|p| !p.is_empty() && !p.starts_with("utm_")).collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The hash of [`canonical_url`], without building the string for the usual URL (no
/// query string, ASCII host).
fn url_key(url: &str) -> u64 {
    let u = url.trim();
    let rest = u.split_once("://").map(|(_, r)| r).unwrap_or(u);
    let (host, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !host.is_ascii() || path.contains(['?', '#']) || host.len() > 128 {
        return fnv1a(&[b"url", canonical_url(u).as_bytes()]);
    }
    let mut buf = [0u8; 128];
    let h = &mut buf[..host.len()];
    h.copy_from_slice(host.as_bytes());
    h.make_ascii_lowercase();
    let mut host: &[u8] = h;
    for prefix in [&b"www."[..], b"mobile.", b"m."] {
        if let Some(rest) = host.strip_prefix(prefix) {
            host = rest;
            break;
        }
    }
    if host == b"x.com" {
        host = b"twitter.com";
    }
    let path = path.trim_end_matches('/');
    let mut k = fnv1a(&[b"url", host]);
    k = fnv1a_continue(k, path.as_bytes());
    k
}

/// The keys a mention is known by.
pub struct Keys {
    pub url: Option<u64>,
    pub vendor_id: Option<u64>,
    pub content: u64,
}

impl Keys {
    pub fn of(m: &Mention) -> Keys {
        let url = m.url.as_deref().map(url_key);
        let vendor_id = m.vendor_id.as_deref().map(|id| fnv1a(&[b"id", m.source_tool.as_bytes(), id.as_bytes()]));
        // Only mentions without URL and id are keyed by content; hashing it costs a pass
        // over the text, so it is skipped for the others.
        let content = if url.is_none() && vendor_id.is_none() {
            let ts = m.published_at.timestamp_millis().to_le_bytes();
            let mut h = fnv1a(&[b"content", m.author.as_deref().unwrap_or("").as_bytes(), &ts]);
            for word in m.text.split_whitespace() {
                h = fnv1a_continue(h, b" ");
                h = fnv1a_continue(h, word.as_bytes());
            }
            h
        } else {
            0
        };
        Keys { url, vendor_id, content }
    }

    /// The key that names the mention: URL, else vendor id, else content.
    pub fn primary(&self) -> u64 {
        self.url.or(self.vendor_id).unwrap_or(self.content)
    }

    /// The mention id: the primary key as 16 hex digits.
    pub fn mention_id(&self) -> String {
        hex_id(self.primary())
    }
}

/// A key as 16 hex digits.
fn hex_id(k: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..16).rev().map(|i| HEX[((k >> (i * 4)) & 0xf) as usize] as char).collect()
}

/// Where a mention was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub file: u32,
    pub line: u64,
}

impl Origin {
    /// Bytes of an origin in the scratch files' records.
    const BYTES: usize = 12;

    fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut b = [0u8; Self::BYTES];
        b[..4].copy_from_slice(&self.file.to_le_bytes());
        b[4..].copy_from_slice(&self.line.to_le_bytes());
        b
    }

    fn from_bytes(b: &[u8]) -> Origin {
        Origin { file: le_u32(&b[..4]), line: le_u64(&b[4..Self::BYTES]) }
    }
}

/// A duplicate, once [`Deduper::finish`] has looked up what it repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// Where the duplicate is.
    pub at: Origin,
    /// Where the mention it repeats was first seen.
    pub of: Origin,
    /// Its primary key ([`Keys::primary`]): its mention id.
    pub key: u64,
}

impl Repeat {
    /// The duplicate's mention id, as [`Keys::mention_id`] writes it.
    pub fn mention_id(&self) -> String {
        hex_id(self.key)
    }
}

/// Remembers every mention's keys; answers whether a new one was seen before, and at the
/// end ([`Deduper::finish`]) which first mention each duplicate repeats.
///
/// Only the keys are in memory (`keyset::KeySet`, about 8 bytes a key). The index holds a key
/// per mention (two for mentions with URL and vendor id), so it is what a run's memory
/// grows by with the input. Where each key was first seen (20 bytes) and each duplicate
/// (28 bytes) go to two scratch files, read back once after ingest. (With the origins beside
/// the keys in hash tables the index took about 27 bytes a key; the keys alone in hash
/// tables, about 14.)
pub struct Deduper {
    seen: KeySet,
    /// Per key recorded: the key, the file, the line.
    firsts: Scratch<FIRST>,
    /// Per duplicate: its file and line, the key it matched, its primary key.
    repeats: Scratch<REPEAT>,
}

/// Bytes of a record in [`Deduper::firsts`] (key, origin) and in [`Deduper::repeats`]
/// (origin, matched key, primary key).
const FIRST: usize = 8 + Origin::BYTES;
const REPEAT: usize = Origin::BYTES + 8 + 8;

/// A record of [`Deduper::firsts`]: the key, then where it was first seen.
fn first_record(key: u64, at: Origin) -> [u8; FIRST] {
    let mut r = [0u8; FIRST];
    r[..8].copy_from_slice(&key.to_le_bytes());
    r[8..].copy_from_slice(&at.to_bytes());
    r
}

fn read_first(r: &[u8; FIRST]) -> (u64, Origin) {
    (le_u64(&r[..8]), Origin::from_bytes(&r[8..]))
}

/// A record of [`Deduper::repeats`]: where the duplicate is, the key it matched, its
/// primary key.
fn repeat_record(at: Origin, matched: u64, primary: u64) -> [u8; REPEAT] {
    const O: usize = Origin::BYTES;
    let mut r = [0u8; REPEAT];
    r[..O].copy_from_slice(&at.to_bytes());
    r[O..O + 8].copy_from_slice(&matched.to_le_bytes());
    r[O + 8..].copy_from_slice(&primary.to_le_bytes());
    r
}

fn read_repeat(r: &[u8; REPEAT]) -> (Origin, u64, u64) {
    const O: usize = Origin::BYTES;
    (Origin::from_bytes(&r[..O]), le_u64(&r[O..O + 8]), le_u64(&r[O + 8..]))
}

/// Duplicates resolved per pass over [`Deduper::firsts`] in [`Deduper::finish`]: bounds
/// the memory of the lookup (about 50 bytes a duplicate) whatever the number of duplicates.
const REPEATS_PER_PASS: usize = 1 << 19;

impl Deduper {
    /// An empty index, its scratch files in the system's temporary directory (`TMPDIR`),
    /// unnamed: they vanish with the process, however it ends.
    pub fn new() -> io::Result<Deduper> {
        Ok(Deduper { seen: KeySet::new(), firsts: Scratch::new()?, repeats: Scratch::new()? })
    }

    /// Whether the mention is new (then its keys are recorded) or repeats an earlier one
    /// (then it is recorded for [`Deduper::finish`]). An error is one writing a scratch file.
    pub fn check(&mut self, keys: &Keys, here: Origin) -> io::Result<Seen> {
        let all = [keys.url, keys.vendor_id, Some(keys.content)];
        // URL and vendor id when there are any, else the content key.
        let candidates = match (keys.url, keys.vendor_id) {
            (None, None) => &all[2..],
            _ => &all[..2],
        };
        if let Some(&matched) = candidates.iter().flatten().find(|k| self.seen.contains(**k)) {
            self.repeats.push(&repeat_record(here, matched, keys.primary()))?;
            return Ok(Seen::Again);
        }
        for &k in candidates.iter().flatten() {
            self.seen.insert(k);
            self.firsts.push(&first_record(k, here))?;
        }
        Ok(Seen::First)
    }

    /// Hands every duplicate to `each`, in the order they were checked, with where the
    /// mention it repeats was first seen. The keys' memory is given back first.
    pub fn finish(self, each: impl FnMut(Repeat)) -> io::Result<()> {
        self.finish_in_passes(REPEATS_PER_PASS, each)
    }

    fn finish_in_passes(self, per_pass: usize, mut each: impl FnMut(Repeat)) -> io::Result<()> {
        let Deduper { seen, firsts, repeats } = self;
        drop(seen);
        let mut firsts = firsts.into_file()?;
        let mut repeats = io::BufReader::new(repeats.into_file()?);
        let mut pass: Vec<(Origin, u64, u64)> = Vec::new();
        loop {
            pass.clear();
            let mut r = [0u8; REPEAT];
            while pass.len() < per_pass && read_record(&mut repeats, &mut r)? {
                pass.push(read_repeat(&r));
            }
            if pass.is_empty() {
                return Ok(());
            }
            let mut first: hashbrown::HashMap<u64, Option<Origin>, KeyBuildHasher> = pass.iter().map(|&(_, matched, _)| (matched, None)).collect();
            firsts.rewind()?;
            let mut log = io::BufReader::new(&mut firsts);
            let mut f = [0u8; FIRST];
            while read_record(&mut log, &mut f)? {
                let (key, origin) = read_first(&f);
                // The first record of a key is where it was first seen.
                if let Some(slot @ None) = first.get_mut(&key) {
                    *slot = Some(origin);
                }
            }
            for &(at, matched, key) in &pass {
                let of = first
                    .get(&matched)
                    .copied()
                    .flatten()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("key {matched:016x} matched but never recorded")))?;
                each(Repeat { at, of, key });
            }
        }
    }
}

/// What [`Deduper::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The first mention with these keys.
    First,
    /// A duplicate of an earlier mention.
    Again,
}

/// An unnamed temporary file of `N`-byte records, written through a buffer.
struct Scratch<const N: usize> {
    out: io::BufWriter<File>,
}

impl<const N: usize> Scratch<N> {
    fn new() -> io::Result<Self> {
        Ok(Scratch { out: io::BufWriter::with_capacity(1 << 16, tempfile::tempfile()?) })
    }

    fn push(&mut self, record: &[u8; N]) -> io::Result<()> {
        self.out.write_all(record)
    }

    /// The file, written out and rewound.
    fn into_file(self) -> io::Result<File> {
        let mut f = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        f.rewind()?;
        Ok(f)
    }
}

/// Reads one whole record; `false` at the end of the file.
fn read_record<const N: usize>(r: &mut impl Read, buf: &mut [u8; N]) -> io::Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b.try_into().expect("4 bytes"))
}

fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_that_name_the_same_post_are_equal() {
        let c = canonical_url;
        assert_eq!(c("https://www.Example.de/a/b/"), c("http://example.de/a/b"));
        assert_eq!(c("https://x.com/u/status/1"), c("http://twitter.com/u/status/1"));
        assert_eq!(c("https://m.facebook.com/p?utm_source=x&id=3"), c("https://facebook.com/p?id=3"));
        assert_ne!(c("https://facebook.com/p?comment_id=1"), c("https://facebook.com/p?comment_id=2"));
        assert_ne!(c("https://facebook.com/p#a"), c("https://facebook.com/p#b"));
    }

    #[test]
    fn golden_mention_ids() {
        // Ids are promised stable across releases: these values are pinned (computed from
        // the FNV-1a definition independently of this code). A change here breaks every
        // analyst's joins over old runs.
        use chrono::TimeZone;
        let at = chrono::Utc.timestamp_millis_opt(1_780_000_000_000).unwrap();
        let mut m = Mention::from_text("Der Zug ist  pünktlich".into(), at);
        m.author = Some("anna".into());
        assert_eq!(Keys::of(&m).mention_id(), "4b22e0de82336dfe", "by author, time and words");
        m.source_tool = "brandwatch".into();
        m.vendor_id = Some("987654321".into());
        assert_eq!(Keys::of(&m).mention_id(), "8abcacbe5ce749cd", "by the vendor's id");
        for url in ["https://x.com/resonanz/status/1234567890", "http://www.twitter.com/resonanz/status/1234567890/"] {
            m.url = Some(url.into());
            assert_eq!(Keys::of(&m).mention_id(), "f16129f542776881", "by URL: {url}");
        }
    }

    #[test]
    fn mention_ids_are_sixteen_hex_digits() {
        let k = Keys { url: Some(0x00ab_cdef_0123_4567), vendor_id: None, content: 0 };
        assert_eq!(k.mention_id(), format!("{:016x}", 0x00ab_cdef_0123_4567u64));
    }

    #[test]
    fn the_fast_url_key_equals_the_canonical_one() {
        for u in ["https://www.Example.de/a/b/", "http://x.com/u/status/1", "https://m.facebook.com/p?id=3#c", "https://straße.de/ä", "x.de"] {
            assert_eq!(url_key(u), fnv1a(&[b"url", canonical_url(u).as_bytes()]), "{u}");
        }
    }

    /// Checks `keys` at `origins` in order; returns the verdicts and the repeats found.
    fn dedup(per_pass: usize, checks: &[(Keys, Origin)]) -> (Vec<Seen>, Vec<Repeat>) {
        let mut d = Deduper::new().unwrap();
        let seen = checks.iter().map(|(k, o)| d.check(k, *o).unwrap()).collect();
        let mut repeats = Vec::new();
        d.finish_in_passes(per_pass, |r| repeats.push(r)).unwrap();
        (seen, repeats)
    }

    #[test]
    fn duplicates_come_back_in_order_with_their_first_origin() {
        let k = |content| Keys { url: None, vendor_id: None, content };
        let o = |file, line| Origin { file, line };
        let checks = [(k(1), o(0, 1)), (k(2), o(u32::MAX, u64::MAX)), (k(1), o(1, 5)), (k(3), o(1, 6)), (k(2), o(1, 7)), (k(1), o(2, 2)), (k(3), o(2, 3))];
        for per_pass in [1, 2, 1000] {
            let (seen, repeats) = dedup(per_pass, &checks);
            use Seen::*;
            assert_eq!(seen, [First, First, Again, First, Again, Again, Again], "{per_pass} a pass");
            let got: Vec<_> = repeats.iter().map(|r| (r.at, r.of, r.key)).collect();
            assert_eq!(got, [(o(1, 5), o(0, 1), 1), (o(1, 7), o(u32::MAX, u64::MAX), 2), (o(2, 2), o(0, 1), 1), (o(2, 3), o(1, 6), 3)], "{per_pass} a pass");
        }
        assert_eq!(dedup(4, &checks[..2]).1, [], "no duplicates");
    }

    #[test]
    fn either_url_or_id_makes_a_duplicate() {
        let o = |line| Origin { file: 0, line };
        let k = |url: Option<u64>, id: Option<u64>, content| Keys { url, vendor_id: id, content };
        let (seen, repeats) = dedup(
            REPEATS_PER_PASS,
            &[
                (k(Some(1), Some(2), 9), o(1)),
                (k(Some(3), Some(2), 9), o(2)),
                (k(Some(1), None, 8), o(3)),
                (k(None, None, 7), o(4)),
                (k(None, None, 7), o(5)),
                // content keys never match URL-keyed mentions
                (k(None, None, 9), o(6)),
            ],
        );
        use Seen::*;
        assert_eq!(seen, [First, Again, Again, First, Again, First]);
        let got: Vec<_> = repeats.iter().map(|r| (r.at, r.of, r.mention_id())).collect();
        let id = |k: u64| format!("{k:016x}");
        assert_eq!(got, [(o(2), o(1), id(3)), (o(3), o(1), id(1)), (o(5), o(4), id(7))]);
    }

    #[test]
    fn a_key_seen_among_many_is_found_again() {
        let url = |line: u64| Keys { url: Some(crate::hash::fnv1a(&[b"url", &line.to_le_bytes()])), vendor_id: None, content: 0 };
        let mut checks: Vec<_> = (0..10_000u64).map(|line| (url(line), Origin { file: 0, line })).collect();
        checks.push((url(1234), Origin { file: 1, line: 1 }));
        let (seen, repeats) = dedup(REPEATS_PER_PASS, &checks);
        assert_eq!(seen.iter().filter(|s| **s == Seen::First).count(), 10_000);
        assert_eq!(repeats.iter().map(|r| (r.at, r.of)).collect::<Vec<_>>(), [(Origin { file: 1, line: 1 }, Origin { file: 0, line: 1234 })]);
    }
}
