//! Fault-injection estimator: in `setup` it sets `WHEST_CHARGE_OTHER_THREADS=0` in its own
//! process (the variable that used to switch the other-thread CPU charge), then, like
//! `fault-overlapping`, a plain thread burns one second of its CPU time on raw work while
//! `predict` runs flopscope matmuls. The runner fixes the charge when it loads the plugin, so
//! the spinning thread is still charged to residual time.

use std::sync::atomic::{AtomicBool, Ordering};

use estimator_api::{export_estimator, Estimator, Mlp, SetupContext, CHARGE_OTHER_THREADS_ENV};
use flopscope::{DType, Tensor};

/// CPU time the plain thread burns, nanoseconds (past the 0.4 s residual cap, since it is CPU
/// time, not wall time).
const RAW_CPU_NS: u64 = 1_000_000_000;

/// This thread's CPU time, nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer for `clock_gettime`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Turns the charge "off", then spins a plain thread beside matmuls; predicts zeros.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn setup(&mut self, _ctx: &SetupContext) {
        std::env::set_var(CHARGE_OTHER_THREADS_ENV, "0");
    }

    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let start = thread_cpu_ns();
                let mut x = 0u64;
                while thread_cpu_ns() - start < RAW_CPU_NS {
                    for _ in 0..10_000 {
                        x = std::hint::black_box(x.wrapping_add(1));
                    }
                }
                done.store(true, Ordering::Relaxed);
            });
            let a = Tensor::ones([256, 256], DType::F32);
            while !done.load(Ordering::Relaxed) {
                let _ = a.matmul(&a);
            }
        });
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
