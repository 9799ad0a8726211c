//! Field parsers for export cells: dates in the vendors' formats, numbers in German or
//! English notation, vendor sentiment labels, channels, languages and countries.
//!
//! Every parser takes any string and never panics; failures are values.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::mention::{Channel, ToolSentiment};

/// How to read an all-numeric date like `05/03/2024` whose order the value itself does not
/// reveal. Decided per file from a sample (a value with a first part above 12 proves `Dmy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    #[default]
    Dmy,
    Mdy,
}

/// A parsed date before it is placed in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    pub naive: NaiveDateTime,
    /// Offset east of UTC in seconds, when the value carries one (`Z`, `+01:00`, epoch).
    pub offset_secs: Option<i32>,
    /// Whether the value had a time of day (a bare date gets 00:00).
    pub has_time: bool,
}

impl ParsedDate {
    /// The instant in UTC; values without an offset are read as local time in `tz`.
    /// In the hour skipped by a DST change the time is read with the offset before it; in the
    /// repeated hour the earlier instant is taken.
    pub fn to_utc(&self, tz: Tz) -> DateTime<Utc> {
        if let Some(off) = self.offset_secs {
            return Utc.from_utc_datetime(&(self.naive - Duration::seconds(off as i64)));
        }
        match tz.from_local_datetime(&self.naive) {
            LocalResult::Single(dt) => dt.with_timezone(&Utc),
            LocalResult::Ambiguous(early, _) => early.with_timezone(&Utc),
            LocalResult::None => {
                // A day earlier is safely before the change: use that offset.
                let before = tz.offset_from_utc_datetime(&(self.naive - Duration::days(1)));
                let off = chrono::Offset::fix(&before).local_minus_utc();
                Utc.from_utc_datetime(&(self.naive - Duration::seconds(off as i64)))
            }
        }
    }

    /// Adds a separate time-of-day (Brand24 `Hrs`, Meltwater `Time`) to a bare date.
    pub fn with_time(mut self, time: NaiveTime) -> ParsedDate {
        self.naive = self.naive.date().and_time(time);
        self.has_time = true;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    Empty,
    /// The value is not in any date format we know.
    Unrecognised,
    /// The value has a date shape but names a day, month or time that does not exist.
    DoesNotExist,
}

impl DateError {
    pub fn describe(self) -> &'static str {
        match self {
            DateError::Empty => "date is empty",
            DateError::Unrecognised => "date is in no known format",
            DateError::DoesNotExist => "date does not exist (day, month or time out of range)",
        }
    }
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("januar", 1),
    ("jan", 1),
    ("jänner", 1),
    ("jän", 1),
    ("february", 2),
    ("februar", 2),
    ("feb", 2),
    ("march", 3),
    ("märz", 3),
    ("maerz", 3),
    ("mar", 3),
    ("mär", 3),
    ("mrz", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("mai", 5),
    ("june", 6),
    ("juni", 6),
    ("jun", 6),
    ("july", 7),
    ("juli", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oktober", 10),
    ("oct", 10),
    ("okt", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dezember", 12),
    ("dec", 12),
    ("dez", 12),
];

const WEEKDAYS: &[&str] = &[
    "mon",
    "monday",
    "tue",
    "tues",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thurs",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
    "mo",
    "di",
    "mi",
    "do",
    "fr",
    "sa",
    "so",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
];

fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(name, _)| *name == w).map(|&(_, m)| m)
}

/// A cursor over the bytes of a date string.
struct Cur<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cur<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    /// A run of ASCII digits: (value, number of digits). Runs longer than 18 digits fail.
    fn num(&mut self) -> Option<(u64, usize)> {
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            if self.i - start >= 18 {
                return None;
            }
            v = v * 10 + (c - b'0') as u64;
            self.i += 1;
        }
        let len = self.i - start;
        (len > 0).then_some((v, len))
    }
    /// A run of letters (any script), e.g. `März`, `AM`, `UTC`.
    fn word(&mut self) -> Option<&'a str> {
        let rest = &self.s[self.i..];
        let len: usize = rest.char_indices().take_while(|(_, c)| c.is_alphabetic()).map(|(i, c)| i + c.len_utf8()).last().unwrap_or(0);
        if len == 0 {
            return None;
        }
        self.i += len;
        Some(&rest[..len])
    }
    fn peek_word(&self) -> Option<&'a str> {
        let mut c = Cur { s: self.s, i: self.i };
        c.word()
    }
}

fn year(v: u64, len: usize) -> Option<i32> {
    match len {
        2 => Some(if v < 70 { 2000 + v as i32 } else { 1900 + v as i32 }),
        4 => Some(v as i32),
        _ => None,
    }
}

