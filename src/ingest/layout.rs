//! Vendor layouts: alias tables (data, in `layouts.toml`) that map a header onto the
//! canonical mention fields, and the detection of the layout from a header.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono_tz::Tz;
use serde::Deserialize;

use super::fields::{self, DateOrder};
use super::IngestError;
use crate::mention::Channel;

const BUILTIN: &str = include_str!("layouts.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    layout: Vec<Layout>,
}

/// One tool's export layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Sets of header names; the layout matches a header that contains all names of one set.
    #[serde(default)]
    pub signatures: Vec<Vec<String>>,
    /// Time zone of dates written without an offset (IANA name).
    #[serde(default = "default_tz")]
    pub naive_timezone: String,
    /// Channel for rows whose channel column and URL say nothing.
    #[serde(default)]
    pub default_channel: Option<Channel>,
    /// The mention's link built from its cells when no URL column is present:
    /// `https://twitter.com/{author.username}/status/{id}` (header names in braces).
    #[serde(default)]
    pub url_template: Option<String>,
    /// How the vendor's sentiment column is written: `signed` (labels, `-1/0/1`, scores;
    /// the default) or `stars` (1–5: 1–2 negative, 3 neutral, 4–5 positive).
    #[serde(default)]
    pub tool_sentiment_scale: SentimentScale,
    pub columns: Columns,
}

/// See [`Layout::tool_sentiment_scale`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentScale {
    #[default]
    Signed,
    Stars,
}

/// A piece of a URL template: text as it is, or a column's cell.
#[derive(Debug, Clone, PartialEq)]
pub enum UrlPiece {
    Text(String),
    Cell(usize),
}

fn default_tz() -> String {
    "Europe/Berlin".into()
}

/// Candidate header names per canonical field, in order of preference.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    #[serde(default)]
    pub published_at: Vec<String>,
    #[serde(default)]
    pub time: Vec<String>,
    #[serde(default)]
    pub text: Vec<String>,
    #[serde(default)]
    pub title: Vec<String>,
    #[serde(default)]
    pub url: Vec<String>,
    #[serde(default)]
    pub vendor_id: Vec<String>,
    #[serde(default)]
    pub author: Vec<String>,
    #[serde(default)]
    pub channel: Vec<String>,
    #[serde(default)]
    pub language: Vec<String>,
    #[serde(default)]
    pub country: Vec<String>,
    #[serde(default)]
    pub reach: Vec<String>,
    #[serde(default)]
    pub engagement: Vec<String>,
    #[serde(default)]
    pub engagement_parts: Vec<String>,
    #[serde(default)]
    pub tool_sentiment: Vec<String>,
    #[serde(default)]
    pub query: Vec<String>,
}

impl Columns {
    fn all(&self) -> impl Iterator<Item = &String> {
        [
            &self.published_at,
            &self.time,
            &self.text,
            &self.title,
            &self.url,
            &self.vendor_id,
            &self.author,
            &self.channel,
            &self.language,
            &self.country,
            &self.reach,
            &self.engagement,
            &self.engagement_parts,
            &self.tool_sentiment,
            &self.query,
        ]
        .into_iter()
        .flatten()
    }
}

/// The layouts to try, user-supplied ones first.
#[derive(Debug, Clone)]
pub struct Layouts {
    list: Vec<Layout>,
    known: HashSet<String>,
}

impl Layouts {
    pub fn builtin() -> Layouts {
        let file: LayoutFile = toml::from_str(BUILTIN).expect("built-in layouts.toml is valid");
        Layouts::new(file.layout)
    }

    /// Built-in layouts plus the user's file, whose layouts are tried first.
    pub fn with_user_file(path: &Path) -> Result<Layouts, IngestError> {
        let text = std::fs::read_to_string(path).map_err(|source| IngestError::Io { path: path.to_path_buf(), source })?;
        let user: LayoutFile = crate::message::parse_toml(&text).map_err(|e| IngestError::Layouts { path: path.to_path_buf(), message: e.to_string() })?;
        for l in &user.layout {
            l.naive_timezone.parse::<Tz>().map_err(|_| IngestError::Layouts {
                path: path.to_path_buf(),
                message: format!("layout `{}`: unknown time zone `{}`", l.name, l.naive_timezone),
            })?;
        }
        let mut list = user.layout;
        list.extend(Layouts::builtin().list);
        Ok(Layouts::new(list))
    }

