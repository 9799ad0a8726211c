//! Domain types shared by every stage: a [`Mention`] and the small enums it carries.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a mention was published, reduced to the channels analysts report on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Twitter,
    Facebook,
    Instagram,
    Linkedin,
    Xing,
    Youtube,
    Tiktok,
    Pinterest,
    News,
    Blog,
    Forum,
    Review,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 13] = [
        Channel::Twitter,
        Channel::Facebook,
        Channel::Instagram,
        Channel::Linkedin,
        Channel::Xing,
        Channel::Youtube,
        Channel::Tiktok,
        Channel::Pinterest,
        Channel::News,
        Channel::Blog,
        Channel::Forum,
        Channel::Review,
        Channel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Twitter => "twitter",
            Channel::Facebook => "facebook",
            Channel::Instagram => "instagram",
            Channel::Linkedin => "linkedin",
            Channel::Xing => "xing",
            Channel::Youtube => "youtube",
            Channel::Tiktok => "tiktok",
            Channel::Pinterest => "pinterest",
            Channel::News => "news",
            Channel::Blog => "blog",
            Channel::Forum => "forum",
            Channel::Review => "review",
            Channel::Other => "other",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a mention's `language` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageSource {
    /// The export's language column.
    Vendor,
    /// Detected from the text ([`crate::normalize::language`]).
    Detected,
    /// Too little text to tell: `language` is `und`.
    Undetermined,
}

impl LanguageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LanguageSource::Vendor => "vendor",
            LanguageSource::Detected => "detected",
            LanguageSource::Undetermined => "undetermined",
        }
    }
}

/// The sentiment a listening tool attached to a mention, normalized across vendors'
/// label sets (`positive`, `Positiv`, `1`, `-3`, `Not Rated`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolSentiment {
    Negative,
    Neutral,
    Positive,
    /// The tool did not rate the mention (`Not Rated`, `Unknown`, empty, no column).
    Unknown,
}

impl ToolSentiment {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolSentiment::Negative => "negative",
            ToolSentiment::Neutral => "neutral",
            ToolSentiment::Positive => "positive",
            ToolSentiment::Unknown => "unknown",
        }
    }
}

/// Document-level sentiment as resonanz classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

impl Sentiment {
    pub const ALL: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
            Sentiment::Positive => "positive",
        }
    }

    /// Parses `negative`/`neutral`/`positive` (any case, German spellings too).
    pub fn parse(s: &str) -> Option<Sentiment> {
        match s.trim().to_lowercase().as_str() {
            "negative" | "negativ" | "neg" | "-1" => Some(Sentiment::Negative),
            "neutral" | "neu" | "0" => Some(Sentiment::Neutral),
            "positive" | "positiv" | "pos" | "1" | "+1" => Some(Sentiment::Positive),
            _ => None,
        }
    }
}

/// One mention in the canonical schema, as ingested from an export row.
///
/// Ingest fills the export fields; classify fills sentiment, relevance and topics.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// Stable id derived from the de-duplication key (URL, vendor id, or author+time+text).
    pub mention_id: String,
    /// Path of the export file, as given on the command line (shared by its mentions).
    pub source_file: Arc<str>,
    /// 1-based physical line where the record starts (for XLSX: the sheet row).
    pub source_line: u64,
    /// Detected layout (`brandwatch`, `meltwater`, ..., `generic`).
    pub source_tool: Arc<str>,
    pub published_at: DateTime<Utc>,
    pub channel: Channel,
    pub author: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub text: String,
    /// ISO 639-1 code: the export's where it has one (else the value as exported), else
    /// detected from the text when classified; `und` for too little text.
    pub language: Option<String>,
    /// Where `language` comes from; `None` while it is unknown.
    pub language_source: Option<LanguageSource>,
    /// ISO 3166-1 alpha-2 code where recognised, else the value as exported.
    pub country: Option<String>,
    pub reach: Option<i64>,
    pub engagement: Option<i64>,
    pub tool_sentiment: ToolSentiment,
    /// The query, search or brand the export was made for (for share of voice).
    pub query: Option<String>,
    /// The vendor's own id of the mention, when the export has one.
    pub vendor_id: Option<String>,
    /// Our sentiment (filled by classify). `None` after classification means
    /// *unclassified*: a language no configured sentiment classifier is for (see
    /// [`Mention::sentiment_label`]).
    pub sentiment: Option<Sentiment>,
    /// Polarity in -1..1 (filled by classify).
    pub sentiment_score: Option<f32>,
    /// The probability of the chosen sentiment (filled by classify): low values are the
    /// mentions `sample` offers for labelling first.
    pub sentiment_confidence: Option<f32>,
    /// Whether the mention is about the brand at all; `None` without a relevance model.
    pub relevant: Option<bool>,
    /// Topics from the taxonomy or topic model (filled by classify; names shared with the
    /// classifier, not copied per mention).
    pub topics: Vec<std::sync::Arc<str>>,
    /// The taxonomy words found in the text for each of its topics, as ids of (topic, word)
    /// pairs in the classifier's `topic_words` (filled by classify). Not a column of
    /// `mentions.parquet`: counted into the partials' `terms` table while the mentions are
    /// written, and shown as the reports' `top_terms`.
    pub topic_words: Vec<u32>,
    /// Which classifiers filled the fields above.
    pub model_version: Option<std::sync::Arc<str>>,
}

impl Mention {
    /// A mention with only a text and a time (channel `other`, nothing else known): for
    /// classifying free text and for tests and benches.
    pub fn from_text(text: String, published_at: DateTime<Utc>) -> Mention {
        Mention {
            mention_id: String::new(),
            source_file: "".into(),
            source_line: 0,
            source_tool: "".into(),
            published_at,
            channel: Channel::Other,
            author: None,
            url: None,
            title: None,
            text,
            language: None,
            language_source: None,
            country: None,
            reach: None,
            engagement: None,
            tool_sentiment: ToolSentiment::Unknown,
            query: None,
            vendor_id: None,
            sentiment: None,
            sentiment_score: None,
            sentiment_confidence: None,
            relevant: None,
            topics: Vec::new(),
            topic_words: Vec::new(),
            model_version: None,
        }
    }

    /// The `sentiment` column's value: the class, `unclassified` for a classified mention
    /// left without sentiment (its language has no sentiment classifier), nothing before
    /// classification.
    pub fn sentiment_label(&self) -> Option<&'static str> {
        match (self.sentiment, &self.model_version) {
            (Some(s), _) => Some(s.as_str()),
            (None, Some(_)) => Some(UNCLASSIFIED),
            (None, None) => None,
        }
    }
}

/// The `sentiment` of a mention in a language without a sentiment classifier.
pub const UNCLASSIFIED: &str = "unclassified";
