//! Classify: sentiment, relevance and topics for normalized mentions.
//!
//! A [`Classifier`] predicts one label per document from its normalized terms; new
//! classifiers plug in without touching the pipeline. Shipped here: the [`lexicon`]
//! sentiment classifier (no training) and the analyst's [`topics`] taxonomy. The model
//! formats ([`linear`], [`stacked`], [`record`]) are read here; training, labelled data and
//! scoring are the offline tools of `crate::train`.

pub mod ensemble;
mod error;
pub mod features;
pub mod lexicon;
pub mod linear;
pub mod record;
pub mod relevance;
pub mod stacked;
pub mod topics;

use serde::{Deserialize, Serialize};

pub use error::{CombineError, DefinitionError, LoadError};

use crate::normalize::{Normalizer, NormalizerSettings, Term};

/// What a classifier decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// negative / neutral / positive, plus a score in -1..1.
    Sentiment,
    /// Is the mention about the brand at all (GermEval subtask A).
    Relevance,
    /// Aspect categories, several per document (GermEval subtask C1); labels come from the data.
    Topic,
}

impl Task {
    pub fn labels(self) -> Vec<String> {
        match self {
            Task::Sentiment => vec!["negative".into(), "neutral".into(), "positive".into()],
            Task::Relevance => vec!["false".into(), "true".into()],
            Task::Topic => Vec::new(),
        }
    }

    pub fn is_multilabel(self) -> bool {
        self == Task::Topic
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Task::Sentiment => "sentiment",
            Task::Relevance => "relevance",
            Task::Topic => "topic",
        }
    }
}

/// One prediction: the label's index in [`Classifier::labels`], a score per label, and for
/// sentiment a polarity score in -1..1 (0 for other tasks).
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub label: usize,
    pub scores: Vec<f32>,
    pub score: f32,
}

/// A trained or rule-based classifier for one task.
pub trait Classifier: Send + Sync {
    fn name(&self) -> &str;
    fn task(&self) -> Task;
    fn labels(&self) -> &[String];
    fn predict(&self, terms: &[Term]) -> Prediction;
    /// The labels assigned: the predicted one, or for multi-label tasks every label that
    /// passes the classifier's threshold.
    fn predict_set(&self, terms: &[Term]) -> Vec<usize> {
        vec![self.predict(terms).label]
    }
    /// For sentiment classifiers whose probabilities are calibrated for a known class prior
    /// and that adapt it to each batch ([`stacked::estimate_prior`]): how.
    fn batch_prior(&self) -> Option<stacked::Adaptation> {
        None
    }
    /// [`Classifier::predict`], and whether the document went to one expert of the
    /// classifier (decided apart from the batch, [`stacked::adapt_batch`]).
    fn predict_routed(&self, terms: &[Term]) -> (Prediction, bool) {
        (self.predict(terms), false)
    }
    /// How the class prior of the routed documents of a batch is estimated, when the
    /// classifier routes some ([`Classifier::predict_routed`]); `None`: they keep their
    /// probabilities.
    fn routed_prior(&self) -> Option<stacked::Adaptation> {
        None
    }
    /// The training corpus whose expert scores the routed documents, when it routes.
    fn routed_to(&self) -> Option<&str> {
        None
    }
    /// A batch's probabilities as `run` and `eval` decide them, from each document's
    /// [`Classifier::predict_routed`] ([`three_class`] and whether it was routed): moved to
    /// the batch's class mix ([`stacked::adapt_batch`]); as they are for a classifier
    /// without a batch prior.
    fn adapt_to_batch(&self, scored: &[([f32; 3], bool)]) -> Vec<[f32; 3]> {
        match self.batch_prior() {
            Some(a) => stacked::adapt_batch(scored, &a, self.routed_prior().as_ref()),
            None => scored.iter().map(|(p, _)| *p).collect(),
        }
    }
    /// Sentiment: how the classifier scored on corpora it was not trained on, when it was
    /// measured so.
    fn measured(&self) -> Option<&stacked::Measured> {
        None
    }
}

/// A three-class prediction's probabilities (negative, neutral, positive), 0 for any it
/// lacks.
pub fn three_class(p: &Prediction) -> [f32; 3] {
    [0, 1, 2].map(|c| p.scores.get(c).copied().unwrap_or(0.0))
}