/// Parses a date or date-time in any of the formats listed in the product contract:
/// ISO 8601 with or without offset (`2024-05-03T10:15:00+02:00`, `2024-05-03 10:15:00.0`),
/// `15-Nov-2023 10:30AM`, German `03.05.2024 10:15` and `3. Mai 2024`, slashed dates
/// (`order` decides `05/03/2024`), RFC 2822 and Twitter API dates, and epoch seconds or
/// milliseconds.
pub fn parse_date(s: &str, order: DateOrder) -> Result<ParsedDate, DateError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(DateError::Empty);
    }
    if let Some(epoch) = parse_epoch(s) {
        return epoch;
    }
    let mut c = Cur { s, i: 0 };
    let (mut y, m, d, year_last) = parse_date_part(&mut c, order)?;
    let time = parse_time_part(&mut c)?;
    let offset = parse_zone(&mut c)?;
    if year_last {
        c.skip_ws();
        let (v, len) = c.num().ok_or(DateError::Unrecognised)?;
        y = year(v, len).ok_or(DateError::Unrecognised)?;
    }
    c.skip_ws();
    if !c.at_end() {
        return Err(DateError::Unrecognised);
    }
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or(DateError::DoesNotExist)?;
    Ok(ParsedDate { naive: date.and_time(time.unwrap_or(NaiveTime::MIN)), offset_secs: offset, has_time: time.is_some() })
}

fn parse_epoch(s: &str) -> Option<Result<ParsedDate, DateError>> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if !(9..=16).contains(&int.len()) || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = int.parse().ok()?;
    let dt = match int.len() {
        9..=11 => DateTime::from_timestamp(v, 0),
        12..=14 => DateTime::from_timestamp_millis(v),
        _ => DateTime::from_timestamp_micros(v),
    };
    Some(match dt {
        Some(dt) => Ok(ParsedDate { naive: dt.naive_utc(), offset_secs: Some(0), has_time: true }),
        None => Err(DateError::DoesNotExist),
    })
}

/// Returns (year, month, day, year_follows_time) — the last is true for the Twitter API
/// format `Wed Oct 10 20:19:24 +0000 2018`, where the year comes last.
fn parse_date_part(c: &mut Cur<'_>, order: DateOrder) -> Result<(i32, u32, u32, bool), DateError> {
    let u = DateError::Unrecognised;
    if let Some(w) = c.peek_word() {
        // Weekday prefix (RFC 2822 `Mon, 14 Mar 2016 ...`, Twitter `Mon Mar 14 ...`).
        let lw = w.to_lowercase();
        if WEEKDAYS.contains(&lw.as_str()) {
            c.word();
            c.eat(b'.');
            c.eat(b',');
            c.skip_ws();
        }
    }
    if let Some(w) = c.peek_word() {
        // `March 14, 2016` or Twitter `Mar 14 10:21:05 +0000 2016`.
        let m = month_number(w).ok_or(u)?;
        c.word();
        c.eat(b'.');
        c.skip_ws();
        let (d, _) = c.num().ok_or(u)?;
        c.eat(b',');
        c.skip_ws();
        let save = c.i;
        if let Some((v, 4)) = c.num() {
            if !matches!(c.peek(), Some(b':')) {
                return Ok((v as i32, m, d as u32, false));
            }
        }
        c.i = save;
        return Ok((0, m, d as u32, true));
    }
    let (n1, l1) = c.num().ok_or(u)?;
    if l1 == 4 {
        // ISO-like: 2024-05-03, 2024/05/03, 2024.05.03
        let sep = c.peek().ok_or(u)?;
        if !matches!(sep, b'-' | b'/' | b'.') {
            return Err(u);
        }
        c.i += 1;
        let (m, _) = c.num().ok_or(u)?;
        if !c.eat(sep) {
            return Err(u);
        }
        let (d, dl) = c.num().ok_or(u)?;
        if dl > 2 {
            return Err(u);
        }
        return Ok((n1 as i32, m as u32, d as u32, false));
    }
    if l1 > 2 {
        return Err(u);
    }
    match c.peek() {
        Some(b'.') => {
            c.i += 1;
            c.skip_ws();
            if let Some(w) = c.peek_word() {
                // 3. Mai 2024
                let m = month_number(w).ok_or(u)?;
                c.word();
                c.eat(b'.');
                c.skip_ws();
                let (yv, yl) = c.num().ok_or(u)?;
                return Ok((year(yv, yl).ok_or(u)?, m, n1 as u32, false));
            }
            let (m, ml) = c.num().ok_or(u)?;
            if ml > 2 || !c.eat(b'.') {
                return Err(u);
            }
            let (yv, yl) = c.num().ok_or(u)?;
            Ok((year(yv, yl).ok_or(u)?, m as u32, n1 as u32, false))
        }
        Some(sep @ (b'/' | b'-')) => {
            c.i += 1;
            if let Some(w) = c.peek_word() {
                // 15-Nov-2023
                let m = month_number(w).ok_or(u)?;
                c.word();
                if !c.eat(sep) {
                    return Err(u);
                }
                let (yv, yl) = c.num().ok_or(u)?;
                return Ok((year(yv, yl).ok_or(u)?, m, n1 as u32, false));
            }
            let (n2, l2) = c.num().ok_or(u)?;
            if l2 > 2 || !c.eat(sep) {
                return Err(u);
            }
            let (yv, yl) = c.num().ok_or(u)?;
            let y = year(yv, yl).ok_or(u)?;
            let (d, m) = match order_of(n1, n2, order) {
                DateOrder::Dmy => (n1, n2),
                DateOrder::Mdy => (n2, n1),
            };
            Ok((y, m as u32, d as u32, false))
        }
        Some(b' ') => {
            // 14 March 2016
            c.skip_ws();
            let w = c.word().ok_or(u)?;
            let m = month_number(w).ok_or(u)?;
            c.eat(b'.');
            c.eat(b',');
            c.skip_ws();
            let (yv, yl) = c.num().ok_or(u)?;
            Ok((year(yv, yl).ok_or(u)?, m, n1 as u32, false))
        }
        _ => Err(u),
    }
}

