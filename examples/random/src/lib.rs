//! **Random**: the first example of the curriculum (starter kit `01_random.py`). It shows the
//! estimator contract and the seeding rule, and nothing else.
//!
//! - `predict(mlp, budget)` returns one row per layer and one column per neuron: shape
//!   `(mlp.depth, mlp.width)`. Read the shape from `mlp`; never hard-code it.
//! - Randomness is seeded from `mlp.seed`, the per-MLP seed the grader supplies, so a re-run
//!   (or a regrade) reproduces the same predictions. Never seed from the clock.
//!
//! The predictions are uniform in `[0, 1)` and ignore the weights, so this is a baseline, not
//! an estimator: it scores worse than predicting zeros.
//!
//! FLOPs: `8·d·w` — `uniform` draws f64 (`3` per element × rate 2) and the f32 cast bills the
//! heavier f64 rate (`2` per element): 131,072 at 1024×16, as in Python. The draws equal numpy's
//! `default_rng(mlp.seed).uniform(0.0, 1.0, size=(d, w))` bit for bit.

use estimator_api::{Estimator, Mlp};
use flopscope::{random::default_rng, DType, Tensor};

/// Predicts i.i.d. uniform `[0, 1)` values, seeded from `mlp.seed`.
#[derive(Debug, Default)]
pub struct RandomEstimator;

impl Estimator for RandomEstimator {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let mut rng = default_rng(mlp.seed);
        rng.uniform(0.0, 1.0, [mlp.depth, mlp.width])
            .astype(DType::F32)
    }
}

#[cfg(not(feature = "library"))]
estimator_api::export_estimator!(RandomEstimator);
