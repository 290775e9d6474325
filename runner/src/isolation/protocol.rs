//! Messages between the runner and its worker process (headers of [`super::ipc`] frames). The
//! predict reply's header is [`crate::plugin_host::PluginPrediction`] itself.

use serde::{Deserialize, Serialize};

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
