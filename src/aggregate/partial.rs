//! Partial aggregates: the counts, sums, maxima and example candidates every table is
//! computed from. They merge (counts and sums by addition, maxima by max, examples by
//! re-ranking), so parts of the input processed apart give, merged, the same tables as one
//! run over all of it — no average is ever averaged.

use std::collections::HashSet;

use chrono_tz::Tz;
use polars::prelude::*;

use super::{classified, count_where, counts, period_number, polars_zone, spell_periods, volume, weighted_counts, Granularity, EXAMPLE_CANDIDATES};

/// What the partial aggregates of a run were computed with (`partials/meta.json`); parts
/// merge only when these agree.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PartialsMeta {
    pub format: u32,
    pub granularity: Granularity,
    pub timezone: String,
    pub pseudonymized: bool,
    pub model_version: String,
    /// How the sentiment classifier scored on corpora it was not trained on, when it was
    /// measured so: the tables' `*_share_pm` and the report's sentence on reliability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_measured: Option<crate::classify::stacked::Measured>,
    /// When the sentiment classifier routes: to which corpus's expert, and how many of the
    /// run's mentions (`merge` adds the parts' up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routed: Option<Routed>,
}

/// Mentions the default sentiment classifier scored by one training corpus's own model
/// (text of that corpus's kind and subject; model card, routing).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Routed {
    pub corpus: String,
    pub mentions: u64,
}

/// The version of the partials' file layout (`partials/*.parquet` and `meta.json`): `merge`
/// refuses parts of another.
pub const PARTIALS_FORMAT: u32 = 4;

/// A complaint example is *surely negative* when the classifier gives its label at least
/// this probability (`sentiment_confidence`): negative is then more likely than the other
/// two together. Surely negative mentions are shown first; a borderline one (a news item
/// the batch's class mix tipped to negative) only when there are too few of them.
pub const SURELY_NEGATIVE: f32 = 0.5;

/// The count and sum columns of `channel` and `topic`, with their types.
pub const COUNT_COLUMNS: [(&str, DataType); 8] = [
    ("mentions", DataType::UInt32),
    ("relevant", DataType::UInt32),
    ("classified", DataType::UInt32),
    ("positive", DataType::UInt32),
    ("neutral", DataType::UInt32),
    ("negative", DataType::UInt32),
    ("reach_gross", DataType::Int64),
    ("engagement", DataType::Int64),
];

/// The partial tables of one set of mentions. `period` is spelled (`2026-08`) everywhere.
#[derive(Debug, Clone)]
pub struct Partials {
    /// period × channel: [`COUNT_COLUMNS`].
    pub channel: DataFrame,
    /// period × topic (`(none)` for mentions without one): [`COUNT_COLUMNS`].
    pub topic: DataFrame,
    /// period × query: mentions, reach_gross, engagement.
    pub query: DataFrame,
    /// period × language (`und` when too short to tell or not known): mentions, classified
    /// (with a sentiment), detected (language from the text, not the export).
    pub language: DataFrame,
    /// source_tool × tool_sentiment × sentiment: mentions.
    pub agreement: DataFrame,
    /// Every author: mentions, negative, engagement, reach_max.
    pub authors: DataFrame,
    /// Per period × topic the best [`EXAMPLE_CANDIDATES`] complaint examples (negative mentions: surely negative
    /// first ([`SURELY_NEGATIVE`]), then highest reach, then mention id): sure, reach,
    /// mention_id, published_at (local), channel, url, text.
    pub examples: DataFrame,
    /// period × topic × term (a taxonomy word found in the topic's mentions): mentions,
    /// negative. Counted by [`super::Tally`] while the mentions are written; the words are
    /// not in `mentions.parquet`, so [`Partials::of`] leaves this table empty.
    pub terms: DataFrame,
}

/// File names of the partial tables, in [`Partials::named`] order.
pub const PARTIAL_NAMES: [&str; 8] = ["channel", "topic", "query", "language", "agreement", "authors", "examples", "terms"];

/// An empty `terms` table.
fn no_terms() -> PolarsResult<DataFrame> {
    let none: [&str; 0] = [];
    df!("period" => none, "topic" => none, "term" => none, "mentions" => [0u32; 0], "negative" => [0u32; 0])
}

