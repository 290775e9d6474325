//! Where a new estimator crate gets `estimator-api` and `flopscope` from.
//!
//! The estimator must link the same `flopscope` and estimator contract as the runner that loads
//! it (the plugin ABI version is checked at load time). So `init` prefers a whest-rs checkout:
//!
//! 1. `--whest-path DIR`, if given (it must be a whest-rs checkout);
//! 2. the source tree this runner was built from, if it still exists (`cargo install --path`
//!    and `cargo run` users always have it);
//! 3. otherwise the git repository named in the workspace's `repository` field.
//!
//! Path dependencies build offline and pick up local changes; the git form is what a user
//! without a checkout needs. The generated `Cargo.toml` shows the other form in a comment.

use std::fmt;
use std::path::{Path, PathBuf};

/// The git repository of whest-rs (the workspace's `repository` field).
pub const WHEST_RS_REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Where `estimator-api` and `flopscope` come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DependencySource {
    /// A whest-rs checkout (its root, absolute).
    Checkout(PathBuf),
    /// The whest-rs git repository.
    Git(String),
}

/// The folders of the two crates inside a whest-rs checkout.
const ESTIMATOR_API_DIR: &str = "estimator-api";
const FLOPSCOPE_DIR: &str = "flopscope-rs";

/// Whether `root` is a whest-rs checkout (it has both crates' manifests).
pub fn is_checkout(root: &Path) -> bool {
    root.join(ESTIMATOR_API_DIR).join("Cargo.toml").is_file()
        && root.join(FLOPSCOPE_DIR).join("Cargo.toml").is_file()
}

/// The source tree this binary was built from, if it is still a whest-rs checkout.
pub fn build_checkout() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    is_checkout(root)
        .then(|| root.canonicalize().ok())
        .flatten()
}

/// Why `--whest-path` cannot be used (a usage error).
#[derive(Debug)]
pub enum SourceError {
    /// The folder does not exist or cannot be resolved: pass an existing folder.
    Unresolvable {
        /// The folder as given.
        dir: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The folder lacks `estimator-api/Cargo.toml` or `flopscope-rs/Cargo.toml`: pass the
    /// whest-rs checkout's root.
    NotACheckout {
        /// The folder as given.
        dir: PathBuf,
    },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Unresolvable { dir, source } => {
                write!(f, "--whest-path {}: {source}", dir.display())
            }
            SourceError::NotACheckout { dir } => write!(
                f,
                "--whest-path {} is not a whest-rs checkout (no {ESTIMATOR_API_DIR}/Cargo.toml \
                 and {FLOPSCOPE_DIR}/Cargo.toml): pass the folder that holds them",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Unresolvable { source, .. } => Some(source),
            SourceError::NotACheckout { .. } => None,
        }
    }
}

/// Picks the source (see the module docs).
///
/// # Errors
/// `--whest-path` that does not exist or is not a whest-rs checkout.
pub fn choose(whest_path: Option<&Path>) -> Result<DependencySource, SourceError> {
    if let Some(dir) = whest_path {
        let root = dir
            .canonicalize()
            .map_err(|source| SourceError::Unresolvable {
                dir: dir.to_path_buf(),
                source,
            })?;
        if !is_checkout(&root) {
            return Err(SourceError::NotACheckout {
                dir: dir.to_path_buf(),
            });
        }
        return Ok(DependencySource::Checkout(root));
    }
    Ok(build_checkout().map_or_else(
        || DependencySource::Git(WHEST_RS_REPOSITORY.to_string()),
        DependencySource::Checkout,
    ))
}

