//! Aggregate: the tables an analyst reports, computed in polars from the canonical mentions.
//!
//! - `by_period`: one row per period (calendar month or ISO week in the report's time zone),
//!   every period between the first and the last mention, empty ones as zeros;
//! - `by_channel`: period × channel, every channel seen, in every period;
//! - `by_topic`: period × topic (mentions without a topic under `(none)`), with the topic's
//!   most frequent taxonomy words (`top_terms`);
//! - `classifier_agreement`: per export tool, the vendor's sentiment against ours;
//! - `top_complaints`: per period the topics with the most negative mentions, with three
//!   negative mentions of each as examples (text, link: the widest-reaching of the surely
//!   negative ones first) and the topic's most frequent taxonomy words in negative mentions;
//! - `share_of_voice`, `top_authors` (and `roi` from configured costs).
//!
//! All of them are computed from [`Partials`]: counts, sums, maxima and example candidates
//! that merge across parts of the input (`resonanz merge`), so tables never average averages.
//! A run counts them while its mentions are written ([`Tally`]); [`Partials::of`] computes
//! the same from a mentions table.
//! Every measure's formula is in [`METRICS_MD`], which `run` writes beside the tables.
//! Tables are sorted by their keys, so the same mentions give the same bytes.

use chrono::{DateTime, Datelike, Duration, TimeZone as _, Utc};
use chrono_tz::Tz;
use polars::prelude::*;

pub mod groups;
pub mod partial;
pub mod tally;

pub use groups::ChannelGroups;

/// How mentions are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Calendar months, `2026-08`.
    Month,
    /// ISO weeks, `2026-W33`.
    Week,
    /// Calendar quarters, `2026-Q3`.
    Quarter,
}

impl Granularity {
    /// The spelling of a period number (see [`period_number`]).
    pub fn spell(self, k: i32) -> String {
        match self {
            Granularity::Month => format!("{:04}-{:02}", k / 100, k % 100),
            Granularity::Week => format!("{:04}-W{:02}", k / 100, k % 100),
            Granularity::Quarter => format!("{:04}-Q{}", k / 100, k % 100),
        }
    }
}

/// The formulas behind every column, written as `metrics.md` beside the tables.
pub const METRICS_MD: &str = include_str!("metrics.md");

/// The aggregated tables.
pub struct Tables {
    pub by_period: DataFrame,
    pub by_channel: DataFrame,
    pub by_channel_group: DataFrame,
    pub by_language: DataFrame,
    pub by_topic: DataFrame,
    pub classifier_agreement: DataFrame,
    pub top_complaints: DataFrame,
    pub share_of_voice: DataFrame,
    pub top_authors: DataFrame,
}

impl Tables {
    /// Adds `positive_share_pm`, `neutral_share_pm`, `negative_share_pm` to `by_period`,
    /// `by_channel` and `by_topic`: the half-width of an interval around each share (same
    /// unit as the share), from the classifier's measured cross-domain share error per class
    /// `error_pp` (percentage points) and the sampling error of the group's mentions:
    /// `√((e / 100)² + 1.96² · s (1 − s) / n)`, 0 for an empty group (`metrics.md`).
    pub fn with_share_intervals(&mut self, error_pp: [f64; 3]) -> PolarsResult<()> {
        let pm = |c: &str, e: f64| {
            let s = col(format!("{c}_share"));
            let n = col("classified").cast(DataType::Float64);
            when(col("classified").gt(lit(0u32)))
                .then(((s.clone() * (lit(1.0) - s) / n) * lit(1.96f64 * 1.96) + lit((e / 100.0) * (e / 100.0))).sqrt())
                .otherwise(lit(0.0))
                .alias(format!("{c}_share_pm"))
        };
        for df in [&mut self.by_period, &mut self.by_channel, &mut self.by_channel_group, &mut self.by_topic] {
            // Each `_pm` right after its share.
            let mut order: Vec<Expr> = Vec::new();
            for name in df.get_column_names() {
                order.push(col(name.as_str()));
                if let Some(class) = name.strip_suffix("_share").filter(|c| ["positive", "neutral", "negative"].contains(c)) {
                    order.push(col(format!("{class}_share_pm")));
                }
            }
            *df = df
                .clone()
                .lazy()
                .with_columns([pm("positive", error_pp[2]), pm("neutral", error_pp[1]), pm("negative", error_pp[0])])
                .select(order)
                .collect()?;
        }
        Ok(())
    }

