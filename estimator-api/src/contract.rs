//! The `Estimator` trait and the `SetupContext` handed to `setup`.

use std::path::PathBuf;

use flopscope::Tensor;

use crate::mlp::Mlp;

/// `SetupContext.api_version` sent by the runner (the Python CLI sends "1.0" too).
pub const API_VERSION: &str = "1.0";

/// What `setup` learns about the run (spec §6.1).
#[derive(Clone, Debug, PartialEq)]
pub struct SetupContext {
    /// Width of every MLP in the run.
    pub width: usize,
    /// Depth (number of layers) of every MLP in the run.
    pub depth: usize,
    /// FLOP budget per `predict` call.
    pub flop_budget: u64,
    /// Contract version, [`API_VERSION`].
    pub api_version: String,
    /// A writable scratch directory, when the runner provides one.
    pub scratch_dir: Option<PathBuf>,
    /// The directory the estimator was loaded from (ship weights or tables next to it).
    pub submission_dir: Option<PathBuf>,
    /// The run seed (`--seed`, or 0); seed setup-time randomness from it.
    pub seed: u64,
}

/// A WhestBench estimator: predicts the mean of every neuron after every layer of an MLP.
///
/// The runner creates one instance per worker with `Default::default()`, calls `setup` once,
/// `predict` once per MLP, and `teardown` when it closes.
pub trait Estimator: Default {
    /// Optional one-time preparation (unmetered, but capped at 5 s by the runner). Tensor ops
    /// here are charged to flopscope's default context, not to any MLP's budget.
    fn setup(&mut self, _ctx: &SetupContext) {}

    /// Returns a `(depth, width)` tensor: row `l` is the predicted mean of each neuron after
    /// layer `l` (post-ReLU). Runs inside a `BudgetContext` of `budget` FLOPs; an op that would
    /// overspend it stops the prediction (the MLP then scores as a budget failure). Seed any
    /// randomness from `mlp.seed`.
    fn predict(&mut self, mlp: &Mlp, budget: u64) -> Tensor;

    /// Optional clean-up when the runner closes.
    fn teardown(&mut self) {}
}
