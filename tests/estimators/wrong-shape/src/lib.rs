//! Fault-injection estimator: Returns the transposed shape (width, depth).

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Returns the transposed shape (width, depth).
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        Tensor::zeros([mlp.width, mlp.depth], DType::F32)
    }
}

export_estimator!(Fault);