/// The index of the highest score (0 when there is none).
pub fn argmax(scores: &[f32]) -> usize {
    scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)
}

/// Turns logits into probabilities, in place (shifted by the maximum for stability).
pub fn softmax(v: &mut [f32]) {
    let max = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

/// The default topic taxonomy (models/topics/mittelstand.toml), built in.
pub const DEFAULT_TAXONOMY: &str = include_str!("../../models/topics/mittelstand.toml");

/// The JSON of a file under `models/` that `build.rs` compressed into `OUT_DIR`.
macro_rules! shipped {
    ($path:literal) => {
        inflate(include_bytes!(concat!(env!("OUT_DIR"), "/", $path, ".zst")))
    };
}

/// The shipped trained models (`models/<task>/model.json`), built in.
pub fn shipped_model(task: Task) -> String {
    match task {
        Task::Sentiment => shipped!("models/sentiment/model.json"),
        Task::Relevance => shipped!("models/relevance/model.json"),
        Task::Topic => shipped!("models/topic/model.json"),
    }
}

/// The shipped sentiment model's domain gate (`models/sentiment/domains.json`), built in.
pub fn shipped_gate() -> String {
    shipped!("models/sentiment/domains.json")
}

/// The shipped sentiment model's route model (`models/sentiment/route.json`), built in.
pub fn shipped_route_model() -> String {
    shipped!("models/sentiment/route.json")
}

/// `#` and 8 hex digits of the FNV-1a hash of a model's files, for `model_version`: it
/// changes whenever the model does (retrained, another stacker, for a stacker or the
/// lexicon alone another built-in lexicon), not only with its name.
pub(crate) fn fingerprint(texts: &[&str]) -> String {
    let bytes: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
    format!("#{:08x}", crate::hash::fnv1a(&bytes) >> 32)
}

/// [`fingerprint`] of a trained model: its `model.json`, and with a stacker its
/// `stack.json` and the built-in lexicon the stacker reads.
pub(crate) fn model_fingerprint(json: &str, stack: Option<&str>) -> String {
    match stack {
        Some(stack) => fingerprint(&[json, stack, lexicon::BUILTIN]),
        None => fingerprint(&[json]),
    }
}

/// A shipped model's JSON, compressed by `build.rs` from the file under `models/`.
fn inflate(packed: &[u8]) -> String {
    let json = zstd::stream::decode_all(packed).expect("build.rs compressed the shipped model");
    String::from_utf8(json).expect("the shipped model is UTF-8 JSON")
}

/// The shipped sentiment model's stacker (`models/sentiment/stack.json`), built in.
pub const SHIPPED_STACK: &str = include_str!("../../models/sentiment/stack.json");

/// The default sentiment classifier ([`stacked`]): the shipped model, the built-in lexicon
/// and the stacker, as `run` and `eval` use it without `--sentiment-model` / `--model`.
fn shipped_stacked(normalizer: &Normalizer) -> Result<Loaded, LoadError> {
    let path = std::path::Path::new("models/sentiment");
    // Inflated and parsed side by side: the gate is the larger part (its 13 outputs per
    // feature against the model's 3).
    let ((m, fp, route), gate) = rayon::join(
        || {
            let json = shipped_model(Task::Sentiment);
            let m = linear::LinearModel::from_json(&json, path, Some(Task::Sentiment));
            (m, model_fingerprint(&json, Some(SHIPPED_STACK)), parse_beside(Some(&shipped_route_model()), &path.join("route.json")))
        },
        || parse_beside(Some(&shipped_gate()), &path.join("domains.json")),
    );
    stacked_from(m?, gate?, route?, SHIPPED_STACK, &fp, "models/sentiment", normalizer)
}

/// A trained model must normalize text as the pipeline does.
pub(crate) fn same_normalizer(m: &linear::LinearModel, name: &str, normalizer: &Normalizer) -> Result<(), LoadError> {
    let pipeline = normalizer.settings();
    if m.normalizer.revision != pipeline.revision && m.normalizer == (NormalizerSettings { revision: m.normalizer.revision, ..pipeline }) {
        return Err(LoadError::NormalizerRevision { name: name.to_string(), model: m.normalizer.revision, pipeline: pipeline.revision });
    }
    if m.normalizer != pipeline {
        return Err(LoadError::Normalizer { name: name.to_string(), model: m.normalizer, pipeline });
    }
    Ok(())
}

/// A model saved beside a stacker, read as a multi-label model whose logits the stacker
/// reads: `domains.json` (the domain gate, a one-vs-rest model over the training corpora,
/// [`stacked::Stacked::gate`]) or `route.json` (the route's own model, sentiment and a gate
/// side by side, [`stacked::Route::own_model`]); `None` when there is none.
pub(crate) fn parse_beside(json: Option<&str>, path: &std::path::Path) -> Result<Option<linear::LinearModel>, LoadError> {
    Ok(json.map(|text| linear::LinearModel::from_json(text, path, Some(Task::Topic))).transpose()?)
}

/// The file `name` (`domains.json`, `route.json`) beside a stacker's `model_file`, parsed by
/// [`parse_beside`], if it is there.
pub(crate) fn read_beside(model_file: &std::path::Path, name: &str) -> Result<Option<linear::LinearModel>, LoadError> {
    let path = model_file.with_file_name(name);
    let text = if path.is_file() { Some(read(&path)?) } else { None };
    parse_beside(text.as_deref(), &path)
}

/// A linear model, its domain gate, its route's own model and the stacker saved beside it;
/// `fp` is the [`fingerprint`] of the model's and the stacker's files.
fn stacked_from(
    m: linear::LinearModel,
    gate: Option<linear::LinearModel>,
    route_model: Option<linear::LinearModel>,
    stack_json: &str,
    fp: &str,
    name: &str,
    normalizer: &Normalizer,
) -> Result<Loaded, LoadError> {
    same_normalizer(&m, name, normalizer)?;
    let stack = parse_stack(stack_json, name)?;
    let version = trained_version(name, &m, Some(&stack), fp);
    let s = stacked::Stacked::new(m, gate, lexicon::LexiconSentiment::builtin(normalizer), stack, route_model)
        .map_err(|source| LoadError::Combine { name: name.to_string(), source })?;
    Ok(Loaded { classifier: Box::new(s), version })
}

/// The `model_version` of a trained model named `name` (`models/sentiment`, a path): its
/// algorithm, for a stacked one the lexicon, the stacker and its prior handling, and `fp`,
/// the [`fingerprint`] of its files.
pub(crate) fn trained_version(name: &str, m: &linear::LinearModel, stack: Option<&stacked::Stack>, fp: &str) -> String {
    let Some(stack) = stack else {
        return format!("{name}:{}{fp}", m.algorithm);
    };
    let prior = match stack.em_strength {
        Some(k) => format!("+batch-prior:{k}"),
        None if stack.target_prior != stack.training_prior => "+typical-mix".to_string(),
        None => String::new(),
    };
    format!("{name}:{}+lexicon:stacked{prior}{fp}", m.algorithm)
}

/// A saved stacker (`NAME/stack.json`) in the format this build reads.
pub(crate) fn parse_stack(json: &str, name: &str) -> Result<stacked::Stack, LoadError> {
    let stack: stacked::Stack = serde_json::from_str(json).map_err(|source| LoadError::StackJson { name: name.to_string(), source })?;
    if !(stacked::STACK_FORMAT_OLDEST..=stacked::STACK_FORMAT).contains(&stack.format_version) {
        return Err(LoadError::StackVersion { name: name.to_string(), found: stack.format_version });
    }
    Ok(stack)
}

pub(crate) fn read(path: &std::path::Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.to_path_buf(), source })
}

