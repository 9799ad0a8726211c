//! Labelled data for training and evaluation: GermEval 2017 TSV
//! (`id<TAB>text<TAB>relevance<TAB>sentiment<TAB>aspects`, no header) or a CSV with a
//! header containing `text` and `label` (or `sentiment` / `relevance`, and `topics` with
//! categories separated by `|`).

use std::path::{Path, PathBuf};

use crate::classify::Task;
use crate::mention::Sentiment;
use crate::message::one_line;

/// One labelled document.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub sentiment: Option<Sentiment>,
    pub relevant: Option<bool>,
    /// Aspect categories (`Zugfahrt#Haupt`), de-duplicated, in order of appearance.
    pub aspects: Vec<String>,
    pub line: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// The reason may quote the line's values: on one line ([`one_line`]).
    #[error("{}:{line}: {}", path.display(), one_line(reason))]
    Line { path: PathBuf, line: u64, reason: String },
    #[error("{}: {}", path.display(), one_line(reason))]
    File { path: PathBuf, reason: String },
    /// Examples already read (their file is the caller's to name).
    #[error("line {line}: label `{}` is not one of the model's", one_line(label))]
    UnknownLabel { line: u64, label: String },
    #[error("no example has a {0} label")]
    NoLabels(&'static str),
    #[error("the data has no topic (aspect category) labels")]
    NoTopicLabels,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "1" | "yes" | "ja" => Some(true),
        "false" | "0" | "no" | "nein" => Some(false),
        _ => None,
    }
}

/// Reads a labelled file; every problem names the file and line.
pub fn read_labelled(path: &Path) -> Result<Vec<Example>, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    // UTF-8, or what German Excel's "CSV (Trennzeichen-getrennt)" writes: Windows-1252.
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => encoding_rs::WINDOWS_1252.decode(e.as_bytes()).0.into_owned(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text.lines().next().unwrap_or("");
    let cols: Vec<&str> = first.split('\t').collect();
    let has_header = first.split([',', ';', '\t']).any(|c| matches!(c.trim().trim_matches('"').to_lowercase().as_str(), "text" | "label" | "sentiment"));
    let tsv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    if (cols.len() >= 4 && parse_bool(cols[2]).is_some()) || (tsv && !has_header) {
        read_germeval(path, text)
    } else {
        read_csv(path, text)
    }
}

fn read_germeval(path: &Path, text: &str) -> Result<Vec<Example>, DataError> {
    let err = |line: u64, reason: String| DataError::Line { path: path.to_path_buf(), line, reason };
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = raw.split('\t').collect();
        if cols.len() < 4 {
            return Err(err(line, format!("{} tab-separated columns, expected id, text, relevance, sentiment[, aspects]", cols.len())));
        }
        let body = cols[1].trim();
        if body.is_empty() {
            return Err(err(line, "empty text".into()));
        }
        let relevant = parse_bool(cols[2]).ok_or_else(|| err(line, format!("relevance `{}` is not true/false", cols[2])))?;
        let sentiment = Sentiment::parse(cols[3]).ok_or_else(|| err(line, format!("unknown sentiment label `{}`", cols[3])))?;
        let mut aspects: Vec<String> = Vec::new();
        for a in cols.get(4).copied().unwrap_or("").split_whitespace() {
            let cat = a.split(':').next().unwrap_or(a).to_string();
            if !cat.contains('#') {
                return Err(err(line, format!("aspect `{a}` is not Category#Sub:polarity")));
            }
            if !aspects.contains(&cat) {
                aspects.push(cat);
            }
        }
        out.push(Example { text: body.to_string(), sentiment: Some(sentiment), relevant: Some(relevant), aspects, line });
    }
    if out.is_empty() {
        return Err(DataError::File { path: path.to_path_buf(), reason: "no examples".into() });
    }
    Ok(out)
}

