//! The grader's build (`whest-runner build --locked ARTIFACT_OR_DIR`): read a submission (a
//! tarball, or an already unpacked folder) into memory, validate it (the dependency
//! allow-list included), write it into a fresh folder, point its `flopscope`/`estimator-api`
//! at the grader's pinned sources ([`super::cargo_toml::point_at_pinned`]), and build the
//! library hermetically ([`super::hermetic`]: offline, vendored locked sources, cleared
//! environment, unsafe code forbidden). The built
//! `lib<name>.so` is copied into the crate folder, so `run --estimator THAT.so` gives the
//! estimator that folder (with any shipped data files) as its `submission_dir`.
//!
//! With `--locked` cargo must build exactly the shipped `Cargo.lock`; that works because the
//! lock was resolved by `package` with this same rewrite (a lock names path dependencies
//! without their path), so it fails only when the grader's whest-rs differs from the
//! packager's. Cargo's target folder is `CARGO_TARGET_DIR` when set, else `<output>/target`.

use std::path::{Path, PathBuf};

use super::cargo_toml;
use super::dependencies::DependencyPolicy;
use super::hermetic;
use super::pinned::PinnedSources;
use super::{archive, collect, validate, Issue, Member, PackageError};

/// What to build and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildRequest {
    /// A submission `.tar.gz`, or an unpacked submission folder (with `manifest.json`).
    pub source: PathBuf,
    /// The fresh folder to unpack into (must not exist, or be empty).
    pub output: PathBuf,
    /// Pass `--locked` to cargo (the grader's mode).
    pub locked: bool,
    /// Cargo profile (`release` for grading).
    pub profile: String,
    /// The dependency allow-list.
    pub policy: DependencyPolicy,
}

/// A built submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    /// The unpacked crate folder.
    pub crate_dir: PathBuf,
    /// The loadable library, inside `crate_dir`.
    pub library: PathBuf,
}

/// The default output folder for `source`: `<name without .tar.gz/.tgz>-build` beside it.
pub fn default_output(source: &Path) -> PathBuf {
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "submission".into());
    let stem = name
        .strip_suffix(".tar.gz")
        .or_else(|| name.strip_suffix(".tgz"))
        .unwrap_or(&name);
    source.with_file_name(format!("{stem}-build"))
}

/// Runs the grader build.
///
/// # Errors
/// The submission's validation issues, or one issue saying why unpacking or building failed.
pub fn build(req: &BuildRequest) -> Result<Built, Vec<Issue>> {
    let one =
        |code, message: String| vec![Issue::new(code, req.source.display().to_string(), message)];
    let (members, mut issues) = if req.source.is_dir() {
        collect::read_unpacked(&req.source)
    } else {
        archive::read(&req.source)
    };
    if issues.is_empty() {
        issues = validate::validate(&members, &req.policy).issues;
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let pinned =
        PinnedSources::locate().map_err(|e| one("grader_sources_missing", e.to_string()))?;
    let crate_dir =
        unpack(&members, &req.output).map_err(|e| one("unpack_failed", e.to_string()))?;
    rewrite_manifest(&crate_dir, &pinned).map_err(|e| one("unpack_failed", e.to_string()))?;
    let built = hermetic::build(&crate_dir, &req.profile, req.locked, &req.policy).map_err(
        |mut found| {
            if req.locked {
                for issue in found.iter_mut().filter(|i| i.code != "build_code") {
                    issue.message.push_str(&format!(
                        "; if cargo said the lock file needs to be updated, the submission was \
                         packaged against other flopscope/estimator-api sources than {}: \
                         re-package it with this whest-runner",
                        pinned.root.display()
                    ));
                }
            }
            found
        },
    )?;
    let file_name = built
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let library = crate_dir.join(file_name);
    std::fs::copy(&built, &library).map_err(|e| {
        one(
            "build_failed",
            format!(
                "cannot copy {} into {}: {e}",
                built.display(),
                crate_dir.display()
            ),
        )
    })?;
    Ok(Built { crate_dir, library })
}

/// Writes `members` into `output`, which must not exist or be an empty folder; returns its
/// canonical path. Member names were validated as relative and `..`-free, and every file is
/// created fresh (`create_new`), so nothing outside `output` is written.
fn unpack(members: &[Member], output: &Path) -> Result<PathBuf, PackageError> {
    if output.exists() {
        let empty = std::fs::read_dir(output).is_ok_and(|mut d| d.next().is_none());
        if !empty {
            return Err(PackageError::OutputExists {
                output: output.to_path_buf(),
            });
        }
    }
    let shown = output.display().to_string();
    std::fs::create_dir_all(output).map_err(|e| PackageError::io("cannot create", &*shown, e))?;
    let root = output
        .canonicalize()
        .map_err(|e| PackageError::io("cannot resolve", shown, e))?;
    for m in members {
        let not_unpacked = |e| PackageError::io("cannot unpack", m.name.as_str(), e);
        let path = root.join(&m.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(not_unpacked)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(not_unpacked)?;
        std::io::Write::write_all(&mut file, &m.bytes).map_err(not_unpacked)?;
    }
    Ok(root)
}

/// Applies the grader's rewrite to `crate_dir/Cargo.toml`, keeping the shipped file as
/// `Cargo.toml.orig`.
fn rewrite_manifest(crate_dir: &Path, pinned: &PinnedSources) -> Result<(), PackageError> {
    let path = crate_dir.join("Cargo.toml");
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(&path).map_err(|e| PackageError::io("cannot read", &*shown, e))?;
    let mut doc = cargo_toml::parse(&text, "Cargo.toml").map_err(PackageError::InvalidCargoToml)?;
    cargo_toml::point_at_pinned(&mut doc, &|name| pinned.crate_dir(name));
    std::fs::write(crate_dir.join("Cargo.toml.orig"), &text)
        .and_then(|()| std::fs::write(&path, doc.to_string()))
        .map_err(|e| PackageError::io("cannot rewrite", shown, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_output_sits_beside_the_archive() {
        assert_eq!(
            default_output(Path::new("/x/submission-1.tar.gz")),
            PathBuf::from("/x/submission-1-build")
        );
        assert_eq!(default_output(Path::new("a.tgz")), PathBuf::from("a-build"));
        assert_eq!(
            default_output(Path::new("/x/unpacked")),
            PathBuf::from("/x/unpacked-build")
        );
    }

    #[test]
    fn unpacking_refuses_a_non_empty_folder() {
        let dir = std::env::temp_dir().join(format!("whest-unpack-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let members = vec![Member::new("src/lib.rs", b"x".to_vec())];
        let root = unpack(&members, &dir).expect("fresh folder");
        assert_eq!(
            std::fs::read(root.join("src/lib.rs")).expect("unpacked"),
            b"x"
        );
        let err = unpack(&members, &dir).expect_err("not empty any more");
        assert!(matches!(err, PackageError::OutputExists { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "{} already exists: pass a new --output folder, or remove it",
                dir.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