    fn new(list: Vec<Layout>) -> Layouts {
        let known = list.iter().flat_map(|l| l.columns.all()).map(|h| norm_header(h)).collect();
        Layouts { list, known }
    }

    /// Whether a header cell is a column name some layout knows (for header detection).
    pub fn is_known(&self, cell: &str) -> bool {
        self.known.contains(&norm_header(cell))
    }

    /// The best layout for a header: among layouts with a matching signature, the one whose
    /// aliases recognise the most columns; otherwise the layout named `generic`.
    pub fn detect(&self, header: &[String]) -> &Layout {
        let names: HashSet<String> = header.iter().map(|h| norm_header(h)).collect();
        let mut best: Option<(&Layout, usize)> = None;
        for layout in &self.list {
            let matches = layout.signatures.iter().any(|sig| !sig.is_empty() && sig.iter().all(|s| names.contains(&norm_header(s))));
            if !matches {
                continue;
            }
            let known: HashSet<String> = layout.columns.all().map(|c| norm_header(c)).collect();
            let covered = names.iter().filter(|n| known.contains(*n)).count();
            if best.is_none_or(|(_, c)| covered > c) {
                best = Some((layout, covered));
            }
        }
        match best {
            Some((l, _)) => l,
            None => self.list.iter().find(|l| l.name == "generic").unwrap_or(&self.list[self.list.len() - 1]),
        }
    }
}

/// Header names compared loosely: lowercase, umlauts spelled out, only letters and digits.
pub fn norm_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim_start_matches(['\u{feff}', 'ÿ', 'þ']).chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// Column indexes of the canonical fields in one file.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    pub published_at: Option<usize>,
    pub time: Option<usize>,
    pub text: Vec<usize>,
    pub title: Option<usize>,
    pub url: Option<usize>,
    pub vendor_id: Option<usize>,
    pub author: Option<usize>,
    pub channel: Vec<usize>,
    pub language: Option<usize>,
    pub country: Option<usize>,
    pub reach: Option<usize>,
    pub engagement: Option<usize>,
    pub engagement_parts: Vec<usize>,
    pub tool_sentiment: Option<usize>,
    pub query: Option<usize>,
    /// The layout's URL template with its columns found, when there is no URL column.
    pub url_template: Option<Vec<UrlPiece>>,
}

/// A template's pieces with each `{column}` resolved by `find`; `None` when a column is
/// missing or a brace is unclosed.
fn template_pieces(template: &str, find: impl Fn(&str) -> Option<usize>) -> Option<Vec<UrlPiece>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(UrlPiece::Text(rest[..open].to_string()));
        }
        let close = rest[open..].find('}')? + open;
        pieces.push(UrlPiece::Cell(find(&rest[open + 1..close])?));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(UrlPiece::Text(rest.to_string()));
    }
    Some(pieces)
}

impl ColumnMap {
    /// The template's URL for one row's cells; `None` when a cell it needs is empty.
    pub fn url_from_template(&self, mut cell: impl FnMut(usize) -> String) -> Option<String> {
        let pieces = self.url_template.as_ref()?;
        let mut url = String::new();
        for p in pieces {
            match p {
                UrlPiece::Text(t) => url.push_str(t),
                UrlPiece::Cell(i) => {
                    let v = cell(*i);
                    let v = v.trim();
                    if v.is_empty() {
                        return None;
                    }
                    url.push_str(v);
                }
            }
        }
        Some(url)
    }
}

/// A header naming a picture or media column (`author.profile_image_url`, `Avatar`,
/// `thumbnail`, `Profilbild`).
fn is_media_header(name: &str) -> bool {
    const WORDS: [&str; 12] = ["image", "img", "avatar", "picture", "photo", "thumbnail", "media", "logo", "icon", "profilbild", "bild", "banner"];
    let n = name.to_lowercase();
    WORDS.iter().any(|w| n.contains(w))
}