    /// Name and table, in the order they are written.
    pub fn named(&mut self) -> [(&'static str, &mut DataFrame); 9] {
        [
            ("by_period", &mut self.by_period),
            ("by_channel", &mut self.by_channel),
            ("by_channel_group", &mut self.by_channel_group),
            ("by_language", &mut self.by_language),
            ("by_topic", &mut self.by_topic),
            ("classifier_agreement", &mut self.classifier_agreement),
            ("top_complaints", &mut self.top_complaints),
            ("share_of_voice", &mut self.share_of_voice),
            ("top_authors", &mut self.top_authors),
        ]
    }
}

pub use partial::{Partials, PartialsMeta, Routed, INPUT_COLUMNS, PARTIALS_FORMAT};
pub use tally::Tally;

/// Whether a mention has a sentiment (not `unclassified`, not unclassified by a run
/// without a classifier).
fn classified() -> Expr {
    col("sentiment").is_not_null().and(col("sentiment").neq(lit(crate::mention::UNCLASSIFIED)))
}

fn count_where(e: Expr) -> Expr {
    e.cast(DataType::UInt32).sum().fill_null(lit(0u32))
}

/// The report time zone as polars spells it.
fn polars_zone(tz: Tz) -> PolarsResult<polars::prelude::TimeZone> {
    polars::prelude::TimeZone::opt_try_new(Some(tz.name()))?.ok_or_else(|| polars_err!(ComputeError: "unknown time zone {}", tz.name()))
}

/// Volume per group: mentions, gross reach, engagement.
fn volume() -> [Expr; 3] {
    [
        len().cast(DataType::UInt32).alias("mentions"),
        col("reach").sum().fill_null(lit(0i64)).alias("reach_gross"),
        col("engagement").sum().fill_null(lit(0i64)).alias("engagement"),
    ]
}

/// Counts and sums per group: they merge by addition across partitions.
fn counts() -> Vec<Expr> {
    let [mentions, reach, engagement] = volume();
    vec![
        mentions,
        count_where(col("relevant").eq(lit(true))).alias("relevant"),
        count_where(classified()).alias("classified"),
        count_where(col("sentiment").eq(lit("positive"))).alias("positive"),
        count_where(col("sentiment").eq(lit("neutral"))).alias("neutral"),
        count_where(col("sentiment").eq(lit("negative"))).alias("negative"),
        reach,
        engagement,
    ]
}

/// [`counts`] over rows that stand for `n` mentions each (with summed `reach`, `engagement`).
fn weighted_counts() -> Vec<Expr> {
    let n_where = |e: Expr| (e.cast(DataType::UInt32) * col("n")).sum().fill_null(lit(0u32));
    vec![
        col("n").sum().cast(DataType::UInt32).alias("mentions"),
        n_where(col("relevant").eq(lit(true)).fill_null(lit(false))).alias("relevant"),
        n_where(classified().fill_null(lit(false))).alias("classified"),
        n_where(col("sentiment").eq(lit("positive")).fill_null(lit(false))).alias("positive"),
        n_where(col("sentiment").eq(lit("neutral")).fill_null(lit(false))).alias("neutral"),
        n_where(col("sentiment").eq(lit("negative")).fill_null(lit(false))).alias("negative"),
        col("reach").sum().fill_null(lit(0i64)).alias("reach_gross"),
        col("engagement").sum().fill_null(lit(0i64)).alias("engagement"),
    ]
}

/// Shares and net sentiment from the counts, over the classified mentions (those with a
/// sentiment); 0 for a group without any.
fn ratios() -> Vec<Expr> {
    let share = |c: &str| {
        when(col("classified").gt(lit(0u32)))
            .then(col(c).cast(DataType::Float64) / col("classified").cast(DataType::Float64))
            .otherwise(lit(0.0))
            .alias(format!("{c}_share"))
    };
    vec![
        share("positive"),
        share("neutral"),
        share("negative"),
        when(col("classified").gt(lit(0u32)))
            .then((col("positive").cast(DataType::Float64) - col("negative").cast(DataType::Float64)) / col("classified").cast(DataType::Float64))
            .otherwise(lit(0.0))
            .alias("net_sentiment"),
    ]
}

/// Change against the previous period (per `partition` when given); empty for the first.
fn deltas(partition: Option<&str>) -> PolarsResult<Vec<Expr>> {
    let prev = |e: Expr| match partition {
        Some(p) => e.shift(lit(1)).over([col(p)]),
        None => Ok(e.shift(lit(1))),
    };
    Ok(vec![
        (col("mentions").cast(DataType::Int64) - prev(col("mentions").cast(DataType::Int64))?).alias("mentions_delta"),
        (col("net_sentiment") - prev(col("net_sentiment"))?).alias("net_sentiment_delta"),
    ])
}

/// The period key (`2026-08`, `2026-W33`, `2026-Q3`) of an instant in `tz`.
pub fn period_key(t: DateTime<Utc>, tz: Tz, g: Granularity) -> String {
    g.spell(period_of(t, tz, g))
}

/// The period number of an instant in `tz`, as [`period_number`] computes it in polars.
pub fn period_of(t: DateTime<Utc>, tz: Tz, g: Granularity) -> i32 {
    let d = t.with_timezone(&tz).date_naive();
    match g {
        Granularity::Month => d.year() * 100 + d.month() as i32,
        Granularity::Week => d.iso_week().year() * 100 + d.iso_week().week() as i32,
        Granularity::Quarter => d.year() * 100 + ((d.month() - 1) / 3 + 1) as i32,
    }
}

/// The instants where period number `p` (see [`period_of`]) begins and where the next one
/// begins, in `tz`; `None` where a local midnight does not exist.
pub fn period_range(p: i32, tz: Tz, g: Granularity) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    use chrono::NaiveDate;
    let (year, sub) = (p / 100, (p % 100) as u32);
    let (first, next) = match g {
        Granularity::Month => (NaiveDate::from_ymd_opt(year, sub, 1)?, NaiveDate::from_ymd_opt(year + (sub / 12) as i32, sub % 12 + 1, 1)?),
        Granularity::Week => {
            let d = NaiveDate::from_isoywd_opt(year, sub, chrono::Weekday::Mon)?;
            (d, d + Duration::days(7))
        }
        Granularity::Quarter => {
            let m = sub.checked_sub(1)? * 3 + 1;
            (NaiveDate::from_ymd_opt(year, m, 1)?, NaiveDate::from_ymd_opt(year + (sub / 4) as i32, (m + 2) % 12 + 1, 1)?)
        }
    };
    let at = |d: NaiveDate| tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc));
    Some((at(first)?, at(next)?))
}

