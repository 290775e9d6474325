//! # whest-package
//!
//! Submissions: `package` turns an estimator crate into a `.tar.gz` with a `manifest.json`,
//! `validate-package` checks such an archive, and `build --locked` is the grader's side: it
//! unpacks an archive safely, points the crate at the grader's own `flopscope` and
//! `estimator-api`, and builds it with `cargo build --locked`.
//!
//! The format follows whestbench's (files at their relative paths plus a
//! `manifest.json` of SHA-256 hashes; 50 files, 50 MiB; credential files never ship), adapted
//! to Rust: the payload is one `cdylib` crate with a normalised `Cargo.toml` and a `Cargo.lock`.
//!
//! One job per file: [`ignore`] (what is left out), [`policy`] (what is refused),
//! [`source_scan`] (what a Rust source may not do: `unsafe`, `env!`, includes leaving the
//! crate), [`dependencies`] (the dependency allow-list), [`hermetic`] (the grader's offline,
//! environment-cleared cargo run), [`cargo_toml`]
//! (normalising and checking the crate manifest), [`pinned`] (where the grader's crates are),
//! [`lockfile`] (resolving the shipped `Cargo.lock`), [`manifest`] (`manifest.json`),
//! [`archive`] (writing and safely reading the tarball), [`collect`] (walking a crate folder),
//! [`create`] (the packaging pipeline), [`validate`] (checking a submission), [`grader_build`]
//! (the grader build), and [`error`] ([`PackageError`], why a step around the files failed).
//! The three commands' output lives in the `whest-runner` binary.

pub mod archive;
mod cargo_toml;
mod collect;
pub mod create;
pub mod dependencies;
mod error;
pub mod grader_build;
pub mod hermetic;
mod ignore;
mod lockfile;
mod manifest;
mod pinned;
mod policy;
pub mod source_scan;
pub mod validate;

use serde::Serialize;

pub use error::PackageError;

/// Most files a submission may ship (whestbench's `MAX_SUBMISSION_FILES`), `manifest.json` not
/// counted.
pub const MAX_FILES: usize = 50;
/// Most bytes a submission may ship, summed over its files (whestbench's
/// `MAX_SUBMISSION_BYTES`, 50 MiB), `manifest.json` not counted.
pub const MAX_BYTES: u64 = 50 * 1024 * 1024;
/// Name of the manifest inside an archive.
pub const MANIFEST_NAME: &str = "manifest.json";

/// One problem with a submission: a stable `code`, the file it concerns (`""` for the whole
/// submission) and a one-line message that says how to fix it. The `validate-package` JSON
/// lists these as `issues`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Stable machine-readable code (`secret_file`, `sha256_mismatch`, …).
    pub code: &'static str,
    /// The offending file or member, `""` for archive-level problems.
    pub name: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Issue {
    /// An issue about `name`.
    pub fn new(code: &'static str, name: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            code,
            name: name.into(),
            message: message.into(),
        }
    }
}

/// One file of a submission: its path inside the archive and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// `/`-separated path relative to the crate root.
    pub name: String,
    /// Content.
    pub bytes: Vec<u8>,
}

impl Member {
    /// A member named `name` holding `bytes`.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Member {
        Member {
            name: name.into(),
            bytes,
        }
    }
}
