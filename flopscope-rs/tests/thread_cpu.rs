//! `BudgetContextBuilder::charge_other_threads`: raw work on a plain thread is charged to
//! residual time even while the context's own thread sits in kernels; kernels on flopscope's
//! pool and `thread::scope` tensor work are not.
//!
//! One test function: the charge counts every thread of the process, so nothing else may run
//! beside it (this file is its own test binary).

#![cfg(target_os = "linux")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use flopscope::{BudgetContext, BudgetSummary, DType, Tensor};

/// Runs large matmuls (kernel time on the pool) on this thread for `span`.
fn kernels_for(span: Duration) {
    let a = Tensor::ones([256, 256], DType::F32);
    let t0 = Instant::now();
    while t0.elapsed() < span {
        let _ = a.matmul(&a);
    }
}

/// Spins on a plain thread, with no tensor ops, until `stop` is set.
fn spin_until(stop: &AtomicBool) {
    let mut x = 0u64;
    while !stop.load(Ordering::Relaxed) {
        x = std::hint::black_box(x.wrapping_add(1));
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

/// A context (charging or not) in which this thread runs kernels for 400 ms while, with
/// `raw`, a plain thread spins the whole time.
fn overlapped(charge: bool, raw: bool) -> BudgetSummary {
    let ctx = BudgetContext::builder(u64::MAX / 4)
        .charge_other_threads(charge)
        .open()
        .expect("open");
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        if raw {
            s.spawn(|| spin_until(&stop));
        }
        kernels_for(Duration::from_millis(400));
        stop.store(true, Ordering::Relaxed);
    });
    ctx.finish()
}

#[test]
fn raw_threads_are_charged_and_kernels_are_not() {
    // Warm the kernel pool up so its creation is not inside the measured contexts.
    kernels_for(Duration::from_millis(20));

    let charged = overlapped(true, true);
    assert!(
        charged.unaccounted_thread_cpu_s > 0.1,
        "a spinning thread beside 0.4 s of kernels: {charged:?}"
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
    let scoped_kernels = on_a_scope_worker(|| kernels_for(Duration::from_millis(200)));
    assert!(
        scoped_kernels.unaccounted_thread_cpu_s < 0.05,
        "{scoped_kernels:?}"
    );
    let scoped_raw = on_a_scope_worker(|| {
        let t0 = Instant::now();
        let mut x = 0u64;
        while t0.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    });
    assert!(scoped_raw.unaccounted_thread_cpu_s > 0.1, "{scoped_raw:?}");
}
