//! `Mlp`: the network an estimator analyses.

use std::fmt;

use flopscope::{DType, Tensor};

/// A bias-free ReLU MLP: `depth` square `width × width` f32 matrices in the row-vector layout
/// (`h_{l+1} = max(0, h_l · W_l)`; `W_l[i][j]` connects input `i` to output `j`).
#[derive(Clone, Debug)]
pub struct Mlp {
    /// Neurons per layer.
    pub width: usize,
    /// Number of layers (weight matrices).
    pub depth: usize,
    /// `depth` f32 tensors of shape `(width, width)`.
    pub weights: Vec<Tensor>,
    /// Participant-facing seed for this MLP (0 when unknown); seed estimator randomness from it.
    pub seed: u64,
    /// The MLP's slug name ("" outside a dataset or contest).
    pub name: String,
}

/// Why an [`Mlp`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MlpError {
    /// Width or depth is zero.
    Empty {
        /// The width given.
        width: usize,
        /// The depth given.
        depth: usize,
    },
    /// The number of weight matrices differs from the depth.
    LayerCount {
        /// The depth given.
        depth: usize,
        /// Matrices supplied.
        got: usize,
    },
    /// A weight matrix has the wrong shape or dtype.
    BadLayer {
        /// Index of the offending layer.
        layer: usize,
        /// What was wrong.
        problem: String,
    },
}

impl fmt::Display for MlpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MlpError::Empty { width, depth } => write!(
                f,
                "an MLP needs width > 0 and depth > 0, got width {width} and depth {depth}"
            ),
            MlpError::LayerCount { depth, got } => {
                write!(
                    f,
                    "an MLP of depth {depth} needs {depth} weight matrices, got {got}"
                )
            }
            MlpError::BadLayer { layer, problem } => write!(f, "weight matrix {layer}: {problem}"),
        }
    }
}

impl std::error::Error for MlpError {}

impl Mlp {
    /// Builds and validates an MLP (spec §1.1): width, depth > 0, `depth` f32 `(w, w)` matrices.
    ///
    /// # Errors
    /// [`MlpError`] naming the first violated rule.
    pub fn new(
        width: usize,
        depth: usize,
        weights: Vec<Tensor>,
        seed: u64,
        name: impl Into<String>,
    ) -> Result<Mlp, MlpError> {
        if width == 0 || depth == 0 {
            return Err(MlpError::Empty { width, depth });
        }
        if weights.len() != depth {
            return Err(MlpError::LayerCount {
                depth,
                got: weights.len(),
            });
        }
        for (layer, w) in weights.iter().enumerate() {
            if w.shape() != [width, width] {
                return Err(MlpError::BadLayer {
                    layer,
                    problem: format!(
                        "expected shape ({width}, {width}), got {:?}",
                        w.shape_value()
                    ),
                });
            }
            if w.dtype() != DType::F32 {
                return Err(MlpError::BadLayer {
                    layer,
                    problem: format!("expected float32 weights, got {}", w.dtype()),
                });
            }
        }
        Ok(Mlp {
            width,
            depth,
            weights,
            seed,
            name: name.into(),
        })
    }
}
