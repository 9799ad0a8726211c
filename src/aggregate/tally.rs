//! The partial aggregates counted while the classified mentions stream past on their way
//! to `mentions.parquet` (the writer thread): the tables [`Partials::of`] computes from
//! the written file, without reading it back. [`Partials::of`] stays the reference (a test
//! holds the two equal) and computes partials of a mentions table written before.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;

use super::partial::{cut_text, example_slot, Partials, SURELY_NEGATIVE};
use super::{period_of, period_range, Granularity, EXAMPLE_CANDIDATES};
use crate::allocator::OsPages;
use crate::mention::{Channel, LanguageSource, Mention, Sentiment, ToolSentiment, UNCLASSIFIED};
use crate::normalize::language::UNDETERMINED;

type Map<K, V> = hashbrown::HashMap<K, V>;

/// The key of mentions without a topic or a query.
const NONE: &str = "(none)";

/// The count and sum columns of `channel` and `topic` for one group (`COUNT_COLUMNS`).
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    mentions: u32,
    relevant: u32,
    classified: u32,
    positive: u32,
    neutral: u32,
    negative: u32,
    reach_gross: i64,
    engagement: i64,
}

impl Counts {
    fn add(&mut self, m: &Mention) {
        let label = m.sentiment_label();
        self.mentions += 1;
        self.relevant += u32::from(m.relevant == Some(true));
        self.classified += u32::from(label.is_some_and(|l| l != UNCLASSIFIED));
        self.positive += u32::from(m.sentiment == Some(Sentiment::Positive));
        self.neutral += u32::from(m.sentiment == Some(Sentiment::Neutral));
        self.negative += u32::from(m.sentiment == Some(Sentiment::Negative));
        self.reach_gross += m.reach.unwrap_or(0);
        self.engagement += m.engagement.unwrap_or(0);
    }
}

/// An author's row of the `authors` table.
#[derive(Debug, Default, Clone, Copy)]
struct Author {
    mentions: u32,
    negative: u32,
    engagement: i64,
    reach_max: Option<i64>,
}

impl Author {
    fn add(&mut self, m: &Mention) {
        self.mentions += 1;
        self.negative += u32::from(m.sentiment == Some(Sentiment::Negative));
        self.engagement += m.engagement.unwrap_or(0);
        self.reach_max = self.reach_max.max(m.reach); // `None` below every value: nulls ignored
    }
}

/// A complaint example candidate with what the `examples` table shows of it.
#[derive(Debug, Clone)]
struct Example {
    sure: bool,
    reach: Option<i64>,
    mention_id: String,
    published_at: String,
    channel: &'static str,
    url: Option<String>,
    text: String,
}

/// Partial aggregates of the mentions seen so far ([`Tally::add`]); [`Tally::partials`]
/// gives them as [`Partials`].
#[derive(Debug)]
pub struct Tally {
    tz: Tz,
    g: Granularity,
    /// The last mention's period: its UTC range [start, end) and number. Mentions come
    /// mostly in time order, and a time zone conversion per mention costs.
    last: Option<(DateTime<Utc>, DateTime<Utc>, i32)>,
    channel: Map<(i32, Channel), Counts>,
    topic: Map<(i32, Arc<str>), Counts>,
    /// Per period: query (`(none)` without one) → mentions, reach_gross, engagement.
    query: Map<i32, Map<String, (u32, i64, i64)>>,
    /// Per period: language (`und` when not known) → mentions, classified, detected.
    language: Map<i32, Map<String, [u32; 3]>>,
    agreement: Map<(Arc<str>, ToolSentiment, Option<&'static str>), u32>,
    /// Inline names (most are shorter than 25 bytes): no allocation of their own. The one
    /// table that grows with the input (with distinct authors), in [`OsPages`]: when it
    /// doubles, the old table is the system's again at once.
    authors: hashbrown::HashMap<compact_str::CompactString, Author, hashbrown::DefaultHashBuilder, OsPages>,
    /// Per period × topic the best [`EXAMPLE_CANDIDATES`] negative mentions, best first.
    examples: Map<(i32, Arc<str>), Vec<Example>>,
    /// (topic, word) by the ids in the mentions (the classifier's `topic_words`).
    words: Vec<(Arc<str>, Arc<str>)>,
    /// (period, id of a (topic, word) pair) → mentions, negative mentions.
    terms: Map<(i32, u32), [u32; 2]>,
    none: Arc<str>,
}

impl Tally {
    /// Counts with periods of `g` in `tz`; `words` names the (topic, taxonomy word) pairs
    /// of the mentions' `topic_words`.
    pub fn new(tz: Tz, g: Granularity, words: Vec<(Arc<str>, Arc<str>)>) -> Tally {
        Tally {
            tz,
            g,
            last: None,
            channel: Map::default(),
            topic: Map::default(),
            query: Map::default(),
            language: Map::default(),
            agreement: Map::default(),
            authors: hashbrown::HashMap::with_hasher_in(Default::default(), OsPages),
            examples: Map::default(),
            words,
            terms: Map::default(),
            none: Arc::from(NONE),
        }
    }

