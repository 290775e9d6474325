//! A safe wrapper around the float matrix product, shared by flopscope's kernels, the
//! ground-truth sampler and the benchmarks, so the `unsafe` calls live here. On x86-64 with
//! AVX2 and FMA but no AVX-512 the product is the `packed` module's (every element one fused
//! multiply-add chain over the inner dimension in order); elsewhere it is the `gemm` crate's
//! (its AVX-512 micro-kernels, or its portable ones).
//!
//! Nothing here is charged: these are raw kernels for code that does its own accounting (or
//! none). Inside an estimator, use [`crate::Tensor::matmul`], which charges flopscope's price.
//!
//! ```
//! use flopscope::gemm::{matmul, MatRef, Parallelism};
//! let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3, row-major
//! let b = [1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3×2, row-major
//! let mut out = [0.0f32; 4];
//! matmul(
//!     MatRef::row_major(&a, 2, 3),
//!     MatRef::row_major(&b, 3, 2),
//!     &mut out,
//!     Parallelism::None,
//! )
//! .unwrap();
//! assert_eq!(out, [4.0, 5.0, 10.0, 11.0]);
//! ```

use std::fmt;
use std::mem::MaybeUninit;

use rayon::prelude::*;

mod packed;

/// How many threads one product may use: `Parallelism::None` runs on the calling thread,
/// `Parallelism::Rayon(n)` splits the product over `n` threads of the current rayon pool (the
/// split is over rows and columns, never over the inner dimension, so every dot product sums
/// in the same order and results do not depend on `n`); where flopscope's packed AVX2 product
/// runs (x86-64 without AVX-512), over flopscope's kernel pool instead, the calling thread
/// taking part. Re-exported from the `gemm` crate.
pub use ::gemm::Parallelism;

/// A read-only view of a `rows × cols` matrix inside a slice: element `(i, j)` is
/// `data[i·row_stride + j·col_stride]` (strides in elements). A row-major matrix has
/// `row_stride = cols, col_stride = 1`; its transpose is the same data with the strides and the
/// dimensions swapped ([`MatRef::t`]).
///
/// Any values may be put in the fields; [`matmul`] checks that every element lies inside
/// `data` before it reads anything.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// The elements the view reads from.
    pub data: &'a [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Elements between the starts of consecutive rows.
    pub row_stride: usize,
    /// Elements between consecutive entries of a row.
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A contiguous row-major `rows × cols` matrix at the start of `data`.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, as a view of the same elements (no copy).
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Whether every element of the view lies inside `data` (and every index fits in `isize`).
    fn fits(&self) -> bool {
        if self.rows == 0 || self.cols == 0 {
            return true;
        }
        let last = (self.rows - 1)
            .checked_mul(self.row_stride)
            .zip((self.cols - 1).checked_mul(self.col_stride))
            .and_then(|(r, c)| r.checked_add(c));
        match last {
            Some(last) => {
                last < self.data.len()
                    && isize::try_from(self.row_stride).is_ok()
                    && isize::try_from(self.col_stride).is_ok()
            }
            None => false,
        }
    }
}

/// A float type the `gemm` crate multiplies: `f32` or `f64` (sealed: no other type can
/// implement it).
pub trait GemmFloat:
    Copy
    + Default
    + Send
    + Sync
    + 'static
    + sealed::Sealed
    + crate::kernels::MvFloat
    + packed::PackedFloat
{
    /// One.
    const ONE: Self;
}

impl GemmFloat for f32 {
    const ONE: f32 = 1.0;
}

impl GemmFloat for f64 {
    const ONE: f64 = 1.0;
}

mod sealed {
    /// Keeps [`super::GemmFloat`] implemented only for the types `gemm` supports.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Why [`matmul`] refused a product (nothing was written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmError {
    /// `a` has a different number of columns than `b` has rows.
    InnerDimensionMismatch {
        /// Columns of `a`.
        a_cols: usize,
        /// Rows of `b`.
        b_rows: usize,
    },
    /// A view reaches past the end of its slice (or its strides do not fit in `isize`).
    ViewOutOfBounds {
        /// `"a"` or `"b"`.
        operand: &'static str,
        /// Rows of the view.
        rows: usize,
        /// Columns of the view.
        cols: usize,
        /// Its row stride.
        row_stride: usize,
        /// Its column stride.
        col_stride: usize,
        /// Length of its slice.
        len: usize,
    },
    /// The destination does not hold exactly `a.rows × b.cols` elements.
    DestinationLength {
        /// `a.rows × b.cols`.
        expected: usize,
        /// The destination's length.
        actual: usize,
    },
}

