//! Decompositions: `cholesky`, `eigh`, `eigvalsh`, `qr` (reduced / complete / r), `svd`.

use faer::linalg::solvers::{Llt, Qr, SelfAdjointEigen, Svd};
use faer::{Mat, Side};

use crate::cpu_time::in_kernel_pool;

use super::{
    compute_dtype, counts, mat_at, out_tensor, push_rows, push_rows_transposed, LinalgError, Stack,
};
use crate::budget::{counted, exact, Op};
use crate::tensor::Tensor;

/// Cholesky factor `L` (lower triangular, `a = L·Lᵀ`) of each symmetric positive-definite
/// matrix (numpy `linalg.cholesky`, `upper=False`). Only the lower triangle of `a` is read.
///
/// Shape contract: `(…, n, n) → (…, n, n)` in the compute dtype; the strict upper triangle of
/// the result is zero.
/// FLOPs: `linalg.cholesky`, `⌊n³/3⌋ × batch × rate` (0 for `n = 0`; no symmetry discount).
///
/// # Errors
/// [`LinalgError::NotPositiveDefinite`] if a matrix is not positive definite (still charged).
///
/// # Panics
/// If the input has fewer than two axes or is not square.
pub fn cholesky(a: &Tensor) -> Result<Tensor, LinalgError> {
    let st = Stack::square(a, "cholesky");
    let dt = compute_dtype(&[a.dtype()]);
    let n = st.n;
    counted(
        exact(Op::LinalgCholesky, st.billed(counts::cholesky(n)), dt),
        |charged| {
            let x = a.buf.to_vec::<f64>();
            let mut out = Vec::with_capacity(x.len());
            for b in 0..st.count {
                let m = mat_at(&x, b, n, n);
                let llt = in_kernel_pool(|| Llt::new(m.as_ref(), Side::Lower))
                    .map_err(|_| LinalgError::NotPositiveDefinite { op: "cholesky" })?;
                push_rows(&mut out, llt.L());
            }
            Ok(out_tensor(charged, out, a.shape, dt))
        },
    )
}

/// Eigenvalues (ascending) and orthonormal eigenvectors (as columns) of each symmetric
/// matrix (numpy `linalg.eigh`, `UPLO='L'`: only the lower triangle of `a` is read).
///
/// Returns `(w, v)` with `a @ v[:, i] = w[i] · v[:, i]`. As with LAPACK, the sign of each
/// eigenvector is not specified.
///
/// Shape contract: `(…, n, n) → ((…, n), (…, n, n))`, both in the compute dtype.
/// FLOPs: `linalg.eigh`, `9n³ × batch × rate` (0 for `n = 0`; no symmetry discount).
///
/// # Errors
/// [`LinalgError::NoConvergence`] if the eigenvalue iteration fails (still charged).
///
/// # Panics
/// If the input has fewer than two axes or is not square.
pub fn eigh(a: &Tensor) -> Result<(Tensor, Tensor), LinalgError> {
    let st = Stack::square(a, "eigh");
    let dt = compute_dtype(&[a.dtype()]);
    let n = st.n;
    counted(
        exact(Op::LinalgEigh, st.billed(counts::eigh(n)), dt),
        |charged| {
            let x = a.buf.to_vec::<f64>();
            let mut w = Vec::with_capacity(st.count * n);
            let mut v = Vec::with_capacity(x.len());
            for b in 0..st.count {
                if n == 0 {
                    continue;
                }
                let m = mat_at(&x, b, n, n);
                let evd = in_kernel_pool(|| SelfAdjointEigen::new(m.as_ref(), Side::Lower))
                    .map_err(|_| LinalgError::NoConvergence { op: "eigh" })?;
                let s = evd.S().column_vector();
                w.extend((0..n).map(|i| s[i]));
                push_rows(&mut v, evd.U());
            }
            Ok((
                out_tensor(charged, w, st.shape_with(&[n]), dt),
                out_tensor(charged, v, a.shape, dt),
            ))
        },
    )
}

