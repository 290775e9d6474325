//! What a ground-truth sampler returns for one MLP, and why it can refuse one.
//!
//! Shared by every [`crate::Sampler`] implementation, so bake and run read results the same
//! way whichever device produced them.

use std::fmt;

use flopscope::random::SeedSequence;

use crate::mlp_gen::GeneratedMlp;

/// The statistics of one MLP's activations under `x ~ N(0, I_w)`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroundTruth {
    /// Mean of every neuron after every layer, f32, shape `(d, w)` row-major
    /// (row `l` = layer `l`'s post-ReLU output).
    pub all_layer_means: Vec<f32>,
    /// The last row of `all_layer_means`, shape `(w,)`.
    pub final_means: Vec<f32>,
    /// `mean_j(E[h_d[j]²] − final_means[j]²)`, computed in f64 with the f32-rounded final mean.
    pub avg_variance: f64,
}

/// Why the sampler refused its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroundTruthError {
    /// `n_samples` was 0: the means would be 0/0.
    NoSamples,
    /// `width` or `depth` was 0.
    EmptyShape {
        /// The width given.
        width: usize,
        /// The depth given.
        depth: usize,
    },
    /// The sampler's device failed (a CUDA error, an unsupported width); holds its message.
    Device {
        /// What went wrong, in one line.
        message: String,
    },
    /// The weight buffer does not hold `depth · width²` values.
    WeightLength {
        /// `depth · width²`.
        expected: usize,
        /// The buffer's length.
        got: usize,
    },
}

impl fmt::Display for GroundTruthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroundTruthError::NoSamples => {
                write!(
                    f,
                    "ground truth needs at least one Monte-Carlo sample (n_samples = 0)"
                )
            }
            GroundTruthError::EmptyShape { width, depth } => write!(
                f,
                "ground truth needs width > 0 and depth > 0 (got width {width}, depth {depth})"
            ),
            GroundTruthError::Device { message } => write!(f, "the GPU sampler failed: {message}"),
            GroundTruthError::WeightLength { expected, got } => write!(
                f,
                "weight buffer holds {got} values but depth·width² = {expected}"
            ),
        }
    }
}

impl std::error::Error for GroundTruthError {}

/// One MLP handed to a sampler: its weights and the seed of its Monte-Carlo sample stream.
///
/// `weights` holds `depth` square `width × width` f32 matrices, layer-major and row-major
/// (`W_l[i][j]` at `l·w² + i·w + j`), for the row-vector forward pass
/// `h_{l+1} = max(0, h_l · W_l)`, exactly as [`GeneratedMlp::weights`] stores them.
#[derive(Clone, Copy, Debug)]
pub struct SampleJob<'a> {
    /// Flat weights, `depth · width²` values (a sampler refuses any other length).
    pub weights: &'a [f32],
    /// Neurons per layer, `w`.
    pub width: usize,
    /// Number of weight matrices, `d`.
    pub depth: usize,
    /// The MLP's sample-stream seed (child 1 of its seed sequence).
    pub sample_seed: &'a SeedSequence,
}

impl<'a> SampleJob<'a> {
    /// The job of a generated MLP (its weights and sample-stream seed).
    pub fn of(mlp: &'a GeneratedMlp) -> SampleJob<'a> {
        SampleJob {
            weights: &mlp.weights,
            width: mlp.width,
            depth: mlp.depth,
            sample_seed: &mlp.sample_seed,
        }
    }
}
