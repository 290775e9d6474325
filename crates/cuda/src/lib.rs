//! # whest-cuda
//!
//! Monte-Carlo ground truth on an NVIDIA GPU behind [`whest_contest::Sampler`]: one fused
//! kernel (CUDA C compiled at run time by NVRTC) draws each sample's inputs from the Philox
//! stream of [`whest_contest::philox`], pushes tiles of samples through every layer in shared
//! memory with fp32 FMAs and ReLU, and accumulates per-neuron sums (and the last layer's sums
//! of squares) in f64, several MLPs per launch when one cannot fill the GPU. The driver and
//! NVRTC are loaded with `dlopen` when a sampler is opened, so this crate builds, and binaries
//! start, on machines without CUDA.
//!
//! | module | job |
//! |---|---|
//! | [`error`] | [`CudaError`]: why the GPU sampler could not start or finish |
//! | [`libraries`] | is libcuda / libnvrtc loadable (asked before any call that would panic) |
//! | [`kernel`] | the kernel source, its compile-time shape per width, NVRTC options |
//! | [`batch`] | the host side of a launch: padding, keys, block counts, the f64 reduction |
//! | [`sampler`] | [`CudaSampler`]: open a GPU, compile, launch, reduce |
//!
//! Each module uses only those above it in this table.

pub mod batch;
pub mod error;
pub mod kernel;
pub mod libraries;
pub mod sampler;

pub use error::CudaError;
pub use sampler::CudaSampler;
