//! Linear algebra (`flopscope.numpy.linalg`): decompositions, solvers, determinants, norms.
//!
//! Every function follows numpy's semantics and return types and charges flopscope 0.12.4's
//! analytic count (op keys `linalg.*`, weight 1) × the rate of the compute dtype, *before* the
//! kernel runs. Counts per matrix (× the number of matrices in a stacked input; 0 when a matrix
//! axis is empty), with `k = min(m, n)`, `a = max(m, n)`, `b = min(m, n)`, `⌊·⌋` integer division:
//!
//! | function | count |
//! |---|---|
//! | [`inv`] | `2n³`; `⌊n³/3⌋ + n³` for a symmetric (tagged) input |
//! | [`solve`] | `⌊2n³/3⌋ + 2n²·nrhs` |
//! | [`cholesky`] | `⌊n³/3⌋` |
//! | [`eigh`] / [`eigvalsh`] | `9n³` / `⌊4n³/3⌋` |
//! | [`qr`], [`qr_complete`] / [`qr_r`] | `2(2mnk − ⌊2k³/3⌋)` / `2mnk − ⌊2k³/3⌋` |
//! | [`svd`] | thin `6ab² + 20b³`; full (`m ≠ n`) `4a²b + 22b³` |
//! | [`svd_values`] | `2ab² + 2b³` |
//! | [`det`] / [`slogdet`] | `⌊2n³/3⌋ + n` / `⌊2n³/3⌋ + 18n` |
//! | [`norm`] family | `2·numel`; SVD-based orders the values-only SVD count; general-p vector norms `18n + 16` per vector |
//!
//! Each count is at least 1 per matrix. The compute dtype is numpy's: `float32` stays
//! `float32` (rate 1), `float64` stays `float64` (rate 2), integer and bool inputs compute in
//! `float64` (rate 2), and mixed operands promote. Kernels run in `f64` (faer) and results are
//! returned in the compute dtype. A symmetric tag on the input changes nothing except for
//! [`inv`] (discounted count, tagged result); every other result is untagged.
//!
//! Shape errors (too few axes, non-square matrices, mismatched right-hand sides) panic with a
//! message naming the op; numerical failures (singular matrix, not positive definite, no
//! convergence) are returned as [`LinalgError`] after the op has been charged (as flopscope
//! charges before numpy raises).

use std::fmt;

use faer::{Mat, MatRef};

use crate::budget::Receipt;
use crate::dtype::DType;
use crate::shape::Shape;
use crate::symmetry::Symmetry;
use crate::tensor::Tensor;

mod counts;
mod decomp;
mod norm;
mod order;
mod solve;

pub use decomp::{cholesky, eigh, eigvalsh, qr, qr_complete, qr_r, svd, svd_values};
pub use norm::{norm, norm_axis, norm_ord};
pub use order::NormOrd;
pub use solve::{det, inv, slogdet, solve};

/// A numerical failure of a linear-algebra routine (numpy raises `LinAlgError` for these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinalgError {
    /// The matrix is exactly singular (a zero pivot in its LU factorisation).
    Singular {
        /// The op that failed (`"inv"`, `"solve"`).
        op: &'static str,
    },
    /// The matrix is not (numerically) symmetric positive definite.
    NotPositiveDefinite {
        /// The op that failed (`"cholesky"`).
        op: &'static str,
    },
    /// An iterative algorithm (eigenvalue or SVD iteration) did not converge.
    NoConvergence {
        /// The op that failed (`"eigh"`, `"eigvalsh"`, `"svd"`).
        op: &'static str,
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::Singular { op } => write!(f, "{op}: singular matrix"),
            LinalgError::NotPositiveDefinite { op } => {
                write!(f, "{op}: matrix is not positive definite")
            }
            LinalgError::NoConvergence { op } => write!(f, "{op}: the algorithm did not converge"),
        }
    }
}

impl std::error::Error for LinalgError {}

/// numpy's LAPACK compute dtype for a set of operands: any integer/bool operand forces
/// `float64`; otherwise the promoted float type.
fn compute_dtype(dtypes: &[DType]) -> DType {
    if dtypes.iter().any(|d| !d.is_float()) {
        return DType::F64;
    }
    if dtypes.contains(&DType::F64) {
        DType::F64
    } else {
        DType::F32
    }
}

