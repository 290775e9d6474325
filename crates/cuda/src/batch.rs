//! The host side of one kernel launch, free of CUDA so it is tested on any machine: padding
//! weights to the kernel's width, Philox keys, the launch's block counts and buffer sizes, and
//! adding the per-block f64 partial sums up in a fixed order.

use whest_contest::numeric::pairwise_sum_f64;
use whest_contest::philox::PhiloxNormals;
use whest_contest::{GroundTruth, SampleJob};

use crate::kernel::KernelShape;

/// Blocks the launch aims for per streaming multiprocessor (a few waves balance the tiles).
pub const BLOCKS_PER_SM: usize = 4;
/// Largest partial-sum buffer a batch may need, in bytes.
pub const MAX_PARTIAL_BYTES: usize = 1 << 30;

/// Appends a job's weights padded to `shape.padded` columns and rows with zeros
/// (`depth · padded²` values, layer-major, row-major), as the kernel reads them.
pub fn push_padded_weights(job: &SampleJob<'_>, shape: &KernelShape, out: &mut Vec<f32>) {
    let (w, p) = (job.width, shape.padded);
    for l in 0..job.depth {
        let layer = &job.weights[l * w * w..(l + 1) * w * w];
        for row in layer.chunks_exact(w) {
            out.extend_from_slice(row);
            out.extend(std::iter::repeat_n(0.0, p - w));
        }
        out.extend(std::iter::repeat_n(0.0, (p - w) * p));
    }
}

