//! Offline tools, apart from prediction: reading labelled data ([`data`]), training and
//! model selection ([`fit`], [`lbfgs`]), the cross-domain default ([`cross_domain`]),
//! adapting a model to the analyst's labels ([`adapt`]), scoring ([`metrics`], [`eval`])
//! and comparing algorithms ([`bench`]). They write the model formats of
//! [`crate::classify`]; `run` never calls them. Behind the `train` cargo feature (default
//! on), with the dependencies only they need (linfa, ndarray).

pub mod adapt;
pub mod bench;
pub mod cross_domain;
pub mod data;
pub mod eval;
pub mod fit;
pub mod lbfgs;
pub mod metrics;

pub use eval::{evaluate_on, Decision, EvalReport};

use crate::classify::linear::ModelError;

/// What can stop an offline job (train, adapt, bench, learning curves).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Load(#[from] crate::classify::LoadError),
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error(transparent)]
    Combine(#[from] crate::classify::CombineError),
    #[error("train --base adapts sentiment and relevance models")]
    AdaptTopics,
    #[error("{rows} labelled rows: {folds}-fold cross-validation needs at least {needed}")]
    TooFewRows { rows: usize, folds: usize, needed: usize },
    #[error("fewer than 2 labelled mentions are `{0}`: label a few of every class")]
    TooFewOfLabel(String),
    #[error("{asked} labels asked, but only {available} documents are outside the held-out part")]
    CurveTooLong { asked: usize, available: usize },
    #[error("empty parameter grid")]
    EmptyGrid,
}
