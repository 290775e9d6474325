//! Helpers shared by the dataset tests.

use std::path::PathBuf;

/// A fresh, empty scratch folder `whest-<tag>-<name>-<pid>` in the system temp folder.
pub fn scratch(tag: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("whest-{tag}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}
