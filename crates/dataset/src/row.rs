//! One dataset row: one MLP with its ground truth.

/// One MLP of a dataset, as stored in one parquet row.
///
/// Shapes for a width-`w`, depth-`d` dataset: `weights` is `d·w²` values with `W_l[i][j]` at
/// `l·w² + i·w + j`; `all_layer_means` is `d·w` row-major; `final_means` is `w`.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetRow {
    /// Absolute 0-based index of the MLP in the logical dataset.
    pub mlp_id: u64,
    /// The MLP's name slug.
    pub mlp_name: String,
    /// The `mlp_seed` column: the input seed (3.0/4.0) or the estimator seed (2.0).
    pub mlp_seed: u64,
    /// Flat f32 weights, layer-major, row-major.
    pub weights: Vec<f32>,
    /// Ground-truth means of every layer, `d × w` row-major.
    pub all_layer_means: Vec<f32>,
    /// Ground-truth means of the last layer, `w`.
    pub final_means: Vec<f32>,
    /// Mean final-layer variance (diagnostic).
    pub avg_variance: f64,
    /// The sampling FLOP breakdown as JSON text.
    pub sampling_budget_breakdown: String,
}

/// The shape every row of a dataset shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowShape {
    /// Neurons per layer, `w`.
    pub width: usize,
    /// Weight matrices, `d`.
    pub depth: usize,
}

impl RowShape {
    /// Uncompressed bytes of one row's float payload (weights + means), for row-group sizing.
    pub fn float_bytes(&self) -> usize {
        let w = self.width;
        4 * (self.depth * w * w + self.depth * w + w)
    }
}