fn read_csv(path: &Path, text: &str) -> Result<Vec<Example>, DataError> {
    let delim = if text.lines().next().is_some_and(|l| l.matches(';').count() > l.matches(',').count()) { b';' } else { b',' };
    let mut rdr = csv::ReaderBuilder::new().delimiter(delim).from_reader(text.as_bytes());
    let header: Vec<String> =
        rdr.headers().map_err(|e| DataError::File { path: path.to_path_buf(), reason: e.to_string() })?.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let text_col =
        col(&["text", "content", "body"]).ok_or_else(|| DataError::File { path: path.to_path_buf(), reason: "no `text` column in the header".into() })?;
    // `resonanz sample` files carry the prediction beside the analyst's label: the label
    // columns win (`label` over `sentiment`/`predicted`, `relevant_label` over `relevant`).
    let sent_col = col(&["label"]).or(col(&["sentiment"]));
    let rel_col = col(&["relevant_label"]).or(col(&["relevance"])).or(col(&["relevant"]));
    let topic_col = col(&["topics", "topic", "aspects"]);
    if sent_col.is_none() && rel_col.is_none() && topic_col.is_none() {
        return Err(DataError::File { path: path.to_path_buf(), reason: "no `label`, `sentiment`, `relevance` or `topics` column".into() });
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            DataError::Line { path: path.to_path_buf(), line, reason: e.to_string() }
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let err = |reason: String| DataError::Line { path: path.to_path_buf(), line, reason };
        let body = unescape_cell(rec.get(text_col).unwrap_or("").trim());
        if body.is_empty() {
            return Err(err("empty text".into()));
        }
        // A blank label is a row not labelled (skipped and counted by `targets`); any other
        // value must be one we know.
        let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|v| !v.is_empty());
        let sentiment = match cell(sent_col) {
            Some(v) => {
                Some(Sentiment::parse(v).ok_or_else(|| err(format!("unknown label `{v}` (negative/neutral/positive, negativ/neutral/positiv or -1/0/1)")))?)
            }
            None => None,
        };
        let relevant = match cell(rel_col) {
            Some(v) => Some(parse_bool(v).ok_or_else(|| err(format!("relevance `{v}` is not ja/nein, true/false or 1/0")))?),
            None => None,
        };
        let mut aspects: Vec<String> = Vec::new();
        for t in topic_col.and_then(|c| rec.get(c)).unwrap_or("").split('|').map(str::trim).filter(|t| !t.is_empty()) {
            if !aspects.iter().any(|a| a == t) {
                aspects.push(t.to_string());
            }
        }
        out.push(Example { text: body.to_string(), sentiment, relevant, aspects, line });
    }
    if out.is_empty() {
        return Err(DataError::File { path: path.to_path_buf(), reason: "no examples".into() });
    }
    Ok(out)
}

/// A cell as `resonanz sample` wrote it, without the apostrophe that kept Excel from
/// reading it as a formula.
fn unescape_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

/// The gold labels of one task.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub labels: Vec<String>,
    /// Indexes of the examples that take part (topics: only relevant documents).
    pub examples: Vec<usize>,
    /// Label indexes per taking-part example; exactly one for single-label tasks.
    pub gold: Vec<Vec<usize>>,
    /// Examples left out because they have no label for the task (blank cells).
    pub unlabelled: usize,
}

/// Topic categories rarer than this in the training data are not learned.
pub const MIN_TOPIC_SUPPORT: usize = 3;

