//! Fault-injection estimator: panics inside predict. The first call panics with a message; the
//! ones after it with a payload whose own `Drop` panics too, which must not abort the runner
//! (a panic unwinding out of the plugin's C entry points would).

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::Tensor;

/// Panics inside predict.
#[derive(Default)]
pub struct Fault {
    calls: usize,
}

/// A panic payload that panics again when it is dropped.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("estimator bug: a panic payload that panics when dropped");
    }
}

impl Estimator for Fault {
    fn predict(&mut self, _mlp: &Mlp, _budget: u64) -> Tensor {
        self.calls += 1;
        if self.calls == 1 {
            panic!("estimator bug: index out of range on purpose");
        }
        std::panic::panic_any(PanicsWhenDropped);
    }
}

export_estimator!(Fault);
