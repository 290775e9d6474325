//! Fault-injection estimator: Keeps computing until the FLOP budget runs out.

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Keeps computing until the FLOP budget runs out.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let x = Tensor::ones([mlp.width, mlp.width], DType::F64);
        loop {
            std::hint::black_box(x.exp());
        }
    }
}

export_estimator!(Fault);
