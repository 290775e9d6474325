//! The in-process runner (`--runner local`): fastest, and the default for debugging. Panics are
//! caught by the plugin; the wall-time limit is cooperative (checked at every tensor op). The
//! weights are lent to the plugin without a copy (it holds a reference to the shared buffer).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use estimator_api::SetupContext;

use super::{EstimatorRunner, MlpRequest, RunnerFailure};
use crate::plugin_host::{LoadedEstimator, PluginPrediction, PredictRequest, SharedWeights};

/// Runs the estimator plugin inside this process.
pub struct LocalRunner {
    library: PathBuf,
    wall_time_limit_s: Option<f64>,
    setup_timeout_s: f64,
    estimator: Option<LoadedEstimator>,
}

impl LocalRunner {
    /// A runner for the plugin at `library`.
    pub fn new(library: PathBuf, wall_time_limit_s: Option<f64>, setup_timeout_s: f64) -> Self {
        LocalRunner {
            library,
            wall_time_limit_s,
            setup_timeout_s,
            estimator: None,
        }
    }
}

impl EstimatorRunner for LocalRunner {
    fn start(&mut self, ctx: &SetupContext) -> Result<(), RunnerFailure> {
        let mut est = LoadedEstimator::load(&self.library).map_err(|e| RunnerFailure {
            stage: "load",
            code: "ESTIMATOR_LOAD_ERROR",
            message: e.to_string(),
            traceback: None,
        })?;
        let t0 = Instant::now();
        est.setup(ctx).map_err(|e| RunnerFailure {
            stage: "setup",
            code: "SETUP_ERROR",
            message: e.message,
            traceback: e.traceback,
        })?;
        let took = t0.elapsed().as_secs_f64();
        if took > self.setup_timeout_s {
            return Err(RunnerFailure {
                stage: "setup",
                code: "SETUP_TIMEOUT",
                message: format!(
                    "setup took {took:.2} s, over the {:.1} s limit",
                    self.setup_timeout_s
                ),
                traceback: None,
            });
        }
        self.estimator = Some(est);
        Ok(())
    }

    fn predict(&mut self, req: &MlpRequest<'_>) -> Result<PluginPrediction, RunnerFailure> {
        let est = self.estimator.as_mut().ok_or_else(|| RunnerFailure {
            stage: "predict",
            code: "RUNNER_NOT_STARTED",
            message: "predict called before start".into(),
            traceback: None,
        })?;
        Ok(est.predict(PredictRequest {
            weights: SharedWeights::from_arc(Arc::clone(req.weights)),
            width: req.width,
            depth: req.depth,
            seed: req.seed,
            name: req.name,
            budget: req.budget,
            wall_time_limit_s: self.wall_time_limit_s,
        }))
    }

    fn close(&mut self) {
        if let Some(mut est) = self.estimator.take() {
            let _ = est.teardown();
        }
    }

    fn in_process(&self) -> bool {
        true
    }
}
