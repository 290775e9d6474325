//! Mean-propagation `predict` time, Rust against the Python reference.
//!
//! Run: `cargo bench -p whest-benches --bench predict_mean_propagation`
//!
//! Times `MeanPropagationEstimator::predict` (examples/mean-propagation) inside a fresh
//! `BudgetContext(2^41)` per call, as the runner does, on the MLP of input seed 1001 at 256×8 and
//! 1024×16, and prints it next to the Python reference's time for the same work and their ratio.
//!
//! The Python numbers cannot be measured from Rust; they were measured on the same 2-vCPU dev
//! VM with whestbench 0.16.2 + flopscope 0.12.4 (numpy 2.4): calls of
//! `MeanPropagationEstimator().predict(mlp, 2**41)` inside
//! `flopscope.BudgetContext(flop_budget=2**41, quiet=True)` on the MLP of
//! `derive_seed_streams(1001)` (see [`PYTHON_COMMAND`]), 30 calls at 256×8 and 10 at 1024×16 per
//! script run, the fastest call over 6 script runs (the VM is shared and noisy: the best call
//! of a run ranged 21.7–43.8 ms and 401–1,122 ms). Using the fastest Python call keeps the
//! speed-up conservative.

use std::hint::black_box;

use estimator_api::{Estimator, Mlp};
use flopscope::{BudgetContext, Tensor};
use mean_propagation_estimator::MeanPropagationEstimator;
use whest_benches::{best_secs_per_call, fmt_secs};
use whest_contest::mlp_gen::generate_from_input_seed;

/// The contest budget, 2^41 FLOPs.
const BUDGET: u64 = 1 << 41;

/// How the Python times below were measured (a script run with the whestbench venv's python).
const PYTHON_COMMAND: &str = "for _ in range(reps): t=perf_counter(); \
    with flops.BudgetContext(flop_budget=2**41, quiet=True): \
    MeanPropagationEstimator().predict(mlp, 2**41); best=min(best, perf_counter()-t)";

/// (width, depth, Python seconds per predict, FLOPs charged) — Python measured as above.
const SHAPES: [(usize, usize, f64, u64); 2] = [
    (256, 8, 21.7e-3, 5_083_648),
    (1024, 16, 400.8e-3, 153_913_344),
];

/// The MLP of protocol-3.0 input seed 1001 (identical to Python's).
fn mlp(width: usize, depth: usize) -> Mlp {
    let g = generate_from_input_seed(1001, width, depth);
    let weights = (0..depth)
        .map(|l| Tensor::from_vec(g.layer(l).to_vec(), [width, width]))
        .collect();
    Mlp::new(width, depth, weights, g.mlp_seed, "").expect("a generated MLP is valid")
}

/// One predict in a fresh budget context; returns the FLOPs charged.
fn predict_in_context(mlp: &Mlp) -> u64 {
    let ctx = BudgetContext::new(BUDGET).expect("no context is open");
    black_box(MeanPropagationEstimator.predict(mlp, BUDGET));
    ctx.flops_used()
}

fn main() {
    println!("mean-propagation predict inside BudgetContext(2^41), MLP of seed 1001");
    println!("Python: whestbench 0.16.2 + flopscope 0.12.4, same VM: {PYTHON_COMMAND}");
    println!(
        "{:>9} {:>13} {:>12} {:>12} {:>9}",
        "shape", "FLOPs", "Rust", "Python", "speed-up"
    );
    for (width, depth, python_secs, python_flops) in SHAPES {
        let mlp = mlp(width, depth);
        let flops = predict_in_context(&mlp);
        assert_eq!(flops, python_flops, "the charge must equal Python's");
        let iters = if width >= 1024 { 5 } else { 50 };
        let rust_secs = best_secs_per_call(7, iters, || {
            predict_in_context(&mlp);
        });
        println!(
            "{:>9} {:>13} {:>12} {:>12} {:>8.1}×",
            format!("{width}×{depth}"),
            flops,
            fmt_secs(rust_secs),
            fmt_secs(python_secs),
            python_secs / rust_secs
        );
    }
}
