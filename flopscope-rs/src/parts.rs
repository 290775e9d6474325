//! Work cut into parts, run by the calling thread together with the kernel pool.
//!
//! `rayon`'s `install` and `in_place_scope`, called from a thread outside the pool, put that
//! thread to sleep on a lock until the pool is done: on the 2-vCPU dev VM, waking it again
//! took a good share of a short kernel (a 1024 × 1024 f64 matrix–vector product, about 70 µs
//! on two threads, ran 2–10% faster with the caller working and then spinning instead). Here
//! the caller works on the parts itself, and once none is left to start it spins (then
//! yields) until the parts running on pool threads have finished; it never sleeps on a lock.
//!
//! Parts are claimed one at a time from a shared counter, so a thread that is ahead (or a
//! pool thread that starts late) changes only who computes a part, never what it computes.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::cpu_time::kernel_pool;

/// Spin-loop hints the caller issues while waiting before it starts yielding its core
/// (`sched_yield`, which returns at once when no other thread wants the core): about 3 µs on
/// a Zen 3 VM (a `pause` takes ~25 ns there). Spinning longer can hold up the very pool
/// thread being waited for when the scheduler has put it on the caller's core (with 2^14
/// spins, 0.4 ms, one full benchmark run read a 1024² f64 `M·v` at 124 µs instead of about
/// 70; row-filtered runs did not repeat it).
const SPINS_BEFORE_YIELD: u32 = 128;

/// Runs `part(i)` for every `i < parts`, each exactly once, and returns when all have
/// finished. From any thread but the kernel pool's own (a plain thread, or a worker of
/// another rayon pool), the calling thread and all but one of the kernel pool's threads claim
/// the parts in turn (the caller starts with part 0), so the work stays on threads whose CPU
/// time flopscope accounts for. From a kernel pool thread (inside another kernel), the parts
/// run on the pool as a parallel iterator.
///
/// A panic in a part the calling thread runs is raised again once every part that had
/// started has finished (parts not started by then are skipped); one on a pool thread
/// aborts the process, as any panic in a kernel-pool job does.
pub(crate) fn run_parts(parts: usize, part: impl Fn(usize) + Sync) {
    match parts {
        0 => {}
        1 => part(0),
        _ if kernel_pool().current_thread_index().is_some() => {
            (0..parts).into_par_iter().for_each(&part);
        }
        _ => run_with_pool(parts, &part),
    }
}

/// What the caller and the pool threads share: the part function and two counters.
struct Shared {
    /// The part function. Points to the caller's `part`, which outlives every call through
    /// this pointer (see [`run_with_pool`]).
    part: *const (dyn Fn(usize) + Sync),
    /// The next part to claim (values `≥ parts` mean none is left).
    next: AtomicUsize,
    /// Parts claimed or not, but not yet finished.
    unfinished: AtomicUsize,
    /// Number of parts.
    parts: usize,
}

// SAFETY: `part` points to a `Sync` closure (callable from any thread through a shared
// reference), and the counters are atomics; nothing else is shared.
unsafe impl Send for Shared {}
// SAFETY: as for `Send`.
unsafe impl Sync for Shared {}

impl Shared {
    /// Claims and runs parts until none is left to claim.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.parts {
                return;
            }
            let _finished = Finished(&self.unfinished);
            // SAFETY: part `i < parts` was just claimed, so `unfinished` counts it and the
            // caller of `run_with_pool` cannot return (or unwind) before `_finished` is
            // dropped: `part` is still alive.
            unsafe { (*self.part)(i) };
        }
    }
}

/// Marks one claimed part finished when dropped (also when the part panics).
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        // Release: the part's writes happen before the caller sees the count reach zero.
        self.0.fetch_sub(1, Ordering::Release);
    }
}

