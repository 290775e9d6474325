//! # estimator-api
//!
//! The contract between a WhestBench estimator written in Rust and `whest-runner`:
//!
//! - [`Estimator`]: `setup` (optional, once per worker), `predict` (required), `teardown`.
//! - [`Mlp`]: the network to analyse (f32 weights in the row-vector layout `h' = max(0, h·W)`).
//! - [`SetupContext`]: what `setup` learns about the run.
//! - [`export_estimator!`]: generates the versioned `#[repr(C)]` entry table that makes a
//!   `cdylib` crate loadable by the runner. The FLOP budget context is opened *inside* the
//!   plugin around `predict`, so the accounting is done by the same `flopscope` the estimator
//!   links; no panic or budget payload ever crosses the FFI boundary.
//!
//! ```
//! use estimator_api::{Estimator, Mlp};
//! use flopscope::{DType, Tensor};
//!
//! /// Predicts zero for every neuron.
//! #[derive(Default)]
//! struct Zeros;
//!
//! impl Estimator for Zeros {
//!     fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
//!         Tensor::zeros([mlp.depth, mlp.width], DType::F32)
//!     }
//! }
//! // In a cdylib crate: estimator_api::export_estimator!(Zeros);
//! ```

mod abi;
mod contract;
mod lent;
mod mlp;
mod plugin;

pub use abi::{
    EntryFn, EstimatorTable, OutcomeCode, PredictArgs, PredictResult, ReleaseFn, SetupArgs,
    StatusOut, ABI_VERSION, CHARGE_OTHER_THREADS_ENV, ENTRY_SYMBOL, METER_CHARGE_OTHER_THREADS,
    METER_EXCLUSIVE_CONTEXT,
};
pub use contract::{Estimator, SetupContext, API_VERSION};
pub use mlp::{Mlp, MlpError};
#[doc(hidden)]
pub use plugin::__private;

/// The `flopscope` version this API was built with (reported in the entry table).
pub const FLOPSCOPE_VERSION: &str = flopscope::VERSION;
