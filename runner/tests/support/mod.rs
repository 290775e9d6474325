//! Helpers shared by the `runner/tests/*.rs` modules: the checkout, scratch folders, the test
//! estimators and running the `whest-runner` binary.
//!
//! Every cargo build a test starts uses the `test` profile in this workspace's target folder,
//! the same profile and folder `cargo test` already compiled flopscope and its dependencies
//! with, so no test pays for a second (`dev` or `release`) build of them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The cargo profile of every estimator build the tests start (`cargo test`'s own).
pub const BUILD_PROFILE: &str = "test";

/// The example and fault-injection estimator packages the tests load as built libraries.
const TEST_ESTIMATORS: [&str; 17] = [
    "zeros-estimator",
    "fault-panicking",
    "fault-aborting",
    "fault-segfaulting",
    "fault-looping",
    "fault-oom",
    "fault-nan",
    "fault-wrong-shape",
    "fault-overspending",
    "fault-slow",
    "fault-threaded",
    "fault-overlapping",
    "fault-escaping",
    "fault-forging",
    "fault-exiting",
    "fault-charge-flip",
    "fault-private-context",
];

/// This workspace's target folder: `CARGO_TARGET_DIR` if set, else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// Builds [`TEST_ESTIMATORS`] once, in one cargo call, and returns their output folder.
fn test_estimators() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace())
            .args(["build", "--quiet", "--profile", BUILD_PROFILE]);
        for p in TEST_ESTIMATORS {
            cmd.args(["-p", p]);
        }
        let status = cmd
            .env("CARGO_TARGET_DIR", target_dir())
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the test estimators failed");
        // The `test` profile builds into `debug/`, as `dev` does.
        target_dir().join("debug")
    })
}

/// The built library of the test estimator package `name` (all are built once).
pub fn lib(name: &str) -> PathBuf {
    assert!(
        TEST_ESTIMATORS.contains(&name),
        "{name} is not in TEST_ESTIMATORS"
    );
    test_estimators().join(format!("lib{}.so", name.replace('-', "_")))
}

/// A `whest-runner` command whose estimator-crate builds share this workspace's target folder
/// and the tests' cargo profile (`WHEST_CARGO_PROFILE`).
pub fn runner_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_whest-runner"));
    cmd.env("CARGO_TARGET_DIR", target_dir())
        .env("WHEST_CARGO_PROFILE", BUILD_PROFILE);
    cmd
}

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

/// Runs `whest-runner args` (through [`runner_command`]) and waits for it.
pub fn runner(args: &[&str]) -> Output {
    runner_command()
        .args(args)
        .output()
        .expect("run whest-runner")
}