/// Eigenvalues (ascending) of each symmetric matrix, without eigenvectors (numpy
/// `linalg.eigvalsh`, `UPLO='L'`).
///
/// Shape contract: `(…, n, n) → (…, n)` in the compute dtype.
/// FLOPs: `linalg.eigvalsh`, `⌊4n³/3⌋ × batch × rate` (0 for `n = 0`).
///
/// # Errors
/// [`LinalgError::NoConvergence`] if the eigenvalue iteration fails (still charged).
///
/// # Panics
/// If the input has fewer than two axes or is not square.
pub fn eigvalsh(a: &Tensor) -> Result<Tensor, LinalgError> {
    let st = Stack::square(a, "eigvalsh");
    let dt = compute_dtype(&[a.dtype()]);
    let n = st.n;
    counted(
        exact(Op::LinalgEigvalsh, st.billed(counts::eigvalsh(n)), dt),
        |charged| {
            let x = a.buf.to_vec::<f64>();
            let mut w = Vec::with_capacity(st.count * n);
            for b in 0..st.count {
                if n == 0 {
                    continue;
                }
                let m = mat_at(&x, b, n, n);
                let vals = m
                    .self_adjoint_eigenvalues(Side::Lower)
                    .map_err(|_| LinalgError::NoConvergence { op: "eigvalsh" })?;
                w.extend(vals);
            }
            Ok(out_tensor(charged, w, st.shape_with(&[n]), dt))
        },
    )
}

/// Which factors a QR call returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QrMode {
    Reduced,
    Complete,
    ROnly,
}

/// Shared QR driver: returns `(Q, R)` (Q is `None` in `r` mode).
fn qr_impl(a: &Tensor, mode: QrMode) -> (Option<Tensor>, Tensor) {
    let st = Stack::of(a, "qr");
    let dt = compute_dtype(&[a.dtype()]);
    let (m, n) = (st.m, st.n);
    let k = m.min(n);
    let (q_cols, r_rows) = match mode {
        QrMode::Reduced | QrMode::ROnly => (k, k),
        QrMode::Complete => (m, m),
    };
    counted(
        exact(
            Op::LinalgQr,
            st.billed(counts::qr(m, n, mode != QrMode::ROnly)),
            dt,
        ),
        |charged| {
            let x = a.buf.to_vec::<f64>();
            let mut q = Vec::with_capacity(st.count * m * q_cols);
            let mut r = Vec::with_capacity(st.count * r_rows * n);
            for b in 0..st.count {
                if k == 0 {
                    // Empty factorisation: Q is the identity's first columns, R is all zeros.
                    if mode != QrMode::ROnly {
                        push_rows(&mut q, Mat::<f64>::identity(m, q_cols).as_ref());
                    }
                    r.extend(std::iter::repeat_n(0.0, r_rows * n));
                    continue;
                }
                let mat = mat_at(&x, b, m, n);
                let f = in_kernel_pool(|| Qr::new(mat.as_ref()));
                let thin_r = f.thin_R();
                push_rows(&mut r, thin_r);
                // Complete mode pads R with zero rows up to m × n.
                r.extend(std::iter::repeat_n(0.0, (r_rows - k) * n));
                match mode {
                    QrMode::Reduced => push_rows(&mut q, f.compute_thin_Q().as_ref()),
                    QrMode::Complete => push_rows(&mut q, f.compute_Q().as_ref()),
                    QrMode::ROnly => {}
                }
            }
            let q_t = (mode != QrMode::ROnly)
                .then(|| out_tensor(charged, q, st.shape_with(&[m, q_cols]), dt));
            (q_t, out_tensor(charged, r, st.shape_with(&[r_rows, n]), dt))
        },
    )
}