impl fmt::Display for GemmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            GemmError::InnerDimensionMismatch { a_cols, b_rows } => write!(
                f,
                "gemm: a has {a_cols} columns but b has {b_rows} rows; \
                 the inner dimensions of a product must agree"
            ),
            GemmError::ViewOutOfBounds {
                operand,
                rows,
                cols,
                row_stride,
                col_stride,
                len,
            } => write!(
                f,
                "gemm: the {rows}×{cols} view {operand} (row stride {row_stride}, column stride \
                 {col_stride}) reaches past the end of its {len}-element slice; pass a longer \
                 slice or smaller dimensions/strides"
            ),
            GemmError::DestinationLength { expected, actual } => write!(
                f,
                "gemm: the destination holds {actual} elements but the product has {expected} \
                 (a.rows × b.cols); pass a destination of exactly that length"
            ),
        }
    }
}

impl std::error::Error for GemmError {}

/// `dst = a · b`, written row-major (element `(i, j)` at `dst[i·b.cols + j]`); `dst`'s previous
/// contents are never read.
///
/// Shape contract: `a` is `m × k`, `b` is `k × n`, `dst.len() == m·n`. A product with `k = 0`
/// fills `dst` with zeros; one with `m = 0` or `n = 0` writes nothing. FLOPs: none charged
/// (this is a raw kernel). Results depend only on the inputs, never on `parallelism`.
///
/// # Errors
/// [`GemmError::InnerDimensionMismatch`] if `a.cols != b.rows`, [`GemmError::ViewOutOfBounds`]
/// if a view reaches past its slice, [`GemmError::DestinationLength`] if `dst` has the wrong
/// length. Nothing is written on error.
pub fn matmul<T: GemmFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    dst: &mut [T],
    parallelism: Parallelism,
) -> Result<(), GemmError> {
    check(a, b, dst.len())?;
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, so the cast slice covers exactly `dst`.
    // Through it, `write_product` only ever stores initialised `T` values (the kernel's
    // results, or zeros), so `dst` holds valid `T`s afterwards, as before.
    let dst = unsafe { &mut *(dst as *mut [T] as *mut [MaybeUninit<T>]) };
    write_product(a, b, dst, parallelism);
    Ok(())
}

/// Rows of the smallest block [`matmul_to_vec`] hands to one thread. At least 65 keeps every
/// block on the `gemm` crate's general path (its small-matrix shortcuts look at the block's
/// size, and one of them chooses its own depth blocking), so a block's elements are computed
/// exactly as the unsplit product computes them; a multiple of 16 keeps blocks whole
/// micro-tiles.
const MIN_BLOCK_ROWS: usize = 128;

/// Columns a product needs before [`matmul_to_vec`] splits its rows: narrower products take
/// the `gemm` crate's horizontal (dot-product) kernels for small blocks, which sum in another
/// order.
const MIN_SPLIT_COLS: usize = 3;

/// `a · b` as a new row-major `a.rows × b.cols` vector, without zero-filling it first.
///
/// With `threads > 1`, a product of at least 256 rows (and 3 or more columns) is cut into up
/// to `threads` contiguous row blocks of whole micro-tiles (at least 112 rows each), computed
/// in parallel on the current rayon pool, each by one thread; a shorter product is split by the
/// `gemm` crate itself (`Parallelism::Rayon(threads)`). Where the packed AVX2 product runs,
/// it splits the work itself (threads as [`Parallelism`] says). Every element is the same dot
/// product summed in the same order either way (the inner dimension is never split), so the
/// result never depends on `threads`. With `threads ≤ 1` it runs on the calling thread.
///
/// Shape contract, FLOPs and errors: as [`matmul`] (nothing is allocated on error).
///
/// # Errors
/// [`GemmError::InnerDimensionMismatch`] if `a.cols != b.rows`, [`GemmError::ViewOutOfBounds`]
/// if a view reaches past its slice; the destination is made here, so never
/// [`GemmError::DestinationLength`].
pub fn matmul_to_vec<T: GemmFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    threads: usize,
) -> Result<Vec<T>, GemmError> {
    let len = a.rows.saturating_mul(b.cols);
    check(a, b, len)?;
    let mut out = crate::buffer::output_vec(len);
    let dst = &mut out.spare_capacity_mut()[..len];
    let (m, n) = (a.rows, b.cols);
    let blocks = threads.min(m / MIN_BLOCK_ROWS);
    if uses_packed() {
        write_product(a, b, dst, Parallelism::Rayon(threads.max(1)));
    } else if blocks > 1 && n >= MIN_SPLIT_COLS && a.cols > 0 {
        // Block `i` ends at row `i·m/blocks` rounded down to a whole micro-tile (16 rows), so
        // every block has at least MIN_BLOCK_ROWS − 16 = 112 rows (≥ 65, see MIN_BLOCK_ROWS).
        let mut parts = Vec::with_capacity(blocks);
        let (mut rest, mut start) = (dst, 0);
        for i in 1..=blocks {
            let end = if i == blocks {
                m
            } else {
                i * m / blocks / 16 * 16
            };
            let (block, tail) = rest.split_at_mut((end - start) * n);
            parts.push((start, end - start, block));
            (rest, start) = (tail, end);
        }
        parts.into_par_iter().for_each(|(start, rows, block)| {
            let a_block = MatRef {
                // In bounds: `start` is a row of `a` (`check` passed, `start < m`).
                data: &a.data[start * a.row_stride..],
                rows,
                ..a
            };
            write_product(a_block, b, block, Parallelism::None);
        });
    } else if threads > 1 {
        write_product(a, b, dst, Parallelism::Rayon(threads));
    } else {
        write_product(a, b, dst, Parallelism::None);
    }
    // SAFETY: `write_product` initialised every one of the first `len` elements (the blocks
    // tile `dst`, and each block is written whole), and the capacity is at least `len`.
    unsafe { out.set_len(len) };
    Ok(out)
}

