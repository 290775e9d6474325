//! The one error type of the dataset module.
//!
//! Every variant carries a complete, user-facing sentence: what was wrong, where, and how to
//! fix it. The merge variants mirror Python whestbench's `InvalidDatasetError` subclasses
//! so that each failure class is distinguishable by callers and tests.

use std::fmt;
use std::path::Path;

use crate::kdf_v4::{HexError, KeyDerivationError};

/// Why a dataset could not be read, validated, baked, merged or combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetError {
    /// The dataset's files are missing, malformed or violate the schema (`InvalidDatasetError`).
    Invalid(String),
    /// Merge/combine inputs disagree on bake parameters, or an input has the wrong shape
    /// (`MergeIncompatibleError`).
    MergeIncompatible(String),
    /// Two partials claim the same MLPs (`MergeOverlapError`).
    MergeOverlap(String),
    /// The partials leave MLPs uncovered (`MergeIncompleteError`).
    MergeIncomplete(String),
    /// A partial's `mlp_id` column disagrees with its declared range (`MergeCorruptError`).
    MergeCorrupt(String),
    /// The output path already exists; nothing was written.
    OutputExists(String),
    /// A bake/seed argument was out of range or inconsistent (Python's `ValueError`).
    BadArgument(String),
    /// Reading or writing the file system failed.
    Io(String),
}

impl DatasetError {
    /// An I/O failure on `path` while doing `what` (e.g. "reading").
    pub fn io(what: &str, path: &Path, err: &std::io::Error) -> DatasetError {
        DatasetError::Io(format!("{what} {}: {err}", path.display()))
    }

    /// The message without the class prefix.
    pub fn message(&self) -> &str {
        match self {
            DatasetError::Invalid(m)
            | DatasetError::MergeIncompatible(m)
            | DatasetError::MergeOverlap(m)
            | DatasetError::MergeIncomplete(m)
            | DatasetError::MergeCorrupt(m)
            | DatasetError::OutputExists(m)
            | DatasetError::BadArgument(m)
            | DatasetError::Io(m) => m,
        }
    }

    /// The Python exception class this error corresponds to (used as the report `error_code`).
    pub fn class_name(&self) -> &'static str {
        match self {
            DatasetError::Invalid(_) => "InvalidDatasetError",
            DatasetError::MergeIncompatible(_) => "MergeIncompatibleError",
            DatasetError::MergeOverlap(_) => "MergeOverlapError",
            DatasetError::MergeIncomplete(_) => "MergeIncompleteError",
            DatasetError::MergeCorrupt(_) => "MergeCorruptError",
            DatasetError::OutputExists(_) => "FileExistsError",
            DatasetError::BadArgument(_) => "ValueError",
            DatasetError::Io(_) => "OSError",
        }
    }
}

impl fmt::Display for DatasetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for DatasetError {}

/// An unusable protocol-4.0 salt makes the dataset unreadable: [`DatasetError::Invalid`].
impl From<KeyDerivationError> for DatasetError {
    fn from(e: KeyDerivationError) -> DatasetError {
        DatasetError::Invalid(e.to_string())
    }
}

/// A salt that is not hex makes the dataset unreadable: [`DatasetError::Invalid`].
impl From<HexError> for DatasetError {
    fn from(e: HexError) -> DatasetError {
        DatasetError::Invalid(e.to_string())
    }
}

/// Shorthand for an [`DatasetError::Invalid`] result.
pub(crate) fn invalid<T>(msg: impl Into<String>) -> Result<T, DatasetError> {
    Err(DatasetError::Invalid(msg.into()))
}
