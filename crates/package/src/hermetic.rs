//! The grader's cargo run, sealed off from the grader's machine.
//!
//! 1. `cargo vendor --offline --versioned-dirs` copies the locked sources of every registry
//!    dependency out of the grader's cargo cache into a fresh `whest-grader-build/vendor` in
//!    cargo's target folder (the grader crates stay path dependencies on the grader's
//!    checkout). The folder is emptied first, so it holds this submission's sources only, and
//!    its path is the same for every build: cargo fingerprints a dependency by the path of its
//!    sources, so a stable path lets one build reuse the dependencies the last one compiled.
//!    Hence one grader build at a time per target folder: a build first waits for an
//!    exclusive lock on `whest-grader-build.lock` there. The build itself goes to its own
//!    `whest-grader-target` beside it: build scripts and proc-macros of the same version and
//!    profile get the same file names in any build, and the grader's copies (compiled from the
//!    vendored paths) would otherwise overwrite the workspace's own and make cargo rebuild
//!    everything that uses them, back and forth.
//! 2. Every registry package the submission adds must have no build script or proc-macro,
//!    unless the allow-list says `+build` ([`dependencies::build_code_issues`]).
//! 3. `cargo rustc --lib --offline` builds with a fresh `CARGO_HOME`
//!    (`whest-grader-build/cargo-home` beside the vendored sources) whose only configuration
//!    replaces crates.io by the vendored folder, with the environment cleared to
//!    [`PASSED_ENV`] (no dataset paths, tokens or settings of the grader reach the compiler, so
//!    `env!` has nothing to read), and with `-F unsafe-code` on the submission crate alone (its
//!    dependencies, `flopscope` included, may use `unsafe`; an `#![allow(unsafe_code)]` in the
//!    submission cannot lift a `forbid`).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::dependencies::{self, DependencyPolicy};
use super::error::last_stderr_line;
use super::{Issue, PackageError};
use whest_host::estimator_path::run_cargo_for_cdylib;

/// Variables of the grader's environment the build sees (what finds the toolchain and the
/// target folder); everything else is cleared.
pub const PASSED_ENV: [&str; 5] = [
    "PATH",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "CARGO_TARGET_DIR",
    "TMPDIR",
];

/// The flag that makes any `unsafe` in the submission crate a hard error.
pub const FORBID_UNSAFE: &str = "-Funsafe-code";

/// Folder (inside cargo's target folder) holding the vendored sources and the fresh
/// `CARGO_HOME`; emptied before each build.
const WORK_DIR: &str = "whest-grader-build";

/// Cargo target folder of the grader's builds (inside cargo's target folder; kept between
/// builds so the next one reuses the compiled dependencies).
const GRADER_TARGET_DIR: &str = "whest-grader-target";

/// Vendors, checks and builds the crate at `crate_dir` (its `Cargo.toml` already points at the
/// grader's sources) with cargo profile `profile`, `--locked` when `locked`; returns the built
/// `cdylib`.
///
/// # Errors
/// `vendor_failed` when the locked sources are not all in the grader's cargo cache,
/// `build_code` issues for dependencies that would run code at build time, and `build_failed`
/// when cargo fails (an `unsafe` in the crate included).
pub fn build(
    crate_dir: &Path,
    profile: &str,
    locked: bool,
    policy: &DependencyPolicy,
) -> Result<PathBuf, Vec<Issue>> {
    let one =
        |code, message: String| vec![Issue::new(code, crate_dir.display().to_string(), message)];
    let manifest = crate_dir.join("Cargo.toml");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate_dir.join("target"), PathBuf::from);
    let work = target.join(WORK_DIR);
    let vendor = work.join("vendor");
    let cargo_home = work.join("cargo-home");
    let _one_build_at_a_time =
        lock_work_dir(&target).map_err(|e| one("vendor_failed", e.to_string()))?;
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| {
            one(
                "vendor_failed",
                format!("cannot empty {}: {e}", work.display()),
            )
        })?;
    }
    vendor_sources(&manifest, &vendor, locked).map_err(|e| one("vendor_failed", e.to_string()))?;
    let lock_text = std::fs::read_to_string(crate_dir.join("Cargo.lock"))
        .map_err(|e| one("vendor_failed", format!("cannot read Cargo.lock: {e}")))?;
    let lock = lock_text.parse::<toml_edit::DocumentMut>().map_err(|e| {
        one(
            "vendor_failed",
            format!("Cargo.lock is not valid TOML: {e}"),
        )
    })?;
    let packages = dependencies::locked_packages(&lock);
    let added = dependencies::submission_packages(&packages);
    let issues = dependencies::build_code_issues(&vendor, &added, policy);
    if !issues.is_empty() {
        return Err(issues);
    }
    write_cargo_home(&cargo_home, &vendor).map_err(|e| one("build_failed", e.to_string()))?;
    let mut command = sealed_cargo(&cargo_home);
    command
        .env("CARGO_TARGET_DIR", target.join(GRADER_TARGET_DIR))
        .current_dir(crate_dir)
        .args(["rustc", "--lib", "--offline", "--profile", profile]);
    if locked {
        command.arg("--locked");
    }
    run_cargo_for_cdylib(command, &manifest, &[FORBID_UNSAFE]).map_err(|e| {
        one(
            "build_failed",
            format!(
                "{e} (offline, with only the locked sources, unsafe code forbidden; cargo's \
                 output above names the cause)"
            ),
        )
    })
}

