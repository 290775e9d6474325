//! Fault-injection estimator: Hands tensor work to a plain `std::thread`, which flopscope refuses (it would escape the budget), and then does 1 s of raw work on another thread (counted as residual time).

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Hands tensor work to a plain `std::thread`, which flopscope refuses (it would escape the budget), and then does 1 s of raw work on another thread (counted as residual time).
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let w = mlp.weights[0].clone();
        let escaped = std::thread::spawn(move || {
            flopscope::catch_budget(|| w.matmul(&w).sum().item()).is_ok()
        })
        .join()
        .unwrap_or(false);
        assert!(!escaped, "tensor work on a plain thread must be refused");
        std::thread::spawn(|| {
            let t0 = std::time::Instant::now();
            let mut x = 0u64;
            while t0.elapsed().as_millis() < 1000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        })
        .join()
        .ok();
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