/// The columns of `mentions.parquet` the partials read.
pub const INPUT_COLUMNS: [&str; 18] = [
    "mention_id",
    "published_at",
    "channel",
    "author",
    "url",
    "text",
    "language",
    "language_source",
    "reach",
    "engagement",
    "tool_sentiment",
    "query",
    "source_tool",
    "sentiment",
    "sentiment_confidence",
    "relevant",
    "topics",
    "model_version",
];

impl Partials {
    /// Rows per pass of [`Partials::of_chunked`]: a pass holds about 600 bytes per row (the
    /// small columns in memory at once). Measured on 1M mentions: 2^20-row passes 0.49 s
    /// and 641 MiB, 2^18 0.51–0.54 s and 400 MiB, 2^17 0.54–0.57 s and 335–370 MiB; in a
    /// whole run 2^18 was also faster, since fresh memory costs page zeroing.
    pub const CHUNK_ROWS: usize = 1 << 18;

    /// The partials of a mentions table of any length, `chunk_rows` rows at a time, merged:
    /// memory stays bounded by the chunk and the partials (the authors table grows with
    /// distinct authors), not by the input. Up to `chunk_rows` rows this is one pass of
    /// [`Partials::of`].
    pub fn of_chunked(mentions: LazyFrame, tz: Tz, g: Granularity, chunk_rows: usize) -> PolarsResult<Partials> {
        let rows = mentions.clone().select([len()]).collect()?.column("len")?.u32()?.get(0).unwrap_or(0) as usize;
        let chunk = chunk_rows.max(1);
        if rows <= chunk {
            return Partials::of(mentions, tz, g);
        }
        let parts = (0..rows)
            .step_by(chunk)
            .map(|offset| Partials::of(mentions.clone().slice(offset as i64, chunk as u32), tz, g))
            .collect::<PolarsResult<Vec<_>>>()?;
        Partials::merge(parts)
    }

    /// Computes the partials of a (lazy) mentions table with at least [`INPUT_COLUMNS`].
    pub fn of(mentions: LazyFrame, tz: Tz, g: Granularity) -> PolarsResult<Partials> {
        let zone = polars_zone(tz)?;
        // The small columns once, with the period of every mention as a number (much
        // cheaper to group by than a string); texts are read only for the chosen examples.
        let base = mentions
            .clone()
            .select([
                period_number(col("published_at").dt().convert_time_zone(zone.clone()), g).alias("period"),
                col("mention_id"),
                col("channel"),
                col("author"),
                col("query"),
                col("language").fill_null(lit(crate::normalize::language::UNDETERMINED)),
                col("language_source"),
                col("source_tool"),
                col("tool_sentiment"),
                col("sentiment"),
                col("sentiment_confidence").fill_null(lit(0f32)).gt_eq(lit(SURELY_NEGATIVE)).alias("sure"),
                col("relevant"),
                col("reach"),
                col("engagement"),
                col("topics"),
            ])
            .collect()?
            .lazy();
        let channel = base.clone().group_by([col("period"), col("channel")]).agg(counts()).collect()?;
        // Mentions share few topic lists: count per list first, then spread the counts over
        // the list's topics (much cheaper than exploding every mention).
        let topic = base
            .clone()
            .group_by([col("period"), col("topics"), col("sentiment"), col("relevant")])
            .agg([len().cast(DataType::UInt32).alias("n"), col("reach").sum().alias("reach"), col("engagement").sum().alias("engagement")])
            .explode(cols(["topics"]), ExplodeOptions { empty_as_null: true, keep_nulls: true })
            .with_column(col("topics").fill_null(lit("(none)")).alias("topic"))
            .group_by([col("period"), col("topic")])
            .agg(weighted_counts())
            .collect()?;
        let query = base
            .clone()
            .select([col("period"), col("query").fill_null(lit("(none)")), col("reach"), col("engagement")])
            .group_by([col("period"), col("query")])
            .agg(volume())
            .collect()?;
        let language = base
            .clone()
            .group_by([col("period"), col("language")])
            .agg([
                len().cast(DataType::UInt32).alias("mentions"),
                count_where(classified()).alias("classified"),
                count_where(col("language_source").eq(lit("detected"))).alias("detected"),
            ])
            .collect()?;
        let agreement = base
            .clone()
            .group_by([col("source_tool"), col("tool_sentiment"), col("sentiment")])
            .agg([len().cast(DataType::UInt32).alias("mentions")])
            .collect()?;
        let authors = base
            .clone()
            .filter(col("author").is_not_null())
            .group_by([col("author")])
            .agg([
                len().cast(DataType::UInt32).alias("mentions"),
                count_where(col("sentiment").eq(lit("negative"))).alias("negative"),
                col("engagement").sum().fill_null(lit(0i64)).alias("engagement"),
                col("reach").max().alias("reach_max"),
            ])
            .collect()?;
        let examples = examples(base, mentions, zone)?;
        Partials {
            channel: spell_periods(channel, g)?,
            topic: spell_periods(topic, g)?,
            query: spell_periods(query, g)?,
            language: spell_periods(language, g)?,
            agreement,
            authors,
            examples: spell_periods(examples, g)?,
            terms: no_terms()?,
        }
        .normalized()
    }

