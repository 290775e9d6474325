//! `whest-runner init`: the scaffold builds, validates and scores; existing files are never
//! overwritten; bad paths fail with one line.

use std::path::Path;
use std::process::Command;

use crate::support::{runner, scratch as scratch_in};
use serde_json::Value;

fn init_json(dir: &Path) -> (i32, Value) {
    let out = runner(&["init", &dir.to_string_lossy(), "--json"]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "init --json is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_scaffold_builds_validates_and_scores() {
    let root = scratch("build");
    let dir = root.join("My Estimator");
    let (code, v) = init_json(&dir);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["crate_name"], "my-estimator");
    assert_eq!(v["dependencies"]["kind"], "path");
    let dir_s = dir.to_string_lossy().into_owned();
    let out = runner(&["validate", "--estimator", &dir_s, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = runner(&[
        "run",
        "--estimator",
        &dir_s,
        "--width",
        "8",
        "--depth",
        "2",
        "--n-mlps",
        "2",
        "--n-samples",
        "2000",
        "--seed",
        "1",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    assert_eq!(report["results"]["n_failed_mlps"], 0);
    assert_eq!(
        report["results"]["per_mlp"].as_array().map(Vec::len),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn init_never_overwrites() {
    let dir = scratch("keep");
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    std::fs::write(dir.join("src/lib.rs"), "// mine\n").expect("write");
    let (code, v) = init_json(&dir);
    assert_eq!(code, 0);
    let created = strings(&v["created"]);
    let kept = strings(&v["kept"]);
    let lib = dir.canonicalize().expect("exists").join("src/lib.rs");
    assert_eq!(kept, [lib.to_string_lossy().into_owned()]);
    for name in ["Cargo.toml", "README.md", ".gitignore", "Cargo.lock"] {
        assert!(
            created.iter().any(|c| c.ends_with(name)),
            "{name} not in {created:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("src/lib.rs"))
            .ok()
            .as_deref(),
        Some("// mine\n")
    );
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(manifest.contains("crate-type = [\"cdylib\"]"));
    assert!(manifest.contains("\n[workspace]\n"));
    assert!(manifest.contains("estimator-api = { path = "));
    // A second init changes nothing.
    let before = std::fs::read_to_string(dir.join("Cargo.toml")).expect("read");
    let (code, v) = init_json(&dir);
    assert_eq!(code, 0);
    assert!(strings(&v["created"]).is_empty(), "{v}");
    assert_eq!(strings(&v["kept"]).len(), 5);
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).ok(),
        Some(before)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_output_names_the_next_step() {
    let dir = scratch("text");
    let out = runner(&["init", &dir.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("created"), "{text}");
    assert!(text.contains("whest-runner validate --estimator"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_paths_fail_with_one_line() {
    let dir = scratch("bad");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").expect("write");
    let out = runner(&["init", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(std::fs::read_to_string(&file).ok().as_deref(), Some("x"));

    let target = dir.join("new");
    let out = runner(&["init", &target.to_string_lossy(), "--whest-path", "/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a whest-rs checkout"));
    assert!(
        !target.exists(),
        "nothing is written for a bad --whest-path"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `init` into a folder another workspace's `members` glob matches joins that workspace as a
/// plain member (no `[workspace]` table of its own, no lockfile), so the outer workspace keeps
/// loading; with a `[workspace]` table cargo would refuse it ("multiple workspace roots").
#[test]
fn init_inside_a_member_glob_joins_that_workspace() {
    let root = scratch("joins");
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"examples/*\"]\nresolver = \"2\"\n",
    )
    .expect("write workspace manifest");
    let dir = root.join("examples").join("est");
    let (code, v) = init_json(&dir);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["workspace"]["members_entry"], "examples/*", "{v}");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
    assert!(!manifest.contains("[workspace]"), "{manifest}");
    assert!(
        !dir.join("Cargo.lock").exists(),
        "members use the workspace's lockfile"
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let meta = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(&root)
        .output()
        .expect("run cargo metadata");
    assert!(
        meta.status.success(),
        "the outer workspace no longer loads: {}",
        String::from_utf8_lossy(&meta.stderr)
    );
    let v: Value = serde_json::from_slice(&meta.stdout).expect("metadata JSON");
    let names: Vec<&str> = v["packages"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["est"]);

    // Outside the glob, the crate stays standalone.
    let (code, v) = init_json(&root.join("elsewhere"));
    assert_eq!(code, 0, "{v}");
    assert!(v["workspace"].is_null(), "{v}");
    let _ = std::fs::remove_dir_all(&root);
}

/// A fresh scratch folder for this file's test `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("init", name)
}
