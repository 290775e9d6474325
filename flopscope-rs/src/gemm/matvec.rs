//! `a · v` for a matrix `a` with contiguous rows and a column vector `v` (the `n = 1`
//! products): one dot product per row, summed in a fixed order. Element `p` of a row goes to
//! accumulator `p mod 64`; the 64 accumulators are added in a fixed tree
//! ([`dot`]). Multiply and add are rounded separately on every path, so a row's result
//! depends only on the row and `v`: never on the instruction set (the loop is compiled for
//! AVX-512, for AVX2 and for the baseline, chosen at run time) nor on how the rows are split
//! over threads.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::{GemmFloat, MatRef, Parallelism};
#[cfg(target_arch = "x86_64")]
use crate::simd::has_avx512;
use crate::simd::Path;

/// Accumulators per group: one AVX-512 register of `f32`.
const LANES: usize = 16;
/// Independent groups of accumulators, so consecutive adds do not wait for each other.
const GROUPS: usize = 4;
/// Elements one step of the loop consumes: one per accumulator.
const SLOTS: usize = LANES * GROUPS;
/// Multiply-adds a parallel task gets at least (smaller ones cost more to hand over than they
/// save).
const MIN_TASK_MACS: usize = 1 << 15;

/// `row · v` in the fixed order of the module docs. `row` and `v` have the same length.
#[inline(always)]
fn dot<T: GemmFloat>(row: &[T], v: &[T]) -> T {
    let mut acc = [[T::default(); LANES]; GROUPS];
    let (row_steps, row_tail) = row.as_chunks::<SLOTS>();
    let (v_steps, v_tail) = v.as_chunks::<SLOTS>();
    for (r, x) in row_steps.iter().zip(v_steps) {
        for (g, group) in acc.iter_mut().enumerate() {
            for (l, a) in group.iter_mut().enumerate() {
                *a = *a + r[g * LANES + l] * x[g * LANES + l];
            }
        }
    }
    for (p, (&r, &x)) in row_tail.iter().zip(v_tail).enumerate() {
        let a = &mut acc[p / LANES][p % LANES];
        *a = *a + r * x;
    }
    let mut sum = [T::default(); LANES];
    for (l, s) in sum.iter_mut().enumerate() {
        *s = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
    }
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            sum[l] = sum[l] + sum[l + width];
        }
        width /= 2;
    }
    sum[0]
}

/// Writes `dst[i] = a[first + i, ..] · v` for every element of `dst`.
#[inline(always)]
fn rows<T: GemmFloat>(a: MatRef<'_, T>, first: usize, v: &[T], dst: &mut [MaybeUninit<T>]) {
    for (i, d) in dst.iter_mut().enumerate() {
        let start = (first + i) * a.row_stride;
        d.write(dot(&a.data[start..start + a.cols], v));
    }
}

/// [`rows`] compiled for AVX-512F.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn rows_avx512<T: GemmFloat>(
    a: MatRef<'_, T>,
    first: usize,
    v: &[T],
    dst: &mut [MaybeUninit<T>],
) {
    rows(a, first, v, dst);
}

/// [`rows`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2<T: GemmFloat>(
    a: MatRef<'_, T>,
    first: usize,
    v: &[T],
    dst: &mut [MaybeUninit<T>],
) {
    rows(a, first, v, dst);
}

/// [`rows`] on `path`.
///
/// # Panics
/// If `path` is not one of [`Path::available`] (a bug in the caller).
fn rows_on<T: GemmFloat>(
    path: Path,
    a: MatRef<'_, T>,
    first: usize,
    v: &[T],
    dst: &mut [MaybeUninit<T>],
) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => {
            assert!(has_avx512());
            // SAFETY: AVX-512F, AVX2 and FMA were detected just above.
            unsafe { rows_avx512(a, first, v, dst) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma => {
            assert!(
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            );
            // SAFETY: AVX2 and FMA were detected just above.
            unsafe { rows_avx2(a, first, v, dst) }
        }
        Path::Portable => rows(a, first, v, dst),
    }
}

/// Writes `a · b` into `dst` (`a.rows` elements) on `path`, for `b` a `a.cols × 1` column and
/// `a` with contiguous rows (`a.col_stride == 1`). With `Parallelism::Rayon(n)`, `n > 1`,
/// the rows are split into up to `n` contiguous blocks of at least [`MIN_TASK_MACS`]
/// multiply-adds on the current rayon pool.
///
/// The caller has checked the shapes and that every element lies inside its slice.
pub(super) fn write_on<T: GemmFloat>(
    path: Path,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    dst: &mut [MaybeUninit<T>],
    parallelism: Parallelism,
) {
    debug_assert!(a.col_stride == 1 && b.cols == 1 && a.cols == b.rows && dst.len() == a.rows);
    let gathered: Vec<T>;
    let v = if b.row_stride == 1 {
        &b.data[..b.rows]
    } else {
        gathered = (0..b.rows).map(|p| b.data[p * b.row_stride]).collect();
        &gathered
    };
    let threads = match parallelism {
        Parallelism::Rayon(0) => rayon::current_num_threads(),
        Parallelism::Rayon(n) => n,
        _ => 1,
    };
    let min_rows = MIN_TASK_MACS.div_ceil(a.cols.max(1));
    let block = a.rows.div_ceil(threads.max(1)).max(min_rows).max(1);
    if threads > 1 && block < a.rows {
        dst.par_chunks_mut(block)
            .enumerate()
            .for_each(|(i, part)| rows_on(path, a, i * block, v, part));
    } else {
        rows_on(path, a, 0, v, dst);
    }
}

