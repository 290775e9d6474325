//! **Covariance propagation**: mean propagation plus the correlations between neurons (Python
//! `whestbench.estimators.CovariancePropagationEstimator`, starter kit
//! `03_covariance_propagation.py`).
//!
//! Neurons of one layer read the same inputs, so they are correlated; mean propagation's
//! diagonal variance ignores that and its error grows with depth. This estimator tracks the
//! full covariance `Σ` of each layer (still assuming Gaussian pre-activations):
//!
//! ```text
//! μ_pre = μ·W        Σ_pre = Wᵀ Σ W                      (exact for a linear map)
//! mean, var of relu  from  (μ_pre, diag Σ_pre)            (mean propagation's formulas)
//! g = Φ(α)  where σ_pre > 1e-12, else 0                   (each neuron's "gain")
//! Σ' = (g gᵀ) ∘ Σ_pre,  with its diagonal set to var      (first-order closure)
//! ```
//!
//! Variances can grow geometrically with depth; when the largest one exceeds 1e100 the state is
//! rescaled by `s = sqrt(max var)` (means by `1/s`, covariance by `1/s²`) and `log s` is
//! accumulated, so every row is reported as `μ · exp(log_scale)` in the original units.
//!
//! FLOPs: `8w³ + 2.5w² + 197.5w + 30` per layer, dominated by the two f64 `w×w` products of
//! `Wᵀ Σ W` (`4w²(2w − 1)`), plus `2w` for `eye` and `2dw` for the stack: 137,484,167,648 at
//! the contest shape 1024×16, 6.25 % of the 2^41 budget, so it still earns the 10× discount.
//! Each rescale adds `2 + 2w + 2w² + 32`. The charge equals the Python reference's on the
//! same MLP.

use estimator_api::{Estimator, Mlp};
use flopscope::{scalar, where_, DType, Tensor};
use mean_propagation_estimator::relu_moments;

/// When the largest tracked variance exceeds this, the state is rescaled to avoid overflow.
pub const COV_RESCALE_THRESHOLD: f64 = 1e100;

/// A neuron whose pre-activation standard deviation is at most this gets gain 0.
pub const DEAD_NEURON_SIGMA: f64 = 1e-12;

/// Propagates the mean vector and the full covariance matrix through the layers.
///
/// `predict` returns a `(depth, width)` f64 tensor and ignores the budget; see the crate docs
/// for its exact cost.
#[derive(Debug, Default)]
pub struct CovariancePropagationEstimator;

impl Estimator for CovariancePropagationEstimator {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        // x ~ N(0, I). f64 state, billed at the f64 rate as in the Python reference.
        let mut mean = Tensor::zeros([mlp.width], DType::F64);
        let mut cov = Tensor::eye(mlp.width, DType::F64);
        let mut log_scale = 0.0f64;

        let mut rows = Vec::with_capacity(mlp.depth);
        for w in &mlp.weights {
            // Keep the numbers representable: divide out the largest standard deviation.
            let max_var = cov.diag().max().item();
            if max_var > COV_RESCALE_THRESHOLD {
                let s = scalar::sqrt(max_var);
                mean = &mean / s;
                cov = &cov / (s * s);
                log_scale += scalar::log(s);
            }

            // The linear map h ↦ h·W sends N(μ, Σ) to N(μ·W, WᵀΣW) exactly.
            let mean_pre = mean.matmul(w);
            let cov_pre = w.t().matmul(&cov).matmul(w);
            let moments = relu_moments(&mean_pre, &cov_pre.diag());
            mean = moments.mean;

            // Off-diagonal closure: Cov(relu zᵢ, relu zⱼ) ≈ Φ(αᵢ) Φ(αⱼ) Cov(zᵢ, zⱼ). The gain is
            // built op for op as the reference does (a mask, cast to f32, copied: 13w FLOPs), so
            // the charge matches; since σ_pre ≥ sqrt(1e-12), the mask is in fact always true.
            let gain = where_(&moments.sigma_pre.gt(DEAD_NEURON_SIGMA), &moments.cdf, 0.0)
                .astype(DType::F32)
                .copy();
            // `outer` of a tensor with itself bills only the w(w+1)/2 unique products.
            cov = (gain.outer(&gain) * &cov_pre).fill_diagonal_with(&moments.var);

            // Report the mean in the original (unscaled) units.
            rows.push(&mean * scalar::exp(log_scale));
        }
        let rows: Vec<&Tensor> = rows.iter().collect();
        Tensor::stack(&rows, 0)
    }
}

#[cfg(not(feature = "library"))]
estimator_api::export_estimator!(CovariancePropagationEstimator);
