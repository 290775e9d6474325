//! Fault-injection estimator: Dies of SIGSEGV, as a crash in unsafe code would.

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::Tensor;

/// Dies of SIGSEGV, as a crash in unsafe code would.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, _mlp: &Mlp, _budget: u64) -> Tensor {
        // SAFETY: restoring the default disposition and raising a signal have no memory-safety
        // preconditions; std's own SIGSEGV handler (for stack overflows) is bypassed so the
        // process dies of SIGSEGV, as a wild pointer write would kill it.
        unsafe {
            libc::signal(libc::SIGSEGV, libc::SIG_DFL);
            libc::raise(libc::SIGSEGV);
        }
        unreachable!("SIGSEGV terminates the process");
    }
}

export_estimator!(Fault);
