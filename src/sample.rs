//! `sample`: the mentions of a finished run most worth labelling, as a CSV the analyst fills
//! in (German Excel opens it as it is) and `train --base` reads back.
//!
//! Which mentions: spread over strata of channel × period × first topic — every stratum
//! gives one mention before any gives its second — in an [`Order`] inside each stratum
//! (by default at random; least certain first on request), and never two near-identical
//! texts (same words, or word sets overlapping by [`NEAR_DUPLICATE`] Jaccard or more).
//! "Random" is a hash of the seed and the mention id, so a seed always picks the same set.
//!
//! Why not least certain first by default: on the PotTS learning curve (README, "Teach
//! resonanz your domain") labels picked at random gave `train --base` a better model than
//! the least certain ones at 100, 300 and 1,000 labels; the least certain mentions are
//! skewed towards few words and one class.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;

/// Word sets overlapping this much (Jaccard) count as the same text: a retweet with a
/// comment, a template post with another product name.
pub const NEAR_DUPLICATE: f64 = 0.6;

/// The columns of the labelling CSV, in order; the last two are for the analyst.
pub const SAMPLE_COLUMNS: [&str; 12] =
    ["mention_id", "published_at", "channel", "url", "text", "topics", "predicted", "score", "confidence", "relevant", "label", "relevant_label"];

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("{}: no mentions.parquet (or mentions/ folder) of a finished run", path.display())]
    NoRun { path: PathBuf },
    #[error("{}: cannot read the run's mentions: {source}", path.display())]
    Read { path: PathBuf, source: PolarsError },
    #[error("{}: the run has no `{column}` column; run it again with this version of resonanz", path.display())]
    Column { path: PathBuf, column: &'static str },
    #[error("{}: cannot write: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// One mention of a run, as far as labelling needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub mention_id: String,
    pub published_at: DateTime<Utc>,
    pub channel: String,
    pub url: Option<String>,
    pub text: String,
    pub topics: Vec<String>,
    pub predicted: Option<String>,
    pub score: Option<f32>,
    pub confidence: Option<f32>,
    pub relevant: Option<bool>,
}

/// The mentions of the run in `dir` (its `mentions.parquet` or partitioned `mentions/`).
pub fn read_run(dir: &Path) -> Result<Vec<Candidate>, SampleError> {
    let path =
        [dir.join("mentions.parquet"), dir.join("mentions")].into_iter().find(|p| p.exists()).ok_or_else(|| SampleError::NoRun { path: dir.to_path_buf() })?;
    let read = |source| SampleError::Read { path: path.clone(), source };
    let df = crate::report::scan_mentions(&path).and_then(|lf| lf.collect()).map_err(read)?;
    let column = |name: &'static str| df.column(name).map_err(|_| SampleError::Column { path: path.clone(), column: name });
    let strings = |name: &'static str| -> Result<Vec<Option<String>>, SampleError> {
        Ok(column(name)?.str().map_err(read)?.iter().map(|v| v.map(str::to_string)).collect())
    };
    let ids = strings("mention_id")?;
    let channels = strings("channel")?;
    let urls = strings("url")?;
    let texts = strings("text")?;
    let predicted = strings("sentiment")?;
    let published: Vec<Option<i64>> = column("published_at")?.cast(&DataType::Int64).map_err(read)?.i64().map_err(read)?.iter().collect();
    let f32s = |name: &'static str| -> Result<Vec<Option<f32>>, SampleError> {
        Ok(column(name)?.cast(&DataType::Float32).map_err(read)?.f32().map_err(read)?.iter().collect())
    };
    let scores = f32s("sentiment_score")?;
    let confidence = f32s("sentiment_confidence")?;
    let relevant: Vec<Option<bool>> = column("relevant")?.bool().map_err(read)?.iter().collect();
    let topics: Vec<Vec<String>> = column("topics")?
        .list()
        .map_err(read)?
        .amortized_iter()
        .map(|s| s.and_then(|s| s.as_ref().str().ok().map(|t| t.iter().flatten().map(str::to_string).collect())).unwrap_or_default())
        .collect();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        out.push(Candidate {
            mention_id: ids[i].clone().unwrap_or_default(),
            published_at: published[i].and_then(DateTime::from_timestamp_millis).unwrap_or_default(),
            channel: channels[i].clone().unwrap_or_default(),
            url: urls[i].clone(),
            text: texts[i].clone().unwrap_or_default(),
            topics: topics[i].clone(),
            predicted: predicted[i].clone(),
            score: scores[i],
            confidence: confidence[i],
            relevant: relevant[i],
        });
    }
    Ok(out)
}

