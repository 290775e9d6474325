//! The ground-truth seam: the [`Sampler`] trait that `dataset bake` and `run` call, whatever
//! device computes the Monte-Carlo statistics.
//!
//! A sampler takes a batch of MLPs (f32 weights in row-vector layout, plus each MLP's
//! sample-stream seed) and a sample count, and returns per MLP the per-layer means, the
//! final-layer variance and the sampling record (the FLOP breakdown JSON a report or dataset
//! row stores). Bake and run never look behind this trait, so a new device is a
//! new implementation, not a change to either command.

use std::time::Instant;

use serde_json::Value;

use crate::ground_truth::{chunk_size, sampling_breakdown_timed};
use crate::stream::InputStream;
use crate::truth::{GroundTruth, GroundTruthError, SampleJob};

/// The device a sampler computes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// This machine's CPU (every rayon thread).
    Cpu,
    /// An NVIDIA GPU through CUDA.
    Cuda,
}

impl Device {
    /// The device's name as the command line spells it (`cpu`, `cuda`).
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }
}

/// One MLP's result from [`Sampler::sample`].
#[derive(Clone, Debug, PartialEq)]
pub struct Sampled {
    /// The per-layer means and the final-layer variance.
    pub truth: GroundTruth,
    /// The sampling record: the FLOP-breakdown JSON a report or dataset row stores
    /// (`flop_budget`, `flops_used`, `wall_time_s`, `by_namespace`, `provenance`, …), with the
    /// batch's wall time shared evenly among its MLPs.
    pub sampling: Value,
}

impl Sampled {
    /// A batch's results as [`Sampler::sample`] returns them: each job's ground truth (or its
    /// error) with its sampling record, the wall time since `started` shared evenly among the
    /// jobs. `truths` holds one entry per job, in job order.
    pub fn batch(
        jobs: &[SampleJob<'_>],
        truths: impl IntoIterator<Item = Result<GroundTruth, GroundTruthError>>,
        n_samples: usize,
        started: Instant,
    ) -> Vec<Result<Sampled, GroundTruthError>> {
        let wall = started.elapsed().as_secs_f64() / jobs.len().max(1) as f64;
        jobs.iter()
            .zip(truths)
            .map(|(job, truth)| {
                Ok(Sampled {
                    truth: truth?,
                    sampling: sampling_breakdown_timed(
                        n_samples as u64,
                        job.width as u64,
                        job.depth as u64,
                        chunk_size(job.width) as u64,
                        wall,
                    ),
                })
            })
            .collect()
    }
}

/// Computes Monte-Carlo ground truth for batches of MLPs.
///
/// Implementations must return, for each job, exactly what the sampler's stream defines:
/// results may not depend on the batch size, the batch's other MLPs or the thread count.
pub trait Sampler: Send + Sync {
    /// The device this sampler runs on.
    fn device(&self) -> Device;

    /// The Monte-Carlo input stream this sampler draws (what a dataset records as
    /// `whest_rs_stream`).
    fn stream(&self) -> InputStream;

    /// One line for the user: the device and the input stream (e.g. `cpu: 2 threads, numpy
    /// PCG64 stream`).
    fn describe(&self) -> String;

    /// How many MLPs of this shape one [`Sampler::sample`] call should get to keep the device
    /// busy (at least 1). Callers may pass fewer (the last batch) or cap it for memory.
    fn mlps_per_batch(&self, width: usize, depth: usize, n_samples: usize) -> usize;

    /// The ground truth of every job with `n_samples` inputs each, one entry per job in job
    /// order.
    ///
    /// # Errors
    /// Each job's error is its own (a zero sample count, an empty shape, a weight buffer of the
    /// wrong length); the other jobs still get results.
    fn sample(
        &self,
        jobs: &[SampleJob<'_>],
        n_samples: usize,
    ) -> Vec<Result<Sampled, GroundTruthError>>;
}
