//! Tests of per-MLP scoring and aggregation. Expected metric values come from the Python
//! reference (whestbench 0.16.2, numpy 2.4) on the same inputs.

use super::*;
use serde_json::json;

const D: usize = 3;
const W: usize = 300;

fn spec() -> ContestSpec {
    ContestSpec {
        width: W,
        depth: D,
        flop_budget: 1_000_000,
        lambda_flops_per_second: 0.0,
        wall_time_limit_s: Some(10.0),
        residual_wall_time_limit_s: Some(0.4),
        setup_timeout_s: 5.0,
    }
}

/// `((i*37) % 101) / 7` in f32, as the oracle script built it.
fn preds() -> Vec<f32> {
    (0..D * W).map(|i| ((i * 37) % 101) as f32 / 7.0).collect()
}

/// `((i*53) % 89) / 11 - 1` in f32.
fn targets() -> Targets {
    let all: Vec<f32> = (0..D * W)
        .map(|i| ((i * 53) % 89) as f32 / 11.0 - 1.0)
        .collect();
    Targets::from_all_layer_means(all, W)
}

fn stats(flops: u64, wall: f64, residual: f64) -> EstimatorStats {
    EstimatorStats {
        flops_used: flops,
        timing: Timing {
            wall_time_s: wall,
            flopscope_backend_time_s: 0.01,
            flopscope_overhead_time_s: 0.02,
            residual_wall_time_s: residual,
        },
        breakdown: Some(json!({
            "flop_budget": 1_000_000, "flops_used": flops,
            "flops_remaining": 1_000_000u64.saturating_sub(flops),
            "operations": {}, "wall_time_s": wall, "flopscope_backend_time_s": 0.01,
            "flopscope_overhead_time_s": 0.02, "residual_wall_time_s": residual,
            "by_namespace": {"null": {"flops_used": flops, "calls": 1,
                "flopscope_backend_time_s": 0.01, "flopscope_overhead_time_s": 0.02,
                "operations": {"matmul": {"flop_cost": flops, "calls": 1,
                    "flopscope_backend_time_s": 0.01, "flopscope_overhead_time_s": 0.02}}}}
        })),
    }
}

fn ok(flops: u64, wall: f64, residual: f64) -> PredictOutcome {
    PredictOutcome::Ok {
        predictions: preds(),
        stats: stats(flops, wall, residual),
    }
}

// Python oracle values for `preds()` vs `targets()`, and for zero predictions.
const FINAL_MSE: f64 = 40.07855987548828;
const ALL_MSE: f64 = 39.911739349365234;
const PER_LAYER: [f64; 3] = [39.95000457763672, 39.7066535949707, 40.07855987548828];
const ZERO_FINAL_MSE: f64 = 14.302644729614258;
const ZERO_ALL_MSE: f64 = 14.450164794921875;

fn no_flags(e: &MlpEntry) -> bool {
    !e.any_flag() && e.error.is_none()
}

#[test]
fn metrics_match_numpy_bit_for_bit() {
    let e = score_mlp(0, "a", ok(1000, 0.1, 0.01), &targets(), &spec(), true);
    assert!(no_flags(&e));
    assert_eq!(e.final_layer_mse, FINAL_MSE);
    assert_eq!(e.all_layers_mse, ALL_MSE);
    assert_eq!(e.per_layer_mse, PER_LAYER);
    assert_eq!(e.per_layer_mse[D - 1], e.final_layer_mse);
}

#[test]
fn success_under_ten_percent_gets_the_floor() {
    let e = score_mlp(2, "name", ok(1000, 0.1, 0.01), &targets(), &spec(), true);
    assert_eq!((e.mlp_index, e.mlp_name.as_str()), (2, "name"));
    assert_eq!((e.flops_used, e.effective_compute), (1000, 1000.0));
    assert_eq!(e.score_multiplier(1_000_000), MULTIPLIER_FLOOR);
    assert_eq!(e.adjusted_final_layer_score, FINAL_MSE * 0.1);
    assert_eq!(e.traceback, None);
    assert_eq!(
        (e.timing.wall_time_s, e.timing.residual_wall_time_s),
        (0.1, 0.01)
    );
    assert_eq!(e.timing.flopscope_overhead_time_s, 0.02);
    let b = e.estimator_breakdown.expect("breakdown");
    assert_eq!(b.by_namespace[0].0, "estimator.estimator-client");
}