/// Every period key from the first to the last instant, in `tz`.
pub fn period_keys(first: DateTime<Utc>, last: DateTime<Utc>, tz: Tz, g: Granularity) -> Vec<String> {
    let (a, b) = (first.with_timezone(&tz).date_naive(), last.with_timezone(&tz).date_naive());
    let mut keys = Vec::new();
    match g {
        Granularity::Month => {
            let (mut y, mut m) = (a.year(), a.month());
            while (y, m) <= (b.year(), b.month()) {
                keys.push(format!("{y:04}-{m:02}"));
                (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            }
        }
        Granularity::Week => {
            let mut d = a - Duration::days(a.weekday().num_days_from_monday() as i64);
            while d <= b {
                keys.push(d.format("%G-W%V").to_string());
                d += Duration::days(7);
            }
        }
        Granularity::Quarter => {
            let q = |m: u32| (m - 1) / 3 + 1;
            let (mut y, mut n) = (a.year(), q(a.month()));
            while (y, n) <= (b.year(), q(b.month())) {
                keys.push(format!("{y:04}-Q{n}"));
                (y, n) = if n == 4 { (y + 1, 1) } else { (y, n + 1) };
            }
        }
    }
    keys
}

/// The first instant of a period key (`YYYY-MM` or `YYYY-Www`) in `tz`.
fn period_start(key: &str, tz: Tz, g: Granularity) -> Option<DateTime<Utc>> {
    let day = match g {
        Granularity::Month => chrono::NaiveDate::from_ymd_opt(key.get(..4)?.parse().ok()?, key.get(5..7)?.parse().ok()?, 1)?,
        Granularity::Week => chrono::NaiveDate::from_isoywd_opt(key.get(..4)?.parse().ok()?, key.get(6..8)?.parse().ok()?, chrono::Weekday::Mon)?,
        Granularity::Quarter => {
            let q: u32 = key.get(6..7)?.parse().ok()?;
            chrono::NaiveDate::from_ymd_opt(key.get(..4)?.parse().ok()?, (q.checked_sub(1)?) * 3 + 1, 1)?
        }
    };
    tz.from_local_datetime(&day.and_hms_opt(12, 0, 0)?).earliest().map(|d| d.with_timezone(&Utc))
}

/// Computes the tables from mentions with at least [`partial::INPUT_COLUMNS`]. With `until`,
/// the tables over periods end with that period (empty periods up to it included, later
/// ones left out).
pub fn aggregate(mentions: &DataFrame, tz: Tz, g: Granularity, until: Option<&str>) -> PolarsResult<Tables> {
    tables(&Partials::of(mentions.clone().lazy(), tz, g)?, tz, g, until, &ChannelGroups::default())
}

/// The rows of a table with a `period` column up to and including `until` (all without).
pub fn up_to(df: DataFrame, until: Option<&str>) -> PolarsResult<DataFrame> {
    match until {
        Some(u) => df.lazy().filter(col("period").lt_eq(lit(u.to_string()))).collect(),
        None => Ok(df),
    }
}

/// The tables from (merged) partial aggregates; see [`aggregate`] for `until`.
pub fn tables(p: &Partials, tz: Tz, g: Granularity, until: Option<&str>, groups: &ChannelGroups) -> PolarsResult<Tables> {
    // Every period from the first mention's to the last's (or to `until`).
    let seen: Vec<&str> = p.channel.column("period")?.str()?.iter().flatten().collect();
    let bounds = [seen.iter().min(), seen.iter().max()].map(|k| k.and_then(|k| period_start(k, tz, g)));
    let until_start = until.and_then(|u| period_start(u, tz, g));
    let periods: Vec<String> = match (bounds, until_start) {
        ([Some(a), Some(b)], u) => period_keys(u.map_or(a, |u| a.min(u)), u.map_or(b, |u| b.max(u)), tz, g),
        (_, Some(u)) => period_keys(u, u, tz, g),
        _ => Vec::new(),
    };
    let all_periods = df!("period" => periods.clone())?.lazy();
    let zero_fill = || partial::COUNT_COLUMNS.iter().map(|(n, t)| col(*n).fill_null(lit(0).cast(t.clone()))).collect::<Vec<_>>();
    let sum_counts = || partial::COUNT_COLUMNS.iter().map(|(n, t)| col(*n).sum().cast(t.clone())).collect::<Vec<_>>();

    let by_period = all_periods
        .left_join(p.channel.clone().lazy().group_by([col("period")]).agg(sum_counts()), col("period"), col("period"))
        .with_columns(zero_fill())
        .sort(["period"], SortMultipleOptions::default())
        .with_columns(ratios())
        .with_columns(deltas(None)?)
        .collect()?;

    let channels: Vec<String> =
        p.channel.column("channel")?.str()?.iter().flatten().map(str::to_string).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let grid_p: Vec<String> = periods.iter().flat_map(|p| std::iter::repeat_n(p.clone(), channels.len())).collect();
    let grid_c: Vec<String> = periods.iter().flat_map(|_| channels.iter().cloned()).collect();
    let by_channel = df!("period" => grid_p, "channel" => grid_c)?
        .lazy()
        .join(p.channel.clone().lazy(), [col("period"), col("channel")], [col("period"), col("channel")], JoinArgs::new(JoinType::Left))
        .with_columns(zero_fill())
        .sort(["channel", "period"], SortMultipleOptions::default())
        .with_columns(ratios())
        .with_columns(deltas(Some("channel"))?)
        .sort(["period", "channel"], SortMultipleOptions::default())
        .collect()?;
    let group: StringChunked = by_channel.column("channel")?.str()?.iter().map(|c| c.map(|c| groups.group_of(c))).collect();
    let mut by_channel = by_channel;
    by_channel.insert_column(2, group.with_name("channel_group".into()).into_column())?;

    let by_channel_group = by_channel
        .clone()
        .lazy()
        .group_by([col("period"), col("channel_group")])
        .agg(sum_counts())
        .sort(["channel_group", "period"], SortMultipleOptions::default())
        .with_columns(ratios())
        .with_columns(deltas(Some("channel_group"))?)
        .sort(["period", "channel_group"], SortMultipleOptions::default())
        .collect()?;

    let by_language = p
        .language
        .clone()
        .lazy()
        .with_columns([
            (col("mentions") - col("classified")).alias("unclassified"),
            when(col("mentions").gt(lit(0u32)))
                .then(col("classified").cast(DataType::Float64) / col("mentions").cast(DataType::Float64))
                .otherwise(lit(0.0))
                .alias("classified_share"),
        ])
        .select([col("period"), col("language"), col("mentions"), col("classified"), col("unclassified"), col("classified_share"), col("detected")])
        .sort(["period", "language"], SortMultipleOptions::default())
        .collect()?;

    let by_topic = p
        .topic
        .clone()
        .lazy()
        .with_columns(ratios())
        .join(top_terms(&p.terms, "mentions")?.lazy(), [col("period"), col("topic")], [col("period"), col("topic")], JoinArgs::new(JoinType::Left))
        .sort(["period", "topic"], SortMultipleOptions::default())
        .collect()?;

    let agree = col("tool_sentiment").eq(col("sentiment")).cast(DataType::UInt32) * col("mentions");
    let rated = col("tool_sentiment").neq(lit("unknown")).and(col("sentiment").is_not_null()).cast(DataType::UInt32) * col("mentions");
    let classifier_agreement = p
        .agreement
        .clone()
        .lazy()
        .with_columns([agree.sum().over([col("source_tool")])?.alias("agreeing"), rated.sum().over([col("source_tool")])?.alias("rated_by_both")])
        .with_column(
            when(col("rated_by_both").gt(lit(0u32)))
                .then(col("agreeing").cast(DataType::Float64) / col("rated_by_both").cast(DataType::Float64))
                .otherwise(lit(NULL))
                .alias("agreement_rate"),
        )
        .sort(["source_tool", "tool_sentiment", "sentiment"], SortMultipleOptions::default().with_nulls_last(true))
        .collect()?;

    let share = |c: &str| {
        let total = col(c).sum().over([col("period")]);
        total.map(|total| {
            when(total.clone().gt(lit(0))).then(col(c).cast(DataType::Float64) / total.cast(DataType::Float64)).otherwise(lit(0.0)).alias(format!("{c}_share"))
        })
    };
    let share_of_voice = p
        .query
        .clone()
        .lazy()
        .with_columns([share("mentions")?, share("reach_gross")?, share("engagement")?])
        .sort(["period", "query"], SortMultipleOptions::default())
        .collect()?;

    let top_authors = p
        .authors
        .clone()
        .lazy()
        .sort_by_exprs([col("mentions"), col("author")], SortMultipleOptions::default().with_order_descending_multi([true, false]))
        .limit(TOP_AUTHORS)
        .collect()?;

    Ok(Tables {
        by_period: up_to(by_period, until)?,
        by_channel: up_to(by_channel, until)?,
        by_channel_group: up_to(by_channel_group, until)?,
        by_language: up_to(by_language, until)?,
        by_topic: up_to(by_topic, until)?,
        classifier_agreement,
        top_complaints: up_to(top_complaints(p)?, until)?,
        share_of_voice: up_to(share_of_voice, until)?,
        top_authors,
    })
}

/// A local time's period as a number: `year × 100 + month`, `ISO year × 100 + week`, or
/// `year × 100 + quarter`.
pub fn period_number(local: Expr, g: Granularity) -> Expr {
    let (year, sub) = match g {
        Granularity::Month => (local.clone().dt().year(), local.dt().month()),
        Granularity::Week => (local.clone().dt().iso_year(), local.dt().week()),
        Granularity::Quarter => (local.clone().dt().year(), local.dt().quarter()),
    };
    year.cast(DataType::Int32) * lit(100) + sub.cast(DataType::Int32)
}

/// Replaces the numeric `period` column by its spelling (`2026-08`, `2026-W33`).
fn spell_periods(mut df: DataFrame, g: Granularity) -> PolarsResult<DataFrame> {
    let spelled: Vec<Option<String>> = df.column("period")?.i32()?.iter().map(|k| k.map(|k| g.spell(k))).collect();
    df.with_column(Column::new("period".into(), spelled))?;
    Ok(df)
}

/// Terms per topic in `top_terms`.
pub const TOP_TERMS: usize = 5;

/// Per period × topic the [`TOP_TERMS`] taxonomy words with the highest `measure`
/// (`mentions` or `negative`), most first, ties by word: `period, topic, top_terms`, the
/// last spelled `Lieferzeit (12), Paket (5)`. Topics without such words have no row.
fn top_terms(terms: &DataFrame, measure: &str) -> PolarsResult<DataFrame> {
    let sorted = terms
        .clone()
        .lazy()
        .filter(col(measure).gt(lit(0u32)))
        .sort_by_exprs(
            [col("period"), col("topic"), col(measure), col("term")],
            SortMultipleOptions::default().with_order_descending_multi([false, false, true, false]),
        )
        .collect()?;
    let (period, topic, term, n) =
        (sorted.column("period")?.str()?, sorted.column("topic")?.str()?, sorted.column("term")?.str()?, sorted.column(measure)?.u32()?);
    let mut rows: Vec<(&str, &str, String, usize)> = Vec::new();
    for i in 0..sorted.height() {
        let (Some(p), Some(t), Some(w), Some(n)) = (period.get(i), topic.get(i), term.get(i), n.get(i)) else { continue };
        match rows.last_mut() {
            Some(last) if (last.0, last.1) == (p, t) => {
                if last.3 < TOP_TERMS {
                    last.2 += &format!(", {w} ({n})");
                    last.3 += 1;
                }
            }
            _ => rows.push((p, t, format!("{w} ({n})"), 1)),
        }
    }
    df!(
        "period" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "topic" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "top_terms" => rows.iter().map(|r| r.2.as_str()).collect::<Vec<_>>(),
    )
}

/// Topics per period in `top_complaints`.
pub const COMPLAINT_TOPICS: usize = 5;
/// Example mentions per complaint topic.
pub const COMPLAINT_EXAMPLES: usize = 3;

/// Example candidates the partials keep per period × topic: enough for every one of the
/// [`COMPLAINT_TOPICS`] to show [`COMPLAINT_EXAMPLES`] mentions that no higher-ranked topic
/// of the period shows already.
pub const EXAMPLE_CANDIDATES: usize = COMPLAINT_EXAMPLES * COMPLAINT_TOPICS;

/// The most frequent negative topics per period, each with its count and up to three
/// example mentions (surely negative first, then highest reach, then mention id; among the
/// surely negative ones and among the others, a mention a higher-ranked topic of the period
/// shows already comes last),
/// and the topic's taxonomy words most frequent in its negative mentions. One row per
/// example: `period, rank, topic, negative_mentions, top_terms, example, published_at,
/// channel, url, text`.
fn top_complaints(p: &Partials) -> PolarsResult<DataFrame> {
    // Topics by negative mentions per period, most first, ties by name.
    let ranked = p
        .topic
        .clone()
        .lazy()
        .filter(col("negative").gt(lit(0u32)).and(col("topic").neq(lit("(none)"))))
        .select([col("period"), col("topic"), col("negative")])
        .sort_by_exprs([col("period"), col("negative"), col("topic")], SortMultipleOptions::default().with_order_descending_multi([false, true, false]))
        .collect()?;
    let ex = &p.examples;
    let (ex_period, ex_topic, ex_id, ex_sure) =
        (ex.column("period")?.str()?, ex.column("topic")?.str()?, ex.column("mention_id")?.str()?, ex.column("sure")?.bool()?);
    let mut by_group: std::collections::HashMap<(&str, &str), Vec<usize>> = std::collections::HashMap::new();
    for i in 0..ex.height() {
        if let (Some(pe), Some(t)) = (ex_period.get(i), ex_topic.get(i)) {
            by_group.entry((pe, t)).or_default().push(i);
        }
    }
    let terms = top_terms(&p.terms, "negative")?;
    let (t_period, t_topic, t_terms) = (terms.column("period")?.str()?, terms.column("topic")?.str()?, terms.column("top_terms")?.str()?);
    let terms_of: std::collections::HashMap<(&str, &str), &str> =
        (0..terms.height()).filter_map(|i| Some(((t_period.get(i)?, t_topic.get(i)?), t_terms.get(i)?))).collect();
    let (period, topic, negative) = (ranked.column("period")?.str()?, ranked.column("topic")?.str()?, ranked.column("negative")?.u32()?);
    let (mut rows, mut rank, mut last) = (Vec::new(), 0u32, None);
    // The mentions the period's higher-ranked topics show.
    let mut shown: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let id = |row: usize| ex_id.get(row).unwrap_or("");
    for i in 0..ranked.height() {
        let (Some(pe), Some(t), Some(n)) = (period.get(i), topic.get(i), negative.get(i)) else { continue };
        if last == Some(pe) {
            rank += 1;
        } else {
            (rank, last) = (1, Some(pe));
            shown.clear();
        }
        if rank as usize > COMPLAINT_TOPICS {
            continue;
        }
        // In their order (surely negative first, then by reach), but a surely negative
        // mention shown above only after the other surely negative ones, and so on.
        let mut candidates = by_group.get(&(pe, t)).cloned().unwrap_or_default();
        candidates.sort_by_key(|&row| (!ex_sure.get(row).unwrap_or(false), shown.contains(id(row))));
        let chosen: Vec<usize> = candidates.into_iter().take(COMPLAINT_EXAMPLES).collect();
        for (k, &row) in chosen.iter().enumerate() {
            shown.insert(id(row));
            rows.push((pe, rank, t, n, k as u32 + 1, row));
        }
    }
    let text = |c: &str| -> PolarsResult<Vec<Option<String>>> {
        let c = ex.column(c)?.str()?;
        Ok(rows.iter().map(|r| c.get(r.5).map(str::to_string)).collect())
    };
    df!(
        "period" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "rank" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "topic" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "negative_mentions" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "top_terms" => rows.iter().map(|r| terms_of.get(&(r.0, r.2)).copied()).collect::<Vec<_>>(),
        "example" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        "published_at" => text("published_at")?,
        "channel" => text("channel")?,
        "url" => text("url")?,
        "text" => text("text")?,
    )
}

/// Channel costs of one period (from `report.toml`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    pub period: String,
    pub channel: String,
    pub amount: f64,
}

