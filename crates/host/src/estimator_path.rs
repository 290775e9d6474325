//! Resolves `--estimator PATH`: a built `.so`, or an estimator crate directory that is built in
//! release mode first (cargo's output is shown).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A loadable estimator library and the directory it was submitted from.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEstimator {
    /// Path of the `cdylib`.
    pub library: PathBuf,
    /// The estimator's directory (`SetupContext.submission_dir`).
    pub submission_dir: PathBuf,
}

/// Resolves `path` into a library, building a crate directory with `cargo build --release`.
///
/// # Errors
/// One line naming the problem and the fix (missing path, not a crate, build failure, no
/// `cdylib` target).
pub fn resolve(path: &Path) -> Result<ResolvedEstimator, String> {
    let abs = path
        .canonicalize()
        .map_err(|e| format!("estimator path {}: {e}", path.display()))?;
    if abs.is_file() {
        let ext = abs.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "so" | "dylib") {
            return Err(format!(
                "{} is not an estimator: pass a built shared library (.so) or an estimator \
                 crate directory",
                path.display()
            ));
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
        return Err(format!(
            "{} has no Cargo.toml: pass an estimator crate directory (create one with \
             `whest-runner init DIR`) or a built .so",
            path.display()
        ));
    }
    let library = build_release(&manifest)?;
    Ok(ResolvedEstimator {
        library,
        submission_dir: abs,
    })
}

/// Runs `cargo build --release` on `manifest` and returns the crate's `cdylib` artifact.
fn build_release(manifest: &Path) -> Result<PathBuf, String> {
    build_cdylib(manifest, &["--release"])
}

/// Runs `cargo build <cargo_args>` on `manifest` (cargo's output shown on stderr) and returns
/// the crate's `cdylib` artifact.
///
/// # Errors
/// One line when cargo cannot run, the build fails, or the crate builds no `cdylib`.
pub fn build_cdylib(manifest: &Path, cargo_args: &[&str]) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .arg("build")
        .args(cargo_args)
        .args([
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run cargo to build the estimator: {e}"))?;
    let mut found = None;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(p) = cdylib_artifact(&line, manifest) {
                found = Some(p);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo failed: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the estimator at {} failed (see cargo's output above)",
            manifest.display()
        ));
    }
    found.ok_or_else(|| {
        format!(
            "{} builds no cdylib: add `[lib] crate-type = [\"cdylib\"]` to it",
            manifest.display()
        )
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
        assert!(resolve(Path::new("/definitely/missing")).is_err());
        let err = resolve(Path::new("/etc/hostname")).unwrap_err();
        assert!(err.contains("not an estimator"), "{err}");
    }
}