/// Reduced QR decomposition `a = Q·R` (numpy `linalg.qr`, default `mode='reduced'`),
/// by Householder reflections (the same sign convention as LAPACK's `geqrf`).
///
/// Returns `(Q, R)`: `Q` has orthonormal columns, `R` is upper triangular.
///
/// Shape contract: `(…, m, n) → ((…, m, k), (…, k, n))`, `k = min(m, n)`, compute dtype.
/// FLOPs: `linalg.qr`, `2(2mnk − ⌊2k³/3⌋) × batch × rate` (0 for an empty matrix).
///
/// # Panics
/// If the input has fewer than two axes.
pub fn qr(a: &Tensor) -> (Tensor, Tensor) {
    let (q, r) = qr_impl(a, QrMode::Reduced);
    (q.unwrap_or_else(|| unreachable!("reduced mode forms Q")), r)
}

/// Complete QR decomposition (numpy `linalg.qr(a, mode='complete')`).
///
/// Returns `(Q, R)` with a square orthogonal `Q` and `R` padded with zero rows.
///
/// Shape contract: `(…, m, n) → ((…, m, m), (…, m, n))`, compute dtype.
/// FLOPs: `linalg.qr`, `2(2mnk − ⌊2k³/3⌋) × batch × rate`, `k = min(m, n)` (as reduced).
///
/// # Panics
/// If the input has fewer than two axes.
pub fn qr_complete(a: &Tensor) -> (Tensor, Tensor) {
    let (q, r) = qr_impl(a, QrMode::Complete);
    (
        q.unwrap_or_else(|| unreachable!("complete mode forms Q")),
        r,
    )
}

/// The `R` factor only (numpy `linalg.qr(a, mode='r')`).
///
/// Shape contract: `(…, m, n) → (…, k, n)`, `k = min(m, n)`, compute dtype.
/// FLOPs: `linalg.qr`, `(2mnk − ⌊2k³/3⌋) × batch × rate` (Q is not formed, so half of
/// [`qr`]'s count).
///
/// # Panics
/// If the input has fewer than two axes.
pub fn qr_r(a: &Tensor) -> Tensor {
    qr_impl(a, QrMode::ROnly).1
}

/// Singular value decomposition `a = U · diag(S) · Vh` (numpy `linalg.svd`).
///
/// Returns `(U, S, Vh)` with `S` non-negative and descending. With `full_matrices` `U` is
/// `m × m` and `Vh` is `n × n`; otherwise (thin) `U` is `m × k` and `Vh` is `k × n`,
/// `k = min(m, n)`. As with LAPACK, the signs of paired singular vectors are not specified.
///
/// Shape contract: `(…, m, n) → ((…, m, m|k), (…, k), (…, n|k, n))`, compute dtype.
/// FLOPs: `linalg.svd`, per matrix with `a = max(m, n)`, `b = min(m, n)`: thin
/// `6ab² + 20b³`; full with `m ≠ n` `4a²b + 22b³` (square full = thin); × batch × rate
/// (0 for an empty matrix).
///
/// # Errors
/// [`LinalgError::NoConvergence`] if the SVD iteration fails (still charged).
///
/// # Panics
/// If the input has fewer than two axes.
pub fn svd(a: &Tensor, full_matrices: bool) -> Result<(Tensor, Tensor, Tensor), LinalgError> {
    let st = Stack::of(a, "svd");
    let dt = compute_dtype(&[a.dtype()]);
    let (m, n) = (st.m, st.n);
    let k = m.min(n);
    let (u_cols, vh_rows) = if full_matrices { (m, n) } else { (k, k) };
    counted(
        exact(
            Op::LinalgSvd,
            st.billed(counts::svd(m, n, true, full_matrices)),
            dt,
        ),
        |charged| {
            let x = a.buf.to_vec::<f64>();
            let mut u = Vec::with_capacity(st.count * m * u_cols);
            let mut s = Vec::with_capacity(st.count * k);
            let mut vh = Vec::with_capacity(st.count * vh_rows * n);
            for b in 0..st.count {
                if k == 0 {
                    push_rows(&mut u, Mat::<f64>::identity(m, u_cols).as_ref());
                    push_rows(&mut vh, Mat::<f64>::identity(vh_rows, n).as_ref());
                    continue;
                }
                let mat = mat_at(&x, b, m, n);
                let f = if full_matrices {
                    in_kernel_pool(|| Svd::new(mat.as_ref()))
                } else {
                    in_kernel_pool(|| Svd::new_thin(mat.as_ref()))
                }
                .map_err(|_| LinalgError::NoConvergence { op: "svd" })?;
                push_rows(&mut u, f.U());
                let sv = f.S().column_vector();
                s.extend((0..k).map(|i| sv[i]));
                push_rows_transposed(&mut vh, f.V());
            }
            Ok((
                out_tensor(charged, u, st.shape_with(&[m, u_cols]), dt),
                out_tensor(charged, s, st.shape_with(&[k]), dt),
                out_tensor(charged, vh, st.shape_with(&[vh_rows, n]), dt),
            ))
        },
    )
}

