//! The simplest estimator: predicts a mean of 0 for every neuron of every layer.
//!
//! It is the baseline every real estimator must beat. `zeros` is free in flopscope, so this
//! estimator spends 0 FLOPs and earns the full 10× budget discount (multiplier 0.1).

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Predicts zeros, shape `(depth, width)`.
#[derive(Default)]
pub struct ZerosEstimator;

impl Estimator for ZerosEstimator {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(ZerosEstimator);