/// A classifier chosen by name, and the name that goes into `model_version`.
pub struct Loaded {
    pub classifier: Box<dyn Classifier>,
    pub version: String,
}

/// Lexicon weight of `MODEL+lexicon` when none is given. Chosen for domains the model was not
/// trained on: with the shipped GermEval (rail) model, 5-fold CV accuracy on GermEval drops
/// from 0.751 to 0.701, while on generated Mittelstand mentions it rises from 0.338 (the
/// rail model calls nearly every positive mention neutral) to 0.735.
pub const ENSEMBLE_WEIGHT: f32 = 4.0;

/// Resolves a classifier for `task`: `default` (the shipped model, built in), `lexicon`
/// (sentiment, built in), a lexicon file (`.toml`), a trained model (`models/NAME` or a
/// `model.json`), or for sentiment `MODEL+lexicon[:WEIGHT]`, the model combined with the
/// built-in lexicon ([`ensemble`]). Trained models must use the same normalizer settings as
/// `normalizer`. Without `task`, a trained model is taken for its own task and everything
/// else for sentiment.
pub fn load_classifier(spec: &str, task: Option<Task>, normalizer: &Normalizer) -> Result<Loaded, LoadError> {
    let or_sentiment = task.unwrap_or(Task::Sentiment);
    // The default already combines its model with the lexicon (learned, not by a weight).
    if or_sentiment == Task::Sentiment && (spec == "default" || spec == "default+lexicon") {
        return shipped_stacked(normalizer);
    }
    if let Some((model, weight)) = spec.split_once("+lexicon") {
        let weight = match weight.strip_prefix(':') {
            Some(w) => w.parse::<f32>().map_err(|_| LoadError::LexiconWeight { spec: spec.to_string(), weight: w.to_string() })?,
            None if weight.is_empty() => ENSEMBLE_WEIGHT,
            None => return Err(LoadError::LexiconSpec { spec: spec.to_string() }),
        };
        let inner = load_classifier(model, Some(task.unwrap_or(Task::Sentiment)), normalizer)?;
        let e = ensemble::Ensemble::new(inner.classifier, lexicon::LexiconSentiment::builtin(normalizer), weight)
            .map_err(|source| LoadError::Combine { name: spec.to_string(), source })?;
        return Ok(Loaded { classifier: Box::new(e), version: format!("{}+lexicon:{weight}{}", inner.version, fingerprint(&[lexicon::BUILTIN])) });
    }
    let trained = |m: linear::LinearModel, version: String| -> Result<Loaded, LoadError> {
        same_normalizer(&m, &version, normalizer)?;
        Ok(Loaded { classifier: Box::new(m), version })
    };
    match spec {
        "default" => {
            let task = or_sentiment;
            let path = format!("models/{}", task.as_str());
            let json = shipped_model(task);
            let m = linear::LinearModel::from_json(&json, std::path::Path::new(&path), Some(task))?;
            let version = trained_version(&path, &m, None, &model_fingerprint(&json, None));
            trained(m, version)
        }
        "lexicon" if or_sentiment == Task::Sentiment => Ok(Loaded {
            classifier: Box::new(lexicon::LexiconSentiment::builtin(normalizer)),
            version: format!("lexicon-de{}", fingerprint(&[lexicon::BUILTIN])),
        }),
        path if path.ends_with(".toml") && or_sentiment == Task::Sentiment => {
            let text = read(std::path::Path::new(path))?;
            let l = lexicon::LexiconSentiment::from_toml(&text, normalizer).map_err(|source| LoadError::Definition { name: path.to_string(), source })?;
            Ok(Loaded { classifier: Box::new(l), version: format!("lexicon:{path}") })
        }
        path => {
            let p = std::path::Path::new(path);
            let file = if p.is_dir() { p.join("model.json") } else { p.to_path_buf() };
            let json = std::fs::read_to_string(&file).map_err(|source| linear::ModelError::Io { path: file.clone(), source })?;
            let m = linear::LinearModel::from_json(&json, &file, task)?;
            let stack = file.with_file_name("stack.json");
            if m.task == Task::Sentiment && stack.is_file() {
                let text = read(&stack)?;
                let fp = model_fingerprint(&json, Some(&text));
                return stacked_from(m, read_beside(&file, "domains.json")?, read_beside(&file, "route.json")?, &text, &fp, path, normalizer);
            }
            let version = trained_version(path, &m, None, &model_fingerprint(&json, None));
            trained(m, version)
        }
    }
}