/// The order a slashed date must have, given its two leading numbers.
fn order_of(n1: u64, n2: u64, default: DateOrder) -> DateOrder {
    if n1 > 12 {
        DateOrder::Dmy
    } else if n2 > 12 {
        DateOrder::Mdy
    } else {
        default
    }
}

/// For the sniffer: what a slashed date value proves about the file's date order.
pub fn slashed_date_order(s: &str) -> Option<DateOrder> {
    let s = s.trim();
    let mut parts = s.splitn(3, '/');
    let a: u64 = parts.next()?.trim().parse().ok()?;
    let b: u64 = parts.next()?.trim().parse().ok()?;
    parts.next()?;
    if a > 12 && b <= 12 {
        Some(DateOrder::Dmy)
    } else if b > 12 && a <= 12 {
        Some(DateOrder::Mdy)
    } else {
        None
    }
}

fn parse_time_part(c: &mut Cur<'_>) -> Result<Option<NaiveTime>, DateError> {
    let save = c.i;
    // Separator between date and time: `T`, space, comma, or German "um".
    if !c.eat(b'T') {
        c.eat(b',');
        c.skip_ws();
        if let Some(w) = c.peek_word() {
            if w.eq_ignore_ascii_case("um") || w.eq_ignore_ascii_case("at") {
                c.word();
                c.skip_ws();
            }
        }
    }
    let Some((h, hl)) = c.num() else {
        c.i = save;
        return Ok(None);
    };
    let u = DateError::Unrecognised;
    if hl > 2 || !(c.eat(b':') || c.eat(b'.')) {
        if hl == 4 {
            // a Twitter-style year, not a time
            c.i = save;
            return Ok(None);
        }
        return Err(u);
    }
    let (mi, ml) = c.num().ok_or(u)?;
    if ml != 2 {
        return Err(u);
    }
    let mut sec = 0;
    let mut nanos = 0u32;
    if c.eat(b':') {
        let (sv, sl) = c.num().ok_or(u)?;
        if sl != 2 {
            return Err(u);
        }
        sec = sv;
        if matches!(c.peek(), Some(b'.' | b',')) {
            c.i += 1;
            let (fv, fl) = c.num().ok_or(u)?;
            nanos = if fl >= 9 { (fv / 10u64.pow((fl - 9) as u32)) as u32 } else { (fv * 10u64.pow((9 - fl) as u32)) as u32 };
        }
    }
    c.skip_ws();
    let mut hour = h;
    if let Some(w) = c.peek_word() {
        let lw = w.to_ascii_lowercase();
        if lw == "am" || lw == "pm" {
            c.word();
            if !(1..=12).contains(&hour) {
                return Err(DateError::DoesNotExist);
            }
            hour = match (lw.as_str(), hour) {
                ("am", 12) => 0,
                ("pm", 12) => 12,
                ("pm", h) => h + 12,
                (_, h) => h,
            };
        } else if lw == "uhr" {
            c.word();
        }
    }
    NaiveTime::from_hms_nano_opt(hour as u32, mi as u32, sec as u32, nanos).map(Some).ok_or(DateError::DoesNotExist)
}

