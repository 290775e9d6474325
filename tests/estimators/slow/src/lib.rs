//! Fault-injection estimator: Spends 1 s of its own time between tensor ops (residual time over the 0.4 s cap).

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Spends 1 s of its own time between tensor ops (residual time over the 0.4 s cap).
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        std::thread::sleep(std::time::Duration::from_secs(1));
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