/// Loads one topic source: `mittelstand` (the built-in taxonomy), a taxonomy file (`.toml`)
/// or a trained topic model; returns it with the name that goes into `model_version`.
fn load_topics(spec: &str, normalizer: &Normalizer) -> Result<(Topics, String), LoadError> {
    match spec {
        "mittelstand" => {
            let t = topics::Taxonomy::from_toml(DEFAULT_TAXONOMY, normalizer)
                .map_err(|source| LoadError::Definition { name: "built-in taxonomy".into(), source })?;
            Ok((Topics::Taxonomy(t), "taxonomy:mittelstand".to_string()))
        }
        path if path.ends_with(".toml") => {
            let text = read(std::path::Path::new(path))?;
            let t = topics::Taxonomy::from_toml(&text, normalizer).map_err(|source| LoadError::Definition { name: path.to_string(), source })?;
            Ok((Topics::Taxonomy(t), format!("taxonomy:{path}")))
        }
        spec => {
            let l = load_classifier(spec, Some(Task::Topic), normalizer)?;
            Ok((Topics::Model(l.classifier), l.version))
        }
    }
}

/// The language the shipped classifiers are for.
pub const DEFAULT_LANGUAGE: &str = "de";

/// How a mention's sentiment is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// By the sentiment classifier (its language, or too short to tell).
    Model,
    /// By the lexicon's emoji and emoticons (a text without words).
    Emoji,
    /// By the classifier configured for the mention's language (its index).
    Language(usize),
    /// Not at all: a language without a sentiment classifier.
    Unclassified,
}