/// A stack of matrices: the leading (batch) axes of a `(…, m, n)` tensor.
#[derive(Clone, Copy, Debug)]
struct Stack {
    /// The leading axes.
    batch: Shape,
    /// Number of matrices (product of the batch axes).
    count: usize,
    /// Rows of each matrix.
    m: usize,
    /// Columns of each matrix.
    n: usize,
}

impl Stack {
    /// Reads `t` as a stack of matrices.
    ///
    /// # Panics
    /// If `t` has fewer than two axes.
    fn of(t: &Tensor, name: &str) -> Stack {
        let nd = t.ndim();
        assert!(
            nd >= 2,
            "{name}: {nd}-dimensional array given; array must be at least two-dimensional"
        );
        let batch = Shape::new(&t.shape[..nd - 2]);
        Stack {
            batch,
            count: batch.numel(),
            m: t.shape[nd - 2],
            n: t.shape[nd - 1],
        }
    }

    /// Reads `t` as a stack of square matrices.
    ///
    /// # Panics
    /// If `t` has fewer than two axes or its last two axes differ.
    fn square(t: &Tensor, name: &str) -> Stack {
        let s = Stack::of(t, name);
        assert!(
            s.m == s.n,
            "{name}: last 2 dimensions of the array must be square, got shape {}",
            t.shape
        );
        s
    }

    /// Whether the matrices are empty (a zero matrix axis): flopscope then bills 0.
    fn empty(&self) -> bool {
        self.m == 0 || self.n == 0
    }

    /// `per_matrix × count`, or 0 for empty matrices (flopscope's `cost × batch`).
    fn billed(&self, per_matrix: u64) -> u64 {
        if self.empty() {
            0
        } else {
            per_matrix.max(1).saturating_mul(self.count as u64)
        }
    }

    /// The shape `batch + tail`.
    fn shape_with(&self, tail: &[usize]) -> Shape {
        let mut dims: Vec<usize> = self.batch.to_vec();
        dims.extend_from_slice(tail);
        Shape::new(&dims)
    }
}

/// The `idx`-th `m × n` matrix of a row-major stack, as a faer matrix.
fn mat_at(data: &[f64], idx: usize, m: usize, n: usize) -> Mat<f64> {
    let off = idx * m * n;
    Mat::from_fn(m, n, |i, j| data[off + i * n + j])
}

/// Appends `mat` to `out` in row-major order.
fn push_rows(out: &mut Vec<f64>, mat: MatRef<'_, f64>) {
    for i in 0..mat.nrows() {
        for j in 0..mat.ncols() {
            out.push(mat[(i, j)]);
        }
    }
}

/// Appends `matᵀ` to `out` in row-major order.
fn push_rows_transposed(out: &mut Vec<f64>, mat: MatRef<'_, f64>) {
    push_rows(out, mat.transpose());
}

/// Wraps `f64` results in the compute dtype (`f32` results are rounded).
fn out_tensor(charged: &Receipt, v: Vec<f64>, shape: Shape, dt: DType) -> Tensor {
    match dt {
        DType::F32 => Tensor::from_elems(charged, v.into_iter().map(|x| x as f32).collect(), shape),
        _ => Tensor::from_elems(charged, v, shape),
    }
}

/// numpy `allclose(x, y, rtol=1e-5, atol=1e-6)` for one pair (NaN never close).
fn close(x: f64, y: f64) -> bool {
    if x == y {
        return true;
    }
    if !x.is_finite() || !y.is_finite() {
        return false;
    }
    (x - y).abs() <= 1e-6 + 1e-5 * y.abs()
}