/// The order in which each stratum offers its mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// At random (seeded): a sample of the run's mentions as they are.
    Spread,
    /// The classifier's least certain first.
    LeastCertain,
    /// Least certain and random in turn.
    Mixed,
}

/// How uncertain the classifier was: 1 − the probability of its label (0.5 when unknown).
fn uncertainty(c: &Candidate) -> f32 {
    c.confidence.map_or(0.5, |p| 1.0 - p)
}

fn tie_break(seed: u64, id: &str) -> u64 {
    crate::synth::Rng::new(seed ^ crate::normalize::term_key(id)).next_u64()
}

/// Indexes of up to `n` candidates to label, in the order picked (see the module docs).
pub fn pick(candidates: &[Candidate], n: usize, seed: u64, order: Order, tz: Tz) -> Vec<usize> {
    // Strata, each in `order`.
    let mut strata: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let period = crate::aggregate::period_key(c.published_at, tz, crate::aggregate::Granularity::Month);
        strata.entry((c.channel.clone(), period, c.topics.first().cloned().unwrap_or_default())).or_default().push(i);
    }
    let uncertain = |&i: &usize| (std::cmp::Reverse(ordered(uncertainty(&candidates[i]))), tie_break(seed, &candidates[i].mention_id));
    let random = |&i: &usize| tie_break(seed, &candidates[i].mention_id);
    let mut queues: Vec<std::collections::VecDeque<usize>> = strata
        .into_values()
        .map(|mut v| {
            match order {
                Order::Spread => v.sort_by_key(random),
                Order::LeastCertain => v.sort_by_key(uncertain),
                Order::Mixed => {
                    let mut a = v.clone();
                    a.sort_by_key(uncertain);
                    v.sort_by_key(random);
                    v = interleave(&a, &v);
                }
            }
            v.into()
        })
        .collect();
    // Strata take turns in the order of their next mention's own rank.
    let key = |&i: &usize| match order {
        Order::Spread => (std::cmp::Reverse(0), random(&i)),
        _ => uncertain(&i),
    };
    let terms = |i: usize| word_set(&candidates[i].text);
    let mut picked = Vec::new();
    let mut picked_terms: Vec<Vec<u64>> = Vec::new();
    let mut exact: HashSet<Vec<u64>> = HashSet::new();
    while picked.len() < n && queues.iter().any(|q| !q.is_empty()) {
        // One round: the head of every stratum, least certain first.
        let mut heads: Vec<usize> = (0..queues.len()).filter(|&q| !queues[q].is_empty()).collect();
        heads.sort_by_key(|&q| key(&queues[q][0]));
        for q in heads {
            if picked.len() == n {
                break;
            }
            while let Some(i) = queues[q].pop_front() {
                let t = terms(i);
                let near = exact.contains(&t) || picked_terms.iter().any(|p| jaccard(p, &t) >= NEAR_DUPLICATE);
                if !near {
                    picked.push(i);
                    exact.insert(t.clone());
                    picked_terms.push(t);
                    break;
                }
            }
        }
    }
    picked
}

/// The words of a text for near-duplicate detection: lower case, split at anything but
/// letters and digits, numbers and the retweet marker left out (copies of one text differ
/// in them), as sorted hashes.
fn word_set(text: &str) -> Vec<u64> {
    let mut words: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()) && !w.eq_ignore_ascii_case("rt"))
        .map(|w| crate::normalize::term_key(&w.to_lowercase()))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// An f32 in 0..1 as an orderable integer.
fn ordered(x: f32) -> u32 {
    (x.clamp(0.0, 1.0) * 1e6) as u32
}

/// Jaccard overlap of two sorted, de-duplicated sets.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 / (a.len() + b.len() - both) as f64
}

