//! `whest-runner smoke-test`: the built-in CombinedEstimator is scored in process through the
//! same pipeline as `run` (the same numbers as `run` on the combined plugin), the report is the
//! schema-1.1 JSON, and the text form ends with the next steps.

use std::process::Output;

use crate::support::{runner, workspace};
use serde_json::Value;

const SMALL: [&str; 8] = [
    "--width",
    "32",
    "--depth",
    "3",
    "--n-mlps",
    "2",
    "--n-samples",
    "2000",
];

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn json_is_a_run_report_of_the_combined_estimator() {
    let mut args = vec!["smoke-test", "--json", "--seed", "3", "--max-threads", "2"];
    args.extend(SMALL);
    let out = runner(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    assert_eq!(r["schema_version"], "1.1");
    assert_eq!(r["mode"], "agent");
    assert_eq!(r["run_config"]["width"], 32);
    assert_eq!(r["run_config"]["n_mlps"], 2);
    assert_eq!(r["run_config"]["seed"], 3);
    assert!(r["run_config"].get("dataset").is_none());
    let res = &r["results"];
    assert_eq!(res["n_failed_mlps"], 0);
    let per_mlp = res["per_mlp"].as_array().cloned().unwrap_or_default();
    assert_eq!(per_mlp.len(), 2);
    for e in &per_mlp {
        // Covariance propagation (budget >= 30·w²) charges FLOPs and predicts well.
        assert!(e["flops_used"].as_u64().is_some_and(|f| f > 0), "{e}");
        assert!(
            e["final_layer_mse"].as_f64().is_some_and(|m| m < 1e-2),
            "{e}"
        );
        assert!(
            e["breakdowns"]["estimator"]["by_namespace"].is_object(),
            "{e}"
        );
    }
    assert!(res["breakdowns"]["sampling"].is_object());
    // The same contest scored by `run` on the combined plugin gives the same numbers.
    let combined = workspace().join("examples/combined");
    let combined = combined.to_string_lossy().into_owned();
    let mut run_args = vec!["run", "--estimator", &combined, "--json", "--seed", "3"];
    run_args.extend(SMALL);
    let out = runner(&run_args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = json_of(&out);
    for key in [
        "final_layer_mse",
        "all_layers_mse",
        "per_layer_mse",
        "flops_used",
    ] {
        for (i, e) in per_mlp.iter().enumerate() {
            assert_eq!(
                run["results"]["per_mlp"][i][key], e[key],
                "{key} of MLP {i}"
            );
        }
    }
    for (i, e) in per_mlp.iter().enumerate() {
        assert_eq!(run["results"]["per_mlp"][i]["mlp_name"], e["mlp_name"]);
    }
}

#[test]
fn text_mode_prints_the_report_and_next_steps() {
    let mut args = vec!["smoke-test"];
    args.extend(SMALL);
    let out = runner(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Next steps"), "{text}");
    for cmd in [
        "whest-runner init",
        "whest-runner validate",
        "whest-runner run",
    ] {
        assert!(text.contains(cmd), "{text}");
    }
    // Unseeded, as in Python: every mlp.seed is 0, so the names are seed 0's.
    assert!(text.contains("megan-chang"), "{text}");
}

#[test]
fn bad_sizes_are_usage_errors() {
    let out = runner(&["smoke-test", "--width", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--width"), "{err}");
}
