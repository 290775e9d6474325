//! Atomic file output: write a sibling temporary file, then rename it over the target, so a
//! reader never sees a half-written file and a failure leaves what was on disk untouched.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a plot file could not be written; `Display` is one line naming the path and the fix.
#[derive(Debug)]
pub enum PlotError {
    /// The target is an existing directory.
    IsADirectory {
        /// The target path as given.
        path: PathBuf,
    },
    /// The target has no file name (`/`, `..`).
    NoFileName {
        /// The target path as given.
        path: PathBuf,
    },
    /// Creating, writing or renaming the temporary file failed.
    Io {
        /// The target path as given.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::IsADirectory { path } => {
                let shown = path.display();
                write!(
                    f,
                    "cannot write {shown}: it is a directory; give a file name such as {shown}/mse.svg"
                )
            }
            PlotError::NoFileName { path } => {
                write!(f, "cannot write {}: no file name", path.display())
            }
            PlotError::Io { path, source } => {
                let folder = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                write!(
                    f,
                    "cannot write {}: {source}; check that the folder {} exists and is writable",
                    path.display(),
                    folder.display()
                )
            }
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes `contents` to `path` atomically (temporary file in the same folder + rename).
///
/// # Errors
/// A [`PlotError`] naming `path`, the cause and the fix: the folder does not exist, is not
/// writable, or `path` is a directory. The temporary file is removed on every failure.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), PlotError> {
    if path.is_dir() {
        return Err(PlotError::IsADirectory {
            path: path.to_path_buf(),
        });
    }
    let tmp = temp_path(path).ok_or_else(|| PlotError::NoFileName {
        path: path.to_path_buf(),
    })?;
    let result = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(contents)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    result.map_err(|source| {
        // The temporary file may not exist (create failed); nothing else to clean.
        let _ = fs::remove_file(&tmp);
        PlotError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// `DIR/.NAME.tmp-PID` next to `path`; `None` when `path` has no file name.
fn temp_path(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy();
    Some(path.with_file_name(format!(".{name}.tmp-{}", std::process::id())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("whest-plot-write-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = scratch("ok");
        let target = dir.join("a.svg");
        fs::write(&target, "old").expect("seed");
        write_atomic(&target, b"new").expect("write");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
        let names: Vec<_> = fs::read_dir(&dir).expect("list").flatten().collect();
        assert_eq!(names.len(), 1);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failure_names_the_path_and_leaves_nothing_behind() {
        let dir = scratch("fail");
        let missing = dir.join("no-such-folder").join("a.svg");
        let err = write_atomic(&missing, b"x")
            .expect_err("missing folder")
            .to_string();
        assert!(err.contains("no-such-folder/a.svg"), "{err}");
        assert!(err.contains("exists and is writable"), "{err}");
        let err = write_atomic(&dir, b"x").expect_err("a directory");
        assert!(matches!(err, PlotError::IsADirectory { .. }), "{err}");
        assert!(err.to_string().contains("is a directory"), "{err}");
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 0);
        let _ = fs::remove_dir_all(&dir);
    }
}