/// Why the lock on `whest-grader-build.lock` could not be taken; `Display` is
/// `cannot lock {path}: {source}` for every step.
#[derive(Debug)]
enum LockError {
    /// Cargo's target folder could not be created: check its permissions, or set
    /// `CARGO_TARGET_DIR` to a writable folder.
    CreateTargetDir {
        /// The lock file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The lock file could not be opened or created.
    Open {
        /// The lock file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file system refused the lock (file locks unsupported there).
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::CreateTargetDir { path, source }
            | LockError::Open { path, source }
            | LockError::Lock { path, source } => {
                write!(f, "cannot lock {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LockError::CreateTargetDir { source, .. }
            | LockError::Open { source, .. }
            | LockError::Lock { source, .. } => Some(source),
        }
    }
}

/// Waits for the exclusive lock on `target/whest-grader-build.lock` (created if needed) that
/// keeps two grader builds from emptying each other's vendored sources; released when the
/// returned file is dropped.
fn lock_work_dir(target: &Path) -> Result<std::fs::File, LockError> {
    let path = target.join(format!("{WORK_DIR}.lock"));
    if let Err(source) = std::fs::create_dir_all(target) {
        return Err(LockError::CreateTargetDir { path, source });
    }
    let file = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(file) => file,
        Err(source) => return Err(LockError::Open { path, source }),
    };
    match file.lock() {
        Ok(()) => Ok(file),
        Err(source) => Err(LockError::Lock { path, source }),
    }
}

/// `cargo vendor` of the crate's locked registry sources into `vendor`, from the grader's
/// cargo cache (offline).
fn vendor_sources(manifest: &Path, vendor: &Path, locked: bool) -> Result<(), PackageError> {
    let mut command = Command::new(cargo_program());
    command
        .args(["vendor", "--offline", "--versioned-dirs", "--quiet"])
        .arg("--manifest-path")
        .arg(manifest)
        .arg(vendor)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if locked {
        command.arg("--locked");
    }
    let out = command.output().map_err(PackageError::VendorDidNotStart)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(PackageError::VendorFailed(last_stderr_line(&out.stderr)))
    }
}

/// Writes the fresh `CARGO_HOME`: crates.io replaced by the vendored folder, offline.
fn write_cargo_home(cargo_home: &Path, vendor: &Path) -> Result<(), PackageError> {
    let shown = cargo_home.display().to_string();
    std::fs::create_dir_all(cargo_home)
        .map_err(|e| PackageError::io("cannot create", &*shown, e))?;
    let vendor = toml_edit::Value::from(vendor.to_string_lossy().as_ref());
    let config = format!(
        "[source.crates-io]\nreplace-with = \"locked-sources\"\n\n\
         [source.locked-sources]\ndirectory = {vendor}\n\n[net]\noffline = true\n"
    );
    std::fs::write(cargo_home.join("config.toml"), config)
        .map_err(|e| PackageError::io("cannot write", shown, e))
}

/// The cargo to run: `$CARGO` (the toolchain's cargo when whest-runner runs under cargo), else
/// `cargo` on the `PATH`.
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A cargo command with the environment cleared to [`PASSED_ENV`] and `CARGO_HOME` set to
/// `cargo_home`. When `RUSTUP_HOME` is unset, rustup's default (`$HOME/.rustup`) is passed
/// as `RUSTUP_HOME` so a rustup-managed `cargo` still finds its toolchain without `HOME`.
fn sealed_cargo(cargo_home: &Path) -> Command {
    let mut command = Command::new(cargo_program());
    command.env_clear().env("CARGO_HOME", cargo_home);
    for name in PASSED_ENV {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    if std::env::var_os("RUSTUP_HOME").is_none() {
        if let Some(home) = std::env::var_os("HOME") {
            let rustup = Path::new(&home).join(".rustup");
            if rustup.is_dir() {
                command.env("RUSTUP_HOME", rustup);
            }
        }
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sealed_cargo_sees_only_the_passed_variables() {
        let home = Path::new("/x/cargo-home");
        let command = sealed_cargo(home);
        let names: Vec<String> = command
            .get_envs()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"CARGO_HOME".to_string()));
        for name in &names {
            assert!(
                name == "CARGO_HOME" || PASSED_ENV.contains(&name.as_str()),
                "{name} leaks into the build"
            );
        }
    }

    #[test]
    fn the_fresh_cargo_home_points_crates_io_at_the_vendored_sources() {
        let dir = std::env::temp_dir().join(format!("whest-cargo-home-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_cargo_home(&dir, Path::new("/v/vendor")).expect("written");
        let config = std::fs::read_to_string(dir.join("config.toml")).expect("read");
        let doc: toml_edit::DocumentMut = config.parse().expect("toml");
        assert_eq!(
            doc["source"]["crates-io"]["replace-with"].as_str(),
            Some("locked-sources")
        );
        assert_eq!(
            doc["source"]["locked-sources"]["directory"].as_str(),
            Some("/v/vendor")
        );
        assert_eq!(doc["net"]["offline"].as_bool(), Some(true));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