#[test]
fn multiplier_is_proportional_above_the_floor_and_uncapped() {
    let e = score_mlp(0, "", ok(500_000, 0.1, 0.01), &targets(), &spec(), false);
    assert!(no_flags(&e));
    assert_eq!(e.adjusted_final_layer_score, FINAL_MSE * 0.5);
    // At exactly B the combined check (strict >) does not fire.
    let e = score_mlp(0, "", ok(1_000_000, 0.1, 0.01), &targets(), &spec(), false);
    assert!(no_flags(&e));
    assert_eq!(e.adjusted_final_layer_score, FINAL_MSE);
    assert_eq!(score_multiplier(1.5e6, 1_000_000, false), 1.5);
    assert_eq!(score_multiplier(1.5e6, 1_000_000, true), 1.0);
    assert_eq!(score_multiplier(1.5e6, 0, false), 1.0);
    assert_eq!(score_multiplier(0.0, 1_000_000, false), 0.1);
    assert_eq!(score_multiplier(f64::NAN, 1_000_000, false), 0.1);
}

#[test]
fn over_budget_report_trips_the_combined_check() {
    let e = score_mlp(0, "", ok(1_000_001, 0.1, 0.01), &targets(), &spec(), false);
    assert!(e.combined_budget_exhausted && !e.budget_exhausted && !e.time_exhausted);
    assert_eq!(e.final_layer_mse, ZERO_FINAL_MSE);
    assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
    assert_eq!(e.flops_used, 1_000_001);
    assert!(e.failed());
}

#[test]
fn lambda_prices_residual_time_into_the_combined_check() {
    let mut s = spec();
    s.lambda_flops_per_second = 1e6;
    s.residual_wall_time_limit_s = None;
    // C = 600k + 1e6·0.3 = 900k ≤ B: passes, multiplier 0.9.
    let e = score_mlp(0, "", ok(600_000, 0.5, 0.3), &targets(), &s, true);
    assert!(no_flags(&e));
    assert_eq!(e.effective_compute, 900_000.0);
    assert_eq!(e.adjusted_final_layer_score, FINAL_MSE * 0.9);
    // C = 600k + 1e6·0.5 = 1.1M > B.
    let e = score_mlp(0, "", ok(600_000, 0.6, 0.5), &targets(), &s, true);
    assert!(e.combined_budget_exhausted);
    assert_eq!(e.effective_compute, 1_100_000.0);
    assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
}

#[test]
fn wall_cap_is_checked_first() {
    // Over the wall cap, the residual cap and the budget: only time_exhausted is set.
    let e = score_mlp(0, "", ok(2_000_000, 11.0, 5.0), &targets(), &spec(), false);
    assert!(e.time_exhausted);
    assert!(!e.residual_wall_time_exhausted && !e.combined_budget_exhausted);
    assert_eq!(e.final_layer_mse, ZERO_FINAL_MSE);
    assert_eq!(e.all_layers_mse, ZERO_ALL_MSE);
    assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
    assert_eq!(e.traceback, None);
    // No cap: nothing fires on wall time alone.
    let mut s = spec();
    s.wall_time_limit_s = None;
    let e = score_mlp(0, "", ok(1000, 1e6, 0.01), &targets(), &s, false);
    assert!(no_flags(&e));
}

#[test]
fn residual_cap_is_checked_before_the_combined_check() {
    let e = score_mlp(0, "", ok(2_000_000, 1.0, 0.5), &targets(), &spec(), false);
    assert!(e.residual_wall_time_exhausted);
    assert!(!e.time_exhausted && !e.combined_budget_exhausted);
    assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
    // Exactly at the cap passes (strict >).
    let e = score_mlp(0, "", ok(1000, 1.0, 0.4), &targets(), &spec(), false);
    assert!(no_flags(&e));
}

