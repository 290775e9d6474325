//! `whest-runner profile-simulation`: the super-quick preset's JSON and `--output` handling.

use std::process::{Command, Output};

use crate::support::scratch as scratch_in;
use serde_json::Value;

fn profile(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whest-runner"))
        .arg("profile-simulation")
        .args(args)
        .output()
        .expect("run whest-runner")
}

#[test]
fn super_quick_reports_both_operations() {
    let dir = scratch("json");
    let file = dir.join("profile.json");
    let file_arg = file.to_string_lossy().into_owned();
    let out = profile(&[
        "--preset",
        "super-quick",
        "--json",
        "--max-threads",
        "2",
        "--output",
        &file_arg,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["hardware"]["max_threads"], 2);
    assert!(v["hardware"]["os"].is_string());
    assert!(v["backend_versions"]["flopscope"].is_string());
    assert_eq!(v["skipped_backends"], serde_json::json!({}));
    assert_eq!(
        v["correctness"],
        serde_json::json!([{"backend": "flopscope", "passed": true, "error": ""}])
    );
    let timing = v["timing"].as_array().cloned().unwrap_or_default();
    let ops: Vec<&str> = timing
        .iter()
        .filter_map(|t| t["operation"].as_str())
        .collect();
    assert_eq!(ops, ["run_mlp", "sample_layer_statistics"]);
    for t in &timing {
        assert_eq!(t["backend"], "flopscope");
        assert!(t["implementation"]
            .as_str()
            .is_some_and(|s| s.contains("whest_runner")));
        assert_eq!(
            (t["width"].clone(), t["depth"].clone()),
            (256.into(), 4.into())
        );
        assert_eq!(t["n_samples"], 10_000);
        let times: Vec<f64> = t["times"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        assert_eq!(times.len(), 3);
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(t["median_time"].as_f64(), Some(sorted[1]));
        assert!(sorted[0] > 0.0);
        assert_eq!(t["speedup_vs_numpy"], 1.0);
        assert!(t["warmup_time"].as_f64().is_some_and(|w| w > 0.0));
        assert!(t.get("error").is_none());
    }
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("--output written"))
            .expect("--output is JSON");
    let mut stdout_without_version = v.clone();
    if let Some(m) = stdout_without_version.as_object_mut() {
        m.remove("whestbench_version");
    }
    assert_eq!(saved, stdout_without_version);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_existing_output_file_is_kept_and_refused() {
    let dir = scratch("exists");
    let file = dir.join("mine.json");
    std::fs::write(&file, "precious").expect("write");
    let file_arg = file.to_string_lossy().into_owned();
    let out = profile(&["--preset", "super-quick", "--output", &file_arg]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).ok().as_deref(),
        Some("precious")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_preset_is_a_usage_error() {
    let out = profile(&["--preset", "huge"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("super-quick"));
}

#[test]
fn verbose_text_lists_every_timed_run() {
    let out = profile(&["--preset", "super-quick", "--verbose", "--max-threads", "2"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Correctness: flopscope ✓"), "{text}");
    let all_runs = text
        .split_once("All runs (seconds):\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no run listing: {text}"));
    for op in ["run_mlp", "sample_layer_statistics"] {
        let line = all_runs
            .lines()
            .find(|l| l.trim_start().starts_with(op))
            .unwrap_or_else(|| panic!("no {op} line: {text}"));
        assert!(
            line.contains("warm-up") && line.contains("runs [") && line.contains("median"),
            "{line}"
        );
    }
    assert!(!text.contains("Use --verbose"), "{text}");
}

/// A fresh scratch folder for this file's test `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("profile", name)
}
