//! The crate's error type: stage errors composed with the context a user needs.

use std::path::PathBuf;

use crate::ingest::IngestError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The run was asked to read nothing it could read.
    #[error("no readable input: {0}")]
    NoInput(String),
    #[error("{}: cannot write: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{}: cannot write Parquet: {source}", path.display())]
    Parquet { path: PathBuf, source: polars::error::PolarsError },
    /// A run output `merge` cannot use.
    #[error("{}: cannot merge: {reason}", path.display())]
    Part { path: PathBuf, reason: String },
    #[error(transparent)]
    Sample(#[from] crate::sample::SampleError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A classifier, lexicon or taxonomy that cannot be loaded.
    #[error(transparent)]
    Load(#[from] crate::classify::LoadError),
    /// The `[relevance]` rules of a config file.
    #[error("{}: {source}", path.display())]
    Rules { path: PathBuf, source: crate::classify::DefinitionError },
    /// A labelled file that cannot be read.
    #[cfg(feature = "train")]
    #[error(transparent)]
    Data(#[from] crate::train::data::DataError),
    #[cfg(feature = "train")]
    #[error(transparent)]
    Train(#[from] crate::train::TrainError),
    /// A command-line value that cannot be used.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Exit code per the product contract: 1 usage/config, 2 input error, 4 the outputs
    /// could not be written (disk full, read-only folder: the previous set stays).
    pub fn exit_code(&self) -> u8 {
        use crate::config::ConfigError;
        match self {
            Error::Config(ConfigError::NoMatch(_)) => 2,
            Error::Usage(_) | Error::Ingest(IngestError::Layouts { .. }) | Error::Config(_) | Error::Load(_) | Error::Rules { .. } => 1,
            #[cfg(feature = "train")]
            Error::Train(_) => 1,
            // The scratch files fail as outputs do: a full or read-only disk.
            Error::Write { .. }
            | Error::Parquet { .. }
            | Error::Sample(crate::sample::SampleError::Write { .. })
            | Error::Ingest(IngestError::Scratch { .. }) => 4,
            _ => 2,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
