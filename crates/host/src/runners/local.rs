//! The in-process runner (`--runner local`): fastest, and the default for debugging. Panics are
//! caught by the plugin; the wall-time limit is cooperative (checked at every tensor op) and
//! checked again on the runner's clock ([`super::host_clock`]). The weights are lent to the
//! plugin without a copy (it holds a reference to the shared buffer). Every plugin call runs
//! under [`super::plugin_call::guarded`]: stdout points at stderr meanwhile, and a plugin that
//! ends the process is reported. Native crashes cannot be contained here: use the subprocess
//! runner for untrusted code.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use whest_score::ErrorCode;

use estimator_api::{EntryFn, SetupContext};

use super::host_clock::{self, HostClock};
use super::plugin_call::guarded;
use super::{EstimatorRunner, MlpRequest, RunnerFailure};
use crate::plugin_host::{LoadedEstimator, PluginPrediction, PredictRequest, SharedWeights};

/// Runs the estimator plugin inside this process.
pub struct LocalRunner {
    library: PathBuf,
    wall_time_limit_s: Option<f64>,
    setup_timeout_s: f64,
    estimator: Option<LoadedEstimator>,
    /// The entry point of an estimator linked into this binary (then `library` only names it).
    linked: Option<EntryFn>,
}

impl LocalRunner {
    /// A runner for the plugin at `library`.
    pub fn new(library: PathBuf, wall_time_limit_s: Option<f64>, setup_timeout_s: f64) -> Self {
        LocalRunner {
            library,
            wall_time_limit_s,
            setup_timeout_s,
            estimator: None,
            linked: None,
        }
    }

    /// A runner for an estimator linked into this binary: `entry` is an `extern "C" fn`
    /// returning `estimator_api::estimator_table!(T)`; `name` stands for its path in messages.
    ///
    /// # Safety
    /// `entry` returns null or a pointer to an estimator table valid for the rest of the
    /// process (what `estimator_table!` returns).
    pub unsafe fn linked(
        entry: EntryFn,
        name: PathBuf,
        wall_time_limit_s: Option<f64>,
        setup_timeout_s: f64,
    ) -> Self {
        LocalRunner {
            linked: Some(entry),
            ..LocalRunner::new(name, wall_time_limit_s, setup_timeout_s)
        }
    }
}

impl EstimatorRunner for LocalRunner {
    fn start(&mut self, ctx: &SetupContext) -> Result<(), RunnerFailure> {
        let loaded = match self.linked {
            // SAFETY: guaranteed by the caller of `LocalRunner::linked`.
            Some(entry) => unsafe { LoadedEstimator::from_entry(entry, &self.library) },
            None => LoadedEstimator::load(&self.library),
        };
        let mut est = loaded.map_err(|e| RunnerFailure {
            stage: "load",
            code: ErrorCode::EstimatorLoadError,
            message: e.to_string(),
            traceback: None,
        })?;
        let t0 = Instant::now();
        guarded("setup", || est.setup(ctx)).map_err(|e| RunnerFailure {
            stage: "setup",
            code: ErrorCode::SetupError,
            message: e.message,
            traceback: e.traceback,
        })?;
        let took = t0.elapsed().as_secs_f64();
        if took > self.setup_timeout_s {
            return Err(RunnerFailure {
                stage: "setup",
                code: ErrorCode::SetupTimeout,
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
            code: ErrorCode::RunnerNotStarted,
            message: "predict called before start".into(),
            traceback: None,
        })?;
        let what = format!("predict on MLP '{}'", req.name);
        let clock = HostClock::start(None);
        let p = guarded(&what, || {
            est.predict(PredictRequest {
                weights: SharedWeights::from_arc(Arc::clone(req.weights)),
                width: req.width,
                depth: req.depth,
                seed: req.seed,
                name: req.name,
                budget: req.budget,
                wall_time_limit_s: self.wall_time_limit_s,
            })
        });
        host_clock::check(
            p,
            clock.stop(),
            self.wall_time_limit_s,
            host_clock::kernel_threads(),
        )
    }

    fn close(&mut self) {
        if let Some(mut est) = self.estimator.take() {
            let _ = guarded("teardown", || est.teardown());
        }
    }

    fn in_process(&self) -> bool {
        true
    }
}