/// A URL of a picture or video file, or on a host that serves only those.
fn is_media_url(v: &str) -> bool {
    const HOSTS: [&str; 6] = ["pbs.twimg.com", "abs.twimg.com", "i.ytimg.com", "yt3.ggpht.com", "scontent", "fbcdn.net"];
    const EXTENSIONS: [&str; 8] = [".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".mp4", ".bmp"];
    let l = v.to_lowercase();
    let path = l.split(['?', '#']).next().unwrap_or(&l);
    HOSTS.iter().any(|h| l.contains(h)) || EXTENSIONS.iter().any(|e| path.ends_with(e))
}

impl ColumnMap {
    /// Maps a header through a layout's aliases; date, text and URL columns the aliases miss
    /// are found by their content in `sample` rows.
    pub fn resolve(layout: &Layout, header: &[String], sample: &[Vec<String>], order: DateOrder) -> ColumnMap {
        let names: Vec<String> = header.iter().map(|h| norm_header(h)).collect();
        let find = |aliases: &[String]| -> Option<usize> {
            aliases.iter().find_map(|a| {
                let a = norm_header(a);
                names.iter().position(|n| *n == a)
            })
        };
        let find_all = |aliases: &[String]| -> Vec<usize> {
            let mut out = Vec::new();
            for a in aliases {
                let a = norm_header(a);
                if let Some(i) = names.iter().position(|n| *n == a) {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
            out
        };
        let c = &layout.columns;
        let mut map = ColumnMap {
            published_at: find(&c.published_at),
            time: find(&c.time),
            text: find_all(&c.text),
            title: find(&c.title),
            url: find(&c.url),
            vendor_id: find(&c.vendor_id),
            author: find(&c.author),
            channel: find_all(&c.channel),
            language: find(&c.language),
            country: find(&c.country),
            reach: find(&c.reach),
            engagement: find(&c.engagement),
            engagement_parts: find_all(&c.engagement_parts),
            tool_sentiment: find(&c.tool_sentiment),
            query: find(&c.query),
            url_template: None,
        };
        if map.url.is_none() {
            map.url_template = layout.url_template.as_deref().and_then(|t| template_pieces(t, |name| find(&[name.to_string()])));
        }
        if map.time == map.published_at {
            map.time = None;
        }
        map.fill_by_content(&names, sample, order);
        map
    }

    fn fill_by_content(&mut self, names: &[String], sample: &[Vec<String>], order: DateOrder) {
        let width = names.len();
        let column = |i: usize| sample.iter().filter_map(move |r| r.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty());
        let used: Vec<usize> = self.text.iter().copied().chain(self.published_at).chain(self.url).collect();
        let share = |i: usize, pred: &dyn Fn(&str) -> bool| -> f64 {
            let (mut n, mut ok) = (0usize, 0usize);
            for v in column(i) {
                n += 1;
                ok += pred(v) as usize;
            }
            if n == 0 {
                0.0
            } else {
                ok as f64 / n as f64
            }
        };
        if self.published_at.is_none() {
            self.published_at = (0..width).filter(|i| !used.contains(i)).find(|&i| share(i, &|v| fields::parse_date(v, order).is_ok()) >= 0.8);
        }
        if self.url.is_none() && self.url_template.is_none() {
            // A column of links, one per post: not pictures, and not one link for many rows
            // (a profile image, the company's `Domain Url`): as the mention's link either
            // would make distinct posts duplicates of each other.
            let distinct = |i: usize| {
                let values: Vec<&str> = column(i).collect();
                let unique: std::collections::HashSet<&str> = values.iter().copied().collect();
                values.len() < 3 || unique.len() * 10 >= values.len() * 9
            };
            self.url = (0..width)
                .filter(|i| !used.contains(i) && Some(*i) != self.published_at && !is_media_header(&names[*i]))
                .find(|&i| share(i, &|v| v.starts_with("http://") || v.starts_with("https://")) >= 0.8 && share(i, &is_media_url) < 0.5 && distinct(i));
        }
        if self.text.is_empty() {
            let mut best: Option<(usize, f64)> = None;
            for i in 0..width {
                if Some(i) == self.published_at || Some(i) == self.url {
                    continue;
                }
                let lens: Vec<usize> = column(i).map(|v| v.chars().count()).collect();
                if lens.is_empty() || share(i, &|v| fields::parse_count(v).is_ok()) > 0.5 {
                    continue;
                }
                let mean = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
                let has_spaces = share(i, &|v| v.contains(' '));
                if mean >= 15.0 && has_spaces >= 0.5 && best.is_none_or(|(_, m)| mean > m) {
                    best = Some((i, mean));
                }
            }
            if let Some((i, _)) = best {
                self.text.push(i);
            }
        }
    }

    /// `field → header name` for `inspect` and `summary.json`.
    pub fn describe(&self, header: &[String]) -> BTreeMap<String, String> {
        let name = |i: &usize| header.get(*i).cloned().unwrap_or_default();
        let join = |v: &[usize]| v.iter().map(name).collect::<Vec<_>>().join(" > ");
        let mut out = BTreeMap::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                out.insert(k.to_string(), v);
            }
        };
        put("published_at", self.published_at.as_ref().map(name));
        put("time", self.time.as_ref().map(name));
        put("text", Some(join(&self.text)));
        put("title", self.title.as_ref().map(name));
        put(
            "url",
            self.url.as_ref().map(name).or_else(|| {
                self.url_template.as_ref().map(|pieces| {
                    pieces
                        .iter()
                        .map(|p| match p {
                            UrlPiece::Text(t) => t.clone(),
                            UrlPiece::Cell(i) => format!("{{{}}}", name(i)),
                        })
                        .collect()
                })
            }),
        );
        put("vendor_id", self.vendor_id.as_ref().map(name));
        put("author", self.author.as_ref().map(name));
        put("channel", Some(join(&self.channel)));
        put("language", self.language.as_ref().map(name));
        put("country", self.country.as_ref().map(name));
        put("reach", self.reach.as_ref().map(name));
        put("engagement", self.engagement.as_ref().map(name));
        put("engagement_parts", Some(self.engagement_parts.iter().map(name).collect::<Vec<_>>().join(" + ")));
        put("tool_sentiment", self.tool_sentiment.as_ref().map(name));
        put("query", self.query.as_ref().map(name));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn header_names_compare_loosely() {
        assert_eq!(norm_header("Full Text"), norm_header("fullText"));
        assert_eq!(norm_header("extra_author_attributes.short_name"), norm_header("extra author attributes short name"));
        assert_eq!(norm_header("Tonalität"), norm_header("TONALITAET"));
        assert_eq!(norm_header("\u{feff}Date"), "date");
    }

    #[test]
    fn detects_vendors_by_signature() {
        let l = Layouts::builtin();
        assert_eq!(l.detect(&h(&["Query Id", "Date", "Full Text", "Page Type", "Url"])).name, "brandwatch");
        assert_eq!(l.detect(&h(&["Date", "Headline", "URL", "Opening Text", "Hit Sentence"])).name, "meltwater");
        assert_eq!(l.detect(&h(&["url", "published", "content", "title"])).name, "talkwalker");
        assert_eq!(l.detect(&h(&["", "ID", "Date", "Hrs", "Title", "Content", "Source"])).name, "brand24");
        assert_eq!(l.detect(&h(&["Datum", "Kanal", "Text", "Link"])).name, "excel_de");
        assert_eq!(l.detect(&h(&["date", "text"])).name, "generic");
    }

    #[test]
    fn unknown_columns_are_found_by_content() {
        let l = Layouts::builtin();
        let header = h(&["Erfasst", "Kundenstimme", "Verweis", "Punkte"]);
        let sample = vec![
            h(&["2024-05-03 10:15", "Der Service war leider wieder sehr langsam", "https://a.de/1", "3"]),
            h(&["2024-05-04 11:00", "Top Beratung auf der Messe, danke!", "https://a.de/2", "5"]),
        ];
        let layout = l.detect(&header);
        let map = ColumnMap::resolve(layout, &header, &sample, DateOrder::Dmy);
        assert_eq!(map.published_at, Some(0));
        assert_eq!(map.text, vec![1]);
        assert_eq!(map.url, Some(2));
    }

    #[test]
    fn user_layouts_must_be_valid_toml_with_known_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.toml");
        std::fs::write(&p, "[[layout]]\nname='x'\nsignatures=[['A','B']]\ncolour='red'\n[layout.columns]\n").unwrap();
        let err = Layouts::with_user_file(&p).unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
    }
}