/// The labelling CSV: for German Excel (`excel`: `;`, decimal comma, UTF-8 BOM, CRLF) or
/// plain (`,`, `.`); times in `tz`; cells escaped against formula injection. Written
/// atomically.
pub fn write_csv(path: &Path, candidates: &[Candidate], picked: &[usize], tz: Tz, excel: bool) -> Result<(), SampleError> {
    let werr = |source| SampleError::Write { path: path.to_path_buf(), source };
    let mut buf = Vec::new();
    if excel {
        buf.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(if excel { b';' } else { b',' })
        .terminator(if excel { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(buf);
    let csv_err = |e: csv::Error| werr(std::io::Error::other(e));
    w.write_record(SAMPLE_COLUMNS).map_err(csv_err)?;
    let number = |x: Option<f32>| x.map(|v| format!("{v:.3}")).map(|s| if excel { s.replace('.', ",") } else { s }).unwrap_or_default();
    for &i in picked {
        let c = &candidates[i];
        let relevant = match c.relevant {
            Some(true) => "ja",
            Some(false) => "nein",
            None => "",
        };
        let cells = [
            c.mention_id.clone(),
            c.published_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            c.channel.clone(),
            c.url.clone().unwrap_or_default(),
            c.text.clone(),
            c.topics.join(" | "),
            c.predicted.clone().unwrap_or_default(),
            number(c.score),
            number(c.confidence),
            relevant.to_string(),
            String::new(),
            String::new(),
        ];
        // Text cells escaped against formulas; the numbers (`-0,25`) as they are.
        let numeric = [7, 8];
        w.write_record(cells.iter().enumerate().map(|(k, c)| if numeric.contains(&k) { c.clone() } else { crate::report::safe_cell(c).into_owned() }))
            .map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| werr(e.into_error()))?;
    crate::report::atomic::write_file(path, &bytes).map_err(werr)
}

/// Two orders of the same items interleaved (first, second, first, …), each item once.
pub fn interleave(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(a.len());
    for k in 0..a.len().max(b.len()) {
        for x in [a.get(k), b.get(k)].into_iter().flatten() {
            if seen.insert(*x) {
                out.push(*x);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, channel: &str, text: &str, confidence: f32) -> Candidate {
        Candidate {
            mention_id: id.into(),
            published_at: "2024-05-03T10:00:00Z".parse().unwrap(),
            channel: channel.into(),
            url: None,
            text: text.into(),
            topics: Vec::new(),
            predicted: Some("neutral".into()),
            score: Some(0.0),
            confidence: Some(confidence),
            relevant: None,
        }
    }

    #[test]
    fn least_certain_first_spread_over_channels_without_near_duplicates() {
        let cs = vec![
            candidate("a", "twitter", "Der Service war heute leider sehr langsam", 0.40),
            candidate("b", "twitter", "Der Service war heute leider sehr langsam!!", 0.35),
            candidate("c", "twitter", "Tolle Maschine, läuft seit Jahren", 0.90),
            candidate("d", "xing", "Wir suchen Verstärkung im Vertrieb", 0.80),
            candidate("e", "twitter", "Lieferung kam zwei Wochen zu spät", 0.50),
        ];
        let tz = chrono_tz::Europe::Berlin;
        let picked = pick(&cs, 4, 1, Order::LeastCertain, tz);
        let ids: Vec<&str> = picked.iter().map(|&i| cs[i].mention_id.as_str()).collect();
        // Round 1: the least certain of each channel (b, then xing's d); round 2: twitter's
        // next (a is b's near-duplicate, so e), then c.
        assert_eq!(ids, ["b", "d", "e", "c"]);
        assert_eq!(pick(&cs, 4, 1, Order::LeastCertain, tz), picked, "deterministic");
        for order in [Order::Spread, Order::LeastCertain, Order::Mixed] {
            let all = pick(&cs, 10, 1, order, tz);
            assert_eq!(all.len(), 4, "never a near-duplicate, even to fill up: {order:?}");
            assert!(all.iter().take(2).any(|&i| cs[i].channel == "xing"), "xing within the first round: {order:?}");
            assert_eq!(pick(&cs, 10, 1, order, tz), all, "deterministic: {order:?}");
        }
        let draws: HashSet<Vec<usize>> = (1..20).map(|seed| pick(&cs, 10, seed, Order::Spread, tz)).collect();
        assert!(draws.len() > 1, "other seeds, other draws");
    }

    #[test]
    fn jaccard_of_sets() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard(&[], &[]), 1.0);
        assert_eq!(jaccard(&[1], &[]), 0.0);
    }
}
