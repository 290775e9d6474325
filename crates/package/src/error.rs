//! The error of the steps around a submission's files: reading ignore files, finding the
//! grader's sources, staging and resolving the `Cargo.lock`, and unpacking for the grader
//! build. Callers turn it into an [`crate::Issue`] with the code of the step that failed; the
//! `Display` text is the issue's message: what went wrong, on which path, and how to fix it.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::pinned::MissingSource;
use crate::Issue;

/// Why a packaging or grader-build step failed.
#[derive(Debug)]
pub enum PackageError {
    /// A file-system operation on `path` failed: `"{action} {path}: {source}"`.
    Io {
        /// What was being done, as the start of the sentence (`cannot stage`, `cannot read`).
        action: &'static str,
        /// The file or folder, as shown to the user (a path, or a member name).
        path: String,
        /// The failure.
        source: io::Error,
    },
    /// An ignore file (`.gitignore`, `.whestignore`) exists but is not readable UTF-8 text.
    UnreadableIgnoreFile {
        /// The ignore file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The whest-rs checkout holding the grader's `flopscope`/`estimator-api` was not found.
    GraderSourcesMissing {
        /// The folder that was searched.
        root: PathBuf,
        /// Where that folder came from (`$WHEST_RS_SOURCE`, or the build folder).
        origin: String,
        /// What it lacks.
        missing: MissingSource,
    },
    /// The seed `Cargo.lock` could not be copied into the staging folder.
    CopySeedLock {
        /// The seed lock.
        seed: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// `cargo metadata` could not be started.
    CargoDidNotStart(io::Error),
    /// `cargo metadata` failed; holds cargo's last non-empty stderr line.
    ResolutionFailed(String),
    /// `cargo metadata` printed something that is not JSON.
    UnreadableMetadata(serde_json::Error),
    /// Cargo succeeded but left no `Cargo.lock` in the staging folder.
    NoLockWritten {
        /// The staging folder.
        dir: PathBuf,
        /// The failure reading the lock.
        source: io::Error,
    },
    /// The resolved crate does not depend on `estimator-api`.
    NoEstimatorApi,
    /// The grader's sources hold another `flopscope` version than this runner was built with.
    FlopscopeMismatch {
        /// The whest-rs checkout.
        root: PathBuf,
        /// The version the sources hold.
        found: String,
        /// The version this runner was built with.
        built_with: &'static str,
    },
    /// The output folder of a grader build exists and is not empty.
    OutputExists {
        /// The output folder.
        output: PathBuf,
    },
    /// The unpacked `Cargo.toml` does not parse.
    InvalidCargoToml(Issue),
    /// `cargo vendor` could not be started.
    VendorDidNotStart(io::Error),
    /// `cargo vendor` failed (a locked crate is missing from the grader's cargo cache); holds
    /// cargo's last non-empty stderr line.
    VendorFailed(String),
}

impl PackageError {
    /// A file-system failure: `"{action} {path}: {source}"`.
    pub fn io(action: &'static str, path: impl Into<String>, source: io::Error) -> PackageError {
        PackageError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for PackageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackageError::Io {
                action,
                path,
                source,
            } => write!(f, "{action} {path}: {source}"),
            PackageError::UnreadableIgnoreFile { path, source } => write!(
                f,
                "cannot read {}: {source} (it must be UTF-8 text)",
                path.display()
            ),
            PackageError::GraderSourcesMissing {
                root,
                origin,
                missing,
            } => write!(
                f,
                "cannot find the grader's flopscope/estimator-api sources: {} ({origin}) has no \
                 {missing}; set {} to the whest-rs checkout this whest-runner was built from",
                root.display(),
                crate::pinned::SOURCE_ENV
            ),
            PackageError::CopySeedLock { seed, source } => write!(
                f,
                "cannot copy {} to stage the lock: {source}",
                seed.display()
            ),
            PackageError::CargoDidNotStart(e) => {
                write!(f, "cannot run cargo to resolve the crate's Cargo.lock: {e}")
            }
            PackageError::ResolutionFailed(last) => {
                write!(
                    f,
                    "cargo could not resolve the crate's dependencies: {last}"
                )
            }
            PackageError::UnreadableMetadata(e) => {
                write!(f, "cargo metadata printed unreadable JSON: {e}")
            }
            PackageError::NoLockWritten { dir, source } => {
                write!(
                    f,
                    "cargo wrote no Cargo.lock in {}: {source}",
                    dir.display()
                )
            }
            PackageError::NoEstimatorApi => {
                f.write_str("the resolved crate does not use estimator-api")
            }
            PackageError::FlopscopeMismatch {
                root,
                found,
                built_with,
            } => write!(
                f,
                "the whest-rs sources at {} hold flopscope {found}, but this whest-runner was \
                 built with flopscope {built_with}: rebuild whest-runner from those sources, or \
                 set WHEST_RS_SOURCE to the checkout it was built from",
                root.display()
            ),
            PackageError::OutputExists { output } => write!(
                f,
                "{} already exists: pass a new --output folder, or remove it",
                output.display()
            ),
            PackageError::InvalidCargoToml(issue) => f.write_str(&issue.message),
            PackageError::VendorDidNotStart(e) => write!(f, "cannot run cargo vendor: {e}"),
            PackageError::VendorFailed(last) => write!(
                f,
                "cannot copy the locked sources out of the grader's cargo cache ({last}): the \
                 grader builds offline, so every locked crate must already be in its cache \
                 (fetch them once with `cargo fetch` on the unpacked crate)"
            ),
        }
    }
}

impl std::error::Error for PackageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PackageError::Io { source, .. }
            | PackageError::UnreadableIgnoreFile { source, .. }
            | PackageError::CopySeedLock { source, .. }
            | PackageError::NoLockWritten { source, .. }
            | PackageError::CargoDidNotStart(source)
            | PackageError::VendorDidNotStart(source) => Some(source),
            PackageError::UnreadableMetadata(e) => Some(e),
            PackageError::GraderSourcesMissing {
                missing: MissingSource::UnreadableRoot(e),
                ..
            } => Some(e),
            _ => None,
        }
    }
}

/// The last non-empty line of a cargo command's stderr (trimmed), or `no output`: the line
/// that names why it failed.
pub(crate) fn last_stderr_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_string()
}
