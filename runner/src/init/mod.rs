//! `whest-runner init [PATH]`: scaffolds an estimator crate.
//!
//! Writes `Cargo.toml` (a `cdylib` with an empty `[workspace]` table, so it builds on its own,
//! unless a workspace above claims the folder: then a plain member, see [`workspace`]),
//! `src/lib.rs` (a zeros estimator whose doc comment states the contract), `README.md`,
//! `.gitignore` and, when depending on a local checkout, that checkout's `Cargo.lock`. The
//! folder is created if needed; a file that already exists is never touched. See [`source`]
//! for where the dependencies come from.

pub mod scaffold;
pub mod source;
pub mod workspace;

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use whest_score::ErrorCode;

use serde_json::json;

use crate::cli::InitArgs;
use scaffold::ScaffoldFile;
use source::DependencySource;
use whest_score::report::{to_python_json, ErrorPayload, EXIT_USAGE, WHEST_RS_VERSION};

/// What `init` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitOutcome {
    /// The crate folder (absolute).
    pub dir: PathBuf,
    /// The crate name written to a new `Cargo.toml`.
    pub crate_name: String,
    /// Files written, absolute, in order.
    pub created: Vec<PathBuf>,
    /// Files that already existed and were kept, absolute.
    pub kept: Vec<PathBuf>,
    /// Where the dependencies come from.
    pub source: DependencySource,
    /// The workspace whose `members` include the folder (the crate joined it), if any.
    pub member_of: Option<workspace::ClaimingWorkspace>,
}

