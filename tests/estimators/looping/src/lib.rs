//! Fault-injection estimator: Never returns (and does no tensor ops, so no cooperative check can stop it).

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::Tensor;

/// Never returns (and does no tensor ops, so no cooperative check can stop it).
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, _mlp: &Mlp, _budget: u64) -> Tensor {
        let mut x = 0u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

export_estimator!(Fault);