/// Where a mention's topics come from.
pub enum Topics {
    /// The analyst's taxonomy (rules).
    Taxonomy(topics::Taxonomy),
    /// A trained multi-label model.
    Model(Box<dyn Classifier>),
}

/// Everything `run` applies to a mention: the normalizer, a sentiment classifier, an
/// optional relevance classifier and the topic sources (none, one, or several combined).
pub struct MentionClassifier {
    pub normalizer: Normalizer,
    pub sentiment: Box<dyn Classifier>,
    pub relevance: Option<Box<dyn Classifier>>,
    /// The brand's `[relevance]` rules: with a relevance model too, a mention is relevant
    /// when both say so.
    pub relevance_rules: Option<relevance::RelevanceRules>,
    /// Each source's topics, in order, are added to a mention's topics (each name once).
    pub topics: Vec<Topics>,
    /// (topic, word) pairs of every taxonomy among the sources, each once: what the ids in
    /// [`crate::mention::Mention::topic_words`] stand for.
    pub topic_words: Vec<(std::sync::Arc<str>, std::sync::Arc<str>)>,
    /// Per source, its taxonomy's pair ids → ids in `topic_words` (empty for models).
    word_ids: Vec<Vec<u32>>,
    /// Written into every mention's `model_version`.
    pub version: String,
    /// Detects the language of mentions the export did not tag.
    pub language: crate::normalize::language::LanguageDetector,
    /// The languages (ISO 639-1) `sentiment` is for; mentions in others stay unclassified.
    /// Mentions too short to tell (`und`) are taken to be in the first of them.
    pub sentiment_languages: Vec<String>,
    /// Sentiment classifiers for further languages (ISO 639-1 code, classifier), from
    /// `report.toml`'s `[sentiment_models]`.
    pub language_sentiment: Vec<(String, Box<dyn Classifier>)>,
    /// Scores texts without words (emoji, emoticons only) by their emoji, whatever the
    /// language: the built-in lexicon.
    pub emoji: lexicon::LexiconSentiment,
    /// Whether a sentiment classifier that can ([`Classifier::batch_prior`]) adapts its class
    /// prior to each batch; off ([`MentionClassifier::fixed_prior`]) for runs over parts that
    /// are merged, where each part would otherwise adapt to its own mix.
    pub adapt_prior: bool,
}

impl MentionClassifier {
    /// The shipped default: the stacked cross-domain sentiment classifier ([`stacked`]),
    /// no relevance model (the shipped one learned "is this about Deutsche Bahn", which is
    /// noise for any other brand) and the Mittelstand taxonomy, all built in.
    pub fn default_models() -> Result<MentionClassifier, LoadError> {
        MentionClassifier::from_specs("default", None, Some("mittelstand"))
    }

