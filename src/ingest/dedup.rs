//! De-duplication across files: the same URL or the same vendor id is the same mention;
//! without either, the same author, timestamp and text.

use crate::allocator::OsPages;
use crate::hash::{fnv1a, fnv1a_continue, KeyBuildHasher};
use crate::mention::Mention;

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
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let k = self.primary();
        (0..16).rev().map(|i| HEX[((k >> (i * 4)) & 0xf) as usize] as char).collect()
    }
}

/// Where a mention was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub file: u32,
    pub line: u64,
}

/// Remembers every mention's keys; answers whether a new one was seen before.
pub struct Deduper {
    /// Key → where it was first seen, packed ([`Packed`]), in [`SHARDS`] tables
    /// ([`shard`]). The index holds an entry per mention (two for mentions with URL and
    /// vendor id), so its size is most of what a run's memory grows by with the input.
    /// The tables are in [`OsPages`]: freed (a table that doubled, the index after ingest),
    /// their memory is the system's again at once.
    seen: Vec<Table>,
    /// Origins too large to pack (never in practice), by index.
    unpacked: Vec<Origin>,
}

/// Tables of the de-duplication index.
const SHARDS: usize = 64;

/// One table of the index: key → where it was first seen.
type Table = hashbrown::HashMap<u64, Packed, KeyBuildHasher, OsPages>;

/// A key's table. One table doubles at once when it fills: the old and the new one side by
/// side (1.5 times the new size; from mimalloc, before the tables were in [`OsPages`], the
/// old one was also kept for the purge delay: 3M two-key rows +130–160 MiB for a second,
/// the run's peak), and it is twice as large as it needs to be just after. So the keys are
/// spread unevenly over [`SHARDS`] tables, table `i` getting a share proportional to
/// `2^(i/SHARDS)`: each table doubles at another input size (one doubling per factor
/// `2^(1/SHARDS)` of keys, about 1 % more), so at any moment at most about one 64th of the
/// index is being copied, and the whole index grows in step with the input instead of in
/// jumps. The fraction is bits 32–47 of the key, which
/// neither a table's bucket (the low bits: keys are hashes, taken as they are by
/// [`KeyBuildHasher`]) nor hashbrown's tag (the top 7) uses.
fn shard(key: u64) -> usize {
    let u = ((key >> 32) & 0xffff) as f64 / 65536.0;
    // u uniform in [0, 1): P(shard < i) = 2^(i/SHARDS) − 1.
    ((SHARDS as f64 * (1.0 + u).log2()) as usize).min(SHARDS - 1)
}

impl Default for Deduper {
    fn default() -> Self {
        Deduper { seen: (0..SHARDS).map(|_| Table::with_hasher_in(KeyBuildHasher::default(), OsPages)).collect(), unpacked: Vec::new() }
    }
}

/// An [`Origin`] in 64 bits: the file in the top 23 bits, the line in the low 40; with the
/// top bit set, an index into [`Deduper::unpacked`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed(u64);

const LINE_BITS: u32 = 40;
const UNPACKED: u64 = 1 << 63;

impl Deduper {
    /// `Some(origin)` if the mention duplicates an earlier one; otherwise records it.
    pub fn check(&mut self, keys: &Keys, here: Origin) -> Option<Origin> {
        let all = [keys.url, keys.vendor_id, Some(keys.content)];
        // URL and vendor id when there are any, else the content key.
        let candidates = match (keys.url, keys.vendor_id) {
            (None, None) => &all[2..],
            _ => &all[..2],
        };
        if let Some(p) = candidates.iter().flatten().find_map(|k| self.seen[shard(*k)].get(k)) {
            return Some(self.unpack(*p));
        }
        let packed = self.pack(here);
        for k in candidates.iter().flatten() {
            self.seen[shard(*k)].insert(*k, packed);
        }
        None
    }

