//! End-to-end: score every reference estimator in `examples/` with `whest-runner run`, the way
//! a newcomer does (`--estimator examples/<name>`, which builds the crate), on one small seeded
//! suite, and check that each run is valid and that they rank as the curriculum says:
//! covariance propagation < mean propagation < random < zeros in final-layer MSE.

use std::path::{Path, PathBuf};

use crate::support::runner_command;
use serde_json::Value;

/// The suite: 3 MLPs of width 16 and depth 4 from run seed 7, 20,000 ground-truth samples, and
/// a 1e8-FLOP budget (enough for covariance propagation, ~147k FLOPs here; Monte Carlo sizes
/// its sample to it).
const SUITE: [&str; 12] = [
    "--width",
    "16",
    "--depth",
    "4",
    "--n-mlps",
    "3",
    "--n-samples",
    "20000",
    "--seed",
    "7",
    "--flop-budget",
    "100000000",
];

/// The suite's per-MLP budget (`--flop-budget` above).
const BUDGET: u64 = 100_000_000;

fn example_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples")
        .join(name)
}

/// Scores `examples/<name>` on [`SUITE`] and returns its report after checking the run is
/// valid: exit code 0, no failed MLP, no traceback, no exhaustion flag.
fn score(name: &str) -> Value {
    let dir = example_dir(name);
    let out = runner_command()
        .args(["run", "--estimator"])
        .arg(&dir)
        .args(SUITE)
        .arg("--json")
        .output()
        .expect("run whest-runner");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{name}: exit code\n{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: report is not JSON ({e})\n{stderr}"));
    let results = &report["results"];
    assert_eq!(results["n_failed_mlps"], 0, "{name}: {results}");
    for mlp in results["per_mlp"].as_array().expect("per_mlp") {
        assert!(mlp["traceback"].is_null(), "{name}: {}", mlp["traceback"]);
        for flag in [
            "budget_exhausted",
            "time_exhausted",
            "residual_wall_time_exhausted",
        ] {
            assert_eq!(mlp[flag], false, "{name}: {flag}");
        }
    }
    report
}

fn final_layer_mse(report: &Value) -> f64 {
    report["results"]["final_layer_mse"]
        .as_f64()
        .expect("final_layer_mse is a number")
}

fn flops_used(report: &Value) -> Vec<u64> {
    report["results"]["per_mlp"]
        .as_array()
        .expect("per_mlp")
        .iter()
        .map(|m| m["flops_used"].as_u64().expect("flops_used"))
        .collect()
}

#[test]
fn the_examples_score_validly_and_rank_as_the_curriculum_says() {
    let zeros = score("zeros");
    let random = score("random");
    let mean = score("mean-propagation");
    let covariance = score("covariance-propagation");
    let combined = score("combined");
    let monte_carlo = score("monte-carlo");

    let mse = |r: &Value| final_layer_mse(r);
    assert!(
        mse(&covariance) < mse(&mean) && mse(&mean) < mse(&random) && mse(&random) < mse(&zeros),
        "expected covariance < mean < random < zeros, got {} / {} / {} / {}",
        mse(&covariance),
        mse(&mean),
        mse(&random),
        mse(&zeros)
    );

    // The budget is ≥ 30·16², so `combined` runs covariance propagation: same charge, same MSE.
    assert_eq!(flops_used(&combined), flops_used(&covariance));
    assert_eq!(mse(&combined), mse(&covariance));

    // Monte Carlo spends almost all of the budget, never more, and beats random guessing.
    for used in flops_used(&monte_carlo) {
        assert!(used <= BUDGET && used > BUDGET / 100 * 99, "{used}");
    }
    assert!(mse(&monte_carlo) < mse(&random));
}
