//! Safe output directories: every writer (bake, merge, combine) builds its dataset in a hidden
//! staging folder next to the output and renames it into place only when complete. An existing
//! output is refused up front; a failed write removes its staging folder; an interrupted one
//! leaves only a hidden `.…staging-<pid>` folder whose `metadata.json` (written last) is
//! missing, so nothing half-written ever loads as a dataset.

use std::path::{Path, PathBuf};

use super::error::DatasetError;

/// A staging folder that is removed on drop unless [`Staging::commit`] moved it into place.
pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    committed: bool,
}

impl Staging {
    /// Refuses an existing `output`, then creates the staging folder
    /// `<parent>/.<name>.staging-<pid>` (parents created as needed).
    ///
    /// # Errors
    /// [`DatasetError::OutputExists`] if `output` exists; [`DatasetError::Io`] if the folder
    /// cannot be created.
    pub fn begin(output: &Path) -> Result<Staging, DatasetError> {
        refuse_existing(output)?;
        let name = output
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty() && *n != "..")
            .ok_or_else(|| {
                DatasetError::BadArgument(format!(
                    "--output {} must name a folder to create",
                    output.display()
                ))
            })?;
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| DatasetError::io("creating", &parent, &e))?;
        let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| DatasetError::io("clearing", &dir, &e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| DatasetError::io("creating", &dir, &e))?;
        Ok(Staging {
            dir,
            output: output.to_path_buf(),
            committed: false,
        })
    }

    /// The staging folder to write into.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Renames the staging folder to the output path.
    ///
    /// # Errors
    /// [`DatasetError::OutputExists`] if the output appeared meanwhile (the staging folder is
    /// removed); [`DatasetError::Io`] if the rename fails.
    pub fn commit(mut self) -> Result<PathBuf, DatasetError> {
        refuse_existing(&self.output)?;
        std::fs::rename(&self.dir, &self.output)
            .map_err(|e| DatasetError::io("moving the finished dataset to", &self.output, &e))?;
        self.committed = true;
        Ok(self.output.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `Err(OutputExists)` when `output` exists (file, folder or dangling link).
///
/// # Errors
/// As described.
pub fn refuse_existing(output: &Path) -> Result<(), DatasetError> {
    if output.symlink_metadata().is_ok() {
        return Err(DatasetError::OutputExists(format!(
            "output {} already exists; choose a new --output (nothing was written)",
            output.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("whest-staging-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    #[test]
    fn commit_moves_and_drop_cleans_up() {
        let root = scratch("commit");
        let out = root.join("ds");
        let s = Staging::begin(&out).expect("begin");
        std::fs::write(s.path().join("x"), b"1").expect("write");
        let staged = s.path().to_path_buf();
        assert_eq!(s.commit().expect("commit"), out);
        assert!(out.join("x").is_file() && !staged.exists());
        assert!(matches!(
            Staging::begin(&out),
            Err(DatasetError::OutputExists(_))
        ));
        let other = root.join("other");
        let staged = {
            let s = Staging::begin(&other).expect("begin");
            s.path().to_path_buf()
        };
        assert!(!staged.exists() && !other.exists());
        let _ = std::fs::remove_dir_all(root);
    }
}
