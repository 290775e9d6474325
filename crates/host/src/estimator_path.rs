//! Resolves `--estimator PATH`: a built `.so`, or an estimator crate directory that is built
//! first (cargo's output is shown), with the `release` profile unless [`PROFILE_ENV`] names
//! another.

use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variable naming the cargo profile an estimator crate directory is built with
/// (default `release`; e.g. `dev` for quicker rebuilds while iterating).
pub const PROFILE_ENV: &str = "WHEST_CARGO_PROFILE";

/// Why `--estimator PATH` gave no loadable library; `Display` is one line naming the problem
/// and the fix.
#[derive(Debug)]
pub enum EstimatorPathError {
    /// The path cannot be resolved (it does not exist, or a folder on it cannot be read).
    Unresolvable {
        /// The path as given.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// A file that is not a shared library (`.so` / `.dylib`).
    NotALibrary {
        /// The path as given.
        path: PathBuf,
    },
    /// A folder without `Cargo.toml`.
    NoCargoToml {
        /// The path as given.
        path: PathBuf,
    },
    /// [`PROFILE_ENV`] is set to something that cannot be a cargo profile name.
    BadProfile {
        /// The variable's value.
        value: String,
    },
    /// `cargo` could not be started.
    CargoDidNotStart(io::Error),
    /// Waiting for `cargo` to finish failed.
    CargoWait(io::Error),
    /// `cargo build` exited with a failure (its output was shown on stderr).
    BuildFailed {
        /// The crate's `Cargo.toml`.
        manifest: PathBuf,
    },
    /// The build succeeded but produced no `cdylib` of this crate.
    NoCdylib {
        /// The crate's `Cargo.toml`.
        manifest: PathBuf,
    },
}

impl fmt::Display for EstimatorPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EstimatorPathError::Unresolvable { path, source } => {
                write!(f, "estimator path {}: {source}", path.display())
            }
            EstimatorPathError::NotALibrary { path } => write!(
                f,
                "{} is not an estimator: pass a built shared library (.so) or an estimator \
                 crate directory",
                path.display()
            ),
            EstimatorPathError::NoCargoToml { path } => write!(
                f,
                "{} has no Cargo.toml: pass an estimator crate directory (create one with \
                 `whest-runner init DIR`) or a built .so",
                path.display()
            ),
            EstimatorPathError::BadProfile { value } => write!(
                f,
                "{PROFILE_ENV}={value:?} is not a cargo profile name: use letters, digits, `-` \
                 and `_` (e.g. `release` or `dev`), or unset it"
            ),
            EstimatorPathError::CargoDidNotStart(e) => {
                write!(f, "cannot run cargo to build the estimator: {e}")
            }
            EstimatorPathError::CargoWait(e) => write!(f, "waiting for cargo failed: {e}"),
            EstimatorPathError::BuildFailed { manifest } => write!(
                f,
                "building the estimator at {} failed (see cargo's output above)",
                manifest.display()
            ),
            EstimatorPathError::NoCdylib { manifest } => write!(
                f,
                "{} builds no cdylib: add `[lib] crate-type = [\"cdylib\"]` to it",
                manifest.display()
            ),
        }
    }
}

impl std::error::Error for EstimatorPathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EstimatorPathError::Unresolvable { source: e, .. }
            | EstimatorPathError::CargoDidNotStart(e)
            | EstimatorPathError::CargoWait(e) => Some(e),
            _ => None,
        }
    }
}

/// A loadable estimator library and the directory it was submitted from.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEstimator {
    /// Path of the `cdylib`.
    pub library: PathBuf,
    /// The estimator's directory (`SetupContext.submission_dir`).
    pub submission_dir: PathBuf,
}

/// Resolves `path` into a library, building a crate directory with `cargo build --profile P`
/// (P from [`PROFILE_ENV`], default `release`).
///
/// # Errors
/// An [`EstimatorPathError`] naming the problem and the fix (missing path, not a crate, bad
/// profile name, build failure, no `cdylib` target).
pub fn resolve(path: &Path) -> Result<ResolvedEstimator, EstimatorPathError> {
    let abs = path
        .canonicalize()
        .map_err(|source| EstimatorPathError::Unresolvable {
            path: path.to_path_buf(),
            source,
        })?;
    if abs.is_file() {
        let ext = abs.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "so" | "dylib") {
            return Err(EstimatorPathError::NotALibrary {
                path: path.to_path_buf(),
            });
        }
        let dir = abs
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        return Ok(ResolvedEstimator {
            library: abs,
            submission_dir: dir,
        });
    }
    let manifest = abs.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(EstimatorPathError::NoCargoToml {
            path: path.to_path_buf(),
        });
    }
    let library = build_cdylib(&manifest, &["--profile", &build_profile()?])?;
    Ok(ResolvedEstimator {
        library,
        submission_dir: abs,
    })
}

