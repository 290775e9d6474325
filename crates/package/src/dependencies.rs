//! Which crates.io crates a submission may pull in.
//!
//! Every registry package of the shipped `Cargo.lock` must be either one the grader's own
//! `flopscope`/`estimator-api` depend on (reachable from them in the lock; `build --locked`
//! makes cargo check that the lock matches the grader's real dependency graph) or on the
//! [`DependencyPolicy`]: [`DEFAULT_ALLOWED`] plus what the grader adds with `--allow-crate` or
//! `--allow-list FILE`. A crate that runs code at build time (a build script or a
//! proc-macro) is refused even when listed, unless listed with `+build`; the grader build
//! checks that on the vendored sources ([`build_code_issues`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};

use super::cargo_toml::GRADER_CRATES;
use super::Issue;

/// Crates a submission may use without the grader listing them: small, pure-Rust, with no
/// build script or proc-macro.
pub const DEFAULT_ALLOWED: [&str; 4] = ["bytemuck", "either", "itertools", "smallvec"];

/// Suffix of an allow-list entry that also lets the crate run a build script or be a
/// proc-macro.
const BUILD_SUFFIX: &str = "+build";

/// The allow-list: crate name → whether it may run code at build time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyPolicy {
    allowed: BTreeMap<String, bool>,
}

impl Default for DependencyPolicy {
    /// [`DEFAULT_ALLOWED`], none of them with build code.
    fn default() -> DependencyPolicy {
        DependencyPolicy {
            allowed: DEFAULT_ALLOWED
                .iter()
                .map(|n| ((*n).to_string(), false))
                .collect(),
        }
    }
}

/// Why an allow-list entry or file was not accepted.
#[derive(Debug)]
pub enum AllowListError {
    /// An entry is not a crate name (letters, digits, `-`, `_`), optionally with `+build`.
    BadEntry(String),
    /// The allow-list file could not be read.
    Unreadable(PathBuf, std::io::Error),
}

impl fmt::Display for AllowListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowListError::BadEntry(e) => write!(
                f,
                "allow-list entry {e:?} is not a crate name: write NAME, or NAME+build to also \
                 allow its build script or proc-macro"
            ),
            AllowListError::Unreadable(p, e) => write!(
                f,
                "cannot read the allow-list {}: {e}; pass a file with one crate name per line",
                p.display()
            ),
        }
    }
}

impl std::error::Error for AllowListError {}

impl DependencyPolicy {
    /// Adds one entry: `NAME`, or `NAME+build` to also allow build code.
    ///
    /// # Errors
    /// [`AllowListError::BadEntry`] when `entry` is not of that form.
    pub fn allow(&mut self, entry: &str) -> Result<(), AllowListError> {
        let entry = entry.trim();
        let (name, build) = match entry.strip_suffix(BUILD_SUFFIX) {
            Some(n) => (n, true),
            None => (entry, false),
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(AllowListError::BadEntry(entry.to_string()));
        }
        let slot = self.allowed.entry(name.to_string()).or_insert(false);
        *slot |= build;
        Ok(())
    }

    /// Adds the entries of the file at `path`: one per line, `#` starts a comment.
    ///
    /// # Errors
    /// [`AllowListError::Unreadable`], or [`AllowListError::BadEntry`] for a bad line.
    pub fn allow_file(&mut self, path: &Path) -> Result<(), AllowListError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AllowListError::Unreadable(path.to_path_buf(), e))?;
        for line in text.lines() {
            let entry = line.split('#').next().unwrap_or_default().trim();
            if !entry.is_empty() {
                self.allow(entry)?;
            }
        }
        Ok(())
    }

    fn allows(&self, name: &str) -> bool {
        self.allowed.contains_key(name)
    }

    fn allows_build_code(&self, name: &str) -> bool {
        self.allowed.get(name).copied().unwrap_or(false)
    }
}

/// One `[[package]]` of a lock.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockedPackage {
    /// Crate name.
    pub name: String,
    /// Exact version.
    pub version: String,
    registry: bool,
    deps: Vec<String>,
}

/// The packages of a parsed `Cargo.lock`.
pub fn locked_packages(lock: &DocumentMut) -> Vec<LockedPackage> {
    let packages = lock.get("package").and_then(Item::as_array_of_tables);
    packages
        .into_iter()
        .flatten()
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(Item::as_str).unwrap_or_default();
            LockedPackage {
                name: text("name").to_string(),
                version: text("version").to_string(),
                registry: p.contains_key("source"),
                deps: p
                    .get("dependencies")
                    .and_then(Item::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect(),
            }
        })
        .collect()
}