    /// Builds the classifiers from names as [`load_classifier`] takes them; `topics` is
    /// `mittelstand` (built-in taxonomy), a taxonomy file (`.toml`) or a trained topic model,
    /// or several of them joined by `+` (`mittelstand+default`: the taxonomy's topics and
    /// the shipped aspect model's categories together).
    pub fn from_specs(sentiment: &str, relevance: Option<&str>, topics: Option<&str>) -> Result<MentionClassifier, LoadError> {
        let normalizer = Normalizer::default();
        let s = load_classifier(sentiment, Some(Task::Sentiment), &normalizer)?;
        let r = relevance.map(|spec| load_classifier(spec, Some(Task::Relevance), &normalizer)).transpose()?;
        let mut sources = Vec::new();
        let mut topic_versions = Vec::new();
        for spec in topics.into_iter().flat_map(|t| t.split('+')).map(str::trim) {
            let (source, version) = load_topics(spec, &normalizer)?;
            sources.push(source);
            topic_versions.push(version);
        }
        let mut version = format!("sentiment={}", s.version);
        if let Some(r) = &r {
            version += &format!(";relevance={}", r.version);
        }
        if !topic_versions.is_empty() {
            version += &format!(";topics={}", topic_versions.join("+"));
        }
        let (mut topic_words, mut word_ids) = (Vec::new(), Vec::new());
        for source in &sources {
            let ids = match source {
                Topics::Taxonomy(t) => t
                    .word_pairs()
                    .into_iter()
                    .map(|pair| match topic_words.iter().position(|p| *p == pair) {
                        Some(i) => i as u32,
                        None => {
                            topic_words.push(pair);
                            topic_words.len() as u32 - 1
                        }
                    })
                    .collect(),
                Topics::Model(_) => Vec::new(),
            };
            word_ids.push(ids);
        }
        Ok(MentionClassifier {
            sentiment: s.classifier,
            relevance: r.map(|r| r.classifier),
            relevance_rules: None,
            topics: sources,
            topic_words,
            word_ids,
            language: Default::default(),
            sentiment_languages: vec![DEFAULT_LANGUAGE.to_string()],
            language_sentiment: Vec::new(),
            emoji: lexicon::LexiconSentiment::builtin(&normalizer),
            normalizer,
            version,
            adapt_prior: true,
        })
    }

    /// Adds the brand's `[relevance]` rules; `model_version` names them.
    pub fn with_relevance_rules(mut self, spec: &relevance::RelevanceSpec) -> Result<MentionClassifier, DefinitionError> {
        let rules = relevance::RelevanceRules::new(spec, &self.normalizer)?;
        let part = format!("rules:{} terms, {} exclusions{}", spec.include_count(), spec.not.len(), spec.fingerprint());
        // `sentiment=…;relevance=…;topics=…` (from_specs): the rules join a relevance
        // model's field, or become the field after sentiment.
        let mut fields: Vec<String> = self.version.split(';').map(str::to_string).collect();
        match fields.iter().position(|f| f.starts_with("relevance=")) {
            Some(i) => fields[i] = format!("relevance={part}&{}", &fields[i]["relevance=".len()..]),
            None => fields.insert(1, format!("relevance={part}")),
        }
        self.version = fields.join(";");
        self.relevance_rules = Some(rules);
        Ok(self)
    }

    /// Applies the sentiment classifier to mentions in these languages (ISO 639-1 codes, the
    /// first also for `und`) instead of German only; `model_version` names them.
    pub fn for_languages(mut self, languages: &[String]) -> MentionClassifier {
        if !languages.is_empty() && languages != [DEFAULT_LANGUAGE] {
            self.sentiment_languages = languages.to_vec();
            self.version += &format!(";languages={}", languages.join(","));
        }
        self
    }

    /// Adds a sentiment classifier per further language (code → a spec as
    /// [`load_classifier`] takes it: a lexicon file of that language, a model trained on
    /// it); `model_version` names each.
    pub fn with_language_models(mut self, models: &std::collections::BTreeMap<String, String>) -> Result<MentionClassifier, LoadError> {
        for (language, spec) in models {
            let l = load_classifier(spec, Some(Task::Sentiment), &self.normalizer)?;
            self.version += &format!(";sentiment[{language}]={}", l.version);
            self.language_sentiment.push((language.clone(), l.classifier));
        }
        Ok(self)
    }

    /// How a mention's sentiment is decided, from its language (detected here when the
    /// export gave none).
    fn route(&self, m: &mut crate::mention::Mention) -> Route {
        use crate::normalize::language::{has_words, UNDETERMINED};
        let wordless = !has_words(&m.text);
        if m.language.is_none() {
            let code = if wordless { UNDETERMINED } else { self.language.detect(&m.text) };
            m.language_source =
                Some(if code == UNDETERMINED { crate::mention::LanguageSource::Undetermined } else { crate::mention::LanguageSource::Detected });
            m.language = Some(code.to_string());
        }
        let lang = m.language.as_deref().unwrap_or(UNDETERMINED);
        if wordless {
            Route::Emoji
        } else if lang == UNDETERMINED || self.sentiment_languages.iter().any(|l| l == lang) {
            Route::Model
        } else if let Some(k) = self.language_sentiment.iter().position(|(l, _)| l == lang) {
            Route::Language(k)
        } else {
            Route::Unclassified
        }
    }

