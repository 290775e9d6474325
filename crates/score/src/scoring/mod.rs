//! Per-MLP scoring and run aggregates, exactly as the Python grader computes them.
//!
//! A runner turns each `predict` call into a [`PredictOutcome`]; [`score_mlp`] applies the grader's
//! per-MLP steps (finiteness check outside the budget, exhaustion flags, post-checks in the order
//! wall cap → residual cap → combined `C = F + λ·R > B`) and the metrics, producing an
//! [`MlpEntry`]. [`aggregate`] folds the entries into the run's [`Results`]. The metrics
//! reproduce numpy's f32 pairwise means bit for bit.
//!
//! Serialization to whestbench's report JSON lives in [`crate::report`].

pub mod breakdown;

use serde_json::{json, Value};

use crate::timing::Timing;
use crate::ErrorCode;
use whest_contest::numeric;

pub use breakdown::{
    aggregate_breakdowns, normalize_estimator_breakdown, normalize_estimator_namespace,
    normalize_sampling_breakdown, normalize_sampling_namespace, Breakdown, NamespaceBucket,
    OpTiming,
};
use whest_contest::rounds::{ContestSpec, MULTIPLIER_FLOOR};

/// What the estimator's own budget context measured for one `predict` call (the worker's context
/// in subprocess mode, the host's in process).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EstimatorStats {
    /// FLOPs charged.
    pub flops_used: u64,
    /// Wall, kernel, accounting and residual seconds of the context.
    pub timing: Timing,
    /// The context's flopscope summary JSON (`summary_dict(by_namespace=True)` shape), raw;
    /// `None` makes scoring synthesize one from the numbers above.
    pub breakdown: Option<Value>,
}

/// What a runner got back for one MLP.
#[derive(Clone, Debug, PartialEq)]
pub enum PredictOutcome {
    /// `predict` returned (shape already checked by the runner, values cast to f32).
    Ok {
        /// `d·w` row-major predictions (row `l` = layer `l`).
        predictions: Vec<f32>,
        /// The estimator context's statistics.
        stats: EstimatorStats,
    },
    /// The FLOP budget ran out (flopscope `BudgetExhaustedError`).
    BudgetExhausted {
        /// The context's statistics, when the runner has them.
        stats: Option<EstimatorStats>,
        /// Where it happened.
        traceback: Option<String>,
    },
    /// The context's wall-time limit fired (flopscope `TimeExhaustedError`).
    TimeExhausted {
        /// The context's statistics, when the runner has them.
        stats: Option<EstimatorStats>,
        /// Where it happened.
        traceback: Option<String>,
    },
    /// Anything else: a panic, a bad shape, a dead worker, a timeout.
    Error {
        /// Human-readable message.
        message: String,
        /// Runner / validation code (`PREDICT_ERROR`, `WORKER_EOF`, `ESTIMATOR_BAD_SHAPE`, …).
        error_code: String,
        /// Where it happened.
        traceback: Option<String>,
        /// Structured details (shape errors: `expected_shape, got_shape, cause_hints, hint`).
        details: Option<Value>,
    },
}

/// Ground truth of one MLP.
#[derive(Clone, Debug, PartialEq)]
pub struct Targets {
    /// `d·w` f32 row-major layer means (row `l` = mean after layer `l`).
    pub all_layer_means: Vec<f32>,
    /// `w` f32 final-layer means (the last row of `all_layer_means`).
    pub final_means: Vec<f32>,
}

impl Targets {
    /// Targets from the `d·w` layer means; `final_means` is their last row of `width` values
    /// (empty when `all_layer_means` has fewer than `width` values).
    pub fn from_all_layer_means(all_layer_means: Vec<f32>, width: usize) -> Targets {
        let final_means = match all_layer_means.len().checked_sub(width) {
            Some(start) => all_layer_means[start..].to_vec(),
            None => Vec::new(),
        };
        Targets {
            all_layer_means,
            final_means,
        }
    }
}

/// The error part of a failed entry.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpError {
    /// Message (the report's `error` string, or `error.message` when details exist).
    pub message: String,
    /// Error code (`error_code`).
    pub error_code: String,
    /// Structured details; when present the report writes `error` as `{message, details}`.
    pub details: Option<Value>,
}