/// Why `init` could not scaffold the crate; `Display` is one line naming the path.
#[derive(Debug)]
pub enum InitError {
    /// A folder (the crate folder, or a file's parent) could not be created: check the
    /// permissions, or that no file stands where the folder should be.
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The crate folder could not be resolved to an absolute path.
    Resolve {
        /// The folder as given.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The checkout's `Cargo.lock` could not be read.
    ReadLockfile {
        /// The lockfile.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// A new file could not be created (no permission, or a parent is a file).
    CreateFile {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// A new file was created but its content could not be written (disk full); it was
    /// removed again.
    WriteFile {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::CreateDir { path, source } | InitError::CreateFile { path, source } => {
                write!(f, "cannot create {}: {source}", path.display())
            }
            InitError::Resolve { path, source } => {
                write!(f, "cannot resolve {}: {source}", path.display())
            }
            InitError::ReadLockfile { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            InitError::WriteFile { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::CreateDir { source, .. }
            | InitError::Resolve { source, .. }
            | InitError::ReadLockfile { source, .. }
            | InitError::CreateFile { source, .. }
            | InitError::WriteFile { source, .. } => Some(source),
        }
    }
}

/// Scaffolds an estimator crate in `dir` depending on whest-rs through `source`.
///
/// # Errors
/// One line naming the path that could not be created or written. Files this call created are
/// removed again, so a failure leaves the folder as it was (apart from new empty folders).
pub fn scaffold_crate(dir: &Path, source: DependencySource) -> Result<InitOutcome, InitError> {
    fs::create_dir_all(dir).map_err(|e| InitError::CreateDir {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let dir = dir.canonicalize().map_err(|e| InitError::Resolve {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let crate_name = scaffold::crate_name(folder.as_deref().unwrap_or_default());
    let member_of = workspace::claiming_workspace(&dir);
    let mut files = scaffold::render(&crate_name, &source, member_of.as_ref());
    // A workspace member uses its workspace's lockfile.
    if let (Some(lock), None) = (source.lockfile(), &member_of) {
        let content = fs::read_to_string(&lock).map_err(|e| InitError::ReadLockfile {
            path: lock.clone(),
            source: e,
        })?;
        files.push(ScaffoldFile {
            relative: PathBuf::from("Cargo.lock"),
            content,
        });
    }
    let mut outcome = InitOutcome {
        dir: dir.clone(),
        crate_name,
        created: Vec::new(),
        kept: Vec::new(),
        source,
        member_of,
    };
    for file in &files {
        let path = dir.join(&file.relative);
        match write_new(&path, &file.content) {
            Ok(true) => outcome.created.push(path),
            Ok(false) => outcome.kept.push(path),
            Err(e) => {
                for p in &outcome.created {
                    let _ = fs::remove_file(p);
                }
                return Err(e);
            }
        }
    }
    Ok(outcome)
}

/// Writes `content` to a new file at `path` (creating parent folders). Returns `false`, writing
/// nothing, if `path` already exists.
fn write_new(path: &Path, content: &str) -> Result<bool, InitError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| InitError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(source) => {
            return Err(InitError::CreateFile {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if let Err(source) = file.write_all(content.as_bytes()) {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(InitError::WriteFile {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(true)
}

fn paths_json(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}

/// The `init --json` payload: `{ok: true, created: [...], kept: [...], crate_name, dependencies,
/// whestbench_version}`.
pub fn outcome_json(o: &InitOutcome) -> serde_json::Value {
    let dependencies = match &o.source {
        DependencySource::Checkout(root) => json!({"kind": "path", "checkout": root}),
        DependencySource::Git(url) => json!({"kind": "git", "url": url}),
    };
    json!({
        "ok": true,
        "created": paths_json(&o.created),
        "kept": paths_json(&o.kept),
        "crate_name": o.crate_name,
        "dependencies": dependencies,
        "workspace": o.member_of.as_ref().map(|w| json!({"root": w.root, "members_entry": w.pattern})),
        "whestbench_version": WHEST_RS_VERSION,
    })
}

/// The human-readable summary with the next command to run.
pub fn outcome_text(o: &InitOutcome) -> String {
    let mut out = format!(
        "Estimator crate `{}` in {}\n",
        o.crate_name,
        o.dir.display()
    );
    for p in &o.created {
        out.push_str(&format!("  created {}\n", p.display()));
    }
    for p in &o.kept {
        out.push_str(&format!("  kept    {} (already there)\n", p.display()));
    }
    match &o.source {
        DependencySource::Checkout(root) => out.push_str(&format!(
            "Depends on the whest-rs checkout at {}\n",
            root.display()
        )),
        DependencySource::Git(url) => {
            out.push_str(&format!("Depends on whest-rs from git: {url}\n"));
        }
    }
    if let Some(w) = &o.member_of {
        out.push_str(&format!(
            "Joined the workspace at {} as a member (its `members` entry `{}` matches)\n",
            w.root.display(),
            w.pattern
        ));
    }
    out.push_str(&format!(
        "Next: edit src/lib.rs, then `whest-runner validate --estimator {}`\n",
        o.dir.display()
    ));
    out
}

/// Runs `whest-runner init` and returns the exit code (0 done, 1 a file could not be written,
/// 2 a bad `--whest-path`).
pub fn init(args: &InitArgs) -> i32 {
    let report = |p: ErrorPayload, code: i32| {
        if args.json {
            print!("{}", p.to_json_string());
        } else {
            eprintln!("init failed: {}", p.error.message);
        }
        code
    };
    let source = match source::choose(args.whest_path.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            return report(
                ErrorPayload::new("init", ErrorCode::UsageError, e.to_string()),
                EXIT_USAGE,
            )
        }
    };
    match scaffold_crate(&args.path, source) {
        Ok(o) => {
            if args.json {
                println!("{}", to_python_json(&outcome_json(&o)));
            } else {
                print!("{}", outcome_text(&o));
            }
            0
        }
        Err(e) => {
            let p = ErrorPayload::new("init", ErrorCode::InitWriteError, e.to_string());
            let code = p.exit_code();
            report(p, code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("whest-init-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_git_scaffold_has_git_dependencies_and_no_lockfile() {
        let dir = scratch("git");
        let url = "https://g.example/whest-rs".to_string();
        let o =
            scaffold_crate(&dir.join("est"), DependencySource::Git(url.clone())).expect("scaffold");
        let names: Vec<_> = o.created.iter().filter_map(|p| p.file_name()).collect();
        assert_eq!(names, ["Cargo.toml", "lib.rs", "README.md", ".gitignore"]);
        let manifest = fs::read_to_string(dir.join("est/Cargo.toml")).expect("manifest");
        assert!(manifest.contains(&format!("flopscope = {{ git = \"{url}\" }}")));
        let v = outcome_json(&o);
        assert_eq!(v["dependencies"], json!({"kind": "git", "url": url}));
        assert_eq!(v["crate_name"], "est");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_removes_what_this_call_created() {
        let dir = scratch("rollback");
        // `src` is a file, so `src/lib.rs` cannot be created after `Cargo.toml` was.
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("src"), "not a folder").expect("write");
        let err = scaffold_crate(&dir, DependencySource::Git("https://g.example/w".into()))
            .expect_err("src is a file")
            .to_string();
        assert!(err.contains("src"), "{err}");
        assert!(
            !dir.join("Cargo.toml").exists(),
            "Cargo.toml was rolled back"
        );
        assert_eq!(
            fs::read_to_string(dir.join("src")).ok().as_deref(),
            Some("not a folder")
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