/// The Philox keys of `jobs`, two words each (see [`PhiloxNormals::for_seed`]).
pub fn keys(jobs: &[SampleJob<'_>]) -> Vec<u32> {
    jobs.iter()
        .flat_map(|j| PhiloxNormals::for_seed(j.sample_seed).key)
        .collect()
}

/// Sample tiles of one MLP: `ceil(n_samples / tile_rows)`.
pub fn tiles(shape: &KernelShape, n_samples: usize) -> usize {
    n_samples.div_ceil(shape.tile_rows())
}

/// Blocks per MLP for a launch of `n_mlps` MLPs on `sm_count` multiprocessors: enough for
/// [`BLOCKS_PER_SM`] blocks per SM in all, never more than the MLP has tiles, at least 1.
pub fn blocks_per_mlp(n_mlps: usize, tiles: usize, sm_count: usize) -> usize {
    (BLOCKS_PER_SM * sm_count.max(1))
        .div_ceil(n_mlps.max(1))
        .min(tiles)
        .max(1)
}

/// f64 values of the partial-sum buffer: per MLP, block and row group, `depth + 1` rows of
/// `padded` sums (the layers' sums, then the last layer's sums of squares).
pub fn partial_len(n_mlps: usize, blocks: usize, shape: &KernelShape, depth: usize) -> usize {
    n_mlps * blocks * shape.groups * (depth + 1) * shape.padded
}

/// MLPs of this shape one launch should take: enough tiles for every block the GPU runs at
/// once, bounded so the partial sums stay under [`MAX_PARTIAL_BYTES`].
pub fn mlps_per_launch(
    shape: &KernelShape,
    depth: usize,
    n_samples: usize,
    sm_count: usize,
) -> usize {
    let wanted = (BLOCKS_PER_SM * sm_count.max(1)).div_ceil(tiles(shape, n_samples).max(1));
    let per_mlp = 8 * partial_len(
        1,
        blocks_per_mlp(wanted, tiles(shape, n_samples), sm_count),
        shape,
        depth,
    );
    wanted.min(MAX_PARTIAL_BYTES / per_mlp.max(1)).max(1)
}

/// The ground truth of MLP `mlp` of a launch from the downloaded `partial` buffer.
///
/// Sums are added block by block, then row group by row group (a fixed order), divided by
/// `n_samples` in f64 and rounded to f32; the variance is the CPU sampler's
/// `mean_j(E[h²] − m_j²)` with the f32-rounded means, summed pairwise like numpy.
///
/// # Panics
/// If `partial` is shorter than [`partial_len`] of the launch.
pub fn reduce(
    partial: &[f64],
    mlp: usize,
    blocks: usize,
    shape: &KernelShape,
    depth: usize,
    n_samples: usize,
) -> GroundTruth {
    let (w, p) = (shape.width, shape.padded);
    let slab = (depth + 1) * p;
    let per_mlp = blocks * shape.groups * slab;
    let mine = &partial[mlp * per_mlp..(mlp + 1) * per_mlp];
    let mut totals = vec![0.0f64; slab];
    for part in mine.chunks_exact(slab) {
        for (t, &v) in totals.iter_mut().zip(part) {
            *t += v;
        }
    }
    let n = n_samples as f64;
    let all_layer_means: Vec<f32> = (0..depth)
        .flat_map(|l| totals[l * p..l * p + w].iter().map(|&s| (s / n) as f32))
        .collect();
    let final_means = all_layer_means[(depth - 1) * w..].to_vec();
    let variances: Vec<f64> = totals[depth * p..depth * p + w]
        .iter()
        .zip(&final_means)
        .map(|(&sq, &m)| sq / n - f64::from(m) * f64::from(m))
        .collect();
    GroundTruth {
        avg_variance: pairwise_sum_f64(&variances) / w as f64,
        all_layer_means,
        final_means,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whest_contest::mlp_gen::generate_from_input_seed;
    use whest_contest::philox::PhiloxNormals;

    const SMEM: usize = 227 * 1024;

    #[test]
    fn padding_keeps_every_weight_in_place() {
        let mlp = generate_from_input_seed(3, 5, 2);
        let shape = KernelShape::for_width(5, SMEM).expect("fits");
        assert_eq!(shape.padded, 8);
        let mut out = Vec::new();
        push_padded_weights(&SampleJob::of(&mlp), &shape, &mut out);
        assert_eq!(out.len(), 2 * 64);
        for l in 0..2 {
            for i in 0..8 {
                for j in 0..8 {
                    let got = out[l * 64 + i * 8 + j];
                    let want = if i < 5 && j < 5 {
                        mlp.weights[l * 25 + i * 5 + j]
                    } else {
                        0.0
                    };
                    assert_eq!(got.to_bits(), want.to_bits(), "layer {l} ({i}, {j})");
                }
            }
        }
    }

    #[test]
    fn keys_follow_the_seeds() {
        let mlps: Vec<_> = (0..2).map(|s| generate_from_input_seed(s, 4, 1)).collect();
        let jobs: Vec<_> = mlps.iter().map(SampleJob::of).collect();
        let k = keys(&jobs);
        assert_eq!(k[2..4], PhiloxNormals::for_seed(&mlps[1].sample_seed).key);
    }

    #[test]
    fn launches_fill_the_gpu_without_idle_blocks() {
        assert_eq!(blocks_per_mlp(1, 10_000, 132), 528);
        assert_eq!(blocks_per_mlp(4, 10_000, 132), 132);
        assert_eq!(blocks_per_mlp(1, 3, 132), 3);
        assert_eq!(blocks_per_mlp(1000, 3, 132), 1);
        let shape = KernelShape::for_width(1024, SMEM).expect("fits");
        assert_eq!(mlps_per_launch(&shape, 16, 200_000, 132), 1);
        let small = KernelShape::for_width(4, SMEM).expect("fits");
        let m = mlps_per_launch(&small, 2, 500, 132);
        assert_eq!(m, 528);
        let blocks = blocks_per_mlp(m, tiles(&small, 500), 132);
        assert!(8 * partial_len(m, blocks, &small, 2) <= MAX_PARTIAL_BYTES);
    }

    /// Fills a launch's partial buffer the way the kernel does (each sample's values go to the
    /// slot of the block and row group that owns its tile), for a given block count.
    fn emulate_partials(
        values: &[Vec<f32>],
        shape: &KernelShape,
        depth: usize,
        blocks: usize,
    ) -> Vec<f64> {
        let p = shape.padded;
        let slab = (depth + 1) * p;
        let mut partial = vec![0.0f64; partial_len(1, blocks, shape, depth)];
        for (s, layers) in values.iter().enumerate() {
            let tile = s / shape.tile_rows();
            let g = (s % shape.tile_rows()) / 8;
            let base = ((tile % blocks) * shape.groups + g) * slab;
            for (i, &v) in layers.iter().enumerate() {
                let (l, j) = (i / shape.width, i % shape.width);
                partial[base + l * p + j] += f64::from(v);
                if l + 1 == depth {
                    partial[base + depth * p + j] += f64::from(v) * f64::from(v);
                }
            }
        }
        partial
    }

    #[test]
    fn reduction_is_the_f64_mean_whatever_the_block_count() {
        let (w, d, n) = (6, 2, 1000);
        let shape = KernelShape::for_width(w, SMEM).expect("fits");
        let values: Vec<Vec<f32>> = (0..n)
            .map(|s| {
                (0..w * d)
                    .map(|i| ((s * 7 + i * 13) % 17) as f32 * 0.25 + 1e-3)
                    .collect()
            })
            .collect();
        let exact: Vec<f32> = (0..w * d)
            .map(|i| (values.iter().map(|v| f64::from(v[i])).sum::<f64>() / n as f64) as f32)
            .collect();
        let t = tiles(&shape, n);
        let mut seen = Vec::new();
        for blocks in [1, 2, t] {
            let gt = reduce(
                &emulate_partials(&values, &shape, d, blocks),
                0,
                blocks,
                &shape,
                d,
                n,
            );
            assert_eq!(gt.all_layer_means, exact, "{blocks} blocks");
            assert_eq!(gt.final_means, exact[w..]);
            seen.push(gt.avg_variance);
        }
        // Different block counts add the same f64 values in another order: equal to rounding.
        assert!(seen
            .iter()
            .all(|v| (v - seen[0]).abs() <= 1e-12 * seen[0].abs()));
        let var: f64 = (0..w)
            .map(|j| {
                let m = f64::from(exact[w + j]);
                values
                    .iter()
                    .map(|v| f64::from(v[w + j]).powi(2))
                    .sum::<f64>()
                    / n as f64
                    - m * m
            })
            .sum::<f64>()
            / w as f64;
        assert!((seen[0] - var).abs() <= 1e-12 * var);
    }
}