/// What the ROI table needs from the config.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoiSettings {
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub costs: Vec<Cost>,
    /// Earned-media value per 1,000 reach, by channel, as the user rates it. The result is
    /// an estimate (AVE is not the value of communication: Barcelona Principles 3.0).
    #[serde(default)]
    pub emv_per_1000_reach: std::collections::BTreeMap<String, f64>,
}

/// Cost per result by period × channel for the configured costs: `cost_per_mention`,
/// `cost_per_engagement`, `cost_per_positive` (empty when there is nothing to divide by),
/// and `emv_estimate` only where the user gave a rate.
pub fn roi(by_channel: &DataFrame, settings: &RoiSettings) -> PolarsResult<DataFrame> {
    let mut costs = settings.costs.clone();
    costs.sort_by(|a, b| (&a.period, &a.channel).cmp(&(&b.period, &b.channel)));
    let rate: Vec<Option<f64>> = costs.iter().map(|c| settings.emv_per_1000_reach.get(&c.channel).copied()).collect();
    let currency = settings.currency.clone().unwrap_or_else(|| "EUR".into());
    let cost_df = df!(
        "period" => costs.iter().map(|c| c.period.clone()).collect::<Vec<_>>(),
        "channel" => costs.iter().map(|c| c.channel.clone()).collect::<Vec<_>>(),
        "currency" => vec![currency; costs.len()],
        "cost" => costs.iter().map(|c| c.amount).collect::<Vec<_>>(),
        "emv_rate" => rate,
    )?;
    let per = |what: &str, name: &str| {
        when(col(what).gt(lit(0))).then(col("cost") / col(what).cast(DataType::Float64)).otherwise(lit(NULL).cast(DataType::Float64)).alias(name)
    };
    cost_df
        .lazy()
        .join(
            by_channel.clone().lazy().select([col("period"), col("channel"), col("mentions"), col("engagement"), col("positive"), col("reach_gross")]),
            [col("period"), col("channel")],
            [col("period"), col("channel")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("mentions").fill_null(lit(0u32)),
            col("engagement").fill_null(lit(0i64)),
            col("positive").fill_null(lit(0u32)),
            col("reach_gross").fill_null(lit(0i64)),
        ])
        .with_columns([
            per("mentions", "cost_per_mention"),
            per("engagement", "cost_per_engagement"),
            per("positive", "cost_per_positive"),
            (col("reach_gross").cast(DataType::Float64) / lit(1000.0) * col("emv_rate")).alias("emv_estimate"),
        ])
        .select([
            col("period"),
            col("channel"),
            col("currency"),
            col("cost"),
            col("mentions"),
            col("engagement"),
            col("positive"),
            col("cost_per_mention"),
            col("cost_per_engagement"),
            col("cost_per_positive"),
            col("emv_estimate"),
        ])
        .sort(["period", "channel"], SortMultipleOptions::default())
        .collect()
}