/// The registry packages that the grader crates do not pull in (the submission's own
/// dependencies), in lock order.
pub fn submission_packages(packages: &[LockedPackage]) -> Vec<&LockedPackage> {
    let find = |dep: &str| -> Option<usize> {
        let mut parts = dep.split(' ');
        let name = parts.next().unwrap_or_default();
        let version = parts.next();
        packages
            .iter()
            .position(|p| p.name == name && version.is_none_or(|v| p.version == v))
    };
    let mut reached = BTreeSet::new();
    let mut stack: Vec<usize> = packages
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.registry && GRADER_CRATES.contains(&p.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = stack.pop() {
        if reached.insert(i) {
            stack.extend(packages[i].deps.iter().filter_map(|d| find(d)));
        }
    }
    packages
        .iter()
        .enumerate()
        .filter(|(i, p)| p.registry && !reached.contains(i))
        .map(|(_, p)| p)
        .collect()
}

/// One `dependency_not_allowed` issue per submission package the policy does not list.
pub fn lock_issues(lock: &DocumentMut, policy: &DependencyPolicy) -> Vec<Issue> {
    let packages = locked_packages(lock);
    submission_packages(&packages)
        .into_iter()
        .filter(|p| !policy.allows(&p.name))
        .map(|p| {
            Issue::new(
                "dependency_not_allowed",
                "Cargo.lock",
                format!(
                    "Cargo.lock pulls in {} {}, which is not on the grader's dependency \
                     allow-list ({} and what flopscope/estimator-api use): drop the dependency, \
                     or ask the grader to allow it (`--allow-crate {}`)",
                    p.name,
                    p.version,
                    DEFAULT_ALLOWED.join(", "),
                    p.name
                ),
            )
        })
        .collect()
}

/// One `build_code` issue per submission package whose vendored source (under `vendor`, in
/// `cargo vendor --versioned-dirs` layout) has a build script or is a proc-macro, unless the
/// policy lists it with `+build`.
pub fn build_code_issues(
    vendor: &Path,
    packages: &[&LockedPackage],
    policy: &DependencyPolicy,
) -> Vec<Issue> {
    packages
        .iter()
        .filter(|p| !policy.allows_build_code(&p.name))
        .filter_map(|p| {
            let dir = vendor.join(format!("{}-{}", p.name, p.version));
            let what = build_code(&dir)?;
            Some(Issue::new(
                "build_code",
                "Cargo.lock",
                format!(
                    "dependency {} {} has {what}, which would run its code on the grader at \
                     build time: drop it, or ask the grader to allow that (`--allow-crate {}+build`)",
                    p.name, p.version, p.name
                ),
            ))
        })
        .collect()
}

/// What build-time code the crate at `dir` has, if any: a build script or a proc-macro.
fn build_code(dir: &Path) -> Option<&'static str> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let doc = text.parse::<DocumentMut>().unwrap_or_default();
    let lib = doc.get("lib").and_then(Item::as_table_like);
    let proc_macro = lib
        .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
        .and_then(Item::as_bool)
        .unwrap_or(false);
    if proc_macro {
        return Some("a proc-macro");
    }
    let build = doc.get("package").and_then(|p| p.get("build"));
    let has_script = match build.and_then(Item::as_value) {
        Some(v) if v.as_bool() == Some(false) => false,
        Some(_) => true,
        None => dir.join("build.rs").is_file(),
    };
    has_script.then_some("a build script")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "est"
version = "0.1.0"
dependencies = ["estimator-api", "flopscope", "rayon", "walkdir"]

[[package]]
name = "estimator-api"
version = "0.1.0"
dependencies = ["flopscope"]

[[package]]
name = "flopscope"
version = "0.1.0"
dependencies = ["rayon 1.0.0"]

[[package]]
name = "rayon"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "walkdir"
version = "2.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["same-file"]

[[package]]
name = "same-file"
version = "1.0.6"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    #[test]
    fn only_crates_the_grader_crates_do_not_use_need_listing() {
        let lock: DocumentMut = LOCK.parse().expect("toml");
        let issues = lock_issues(&lock, &DependencyPolicy::default());
        let named: Vec<&str> = issues
            .iter()
            .map(|i| i.message.split(' ').nth(3).unwrap_or_default())
            .collect();
        assert_eq!(named, ["walkdir", "same-file"]);
        let mut policy = DependencyPolicy::default();
        policy.allow("walkdir").expect("name");
        policy.allow("same-file+build").expect("name");
        assert!(lock_issues(&lock, &policy).is_empty());
        assert!(policy.allows_build_code("same-file") && !policy.allows_build_code("walkdir"));
        assert!(policy.allow("../evil").is_err());
    }

    #[test]
    fn build_scripts_and_proc_macros_are_found_in_vendored_sources() {
        let vendor = std::env::temp_dir().join(format!("whest-vendor-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&vendor);
        let krate = |dir: &str, toml: &str, build_rs: bool| {
            let d = vendor.join(dir);
            std::fs::create_dir_all(&d).expect("mkdir");
            std::fs::write(d.join("Cargo.toml"), toml).expect("write");
            if build_rs {
                std::fs::write(d.join("build.rs"), "fn main() {}").expect("write");
            }
        };
        krate("pure-1.0.0", "[package]\nname = \"pure\"\n", false);
        krate("script-1.0.0", "[package]\nname = \"script\"\n", true);
        krate("off-1.0.0", "[package]\nbuild = false\n", true);
        krate("mac-1.0.0", "[lib]\nproc-macro = true\n", false);
        let pkgs: Vec<LockedPackage> = ["pure", "script", "off", "mac"]
            .iter()
            .map(|n| LockedPackage {
                name: (*n).to_string(),
                version: "1.0.0".into(),
                registry: true,
                deps: Vec::new(),
            })
            .collect();
        let refs: Vec<&LockedPackage> = pkgs.iter().collect();
        let found: Vec<String> = build_code_issues(&vendor, &refs, &DependencyPolicy::default())
            .into_iter()
            .map(|i| i.message)
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("dependency script 1.0.0 has a build script"));
        assert!(found[1].starts_with("dependency mac 1.0.0 has a proc-macro"));
        let mut policy = DependencyPolicy::default();
        policy.allow("script+build").expect("name");
        assert_eq!(build_code_issues(&vendor, &refs, &policy).len(), 1);
        let _ = std::fs::remove_dir_all(&vendor);
    }
}