/// Whether row-major `data` of `shape` is invariant (to flopscope's `allclose` tolerance)
/// under swapping any two axes of one block of `sym`: flopscope's `validate_symmetry_groups`.
fn satisfies(data: &[f64], shape: &Shape, sym: &Symmetry) -> bool {
    let nd = shape.ndim();
    let st = shape.strides();
    for a in 0..nd {
        for b in a + 1..nd {
            let blk = sym.block_of(a);
            if blk == 0 || sym.block_of(b) != blk {
                continue;
            }
            let mut idx = vec![0usize; nd];
            for (flat, &x) in data.iter().enumerate() {
                let mut rem = flat;
                for ax in 0..nd {
                    idx[ax] = rem / st[ax];
                    rem %= st[ax];
                }
                idx.swap(a, b);
                let off: usize = idx.iter().zip(&st[..nd]).map(|(i, s)| i * s).sum();
                if !close(x, data[off]) {
                    return false;
                }
            }
        }
    }
    true
}

#[cfg(test)]
pub(crate) mod test_util {
    //! Helpers shared by the linalg unit tests.

    use crate::budget::BudgetContext;
    use crate::tensor::Tensor;

    /// FLOPs charged by `f` (measured as the change of `ctx.flops_used()`).
    pub fn flops<T>(ctx: &BudgetContext, f: impl FnOnce() -> T) -> (T, u64) {
        let before = ctx.flops_used();
        let out = f();
        (out, ctx.flops_used() - before)
    }

    /// Asserts `a ≈ b` elementwise with relative/absolute tolerance `tol`.
    #[track_caller]
    pub fn assert_close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len(), "length mismatch: {a:?} vs {b:?}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            let scale = x.abs().max(y.abs()).max(1.0);
            assert!(
                (x - y).abs() <= tol * scale,
                "element {i}: {x} vs {y} (tol {tol})\n{a:?}\n{b:?}"
            );
        }
    }

    /// A deterministic `(rows, cols)` f64 matrix with entries in about [-1, 1].
    pub fn pseudo_random(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..rows * cols)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            })
            .collect()
    }

    /// `A·Aᵀ + n·I` for a pseudo-random `A` (symmetric positive definite), row-major.
    pub fn spd(n: usize, seed: u64) -> Vec<f64> {
        let a = pseudo_random(n, n, seed);
        let mut p = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let mut acc = 0.0;
                for k in 0..n {
                    acc += a[i * n + k] * a[j * n + k];
                }
                p[i * n + j] = acc + if i == j { n as f64 } else { 0.0 };
            }
        }
        p
    }

    /// A tensor built inside the current context (charges `array`).
    pub fn tensor_f64(data: Vec<f64>, shape: &[usize]) -> Tensor {
        Tensor::from_vec(data, shape)
    }

    /// The same data as an `f32` tensor.
    pub fn tensor_f32(data: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(data.iter().map(|&x| x as f32).collect::<Vec<_>>(), shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::BudgetContext;

    #[test]
    fn error_messages_name_the_problem() {
        let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
        assert_eq!(
            LinalgError::NotPositiveDefinite { op: "cholesky" }.to_string(),
            "cholesky: matrix is not positive definite"
        );
        assert_eq!(
            LinalgError::Singular { op: "inv" }.to_string(),
            "inv: singular matrix"
        );
        assert_eq!(
            LinalgError::NoConvergence { op: "svd" }.to_string(),
            "svd: the algorithm did not converge"
        );
    }

    #[test]
    fn compute_dtype_matches_numpy_common_type() {
        let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
        assert_eq!(compute_dtype(&[DType::F32]), DType::F32);
        assert_eq!(compute_dtype(&[DType::F64]), DType::F64);
        assert_eq!(compute_dtype(&[DType::F32, DType::F64]), DType::F64);
        assert_eq!(compute_dtype(&[DType::I64]), DType::F64);
        assert_eq!(compute_dtype(&[DType::Bool, DType::F32]), DType::F64);
    }

    #[test]
    fn symmetry_check_uses_allclose_tolerances() {
        let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
        let s = Shape::new(&[2, 2]);
        assert!(satisfies(
            &[1.0, 2.0, 2.0 + 1e-9, 3.0],
            &s,
            &Symmetry::matrix()
        ));
        assert!(!satisfies(&[1.0, 2.0, 2.1, 3.0], &s, &Symmetry::matrix()));
        assert!(!satisfies(
            &[1.0, f64::NAN, f64::NAN, 3.0],
            &s,
            &Symmetry::matrix()
        ));
    }
}