/// Escapes a string for a TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl DependencySource {
    /// The `[dependencies]` lines (with a comment naming the alternative form).
    pub fn dependency_lines(&self) -> String {
        let git = toml_str(WHEST_RS_REPOSITORY);
        match self {
            DependencySource::Checkout(root) => {
                let api = toml_str(&root.join(ESTIMATOR_API_DIR).to_string_lossy());
                let fs = toml_str(&root.join(FLOPSCOPE_DIR).to_string_lossy());
                format!(
                    "# From the whest-rs checkout at {root} (the runner's own source tree, or\n\
                     # `whest-runner init --whest-path DIR`). Without a checkout, use git instead:\n\
                     #   estimator-api = {{ git = {git} }}\n\
                     #   flopscope = {{ git = {git} }}\n\
                     estimator-api = {{ path = {api} }}\n\
                     flopscope = {{ path = {fs} }}",
                    root = root.display()
                )
            }
            DependencySource::Git(url) => {
                let url = toml_str(url);
                format!(
                    "# From the whest-rs git repository (no local checkout was found). With a\n\
                     # checkout, `whest-runner init --whest-path DIR` writes path dependencies;\n\
                     # pin a release with `rev = \"...\"` or `tag = \"...\"`.\n\
                     estimator-api = {{ git = {url} }}\n\
                     flopscope = {{ git = {url} }}"
                )
            }
        }
    }

    /// One README paragraph saying where the dependencies come from.
    pub fn readme_note(&self) -> String {
        match self {
            DependencySource::Checkout(root) => format!(
                "`estimator-api` and `flopscope` are path dependencies on the whest-rs checkout \
                 at `{}`, and `Cargo.lock` pins the versions that checkout is tested with. The \
                 runner checks at load time that the estimator was built against its plugin ABI; \
                 rebuild after updating the checkout.",
                root.display()
            ),
            DependencySource::Git(url) => format!(
                "`estimator-api` and `flopscope` come from the whest-rs git repository \
                 (`{url}`). Pin a `rev` in `Cargo.toml` that matches your `whest-runner` \
                 (the runner checks the plugin ABI at load time)."
            ),
        }
    }

    /// The checkout's `Cargo.lock`, if this is a checkout that has one.
    pub fn lockfile(&self) -> Option<PathBuf> {
        match self {
            DependencySource::Checkout(root) => {
                Some(root.join("Cargo.lock")).filter(|p| p.is_file())
            }
            DependencySource::Git(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_build_knows_its_checkout() {
        let root = build_checkout().expect("tests run from a whest-rs checkout");
        assert_eq!(
            choose(None).ok(),
            Some(DependencySource::Checkout(root.clone()))
        );
        assert_eq!(
            choose(Some(&root)).ok(),
            Some(DependencySource::Checkout(root.clone()))
        );
    }

    #[test]
    fn a_folder_that_is_not_a_checkout_is_refused() {
        let err = choose(Some(Path::new("/"))).unwrap_err().to_string();
        assert!(err.contains("not a whest-rs checkout"), "{err}");
        assert!(choose(Some(Path::new("/definitely/missing"))).is_err());
    }

    #[test]
    fn the_git_fallback_names_a_repository() {
        assert!(
            WHEST_RS_REPOSITORY.starts_with("https://"),
            "{WHEST_RS_REPOSITORY:?}"
        );
        let lines = DependencySource::Git(WHEST_RS_REPOSITORY.into()).dependency_lines();
        assert!(
            lines.contains(&format!("git = \"{WHEST_RS_REPOSITORY}\"")),
            "{lines}"
        );
    }

    #[test]
    fn dependency_lines_name_both_crates() {
        let path = DependencySource::Checkout(PathBuf::from("/src/whest \"rs\""));
        let lines = path.dependency_lines();
        assert!(lines.contains(r#"estimator-api = { path = "/src/whest \"rs\"/estimator-api" }"#));
        assert!(lines.contains(r#"flopscope = { path = "/src/whest \"rs\"/flopscope-rs" }"#));
        let git = DependencySource::Git("https://g.example/w".into()).dependency_lines();
        assert!(
            git.contains(r#"flopscope = { git = "https://g.example/w" }"#),
            "{git}"
        );
        assert!(git.contains("--whest-path"));
    }
}