#[test]
fn budget_exhaustion_flops_in_process_and_subprocess() {
    let exhausted = |s: Option<EstimatorStats>| PredictOutcome::BudgetExhausted {
        stats: s,
        traceback: Some("tb".into()),
    };
    let t = targets();
    // In process: B, whatever the context counted.
    let e = score_mlp(
        0,
        "",
        exhausted(Some(stats(123, 0.2, 0.9))),
        &t,
        &spec(),
        true,
    );
    assert!(e.budget_exhausted);
    assert_eq!(e.flops_used, 1_000_000);
    assert_eq!(e.effective_compute, 1e6);
    // Flagged first, so neither the residual cap (0.9 > 0.4) nor anything else fires.
    assert!(!e.time_exhausted && !e.residual_wall_time_exhausted && !e.combined_budget_exhausted);
    assert_eq!(e.traceback.as_deref(), Some("tb"));
    assert_eq!(
        (e.timing.wall_time_s, e.timing.residual_wall_time_s),
        (0.2, 0.9)
    );
    assert_eq!(e.final_layer_mse, ZERO_FINAL_MSE);
    assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
    // The breakdown is the context's own (123 FLOPs), not B.
    assert_eq!(
        e.estimator_breakdown.as_ref().map(|b| b.flops_used),
        Some(123)
    );
    // Subprocess: the worker's count; 0 (or no stats) → B.
    let e = score_mlp(
        0,
        "",
        exhausted(Some(stats(123, 0.2, 0.1))),
        &t,
        &spec(),
        false,
    );
    assert_eq!(e.flops_used, 123);
    let e = score_mlp(
        0,
        "",
        exhausted(Some(stats(0, 0.2, 0.1))),
        &t,
        &spec(),
        false,
    );
    assert_eq!(e.flops_used, 1_000_000);
    let e = score_mlp(0, "", exhausted(None), &t, &spec(), false);
    assert_eq!(e.flops_used, 1_000_000);
    assert_eq!(
        (e.timing.wall_time_s, e.estimator_breakdown.is_none()),
        (0.0, true)
    );
}

#[test]
fn time_exhaustion_flops_in_process_and_subprocess() {
    let exhausted = |s: Option<EstimatorStats>| PredictOutcome::TimeExhausted {
        stats: s,
        traceback: None,
    };
    let t = targets();
    let e = score_mlp(
        0,
        "",
        exhausted(Some(stats(777, 12.0, 11.0))),
        &t,
        &spec(),
        true,
    );
    assert!(e.time_exhausted && !e.residual_wall_time_exhausted);
    assert_eq!((e.flops_used, e.effective_compute), (0, 0.0));
    assert_eq!(e.timing.wall_time_s, 12.0);
    assert_eq!(
        e.estimator_breakdown.as_ref().map(|b| b.flops_used),
        Some(777)
    );
    let e = score_mlp(
        0,
        "",
        exhausted(Some(stats(777, 12.0, 11.0))),
        &t,
        &spec(),
        false,
    );
    assert_eq!(e.flops_used, 777);
    assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
}

#[test]
fn errors_zero_everything_and_use_multiplier_one() {
    let outcome = PredictOutcome::Error {
        message: "boom".into(),
        error_code: "PREDICT_ERROR".into(),
        traceback: Some("trace".into()),
        details: None,
    };
    let e = score_mlp(1, "n", outcome, &targets(), &spec(), true);
    let err = e.error.as_ref().expect("error");
    assert_eq!(
        (err.message.as_str(), err.error_code.as_str()),
        ("boom", "PREDICT_ERROR")
    );
    assert_eq!(e.traceback.as_deref(), Some("trace"));
    assert!(!e.any_flag() && e.failed() && e.has_error());
    assert_eq!(
        (e.flops_used, e.effective_compute, e.timing.wall_time_s),
        (0, 0.0, 0.0)
    );
    assert!(e.estimator_breakdown.is_none());
    assert_eq!(e.final_layer_mse, ZERO_FINAL_MSE);
    assert_eq!(e.all_layers_mse, ZERO_ALL_MSE);
    assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
    assert_eq!(e.score_multiplier(1_000_000), 1.0);
}