    fn period(&mut self, t: DateTime<Utc>) -> i32 {
        match self.last {
            Some((start, end, p)) if start <= t && t < end => p,
            _ => {
                let p = period_of(t, self.tz, self.g);
                self.last = period_range(p, self.tz, self.g).map(|(start, end)| (start, end, p));
                p
            }
        }
    }

    /// Counts classified mentions (as they are written to `mentions.parquet`).
    pub fn add(&mut self, mentions: &[Mention]) {
        for m in mentions {
            let p = self.period(m.published_at);
            let label = m.sentiment_label();
            self.channel.entry((p, m.channel)).or_default().add(m);
            let topics = if m.topics.is_empty() { std::slice::from_ref(&self.none) } else { &m.topics[..] };
            for t in topics {
                self.topic.entry((p, t.clone())).or_default().add(m);
            }
            let q = self.query.entry(p).or_default().entry_ref(m.query.as_deref().unwrap_or(NONE)).or_default();
            *q = (q.0 + 1, q.1 + m.reach.unwrap_or(0), q.2 + m.engagement.unwrap_or(0));
            let l = self.language.entry(p).or_default().entry_ref(m.language.as_deref().unwrap_or(UNDETERMINED)).or_default();
            l[0] += 1;
            l[1] += u32::from(label.is_some_and(|l| l != UNCLASSIFIED));
            l[2] += u32::from(m.language_source == Some(LanguageSource::Detected));
            *self.agreement.entry((m.source_tool.clone(), m.tool_sentiment, label)).or_default() += 1;
            if let Some(author) = m.author.as_deref() {
                match self.authors.get_mut(author) {
                    Some(a) => a.add(m),
                    None => {
                        let mut a = Author::default();
                        a.add(m);
                        self.authors.insert(author.into(), a);
                    }
                }
            }
            let negative = u32::from(m.sentiment == Some(Sentiment::Negative));
            for &pair in &m.topic_words {
                let c = self.terms.entry((p, pair)).or_default();
                c[0] += 1;
                c[1] += negative;
            }
            if negative == 1 {
                for t in &m.topics {
                    self.example(p, t, m);
                }
            }
        }
    }

    /// Keeps `m` among the best examples of period `p` × topic `t` if it is one.
    fn example(&mut self, p: i32, t: &Arc<str>, m: &Mention) {
        let sure = m.sentiment_confidence.unwrap_or(0.0) >= SURELY_NEGATIVE;
        let cand = (sure, m.reach, m.mention_id.as_str());
        let list = self.examples.entry((p, t.clone())).or_default();
        let Some(at) = example_slot(list.iter().map(|e| (e.sure, e.reach, e.mention_id.as_str())), &cand) else { return };
        let published_at = m.published_at.with_timezone(&self.tz).format("%Y-%m-%d %H:%M").to_string();
        let example = Example {
            sure,
            reach: m.reach,
            mention_id: m.mention_id.clone(),
            published_at,
            channel: m.channel.as_str(),
            url: m.url.clone(),
            text: cut_text(&m.text),
        };
        list.insert(at, example);
        list.truncate(EXAMPLE_CANDIDATES);
    }