/// Authors in `top_authors`.
pub const TOP_AUTHORS: u32 = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_ranges_hold_exactly_their_period() {
        let tz = chrono_tz::Europe::Berlin;
        for g in [Granularity::Month, Granularity::Week, Granularity::Quarter] {
            // Every 7 hours 13 minutes over three years, across DST changes and year ends.
            let mut t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
            while t.year() < 2028 {
                let p = period_of(t, tz, g);
                let (start, end) = period_range(p, tz, g).unwrap();
                assert!(start <= t && t < end, "{g:?} {t}: {p} is {start}..{end}");
                assert_eq!(period_of(start, tz, g), p);
                assert_ne!(period_of(start - Duration::seconds(1), tz, g), p, "{g:?} {t}");
                assert_ne!(period_of(end, tz, g), p, "{g:?} {t}");
                assert_eq!(period_of(end - Duration::seconds(1), tz, g), p, "{g:?} {t}");
                t += Duration::minutes(7 * 60 + 13);
            }
        }
    }

    #[test]
    fn period_keys_cover_the_range_in_the_time_zone() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 31 Jan 23:30 UTC is already February in Berlin.
        let a = Utc.with_ymd_and_hms(2026, 1, 31, 23, 30, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap();
        assert_eq!(period_keys(a, b, tz, Granularity::Month), ["2026-02", "2026-03", "2026-04"]);
        let c = Utc.with_ymd_and_hms(2026, 12, 28, 12, 0, 0).unwrap();
        let d = Utc.with_ymd_and_hms(2027, 1, 11, 12, 0, 0).unwrap();
        assert_eq!(period_keys(c, d, tz, Granularity::Week), ["2026-W53", "2027-W01", "2027-W02"]);
        assert_eq!(period_key(a, tz, Granularity::Month), "2026-02");
        assert_eq!(period_key(c, tz, Granularity::Week), "2026-W53");
        assert_eq!(period_key(d, tz, Granularity::Quarter), "2027-Q1");
        assert_eq!(period_keys(a, d, tz, Granularity::Quarter), ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]);
        assert_eq!(period_start("2026-Q3", tz, Granularity::Quarter).unwrap().date_naive().to_string(), "2026-07-01");
    }
}
