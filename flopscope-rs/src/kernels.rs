//! Raw numeric kernels behind the counted ops: GEMM through the `gemm` crate (AVX-512 / AVX2
//! micro-kernels chosen at run time, rayon-parallel for large products), plus a plain loop for
//! integer types. The only `unsafe` in the tensor code lives here.

use gemm::Parallelism;

use crate::cpu_time::in_kernel_pool;

/// Products with at least this many multiply-adds (m·n·k) use every thread of the kernel pool.
const PARALLEL_MIN_MNK: usize = 1 << 18;

/// A row-major view of a matrix with explicit strides (in elements).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A contiguous row-major `rows × cols` matrix.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// Whether a product is large enough to split across the kernel pool: at least
/// [`PARALLEL_MIN_MNK`] multiply-adds and not a matrix–vector product (`gemm` runs those on
/// one thread anyway, so handing them to the pool would only add its wake-up latency).
fn is_parallel(m: usize, n: usize, k: usize) -> bool {
    m > 1 && n > 1 && m.saturating_mul(n).saturating_mul(k) >= PARALLEL_MIN_MNK
}

/// A float type the `gemm` crate multiplies.
pub(crate) trait GemmFloat: Copy + Default + Send + Sync + 'static {
    /// One.
    const ONE: Self;
}
impl GemmFloat for f32 {
    const ONE: f32 = 1.0;
}
impl GemmFloat for f64 {
    const ONE: f64 = 1.0;
}

/// `out = a · b` for float matrices, written row-major into `out` (length `a.rows · b.cols`).
///
/// # Panics
/// If the inner dimensions differ, a view overruns its slice, or `out` has the wrong length.
pub(crate) fn gemm_into<T: GemmFloat>(a: MatRef<'_, T>, b: MatRef<'_, T>, out: &mut [T]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions differ");
    assert!(
        a.fits() && b.fits(),
        "gemm: a matrix view overruns its data"
    );
    assert_eq!(out.len(), m * n, "gemm: output has the wrong length");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out.fill(T::default());
        return;
    }
    let mut run = move |par: Parallelism| {
        // SAFETY: the asserts above guarantee every index the kernel reads,
        // `(i·row_stride + p·col_stride)` for i < rows and p < cols, lies inside `a.data` /
        // `b.data`, and `out` holds exactly m·n elements written at `i·n + j`. `read_dst =
        // false`, so `out`'s previous contents are never read. Strides fit in `isize` because
        // they index real slices.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                out.as_mut_ptr(),
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
                par,
            );
        }
    };
    if is_parallel(m, n, k) {
        in_kernel_pool(move || run(Parallelism::Rayon(rayon::current_num_threads())));
    } else {
        run(Parallelism::None);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_matches_naive_with_transposed_views() {
        let a: Vec<f64> = (0..12).map(|x| x as f64).collect(); // 3×4
        let b: Vec<f64> = (0..8).map(|x| (x * 2) as f64).collect(); // 2×4, used transposed
        let mut out = vec![0.0; 6];
        gemm_into(
            MatRef::row_major(&a, 3, 4),
            MatRef {
                data: &b,
                rows: 4,
                cols: 2,
                row_stride: 1,
                col_stride: 4,
            },
            &mut out,
        );
        for i in 0..3 {
            for j in 0..2 {
                let want: f64 = (0..4).map(|p| a[i * 4 + p] * b[j * 4 + p]).sum();
                assert_eq!(out[i * 2 + j], want);
            }
        }
    }
}
