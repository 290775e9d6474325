//! The shipped `Cargo.lock`.
//!
//! `package` stages the normalised crate with the grader's rewrite applied (the grader crates as
//! `path` dependencies on [`super::pinned`]'s sources), seeds it with the lock the crate was
//! developed with (its own `Cargo.lock`, else its workspace's), and lets cargo resolve
//! (`cargo metadata`): cargo keeps every locked version it can and prunes what the crate does not
//! use, so the shipped lock pins what the user built and tested. A crate with no lock at all gets
//! a fresh resolution (this may need the network, like any first `cargo build`).
//!
//! A lock records a path dependency by name and version only (no path, no `source`), so the
//! grader, which applies the same rewrite with its own checkout's folders, sees exactly this
//! lock and `cargo build --locked` accepts it, as long as its `flopscope`/`estimator-api` have the
//! same versions and dependencies as the packager's.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::cargo_toml::GRADER_CRATES;
use super::error::last_stderr_line;
use super::PackageError;

/// A resolved lock and the grader-crate versions it pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The `Cargo.lock` bytes.
    pub lock: Vec<u8>,
    /// Version of each grader crate (`flopscope`, `estimator-api`) in the resolution.
    pub grader_versions: BTreeMap<String, String>,
}

/// Resolves the crate staged at `dir` (its `Cargo.toml` already points at the pinned sources),
/// starting from `seed` (an existing `Cargo.lock`) when given.
///
/// # Errors
/// [`PackageError::ResolutionFailed`] with cargo's last error line when resolution fails
/// (network needed but offline, a dependency that does not exist, …); another
/// [`PackageError`] when the seed lock cannot be staged, cargo cannot run, or the lock cannot
/// be read back.
pub fn resolve(dir: &Path, seed: Option<&Path>) -> Result<Resolution, PackageError> {
    let lock_path = dir.join("Cargo.lock");
    if let Some(seed) = seed {
        std::fs::copy(seed, &lock_path).map_err(|source| PackageError::CopySeedLock {
            seed: seed.to_path_buf(),
            source,
        })?;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .output()
        .map_err(PackageError::CargoDidNotStart)?;
    if !out.status.success() {
        return Err(PackageError::ResolutionFailed(last_stderr_line(
            &out.stderr,
        )));
    }
    let meta: Value =
        serde_json::from_slice(&out.stdout).map_err(PackageError::UnreadableMetadata)?;
    let lock = std::fs::read(&lock_path).map_err(|source| PackageError::NoLockWritten {
        dir: dir.to_path_buf(),
        source,
    })?;
    Ok(Resolution {
        lock,
        grader_versions: grader_versions(&meta),
    })
}

/// The versions of the path-sourced grader crates in `cargo metadata` output.
fn grader_versions(meta: &Value) -> BTreeMap<String, String> {
    let mut versions = BTreeMap::new();
    for pkg in meta["packages"].as_array().into_iter().flatten() {
        let name = pkg["name"].as_str().unwrap_or_default();
        if GRADER_CRATES.contains(&name) && pkg["source"].is_null() {
            if let Some(v) = pkg["version"].as_str() {
                versions.insert(name.to_string(), v.to_string());
            }
        }
    }
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_sourced_grader_versions() {
        let meta: Value = serde_json::json!({"packages": [
            {"name": "flopscope", "version": "0.1.0", "source": null},
            {"name": "estimator-api", "version": "0.1.0", "source": null},
            {"name": "rayon", "version": "1.12.0", "source": "registry+https://github.com/rust-lang/crates.io-index"},
            {"name": "flopscope", "version": "9.0.0", "source": "registry+https://x"},
        ]});
        let v = grader_versions(&meta);
        assert_eq!(v.len(), 2);
        assert_eq!(v["flopscope"], "0.1.0");
    }
}