    /// Name and table, in the order they are written.
    pub fn named(&self) -> [(&'static str, &DataFrame); 8] {
        [
            ("channel", &self.channel),
            ("topic", &self.topic),
            ("query", &self.query),
            ("language", &self.language),
            ("agreement", &self.agreement),
            ("authors", &self.authors),
            ("examples", &self.examples),
            ("terms", &self.terms),
        ]
    }

    /// Builds partials from their tables by name (as read back from files).
    pub fn from_named(mut table: impl FnMut(&str) -> PolarsResult<DataFrame>) -> PolarsResult<Partials> {
        Ok(Partials {
            channel: table("channel")?,
            topic: table("topic")?,
            query: table("query")?,
            language: table("language")?,
            agreement: table("agreement")?,
            authors: table("authors")?,
            examples: table("examples")?,
            terms: table("terms")?,
        })
    }

    /// The partials of all parts together. Parts must come from disjoint mentions: a
    /// mention in two parts is counted twice.
    pub fn merge(mut parts: Vec<Partials>) -> PolarsResult<Partials> {
        // The authors table grows with the input (one row per distinct author): merged run
        // against run, and each part's table freed before the others are stacked.
        let authors = merge_sorted_authors(&parts.iter().map(|p| &p.authors).collect::<Vec<_>>());
        if authors.is_some() {
            parts.iter_mut().for_each(|p| p.authors = p.authors.clear());
        }
        let mut parts = parts.into_iter();
        let Some(mut acc) = parts.next() else {
            return Err(polars_err!(NoData: "no partial aggregates to merge"));
        };
        for p in parts {
            for ((name, a), (_, b)) in acc.named_mut().into_iter().zip(p.named()) {
                let b = b.select(a.get_column_names_owned())?;
                a.vstack_mut(&b).map_err(|e| polars_err!(SchemaMismatch: "partial table `{name}`: {e}"))?;
            }
        }
        let mut merged = acc.normalized()?;
        if let Some(authors) = authors {
            merged.authors = authors?;
        }
        Ok(merged)
    }

    fn named_mut(&mut self) -> [(&'static str, &mut DataFrame); 8] {
        [
            ("channel", &mut self.channel),
            ("topic", &mut self.topic),
            ("query", &mut self.query),
            ("language", &mut self.language),
            ("agreement", &mut self.agreement),
            ("authors", &mut self.authors),
            ("examples", &mut self.examples),
            ("terms", &mut self.terms),
        ]
    }

    /// One row per key, sorted by key, fixed column types: the form a run writes and a
    /// merge returns, so both give the same tables.
    pub(super) fn normalized(self) -> PolarsResult<Partials> {
        let sum_counts = || COUNT_COLUMNS.iter().map(|(n, t)| col(*n).sum().cast(t.clone())).collect::<Vec<_>>();
        Ok(Partials {
            channel: regroup(self.channel, &["period", "channel"], sum_counts())?,
            topic: regroup(self.topic, &["period", "topic"], sum_counts())?,
            query: regroup(
                self.query,
                &["period", "query"],
                vec![
                    col("mentions").sum().cast(DataType::UInt32),
                    col("reach_gross").sum().cast(DataType::Int64),
                    col("engagement").sum().cast(DataType::Int64),
                ],
            )?,
            language: regroup(
                self.language,
                &["period", "language"],
                ["mentions", "classified", "detected"].map(|c| col(c).sum().cast(DataType::UInt32)).to_vec(),
            )?,
            agreement: regroup(self.agreement, &["source_tool", "tool_sentiment", "sentiment"], vec![col("mentions").sum().cast(DataType::UInt32)])?,
            authors: if authors_in_order(&self.authors) {
                self.authors
            } else {
                regroup(
                    self.authors,
                    &["author"],
                    vec![
                        col("mentions").sum().cast(DataType::UInt32),
                        col("negative").sum().cast(DataType::UInt32),
                        col("engagement").sum().cast(DataType::Int64),
                        col("reach_max").max().cast(DataType::Int64),
                    ],
                )?
            },
            examples: best_examples(self.examples)?,
            terms: regroup(
                self.terms,
                &["period", "topic", "term"],
                vec![col("mentions").sum().cast(DataType::UInt32), col("negative").sum().cast(DataType::UInt32)],
            )?,
        })
    }
}

/// One row per key, sorted by key (nulls last), with `aggs` over each key's rows.
fn regroup(df: DataFrame, keys: &[&str], aggs: Vec<Expr>) -> PolarsResult<DataFrame> {
    df.lazy()
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg(aggs)
        .sort(keys.iter().copied(), SortMultipleOptions::default().with_nulls_last(true))
        .collect()
}

/// One row of an authors table: author, mentions, negative, engagement, reach_max.
type AuthorRow<'a> = (&'a str, u32, u32, i64, Option<i64>);

/// The rows of an authors table in the form [`Partials::normalized`] gives it (its column
/// types; a row with a null where only `reach_max` may have one is `None`); `None` for a
/// table of another form.
fn author_rows(df: &DataFrame) -> Option<impl Iterator<Item = Option<AuthorRow<'_>>>> {
    let column = |name: &str| df.column(name).ok();
    let (a, m, n) = (column("author")?.str().ok()?, column("mentions")?.u32().ok()?, column("negative")?.u32().ok()?);
    let (e, r) = (column("engagement")?.i64().ok()?, column("reach_max")?.i64().ok()?);
    Some(a.iter().zip(m.iter()).zip(n.iter()).zip(e.iter()).zip(r.iter()).map(|((((a, m), n), e), r)| Some((a?, m?, n?, e?, r))))
}

