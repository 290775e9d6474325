//! # whest-contest
//!
//! What a WhestBench contest is, independent of how it is stored or scored: the rounds and their
//! settings, MLP generation (He-initialised weights and the per-MLP seed streams, bit-identical
//! to numpy), the participant-facing names, and the Monte-Carlo ground truth behind the
//! [`Sampler`] seam.
//!
//! | module | job |
//! |---|---|
//! | [`rounds`] | round presets (`v1-warmup`, `v1-phase1`, `v2-phase2`), limits and defaults |
//! | [`numeric`] | numpy-order pairwise sums and Python-order means |
//! | [`names`] | faker-compatible MLP names from seeds (Mersenne Twister + weighted tables) |
//! | [`mlp_gen`] | weights and seed streams of dataset rows and of live contests |
//! | [`philox`] | the counter-based Philox4x32-10 + Box-Muller normal stream (CPU and CUDA) |
//! | [`stream`] | `--stream numpy|philox` and the [`stream::DrawInputs`] seam |
//! | [`truth`] | what a sampler returns ([`GroundTruth`]) and takes ([`SampleJob`]) |
//! | [`sampler`] | the [`Sampler`] trait bake and run call |
//! | [`ground_truth`] | the CPU Monte-Carlo algorithm and the closed-form sampling FLOP record |
//! | [`cpu_sampler`] | [`CpuSampler`]: [`Sampler`] over [`ground_truth`] |
//! | [`device`] | `--device cpu|cuda|auto` → a sampler |
//!
//! Each module uses only those above it in this table.

mod cpu_sampler;
mod device;
pub mod ground_truth;
pub mod mlp_gen;
pub mod names;
pub mod numeric;
pub mod philox;
pub mod rounds;
mod sampler;
mod stream;
mod truth;

pub use cpu_sampler::CpuSampler;
pub use device::{
    open_sampler, CudaOpener, DeviceChoice, DeviceRequest, OpenedSampler, SamplerError,
    UnknownDevice,
};
pub use sampler::{Device, Sampled, Sampler};
pub use stream::{InputStream, UnknownStream};
pub use truth::{GroundTruth, GroundTruthError, SampleJob};
