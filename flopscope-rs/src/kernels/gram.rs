//! Symmetric products `l · lᵀ` (a Gram matrix such as `xᵀx` or `x·xᵀ`), computing only the
//! upper triangle and mirroring it, like BLAS `syrk`.
//!
//! Where products run through the packed AVX2 kernel, [`crate::gemm::gram_to_vec`] computes
//! the tiles on and above the diagonal (about half the multiply-adds) with one shared packing
//! of each depth block; every element is then exactly the full product's.
//!
//! Elsewhere (the `gemm` crate, on AVX-512 machines), the upper triangle is cut into panels of
//! [`PANEL`] rows; panel `p` (rows `i0 .. i1`) is the ordinary product of those rows of `l`
//! with the rows `i0 ..` of `l`, transposed, through [`crate::gemm::matmul`] (about 60% of the
//! multiply-adds at the sizes Monte-Carlo estimators use). The panels are fixed by the size
//! alone, so the result does not depend on the thread count. An element can differ from the
//! full product's in the last bits (the `gemm` crate picks its kernels by block size): both
//! are sums of the same `k` products, each within `k` roundings of the exact value.
//!
//! Either way the lower triangle is the mirror image of the upper one, so the result is
//! exactly symmetric.

use rayon::prelude::*;

use crate::cpu_time::{in_kernel_pool, kernel_pool};
use crate::gemm::{matmul, GemmFloat, MatRef, Parallelism};

/// Rows per panel: a whole number of the `gemm` crate's AVX-512 micro-tiles (48 `f32` rows,
/// 24 `f64` rows) and of the packed AVX2 product's (6 rows), so no panel ends in a partial
/// tile.
const PANEL: usize = 48;

/// Whether `l · lᵀ` for a `rows × depth` view `l` goes through [`gram_to_vec`]: at least two
/// panels, and large enough for the kernel pool (at least 2^18 multiply-adds).
pub(crate) fn worth_it(rows: usize, depth: usize) -> bool {
    rows >= 2 * PANEL && rows.saturating_mul(rows).saturating_mul(depth) >= 1 << 18
}

/// `l · lᵀ` as a new row-major `l.rows × l.rows` vector, the panels spread over the kernel
/// pool.
///
/// # Panics
/// If the view overruns its slice (a bug in the caller).
pub(crate) fn gram_to_vec<T: GemmFloat>(l: MatRef<'_, T>) -> Vec<T> {
    // The packed Gram product puts its blocks on the kernel pool itself, the caller working too.
    let packed = crate::gemm::gram_to_vec(l, kernel_pool().current_num_threads());
    match packed {
        Ok(Some(g)) => return g,
        Ok(None) => {}
        Err(e) => panic!("{e}"),
    }
    let d = l.rows;
    let rows_from = |i0: usize, i1: usize| MatRef {
        data: &l.data[(i0 * l.row_stride).min(l.data.len())..],
        rows: i1 - i0,
        ..l
    };
    let mut g = vec![T::default(); d * d];
    in_kernel_pool(|| {
        g.par_chunks_mut(PANEL * d)
            .enumerate()
            .for_each(|(p, panel)| {
                let (i0, i1) = (p * PANEL, (p * PANEL + PANEL).min(d));
                let width = d - i0;
                let mut block = vec![T::default(); (i1 - i0) * width];
                if let Err(e) = matmul(
                    rows_from(i0, i1),
                    rows_from(i0, d).t(),
                    &mut block,
                    Parallelism::None,
                ) {
                    panic!("{e}");
                }
                for (dst, src) in panel.chunks_mut(d).zip(block.chunks(width)) {
                    dst[i0..].copy_from_slice(src);
                }
            });
    });
    for i in 1..d {
        for j in 0..i {
            g[i * d + j] = g[j * d + i];
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::matmul_to_vec;
    use crate::test_data::uniform as data;

    /// `gram_to_vec(l)` is exactly symmetric and within `k` roundings of `l·lᵀ` in `f64`.
    fn check<T: GemmFloat + Into<f64>>(l: MatRef<'_, T>, eps: f64) {
        let (d, k) = (l.rows, l.cols);
        let g = gram_to_vec(l);
        let at = |i: usize, p: usize| -> f64 { l.data[i * l.row_stride + p * l.col_stride].into() };
        for i in 0..d {
            for j in 0..d {
                assert!(
                    g[i * d + j].into() == g[j * d + i].into(),
                    "not symmetric at ({i}, {j})"
                );
                if j < i {
                    continue;
                }
                let exact: f64 = (0..k).map(|p| at(i, p) * at(j, p)).sum();
                let scale: f64 = (0..k).map(|p| (at(i, p) * at(j, p)).abs()).sum();
                let err = (g[i * d + j].into() - exact).abs();
                assert!(
                    err <= k as f64 * eps * scale,
                    "({i}, {j}) of a {d}×{k} Gram matrix"
                );
            }
        }
    }

    #[test]
    fn the_gram_matrix_is_symmetric_and_within_k_roundings() {
        for (n, d) in [(1000, 96), (300, 100), (2048, 200), (64, 97)] {
            let x = data(n * d, 7);
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            // xᵀx reads a transposed view, x·xᵀ row-major rows.
            check(MatRef::row_major(&x, n, d).t(), f64::EPSILON);
            check(MatRef::row_major(&x, d, n), f64::EPSILON);
            check(MatRef::row_major(&x32, n, d).t(), f32::EPSILON as f64);
            check(MatRef::row_major(&x32, d, n), f32::EPSILON as f64);
        }
    }

    #[test]
    fn the_upper_triangle_of_a_large_gram_matrix_is_the_full_products() {
        // At Monte-Carlo sizes every panel runs the `gemm` crate's general path, so nothing
        // changes but the mirrored lower triangle.
        let (n, d) = (4096, 256);
        let x: Vec<f32> = data(n * d, 8).iter().map(|&v| v as f32).collect();
        let l = MatRef::row_major(&x, n, d).t();
        let (g, full) = (gram_to_vec(l), matmul_to_vec(l, l.t(), 1).expect("sizes"));
        for i in 0..d {
            assert_eq!(
                g[i * d + i..(i + 1) * d],
                full[i * d + i..(i + 1) * d],
                "row {i}"
            );
        }
    }

    #[test]
    fn small_products_stay_on_the_plain_gemm() {
        assert!(!worth_it(95, 1 << 20));
        assert!(!worth_it(96, 16));
        assert!(worth_it(96, 1 << 10));
    }
}