fn parse_zone(c: &mut Cur<'_>) -> Result<Option<i32>, DateError> {
    c.skip_ws();
    let u = DateError::Unrecognised;
    let mut base: Option<i32> = None;
    if let Some(w) = c.peek_word() {
        let named = match w.to_ascii_uppercase().as_str() {
            "Z" | "UTC" | "GMT" | "WET" => Some(0),
            "MEZ" | "CET" | "BST" | "WEST" => Some(3600),
            "MESZ" | "CEST" | "EET" => Some(7200),
            "EEST" | "MSK" => Some(3 * 3600),
            "HKT" | "SGT" => Some(8 * 3600),
            "JST" => Some(9 * 3600),
            "AEST" => Some(10 * 3600),
            "AEDT" => Some(11 * 3600),
            "NZST" => Some(12 * 3600),
            "NZDT" => Some(13 * 3600),
            "BRT" => Some(-3 * 3600),
            "EDT" => Some(-4 * 3600),
            "EST" | "CDT" => Some(-5 * 3600),
            "MDT" => Some(-6 * 3600),
            "MST" | "PDT" => Some(-7 * 3600),
            "PST" => Some(-8 * 3600),
            // CST and IST name several zones: not guessed.
            _ => None,
        };
        if let Some(off) = named {
            c.word();
            base = Some(off);
        } else {
            return Ok(None);
        }
    }
    let sign = match c.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Ok(base),
    };
    c.i += 1;
    let (v, l) = c.num().ok_or(u)?;
    let (h, m) = match l {
        1 | 2 => {
            if c.eat(b':') {
                let (m, ml) = c.num().ok_or(u)?;
                if ml != 2 {
                    return Err(u);
                }
                (v, m)
            } else {
                (v, 0)
            }
        }
        4 => (v / 100, v % 100),
        _ => return Err(u),
    };
    if h > 14 || m > 59 {
        return Err(DateError::DoesNotExist);
    }
    Ok(Some(base.unwrap_or(0) + sign * (h as i32 * 3600 + m as i32 * 60)))
}

/// Parses a time of day on its own (`10:21`, `09:21 AM`), for separate time columns.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let mut c = Cur { s: s.trim(), i: 0 };
    let t = parse_time_part(&mut c).ok()??;
    c.skip_ws();
    c.at_end().then_some(t)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberError;

/// Parses a count (reach, engagement, likes) in German or English notation:
/// `12.345`, `1.234.567`, `12,345`, `1.234,5`, `3,5`, `12 345`, `1'234`, `1,2K`, `3 Mio.`.
/// Empty cells and spreadsheet errors (`#DIV/0!`, `#N/A`, `-`, `n/a`) are `Ok(None)`.
pub fn parse_count(s: &str) -> Result<Option<i64>, NumberError> {
    let s = s.trim();
    if !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map(Some).map_err(|_| NumberError); // the common case, no allocation
    }
    let lower = s.to_lowercase();
    if s.is_empty()
        || matches!(lower.as_str(), "-" | "–" | "n/a" | "na" | "null" | "none" | "nan" | "k.a." | "keine angabe")
        || (s.starts_with('#') && (s.ends_with('!') || lower == "#n/a" || lower == "#nv"))
    {
        return Ok(None);
    }
    let (neg, body) = match lower.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, lower.strip_prefix('+').unwrap_or(&lower)),
    };
    let (num, mult) = split_suffix(body);
    let cleaned: String = num.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’')).collect();
    if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return Err(NumberError);
    }
    let value = parse_grouped(&cleaned, mult != 1.0).ok_or(NumberError)? * mult;
    if !value.is_finite() || value.abs() > 9.0e18 {
        return Err(NumberError);
    }
    let v = value.round() as i64;
    Ok(Some(if neg { -v } else { v }))
}

fn split_suffix(s: &str) -> (&str, f64) {
    const SUFFIXES: &[(&str, f64)] =
        &[("mrd.", 1e9), ("mrd", 1e9), ("bn", 1e9), ("b", 1e9), ("mio.", 1e6), ("mio", 1e6), ("m", 1e6), ("tsd.", 1e3), ("tsd", 1e3), ("k", 1e3)];
    for (suf, mult) in SUFFIXES {
        if let Some(rest) = s.strip_suffix(suf) {
            return (rest.trim_end(), *mult);
        }
    }
    (s, 1.0)
}