/// One per-MLP result. Error entries have `error` set, zero FLOPs, timings and flags,
/// and no breakdown.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpEntry {
    /// Position in the run (0-based).
    pub mlp_index: usize,
    /// MLP slug (`""` when unknown).
    pub mlp_name: String,
    /// MSE of the final layer (the scored metric), f32 mean widened to f64.
    pub final_layer_mse: f64,
    /// MSE over all `d·w` values.
    pub all_layers_mse: f64,
    /// MSE of each layer.
    pub per_layer_mse: Vec<f64>,
    /// `final_layer_mse × multiplier`.
    pub adjusted_final_layer_score: f64,
    /// F: FLOPs billed (B itself for an in-process budget exhaustion).
    pub flops_used: u64,
    /// C = F + λ·R.
    pub effective_compute: f64,
    /// The FLOP budget ran out.
    pub budget_exhausted: bool,
    /// The wall-time cap fired (in the context, or the post-check).
    pub time_exhausted: bool,
    /// R exceeded the residual cap.
    pub residual_wall_time_exhausted: bool,
    /// C exceeded B.
    pub combined_budget_exhausted: bool,
    /// Wall, kernel, accounting and residual (R) seconds.
    pub timing: Timing,
    /// Normalized estimator breakdown (`breakdowns.estimator`); `None` for errors.
    pub estimator_breakdown: Option<Breakdown>,
    /// Traceback of an exhaustion or error.
    pub traceback: Option<String>,
    /// Set for the error shape.
    pub error: Option<MlpError>,
}

impl MlpEntry {
    /// Whether any of the four exhaustion flags is set.
    pub fn any_flag(&self) -> bool {
        self.budget_exhausted
            || self.time_exhausted
            || self.residual_wall_time_exhausted
            || self.combined_budget_exhausted
    }

    /// Whether the entry counts as failed in the aggregates: it carries a (non-empty) error code
    /// or any exhaustion flag.
    pub fn failed(&self) -> bool {
        self.has_error_code() || self.any_flag()
    }

    /// Whether the entry carries a non-empty `error_code` (the aggregates' `error` count).
    pub fn has_error_code(&self) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| !e.error_code.is_empty())
    }

    /// Whether the entry's `error` is truthy in Python terms (a non-empty message, or a
    /// `{message, details}` object): what decides the exit code.
    pub fn has_error(&self) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| e.details.is_some() || !e.message.is_empty())
    }

    /// The entry's score multiplier under `flop_budget`: 1.0 if failed (or B = 0), else
    /// `max(0.1, C/B)`.
    pub fn score_multiplier(&self, flop_budget: u64) -> f64 {
        score_multiplier(self.effective_compute, flop_budget, self.failed())
    }
}

/// Counts of each failure kind (independent: an entry can count in several).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailureBreakdown {
    /// Entries with `budget_exhausted`.
    pub budget_exhausted: usize,
    /// Entries with `time_exhausted`.
    pub time_exhausted: usize,
    /// Entries with `residual_wall_time_exhausted`.
    pub residual_wall_time_exhausted: usize,
    /// Entries with `combined_budget_exhausted`.
    pub combined_budget_exhausted: usize,
    /// Entries with an error code.
    pub error: usize,
}

/// The run's `results`.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    /// Mean of the per-MLP adjusted scores (the ranked number; lower is better); inf if none.
    pub adjusted_final_layer_score: f64,
    /// Mean per-MLP final-layer MSE; inf if none.
    pub final_layer_mse: f64,
    /// Mean per-MLP all-layers MSE; inf if none.
    pub all_layers_mse: f64,
    /// Element-wise mean of the per-MLP `per_layer_mse` (in f32); `[inf; d]` if none.
    pub per_layer_mse: Vec<f64>,
    /// Smallest adjusted score; inf if none.
    pub best_mlp_adjusted_final_layer_score: f64,
    /// Largest adjusted score; inf if none.
    pub worst_mlp_adjusted_final_layer_score: f64,
    /// Mean multiplier (1.0 for failures); 1.0 if none.
    pub mean_score_multiplier: f64,
    /// Mean of C/B (unclamped; 0 when B = 0); 0.0 if none.
    pub mean_compute_utilization: f64,
    /// Failed entries.
    pub n_failed_mlps: usize,
    /// Mean C; 0.0 if none.
    pub mean_effective_compute: f64,
    /// Counts by failure kind.
    pub failure_breakdown: FailureBreakdown,
    /// The per-MLP entries, in run order.
    pub per_mlp: Vec<MlpEntry>,
    /// `breakdowns.sampling`: the ground-truth sampling aggregate (set by the caller; `None` is
    /// written as null).
    pub sampling_breakdown: Option<Breakdown>,
    /// `breakdowns.estimator`: aggregate of the non-error entries' breakdowns (null if none).
    pub estimator_breakdown: Option<Breakdown>,
}