/// [`run_parts`] from a thread outside any rayon pool (`parts ≥ 2`).
fn run_with_pool(parts: usize, part: &(dyn Fn(usize) + Sync)) {
    // SAFETY: this erases the lifetime of `part` only. Every call through the pointer happens
    // in `Shared::work` for a claimed part, and this function returns or unwinds only after
    // `unfinished` reaches zero, i.e. after every claimed part has finished; a pool job that
    // starts later finds no part to claim and never calls `part`.
    let part: *const (dyn Fn(usize) + Sync + 'static) = unsafe {
        std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync)>(
            part,
        )
    };
    let shared = Arc::new(Shared {
        part,
        next: AtomicUsize::new(1),
        unfinished: AtomicUsize::new(parts),
        parts,
    });
    // One job per pool thread but one: with the caller working, that keeps every core busy
    // without putting more threads than cores to work.
    let pool = kernel_pool();
    for _ in 1..parts.min(pool.current_num_threads()) {
        let shared = Arc::clone(&shared);
        pool.spawn(move || shared.work());
    }
    let mine = catch_unwind(AssertUnwindSafe(|| {
        let finished = Finished(&shared.unfinished);
        // SAFETY: part 0 is the caller's (`next` starts at 1); `part` is alive here.
        unsafe { (*shared.part)(0) };
        drop(finished);
        shared.work();
    }));
    if mine.is_err() {
        // Skip the parts nobody has started.
        let claimed = shared.next.swap(parts, Ordering::Relaxed).min(parts);
        shared
            .unfinished
            .fetch_sub(parts - claimed, Ordering::Relaxed);
    }
    let mut spins = 0;
    // Acquire: pairs with `Finished`'s release, so every part's writes are visible after.
    while shared.unfinished.load(Ordering::Acquire) != 0 {
        if spins < SPINS_BEFORE_YIELD {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    if let Err(panic) = mine {
        resume_unwind(panic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_part_runs_once_from_outside_and_inside_a_pool() {
        for parts in [0, 1, 2, 3, 17, 200] {
            let counts: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            run_parts(parts, |i| {
                counts[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(
                counts.iter().all(|c| c.load(Ordering::Relaxed) == 1),
                "{parts}"
            );
            let again: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            kernel_pool().install(|| {
                run_parts(parts, |i| {
                    again[i].fetch_add(1, Ordering::Relaxed);
                })
            });
            assert!(
                again.iter().all(|c| c.load(Ordering::Relaxed) == 1),
                "{parts}"
            );
        }
    }

    #[test]
    fn parts_called_from_another_pool_run_on_the_caller_and_the_kernel_pool_only() {
        // A worker of a pool that is not flopscope's (an estimator's or a sampler's): its
        // pool's other threads must not take parts (their CPU time is not the kernel pool's).
        let other = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .thread_name(|i| format!("other-{i}"))
            .build()
            .unwrap();
        let ran_on: Vec<Mutex<String>> = (0..8).map(|_| Mutex::default()).collect();
        let caller = other.install(|| {
            run_parts(8, |i| {
                std::thread::sleep(std::time::Duration::from_millis(5));
                *ran_on[i].lock().unwrap() = std::thread::current().name().unwrap_or("").into();
            });
            std::thread::current().name().unwrap_or("").to_owned()
        });
        for name in ran_on.iter().map(|n| n.lock().unwrap().clone()) {
            assert!(
                name == caller || name.starts_with("flopscope-kernel-"),
                "a part ran on {name:?} (caller {caller:?})"
            );
        }
    }

    #[test]
    fn parts_write_borrowed_output_that_the_caller_then_reads() {
        let out: Vec<Mutex<u64>> = (0..64).map(|_| Mutex::new(0)).collect();
        run_parts(64, |i| {
            // Some slow parts, so pool threads are still running when the caller is done.
            let mut x = i as u64;
            for _ in 0..(i % 4) * 20_000 {
                x = std::hint::black_box(x.wrapping_mul(3).wrapping_add(1));
            }
            *out[i].lock().unwrap() = x.max(1);
        });
        assert!(out.iter().all(|v| *v.lock().unwrap() > 0));
    }

    #[test]
    fn a_panicking_part_is_raised_after_the_started_parts_finish() {
        let done = AtomicUsize::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            run_parts(8, |i| {
                if i == 0 {
                    panic!("part 0 failed");
                }
                done.fetch_add(1, Ordering::Relaxed);
            })
        }));
        let panic = result.expect_err("the panic comes back");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"part 0 failed"));
        // Parts 1.. either ran to the end on the pool or were skipped; none is half done, and
        // `done` can be read (the closure's borrow ended when `run_parts` returned).
        assert!(done.load(Ordering::Relaxed) <= 7);
    }
}