/// Digits with `.` and `,` as thousands or decimal separators.
fn parse_grouped(s: &str, has_suffix: bool) -> Option<f64> {
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    let (thousands, decimal) = match (dots, commas) {
        (0, 0) => return s.parse().ok(),
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { '.' } else { ',' };
            let n = dots + commas;
            let (head, tail) = s.rsplit_once(sep)?;
            if n > 1 || (tail.len() == 3 && !head.is_empty() && head.len() <= 3 && !has_suffix) {
                (Some(sep), None)
            } else {
                (None, Some(sep))
            }
        }
        _ => {
            let last_dot = s.rfind('.')?;
            let last_comma = s.rfind(',')?;
            if last_dot > last_comma {
                (Some(','), Some('.'))
            } else {
                (Some('.'), Some(','))
            }
        }
    };
    let (int_part, frac_part) = match decimal {
        Some(d) => {
            let (i, f) = s.rsplit_once(d)?;
            if f.contains(['.', ',']) {
                return None;
            }
            (i, f)
        }
        None => (s, ""),
    };
    let digits: String = match thousands {
        Some(t) => {
            let mut groups = int_part.split(t);
            let first = groups.next()?;
            if first.is_empty() || first.len() > 3 {
                return None;
            }
            let mut out = first.to_string();
            for g in groups {
                if g.len() != 3 {
                    return None;
                }
                out.push_str(g);
            }
            out
        }
        None => int_part.to_string(),
    };
    if digits.is_empty() && frac_part.is_empty() {
        return None;
    }
    let text = format!("{}.{}", if digits.is_empty() { "0" } else { &digits }, if frac_part.is_empty() { "0" } else { frac_part });
    text.parse().ok()
}

/// A star rating (1–5, `4,0`, `★★★★`) as a vendor sentiment: 1–2 negative, 3 neutral,
/// 4–5 positive; anything else unknown.
pub fn stars_sentiment(s: &str) -> ToolSentiment {
    let t = s.trim();
    let stars = if !t.is_empty() && t.chars().all(|c| c == '★') { Some(t.chars().count() as f64) } else { t.replace(',', ".").parse::<f64>().ok() };
    match stars {
        Some(v) if (1.0..3.0).contains(&v) => ToolSentiment::Negative,
        Some(v) if (3.0..4.0).contains(&v) => ToolSentiment::Neutral,
        Some(v) if (4.0..=5.0).contains(&v) => ToolSentiment::Positive,
        _ => ToolSentiment::Unknown,
    }
}

/// Normalizes a vendor's sentiment label: words in English and German (any case), `+`/`-`,
/// and numeric scores of any range by their sign. `Not Rated`, `Unknown`, empty → `Unknown`.
pub fn parse_tool_sentiment(s: &str) -> ToolSentiment {
    let t = s.trim();
    if t.is_empty() {
        return ToolSentiment::Unknown;
    }
    let normalized = t.replace(',', ".");
    if let Ok(v) = normalized.parse::<f64>() {
        return if !v.is_finite() {
            ToolSentiment::Unknown
        } else if v > 0.0 {
            ToolSentiment::Positive
        } else if v < 0.0 {
            ToolSentiment::Negative
        } else {
            ToolSentiment::Neutral
        };
    }
    let l = t.to_lowercase();
    match l.as_str() {
        "+" | "pos" => return ToolSentiment::Positive,
        "-" | "neg" => return ToolSentiment::Negative,
        _ => {}
    }
    if l.contains("not rated") || l.contains("nicht bewertet") || l.contains("unknown") || l.contains("unbekannt") {
        ToolSentiment::Unknown
    } else if l.contains("negativ") {
        ToolSentiment::Negative
    } else if l.contains("positiv") {
        ToolSentiment::Positive
    } else if l.contains("neutr") {
        ToolSentiment::Neutral
    } else {
        ToolSentiment::Unknown
    }
}

/// The host of a URL, lowercased, without `www.`/`m.`/`mobile.` and port.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://").map(|(_, r)| r).unwrap_or(url.trim());
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let host = host.split(':').next()?.to_lowercase();
    let host = host.strip_prefix("www.").or_else(|| host.strip_prefix("m.")).or_else(|| host.strip_prefix("mobile.")).unwrap_or(&host).to_string();
    (!host.is_empty() && host.contains('.')).then_some(host)
}

