//! Fault-injection estimator: ends its host the ways a local runner cannot prevent. The first
//! predict closes descriptor 1 (the runner's stdout, where `--json` goes); the second calls
//! `std::process::exit(0)`.

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Closes stdout, then exits.
#[derive(Default)]
pub struct Fault {
    calls: u32,
}

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        self.calls += 1;
        if self.calls == 1 {
            // SAFETY: closing descriptor 1 of this process, on purpose.
            unsafe { libc::close(1) };
        } else {
            std::process::exit(0);
        }
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