/// [`write_on`] on the [fastest path](Path::best).
pub(super) fn write<T: GemmFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    dst: &mut [MaybeUninit<T>],
    parallelism: Parallelism,
) {
    write_on(Path::best(), a, b, dst, parallelism);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented order, written out plainly: slot `p mod 64`, then the tree.
    fn in_documented_order<T: GemmFloat>(row: &[T], v: &[T]) -> T {
        let mut slot = [T::default(); SLOTS];
        for (p, (&r, &x)) in row.iter().zip(v).enumerate() {
            slot[p % SLOTS] = slot[p % SLOTS] + r * x;
        }
        let mut lane: Vec<T> = (0..LANES)
            .map(|l| (slot[l] + slot[16 + l]) + (slot[32 + l] + slot[48 + l]))
            .collect();
        for width in [8, 4, 2, 1] {
            for l in 0..width {
                lane[l] = lane[l] + lane[l + width];
            }
        }
        lane[0]
    }

    /// Values with varied exponents, so a change of summation order changes the bits.
    fn values(n: usize, seed: u64) -> Vec<f64> {
        (0..n as u64)
            .map(|i| {
                let h = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
                let unit = (h >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                unit * f64::powi(10.0, (h % 7) as i32 - 3)
            })
            .collect()
    }

    /// Runs every path and parallelism on an `m × k` product (`a` with row stride
    /// `k + pad`, `b` a column with row stride `b_stride`) and checks each against the
    /// documented order.
    fn check_all<T: GemmFloat + std::fmt::Debug>(
        m: usize,
        k: usize,
        pad: usize,
        b_stride: usize,
        cast: fn(f64) -> T,
    ) {
        let a: Vec<T> = values(m * (k + pad), 1).into_iter().map(cast).collect();
        let b: Vec<T> = values(k * b_stride, 2).into_iter().map(cast).collect();
        let av = MatRef {
            data: &a,
            rows: m,
            cols: k,
            row_stride: k + pad,
            col_stride: 1,
        };
        let bv = MatRef {
            data: &b,
            rows: k,
            cols: 1,
            row_stride: b_stride,
            col_stride: 1,
        };
        let v: Vec<T> = (0..k).map(|p| b[p * b_stride]).collect();
        let want: Vec<T> = (0..m)
            .map(|i| in_documented_order(&a[i * (k + pad)..][..k], &v))
            .collect();
        for path in Path::available() {
            for par in [
                Parallelism::None,
                Parallelism::Rayon(2),
                Parallelism::Rayon(7),
            ] {
                let mut out = vec![MaybeUninit::uninit(); m];
                write_on(path, av, bv, &mut out, par);
                // SAFETY: `write_on` wrote every element of `out`.
                let got: Vec<T> = out.iter().map(|x| unsafe { x.assume_init() }).collect();
                let same = got
                    .iter()
                    .zip(&want)
                    .all(|(g, w)| format!("{g:?}") == format!("{w:?}"));
                assert!(
                    same,
                    "{path:?} {par:?} {m}×{k}: results differ from the order"
                );
            }
        }
    }

    #[test]
    fn every_path_and_split_sums_in_the_documented_order() {
        for (m, k) in [
            (1, 0),
            (3, 1),
            (5, 15),
            (4, 64),
            (9, 65),
            (40, 200),
            (300, 1000),
        ] {
            check_all::<f32>(m, k, 0, 1, |x| x as f32);
            check_all::<f64>(m, k, 0, 1, |x| x);
        }
        // Rows further apart than their length; a strided column.
        check_all::<f32>(70, 130, 3, 1, |x| x as f32);
        check_all::<f64>(70, 130, 0, 5, |x| x);
    }

    #[test]
    fn a_large_product_is_split_and_close_to_the_exact_dot() {
        // 300 × 1000 with 7 threads: blocks of 43 rows (above MIN_TASK_MACS), so the split
        // path runs; values match an f64 sum to f32 rounding.
        let (m, k) = (300, 1000);
        let a: Vec<f32> = values(m * k, 3).into_iter().map(|x| x as f32).collect();
        let b: Vec<f32> = values(k, 4).into_iter().map(|x| x as f32).collect();
        let mut out = vec![MaybeUninit::uninit(); m];
        write(
            MatRef::row_major(&a, m, k),
            MatRef::row_major(&b, k, 1),
            &mut out,
            Parallelism::Rayon(7),
        );
        for (i, o) in out.iter().enumerate() {
            // SAFETY: `write` wrote every element of `out`.
            let got = f64::from(unsafe { o.assume_init() });
            let (exact, scale) = (0..k).fold((0.0f64, 0.0f64), |(s, t), p| {
                let x = f64::from(a[i * k + p]) * f64::from(b[p]);
                (s + x, t + x.abs())
            });
            assert!(
                (got - exact).abs() <= 1e-5 * scale,
                "row {i}: {got} vs {exact}"
            );
        }
    }
}