/// Channel from a URL's host, for hosts that say what they are.
pub fn channel_from_url(url: &str) -> Option<Channel> {
    let host = url_host(url)?;
    let is = |d: &str| host == d || host.ends_with(&format!(".{d}"));
    Some(if is("twitter.com") || is("x.com") || is("t.co") {
        Channel::Twitter
    } else if is("facebook.com") || is("fb.com") || is("fb.me") {
        Channel::Facebook
    } else if is("instagram.com") {
        Channel::Instagram
    } else if is("linkedin.com") || is("lnkd.in") {
        Channel::Linkedin
    } else if is("xing.com") {
        Channel::Xing
    } else if is("youtube.com") || is("youtu.be") {
        Channel::Youtube
    } else if is("tiktok.com") {
        Channel::Tiktok
    } else if is("pinterest.com") || is("pinterest.de") || is("pin.it") {
        Channel::Pinterest
    } else if is("kununu.com")
        || host.starts_with("glassdoor.")
        || host.contains("trustpilot.")
        || is("proven-expert.com")
        || is("provenexpert.com")
        || is("trustedshops.de")
    {
        Channel::Review
    } else if is("gutefrage.net") || is("reddit.com") || host.starts_with("forum.") || host.contains("forum") {
        Channel::Forum
    } else if host.contains("blog") || is("wordpress.com") || is("medium.com") || is("tumblr.com") {
        Channel::Blog
    } else {
        return None;
    })
}

/// Channel from a vendor's channel/page-type/media-type value
/// (`twitter`, `SOCIALMEDIA_FACEBOOK`, `Online-News`, `Forums`, `Bewertungsportal`, ...).
pub fn channel_from_label(label: &str) -> Option<Channel> {
    let t = label.trim();
    if t.is_empty() {
        return None;
    }
    // Labels repeat on every row: lowercase short ASCII ones on the stack.
    let mut buf = [0u8; 48];
    let owned;
    let l: &str = if t.len() <= buf.len() && t.is_ascii() {
        buf[..t.len()].copy_from_slice(t.as_bytes());
        buf[..t.len()].make_ascii_lowercase();
        std::str::from_utf8(&buf[..t.len()]).unwrap_or(t)
    } else {
        owned = t.to_lowercase();
        &owned
    };
    let l = l.strip_prefix("socialmedia_").unwrap_or(l);
    if l.contains('.') {
        // A domain given as the source name (Meltwater `Source`).
        return channel_from_url(l);
    }
    let has = |w: &str| l.contains(w);
    Some(if l == "x" || has("twitter") || has("tweet") || l == "x (twitter)" {
        Channel::Twitter
    } else if has("facebook") || l == "fb" {
        Channel::Facebook
    } else if has("instagram") {
        Channel::Instagram
    } else if has("linkedin") {
        Channel::Linkedin
    } else if has("xing") {
        Channel::Xing
    } else if has("youtube") || has("video") {
        Channel::Youtube
    } else if has("tiktok") {
        Channel::Tiktok
    } else if has("pinterest") {
        Channel::Pinterest
    } else if has("review") || has("bewertung") || has("rating") || has("kununu") || has("glassdoor") {
        Channel::Review
    } else if has("forum") || has("messageboard") || has("board") || has("community") || has("reddit") || has("q&a") {
        Channel::Forum
    } else if has("blog") {
        Channel::Blog
    } else if has("news")
        || has("nachricht")
        || has("press")
        || has("print")
        || has("zeitung")
        || has("magazin")
        || has("online")
        || has("radio")
        || has("tv")
        || has("broadcast")
        || l == "media"
        || l == "medien"
    {
        Channel::News
    } else {
        return None;
    })
}

/// ISO 639-1 code for a language name or code (`German`, `Deutsch`, `de-DE` → `de`).
pub fn normalize_language(s: &str) -> Option<String> {
    let t = s.trim();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_lowercase()) {
        return Some(t.to_string()); // already a code: the common case
    }
    let l = t.to_lowercase();
    // No language given: left to detection.
    if ["", "und", "unknown", "unbekannt", "n/a", "na", "-", "none", "other", "not available", "zxx", "xx"].contains(&l.as_str()) {
        return None;
    }
    const NAMES: &[(&[&str], &str)] = &[
        (&["german", "deutsch", "ger", "deu"], "de"),
        (&["english", "englisch", "eng"], "en"),
        (&["french", "französisch", "fra", "fre", "francais", "français"], "fr"),
        (&["italian", "italienisch", "ita"], "it"),
        (&["spanish", "spanisch", "spa", "español"], "es"),
        (&["portuguese", "portugiesisch", "por"], "pt"),
        (&["russian", "russisch", "rus"], "ru"),
        (&["arabic", "arabisch", "ara"], "ar"),
        (&["dutch", "niederländisch", "nld", "nl"], "nl"),
        (&["polish", "polnisch", "pol"], "pl"),
        (&["turkish", "türkisch", "tur"], "tr"),
    ];
    for (names, code) in NAMES {
        if names.contains(&l.as_str()) {
            return Some(code.to_string());
        }
    }
    let base = l.split(['-', '_']).next().unwrap_or(&l);
    if base.len() == 2 && base.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(base.to_string());
    }
    Some(s.trim().to_string())
}

