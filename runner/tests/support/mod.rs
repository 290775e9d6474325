//! Helpers shared by the `runner/tests/*.rs` test binaries: the checkout, scratch folders and
//! running the `whest-runner` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The whest-rs checkout (the workspace root).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A fresh, empty scratch folder `whest-<tag>-<name>-<pid>` in the system temp folder.
pub fn scratch(tag: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("whest-{tag}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// Runs `whest-runner args` and waits for it.
pub fn runner(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whest-runner"))
        .args(args)
        .output()
        .expect("run whest-runner")
}

/// Runs `whest-runner args` with cargo builds sharing this workspace's target folder
/// (`CARGO_TARGET_DIR` if set, else `target/`), so estimator crates it builds reuse the
/// already compiled flopscope and dependencies instead of a cold build.
pub fn runner_sharing_target(args: &[&str]) -> Output {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    Command::new(env!("CARGO_BIN_EXE_whest-runner"))
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("run whest-runner")
}
