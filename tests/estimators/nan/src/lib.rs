//! Fault-injection estimator: Returns NaN predictions.

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Returns NaN predictions.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        Tensor::full([mlp.depth, mlp.width], f64::NAN, DType::F32)
    }
}

export_estimator!(Fault);
