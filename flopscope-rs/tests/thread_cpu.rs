//! `BudgetContextBuilder::charge_other_threads`: raw work on a plain thread is charged to
//! residual time even while the context's own thread sits in kernels; kernels on flopscope's
//! pool and `thread::scope` tensor work are not.
//!
//! One test function in a test binary of its own: the charge counts every thread of the
//! process, so nothing else may run beside it. Raw work burns a fixed amount of its own
//! thread's CPU time (not wall time) and kernels run a fixed number of products, so the
//! measured amounts do not depend on how loaded the machine is.

#![cfg(target_os = "linux")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flopscope::{BudgetContext, BudgetSummary, DType, Tensor};

/// Raw CPU time each plain or scope worker burns; the charge is asserted above half of it.
const RAW_CPU: Duration = Duration::from_millis(300);

/// The calling thread's CPU clock.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer and `CLOCK_THREAD_CPUTIME_ID` a clock every Linux
    // thread has.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "cannot read this thread's CPU clock");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Spins, with no tensor ops, until this thread has used `cpu` more CPU time.
fn burn_thread_cpu(cpu: Duration) {
    let until = thread_cpu() + cpu;
    let mut x = 0u64;
    while thread_cpu() < until {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

/// One large matmul (kernel time on the pool; the calling thread waits).
fn one_kernel(a: &Tensor) {
    let _ = a.matmul(a);
}

/// Runs `count` large matmuls on this thread.
fn kernels(count: usize) {
    let a = Tensor::ones([256, 256], DType::F32);
    for _ in 0..count {
        one_kernel(&a);
    }
}

/// A charging context in which one `flopscope::thread::scope` worker runs `work`.
fn on_a_scope_worker(work: impl FnOnce() + Send) -> BudgetSummary {
    let ctx = BudgetContext::builder(u64::MAX / 4)
        .charge_other_threads(true)
        .open()
        .expect("open");
    flopscope::thread::scope(|s| {
        s.spawn(work);
    });
    ctx.finish()
}

/// A context (charging or not) in which this thread runs kernels: with `raw`, until a plain
/// thread has burnt [`RAW_CPU`] of its own CPU beside them; without, a fixed 40 products.
fn overlapped(charge: bool, raw: bool) -> BudgetSummary {
    let ctx = BudgetContext::builder(u64::MAX / 4)
        .charge_other_threads(charge)
        .open()
        .expect("open");
    if raw {
        let done = AtomicBool::new(false);
        let a = Tensor::ones([256, 256], DType::F32);
        std::thread::scope(|s| {
            s.spawn(|| {
                burn_thread_cpu(RAW_CPU);
                done.store(true, Ordering::Relaxed);
            });
            while !done.load(Ordering::Relaxed) {
                one_kernel(&a);
            }
        });
    } else {
        kernels(40);
    }
    ctx.finish()
}

#[test]
fn raw_threads_are_charged_and_kernels_are_not() {
    // Warm the kernel pool up so its creation is not inside the measured contexts.
    kernels(2);
    let half = RAW_CPU.as_secs_f64() / 2.0;

    let charged = overlapped(true, true);
    assert!(
        charged.unaccounted_thread_cpu_s > half,
        "a thread burning {RAW_CPU:?} of CPU beside kernels: {charged:?}"
    );
    let decomposed =
        charged.wall_time_s - charged.flopscope_backend_time_s - charged.flopscope_overhead_time_s;
    assert!(
        charged.residual_wall_time_s
            >= decomposed.max(0.0) + charged.unaccounted_thread_cpu_s - 1e-9
    );

    let uncharged = overlapped(false, true);
    assert_eq!(uncharged.unaccounted_thread_cpu_s, 0.0);

    let honest = overlapped(true, false);
    assert!(
        honest.unaccounted_thread_cpu_s < 0.05,
        "kernels alone must not be charged: {honest:?}"
    );

    // Tensor work on `thread::scope` workers is accounted; their raw work is not free.
    let scoped_kernels = on_a_scope_worker(|| kernels(20));
    assert!(
        scoped_kernels.unaccounted_thread_cpu_s < 0.05,
        "{scoped_kernels:?}"
    );
    let scoped_raw = on_a_scope_worker(|| burn_thread_cpu(RAW_CPU));
    assert!(scoped_raw.unaccounted_thread_cpu_s > half, "{scoped_raw:?}");
}
