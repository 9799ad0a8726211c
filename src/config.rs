//! `report.toml`: the settings of a scheduled run, so that cron or systemd only has to say
//! `resonanz run --config report.toml`. Every key is optional; options given on the command
//! line win over the file. Unknown keys are errors naming the key and its line.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Utc};
use serde::Deserialize;

use crate::aggregate::Granularity;
use crate::report::html::Lang;

/// A `report.toml` that cannot be used, or input patterns that name nothing.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// Not TOML, or a key of the wrong type or unknown (the parser's message).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    /// A value the types allow but a run cannot use.
    #[error("{}:{line}:{column}: key `{key}`: {reason}", path.display())]
    Value { path: PathBuf, line: usize, column: usize, key: String, reason: String },
    #[error("input pattern `{pattern}`: {source}")]
    Pattern { pattern: String, source: glob::PatternError },
    #[error("input pattern `{0}` matches no file")]
    NoMatch(String),
    #[error("period `{period}` is not {spelling}")]
    Period { period: String, spelling: &'static str },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Export files, directories or glob patterns (`exports/2026-*/*.csv`), relative to the
    /// config file.
    pub inputs: Option<Vec<String>>,
    /// Output directory (relative to the config file); the run writes into `OUT/<period>/`.
    pub out: Option<PathBuf>,
    /// `YYYY-MM` (or `YYYY-Www` with `granularity = "week"`), or `last-full-month` (default).
    pub period: Option<String>,
    pub granularity: Option<Granularity>,
    /// Time zone the periods are cut in (default Europe/Berlin).
    pub timezone: Option<String>,
    /// Time zone for export dates written without an offset (default: per layout).
    pub input_timezone: Option<String>,
    /// Extra export layouts (TOML).
    pub layouts: Option<PathBuf>,
    pub sentiment_model: Option<String>,
    pub relevance_model: Option<String>,
    /// `mittelstand`, a taxonomy file, a topic model or `none`.
    pub topics: Option<String>,
    pub lang: Option<Lang>,
    pub excel_csv: Option<bool>,
    /// Mentions as Hive-partitioned Parquet (`mentions/period=…/source=…/`).
    pub partitioned: Option<bool>,
    pub max_reject_rate: Option<f64>,
    /// Replace author names by keyed pseudonyms in every output; the key comes from the
    /// environment variable `RESONANZ_PSEUDONYM_KEY` (never from this file).
    pub pseudonymize: Option<bool>,
    /// Channel costs per period and optional EMV rates, for the `roi` table:
    /// `[roi]` with `currency`, `costs = [{ period, channel, amount }]`,
    /// `emv_per_1000_reach = { linkedin = 25.0 }`.
    pub roi: Option<crate::aggregate::RoiSettings>,
    /// Channel groups over the defaults (`professional`, `social`, `media`, `community`,
    /// `reviews`): `[channel_groups]` with `video = ["youtube", "tiktok"]`; a group named
    /// here has exactly these channels, and they leave their default group.
    pub channel_groups: Option<std::collections::BTreeMap<String, Vec<crate::mention::Channel>>>,
    /// The languages (ISO 639-1) the sentiment classifier is applied to (default `["de"]`);
    /// mentions in other languages are `unclassified`.
    pub sentiment_languages: Option<Vec<String>>,
    /// A sentiment classifier per further language: `[sentiment_models]` with
    /// `en = "lexicon_en.toml"` (a lexicon file or a trained model, relative to this file).
    pub sentiment_models: Option<std::collections::BTreeMap<String, String>>,
    /// The brand's terms, products, handles and exclusions: which mentions are about it.
    pub relevance: Option<crate::classify::relevance::RelevanceSpec>,
}