/// C = F + λ·R.
pub fn effective_compute(flops_used: u64, residual_wall_time_s: f64, lambda: f64) -> f64 {
    flops_used as f64 + lambda * residual_wall_time_s
}

/// Whether C strictly exceeds B (never when B = 0).
pub fn is_combined_budget_exhausted(
    flops_used: u64,
    residual_wall_time_s: f64,
    flop_budget: u64,
    lambda: f64,
) -> bool {
    flop_budget > 0
        && effective_compute(flops_used, residual_wall_time_s, lambda) > flop_budget as f64
}

/// The score multiplier: 1.0 on failure or when B = 0, else `max(0.1, C/B)` (uncapped above).
pub fn score_multiplier(effective_compute: f64, flop_budget: u64, failed: bool) -> f64 {
    if failed || flop_budget == 0 {
        return 1.0;
    }
    let ratio = effective_compute / flop_budget as f64;
    // Python's max(0.1, ratio): the floor unless the ratio compares larger (NaN → floor).
    if ratio > MULTIPLIER_FLOOR {
        ratio
    } else {
        MULTIPLIER_FLOOR
    }
}

/// The three MSE metrics of the Python reference for predictions `pred` (`None` = all zeros).
fn metrics(
    pred: Option<&[f32]>,
    targets: &Targets,
    depth: usize,
    width: usize,
) -> (f64, f64, Vec<f64>) {
    let n = depth * width;
    let p = |i: usize| pred.and_then(|p| p.get(i).copied()).unwrap_or(0.0);
    // A target of the wrong length makes the affected metrics NaN rather than panicking.
    let t_all = |i: usize| targets.all_layer_means.get(i).copied().unwrap_or(f32::NAN);
    let sq_all: Vec<f32> = (0..n)
        .map(|i| {
            let d = p(i) - t_all(i);
            d * d
        })
        .collect();
    let all_layers_mse = f64::from(numeric::mean_f32(&sq_all));
    let per_layer_mse: Vec<f64> = sq_all
        .chunks(width.max(1))
        .map(|row| f64::from(numeric::mean_f32(row)))
        .collect();
    let last = depth.saturating_sub(1) * width;
    let sq_final: Vec<f32> = (0..width)
        .map(|j| {
            let t = targets.final_means.get(j).copied().unwrap_or(f32::NAN);
            let d = p(last + j) - t;
            d * d
        })
        .collect();
    let final_layer_mse = f64::from(numeric::mean_f32(&sq_final));
    (final_layer_mse, all_layers_mse, per_layer_mse)
}

/// Python's tuple repr of a shape: `(16, 1024)`, `(5,)`.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The grader's error entry: zero predictions, multiplier 1.0, everything else zero.
fn error_entry(
    index: usize,
    name: &str,
    error: MlpError,
    traceback: Option<String>,
    targets: &Targets,
    spec: &ContestSpec,
) -> MlpEntry {
    let (final_layer_mse, all_layers_mse, per_layer_mse) =
        metrics(None, targets, spec.depth, spec.width);
    MlpEntry {
        mlp_index: index,
        mlp_name: name.to_string(),
        final_layer_mse,
        all_layers_mse,
        per_layer_mse,
        adjusted_final_layer_score: final_layer_mse * score_multiplier(0.0, spec.flop_budget, true),
        flops_used: 0,
        effective_compute: 0.0,
        budget_exhausted: false,
        time_exhausted: false,
        residual_wall_time_exhausted: false,
        combined_budget_exhausted: false,
        timing: Timing::default(),
        estimator_breakdown: None,
        traceback,
        error: Some(error),
    }
}

/// The normalized breakdown of `stats`: its raw summary if present, else one synthesized from
/// its numbers (budget `flop_budget`, no namespaces, so a default bucket when FLOPs > 0).
fn stats_breakdown(stats: &EstimatorStats, flop_budget: u64) -> Option<Breakdown> {
    match &stats.breakdown {
        Some(raw) => normalize_estimator_breakdown(raw),
        None => normalize_estimator_breakdown(&json!({
            "flop_budget": flop_budget,
            "flops_used": stats.flops_used,
            "flops_remaining": flop_budget.saturating_sub(stats.flops_used),
            "operations": {},
            "wall_time_s": stats.timing.wall_time_s,
            "flopscope_backend_time_s": stats.timing.flopscope_backend_time_s,
            "flopscope_overhead_time_s": stats.timing.flopscope_overhead_time_s,
            "residual_wall_time_s": stats.timing.residual_wall_time_s,
            "by_namespace": {},
        })),
    }
}

