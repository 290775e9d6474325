//! Messages between the runner and its worker process (headers of [`super::ipc`] frames).

use serde::{Deserialize, Serialize};

use super::sandbox::{SandboxMode, SandboxStatus};
use crate::plugin_host::PluginPrediction;

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
        /// The sandbox to apply before the plugin is loaded.
        #[serde(default)]
        sandbox: SandboxMode,
    },
    /// Run one predict on the `d·w·w` weights in the shared arena or in the frame's payload.
    Predict {
        /// The weights are in the shared arena ([`super::arena`]); the payload is empty.
        weights_in_arena: bool,
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
    /// `"ok"`, `"load_error"`, `"sandbox_error"` or `"runtime_error"`.
    pub status: String,
    /// Error message.
    pub error_message: Option<String>,
    /// Panic location.
    pub traceback: Option<String>,
    /// Whether the worker mapped the runner's weights arena (predicts may then use it).
    #[serde(default)]
    pub weights_arena: bool,
    /// What the worker's sandbox enforced (in the reply to `Start`).
    #[serde(default)]
    pub sandbox: Option<SandboxStatus>,
}

impl StatusReply {
    /// A success reply.
    pub fn ok() -> StatusReply {
        StatusReply {
            status: "ok".into(),
            error_message: None,
            traceback: None,
            weights_arena: false,
            sandbox: None,
        }
    }

    /// A failure reply with `status` and `message`.
    pub fn failed(status: &str, message: String) -> StatusReply {
        StatusReply {
            status: status.into(),
            error_message: Some(message),
            ..StatusReply::ok()
        }
    }
}

/// The worker's reply to `Predict`; the frame's payload carries the predictions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PredictReply {
    /// What the plugin returned (predictions excluded: they are the payload).
    #[serde(flatten)]
    pub prediction: PluginPrediction,
    /// The plugin still holds tensors over the weights arena, so the runner must not write the
    /// next MLP's weights into it (they go in the payload until a reply says otherwise).
    pub weights_retained: bool,
}