impl ReportConfig {
    /// Reads and checks a config file; paths in it become relative to its directory.
    pub fn load(path: &Path) -> Result<ReportConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        let mut c: ReportConfig = crate::message::parse_toml(&text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        c.check(&text).map_err(|(key, reason)| {
            let (line, column) = locate(&text, &key);
            ConfigError::Value { path: path.to_path_buf(), line, column, key, reason }
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let rel = |p: &str| if Path::new(p).is_absolute() { p.to_string() } else { base.join(p).to_string_lossy().into_owned() };
        c.inputs = c.inputs.map(|v| v.iter().map(|p| rel(p)).collect());
        c.out = c.out.map(|p| PathBuf::from(rel(&p.to_string_lossy())));
        c.layouts = c.layouts.map(|p| PathBuf::from(rel(&p.to_string_lossy())));
        let rel_model = |v: &str| -> String {
            if !(v.contains('/') || v.ends_with(".toml")) {
                return v.to_string(); // a built-in name: `default`, `lexicon`, `mittelstand`
            }
            match v.split_once("+lexicon") {
                Some((m, suffix)) => format!("{}+lexicon{suffix}", rel(m)),
                None => rel(v),
            }
        };
        for m in [&mut c.sentiment_model, &mut c.relevance_model] {
            *m = m.as_deref().map(rel_model);
        }
        for m in c.sentiment_models.iter_mut().flat_map(|m| m.values_mut()) {
            *m = rel_model(m);
        }
        // Topic sources may be combined with `+`: each one relative on its own.
        c.topics = c.topics.as_deref().map(|v| v.split('+').map(|s| rel_model(s.trim())).collect::<Vec<_>>().join("+"));
        Ok(c)
    }
}

impl ReportConfig {
    /// Values the TOML types allow but a run cannot use: (key, reason).
    fn check(&self, _text: &str) -> Result<(), (String, String)> {
        let g = self.granularity.unwrap_or(Granularity::Month);
        if let Some(p) = self.period.as_deref().filter(|p| *p != "last-full-month") {
            check_period(p, g).map_err(|e| ("period".to_string(), e.to_string()))?;
        }
        for (key, tz) in [("timezone", &self.timezone), ("input_timezone", &self.input_timezone)] {
            if let Some(tz) = tz {
                tz.parse::<chrono_tz::Tz>().map_err(|_| (key.to_string(), format!("unknown time zone `{tz}` (an IANA name such as Europe/Berlin)")))?;
            }
        }
        if let Some(r) = self.max_reject_rate {
            if !(0.0..=1.0).contains(&r) {
                return Err(("max_reject_rate".into(), format!("must be between 0 and 1, not {r}")));
            }
        }
        for p in self.inputs.iter().flatten() {
            if p.contains(['*', '?', '[']) {
                glob::Pattern::new(p).map_err(|e| ("inputs".to_string(), format!("pattern `{p}`: {e}")))?;
            }
        }
        if let Some(roi) = &self.roi {
            let known = |c: &str| crate::mention::Channel::ALL.iter().any(|k| k.as_str() == c);
            for cost in &roi.costs {
                if !(cost.amount.is_finite() && cost.amount >= 0.0) {
                    return Err(("amount".into(), format!("cost {} for {} in {} is not an amount ≥ 0", cost.amount, cost.channel, cost.period)));
                }
                if !known(&cost.channel) {
                    return Err((
                        "channel".into(),
                        format!("unknown channel `{}` (one of {})", cost.channel, crate::mention::Channel::ALL.map(|c| c.as_str()).join(", ")),
                    ));
                }
                check_period(&cost.period, g).map_err(|e| ("period".to_string(), e.to_string()))?;
            }
            for (channel, rate) in &roi.emv_per_1000_reach {
                if !known(channel) {
                    return Err(("emv_per_1000_reach".into(), format!("unknown channel `{channel}`")));
                }
                if !(rate.is_finite() && *rate >= 0.0) {
                    return Err(("emv_per_1000_reach".into(), format!("rate {rate} for {channel} is not ≥ 0")));
                }
            }
        }
        Ok(())
    }
}

/// Line and column of the first assignment to `key` (`key =` at a line's start, or inside
/// an inline table); (0, 0) when it is not written in the file.
fn locate(text: &str, key: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find(key) {
            let start = from + at;
            let before_ok = line[..start].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let rest = line[start + key.len()..].trim_start();
            if before_ok && rest.starts_with('=') {
                return (i + 1, line[..start].chars().count() + 1);
            }
            from = start + key.len();
        }
    }
    (0, 0)
}

/// Expands files, directories and glob patterns (`*`, `?`, `[…]`, `**`); a pattern that
/// matches nothing is an error, so a scheduled job does not silently read nothing.
pub fn expand_globs(patterns: &[String]) -> Result<Vec<PathBuf>, ConfigError> {
    let mut out = Vec::new();
    for p in patterns {
        if !p.contains(['*', '?', '[']) {
            out.push(PathBuf::from(p));
            continue;
        }
        let paths = glob::glob(p).map_err(|source| ConfigError::Pattern { pattern: p.clone(), source })?;
        let mut matched: Vec<PathBuf> = paths.filter_map(|r| r.ok()).collect();
        if matched.is_empty() {
            return Err(ConfigError::NoMatch(p.clone()));
        }
        matched.sort();
        out.extend(matched);
    }
    Ok(out)
}

/// The last complete calendar month before `now` in `tz`, as `YYYY-MM`.
pub fn last_full_month(now: chrono::DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let local = now.with_timezone(&tz);
    let (y, m) = if local.month() == 1 { (local.year() - 1, 12) } else { (local.year(), local.month() - 1) };
    format!("{y:04}-{m:02}")
}

/// Checks a period's spelling for the granularity.
pub fn check_period(p: &str, g: Granularity) -> Result<(), ConfigError> {
    let ok = match g {
        Granularity::Month => {
            p.len() == 7 && p.as_bytes()[4] == b'-' && p[..4].parse::<u32>().is_ok() && p[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
        }
        Granularity::Week => {
            p.len() == 8 && p.get(4..6) == Some("-W") && p[..4].parse::<u32>().is_ok() && p[6..].parse::<u32>().is_ok_and(|w| (1..=53).contains(&w))
        }
        Granularity::Quarter => {
            p.len() == 7 && p.get(4..6) == Some("-Q") && p[..4].parse::<u32>().is_ok() && p[6..].parse::<u32>().is_ok_and(|q| (1..=4).contains(&q))
        }
    };
    let spelling = match g {
        Granularity::Month => "YYYY-MM",
        Granularity::Week => "YYYY-Www",
        Granularity::Quarter => "YYYY-Qn",
    };
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Period { period: p.to_string(), spelling })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn bad_values_name_file_key_line_and_column_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.toml");
        for (text, key, line) in [
            ("period = \"2026-13\"\n", "period", 1),
            ("lang = \"de\"\ntimezone = \"Mars/Olympus\"\n", "timezone", 2),
            ("max_reject_rate = 1.5\n", "max_reject_rate", 1),
            ("inputs = [\"exports/[*.csv\"]\n", "inputs", 1),
            ("[roi]\ncosts = [{ period = \"2026-10\", channel = \"linkedin\", amount = -5.0 }]\n", "amount", 2),
            ("[roi]\ncosts = [{ period = \"2026-10\", channel = \"myspace\", amount = 5.0 }]\n", "channel", 2),
        ] {
            std::fs::write(&p, text).unwrap();
            let err = ReportConfig::load(&p).unwrap_err();
            assert!(matches!(&err, ConfigError::Value { key: k, line: l, .. } if k == key && *l == line), "{text}: {err}");
            let e = err.to_string();
            assert!(e.starts_with(&format!("{}:{line}:", p.display())), "{text}: {e}");
            assert!(e.contains(&format!("`{key}`")), "{text}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        std::fs::write(&p, "period = \"2026-10\nlang = \"de\"\n").unwrap();
        let e = ReportConfig::load(&p).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:1:", p.display())) && !e.contains('\n'), "{e}");
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.toml");
        std::fs::write(&p, "inputs = [\"a.csv\"]\nperiod = \"2026-05\"\nmax_reject = 0.1\n").unwrap();
        let e = ReportConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("max_reject") && e.contains(":3:") && !e.contains('\n'), "{e}");
        std::fs::write(&p, "inputs = [\"exports/*.csv\"]\nout = \"reports\"\nsentiment_model = \"models/mine+lexicon:2\"\n").unwrap();
        let c = ReportConfig::load(&p).unwrap();
        assert_eq!(c.inputs.unwrap()[0], dir.path().join("exports/*.csv").to_string_lossy());
        assert_eq!(c.sentiment_model.unwrap(), format!("{}+lexicon:2", dir.path().join("models/mine").display()));
        std::fs::write(&p, "topics = \"mittelstand + topics/own.toml\"\nrelevance_model = \"default\"\n").unwrap();
        let c = ReportConfig::load(&p).unwrap();
        assert_eq!(c.topics.unwrap(), format!("mittelstand+{}", dir.path().join("topics/own.toml").display()));
        assert_eq!(c.relevance_model.unwrap(), "default");
    }

    #[test]
    fn last_full_month_and_period_spelling() {
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(last_full_month(Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap(), tz), "2025-12");
        // 31 Mar 23:30 UTC is already April in Berlin.
        assert_eq!(last_full_month(Utc.with_ymd_and_hms(2026, 3, 31, 23, 30, 0).unwrap(), tz), "2026-03");
        assert!(check_period("2026-05", Granularity::Month).is_ok());
        assert!(check_period("2026-13", Granularity::Month).is_err());
        assert!(check_period("2026-W07", Granularity::Week).is_ok());
        assert!(check_period("2026-5", Granularity::Month).is_err());
        assert!(check_period("2026-Q4", Granularity::Quarter).is_ok());
        assert!(check_period("2026-Q5", Granularity::Quarter).is_err());
        assert!(check_period("2026-0é", Granularity::Month).is_err(), "no panic on multi-byte input");
    }
}