/// ISO 3166-1 alpha-2 code for a country name or code (`Germany`, `Deutschland`, `de` → `DE`).
pub fn normalize_country(s: &str) -> Option<String> {
    let t = s.trim();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()) {
        return Some(t.to_string()); // already a code: the common case
    }
    let l = t.to_lowercase();
    // No language given: left to detection.
    if ["", "und", "unknown", "unbekannt", "n/a", "na", "-", "none", "other", "not available", "zxx", "xx"].contains(&l.as_str()) {
        return None;
    }
    const NAMES: &[(&[&str], &str)] = &[
        (&["germany", "deutschland", "deu", "ger"], "DE"),
        (&["austria", "österreich", "oesterreich", "aut"], "AT"),
        (&["switzerland", "schweiz", "suisse", "svizzera", "che"], "CH"),
        (&["liechtenstein"], "LI"),
        (&["luxembourg", "luxemburg"], "LU"),
        (&["united states", "usa", "united states of america", "vereinigte staaten"], "US"),
        (&["united kingdom", "uk", "great britain", "vereinigtes königreich", "großbritannien"], "GB"),
        (&["france", "frankreich"], "FR"),
        (&["italy", "italien"], "IT"),
        (&["spain", "spanien"], "ES"),
        (&["netherlands", "niederlande", "the netherlands"], "NL"),
        (&["belgium", "belgien"], "BE"),
        (&["poland", "polen"], "PL"),
        (&["denmark", "dänemark"], "DK"),
        (&["czech republic", "czechia", "tschechien"], "CZ"),
    ];
    for (names, code) in NAMES {
        if names.contains(&l.as_str()) {
            return Some(code.to_string());
        }
    }
    if l.len() == 2 && l.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(l.to_uppercase());
    }
    Some(s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        parse_date(s, DateOrder::Dmy).unwrap().to_utc(chrono_tz::Europe::Berlin).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    #[test]
    fn vendor_date_formats() {
        assert_eq!(utc("2016-03-14 09:21:05.0"), "2016-03-14T08:21:05.000Z"); // naive → Berlin
        assert_eq!(utc("2016-03-14T10:21:05.000+01:00"), "2016-03-14T09:21:05.000Z");
        assert_eq!(utc("2016-03-14T09:21:05Z"), "2016-03-14T09:21:05.000Z");
        assert_eq!(utc("2016-03-14T09:21:05.000+0000"), "2016-03-14T09:21:05.000Z");
        assert_eq!(utc("15-Nov-2023 10:30AM"), "2023-11-15T09:30:00.000Z");
        assert_eq!(utc("15-Nov-2023 12:30 AM"), "2023-11-14T23:30:00.000Z");
        assert_eq!(utc("14-Mar-16"), "2016-03-13T23:00:00.000Z");
        assert_eq!(utc("03.05.2024 10:15"), "2024-05-03T08:15:00.000Z");
        assert_eq!(utc("3.5.24"), "2024-05-02T22:00:00.000Z");
        assert_eq!(utc("3. Mai 2024 um 10:15 Uhr"), "2024-05-03T08:15:00.000Z");
        assert_eq!(utc("14. März 2016"), "2016-03-13T23:00:00.000Z");
        assert_eq!(utc("March 14, 2016 10:21 AM"), "2016-03-14T09:21:00.000Z");
        assert_eq!(utc("Mon, 14 Mar 2016 09:21:05 +0000"), "2016-03-14T09:21:05.000Z");
        assert_eq!(utc("Mon Mar 14 09:21:05 +0000 2016"), "2016-03-14T09:21:05.000Z");
        assert_eq!(utc("1458033665"), "2016-03-15T09:21:05.000Z");
        assert_eq!(utc("1458033665123"), "2016-03-15T09:21:05.123Z");
        assert_eq!(utc("2024-05-03 10:15:00 UTC"), "2024-05-03T10:15:00.000Z");
    }

    #[test]
    fn slashed_dates_follow_the_order() {
        let d = |s, o| parse_date(s, o).unwrap().naive.date().to_string();
        assert_eq!(d("05/03/2024", DateOrder::Dmy), "2024-03-05");
        assert_eq!(d("05/03/2024", DateOrder::Mdy), "2024-05-03");
        assert_eq!(d("25/03/2024", DateOrder::Mdy), "2024-03-25"); // value proves DMY
        assert_eq!(slashed_date_order("12/25/2024 10:00 PM"), Some(DateOrder::Mdy));
        assert_eq!(slashed_date_order("05/03/2024"), None);
    }

    #[test]
    fn dates_that_do_not_exist_or_are_not_dates() {
        assert_eq!(parse_date("2016-02-30T10:15:00Z", DateOrder::Dmy), Err(DateError::DoesNotExist));
        assert_eq!(parse_date("31.04.2016", DateOrder::Dmy), Err(DateError::DoesNotExist));
        assert_eq!(parse_date("2016-03-14 25:00", DateOrder::Dmy), Err(DateError::DoesNotExist));
        assert_eq!(parse_date("", DateOrder::Dmy), Err(DateError::Empty));
        assert_eq!(parse_date("gestern", DateOrder::Dmy), Err(DateError::Unrecognised));
        assert_eq!(parse_date("2016-03-14 foo", DateOrder::Dmy), Err(DateError::Unrecognised));
    }

    #[test]
    fn dst_gap_and_overlap_in_berlin() {
        // 02:30 does not exist on 27.03.2016; read with the winter offset.
        assert_eq!(utc("27.03.2016 02:30"), "2016-03-27T01:30:00.000Z");
        assert_eq!(utc("27.03.2016 03:00"), "2016-03-27T01:00:00.000Z");
        // 02:30 happens twice on 30.10.2016; the earlier instant is taken.
        assert_eq!(utc("30.10.2016 02:30"), "2016-10-30T00:30:00.000Z");
    }

    #[test]
    fn counts_in_german_and_english_notation() {
        let n = |s| parse_count(s).unwrap();
        assert_eq!(n("12.345"), Some(12345));
        assert_eq!(n("1.234.567"), Some(1234567));
        assert_eq!(n("12,345"), Some(12345));
        assert_eq!(n("1.234,5"), Some(1235));
        assert_eq!(n("1,234.5"), Some(1235));
        assert_eq!(n("3,5"), Some(4));
        assert_eq!(n("12 345"), Some(12345));
        assert_eq!(n("1'234"), Some(1234));
        assert_eq!(n("1,2K"), Some(1200));
        assert_eq!(n("3 Mio."), Some(3_000_000));
        assert_eq!(n("-7"), Some(-7));
        assert_eq!(n("0"), Some(0));
        assert_eq!(n(""), None);
        assert_eq!(n("#DIV/0!"), None);
        assert_eq!(n("n/a"), None);
        assert_eq!(parse_count("abc"), Err(NumberError));
        assert_eq!(parse_count("1.23.4"), Err(NumberError));
    }

    #[test]
    fn vendor_sentiment_labels() {
        use ToolSentiment::*;
        for (s, want) in [
            ("positive", Positive),
            ("Positive", Positive),
            ("positiv", Positive),
            ("1", Positive),
            ("negativ", Negative),
            ("-1", Negative),
            ("-3", Negative),
            ("-0,4", Negative),
            ("neutral", Neutral),
            ("0", Neutral),
            ("Not Rated", Unknown),
            ("Unknown", Unknown),
            ("", Unknown),
            ("sehr positiv", Positive),
            ("mixed", Unknown),
        ] {
            assert_eq!(parse_tool_sentiment(s), want, "{s}");
        }
    }

    #[test]
    fn channels_from_labels_and_urls() {
        assert_eq!(channel_from_label("SOCIALMEDIA_TWITTER"), Some(Channel::Twitter));
        assert_eq!(channel_from_label("Online-News"), Some(Channel::News));
        assert_eq!(channel_from_label("ONLINENEWS"), Some(Channel::News));
        assert_eq!(channel_from_label("MESSAGEBOARD"), Some(Channel::Forum));
        assert_eq!(channel_from_label("Forums"), Some(Channel::Forum));
        assert_eq!(channel_from_label("gutefrage.net"), Some(Channel::Forum));
        assert_eq!(channel_from_label("Videos"), Some(Channel::Youtube));
        assert_eq!(channel_from_label("googleplus"), None);
        assert_eq!(channel_from_url("https://www.xing.com/news/x"), Some(Channel::Xing));
        assert_eq!(channel_from_url("https://de.linkedin.com/posts/1"), Some(Channel::Linkedin));
        assert_eq!(channel_from_url("https://www.kununu.com/de/firma"), Some(Channel::Review));
        assert_eq!(channel_from_url("http://x.com/a/status/1"), Some(Channel::Twitter));
        assert_eq!(channel_from_url("https://www.welt.de/a"), None);
    }

    #[test]
    fn languages_and_countries() {
        assert_eq!(normalize_language("German").as_deref(), Some("de"));
        assert_eq!(normalize_language("de-DE").as_deref(), Some("de"));
        assert_eq!(normalize_country("Österreich").as_deref(), Some("AT"));
        assert_eq!(normalize_country("ch").as_deref(), Some("CH"));
        assert_eq!(normalize_country("").as_deref(), None);
    }
}