    /// Keeps the sentiment classifier's training prior instead of estimating each batch's
    /// class mix; says so in `model_version`.
    pub fn fixed_prior(mut self) -> MentionClassifier {
        if self.adapt_prior && self.sentiment.batch_prior().is_some() {
            self.adapt_prior = false;
            self.version += ";prior=fixed";
        }
        self
    }

    /// Fills sentiment, score, relevance, topics and model version, in parallel; the result
    /// does not depend on the number of threads. Returns how many mentions the sentiment
    /// classifier routed to a training corpus's own model ([`Classifier::routed_to`]).
    pub fn classify_all(&self, mentions: &mut [crate::mention::Mention]) -> u64 {
        use rayon::prelude::*;
        let version: std::sync::Arc<str> = self.version.as_str().into();
        let probs: Vec<Option<([f32; 3], bool)>> = mentions
            .par_iter_mut()
            .with_min_len(256)
            .map_init(Vec::new, |terms, m| {
                let route = self.route(m);
                self.normalizer.normalize_into(&m.text, terms);
                let (p, routed) = match route {
                    Route::Model => {
                        let (p, routed) = self.sentiment.predict_routed(terms);
                        (Some(p), routed)
                    }
                    Route::Emoji => (Some(self.emoji.predict(terms)), false),
                    Route::Language(k) => (Some(self.language_sentiment[k].1.predict(terms)), false),
                    Route::Unclassified => (None, false),
                };
                m.sentiment = p.as_ref().and_then(|p| crate::mention::Sentiment::ALL.get(p.label).copied());
                m.sentiment_score = p.as_ref().map(|p| p.score);
                m.sentiment_confidence = p.as_ref().and_then(|p| p.scores.get(p.label).copied());
                let by_model = self.relevance.as_ref().map(|r| r.predict(terms).label == 1);
                let by_rules = self.relevance_rules.as_ref().map(|r| r.is_relevant(terms));
                m.relevant = match (by_rules, by_model) {
                    (Some(a), Some(b)) => Some(a && b),
                    (a, b) => a.or(b),
                };
                m.topic_words.clear();
                m.topics = self.topics_and_words(terms, &mut m.topic_words);
                m.model_version = Some(version.clone());
                // Only the model's mentions take part in the batch's class mix.
                p.filter(|_| route == Route::Model).map(|p| (three_class(&p), routed))
            })
            .collect();
        let n_routed = probs.iter().flatten().filter(|(_, r)| *r).count() as u64;
        if self.adapt_prior && self.sentiment.batch_prior().is_some() {
            // The batch's own class mix (EM), then each mention's label under it.
            let (mut mentions, scored): (Vec<&mut crate::mention::Mention>, Vec<([f32; 3], bool)>) =
                mentions.iter_mut().zip(probs).filter_map(|(m, p)| Some((m, p?))).unzip();
            let adapted = self.sentiment.adapt_to_batch(&scored);
            mentions.par_iter_mut().zip(adapted).with_min_len(256).for_each(|(m, p)| {
                let d = stacked::decide(p);
                m.sentiment = crate::mention::Sentiment::ALL.get(d.label).copied();
                m.sentiment_score = Some(d.score);
                m.sentiment_confidence = d.scores.get(d.label).copied();
            });
        }
        n_routed
    }

    /// A document's topics from every source, in source order, each name once.
    pub fn topics_of(&self, terms: &[Term]) -> Vec<std::sync::Arc<str>> {
        self.topics_and_words(terms, &mut Vec::new())
    }