/// Scores one MLP.
///
/// * `Error` → the error shape (zeros, multiplier 1.0, no breakdown).
/// * `Ok` → predictions of the wrong length become an `ESTIMATOR_BAD_SHAPE` error and
///   non-finite values an `ESTIMATOR_NON_FINITE` error (both with `details`); this check is
///   the host's own and bills nothing.
/// * `BudgetExhausted` → zeros, `budget_exhausted`; `flops_used` is B in process (the reference
///   in-process runner has no stats) and the worker's count otherwise, with 0 replaced by B.
/// * `TimeExhausted` → zeros, `time_exhausted`; `flops_used` is 0 in process (the reference
///   reads no stats there) and the worker's count otherwise.
///
/// Then timings come from the stats (zeros without), and the post-checks run, each only if no
/// earlier flag is set: wall time > wall cap → `time_exhausted`; residual > residual cap →
/// `residual_wall_time_exhausted`; `C = F + λ·R > B` → `combined_budget_exhausted`; each
/// zeroes the predictions. A flagged entry scores with multiplier 1.0.
pub fn score_mlp(
    index: usize,
    name: &str,
    outcome: PredictOutcome,
    targets: &Targets,
    spec: &ContestSpec,
    in_process: bool,
) -> MlpEntry {
    let (depth, width, budget) = (spec.depth, spec.width, spec.flop_budget);
    let expected = vec![json!(depth), json!(width)];
    let mut budget_exhausted = false;
    let mut time_exhausted = false;
    let (predictions, stats, flops_used, traceback) = match outcome {
        PredictOutcome::Error {
            message,
            error_code,
            traceback,
            details,
        } => {
            let error = MlpError {
                message,
                error_code,
                details,
            };
            return error_entry(index, name, error, traceback, targets, spec);
        }
        PredictOutcome::Ok { predictions, stats } => {
            if predictions.len() != depth * width {
                let got = [predictions.len()];
                let hint = "Predictions must be a 2D array of shape (depth, width): one row of \
                            width values per layer.";
                let error = MlpError {
                    message: format!(
                        "Predictions must have shape (depth={depth}, width={width}); got shape={}.",
                        shape_repr(&got)
                    ),
                    error_code: ErrorCode::EstimatorBadShape.into(),
                    details: Some(json!({
                        "expected_shape": expected,
                        "got_shape": got,
                        "cause_hints": [hint],
                        "hint": hint,
                    })),
                };
                return error_entry(index, name, error, None, targets, spec);
            }
            if !predictions.iter().all(|x| x.is_finite()) {
                let error = MlpError {
                    message: "Predictions must contain only finite values.".to_string(),
                    error_code: ErrorCode::EstimatorNonFinite.into(),
                    details: Some(json!({
                        "expected_shape": expected,
                        "got_shape": expected,
                        "cause_hints": ["Predictions must contain finite values only."],
                        "hint": "Prediction values must be finite and include neither inf nor NaN.",
                    })),
                };
                return error_entry(index, name, error, None, targets, spec);
            }
            let flops = stats.flops_used;
            (Some(predictions), Some(stats), flops, None)
        }
        PredictOutcome::BudgetExhausted { stats, traceback } => {
            budget_exhausted = true;
            let reported = match (&stats, in_process) {
                (Some(s), false) => s.flops_used,
                _ => 0,
            };
            let flops = if reported == 0 { budget } else { reported };
            (None, stats, flops, traceback)
        }
        PredictOutcome::TimeExhausted { stats, traceback } => {
            time_exhausted = true;
            let flops = match (&stats, in_process) {
                (Some(s), false) => s.flops_used,
                _ => 0,
            };
            (None, stats, flops, traceback)
        }
    };

    let estimator_breakdown = stats.as_ref().and_then(|s| stats_breakdown(s, budget));
    let s = stats.unwrap_or_default();
    let (wall, residual) = (s.timing.wall_time_s, s.timing.residual_wall_time_s);
    let mut predictions = predictions;

    if !budget_exhausted && !time_exhausted && spec.wall_time_limit_s.is_some_and(|cap| wall > cap)
    {
        predictions = None;
        time_exhausted = true;
    }
    let mut residual_wall_time_exhausted = false;
    if !budget_exhausted
        && !time_exhausted
        && spec
            .residual_wall_time_limit_s
            .is_some_and(|cap| residual > cap)
    {
        predictions = None;
        residual_wall_time_exhausted = true;
    }
    let lambda = spec.lambda_flops_per_second;
    let effective = effective_compute(flops_used, residual, lambda);
    let mut combined_budget_exhausted = false;
    if !budget_exhausted
        && !time_exhausted
        && !residual_wall_time_exhausted
        && is_combined_budget_exhausted(flops_used, residual, budget, lambda)
    {
        predictions = None;
        combined_budget_exhausted = true;
    }

    let (final_layer_mse, all_layers_mse, per_layer_mse) =
        metrics(predictions.as_deref(), targets, depth, width);
    let failed = budget_exhausted
        || time_exhausted
        || residual_wall_time_exhausted
        || combined_budget_exhausted;
    MlpEntry {
        mlp_index: index,
        mlp_name: name.to_string(),
        final_layer_mse,
        all_layers_mse,
        per_layer_mse,
        adjusted_final_layer_score: final_layer_mse * score_multiplier(effective, budget, failed),
        flops_used,
        effective_compute: effective,
        budget_exhausted,
        time_exhausted,
        residual_wall_time_exhausted,
        combined_budget_exhausted,
        timing: s.timing,
        estimator_breakdown,
        traceback,
        error: None,
    }
}