/// Gold labels for `task`. With `labels` (a model's) categories are mapped onto them and
/// unknown ones appended, so they count as missed; without, the labels come from the task
/// or, for topics, from the data (categories with at least [`MIN_TOPIC_SUPPORT`] documents).
pub fn targets(examples: &[Example], task: Task, labels: Option<&[String]>) -> Result<Targets, DataError> {
    if !task.is_multilabel() {
        let labels = labels.map(<[String]>::to_vec).unwrap_or_else(|| task.labels());
        let (mut gold, mut taking_part) = (Vec::with_capacity(examples.len()), Vec::with_capacity(examples.len()));
        for (k, e) in examples.iter().enumerate() {
            let name = match task {
                Task::Sentiment => e.sentiment.map(|s| s.as_str().to_string()),
                _ => e.relevant.map(|r| r.to_string()),
            };
            let Some(name) = name else { continue };
            let i = labels.iter().position(|l| *l == name).ok_or_else(|| DataError::UnknownLabel { line: e.line, label: name.clone() })?;
            gold.push(vec![i]);
            taking_part.push(k);
        }
        if taking_part.is_empty() {
            return Err(DataError::NoLabels(task.as_str()));
        }
        let unlabelled = examples.len() - taking_part.len();
        return Ok(Targets { labels, examples: taking_part, gold, unlabelled });
    }
    let taking_part: Vec<usize> = (0..examples.len()).filter(|&i| examples[i].relevant != Some(false)).collect();
    if !taking_part.iter().any(|&i| !examples[i].aspects.is_empty()) {
        return Err(DataError::NoTopicLabels);
    }
    let labels_given = labels.is_some();
    let mut labels: Vec<String> = match labels {
        Some(l) => l.to_vec(),
        None => {
            let mut count: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
            for &i in &taking_part {
                for a in &examples[i].aspects {
                    *count.entry(a).or_default() += 1;
                }
            }
            count.into_iter().filter(|&(_, n)| n >= MIN_TOPIC_SUPPORT).map(|(a, _)| a.to_string()).collect()
        }
    };
    let for_model = labels_given;
    let mut gold = Vec::with_capacity(taking_part.len());
    for &i in &taking_part {
        let mut set = Vec::new();
        for a in &examples[i].aspects {
            match labels.iter().position(|l| l == a) {
                Some(j) => set.push(j),
                // A category the model does not know: a gold pair it cannot get right.
                None if for_model => {
                    labels.push(a.clone());
                    set.push(labels.len() - 1);
                }
                // Too rare to learn.
                None => {}
            }
        }
        gold.push(set);
    }
    Ok(Targets { labels, examples: taking_part, gold, unlabelled: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.tsv");
        std::fs::write(&p, content).unwrap();
        (dir, p)
    }

    #[test]
    fn germeval_rows_and_errors_name_the_line() {
        let (_d, p) = write("u1\tZug pünktlich\ttrue\tpositive\tZugfahrt#Haupt:positive Zugfahrt#Haupt:neutral\nu2\tNix\tfalse\tneutral\t\n");
        let ex = read_labelled(&p).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].aspects, vec!["Zugfahrt#Haupt"]);
        assert_eq!(ex[1].relevant, Some(false));
        let (_d, p) = write("u1\tText\ttrue\tpositive\n u2\tText\ttrue\tfreudig\n");
        let e = read_labelled(&p).unwrap_err().to_string();
        assert!(e.ends_with(":2: unknown sentiment label `freudig`"), "{e}");
        let (_d, p) = write("u1\t \ttrue\tpositive\n");
        assert!(read_labelled(&p).unwrap_err().to_string().contains(":1: empty text"));
        let (_d, p) = write("u1\tnur zwei\n");
        assert!(read_labelled(&p).unwrap_err().to_string().contains(":1: 2 tab-separated columns"));
    }

    #[test]
    fn csv_with_text_and_label() {
        let (_d, p) = write("text,label\n\"Gut, danke\",positive\nSchlecht,negativ\n");
        let ex = read_labelled(&p).unwrap();
        assert_eq!(ex[1].sentiment, Some(Sentiment::Negative));
        let (_d, p) = write("text,label\nGut,super\n");
        assert!(read_labelled(&p).unwrap_err().to_string().contains(":2: unknown label `super`"));
    }

    #[test]
    fn a_filled_in_sample_reads_labels_over_predictions_and_skips_blank_rows() {
        // As `resonanz sample` writes it for German Excel, saved back by Excel as
        // Windows-1252: `;`, the prediction beside the label, blank rows, an escaped cell.
        let csv = "mention_id;text;predicted;relevant;label;relevant_label\r\n\
                   a;Schöne Grüße;neutral;ja;POSITIV;nein\r\n\
                   b;'-20 % Rabatt;neutral;ja;;\r\n\
                   c;Zu spät;negative;nein;-1;Ja\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(csv);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.csv");
        std::fs::write(&p, &bytes).unwrap();
        let ex = read_labelled(&p).unwrap();
        assert_eq!(ex[0].text, "Schöne Grüße");
        assert_eq!((ex[0].sentiment, ex[0].relevant), (Some(Sentiment::Positive), Some(false)));
        assert_eq!((ex[1].text.as_str(), ex[1].sentiment, ex[1].relevant), ("-20 % Rabatt", None, None));
        assert_eq!((ex[2].sentiment, ex[2].relevant), (Some(Sentiment::Negative), Some(true)));
        let t = targets(&ex, Task::Sentiment, None).unwrap();
        assert_eq!((t.examples.clone(), t.unlabelled), (vec![0, 2], 1));
        std::fs::write(&p, "text;label\nGut;freudig\n").unwrap();
        let e = read_labelled(&p).unwrap_err().to_string();
        assert!(e.contains("labels.csv:2: unknown label `freudig`"), "{e}");
    }
}