    /// [`MentionClassifier::topics_of`], and the taxonomy words found for each topic, as
    /// ids into [`MentionClassifier::topic_words`] (see
    /// [`topics::Taxonomy::assign_with_words`]; trained topic models give none).
    pub fn topics_and_words(&self, terms: &[Term], words: &mut Vec<u32>) -> Vec<std::sync::Arc<str>> {
        let mut out: Vec<std::sync::Arc<str>> = Vec::new();
        for (source, ids) in self.topics.iter().zip(&self.word_ids) {
            let found = match source {
                Topics::Taxonomy(t) => {
                    let from = words.len();
                    let found = t.assign_with_words(terms, words);
                    // To the run's ids; a pair an earlier taxonomy found too is kept once.
                    let mut kept = from;
                    for k in from..words.len() {
                        let id = ids[words[k] as usize];
                        if !words[..from].contains(&id) {
                            words[kept] = id;
                            kept += 1;
                        }
                    }
                    words.truncate(kept);
                    found
                }
                Topics::Model(c) => c.predict_set(terms).into_iter().map(|i| c.labels()[i].as_str().into()).collect(),
            };
            if out.is_empty() {
                out = found;
            } else {
                for name in found {
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
        out
    }
}

impl std::fmt::Debug for MentionClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MentionClassifier")
            .field("sentiment", &self.sentiment.name())
            .field("relevance", &self.relevance.as_ref().map(|r| r.name()))
            .field(
                "topics",
                &self
                    .topics
                    .iter()
                    .map(|t| match t {
                        Topics::Taxonomy(t) => t.names().join(","),
                        Topics::Model(m) => m.name().to_string(),
                    })
                    .collect::<Vec<_>>(),
            )
            .field("version", &self.version)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_models_are_the_files_under_models() {
        let file = |p: &str| std::fs::read_to_string(p).unwrap();
        assert_eq!(shipped_model(Task::Sentiment), file("models/sentiment/model.json"));
        assert_eq!(shipped_model(Task::Relevance), file("models/relevance/model.json"));
        assert_eq!(shipped_model(Task::Topic), file("models/topic/model.json"));
        assert_eq!(shipped_gate(), file("models/sentiment/domains.json"));
        assert_eq!(shipped_route_model(), file("models/sentiment/route.json"));
        assert_eq!(SHIPPED_STACK, file("models/sentiment/stack.json"));
    }

    #[test]
    fn model_versions_change_with_the_models_files_not_only_with_their_name() {
        let n = Normalizer::default();
        let version = |spec: &str| load_classifier(spec, Some(Task::Sentiment), &n).unwrap().version;
        let shipped = version("default");
        let fp = shipped.rsplit_once('#').map(|(_, fp)| fp.to_string()).unwrap();
        assert_eq!(fp.len(), 8, "{shipped}");
        // The same files in a folder of one's own: the same fingerprint.
        let dir = tempfile::tempdir().unwrap();
        for f in ["model.json", "domains.json", "route.json", "stack.json"] {
            std::fs::copy(format!("models/sentiment/{f}"), dir.path().join(f)).unwrap();
        }
        let spec = dir.path().to_str().unwrap();
        assert_eq!(version(spec), shipped.replace("models/sentiment", spec));
        // Another stacker beside the same model (as a retrain of the stacker alone writes).
        let stack = std::fs::read_to_string(dir.path().join("stack.json")).unwrap();
        std::fs::write(dir.path().join("stack.json"), stack.replacen("\"weights\": [\n    0.", "\"weights\": [\n    1.", 1)).unwrap();
        let other = version(spec);
        assert_ne!(other.rsplit_once('#').unwrap().1, fp, "{other}");
        // The stacker reads the built-in lexicon: its text is part of the fingerprint, and
        // the lexicon alone and `MODEL+lexicon` name the lexicon by its hash too.
        let json = shipped_model(Task::Sentiment);
        assert_eq!(model_fingerprint(&json, Some(SHIPPED_STACK)), fingerprint(&[&json, SHIPPED_STACK, lexicon::BUILTIN]));
        assert_ne!(model_fingerprint(&json, Some(SHIPPED_STACK)), fingerprint(&[&json, SHIPPED_STACK]));
        let lexicon_fp = fingerprint(&[lexicon::BUILTIN]);
        assert_eq!(version("lexicon"), format!("lexicon-de{lexicon_fp}"));
        let plain = tempfile::tempdir().unwrap();
        std::fs::copy("models/sentiment/model.json", plain.path().join("model.json")).unwrap();
        let ensemble = version(&format!("{}+lexicon:4", plain.path().display()));
        assert!(ensemble.ends_with(&format!("+lexicon:4{lexicon_fp}")), "{ensemble}");
    }
}
