//! Fault-injection estimator: Allocates and touches 4 GiB, past any sane memory limit.

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Allocates and touches 4 GiB, past any sane memory limit.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let mut v = vec![0u8; 4 << 30];
        for i in (0..v.len()).step_by(4096) {
            v[i] = 1;
        }
        std::hint::black_box(&v);
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
