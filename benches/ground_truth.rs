//! Monte-Carlo ground-truth throughput against a plain f32 GEMM of the same shapes.
//!
//! Run: `cargo bench -p whest-benches --bench ground_truth`
//!
//! For 256×8 (chunks of 4096 samples) and 1024×16 (chunks of 1024) it times
//! `whest_contest::ground_truth::ground_truth` (numpy-exact f32 normals, f32 GEMM per layer, f32
//! ReLU, f64 column sums) and, interleaved in the same run, the bare matmuls of the same work:
//! `d` GEMMs of `chunk × w · w × w` per chunk through the sampler's own `matmul_f32` with all
//! rayon threads.
//! Reports sample·layers/s for both and their ratio. Target at 256×8: ≥ 1.4e6 sample·layers/s.
//! Also reports the single-threaded rate of the normal stream, the serial part of the sampler.

use std::hint::black_box;
use std::time::Instant;

use flopscope::gemm::Parallelism;
use flopscope::random::Pcg64;
use whest_benches::{fmt_secs, paired};
use whest_contest::ground_truth::{chunk_size, ground_truth, matmul_f32};
use whest_contest::mlp_gen::generate_from_input_seed;

/// Target throughput of the sampler at 256×8, sample·layers per second.
const TARGET_256X8: f64 = 1.4e6;

/// Times the sampler and the plain GEMM at one shape; returns the sampler's sample·layers/s.
fn bench_shape(width: usize, depth: usize, n_samples: usize, trials: usize) -> f64 {
    let mlp = generate_from_input_seed(1001, width, depth);
    let chunk = chunk_size(width);
    let n_chunks = n_samples.div_ceil(chunk);

    let mut x = vec![0.0f32; chunk * width];
    mlp.sample_rng().fill_standard_normal_f32(&mut x);
    let mut y = vec![0.0f32; chunk * width];

    let (t_sampler, t_gemm) = paired(
        trials,
        1,
        || {
            black_box(ground_truth(&mlp, n_samples).expect("valid MLP"));
        },
        || {
            for _ in 0..n_chunks {
                for l in 0..depth {
                    matmul_f32(
                        &x,
                        mlp.layer(l),
                        &mut y,
                        chunk,
                        width,
                        Parallelism::Rayon(rayon::current_num_threads()),
                    );
                    std::mem::swap(&mut x, &mut y);
                }
            }
            black_box(&x);
        },
    );

    let sample_layers = (n_samples * depth) as f64;
    let gemm_sample_layers = (n_chunks * chunk * depth) as f64;
    let flops_per_sample_layer = (2 * width * width) as f64;
    let rate_sampler = sample_layers / t_sampler;
    let rate_gemm = gemm_sample_layers / t_gemm;
    println!(
        "{width}×{depth}, N = {n_samples} ({n_chunks} chunks of {chunk}): sampler {} \
         ({rate_sampler:.3e} sample·layers/s, {:.1} GFLOP/s); plain GEMM {} \
         ({rate_gemm:.3e} sample·layers/s, {:.1} GFLOP/s); ratio {:.2}",
        fmt_secs(t_sampler),
        rate_sampler * flops_per_sample_layer / 1e9,
        fmt_secs(t_gemm),
        rate_gemm * flops_per_sample_layer / 1e9,
        rate_sampler / rate_gemm,
    );
    rate_sampler
}

fn bench_normals(trials: usize) {
    let n = 1 << 22;
    let mut buf = vec![0.0f32; n];
    let mut rng = Pcg64::from_seed(7);
    let mut best = f64::INFINITY;
    for _ in 0..trials {
        let t0 = Instant::now();
        rng.fill_standard_normal_f32(&mut buf);
        best = best.min(t0.elapsed().as_secs_f64());
        black_box(&buf);
    }
    println!(
        "f32 normal stream (serial): {:.3e} normals/s ({:.2} ns each)",
        n as f64 / best,
        best / n as f64 * 1e9
    );
}

fn main() {
    println!(
        "ground truth vs plain f32 GEMM, {} rayon threads (best of interleaved trials)",
        rayon::current_num_threads()
    );
    bench_normals(5);
    let rate = bench_shape(256, 8, 65_536, 5);
    bench_shape(1024, 16, 4096, 3);
    println!(
        "target at 256×8: ≥ {TARGET_256X8:.1e} sample·layers/s → {}",
        if rate >= TARGET_256X8 {
            "met"
        } else {
            "NOT met"
        }
    );
}