/// Whether an authors table is in normalized form already: one row per author, sorted by
/// author, with the normalized column types.
fn authors_in_order(df: &DataFrame) -> bool {
    let Some(mut rows) = author_rows(df) else { return false };
    let mut last: Option<&str> = None;
    rows.all(|row| match row {
        Some(row) if last.is_none_or(|l| l < row.0) => {
            last = Some(row.0);
            true
        }
        _ => false,
    })
}

/// Authors tables, each one row per author sorted by author (as [`Partials::normalized`]
/// leaves them), merged run against run into one such table: mentions, negative mentions
/// and engagement added, the largest reach kept. The same table as stacking them and
/// grouping again, without the hash table and the sort over all their rows: on 3M mentions
/// by distinct authors that regrouping took the run from 499 to 982 MiB in 0.3 s. `None`
/// when a table is not in that form (then they are stacked and grouped again).
fn merge_sorted_authors(tables: &[&DataFrame]) -> Option<PolarsResult<DataFrame>> {
    use std::cmp::Reverse;
    let mut runs = tables.iter().map(|t| author_rows(t)).collect::<Option<Vec<_>>>()?;
    let rows: usize = tables.iter().map(|t| t.height()).sum();
    // The next row of every run, and a heap of (its author, run) to take the least from.
    let mut heads: Vec<Option<AuthorRow>> = Vec::with_capacity(runs.len());
    let mut heap = std::collections::BinaryHeap::with_capacity(runs.len());
    for (i, run) in runs.iter_mut().enumerate() {
        let head = run.next().map(|row| row.ok_or(())).transpose().ok()?;
        if let Some(row) = head {
            heap.push(Reverse((row.0, i)));
        }
        heads.push(head);
    }
    let mut author = StringChunkedBuilder::new("author".into(), rows);
    let (mut mentions, mut negative) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let (mut engagement, mut reach_max) = (Vec::with_capacity(rows), Vec::<Option<i64>>::with_capacity(rows));
    let mut last: Option<&str> = None;
    while let Some(Reverse((_, i))) = heap.pop() {
        let row = heads[i].take()?;
        match (last == Some(row.0), mentions.last_mut(), negative.last_mut(), engagement.last_mut(), reach_max.last_mut()) {
            (true, Some(m), Some(n), Some(e), Some(r)) => {
                *m += row.1;
                *n += row.2;
                *e += row.3;
                *r = (*r).max(row.4); // `None` is less than every value: nulls ignored
            }
            _ => {
                author.append_value(row.0);
                last = Some(row.0);
                mentions.push(row.1);
                negative.push(row.2);
                engagement.push(row.3);
                reach_max.push(row.4);
            }
        }
        if let Some(next) = runs[i].next() {
            let next = next?;
            if next.0 <= row.0 {
                return None; // not sorted, or an author twice
            }
            heap.push(Reverse((next.0, i)));
            heads[i] = Some(next);
        }
    }
    let columns = vec![
        author.finish().into_column(),
        Column::new("mentions".into(), mentions),
        Column::new("negative".into(), negative),
        Column::new("engagement".into(), engagement),
        Column::new("reach_max".into(), reach_max),
    ];
    Some(DataFrame::new(columns[0].len(), columns))
}

