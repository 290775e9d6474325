//! Raw numeric kernels behind the counted ops: float GEMM through [`crate::gemm`] (the `gemm`
//! crate's AVX-512 micro-kernels, or flopscope's packed AVX2 product on machines without
//! AVX-512, chosen at run time, on the kernel pool for large products), plus a plain loop for
//! integer types; vectorised `exp`/`log`/`tanh` in [`transcendental`].

use crate::cpu_time::{in_kernel_pool, kernel_pool};
use crate::gemm::{matmul, matmul_to_vec, uses_packed, Parallelism};
pub(crate) use crate::gemm::{GemmFloat, MatRef};

mod gram;
mod matvec;
pub(crate) mod transcendental;

pub(crate) use matvec::MvFloat;
use matvec::{matrix_vector, vector_matrix, Rows};

/// Products with at least this many multiply-adds (m·n·k) use every thread of the kernel pool.
const PARALLEL_MIN_MNK: usize = 1 << 18;

/// Whether a product is large enough to split across the kernel pool: at least
/// [`PARALLEL_MIN_MNK`] multiply-adds and not a matrix–vector product (`gemm` runs those on
/// one thread anyway, so handing them to the pool would only add its wake-up latency).
fn is_parallel(m: usize, n: usize, k: usize) -> bool {
    m > 1 && n > 1 && m.saturating_mul(n).saturating_mul(k) >= PARALLEL_MIN_MNK
}

/// `out = a · b` for float matrices, written row-major into `out` (length `a.rows · b.cols`),
/// through [`crate::gemm::matmul`]: products of at least [`PARALLEL_MIN_MNK`] multiply-adds
/// run on every thread of the kernel pool, smaller ones on the calling thread.
///
/// # Panics
/// If the inner dimensions differ, a view overruns its slice, or `out` has the wrong length
/// (the ops check shapes before they get here, so this is a bug, not bad input).
pub(crate) fn gemm_into<T: GemmFloat>(a: MatRef<'_, T>, b: MatRef<'_, T>, out: &mut [T]) {
    if let Some(v) = T::matrix_vector_product(a, b) {
        out.copy_from_slice(&v);
        return;
    }
    with_threads(a.rows, a.cols, b.cols, move |threads| {
        let par = if threads > 1 {
            Parallelism::Rayon(threads)
        } else {
            Parallelism::None
        };
        if let Err(e) = matmul(a, b, out, par) {
            panic!("{e}");
        }
    });
}

