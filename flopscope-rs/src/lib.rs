//! # flopscope
//!
//! A FLOP-counted tensor DSL whose accounting equals Python flopscope 0.12.4's cost model.
//!
//! Estimators written with [`Tensor`] are charged, op by op, to the [`BudgetContext`] open on the
//! current thread, at flopscope's prices: `floor(analytic count × dtype rate × weight)`. Running
//! out of budget stops an op *before* it runs.
//!
//! [`gemm`] exposes the raw (uncounted) float matrix product the kernels use, for code outside
//! an estimator's metered work, such as a ground-truth sampler or a benchmark.
//!
//! ```
//! use flopscope::{BudgetContext, DType, Tensor};
//! let ctx = BudgetContext::new(1_000_000).unwrap();
//! let w = Tensor::eye(4, DType::F32);              // eye: 4 FLOPs
//! let x = Tensor::ones([4], DType::F32);           // ones: 4 FLOPs
//! let h = x.matmul(&w).maximum_scalar(0.0);        // matmul (2·4−1)·4 = 28, maximum 4
//! assert_eq!(h.to_vec::<f32>(), vec![1.0; 4]);
//! assert_eq!(ctx.flops_used(), 4 + 4 + 28 + 4);
//! ```

pub mod budget;
mod buffer;
mod cpu_time;
mod dtype;
mod element;
mod elements;
pub mod gemm;
mod kernels;
pub mod linalg;
mod ops;
mod parts;
pub mod random;
pub mod scalar;
mod shape;
pub mod stats;
mod storage;
mod symmetry;
mod tensor;
#[cfg(test)]
mod test_data;
pub mod thread;

pub use budget::{
    catch_budget, namespace, BudgetContext, BudgetError, BudgetExhausted, BudgetSummary,
    TimeExhausted,
};
pub use dtype::{DType, WeakScalar};
pub use element::Element;
pub use ops::einsum::einsum;
pub use ops::elementwise::{where_, Operand};
pub use ops::index::SliceArg;
pub use shape::{Shape, MAX_NDIM};
pub use storage::SharedElements;
pub use tensor::Tensor;

/// This crate's version (`CARGO_PKG_VERSION`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The README's Rust examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
