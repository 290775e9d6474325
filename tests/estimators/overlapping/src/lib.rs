//! Fault-injection estimator: spins a plain thread on raw work for about a second while its
//! own thread runs flopscope matmuls, so the wall clock shows almost no residual time; the
//! runner charges the spinning thread's CPU time to residual time instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Spins a plain thread beside a second of kernels; predicts zeros.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            });
            let a = Tensor::ones([256, 256], DType::F32);
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(1) {
                let _ = a.matmul(&a);
            }
            stop.store(true, Ordering::Relaxed);
        });
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