    fn pack(&mut self, o: Origin) -> Packed {
        if o.file < 1 << (63 - LINE_BITS) && o.line < 1 << LINE_BITS {
            return Packed((o.file as u64) << LINE_BITS | o.line);
        }
        self.unpacked.push(o);
        Packed(UNPACKED | (self.unpacked.len() - 1) as u64)
    }

    fn unpack(&self, p: Packed) -> Origin {
        if p.0 & UNPACKED != 0 {
            return self.unpacked[(p.0 & !UNPACKED) as usize];
        }
        Origin { file: (p.0 >> LINE_BITS) as u32, line: p.0 & ((1 << LINE_BITS) - 1) }
    }
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

    #[test]
    fn origins_come_back_as_recorded() {
        let mut d = Deduper::default();
        let k = |content| Keys { url: None, vendor_id: None, content };
        let origins = [
            Origin { file: 0, line: 1 },
            Origin { file: (1 << 23) - 1, line: (1 << 40) - 1 },
            Origin { file: 1 << 23, line: 7 },
            Origin { file: 3, line: u64::MAX },
        ];
        for (i, o) in origins.iter().enumerate() {
            assert_eq!(d.check(&k(i as u64), *o), None);
        }
        for (i, o) in origins.iter().enumerate() {
            assert_eq!(d.check(&k(i as u64), Origin { file: 9, line: 9 }), Some(*o));
        }
        assert_eq!(d.unpacked.len(), 2, "only the two that do not fit");
    }

    #[test]
    fn either_url_or_id_makes_a_duplicate() {
        let mut d = Deduper::default();
        let o = |line| Origin { file: 0, line };
        let k = |url: Option<u64>, id: Option<u64>, content| Keys { url, vendor_id: id, content };
        assert_eq!(d.check(&k(Some(1), Some(2), 9), o(1)), None);
        assert_eq!(d.check(&k(Some(3), Some(2), 9), o(2)), Some(o(1)));
        assert_eq!(d.check(&k(Some(1), None, 8), o(3)), Some(o(1)));
        assert_eq!(d.check(&k(None, None, 7), o(4)), None);
        assert_eq!(d.check(&k(None, None, 7), o(5)), Some(o(4)));
        // content keys never match URL-keyed mentions
        assert_eq!(d.check(&k(None, None, 9), o(6)), None);
    }

    #[test]
    fn the_index_tables_double_at_different_sizes() {
        // Keys as the ingester makes them (FNV-1a), spread over the tables unevenly: table
        // `i` gets a share proportional to 2^(i/SHARDS), so the largest about twice the
        // smallest, and every table some.
        let mut per = [0usize; SHARDS];
        let n = 400_000;
        for i in 0..n {
            per[shard(crate::hash::fnv1a(&[b"id", &(i as u64).to_le_bytes()]))] += 1;
        }
        let expected = |i: usize| n as f64 * (2f64.powf((i + 1) as f64 / SHARDS as f64) - 2f64.powf(i as f64 / SHARDS as f64));
        for (i, &got) in per.iter().enumerate() {
            assert!((got as f64 / expected(i) - 1.0).abs() < 0.1, "table {i}: {got} keys, {:.0} expected", expected(i));
        }
        assert_eq!((shard(0), shard(u64::MAX)), (0, SHARDS - 1));
        // The same keys are found again, whichever table holds them.
        let mut d = Deduper::default();
        for line in 0..10_000u64 {
            let key = crate::hash::fnv1a(&[b"url", &line.to_le_bytes()]);
            assert_eq!(d.check(&Keys { url: Some(key), vendor_id: None, content: 0 }, Origin { file: 0, line }), None);
        }
        let key = crate::hash::fnv1a(&[b"url", &1234u64.to_le_bytes()]);
        assert_eq!(d.check(&Keys { url: Some(key), vendor_id: None, content: 0 }, Origin { file: 1, line: 1 }), Some(Origin { file: 0, line: 1234 }));
    }
}