/// `l · lᵀ` (for a `d × k` view `l`, a symmetric `d × d` row-major matrix) through the packed
/// product's upper tiles, the lower triangle copied from the upper one, on up to `threads`
/// threads (as [`Parallelism`] says for the packed product): about half the multiply-adds of
/// the full product, and
/// every element exactly as [`matmul_to_vec`] computes it (each `(i, j)` is the in-order
/// chain of the same products as `(j, i)`), so the result is the full product's. `None` where
/// products do not run through the packed kernel (machines with AVX-512 or without AVX2/FMA)
/// or `k = 0`, for the caller's own route.
///
/// # Errors
/// [`GemmError::ViewOutOfBounds`] if `l` reaches past its slice.
pub fn gram_to_vec<T: GemmFloat>(
    l: MatRef<'_, T>,
    threads: usize,
) -> Result<Option<Vec<T>>, GemmError> {
    let d = l.rows;
    check(l, l.t(), d.saturating_mul(d))?;
    if !uses_packed() || l.cols == 0 {
        return Ok(None);
    }
    let mut out = crate::buffer::output_vec(d * d);
    let dst = &mut out.spare_capacity_mut()[..d * d];
    packed::upper_product(l, dst, threads);
    for i in 1..d {
        for j in 0..i {
            // SAFETY: (j, i) with j < i is on or above the diagonal, which `upper_product`
            // wrote.
            let v = unsafe { dst[j * d + i].assume_init() };
            dst[i * d + j] = MaybeUninit::new(v);
        }
    }
    // SAFETY: every element on or above the diagonal was written by `upper_product` and every
    // one below it just now; the capacity is at least d·d.
    unsafe { out.set_len(d * d) };
    Ok(Some(out))
}

/// `a · b` through flopscope's matrix–vector kernels, the ones `Tensor::matmul` uses, when one
/// side is a vector (`a` one row or `b` one column, not both) stored contiguously and the
/// other is a row-major matrix or the transpose of one: 16 running sums per row in SIMD
/// registers for `M·v`, rows streamed through the column sums for `v·M`, split over the
/// kernel pool from 2^18 multiply-adds with a result that does not depend on the thread
/// count. `None` for any other product (use [`matmul_to_vec`]).
///
/// # Errors
/// As [`matmul_to_vec`].
pub fn matrix_vector_to_vec<T: GemmFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
) -> Result<Option<Vec<T>>, GemmError> {
    check(a, b, a.rows.saturating_mul(b.cols))?;
    Ok(T::matrix_vector_product(a, b))
}

/// The shape checks of [`matmul`], for a destination of `dst_len` elements.
fn check<T>(a: MatRef<'_, T>, b: MatRef<'_, T>, dst_len: usize) -> Result<(), GemmError> {
    if a.cols != b.rows {
        return Err(GemmError::InnerDimensionMismatch {
            a_cols: a.cols,
            b_rows: b.rows,
        });
    }
    for (operand, v) in [("a", &a), ("b", &b)] {
        if !v.fits() {
            return Err(GemmError::ViewOutOfBounds {
                operand,
                rows: v.rows,
                cols: v.cols,
                row_stride: v.row_stride,
                col_stride: v.col_stride,
                len: v.data.len(),
            });
        }
    }
    let expected = a.rows.saturating_mul(b.cols);
    if dst_len != expected {
        return Err(GemmError::DestinationLength {
            expected,
            actual: dst_len,
        });
    }
    Ok(())
}