/// The example order: period, topic, then surely negative first, highest reach (unknown
/// last), then mention id.
fn example_order(lf: LazyFrame) -> LazyFrame {
    lf.sort_by_exprs(
        [col("period"), col("topic"), col("sure"), col("reach"), col("mention_id")],
        SortMultipleOptions::default().with_order_descending_multi([false, false, true, true, false]).with_nulls_last(true),
    )
}

/// Keeps the first [`EXAMPLE_CANDIDATES`] distinct mentions per period × topic.
fn best_examples(df: DataFrame) -> PolarsResult<DataFrame> {
    let df = example_order(df.lazy()).collect()?;
    let keep = first_per_group(&df, EXAMPLE_CANDIDATES)?;
    df.filter(&keep)
}

/// A mask of the first `n` distinct mention ids of each (period, topic) run in sorted rows.
fn first_per_group(df: &DataFrame, n: usize) -> PolarsResult<BooleanChunked> {
    let (period, topic, ids) =
        (df.column("period")?.as_materialized_series().clone(), df.column("topic")?.str()?.clone(), df.column("mention_id")?.str()?.clone());
    let period = period.cast(&DataType::String)?;
    let period = period.str()?;
    let mut keep = Vec::with_capacity(df.height());
    let mut group: Option<(Option<&str>, Option<&str>)> = None;
    let mut taken: HashSet<&str> = HashSet::new();
    for i in 0..df.height() {
        let key = (period.get(i), topic.get(i));
        if group != Some(key) {
            group = Some(key);
            taken.clear();
        }
        let id = ids.get(i).unwrap_or("");
        keep.push(taken.len() < n && taken.insert(id));
    }
    Ok(BooleanChunked::from_slice("keep".into(), &keep))
}

