//! Contest settings: the named constants of the Python reference and the rounds a run can restore.

/// The current round's FLOP budget per MLP, 2^41.
pub const DEFAULT_FLOP_BUDGET: u64 = 1 << 41;
/// Phase-1 FLOP budget.
pub const PHASE1_FLOP_BUDGET: u64 = 272_000_000_000;
/// Warm-up FLOP budget.
pub const WARMUP_FLOP_BUDGET: u64 = 68_000_000_000;
/// Residual price λ of the current round (FLOPs per residual second): 0, i.e. gated.
pub const DEFAULT_LAMBDA_FLOPS_PER_SECOND: f64 = 0.0;
/// Phase-1 residual price λ.
pub const PHASE1_LAMBDA_FLOPS_PER_SECOND: f64 = 1e11;
/// Residual wall-time cap of the current round, seconds.
pub const DEFAULT_RESIDUAL_WALL_TIME_LIMIT_S: f64 = 0.4;
/// Per-predict wall-time cap of the current round, seconds.
pub const DEFAULT_WALL_TIME_LIMIT_S: f64 = 120.0;
/// Setup time cap, seconds.
pub const DEFAULT_SETUP_TIMEOUT_S: f64 = 5.0;
/// Floor of the score multiplier: using ≤ 10% of the budget earns the full 10× discount.
pub const MULTIPLIER_FLOOR: f64 = 0.1;
/// Default Monte-Carlo samples for on-the-fly ground truth.
pub const DEFAULT_N_SAMPLES: usize = 200_000;
/// Default number of MLPs for `run` without a dataset.
pub const DEFAULT_N_MLPS: usize = 10;
/// Default memory limit of a worker process, MiB (enforced by the subprocess runner).
pub const DEFAULT_MEMORY_LIMIT_MB: u64 = 8_192;
/// Floor of the host's read timeout per predict in subprocess mode, seconds.
pub const PREDICT_TIMEOUT_FLOOR_S: f64 = 30.0;
/// Budget of the sampling BudgetContext in the Python reference (the cap we do not inherit).
pub const SAMPLING_CONTEXT_BUDGET: u64 = 1_000_000_000_000_000;

/// A round of the challenge: every setting that defines how a run is scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    /// Dataset tag, e.g. `"v2-phase2"`.
    pub tag: &'static str,
    /// MLP width.
    pub width: usize,
    /// MLP depth.
    pub depth: usize,
    /// Ground-truth samples of the graded suite.
    pub n_samples: u64,
    /// FLOP budget per MLP.
    pub flop_budget: u64,
    /// Residual price λ, FLOPs per second.
    pub lambda_flops_per_second: f64,
    /// Residual wall-time cap (None: no cap).
    pub residual_wall_time_limit_s: Option<f64>,
    /// Per-predict wall-time cap.
    pub wall_time_limit_s: f64,
}

/// The rounds of the challenge, oldest first.
pub const ROUNDS: [Round; 3] = [
    Round {
        tag: "v1-warmup",
        width: 256,
        depth: 8,
        n_samples: 1_000_000_000,
        flop_budget: WARMUP_FLOP_BUDGET,
        lambda_flops_per_second: PHASE1_LAMBDA_FLOPS_PER_SECOND,
        residual_wall_time_limit_s: None,
        wall_time_limit_s: 60.0,
    },
    Round {
        tag: "v1-phase1",
        width: 256,
        depth: 32,
        n_samples: 1_000_000_000,
        flop_budget: PHASE1_FLOP_BUDGET,
        lambda_flops_per_second: PHASE1_LAMBDA_FLOPS_PER_SECOND,
        residual_wall_time_limit_s: None,
        wall_time_limit_s: 60.0,
    },
    Round {
        tag: "v2-phase2",
        width: 1024,
        depth: 16,
        n_samples: 1_000_000_000,
        flop_budget: DEFAULT_FLOP_BUDGET,
        lambda_flops_per_second: DEFAULT_LAMBDA_FLOPS_PER_SECOND,
        residual_wall_time_limit_s: Some(DEFAULT_RESIDUAL_WALL_TIME_LIMIT_S),
        wall_time_limit_s: DEFAULT_WALL_TIME_LIMIT_S,
    },
];

/// The current round's tag.
pub const CURRENT_ROUND: &str = "v2-phase2";

/// Looks up a round by tag.
pub fn round(tag: &str) -> Option<&'static Round> {
    ROUNDS.iter().find(|r| r.tag == tag)
}

/// Everything scoring needs to know about a run's limits.
#[derive(Clone, Debug, PartialEq)]
pub struct ContestSpec {
    /// MLP width.
    pub width: usize,
    /// MLP depth.
    pub depth: usize,
    /// FLOP budget B per MLP.
    pub flop_budget: u64,
    /// Residual price λ.
    pub lambda_flops_per_second: f64,
    /// Per-predict wall-time cap (None: none).
    pub wall_time_limit_s: Option<f64>,
    /// Residual wall-time cap (None: none).
    pub residual_wall_time_limit_s: Option<f64>,
    /// Setup cap.
    pub setup_timeout_s: f64,
}

impl ContestSpec {
    /// The spec of a round.
    pub fn from_round(r: &Round) -> ContestSpec {
        ContestSpec {
            width: r.width,
            depth: r.depth,
            flop_budget: r.flop_budget,
            lambda_flops_per_second: r.lambda_flops_per_second,
            wall_time_limit_s: Some(r.wall_time_limit_s),
            residual_wall_time_limit_s: r.residual_wall_time_limit_s,
            setup_timeout_s: DEFAULT_SETUP_TIMEOUT_S,
        }
    }
}

impl Default for ContestSpec {
    fn default() -> Self {
        ContestSpec::from_round(&ROUNDS[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_current_round() {
        let s = ContestSpec::default();
        assert_eq!(
            (s.width, s.depth, s.flop_budget),
            (1024, 16, 2_199_023_255_552)
        );
        assert_eq!(s.residual_wall_time_limit_s, Some(0.4));
        assert_eq!(round(CURRENT_ROUND).map(|r| r.width), Some(1024));
        assert_eq!(
            round("v1-warmup").map(|r| r.lambda_flops_per_second),
            Some(1e11)
        );
    }
}
