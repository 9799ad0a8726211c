//! What can go wrong when classifiers are loaded and combined.

use std::path::PathBuf;

use super::linear::ModelError;
use crate::normalize::NormalizerSettings;

/// A classifier named on the command line or in `report.toml` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// A lexicon, taxonomy or rule set (`name`: its file or `built-in taxonomy`).
    #[error("{name}: {source}")]
    Definition { name: String, source: DefinitionError },
    #[error("{name}: trained with other normalizer settings ({model:?}) than the pipeline ({pipeline:?})")]
    Normalizer { name: String, model: NormalizerSettings, pipeline: NormalizerSettings },
    /// A model trained with another revision of the normalizer's rules
    /// ([`crate::normalize::REVISION`]).
    #[error(
        "{name}: trained with revision {model} of the normalizer's rules, this resonanz reads text by revision {pipeline} (1: `fuer` read as `für`; 2: emoji never negated; 3: `aber`, `und` end a negation, `nicht nur` opens none); train it again with this one (an adapted model: `train --base` the shipped model with the same labels)"
    )]
    NormalizerRevision { name: String, model: u32, pipeline: u32 },
    #[error("{name}/stack.json: not a resonanz stacker: {source}")]
    StackJson { name: String, source: serde_json::Error },
    #[error("{name}/stack.json: stacker format {found}, this resonanz reads format {}", super::stacked::STACK_FORMAT)]
    StackVersion { name: String, found: u32 },
    #[error("{name}: {source}")]
    Combine { name: String, source: CombineError },
    #[error("{spec}: the lexicon weight `{weight}` is not a number")]
    LexiconWeight { spec: String, weight: String },
    #[error("{spec}: expected MODEL+lexicon or MODEL+lexicon:WEIGHT")]
    LexiconSpec { spec: String },
}

/// A lexicon, taxonomy or `[relevance]` definition that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error(transparent)]
    Toml(#[from] crate::message::TomlError),
    /// Phrases (as written, quoted) that normalize to fewer than two words.
    #[error("phrases {} keep fewer than two words after normalization (stop words are dropped): list them as words", .0.join(", "))]
    ShortPhrases(Vec<String>),
    /// Lexicon entries (as written, quoted, with their table: words, `[exact]` words,
    /// intensifiers, emoji) that never match a mention's terms: they normalize to no term
    /// (stop words, punctuation the tokenizer drops), to several, or to another kind (an
    /// emoji entry that gives a word).
    #[error("lexicon entries {} never match a mention: each must stay one term after normalization (stop words and unknown emoticons are dropped; several words go under `[phrases]`)", .0.join(", "))]
    Unmatchable(Vec<String>),
    /// Resolvers (as written, quoted) that are not one positive word of the lexicon.
    #[error("resolvers {} must each be one word of the lexicon's `[positive]` table", .0.join(", "))]
    Resolvers(Vec<String>),
    #[error("topic `{topic}`: `{word}` is not one word (use `phrases` for several)")]
    NotOneWord { topic: String, word: String },
    #[error("topic `{topic}`: `all` has {found} words, at most {max} are allowed")]
    TooManyAll { topic: String, found: usize, max: usize },
    #[error("[relevance] needs at least one of `terms`, `products`, `handles`")]
    NoRelevanceTerms,
    #[error("[relevance] {key}: `{rule}` has no word to match (only stop words or punctuation)")]
    RuleWithoutWords { key: &'static str, rule: String },
    #[error("[relevance] {key}: `{rule}` names a link, and every link of a mention reads as one placeholder, so it would match every mention with a link: name the brand, product or handle instead")]
    RuleWithLink { key: &'static str, rule: String },
}

/// Parts that do not fit together into one classifier.
#[derive(Debug, thiserror::Error)]
pub enum CombineError {
    #[error("the lexicon ensemble combines sentiment models (negative/neutral/positive)")]
    EnsembleNeedsSentiment,
    #[error("the stacker combines a sentiment model with labels negative, neutral, positive")]
    StackerNeedsSentiment,
    #[error("the stacker has {found} weights, expected {expected}")]
    StackerWeights { found: usize, expected: usize },
    #[error("the stacker was fitted with a domain gate over {stacker:?}, the gate (domains.json beside it) knows {gate:?}")]
    Gate { stacker: Vec<String>, gate: Vec<String> },
    #[error("the stacker routes to expert {expert} for corpus {corpus}, which has no such expert or no class mix")]
    Route { corpus: usize, expert: usize },
    #[error("{}", if *wanted { "the stacker's route scores by a model of its own (route.json beside it), which is missing" } else { "a route model (route.json) was given, but the stacker's route does not use one" })]
    RouteModel { wanted: bool },
}