/// The best complaint examples of each period × topic, with the texts and links of those
/// mentions only (read from `mentions` by id).
fn examples(base: LazyFrame, mentions: LazyFrame, zone: polars::prelude::TimeZone) -> PolarsResult<DataFrame> {
    // The choice on small columns, in one pass: per (period, topic) the best few negative
    // mentions: surely negative first, then by reach (unknown last), then mention id. This
    // is `example_order` by hand: sorting every negative mention with it and keeping the
    // first per group (`best_examples`) gave the same partials, but the run on the
    // generated 1M-row export was 1.026× slower (4 interleaved pairs; its aggregation stage
    // 0.84 against 0.65 s in the last pair), 2026-12-07.
    let negative = base
        .filter(col("sentiment").eq(lit("negative")))
        .select([col("period"), col("mention_id"), col("sure"), col("reach"), col("topics").alias("topic")])
        .explode(cols(["topic"]), ExplodeOptions { empty_as_null: true, keep_nulls: false })
        .filter(col("topic").is_not_null())
        .collect()?;
    let (period, ids, sure, reach, topic) = (
        negative.column("period")?.i32()?,
        negative.column("mention_id")?.str()?,
        negative.column("sure")?.bool()?,
        negative.column("reach")?.i64()?,
        negative.column("topic")?.str()?,
    );
    type Best<'a> = Vec<ExampleRank<'a>>;
    let mut best: std::collections::HashMap<(i32, &str), Best> = std::collections::HashMap::new();
    for i in 0..negative.height() {
        let (Some(p), Some(id), Some(t)) = (period.get(i), ids.get(i), topic.get(i)) else { continue };
        let cand = (sure.get(i).unwrap_or(false), reach.get(i), id);
        let list = best.entry((p, t)).or_default();
        if let Some(at) = example_slot(list.iter().copied(), &cand) {
            list.insert(at, cand);
            list.truncate(EXAMPLE_CANDIDATES);
        }
    }
    let chosen: Vec<(i32, &str, bool, Option<i64>, &str)> =
        best.iter().flat_map(|(&(p, t), list)| list.iter().map(move |&(s, r, id)| (p, t, s, r, id))).collect();
    let mut wanted: Vec<&str> = chosen.iter().map(|c| c.4).collect();
    wanted.sort_unstable();
    wanted.dedup();
    // Then the texts and links of the chosen mentions only.
    let local = col("published_at").dt().convert_time_zone(zone);
    let details = mentions
        .filter(col("sentiment").eq(lit("negative")).and(col("mention_id").is_in(lit(Series::new("ids".into(), wanted)).implode(false), false)))
        .select([col("mention_id"), local.dt().strftime("%Y-%m-%d %H:%M").alias("published_at"), col("channel"), col("url"), col("text")])
        // Ids are unique after de-duplication; should they not be, one row per id.
        .unique_stable(Some(cols(["mention_id"])), UniqueKeepStrategy::First)
        .collect()?;
    let mut details = details;
    let texts = cut_texts(details.column("text")?)?;
    details.with_column(texts)?;
    let chosen = df!(
        "period" => chosen.iter().map(|c| c.0).collect::<Vec<_>>(),
        "topic" => chosen.iter().map(|c| c.1).collect::<Vec<_>>(),
        "sure" => chosen.iter().map(|c| c.2).collect::<Vec<_>>(),
        "reach" => chosen.iter().map(|c| c.3).collect::<Vec<_>>(),
        "mention_id" => chosen.iter().map(|c| c.4).collect::<Vec<_>>(),
    )?;
    // In the example order: a left join need not keep the left rows' order.
    example_order(chosen.lazy().join(details.lazy(), [col("mention_id")], [col("mention_id")], JoinArgs::new(JoinType::Left))).collect()
}

/// Example texts are cut to 280 characters (with `…`).
fn cut_texts(c: &Column) -> PolarsResult<Column> {
    let cut: StringChunked = c.str()?.iter().map(|s| s.map(cut_text)).collect();
    Ok(cut.with_name(c.name().clone()).into_column())
}

/// An example text cut to 280 characters (with `…`).
pub(super) fn cut_text(s: &str) -> String {
    match s.char_indices().nth(280) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// What complaint examples are ranked by: surely negative, reach, mention id.
pub(super) type ExampleRank<'a> = (bool, Option<i64>, &'a str);

/// Where candidate `cand` goes among the best examples `list` (best first): `None` when its
/// mention is there already or it ranks below the first [`EXAMPLE_CANDIDATES`].
pub(super) fn example_slot<'a>(list: impl IntoIterator<Item = ExampleRank<'a>>, cand: &ExampleRank) -> Option<usize> {
    let (mut at, mut len) = (None, 0);
    for (i, c) in list.into_iter().enumerate() {
        if c.2 == cand.2 {
            return None;
        }
        if at.is_none() && better_example(cand, &c) {
            at = Some(i);
        }
        len = i + 1;
    }
    let at = at.unwrap_or(len);
    (at < EXAMPLE_CANDIDATES).then_some(at)
}

