//! A whitened Monte-Carlo estimator, the second workload of the `whest_run` benchmark (which
//! builds it as a plugin only when it runs: `#[path]`-included into a crate it writes to a
//! temporary folder, so CI never builds an extra estimator crate).
//!
//! `predict` draws [`SAMPLES`] normal inputs (f64, cast to f32, seeded from `mlp.seed`),
//! whitens them with their Gram matrix (`G = xᵀx / n`, `eigh(G) = (λ, V)`,
//! `x ← x · V diag(λ^-½) Vᵀ`), then pushes them through the layers (`maximum(x·W, 0)`) and
//! averages each layer's activations. It uses only `estimator-api` and `flopscope`.

use estimator_api::{Estimator, Mlp};
use flopscope::{linalg, random::default_rng, DType, Tensor};

/// Samples drawn per prediction, whatever the budget (the benchmark's fixed sample count).
pub const SAMPLES: usize = 16_384;

/// Whitened Monte-Carlo sampling at [`SAMPLES`] samples; `predict` returns `(depth, width)`
/// f32 layer means. FLOPs: the draws, the Gram product, `eigh`, the whitening products and
/// then what `examples/monte-carlo` charges per sample and layer.
#[derive(Debug, Default)]
pub struct WhitenedMonteCarloEstimator;

impl Estimator for WhitenedMonteCarloEstimator {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let mut x = default_rng(mlp.seed)
            .standard_normal([SAMPLES, mlp.width], DType::F64)
            .astype(DType::F32);
        let gram = x.t().matmul(&x) / SAMPLES as f64;
        // A Gram matrix of normal draws is symmetric; should `eigh` still fail to converge,
        // the draws are used as they are.
        if let Ok((lam, v)) = linalg::eigh(&gram) {
            let whiten = (&v * &lam.power(-0.5)).matmul(&v.t());
            x = x.matmul(&whiten);
        }
        let mut rows = Vec::with_capacity(mlp.depth);
        for w in &mlp.weights {
            x = x.matmul(w).maximum(0.0);
            rows.push(x.mean_axis(0));
        }
        let rows: Vec<&Tensor> = rows.iter().collect();
        Tensor::stack(&rows, 0)
    }
}