/// Whether products run through [`packed`]: x86-64 with AVX2 and FMA, without AVX-512F (where
/// the `gemm` crate's 16-lane kernels are faster).
pub(crate) fn uses_packed() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        packed::available() && !std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Writes `a · b` into every element of `dst` (row-major, `a.rows × b.cols`). The caller has
/// passed [`check`] with `dst.len()`.
fn write_product<T: GemmFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    dst: &mut [MaybeUninit<T>],
    parallelism: Parallelism,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    debug_assert!(a.fits() && b.fits() && k == b.rows && dst.len() == m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        dst.fill(MaybeUninit::new(T::default()));
        return;
    }
    if uses_packed() {
        let threads = match parallelism {
            Parallelism::None => 1,
            Parallelism::Rayon(0) => rayon::current_num_threads(),
            Parallelism::Rayon(n) => n,
        };
        packed::product(a, b, dst, threads);
        return;
    }
    // SAFETY: the caller's `check` guarantees that every element the kernel reads,
    // `i·row_stride + p·col_stride` for i < rows and p < cols, lies inside `a.data` / `b.data`
    // (`fits`), and that `dst` holds exactly m·n elements, written at `i·n + j`. `dst` is a
    // unique borrow, so it aliases neither input. `read_dst = false`, so its previous
    // (possibly uninitialised) contents are never read. Every stride fits in `isize` (`fits`),
    // and so does `n`, a slice length.
    unsafe {
        ::gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr().cast::<T>(),
            1,
            n as isize,
            false,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            T::default(),
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_vector_products_take_their_own_kernels_and_nothing_else() {
        let m: Vec<f64> = (0..12).map(|x| x as f64).collect(); // 3×4
        let (v4, v3) = ([1.0, 10.0, 100.0, 1000.0], [1.0, 10.0, 100.0]);
        let mv = matrix_vector_to_vec(MatRef::row_major(&m, 3, 4), MatRef::row_major(&v4, 4, 1));
        assert_eq!(mv, Ok(Some(vec![3210.0, 7654.0, 12098.0])));
        let vm = matrix_vector_to_vec(MatRef::row_major(&v3, 1, 3), MatRef::row_major(&m, 3, 4));
        assert_eq!(vm, Ok(Some(vec![840.0, 951.0, 1062.0, 1173.0])));
        // The transpose of `m` read in place: (4×3)·(3) = v3·m.
        let tv = matrix_vector_to_vec(
            MatRef::row_major(&m, 3, 4).t(),
            MatRef::row_major(&v3, 3, 1),
        );
        assert_eq!(tv, Ok(Some(vec![840.0, 951.0, 1062.0, 1173.0])));
        let mm = matrix_vector_to_vec(MatRef::row_major(&m, 3, 4), MatRef::row_major(&m, 4, 3));
        assert_eq!(mm, Ok(None));
        let bad = matrix_vector_to_vec(MatRef::row_major(&m, 3, 4), MatRef::row_major(&v3, 3, 1));
        assert_eq!(
            bad,
            Err(GemmError::InnerDimensionMismatch {
                a_cols: 4,
                b_rows: 3
            })
        );
    }

    #[test]
    fn transposed_views_multiply_like_the_naive_loop() {
        let a: Vec<f64> = (0..12).map(|x| x as f64).collect(); // 3×4
        let b: Vec<f64> = (0..8).map(|x| (x * 2) as f64).collect(); // 2×4, used transposed
        let mut out = vec![0.0; 6];
        matmul(
            MatRef::row_major(&a, 3, 4),
            MatRef::row_major(&b, 2, 4).t(),
            &mut out,
            Parallelism::None,
        )
        .unwrap();
        for i in 0..3 {
            for j in 0..2 {
                let want: f64 = (0..4).map(|p| a[i * 4 + p] * b[j * 4 + p]).sum();
                assert_eq!(out[i * 2 + j], want);
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_parallelism() {
        let a: Vec<f32> = (0..64 * 48)
            .map(|x| ((x * 7919) % 97) as f32 / 13.0)
            .collect();
        let b: Vec<f32> = (0..48 * 80)
            .map(|x| ((x * 104_729) % 89) as f32 / 11.0)
            .collect();
        let (mut one, mut many) = (vec![0.0f32; 64 * 80], vec![0.0f32; 64 * 80]);
        let (va, vb) = (MatRef::row_major(&a, 64, 48), MatRef::row_major(&b, 48, 80));
        matmul(va, vb, &mut one, Parallelism::None).unwrap();
        matmul(va, vb, &mut many, Parallelism::Rayon(4)).unwrap();
        assert_eq!(one, many);
    }

    /// Deterministic, varied values (no two products share a rounding pattern).
    fn values(len: usize, mul: usize) -> Vec<f64> {
        (0..len)
            .map(|x| ((x * mul) % 1009) as f64 / 97.0 - 5.0)
            .collect()
    }

    #[test]
    fn row_blocks_give_the_bits_of_one_thread() {
        // 600 rows split into 2–4 blocks (and an uneven last block); depths below and above
        // the kernel's 512-deep blocking; a transposed right operand.
        for (m, k, n) in [(600, 70, 40), (300, 1100, 20), (513, 9, 3), (1030, 600, 4)] {
            let a = values(m * k, 7919);
            let b = values(k * n, 104_729);
            let (va, vb) = (MatRef::row_major(&a, m, k), MatRef::row_major(&b, k, n));
            let mut one = vec![0.0; m * n];
            matmul(va, vb, &mut one, Parallelism::None).unwrap();
            for threads in [1, 2, 3, 4, 8, 16] {
                assert_eq!(matmul_to_vec(va, vb, threads).unwrap(), one, "{m}×{k}×{n}");
            }
            let bt: Vec<f32> = b.iter().map(|&x| x as f32).collect();
            let at: Vec<f32> = a.iter().map(|&x| x as f32).collect();
            // bᵀ stored row-major (n × k), used transposed.
            let mut b_t = vec![0.0f32; n * k];
            for p in 0..k {
                for j in 0..n {
                    b_t[j * k + p] = bt[p * n + j];
                }
            }
            let (va, vb) = (
                MatRef::row_major(&at, m, k),
                MatRef::row_major(&b_t, n, k).t(),
            );
            let mut one = vec![0.0f32; m * n];
            matmul(va, vb, &mut one, Parallelism::None).unwrap();
            for threads in [2, 8] {
                assert_eq!(
                    matmul_to_vec(va, vb, threads).unwrap(),
                    one,
                    "f32 {m}×{k}×{n}"
                );
            }
        }
    }

    #[test]
    fn to_vec_handles_empty_products_and_refuses_bad_shapes() {
        let zeros = matmul_to_vec(
            MatRef::<f32>::row_major(&[], 600, 0),
            MatRef::row_major(&[], 0, 4),
            4,
        )
        .unwrap();
        assert_eq!(zeros, vec![0.0f32; 2400]);
        let none = matmul_to_vec(
            MatRef::row_major(&[], 0, 3),
            MatRef::row_major(&[1.0f64; 6], 3, 2),
            2,
        )
        .unwrap();
        assert!(none.is_empty());
        let a = [1.0f64; 6];
        let e = matmul_to_vec(MatRef::row_major(&a, 2, 3), MatRef::row_major(&a, 2, 3), 2);
        assert_eq!(
            e,
            Err(GemmError::InnerDimensionMismatch {
                a_cols: 3,
                b_rows: 2
            })
        );
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        let mut out = vec![7.0f32; 6];
        matmul(
            MatRef::row_major(&[], 2, 0),
            MatRef::row_major(&[], 0, 3),
            &mut out,
            Parallelism::None,
        )
        .unwrap();
        assert_eq!(out, vec![0.0; 6]);
    }

    #[test]
    fn bad_shapes_are_refused_without_writing() {
        let a = [1.0f64; 6];
        let mut out = [9.0f64; 4];
        let e = matmul(
            MatRef::row_major(&a, 2, 3),
            MatRef::row_major(&a, 2, 3),
            &mut out,
            Parallelism::None,
        );
        assert_eq!(
            e,
            Err(GemmError::InnerDimensionMismatch {
                a_cols: 3,
                b_rows: 2
            })
        );
        let e = matmul(
            MatRef::row_major(&a, 2, 4),
            MatRef::row_major(&a, 4, 1),
            &mut out[..2],
            Parallelism::None,
        );
        assert!(matches!(
            e,
            Err(GemmError::ViewOutOfBounds { operand: "a", .. })
        ));
        let e = matmul(
            MatRef::row_major(&a, 2, 3),
            MatRef::row_major(&a, 3, 2),
            &mut out[..3],
            Parallelism::None,
        );
        assert_eq!(
            e,
            Err(GemmError::DestinationLength {
                expected: 4,
                actual: 3
            })
        );
        assert!(e.unwrap_err().to_string().contains("exactly that length"));
        assert_eq!(out, [9.0; 4]);
    }
}
