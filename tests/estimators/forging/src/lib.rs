//! Fault-injection estimator: writes a forged reply frame straight to the worker's reply
//! descriptor (opened through `/proc/self/fd`, in safe Rust): a valid header followed by a
//! payload length of about 2⁶⁴ bytes, which a runner that allocates what it is told aborts on.
//! The worker sandbox refuses the reopen (seccomp: no open for writing), so this reaches the
//! runner only with `--sandbox off`.

use std::io::Write;

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Forges a frame in `predict`.
#[derive(Default)]
pub struct Fault;

/// The worker's reply descriptor.
const REPLY_FD: u32 = 4;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let mut frame = Vec::new();
        frame.extend_from_slice(&2u32.to_le_bytes());
        frame.extend_from_slice(b"{}");
        frame.extend_from_slice(&(u64::MAX - 3).to_le_bytes());
        if let Ok(mut out) = std::fs::OpenOptions::new()
            .write(true)
            .open(format!("/proc/self/fd/{REPLY_FD}"))
        {
            let _ = out.write_all(&frame);
        }
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
