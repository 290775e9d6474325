//! Messages between the runner and its worker process (headers of [`super::ipc`] frames).

use serde::{Deserialize, Serialize};

use crate::plugin_host::PluginPrediction;
use estimator_api::OutcomeCode;

/// A request from the runner to the worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    /// Load the estimator and run `setup`.
    Start {
        /// Path of the estimator `cdylib`.
        library: String,
        /// Setup context fields.
        width: usize,
        /// MLP depth.
        depth: usize,
        /// FLOP budget per predict.
        flop_budget: u64,
        /// Contract version.
        api_version: String,
        /// Scratch directory.
        scratch_dir: Option<String>,
        /// Submission directory.
        submission_dir: Option<String>,
        /// Run seed.
        seed: u64,
    },
    /// Run one predict; the frame's payload carries the `d·w·w` weights.
    Predict {
        /// MLP width.
        width: usize,
        /// MLP depth.
        depth: usize,
        /// Participant-facing seed.
        seed: u64,
        /// MLP name.
        name: String,
        /// FLOP budget.
        budget: u64,
        /// Cooperative wall-time limit.
        wall_time_limit_s: Option<f64>,
    },
    /// Run `teardown` and exit.
    Close,
}

/// The worker's reply to `Start` or `Close`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatusReply {
    /// `"ok"`, `"load_error"` or `"runtime_error"`.
    pub status: String,
    /// Error message.
    pub error_message: Option<String>,
    /// Panic location.
    pub traceback: Option<String>,
}

impl StatusReply {
    /// A success reply.
    pub fn ok() -> StatusReply {
        StatusReply {
            status: "ok".into(),
            error_message: None,
            traceback: None,
        }
    }
}

/// The worker's reply to `Predict` (predictions travel in the frame payload).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PredictReply {
    /// [`OutcomeCode`] wire value.
    pub outcome: i32,
    /// FLOPs charged.
    pub flops_used: u64,
    /// Context wall time.
    pub wall_time_s: f64,
    /// Kernel time.
    pub backend_time_s: f64,
    /// Accounting time.
    pub overhead_time_s: f64,
    /// Residual time.
    pub residual_wall_time_s: f64,
    /// flopscope summary JSON.
    pub summary_json: Option<String>,
    /// Error code.
    pub error_code: Option<String>,
    /// Message.
    pub message: Option<String>,
    /// Panic location.
    pub traceback: Option<String>,
    /// Error details JSON.
    pub details_json: Option<String>,
}

impl PredictReply {
    /// Splits a prediction into the header and the payload.
    pub fn from_prediction(p: PluginPrediction) -> (PredictReply, Vec<f32>) {
        (
            PredictReply {
                outcome: p.outcome.to_raw(),
                flops_used: p.flops_used,
                wall_time_s: p.wall_time_s,
                backend_time_s: p.backend_time_s,
                overhead_time_s: p.overhead_time_s,
                residual_wall_time_s: p.residual_wall_time_s,
                summary_json: p.summary_json,
                error_code: p.error_code,
                message: p.message,
                traceback: p.traceback,
                details_json: p.details_json,
            },
            p.predictions,
        )
    }

    /// Rebuilds the prediction from the header and the payload.
    pub fn into_prediction(self, predictions: Vec<f32>) -> PluginPrediction {
        PluginPrediction {
            outcome: OutcomeCode::from_raw(self.outcome).unwrap_or(OutcomeCode::Error),
            predictions,
            flops_used: self.flops_used,
            wall_time_s: self.wall_time_s,
            backend_time_s: self.backend_time_s,
            overhead_time_s: self.overhead_time_s,
            residual_wall_time_s: self.residual_wall_time_s,
            summary_json: self.summary_json,
            error_code: self.error_code,
            message: self.message,
            traceback: self.traceback,
            details_json: self.details_json,
        }
    }
}
