//! Fault-injection estimator: Aborts the whole process (a panic=abort crash or `std::process::abort`).

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::Tensor;

/// Aborts the whole process (a panic=abort crash or `std::process::abort`).
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, _mlp: &Mlp, _budget: u64) -> Tensor {
        std::process::abort();
    }
}

export_estimator!(Fault);
