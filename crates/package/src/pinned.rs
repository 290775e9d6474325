//! Where the grader's own `flopscope` and `estimator-api` sources are: the whest-rs checkout this
//! `whest-runner` was built from (its folder is recorded at compile time), or the checkout named
//! by `WHEST_RS_SOURCE` (for an installed runner whose build folder is gone, or a grader that
//! keeps its sources elsewhere). `package` resolves the shipped `Cargo.lock` against these
//! sources and `build` builds against them, so a submission always gets the grader's copies.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::cargo_toml::{ESTIMATOR_API, FLOPSCOPE};
use super::PackageError;

/// Environment variable naming a whest-rs checkout to use instead of the build folder.
pub const SOURCE_ENV: &str = "WHEST_RS_SOURCE";

/// The whest-rs checkout this binary was compiled from.
const BUILT_FROM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The folders of the two grader crates inside a whest-rs checkout.
const CRATE_DIRS: [(&str, &str); 2] = [
    (FLOPSCOPE, "flopscope-rs"),
    (ESTIMATOR_API, "estimator-api"),
];

/// What a folder lacks to be a whest-rs checkout with the grader crates.
#[derive(Debug)]
pub enum MissingSource {
    /// `<dir>/Cargo.toml` of a grader crate (`flopscope-rs`, `estimator-api`) is not a file.
    CrateManifest(&'static str),
    /// The folder cannot be resolved to a canonical path.
    UnreadableRoot(io::Error),
}

impl fmt::Display for MissingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissingSource::CrateManifest(dir) => write!(f, "{dir}/Cargo.toml"),
            MissingSource::UnreadableRoot(e) => write!(f, "readable folder ({e})"),
        }
    }
}

/// The grader's copies of `flopscope` and `estimator-api`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedSources {
    /// The whest-rs checkout.
    pub root: PathBuf,
    flopscope: PathBuf,
    estimator_api: PathBuf,
}

impl PinnedSources {
    /// Finds the sources: `$WHEST_RS_SOURCE` when set, else the folder this runner was built
    /// from.
    ///
    /// # Errors
    /// [`PackageError::GraderSourcesMissing`] naming the folder that lacks
    /// `flopscope-rs/Cargo.toml` or `estimator-api/Cargo.toml`, and how to point at a checkout.
    pub fn locate() -> Result<PinnedSources, PackageError> {
        let (root, origin) = match std::env::var_os(SOURCE_ENV) {
            Some(dir) => (PathBuf::from(dir), format!("${SOURCE_ENV}")),
            None => (
                PathBuf::from(BUILT_FROM),
                "the folder whest-runner was built from".to_string(),
            ),
        };
        PinnedSources::at(&root).map_err(|missing| PackageError::GraderSourcesMissing {
            root,
            origin,
            missing,
        })
    }

    /// The sources of the checkout at `root`; `Err` names the first missing `Cargo.toml`.
    fn at(root: &Path) -> Result<PinnedSources, MissingSource> {
        for (_, dir) in CRATE_DIRS {
            if !root.join(dir).join("Cargo.toml").is_file() {
                return Err(MissingSource::CrateManifest(dir));
            }
        }
        let root = root.canonicalize().map_err(MissingSource::UnreadableRoot)?;
        Ok(PinnedSources {
            flopscope: root.join(CRATE_DIRS[0].1),
            estimator_api: root.join(CRATE_DIRS[1].1),
            root,
        })
    }

    /// The folder of grader crate `name`, `None` for any other crate.
    pub fn crate_dir(&self, name: &str) -> Option<&Path> {
        match name {
            FLOPSCOPE => Some(&self.flopscope),
            ESTIMATOR_API => Some(&self.estimator_api),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_folder_holds_the_grader_crates() {
        let pinned = PinnedSources::at(Path::new(BUILT_FROM)).expect("this checkout");
        assert!(pinned
            .crate_dir(FLOPSCOPE)
            .is_some_and(|d| d.ends_with("flopscope-rs")));
        assert!(pinned
            .crate_dir(ESTIMATOR_API)
            .is_some_and(|d| d.join("src").is_dir()));
        assert_eq!(pinned.crate_dir("rayon"), None);
        let missing = PinnedSources::at(Path::new("/definitely/missing")).expect_err("missing");
        assert_eq!(missing.to_string(), "flopscope-rs/Cargo.toml");
    }
}
