//! `whest-runner report`: reads report JSONs (the Python whestbench fixture and copies of it),
//! prints them, plots them, and rejects files that are not reports with one clear line.

use crate::support::{runner, scratch as scratch_in};
use std::fs;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/score/tests/fixtures")
        .join(name)
}

fn python_report() -> PathBuf {
    fixture("whestbench_report_example.json")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_python_report_is_shown_as_the_human_report() {
    let out = runner(&["report", &python_report().to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.starts_with("Adjusted final-layer score: 0.6636174619197845"),
        "{shown}"
    );
    assert!(shown.contains("jason-rivers"), "{shown}");
    assert!(shown.contains("Errors"), "{shown}");
}

#[test]
fn the_json_format_writes_the_python_report_back_byte_for_byte() {
    let path = python_report();
    let out = runner(&["report", "--json", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let original = fs::read_to_string(&path).expect("fixture");
    assert_eq!(text(&out.stdout), original);
}

#[test]
fn plot_draws_one_line_per_report_on_log_axes() {
    let dir = scratch("two");
    let second = dir.join("second-run.json");
    fs::copy(python_report(), &second).expect("copy");
    let svg_path = dir.join("mse.svg");
    let out = runner(&[
        "report",
        "--plot",
        &svg_path.to_string_lossy(),
        &python_report().to_string_lossy(),
        &second.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert_eq!(shown.matches("==> ").count(), 2, "{shown}");
    let svg = fs::read_to_string(&svg_path).expect("svg written");
    crate::svg_check::assert_well_formed(&svg);
    let lines = crate::svg_check::polylines(&svg);
    assert_eq!(lines.len(), 2, "{svg}");
    for points in &lines {
        assert_eq!(points.len(), 16, "one point per layer");
    }
    // The fixture's per-layer MSEs run 0.24 .. 0.86: one decade, ticks at 0.1 and 1.
    assert_eq!(crate::svg_check::y_tick_labels(&svg), vec!["0.1", "1"]);
    assert!(
        svg.contains(">0.2</text>") && svg.contains(">0.5</text>"),
        "minor labels"
    );
    assert!(
        svg.contains("whestbench_report_example (score 0.6636)"),
        "{svg}"
    );
    assert!(svg.contains("second-run (score 0.6636)"), "{svg}");
    assert!(svg.contains("Per-layer MSE of 2 reports"), "{svg}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_is_not_a_report_gets_one_line_naming_it() {
    let dir = scratch("bad");
    let broken = dir.join("broken.json");
    fs::write(&broken, "{\"schema_version\": ").expect("write");
    let cases = [
        (broken.clone(), "not valid JSON"),
        (
            fixture("whestbench_error_example.json"),
            "an error payload, not a report (the run failed: setup failed on purpose)",
        ),
        (dir.join("missing.json"), "cannot read"),
    ];
    for (path, why) in cases {
        let shown = path.to_string_lossy().into_owned();
        let out = runner(&["report", &python_report().to_string_lossy(), &shown]);
        assert_eq!(out.status.code(), Some(1), "{shown}");
        let err = text(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(&shown) && err.contains(why), "{err}");
        assert!(out.stdout.is_empty(), "nothing printed for a bad input");
    }
    let out = runner(&["report", "--json", &broken.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let payload: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON payload");
    assert_eq!(payload["error"]["code"], "INVALID_REPORT");
    let out = runner(&["report"]);
    assert_eq!(out.status.code(), Some(2), "a report file is required");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_plot_fails_after_printing_and_leaves_no_file() {
    let dir = scratch("unwritable");
    let target = dir.join("no-such-folder").join("mse.svg");
    let out = runner(&[
        "report",
        "--plot",
        &target.to_string_lossy(),
        &python_report().to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("Adjusted final-layer score"));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-folder/mse.svg"), "{err}");
    assert_eq!(fs::read_dir(&dir).expect("list").count(), 0);
    let _ = fs::remove_dir_all(&dir);
}

/// A fresh scratch folder for this file's test `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("plot-report", name)
}
