//! End-to-end: drive the `whest-runner` binary like a user on the example and fault-injection
//! estimators. Every fault must be a scored failure with the right flag, the run must finish,
//! and the report must be valid JSON.

use std::path::Path;

use crate::support::{lib, runner, workspace};
use serde_json::Value;

/// Runs a small contest on `estimator` and returns (exit code, report JSON).
fn score(estimator: &Path, extra: &[&str]) -> (i32, Value) {
    let est = estimator.to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        "--estimator",
        &est,
        "--width",
        "8",
        "--depth",
        "2",
        "--n-mlps",
        "2",
        "--n-samples",
        "2000",
        "--seed",
        "7",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = runner(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "report is not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

fn first(report: &Value) -> &Value {
    &report["results"]["per_mlp"][0]
}

fn assert_all_failed(report: &Value) {
    assert_eq!(report["results"]["n_failed_mlps"], 2, "{report}");
    for e in report["results"]["per_mlp"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert_eq!(
            e["adjusted_final_layer_score"], e["final_layer_mse"],
            "multiplier must be 1.0"
        );
    }
}

#[test]
fn a_bad_cargo_profile_name_is_one_line_naming_the_variable() {
    let dir = workspace().join("examples").join("zeros");
    let out = crate::support::runner_command()
        .args(["run", "--estimator"])
        .arg(&dir)
        .args(["--n-mlps", "1", "--width", "8", "--depth", "2"])
        .env("WHEST_CARGO_PROFILE", "no/such")
        .output()
        .expect("run whest-runner");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("WHEST_CARGO_PROFILE=\"no/such\" is not a cargo profile name"),
        "{stderr}"
    );
}

#[test]
fn a_crate_directory_is_built_and_scored() {
    let dir = workspace().join("examples").join("zeros");
    let (code, report) = score(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["schema_version"], "1.1");
    let r = &report["results"];
    assert_eq!(r["n_failed_mlps"], 0);
    assert_eq!(r["mean_score_multiplier"], 0.1);
    let names: Vec<_> = r["per_mlp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["mlp_name"].clone())
        .collect();
    assert_eq!(names, vec!["jason-rivers", "benjamin-jones"]);
    assert_eq!(report["run_config"]["width"], 8);
    assert!(r["breakdowns"]["sampling"].is_object());
}

#[test]
fn the_shorthand_runs_without_the_run_command() {
    let est = lib("zeros-estimator");
    let out = runner(&[
        "--estimator",
        &est.to_string_lossy(),
        "--width",
        "4",
        "--depth",
        "2",
        "--n-mlps",
        "1",
        "--n-samples",
        "100",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["results"]["per_mlp"].as_array().map(Vec::len), Some(1));
}

#[test]
fn estimator_errors_are_scored_in_both_runners() {
    for runner_kind in ["local", "subprocess"] {
        let extra = ["--runner", runner_kind];
        let (code, r) = score(&lib("fault-panicking"), &extra);
        assert_eq!(code, 1, "errors exit 1");
        assert_all_failed(&r);
        assert_eq!(first(&r)["error_code"], "PREDICT_ERROR");
        assert!(first(&r)["error"]
            .as_str()
            .unwrap_or("")
            .contains("on purpose"));
        // The second MLP's panic payload panics again when dropped: still one failed MLP,
        // not an aborted run.
        let second = &r["results"]["per_mlp"][1];
        assert_eq!(second["error_code"], "PREDICT_ERROR", "{r}");
        assert!(
            second["error"]
                .as_str()
                .unwrap_or("")
                .contains("non-string payload"),
            "{r}"
        );

        let (_, r) = score(&lib("fault-nan"), &extra);
        assert_all_failed(&r);
        assert_eq!(first(&r)["error_code"], "ESTIMATOR_NON_FINITE");

        let (_, r) = score(&lib("fault-wrong-shape"), &extra);
        assert_all_failed(&r);
        assert_eq!(first(&r)["error_code"], "ESTIMATOR_BAD_SHAPE");
        assert_eq!(
            first(&r)["error"]["details"]["got_shape"],
            serde_json::json!([8, 2])
        );
    }
}

#[test]
fn exhaustion_flags_are_scored_in_both_runners() {
    for runner_kind in ["local", "subprocess"] {
        let extra = ["--runner", runner_kind, "--flop-budget", "100000"];
        let (code, r) = score(&lib("fault-overspending"), &extra);
        assert_eq!(code, 0, "exhaustion is not an error exit");
        assert_all_failed(&r);
        assert_eq!(first(&r)["budget_exhausted"], true);
        assert_eq!(r["results"]["failure_breakdown"]["budget_exhausted"], 2);

        let (_, r) = score(&lib("fault-slow"), &["--runner", runner_kind]);
        assert_all_failed(&r);
        assert_eq!(first(&r)["residual_wall_time_exhausted"], true);

        let (_, r) = score(&lib("fault-threaded"), &["--runner", runner_kind]);
        assert_all_failed(&r);
        assert_eq!(first(&r)["residual_wall_time_exhausted"], true);

        // 1 s of raw CPU on a plain thread while the estimator's own thread sits in kernels:
        // the wall clock sees little residual, the charged thread CPU pushes it past 0.4 s.
        let (_, r) = score(&lib("fault-overlapping"), &["--runner", runner_kind]);
        assert_all_failed(&r);
        assert_eq!(first(&r)["residual_wall_time_exhausted"], true, "{r}");
    }
}

#[test]
fn metering_cheats_are_contained_in_both_runners() {
    for runner_kind in ["local", "subprocess"] {
        // `set_var("WHEST_CHARGE_OTHER_THREADS", "0")` in setup changes nothing: the runner
        // fixed the charge when it loaded the plugin, so the spinning thread is still charged.
        let (_, r) = score(&lib("fault-charge-flip"), &["--runner", runner_kind]);
        assert_all_failed(&r);
        assert_eq!(first(&r)["residual_wall_time_exhausted"], true, "{r}");

        // A plain thread's private BudgetContext is refused while predict's is open.
        let (code, r) = score(&lib("fault-private-context"), &["--runner", runner_kind]);
        assert_eq!(code, 1, "{r}");
        assert_all_failed(&r);
        let error = first(&r)["error"].to_string();
        assert!(
            error.contains("private context refused")
                && error.contains("while the runner's context is open"),
            "{error}"
        );
    }
}

#[test]
fn crashes_kill_only_the_worker_and_the_next_mlp_gets_a_fresh_one() {
    let (code, r) = score(&lib("fault-aborting"), &["--runner", "subprocess"]);
    assert_eq!(code, 1);
    assert_all_failed(&r);
    for e in r["results"]["per_mlp"].as_array().unwrap() {
        assert_eq!(e["error_code"], "WORKER_EOF");
        assert!(e["error"].as_str().unwrap_or("").contains("SIGABRT"), "{e}");
    }
    let (_, r) = score(&lib("fault-segfaulting"), &["--runner", "subprocess"]);
    assert_all_failed(&r);
    assert!(first(&r)["error"]
        .as_str()
        .unwrap_or("")
        .contains("SIGSEGV"));
}

#[test]
fn the_memory_limit_turns_an_allocation_storm_into_a_scored_failure() {
    let (_, r) = score(
        &lib("fault-oom"),
        &["--runner", "subprocess", "--memory-limit-mb", "512"],
    );
    assert_all_failed(&r);
    assert_eq!(first(&r)["error_code"], "WORKER_EOF");
    assert!(first(&r)["error"]
        .as_str()
        .unwrap_or("")
        .contains("out of memory"));
}

#[test]
fn a_predict_that_never_returns_is_killed() {
    let est = lib("fault-looping").to_string_lossy().into_owned();
    let out = runner(&[
        "run",
        "--estimator",
        &est,
        "--runner",
        "subprocess",
        "--width",
        "4",
        "--depth",
        "2",
        "--n-mlps",
        "1",
        "--n-samples",
        "100",
        "--wall-time-limit",
        "0.5",
        "--predict-timeout",
        "1",
        "--json",
    ]);
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(first(&r)["error_code"], "PREDICT_TIMEOUT");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn validate_passes_a_good_estimator_and_fails_a_bad_one() {
    let good = runner(&[
        "validate",
        "--estimator",
        &lib("zeros-estimator").to_string_lossy(),
        "--json",
    ]);
    assert_eq!(good.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&good.stdout).expect("JSON");
    assert_eq!(v["ok"], true);
    assert_eq!(v["output_shape"], serde_json::json!([2, 4]));
    let bad = runner(&[
        "validate",
        "--estimator",
        &lib("fault-wrong-shape").to_string_lossy(),
        "--json",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&bad.stdout).expect("JSON");
    assert_eq!(v["error"]["code"], "ESTIMATOR_BAD_SHAPE");
    let crash = runner(&[
        "validate",
        "--estimator",
        &lib("fault-segfaulting").to_string_lossy(),
    ]);
    assert_eq!(
        crash.status.code(),
        Some(1),
        "a crash is a failed validation, not a crashed runner"
    );
}

#[test]
fn bad_input_gets_one_clear_line_and_a_non_zero_exit() {
    let out = runner(&["run", "--estimator", "/no/such/estimator", "--n-mlps", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/estimator"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let out = runner(&["run", "--estimator", "x.so", "--round", "v9"]);
    assert_eq!(out.status.code(), Some(2));
    let out = runner(&["run", "--estimator", "x.so", "--n-samples", "1e9"]);
    assert_eq!(out.status.code(), Some(2));
    let not_plugin = runner(&["run", "--estimator", "/etc/hostname"]);
    assert_eq!(not_plugin.status.code(), Some(1));
}