    /// The partial aggregates of every mention added.
    pub fn partials(self) -> PolarsResult<Partials> {
        let g = self.g;
        let counts = |keys: DataFrame, rows: Vec<Counts>| -> PolarsResult<DataFrame> {
            let column = |name: &str, f: fn(&Counts) -> u32| Column::new(name.into(), rows.iter().map(f).collect::<Vec<u32>>());
            let mut columns = keys.into_columns();
            columns.extend([
                column("mentions", |c| c.mentions),
                column("relevant", |c| c.relevant),
                column("classified", |c| c.classified),
                column("positive", |c| c.positive),
                column("neutral", |c| c.neutral),
                column("negative", |c| c.negative),
                Column::new("reach_gross".into(), rows.iter().map(|c| c.reach_gross).collect::<Vec<i64>>()),
                Column::new("engagement".into(), rows.iter().map(|c| c.engagement).collect::<Vec<i64>>()),
            ]);
            DataFrame::new(rows.len(), columns)
        };
        let (keys, rows): (Vec<_>, Vec<_>) = self.channel.into_iter().unzip();
        let channel = counts(
            df!(
                "period" => keys.iter().map(|k| g.spell(k.0)).collect::<Vec<_>>(),
                "channel" => keys.iter().map(|k| k.1.as_str()).collect::<Vec<_>>(),
            )?,
            rows,
        )?;
        let (keys, rows): (Vec<_>, Vec<_>) = self.topic.into_iter().unzip();
        let topic = counts(
            df!(
                "period" => keys.iter().map(|k| g.spell(k.0)).collect::<Vec<_>>(),
                "topic" => keys.iter().map(|k| &*k.1).collect::<Vec<_>>(),
            )?,
            rows,
        )?;
        let query: Vec<(i32, String, (u32, i64, i64))> = self.query.into_iter().flat_map(|(p, m)| m.into_iter().map(move |(q, v)| (p, q, v))).collect();
        let query = df!(
            "period" => query.iter().map(|r| g.spell(r.0)).collect::<Vec<_>>(),
            "query" => query.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            "mentions" => query.iter().map(|r| r.2 .0).collect::<Vec<_>>(),
            "reach_gross" => query.iter().map(|r| r.2 .1).collect::<Vec<_>>(),
            "engagement" => query.iter().map(|r| r.2 .2).collect::<Vec<_>>(),
        )?;
        let language: Vec<(i32, String, [u32; 3])> = self.language.into_iter().flat_map(|(p, m)| m.into_iter().map(move |(l, v)| (p, l, v))).collect();
        let language = df!(
            "period" => language.iter().map(|r| g.spell(r.0)).collect::<Vec<_>>(),
            "language" => language.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            "mentions" => language.iter().map(|r| r.2[0]).collect::<Vec<_>>(),
            "classified" => language.iter().map(|r| r.2[1]).collect::<Vec<_>>(),
            "detected" => language.iter().map(|r| r.2[2]).collect::<Vec<_>>(),
        )?;
        let agreement: Vec<_> = self.agreement.into_iter().collect();
        let agreement = df!(
            "source_tool" => agreement.iter().map(|r| &*r.0 .0).collect::<Vec<_>>(),
            "tool_sentiment" => agreement.iter().map(|r| r.0 .1.as_str()).collect::<Vec<_>>(),
            "sentiment" => agreement.iter().map(|r| r.0 .2).collect::<Vec<_>>(),
            "mentions" => agreement.iter().map(|r| r.1).collect::<Vec<_>>(),
        )?;
        // Sorted here, in the order `normalized` gives (UTF-8 bytes), which then keeps the
        // table as it is: regrouping it in polars held it twice more.
        let mut authors: Vec<(compact_str::CompactString, Author)> = self.authors.into_iter().collect();
        authors.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut names = StringChunkedBuilder::new("author".into(), authors.len());
        authors.iter().for_each(|a| names.append_value(a.0.as_str()));
        let authors = DataFrame::new(
            authors.len(),
            vec![
                names.finish().into_column(),
                Column::new("mentions".into(), authors.iter().map(|a| a.1.mentions).collect::<Vec<_>>()),
                Column::new("negative".into(), authors.iter().map(|a| a.1.negative).collect::<Vec<_>>()),
                Column::new("engagement".into(), authors.iter().map(|a| a.1.engagement).collect::<Vec<_>>()),
                Column::new("reach_max".into(), authors.iter().map(|a| a.1.reach_max).collect::<Vec<_>>()),
            ],
        )?;
        let examples: Vec<(i32, Arc<str>, Example)> =
            self.examples.into_iter().flat_map(|((p, t), list)| list.into_iter().map(move |e| (p, t.clone(), e))).collect();
        let examples = df!(
            "period" => examples.iter().map(|r| g.spell(r.0)).collect::<Vec<_>>(),
            "topic" => examples.iter().map(|r| &*r.1).collect::<Vec<_>>(),
            "sure" => examples.iter().map(|r| r.2.sure).collect::<Vec<_>>(),
            "reach" => examples.iter().map(|r| r.2.reach).collect::<Vec<_>>(),
            "mention_id" => examples.iter().map(|r| r.2.mention_id.as_str()).collect::<Vec<_>>(),
            "published_at" => examples.iter().map(|r| r.2.published_at.as_str()).collect::<Vec<_>>(),
            "channel" => examples.iter().map(|r| r.2.channel).collect::<Vec<_>>(),
            "url" => examples.iter().map(|r| r.2.url.as_deref()).collect::<Vec<_>>(),
            "text" => examples.iter().map(|r| r.2.text.as_str()).collect::<Vec<_>>(),
        )?;
        let terms: Vec<_> = self.terms.iter().filter_map(|(&(p, pair), c)| Some((p, self.words.get(pair as usize)?, c))).collect();
        let terms = df!(
            "period" => terms.iter().map(|(p, _, _)| g.spell(*p)).collect::<Vec<_>>(),
            "topic" => terms.iter().map(|(_, n, _)| &*n.0).collect::<Vec<_>>(),
            "term" => terms.iter().map(|(_, n, _)| &*n.1).collect::<Vec<_>>(),
            "mentions" => terms.iter().map(|(_, _, c)| c[0]).collect::<Vec<_>>(),
            "negative" => terms.iter().map(|(_, _, c)| c[1]).collect::<Vec<_>>(),
        )?;
        Partials { channel, topic, query, language, agreement, authors, examples, terms }.normalized()
    }
}