/// `a · b` for float matrices as a new row-major `a.rows × b.cols` vector, through
/// [`crate::gemm::matmul_to_vec`] (no zero-fill): products of at least [`PARALLEL_MIN_MNK`]
/// multiply-adds are split by rows over every thread of the kernel pool, smaller ones run on
/// the calling thread. The result does not depend on the thread count.
///
/// # Panics
/// If the inner dimensions differ or a view overruns its slice (the ops check shapes before
/// they get here, so this is a bug, not bad input).
pub(crate) fn gemm_to_vec<T: GemmFloat>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Vec<T> {
    if let Some(v) = T::matrix_vector_product(a, b) {
        return v;
    }
    if is_transpose_of(b, a) && gram::worth_it(a.rows, a.cols) {
        return gram::gram_to_vec(a);
    }
    with_threads(a.rows, a.cols, b.cols, move |threads| {
        matmul_to_vec(a, b, threads).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Runs `product(threads)` for an `m × k · k × n` product: with 1 (on the calling thread)
/// below [`PARALLEL_MIN_MNK`] multiply-adds, else with every thread of the kernel pool. The
/// packed product puts its parts on the kernel pool itself, the caller working too, so it is
/// called right here; the `gemm` crate splits over the current rayon pool, so it is called
/// inside the kernel pool.
fn with_threads<R: Send>(
    m: usize,
    k: usize,
    n: usize,
    product: impl FnOnce(usize) -> R + Send,
) -> R {
    if !is_parallel(m, n, k) {
        product(1)
    } else if uses_packed() {
        product(kernel_pool().current_num_threads())
    } else {
        in_kernel_pool(move || product(rayon::current_num_threads()))
    }
}

/// Whether `b` is exactly `a`'s transpose: the same elements read with the strides swapped
/// (as in `x.t().matmul(&x)` or `x.matmul(&x.t())`).
fn is_transpose_of<T>(b: MatRef<'_, T>, a: MatRef<'_, T>) -> bool {
    std::ptr::eq(a.data.as_ptr(), b.data.as_ptr())
        && (a.rows, a.cols, a.row_stride, a.col_stride)
            == (b.cols, b.rows, b.col_stride, b.row_stride)
}

/// `a · b` through [`matvec`] when one side is a vector (`a` one row or `b` one column, not
/// both) stored contiguously and the other is row-major or a transposed row-major matrix;
/// `None` otherwise (and for an empty inner dimension), for the general GEMM.
pub(crate) fn matrix_vector_product<T: MvFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
) -> Option<Vec<T>> {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if k == 0 || b.rows != k || (m == 1) == (n == 1) {
        return None;
    }
    let rows = |data, rows, cols, row_stride| Rows {
        data,
        rows,
        cols,
        row_stride,
    };
    if n == 1 {
        // `a · v`: `v` is `b`'s one column.
        let v = b.data.get(..k).filter(|_| b.row_stride == 1 || k == 1)?;
        if a.col_stride == 1 {
            Some(matrix_vector(rows(a.data, m, k, a.row_stride), v))
        } else if a.row_stride == 1 {
            // `a` is the transpose of a row-major `k × m` matrix `s`: `a·v = v·s`.
            Some(vector_matrix(v, rows(a.data, k, m, a.col_stride)))
        } else {
            None
        }
    } else {
        // `v · b`: `v` is `a`'s one row.
        let v = a.data.get(..k).filter(|_| a.col_stride == 1 || k == 1)?;
        if b.col_stride == 1 {
            Some(vector_matrix(v, rows(b.data, k, n, b.row_stride)))
        } else if b.row_stride == 1 {
            // `b` is the transpose of a row-major `n × k` matrix `s`: `v·b = s·v`.
            Some(matrix_vector(rows(b.data, n, k, b.col_stride), v))
        } else {
            None
        }
    }
}

/// `a · b` for int64 matrices (plain triple loop; wrapping arithmetic like numpy).
pub(crate) fn gemm_i64(a: MatRef<'_, i64>, b: MatRef<'_, i64>, out: &mut [i64]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions differ");
    for i in 0..m {
        for j in 0..n {
            let mut s = 0i64;
            for p in 0..k {
                let x = a.data[i * a.row_stride + p * a.col_stride];
                let y = b.data[p * b.row_stride + j * b.col_stride];
                s = s.wrapping_add(x.wrapping_mul(y));
            }
            out[i * n + j] = s;
        }
    }
}

/// Side of the square tiles [`transpose_2d`] copies: a tile of 8-byte elements (8 KiB) and
/// the tile it writes stay in L1.
const TRANSPOSE_TILE: usize = 32;

/// The transpose of the row-major `rows × cols` matrix `src`, row-major (`cols × rows`),
/// copied tile by tile so reads and writes both stay in cache (uncounted kernel).
///
/// # Panics
/// If `src.len() != rows · cols` (a bug in the caller).
pub(crate) fn transpose_2d<T: Copy>(src: &[T], rows: usize, cols: usize) -> Vec<T> {
    assert_eq!(
        src.len(),
        rows * cols,
        "transpose_2d: length is not rows·cols"
    );
    let mut out = crate::buffer::output_vec(src.len());
    let spare = &mut out.spare_capacity_mut()[..src.len()];
    for i0 in (0..rows).step_by(TRANSPOSE_TILE) {
        let i1 = (i0 + TRANSPOSE_TILE).min(rows);
        for j0 in (0..cols).step_by(TRANSPOSE_TILE) {
            let j1 = (j0 + TRANSPOSE_TILE).min(cols);
            for j in j0..j1 {
                let dst = &mut spare[j * rows + i0..j * rows + i1];
                for (d, s) in dst
                    .iter_mut()
                    .zip(src[i0 * cols + j..].iter().step_by(cols))
                {
                    d.write(*s);
                }
            }
        }
    }
    // SAFETY: the tiles cover every (i, j) with i < rows, j < cols, so each of the
    // rows·cols = src.len() elements was written above (each once).
    unsafe { out.set_len(src.len()) };
    out
}
