//! `whest-runner run` output channels: progress on stderr (plain `[run] phase: i/n` lines, none
//! with `--json`), pure JSON on stdout, and `--plot FILE.svg`.

use std::fs;
use std::process::{Command, Output};

use crate::support::{lib, scratch as scratch_in};
use serde_json::Value;

/// Runs a 2-MLP, 8×3 contest on the zeros example with `extra` flags.
fn run(extra: &[&str]) -> Output {
    let lib = lib("zeros-estimator").to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        "--estimator",
        &lib,
        "--width",
        "8",
        "--depth",
        "3",
        "--n-mlps",
        "2",
        "--n-samples",
        "2000",
        "--seed",
        "7",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_whest-runner"))
        .args(&args)
        .output()
        .expect("run whest-runner")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plain_mode_prints_phase_lines_on_stderr() {
    let out = run(&["--format", "plain"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    for line in [
        "[run] Sampling ground truth: 0/2 MLPs",
        "[run] Sampling ground truth: 2/2 MLPs",
        "[run] Scoring: 0/2 MLPs",
        "[run] Scoring: 2/2 MLPs",
    ] {
        assert!(err.lines().any(|l| l == line), "missing {line:?} in\n{err}");
    }
    assert!(!err.contains('\r'), "no live redraws in plain mode");
    assert!(text(&out.stdout).starts_with("Adjusted final-layer score"));
}

#[test]
fn json_mode_keeps_stdout_pure_json_and_draws_the_plot() {
    let dir = scratch("json");
    let svg_path = dir.join("mse.svg");
    let out = run(&["--json", "--plot", &svg_path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(report["schema_version"], "1.1");
    let err = text(&out.stderr);
    assert!(!err.contains("[run]") && !err.contains('\r'), "{err}");
    let svg = fs::read_to_string(&svg_path).expect("svg written");
    crate::svg_check::assert_well_formed(&svg);
    let lines = crate::svg_check::polylines(&svg);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].len(), 3, "one point per layer");
    assert!(
        svg.contains("Per-layer MSE of zeros_estimator (adjusted score "),
        "{svg}"
    );
    let ticks = crate::svg_check::y_tick_labels(&svg);
    assert!(ticks.len() >= 2, "{ticks:?}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_plot_path_fails_but_the_report_is_printed() {
    let dir = scratch("bad");
    let target = dir.join("missing").join("mse.svg");
    let out = run(&["--json", "--plot", &target.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report still printed");
    assert_eq!(report["results"]["n_failed_mlps"], 0);
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--plot: cannot write") && err.contains("missing/mse.svg"),
        "{err}"
    );
    assert_eq!(fs::read_dir(&dir).expect("list").count(), 0);
    let _ = fs::remove_dir_all(&dir);
}

/// A fresh scratch folder for this file's test `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("plot-run", name)
}
