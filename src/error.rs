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
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Exit code per the product contract: 1 usage/config, 2 input error, 4 the outputs
    /// could not be written (disk full, read-only folder: the previous set stays).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Ingest(IngestError::Layouts { .. }) => 1,
            Error::Write { .. } | Error::Parquet { .. } | Error::Sample(crate::sample::SampleError::Write { .. }) => 4,
            _ => 2,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