/// Whether example `a` ranks before `b`: surely negative first, then the higher reach
/// (unknown last), then the smaller mention id ([`example_order`] by hand).
fn better_example(a: &ExampleRank, b: &ExampleRank) -> bool {
    match (a.1, b.1) {
        _ if a.0 != b.0 => a.0,
        (Some(x), Some(y)) if x != y => x > y,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        _ => a.2 < b.2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authors(rows: &[(&str, u32, u32, i64, Option<i64>)]) -> DataFrame {
        df!(
            "author" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "mentions" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "negative" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "engagement" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "reach_max" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn sorted_authors_tables_merge_as_stacking_and_regrouping_does() {
        let a = authors(&[("anna", 2, 1, 10, Some(5)), ("ben", 1, 0, 0, None), ("zoe", 1, 1, 3, Some(1))]);
        let b = authors(&[("ben", 3, 2, 7, Some(9)), ("carl", 1, 0, 1, None)]);
        let c = authors(&[("anna", 1, 0, 0, None), ("ben", 1, 1, 1, Some(2)), ("zoe", 1, 0, 0, Some(8)), ("émile", 4, 0, 2, Some(3))]);
        // In the order of UTF-8 bytes (`é` after `z`), as polars sorts.
        let tables = [&a, &b, &c, &a.clear()];
        let merged = merge_sorted_authors(&tables).expect("sorted tables").unwrap();
        let mut stacked = a.clone();
        for t in &tables[1..] {
            stacked.vstack_mut(t).unwrap();
        }
        let regrouped = Partials { authors: stacked, ..empty_partials() }.normalized().unwrap().authors;
        assert!(merged.equals_missing(&regrouped), "{merged}\n{regrouped}");
        assert_eq!(merged.height(), 5);
    }

    #[test]
    fn authors_tables_out_of_order_are_left_to_regrouping() {
        let unsorted = authors(&[("ben", 1, 0, 0, None), ("anna", 1, 0, 0, None)]);
        let twice = authors(&[("anna", 1, 0, 0, None), ("anna", 1, 0, 0, None)]);
        let sorted = authors(&[("anna", 1, 0, 0, None)]);
        assert!(merge_sorted_authors(&[&sorted, &unsorted]).is_none());
        assert!(merge_sorted_authors(&[&twice]).is_none());
        let other_types = sorted.clone().lazy().with_column(col("mentions").cast(DataType::Int64)).collect().unwrap();
        assert!(merge_sorted_authors(&[&sorted, &other_types]).is_none());
    }

    fn empty_partials() -> Partials {
        let empty = |names: &[(&str, DataType)]| DataFrame::empty_with_schema(&names.iter().map(|(n, t)| Field::new((*n).into(), t.clone())).collect());
        let counts: Vec<(&str, DataType)> = [("period", DataType::String), ("channel", DataType::String)].into_iter().chain(COUNT_COLUMNS).collect();
        let topic: Vec<(&str, DataType)> = [("period", DataType::String), ("topic", DataType::String)].into_iter().chain(COUNT_COLUMNS).collect();
        let u = DataType::UInt32;
        let s = DataType::String;
        let i = DataType::Int64;
        Partials {
            channel: empty(&counts),
            topic: empty(&topic),
            query: empty(&[("period", s.clone()), ("query", s.clone()), ("mentions", u.clone()), ("reach_gross", i.clone()), ("engagement", i.clone())]),
            language: empty(&[("period", s.clone()), ("language", s.clone()), ("mentions", u.clone()), ("classified", u.clone()), ("detected", u.clone())]),
            agreement: empty(&[("source_tool", s.clone()), ("tool_sentiment", s.clone()), ("sentiment", s.clone()), ("mentions", u.clone())]),
            authors: empty(&[("author", s.clone()), ("mentions", u.clone()), ("negative", u.clone()), ("engagement", i.clone()), ("reach_max", i.clone())]),
            examples: empty(&[("period", s.clone()), ("topic", s.clone()), ("sure", DataType::Boolean), ("reach", i.clone()), ("mention_id", s.clone())]),
            terms: no_terms().unwrap(),
        }
    }
}