#[test]
fn non_finite_predictions_are_an_ordinary_error() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut p = preds();
        p[17] = bad;
        let outcome = PredictOutcome::Ok {
            predictions: p,
            stats: stats(1000, 0.1, 0.01),
        };
        let e = score_mlp(0, "", outcome, &targets(), &spec(), true);
        let err = e.error.as_ref().expect("error");
        assert_eq!(err.error_code, "ESTIMATOR_NON_FINITE");
        assert_eq!(err.message, "Predictions must contain only finite values.");
        let details = err.details.as_ref().expect("details");
        assert_eq!(details["expected_shape"], json!([D, W]));
        assert_eq!(details["got_shape"], json!([D, W]));
        assert!(details["cause_hints"].is_array() && details["hint"].is_string());
        assert_eq!((e.flops_used, e.estimator_breakdown.is_none()), (0, true));
        assert_eq!(e.adjusted_final_layer_score, ZERO_FINAL_MSE);
    }
}

#[test]
fn wrong_length_is_a_shape_error() {
    let outcome = PredictOutcome::Ok {
        predictions: vec![0.0; 5],
        stats: stats(1000, 0.1, 0.01),
    };
    let e = score_mlp(0, "", outcome, &targets(), &spec(), true);
    let err = e.error.as_ref().expect("error");
    assert_eq!(err.error_code, "ESTIMATOR_BAD_SHAPE");
    assert_eq!(
        err.message,
        "Predictions must have shape (depth=3, width=300); got shape=(5,)."
    );
    assert_eq!(
        err.details.as_ref().map(|d| d["got_shape"].clone()),
        Some(json!([5]))
    );
}

#[test]
fn missing_breakdown_is_synthesized_from_stats() {
    let mut st = stats(4242, 0.1, 0.01);
    st.breakdown = None;
    let outcome = PredictOutcome::Ok {
        predictions: preds(),
        stats: st,
    };
    let e = score_mlp(0, "", outcome, &targets(), &spec(), true);
    let b = e.estimator_breakdown.expect("synthesized");
    assert_eq!(
        (b.flop_budget, b.flops_used, b.flops_remaining),
        (1_000_000, 4242, 995_758)
    );
    assert_eq!(b.by_namespace.len(), 1);
    assert_eq!(b.by_namespace[0].0, "estimator.estimator-client");
    assert_eq!(b.by_namespace[0].1.flops_used, 4242);
}

#[test]
fn targets_of_the_wrong_length_give_nan_not_a_panic() {
    let t = Targets {
        all_layer_means: vec![0.0; 4],
        final_means: vec![],
    };
    let e = score_mlp(0, "", ok(1000, 0.1, 0.01), &t, &spec(), true);
    assert!(e.final_layer_mse.is_nan() && e.all_layers_mse.is_nan());
    assert_eq!(
        Targets::from_all_layer_means(vec![1.0; 2], 3)
            .final_means
            .len(),
        0
    );
}

fn entry(adjusted: f64, effective: f64, per_layer: Vec<f64>) -> MlpEntry {
    let mut e = score_mlp(0, "", ok(1000, 0.1, 0.01), &targets(), &spec(), true);
    e.final_layer_mse = adjusted;
    e.all_layers_mse = adjusted * 2.0;
    e.adjusted_final_layer_score = adjusted;
    e.effective_compute = effective;
    e.per_layer_mse = per_layer;
    e
}