/// The cargo profile for building an estimator crate: [`PROFILE_ENV`] when set, else `release`.
fn build_profile() -> Result<String, EstimatorPathError> {
    let Some(value) = std::env::var_os(PROFILE_ENV) else {
        return Ok("release".to_string());
    };
    let value = value.to_string_lossy().into_owned();
    let valid = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(value)
    } else {
        Err(EstimatorPathError::BadProfile { value })
    }
}

/// Runs `cargo build <cargo_args>` on `manifest` (cargo's output shown on stderr) and returns
/// the crate's `cdylib` artifact.
///
/// # Errors
/// [`EstimatorPathError::CargoDidNotStart`] / [`EstimatorPathError::CargoWait`] when cargo
/// cannot run, [`EstimatorPathError::BuildFailed`] when the build fails,
/// [`EstimatorPathError::NoCdylib`] when the crate builds no `cdylib`.
pub fn build_cdylib(manifest: &Path, cargo_args: &[&str]) -> Result<PathBuf, EstimatorPathError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.arg("build").args(cargo_args);
    run_cargo_for_cdylib(command, manifest, &[])
}

/// Runs `command` (a cargo `build` or `rustc` invocation with its options, environment and
/// working folder set, but no `--manifest-path` or `--message-format`) on `manifest`, with
/// `rustc_args` after `--` when there are any (`cargo rustc` gives them to the crate itself
/// only), showing cargo's output on stderr; returns the crate's `cdylib` artifact.
///
/// # Errors
/// As [`build_cdylib`].
pub fn run_cargo_for_cdylib(
    mut command: Command,
    manifest: &Path,
    rustc_args: &[&str],
) -> Result<PathBuf, EstimatorPathError> {
    command
        .args([
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(manifest);
    if !rustc_args.is_empty() {
        command.arg("--").args(rustc_args);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(EstimatorPathError::CargoDidNotStart)?;
    let mut found = None;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(p) = cdylib_artifact(&line, manifest) {
                found = Some(p);
            }
        }
    }
    let status = child.wait().map_err(EstimatorPathError::CargoWait)?;
    if !status.success() {
        return Err(EstimatorPathError::BuildFailed {
            manifest: manifest.to_path_buf(),
        });
    }
    found.ok_or_else(|| EstimatorPathError::NoCdylib {
        manifest: manifest.to_path_buf(),
    })
}

/// The `.so` of a cargo `compiler-artifact` message for the package of `manifest`, if any.
fn cdylib_artifact(line: &str, manifest: &Path) -> Option<PathBuf> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v["reason"] != "compiler-artifact" {
        return None;
    }
    let same_pkg = v["manifest_path"]
        .as_str()
        .is_some_and(|m| Path::new(m) == manifest);
    let is_cdylib = v["target"]["kind"]
        .as_array()
        .is_some_and(|k| k.iter().any(|x| x == "cdylib"));
    if !(same_pkg && is_cdylib) {
        return None;
    }
    v["filenames"].as_array()?.iter().find_map(|f| {
        let f = f.as_str()?;
        (f.ends_with(".so") || f.ends_with(".dylib")).then(|| PathBuf::from(f))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_cdylib_of_the_right_package() {
        let m = Path::new("/x/est/Cargo.toml");
        let line = r#"{"reason":"compiler-artifact","manifest_path":"/x/est/Cargo.toml","target":{"kind":["cdylib"]},"filenames":["/t/release/libest.so"]}"#;
        assert_eq!(
            cdylib_artifact(line, m),
            Some(PathBuf::from("/t/release/libest.so"))
        );
        let other = line.replace("/x/est/", "/x/dep/");
        assert_eq!(cdylib_artifact(&other, m), None);
        assert_eq!(cdylib_artifact("not json", m), None);
    }

    #[test]
    fn rejects_paths_that_are_not_estimators() {
        let err = resolve(Path::new("/definitely/missing")).expect_err("missing");
        assert!(
            matches!(err, EstimatorPathError::Unresolvable { .. }),
            "{err}"
        );
        assert!(err
            .to_string()
            .starts_with("estimator path /definitely/missing: "));
        let err = resolve(Path::new("/etc/hostname")).expect_err("a text file");
        assert_eq!(
            err.to_string(),
            "/etc/hostname is not an estimator: pass a built shared library (.so) or an \
             estimator crate directory"
        );
    }
}