/// Aggregates per-MLP entries into the run's results. `sampling_breakdown` is left
/// `None` for the caller to fill; the estimator aggregate sums the entries' breakdowns.
pub fn aggregate(entries: Vec<MlpEntry>, spec: &ContestSpec) -> Results {
    let budget = spec.flop_budget;
    let adjusted: Vec<f64> = entries
        .iter()
        .map(|e| e.adjusted_final_layer_score)
        .collect();
    let finals: Vec<f64> = entries.iter().map(|e| e.final_layer_mse).collect();
    let alls: Vec<f64> = entries.iter().map(|e| e.all_layers_mse).collect();
    let computes: Vec<f64> = entries.iter().map(|e| e.effective_compute).collect();
    let multipliers: Vec<f64> = entries.iter().map(|e| e.score_multiplier(budget)).collect();
    let utilizations: Vec<f64> = entries
        .iter()
        .map(|e| {
            if budget > 0 {
                e.effective_compute / budget as f64
            } else {
                0.0
            }
        })
        .collect();
    let mean_or = |xs: &[f64], empty: f64, f: fn(&[f64]) -> f64| {
        if xs.is_empty() {
            empty
        } else {
            f(xs)
        }
    };

    // Element-wise f32 mean over MLPs: numpy reduces along axis 0 sequentially in f32, then
    // divides by the count in f64.
    let per_layer_mse = if entries.is_empty() {
        vec![f64::INFINITY; spec.depth]
    } else {
        let len = entries[0].per_layer_mse.len();
        (0..len)
            .map(|l| {
                let mut sum = 0.0f32;
                for e in &entries {
                    sum += e.per_layer_mse.get(l).map_or(f32::NAN, |&x| x as f32);
                }
                f64::from((f64::from(sum) / entries.len() as f64) as f32)
            })
            .collect()
    };

    let count = |f: fn(&MlpEntry) -> bool| entries.iter().filter(|e| f(e)).count();
    let failure_breakdown = FailureBreakdown {
        budget_exhausted: count(|e| e.budget_exhausted),
        time_exhausted: count(|e| e.time_exhausted),
        residual_wall_time_exhausted: count(|e| e.residual_wall_time_exhausted),
        combined_budget_exhausted: count(|e| e.combined_budget_exhausted),
        error: count(MlpEntry::has_error_code),
    };
    let breakdowns: Vec<Breakdown> = entries
        .iter()
        .filter_map(|e| e.estimator_breakdown.clone())
        .collect();

    Results {
        adjusted_final_layer_score: mean_or(&adjusted, f64::INFINITY, numeric::mean_f64),
        final_layer_mse: mean_or(&finals, f64::INFINITY, numeric::mean_f64),
        all_layers_mse: mean_or(&alls, f64::INFINITY, numeric::mean_f64),
        per_layer_mse,
        best_mlp_adjusted_final_layer_score: numeric::python_min(&adjusted)
            .unwrap_or(f64::INFINITY),
        worst_mlp_adjusted_final_layer_score: numeric::python_max(&adjusted)
            .unwrap_or(f64::INFINITY),
        mean_score_multiplier: mean_or(&multipliers, 1.0, numeric::python_mean),
        mean_compute_utilization: mean_or(&utilizations, 0.0, numeric::python_mean),
        n_failed_mlps: count(MlpEntry::failed),
        mean_effective_compute: mean_or(&computes, 0.0, numeric::python_mean),
        failure_breakdown,
        sampling_breakdown: None,
        estimator_breakdown: aggregate_breakdowns(&breakdowns),
        per_mlp: entries,
    }
}

#[cfg(test)]
mod tests;
