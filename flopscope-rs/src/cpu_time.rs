//! CPU clocks for charging work on threads no context accounts for, and the dedicated thread
//! pool that runs flopscope's parallel kernels.
//!
//! Parallel kernels (large GEMMs, the dense decompositions) run on a rayon pool of their own,
//! not on the global one, so the CPU time they use is known exactly: every pool thread
//! registers its CPU clock when it starts. A context opened with
//! [`crate::BudgetContextBuilder::charge_other_threads`] compares the process's CPU time with
//! the CPU time of the threads it accounts for (its own thread, this pool, its
//! `flopscope::thread::scope` workers) and charges the difference to residual time.
//!
//! CPU clocks are read on Linux only; elsewhere nothing is charged.

#[cfg(target_os = "linux")]
use std::sync::Mutex;
use std::sync::OnceLock;

/// The pool that runs flopscope's parallel kernels (`RAYON_NUM_THREADS` or one thread per
/// core, like rayon's global pool), created on first use.
pub(crate) fn kernel_pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let build = || {
            rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("flopscope-kernel-{i}"))
                .start_handler(|_| register_kernel_thread())
        };
        // A pool that cannot start threads falls back to one that runs on the caller only.
        build()
            .build()
            .or_else(|_| build().num_threads(1).use_current_thread().build())
            .unwrap_or_else(|e| panic!("flopscope cannot create its kernel thread pool: {e}"))
    })
}

/// Runs `f` on the kernel pool (the caller waits, using no CPU), so rayon parallelism inside
/// `f` — `gemm`'s and `faer`'s — uses the pool's threads.
pub(crate) fn in_kernel_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    kernel_pool().install(f)
}

/// CPU clocks of the kernel pool's threads.
#[cfg(target_os = "linux")]
static KERNEL_CLOCKS: Mutex<Vec<libc::clockid_t>> = Mutex::new(Vec::new());

#[cfg(target_os = "linux")]
fn register_kernel_thread() {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `pthread_self()` is the calling, live thread; `clock` is a valid out-pointer.
    let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    if rc == 0 {
        if let Ok(mut clocks) = KERNEL_CLOCKS.lock() {
            clocks.push(clock);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn register_kernel_thread() {}

#[cfg(target_os = "linux")]
fn read_clock(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; an invalid clock id only makes the call fail.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// CPU time of the whole process, nanoseconds (Linux; `None` elsewhere).
pub(crate) fn process_cpu_ns() -> Option<u64> {
    #[cfg(target_os = "linux")]
    return read_clock(libc::CLOCK_PROCESS_CPUTIME_ID);
    #[cfg(not(target_os = "linux"))]
    None
}

/// CPU time of the calling thread, nanoseconds (Linux; `None` elsewhere).
pub(crate) fn thread_cpu_ns() -> Option<u64> {
    #[cfg(target_os = "linux")]
    return read_clock(libc::CLOCK_THREAD_CPUTIME_ID);
    #[cfg(not(target_os = "linux"))]
    None
}

/// Total CPU time of the kernel pool's threads, nanoseconds (0 before the pool exists).
pub(crate) fn kernel_pool_cpu_ns() -> u64 {
    #[cfg(target_os = "linux")]
    if let Ok(clocks) = KERNEL_CLOCKS.lock() {
        return clocks.iter().filter_map(|&c| read_clock(c)).sum();
    }
    0
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn pool_threads_register_their_clocks_and_work_shows_up() {
        // Burn a fixed 30 ms of the pool thread's own CPU (not of wall time, which a loaded
        // machine would stretch without adding CPU time).
        const BURN_NS: u64 = 30_000_000;
        let before = kernel_pool_cpu_ns();
        let burnt = in_kernel_pool(|| {
            let start = thread_cpu_ns().expect("thread CPU clock");
            let mut x = 0u64;
            loop {
                let now = thread_cpu_ns().expect("thread CPU clock");
                if now - start >= BURN_NS {
                    return now - start;
                }
                for _ in 0..10_000 {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
        });
        let used = kernel_pool_cpu_ns() - before;
        assert!(
            used >= burnt,
            "pool CPU grew by {used} ns, its thread burnt {burnt}"
        );
        assert!(process_cpu_ns().is_some());
    }
}