/// Singular values only, descending (numpy `linalg.svd(a, compute_uv=False)`).
///
/// Shape contract: `(…, m, n) → (…, k)`, `k = min(m, n)`, compute dtype.
/// FLOPs: `linalg.svd`, `(2ab² + 2b³) × batch × rate`, `a = max(m, n)`, `b = min(m, n)`
/// (0 for an empty matrix).
///
/// # Errors
/// [`LinalgError::NoConvergence`] if the SVD iteration fails (still charged).
///
/// # Panics
/// If the input has fewer than two axes.
pub fn svd_values(a: &Tensor) -> Result<Tensor, LinalgError> {
    let st = Stack::of(a, "svd");
    let dt = compute_dtype(&[a.dtype()]);
    let (m, n) = (st.m, st.n);
    let k = m.min(n);
    counted(
        exact(
            Op::LinalgSvd,
            st.billed(counts::svd(m, n, false, false)),
            dt,
        ),
        |charged| {
            let x = a.buf.to_vec::<f64>();
            let s = singular_values(&x, &st, "svd")?;
            Ok(out_tensor(charged, s, st.shape_with(&[k]), dt))
        },
    )
}

/// Singular values (descending) of every matrix of a stack, concatenated (uncounted kernel).
pub(super) fn singular_values(
    x: &[f64],
    st: &Stack,
    op: &'static str,
) -> Result<Vec<f64>, LinalgError> {
    let (m, n) = (st.m, st.n);
    let k = m.min(n);
    let mut s = Vec::with_capacity(st.count * k);
    if k == 0 {
        return Ok(s);
    }
    for b in 0..st.count {
        let vals = mat_at(x, b, m, n)
            .singular_values()
            .map_err(|_| LinalgError::NoConvergence { op })?;
        s.extend(vals);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::BudgetContext;
    use crate::dtype::DType;
    use crate::linalg::test_util::*;
    use crate::symmetry::Symmetry;

    /// The SPD matrix used by the numeric tests (numpy values below are for it).
    const S: [f64; 9] = [4.0, 1.0, 2.0, 1.0, 5.0, 3.0, 2.0, 3.0, 6.0];
    /// A 4 × 3 full-rank matrix for QR / SVD.
    const A: [f64; 12] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 1.0, -1.0, 2.0];

    fn ctx() -> BudgetContext {
        BudgetContext::new(u64::MAX / 4).unwrap()
    }

    /// Flips the sign of each column `j` of row-major `(rows, cols)` data so that it agrees
    /// in sign with the reference column (eigen/singular vectors are defined up to sign).
    fn align_columns(got: &[f64], want: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        let mut out = got.to_vec();
        for j in 0..cols {
            let dot: f64 = (0..rows)
                .map(|i| got[i * cols + j] * want[i * cols + j])
                .sum();
            if dot < 0.0 {
                for i in 0..rows {
                    out[i * cols + j] = -out[i * cols + j];
                }
            }
        }
        out
    }

    #[test]
    fn cholesky_matches_numpy_and_reads_the_lower_triangle() {
        let _ctx = ctx();
        let l = cholesky(&tensor_f64(S.to_vec(), &[3, 3])).unwrap();
        // numpy 2.4.6: np.linalg.cholesky(S)
        assert_close(
            &l.to_vec::<f64>(),
            &[
                2.0,
                0.0,
                0.0,
                0.5,
                2.179449471770337,
                0.0,
                1.0,
                1.1470786693528088,
                1.9194297398747862,
            ],
            1e-15,
        );
        // np.linalg.cholesky([[4, 100], [2, 5]]) == [[2, 0], [1, 2]] (upper triangle ignored).
        let l = cholesky(&tensor_f64(vec![4.0, 100.0, 2.0, 5.0], &[2, 2])).unwrap();
        assert_eq!(l.to_vec::<f64>(), vec![2.0, 0.0, 1.0, 2.0]);
        let err = cholesky(&tensor_f64(vec![1.0, 2.0, 2.0, 1.0], &[2, 2])).unwrap_err();
        assert_eq!(err.to_string(), "cholesky: matrix is not positive definite");
    }

    #[test]
    fn eigh_matches_numpy() {
        let _ctx = ctx();
        let (w, v) = eigh(&tensor_f64(S.to_vec(), &[3, 3])).unwrap();
        assert_eq!((w.shape(), v.shape()), (&[3usize][..], &[3usize, 3][..]));
        // numpy 2.4.6: np.linalg.eigh(S)
        let want_w = [2.1943971674224088, 3.386770156607549, 9.418832675970037];
        let want_v = [
            -0.4412246968734644,
            -0.8155834192895004,
            -0.37435872241603624,
            -0.5773502691896257,
            0.5773502691896258,
            -0.5773502691896254,
            0.6870134158337713,
            -0.038605088352622705,
            -0.7256185041863941,
        ];
        assert_close(&w.to_vec::<f64>(), &want_w, 1e-14);
        let got_v = v.to_vec::<f64>();
        assert_close(&align_columns(&got_v, &want_v, 3, 3), &want_v, 1e-14);
        let wv = eigvalsh(&tensor_f64(S.to_vec(), &[3, 3])).unwrap();
        assert_close(&wv.to_vec::<f64>(), &want_w, 1e-14);
        // Only the lower triangle is read: eigh([[2, 100], [1, 3]]) sees [[2, 1], [1, 3]].
        let (w, _) = eigh(&tensor_f64(vec![2.0, 100.0, 1.0, 3.0], &[2, 2])).unwrap();
        assert_close(
            &w.to_vec::<f64>(),
            &[1.381966011250105, 3.618033988749895],
            1e-15,
        );
    }

    #[test]
    fn qr_matches_numpy_including_signs() {
        let _ctx = ctx();
        let a = tensor_f64(A.to_vec(), &[4, 3]);
        let (q, r) = qr(&a);
        assert_eq!((q.shape(), r.shape()), (&[4usize, 3][..], &[3usize, 3][..]));
        // numpy 2.4.6: np.linalg.qr(A) (LAPACK geqrf/orgqr sign convention)
        let want_q = [
            -0.12216944435630528,
            -0.3625135725463336,
            0.9042248064222358,
            -0.48867777742522095,
            -0.17171695541668427,
            0.04447007244699511,
            -0.8551861104941366,
            0.019079661712964876,
            -0.20752700475264424,
            -0.12216944435630524,
            0.9158237622223161,
            0.3705839370582934,
        ];
        let want_r = [
            -8.18535277187245,
            -9.407047215435503,
            -12.094774991274218,
            0.0,
            -2.3467983906946857,
            -0.09539830856482479,
            0.0,
            0.0,
            1.6453926805388226,
        ];
        assert_close(&q.to_vec::<f64>(), &want_q, 1e-14);
        assert_close(&r.to_vec::<f64>(), &want_r, 1e-14);
        let (qc, rc) = qr_complete(&a);
        assert_eq!(
            (qc.shape(), rc.shape()),
            (&[4usize, 4][..], &[4usize, 3][..])
        );
        let qcv = qc.to_vec::<f64>();
        let want_last_col = [
            -0.18983159915049963,
            0.8542421961772491,
            -0.4745789978762495,
            0.09491579957525004,
        ];
        let last: Vec<f64> = (0..4).map(|i| qcv[i * 4 + 3]).collect();
        assert_close(
            &align_columns(&last, &want_last_col, 4, 1),
            &want_last_col,
            1e-14,
        );
        assert_close(&rc.to_vec::<f64>()[..9], &want_r, 1e-14);
        assert_eq!(&rc.to_vec::<f64>()[9..], &[0.0, 0.0, 0.0]);
        assert_close(&qr_r(&a).to_vec::<f64>(), &want_r, 1e-14);
        // Wide input: np.linalg.qr(A.T)
        let at: Vec<f64> = (0..3)
            .flat_map(|j| (0..4).map(move |i| A[i * 3 + j]))
            .collect();
        let (q, r) = qr(&tensor_f64(at, &[3, 4]));
        assert_eq!((q.shape(), r.shape()), (&[3usize, 3][..], &[3usize, 4][..]));
        assert_close(
            &q.to_vec::<f64>(),
            &[
                -0.2672612419124243,
                0.8728715609439696,
                0.4082482904638629,
                -0.5345224838248488,
                0.21821789023599236,
                -0.816496580927726,
                -0.8017837257372732,
                -0.43643578047198456,
                0.40824829046386313,
            ],
            1e-14,
        );
        assert_close(
            &r.to_vec::<f64>(),
            &[
                -3.7416573867739413,
                -8.55235974119758,
                -14.164845821358494,
                -1.3363062095621223,
                0.0,
                1.963961012123933,
                3.491486243775882,
                -0.2182178902359917,
                0.0,
                0.0,
                0.4082482904638638,
                2.041241452319315,
            ],
            1e-14,
        );
    }

    #[test]
    fn svd_matches_numpy() {
        let _ctx = ctx();
        let a = tensor_f64(A.to_vec(), &[4, 3]);
        // numpy 2.4.6: np.linalg.svd(A)
        let want_s = [17.461124885049944, 2.0873690516404917, 0.8671840582845541];
        let want_u_thin = [
            -0.2088170364036852,
            0.06062701201556681,
            -0.9574360420861601,
            -0.5023410543800171,
            -0.1158244652645578,
            -0.0671448330165643,
            -0.8357081447625049,
            -0.03457189491413102,
            0.27417413378076644,
            -0.07510530719974069,
            0.9908147368414999,
            0.060302081880593064,
        ];
        let want_vh = [
            -0.46636420208145896,
            -0.5463507797126932,
            -0.6957048630879735,
            0.16582626973791806,
            -0.826522840841345,
            0.5379234535065007,
            0.8689108580756321,
            -0.13550209989105447,
            -0.47605997693923335,
        ];
        for full in [true, false] {
            let (u, s, vh) = svd(&a, full).unwrap();
            let uc = if full { 4 } else { 3 };
            assert_eq!(
                (u.shape(), s.shape(), vh.shape()),
                (&[4usize, uc][..], &[3usize][..], &[3usize, 3][..])
            );
            assert_close(&s.to_vec::<f64>(), &want_s, 1e-14);
            let uv = u.to_vec::<f64>();
            let u3: Vec<f64> = (0..4)
                .flat_map(|i| (0..3).map(move |j| (i, j)))
                .map(|(i, j)| uv[i * uc + j])
                .collect();
            // Align the signs of each (u_j, v_j) pair on u_j, then compare both.
            let signs: Vec<f64> = (0..3)
                .map(|j| {
                    let d: f64 = (0..4).map(|i| u3[i * 3 + j] * want_u_thin[i * 3 + j]).sum();
                    d.signum()
                })
                .collect();
            let u_al: Vec<f64> = u3
                .iter()
                .enumerate()
                .map(|(k, x)| x * signs[k % 3])
                .collect();
            let vh_al: Vec<f64> = vh
                .to_vec::<f64>()
                .iter()
                .enumerate()
                .map(|(k, x)| x * signs[k / 3])
                .collect();
            assert_close(&u_al, &want_u_thin, 1e-14);
            assert_close(&vh_al, &want_vh, 1e-14);
            if full {
                // The extra column spans the orthogonal complement: orthonormal to the rest.
                for j in 0..3 {
                    let d: f64 = (0..4).map(|i| uv[i * 4 + 3] * uv[i * 4 + j]).sum();
                    assert!(d.abs() < 1e-14);
                }
            }
        }
        let s = svd_values(&a).unwrap();
        assert_close(
            &s.to_vec::<f64>(),
            &[17.461124885049948, 2.0873690516404917, 0.8671840582845538],
            1e-14,
        );
    }

    #[test]
    fn f32_results_are_f32() {
        let _ctx = ctx();
        let s = tensor_f32(&S, &[3, 3]);
        assert_eq!(cholesky(&s).unwrap().dtype(), DType::F32);
        let (w, v) = eigh(&s).unwrap();
        assert_eq!((w.dtype(), v.dtype()), (DType::F32, DType::F32));
        let (q, r) = qr(&s);
        assert_eq!((q.dtype(), r.dtype()), (DType::F32, DType::F32));
        assert_eq!(svd_values(&s).unwrap().dtype(), DType::F32);
        let ints = Tensor::from_vec(vec![2i64, 1, 1, 2], [2, 2]);
        assert_eq!(cholesky(&ints).unwrap().dtype(), DType::F64);
    }

    #[test]
    fn empty_and_stacked_inputs() {
        let ctx = ctx();
        let e = Tensor::zeros([0, 3], DType::F64);
        let ((q, r), c) = flops(&ctx, || qr(&e));
        assert_eq!(
            (q.shape(), r.shape(), c),
            (&[0usize, 0][..], &[0usize, 3][..], 0)
        );
        let ((u, s, vh), c) = flops(&ctx, || svd(&e, true).unwrap());
        assert_eq!(
            (u.shape(), s.shape(), vh.shape(), c),
            (&[0usize, 0][..], &[0usize][..], &[3usize, 3][..], 0)
        );
        assert_eq!(
            vh.to_vec::<f64>(),
            Tensor::eye(3, DType::F64).to_vec::<f64>()
        );
        let mut data = S.to_vec();
        data.extend(S.iter().map(|v| 2.0 * v));
        let st = tensor_f64(data, &[2, 3, 3]);
        let ((w, v), c) = flops(&ctx, || eigh(&st).unwrap());
        assert_eq!(
            (w.shape(), v.shape(), c),
            (&[2usize, 3][..], &[2usize, 3, 3][..], 9 * 27 * 2 * 2)
        );
        let w = w.to_vec::<f64>();
        assert_close(
            &w[3..],
            &w[..3].iter().map(|x| 2.0 * x).collect::<Vec<_>>(),
            1e-14,
        );
    }

    /// `P` of the probe tables: 32 × 32 SPD (tagged for the `[SYM]` rows).
    fn probe_p(dt: DType, tagged: bool) -> Tensor {
        let data = spd(32, 7);
        let t = match dt {
            DType::F32 => tensor_f32(&data, &[32, 32]),
            _ => tensor_f64(data, &[32, 32]),
        };
        if tagged {
            t.with_symmetry(Symmetry::matrix())
        } else {
            t
        }
    }

    fn dense(rows: usize, cols: usize, dt: DType) -> Tensor {
        let data = pseudo_random(rows, cols, 11);
        match dt {
            DType::F32 => tensor_f32(&data, &[rows, cols]),
            _ => tensor_f64(data, &[rows, cols]),
        }
    }

    #[test]
    fn costs_replay_probe_rows() {
        let ctx = ctx();
        // Table 2.1 (f32 / f64 = ×1 / ×2), with the [SYM] rows (no discount, untagged results):
        // cholesky(P) 10922; eigh(P) 294912; eigvalsh(P) 43690; qr(A (64,32)) 218454;
        // qr(P) 87382; svd(A) full 1245184, thin 1048576, values 196608; svd(P) 851968.
        for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
            for tagged in [false, true] {
                let p = probe_p(dt, tagged);
                let (l, c) = flops(&ctx, || cholesky(&p).unwrap());
                assert_eq!((c, l.is_symmetric()), (10_922 * r, false));
                let ((w, v), c) = flops(&ctx, || eigh(&p).unwrap());
                assert_eq!(
                    (c, w.is_symmetric() || v.is_symmetric()),
                    (294_912 * r, false)
                );
                assert_eq!(flops(&ctx, || eigvalsh(&p).unwrap()).1, 43_690 * r);
                assert_eq!(flops(&ctx, || qr(&p)).1, 87_382 * r);
                assert_eq!(flops(&ctx, || svd(&p, true).unwrap()).1, 851_968 * r);
            }
            let a = dense(64, 32, dt);
            assert_eq!(flops(&ctx, || qr(&a)).1, 218_454 * r);
            assert_eq!(flops(&ctx, || svd(&a, true).unwrap()).1, 1_245_184 * r);
            assert_eq!(flops(&ctx, || svd(&a, false).unwrap()).1, 1_048_576 * r);
            assert_eq!(flops(&ctx, || svd_values(&a).unwrap()).1, 196_608 * r);
        }
        // Table 2.2 (f64): qr(X64 (100,50)) and qr(X64.T) 1666668; svd(X64) full 9500000,
        // thin 8000000, X64.T full 9500000, values 1500000; eigh(Sa) non-symmetric 589824;
        // cholesky(eye(3)*2.0) → 18 (eye 6 + multiply 12 recorded separately).
        let x = dense(100, 50, DType::F64);
        let xt = dense(50, 100, DType::F64);
        assert_eq!(flops(&ctx, || qr(&x)).1, 1_666_668);
        assert_eq!(flops(&ctx, || qr(&xt)).1, 1_666_668);
        assert_eq!(flops(&ctx, || svd(&x, true).unwrap()).1, 9_500_000);
        assert_eq!(flops(&ctx, || svd(&x, false).unwrap()).1, 8_000_000);
        assert_eq!(flops(&ctx, || svd(&xt, true).unwrap()).1, 9_500_000);
        assert_eq!(flops(&ctx, || svd_values(&x).unwrap()).1, 1_500_000);
        let sa = dense(32, 32, DType::F64);
        assert_eq!(flops(&ctx, || eigh(&sa).unwrap()).1, 589_824);
        let e: Tensor = Tensor::eye(3, DType::F64) * 2.0f64;
        assert!(e.is_symmetric());
        assert_eq!(flops(&ctx, || cholesky(&e).unwrap()).1, 18);
        // mode='r' bills the factorisation only: 2mnk − ⌊2k³/3⌋.
        let a = dense(64, 32, DType::F64);
        assert_eq!(flops(&ctx, || qr_r(&a)).1, 109_227 * 2);
        assert_eq!(flops(&ctx, || qr_complete(&a)).1, 218_454 * 2);
    }
}
