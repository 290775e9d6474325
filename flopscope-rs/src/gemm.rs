//! A safe wrapper around the `gemm` crate's matrix product, shared by flopscope's kernels, the
//! ground-truth sampler and the benchmarks, so the one `unsafe` call to `gemm::gemm` lives here.
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

/// How many threads one product may use: `Parallelism::None` runs on the calling thread,
/// `Parallelism::Rayon(n)` splits the product over `n` threads of the current rayon pool (the
/// split is over rows and columns, never over the inner dimension, so every dot product sums
/// in the same order and results do not depend on `n`). Re-exported from the `gemm` crate.
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
pub trait GemmFloat: Copy + Default + Send + Sync + 'static + sealed::Sealed {
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
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if k != b.rows {
        return Err(GemmError::InnerDimensionMismatch {
            a_cols: k,
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
    let expected = m.saturating_mul(n);
    if dst.len() != expected {
        return Err(GemmError::DestinationLength {
            expected,
            actual: dst.len(),
        });
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        dst.fill(T::default());
        return Ok(());
    }
    // SAFETY: the checks above guarantee that every element the kernel reads,
    // `i·row_stride + p·col_stride` for i < rows and p < cols, lies inside `a.data` / `b.data`
    // (`fits`), and that `dst` holds exactly m·n elements, written at `i·n + j`. `dst` is a
    // unique borrow, so it aliases neither input. `read_dst = false`, so its previous contents
    // are never read. Every stride fits in `isize` (`fits`), and so does `n`, a slice length.
    unsafe {
        ::gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