#[test]
fn aggregates_hand_computed() {
    let mut failed = entry(3.0, 1e6, vec![3.3, 2.2, 1.1]);
    failed.budget_exhausted = true;
    let mut errored = entry(2.0, 0.0, vec![0.7, 0.11, 1e-3]);
    errored.error = Some(MlpError {
        message: "x".into(),
        error_code: "PREDICT_ERROR".into(),
        details: None,
    });
    errored.estimator_breakdown = None;
    let mut both = entry(1.0, 250_000.0, vec![0.1, 0.2, 0.3]);
    both.time_exhausted = true;
    both.residual_wall_time_exhausted = true;
    let ok_entry = entry(0.5, 500_000.0, vec![0.1, 0.2, 0.3]);
    let r = aggregate(vec![ok_entry, errored, failed, both], &spec());
    assert_eq!(r.adjusted_final_layer_score, (0.5 + 2.0 + 3.0 + 1.0) / 4.0);
    assert_eq!(r.final_layer_mse, 6.5 / 4.0);
    assert_eq!(r.all_layers_mse, 13.0 / 4.0);
    assert_eq!(r.best_mlp_adjusted_final_layer_score, 0.5);
    assert_eq!(r.worst_mlp_adjusted_final_layer_score, 3.0);
    // Multipliers: 0.5 (ok), 1.0 (error), 1.0 (budget), 1.0 (time).
    assert_eq!(r.mean_score_multiplier, 3.5 / 4.0);
    assert_eq!(r.mean_compute_utilization, (0.5 + 0.0 + 1.0 + 0.25) / 4.0);
    assert_eq!(r.mean_effective_compute, 1_750_000.0 / 4.0);
    assert_eq!(r.n_failed_mlps, 3);
    assert_eq!(
        r.failure_breakdown,
        FailureBreakdown {
            budget_exhausted: 1,
            time_exhausted: 1,
            residual_wall_time_exhausted: 1,
            combined_budget_exhausted: 0,
            error: 1,
        }
    );
    // f32 element-wise mean (numpy: [0.1, 0.2, 0.3], [0.7, 0.11, 1e-3], [3.3, 2.2, 1.1]
    // → [1.3666666746139526, 0.8366666436195374, 0.46700000762939453]).
    let r3 = aggregate(
        vec![
            entry(0.0, 0.0, vec![0.1, 0.2, 0.3]),
            entry(0.0, 0.0, vec![0.7, 0.11, 1e-3]),
            entry(0.0, 0.0, vec![3.3, 2.2, 1.1]),
        ],
        &spec(),
    );
    assert_eq!(
        r3.per_layer_mse,
        [1.3666666746139526, 0.8366666436195374, 0.46700000762939453]
    );
    // Three of four entries carry a breakdown; sums are element-wise.
    let b = r.estimator_breakdown.as_ref().expect("aggregate");
    assert_eq!(b.flop_budget, 3_000_000);
    assert_eq!(b.flops_used, 3000);
    assert_eq!(r.per_mlp.len(), 4);
    assert!(r.sampling_breakdown.is_none());
}

#[test]
fn aggregate_of_nothing() {
    let r = aggregate(Vec::new(), &spec());
    assert_eq!(r.adjusted_final_layer_score, f64::INFINITY);
    assert_eq!(r.final_layer_mse, f64::INFINITY);
    assert_eq!(r.all_layers_mse, f64::INFINITY);
    assert_eq!(r.per_layer_mse, vec![f64::INFINITY; D]);
    assert_eq!(r.best_mlp_adjusted_final_layer_score, f64::INFINITY);
    assert_eq!(r.worst_mlp_adjusted_final_layer_score, f64::INFINITY);
    assert_eq!(r.mean_score_multiplier, 1.0);
    assert_eq!(r.mean_compute_utilization, 0.0);
    assert_eq!(r.mean_effective_compute, 0.0);
    assert_eq!(r.n_failed_mlps, 0);
    assert_eq!(r.failure_breakdown, FailureBreakdown::default());
    assert!(r.estimator_breakdown.is_none() && r.per_mlp.is_empty());
}

#[test]
fn zero_budget_means_no_discount_and_no_utilization() {
    let mut s = spec();
    s.flop_budget = 0;
    let e = score_mlp(0, "", ok(1000, 0.1, 0.01), &targets(), &s, false);
    assert!(!e.combined_budget_exhausted);
    assert_eq!(e.adjusted_final_layer_score, FINAL_MSE);
    let r = aggregate(vec![e], &s);
    assert_eq!(r.mean_compute_utilization, 0.0);
    assert_eq!(r.mean_score_multiplier, 1.0);
}
