//! Fault-injection estimator: Panics inside predict.

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::Tensor;

/// Panics inside predict.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, _mlp: &Mlp, _budget: u64) -> Tensor {
        panic!("estimator bug: index out of range on purpose");
    }
}

export_estimator!(Fault);
