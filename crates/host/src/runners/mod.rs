//! Runners: where an estimator executes. `local` calls the plugin in this process; `subprocess`
//! runs it in a worker process with a memory limit and a hard wall-time kill.

pub mod host_clock;
pub mod local;
pub mod plugin_call;
pub mod subprocess;

use std::sync::Arc;
use whest_score::{ErrorCode, Timing};

use estimator_api::SetupContext;

use crate::isolation::sandbox::SandboxStatus;
use crate::plugin_host::PluginPrediction;

/// A runner-level failure for one MLP or for start-up.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerFailure {
    /// Stage: `load`, `setup` or `predict`.
    pub stage: &'static str,
    /// Code: `SETUP_ERROR`, `SETUP_TIMEOUT`, `PREDICT_TIMEOUT`, `WORKER_EOF`, …
    pub code: ErrorCode,
    /// What happened, in one line.
    pub message: String,
    /// Panic location or worker stderr tail.
    pub traceback: Option<String>,
}

impl std::fmt::Display for RunnerFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// One predict request as runners see it.
#[derive(Debug, Clone, Copy)]
pub struct MlpRequest<'a> {
    /// `d·w·w` f32 weights, layer-major; shared so that runners can lend them without copying.
    pub weights: &'a Arc<[f32]>,
    /// Width.
    pub width: usize,
    /// Depth.
    pub depth: usize,
    /// Participant-facing seed.
    pub seed: u64,
    /// Name.
    pub name: &'a str,
    /// FLOP budget.
    pub budget: u64,
}

/// Something that can run an estimator: start (load + setup), predict per MLP, close.
pub trait EstimatorRunner {
    /// Loads the estimator and runs `setup`. A failure here aborts the run.
    ///
    /// # Errors
    /// [`RunnerFailure`] with stage `load` or `setup`.
    fn start(&mut self, ctx: &SetupContext) -> Result<(), RunnerFailure>;

    /// Runs one predict. Runner-level failures (timeouts, dead workers) are `Err`; everything
    /// the plugin reports (including exhaustion and estimator errors) is `Ok`.
    ///
    /// # Errors
    /// [`RunnerFailure`] with stage `predict` (or `setup` when a restart failed).
    fn predict(&mut self, req: &MlpRequest<'_>) -> Result<PluginPrediction, RunnerFailure>;

    /// Calls `teardown` and releases the estimator.
    fn close(&mut self);

    /// Whether the host's budget context timing is authoritative (true in process).
    fn in_process(&self) -> bool;

    /// What the worker sandbox enforced (`None` for runners without workers, or before
    /// `start`).
    fn sandbox(&self) -> Option<SandboxStatus> {
        None
    }
}

/// Converts what a runner returned into the scorer's [`whest_score::scoring::PredictOutcome`].
pub fn to_outcome(
    result: Result<PluginPrediction, RunnerFailure>,
) -> whest_score::scoring::PredictOutcome {
    use estimator_api::OutcomeCode;
    use whest_score::scoring::{EstimatorStats, PredictOutcome};
    let p = match result {
        Ok(p) => p,
        Err(f) => {
            return PredictOutcome::Error {
                message: f.message,
                error_code: f.code.to_string(),
                traceback: f.traceback,
                details: None,
            }
        }
    };
    let stats = EstimatorStats {
        flops_used: p.flops_used,
        timing: Timing {
            wall_time_s: p.wall_time_s,
            flopscope_backend_time_s: p.backend_time_s,
            flopscope_overhead_time_s: p.overhead_time_s,
            residual_wall_time_s: p.residual_wall_time_s,
        },
        breakdown: p
            .summary_json
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
    };
    let traceback = p.traceback.clone().or(p.message.clone());
    match p.outcome {
        OutcomeCode::Ok => PredictOutcome::Ok {
            predictions: p.predictions,
            stats,
        },
        OutcomeCode::BudgetExhausted => PredictOutcome::BudgetExhausted {
            stats: Some(stats),
            traceback,
        },
        OutcomeCode::TimeExhausted => PredictOutcome::TimeExhausted {
            stats: Some(stats),
            traceback,
        },
        OutcomeCode::Error => PredictOutcome::Error {
            message: p.message.unwrap_or_else(|| "predict failed".to_string()),
            error_code: p
                .error_code
                .unwrap_or_else(|| ErrorCode::PredictError.to_string()),
            traceback: p.traceback,
            details: p
                .details_json
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
        },
    }
}
