//! LU-based routines: `inv`, `solve`, `det`, `slogdet` (faer's partial-pivoting LU).

use faer::linalg::solvers::{DenseSolveCore, PartialPivLu, Solve};
use faer::Mat;

use crate::cpu_time::in_kernel_pool;

use super::{compute_dtype, counts, mat_at, out_tensor, push_rows, satisfies, LinalgError, Stack};
use crate::budget::{counted, exact, Op};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// Whether the LU factorisation has an exactly zero pivot (LAPACK `getrf`'s `info > 0`).
fn singular(lu: &PartialPivLu<f64>) -> bool {
    let u = lu.U();
    (0..u.nrows().min(u.ncols())).any(|i| u[(i, i)] == 0.0)
}

/// numpy's `slogdet` of one LU factorisation: sign from the permutation parity and the signs
/// of `U`'s diagonal, `log|det|` as the running sum of `log|uᵢᵢ|`; `(0, −∞)` when singular.
fn slogdet_of(lu: &PartialPivLu<f64>) -> (f64, f64) {
    if singular(lu) {
        return (0.0, f64::NEG_INFINITY);
    }
    let (fwd, _) = lu.P().arrays();
    let n = fwd.len();
    // Parity of the row permutation: n − (number of cycles).
    let mut seen = vec![false; n];
    let mut cycles = 0;
    for start in 0..n {
        if seen[start] {
            continue;
        }
        cycles += 1;
        let mut i = start;
        while !seen[i] {
            seen[i] = true;
            i = fwd[i];
        }
    }
    let mut sign = if (n - cycles) % 2 == 1 { -1.0 } else { 1.0 };
    let mut logdet = 0.0;
    let u = lu.U();
    for i in 0..n {
        let mut d = u[(i, i)];
        if d < 0.0 {
            sign = -sign;
            d = -d;
        }
        logdet += d.ln();
    }
    (sign, logdet)
}

/// Inverse of each square matrix (numpy `linalg.inv`).
///
/// Shape contract: `(…, n, n) → (…, n, n)`, in the compute dtype (`f32` stays `f32`; integer
/// and bool inputs give `f64`).
/// FLOPs: `linalg.inv`, `2n³` per matrix × rate; for a symmetric (tagged) input
/// `⌊n³/3⌋ + n³` per matrix, and the result keeps the input's tag when it is symmetric to
/// numpy `allclose(rtol=1e-5, atol=1e-6)` (flopscope's check). 0 for `n = 0`.
///
/// # Errors
/// [`LinalgError::Singular`] if a matrix is exactly singular (the op is still charged).
///
/// # Panics
/// If the input has fewer than two axes or is not square.
pub fn inv(a: &Tensor) -> Result<Tensor, LinalgError> {
    let st = Stack::square(a, "inv");
    let dt = compute_dtype(&[a.dtype()]);
    let tagged = a.sym.is_tagged();
    let per = counts::inv(st.n, tagged);
    counted(exact(Op::LinalgInv, st.billed(per), dt), |charged| {
        let x = a.buf.to_vec::<f64>();
        let mut out = Vec::with_capacity(x.len());
        for b in 0..st.count {
            let lu = in_kernel_pool(|| mat_at(&x, b, st.n, st.n).partial_piv_lu());
            if singular(&lu) {
                return Err(LinalgError::Singular { op: "inv" });
            }
            push_rows(&mut out, in_kernel_pool(|| lu.inverse()).as_ref());
        }
        let keep_tag = tagged && satisfies(&out, &a.shape, &a.sym);
        let t = out_tensor(charged, out, a.shape, dt);
        Ok(if keep_tag { t.with_symmetry(a.sym) } else { t })
    })
}

/// For each matrix of the broadcast batch `out`, the index of the operand's matrix (an
/// operand with batch shape `own`, broadcast to `out`).
fn batch_index(own: &Shape, out: &Shape) -> Vec<usize> {
    let strides = own.broadcast_strides(out);
    let nd = out.ndim();
    let total = out.numel();
    let mut idx = vec![0usize; nd];
    let mut res = Vec::with_capacity(total);
    for _ in 0..total {
        res.push(idx.iter().zip(&strides[..nd]).map(|(i, s)| i * s).sum());
        for ax in (0..nd).rev() {
            idx[ax] += 1;
            if idx[ax] < out[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    res
}

/// Solves `a @ x = b` for `x` (numpy 2 `linalg.solve`).
///
/// Shape contract: `a` is `(…, n, n)`. A 1-d `b` of shape `(n,)` is one right-hand side and
/// gives `x` of shape `(…, n)`; otherwise `b` is `(…, n, k)` and `x` is `(…, n, k)`, with the
/// batch axes of `a` and `b` broadcast. The result has the compute dtype of both operands.
/// FLOPs: `linalg.solve`, `(⌊2n³/3⌋ + 2n²·nrhs) × batch × rate` (`nrhs = k`, or 1 for a
/// vector; `batch` = the broadcast batch size; 0 for `n = 0`).
///
/// # Errors
/// [`LinalgError::Singular`] if a matrix of `a` is exactly singular (the op is still charged).
///
/// # Panics
/// If `a` is not a stack of square matrices, `b` has the wrong number of rows, or the batch
/// axes do not broadcast.
pub fn solve(a: &Tensor, b: &Tensor) -> Result<Tensor, LinalgError> {
    let sa = Stack::square(a, "solve");
    let n = sa.n;
    let vector = b.ndim() == 1;
    assert!(
        b.ndim() >= 1,
        "solve: b must have at least one axis, got shape {}",
        b.shape
    );
    let (b_batch, b_rows, nrhs) = if vector {
        (Shape::SCALAR, b.shape[0], 1)
    } else {
        let nd = b.ndim();
        (
            Shape::new(&b.shape[..nd - 2]),
            b.shape[nd - 2],
            b.shape[nd - 1],
        )
    };
    assert!(
        b_rows == n,
        "solve: b has {b_rows} rows but a is {n}×{n} (shapes {} and {})",
        a.shape,
        b.shape
    );
    let batch = Shape::broadcast(&sa.batch, &b_batch).unwrap_or_else(|| {
        panic!(
            "solve: batch axes of a {} and b {} do not broadcast",
            a.shape, b.shape
        )
    });
    let dt = compute_dtype(&[a.dtype(), b.dtype()]);
    let per = counts::solve(n, nrhs);
    let count = if n == 0 {
        0
    } else {
        per.saturating_mul(batch.numel() as u64)
    };
    let mut tail = vec![n];
    if !vector {
        tail.push(nrhs);
    }
    let mut out_dims: Vec<usize> = batch.to_vec();
    out_dims.extend_from_slice(&tail);
    let out_shape = Shape::new(&out_dims);
    counted(exact(Op::LinalgSolve, count, dt), |charged| {
        let xa = a.buf.to_vec::<f64>();
        let xb = b.buf.to_vec::<f64>();
        let mut lus = Vec::with_capacity(sa.count);
        for i in 0..sa.count {
            let lu = in_kernel_pool(|| mat_at(&xa, i, n, n).partial_piv_lu());
            if singular(&lu) {
                return Err(LinalgError::Singular { op: "solve" });
            }
            lus.push(lu);
        }
        let ia = batch_index(&sa.batch, &batch);
        let ib = batch_index(&b_batch, &batch);
        let mut out = Vec::with_capacity(out_shape.numel());
        for (&ja, &jb) in ia.iter().zip(&ib) {
            let mut rhs: Mat<f64> = mat_at(&xb, jb, n, nrhs);
            if n > 0 && nrhs > 0 {
                in_kernel_pool(|| lus[ja].solve_in_place(rhs.as_mut()));
            }
            push_rows(&mut out, rhs.as_ref());
        }
        Ok(out_tensor(charged, out, out_shape, dt))
    })
}

/// Determinant of each square matrix (numpy `linalg.det`).
///
/// Computed as numpy does, from the LU factorisation: `sign · exp(logabsdet)` (so it carries
/// the same last-bit rounding, e.g. `det([[1,2],[3,4]]) = −2.0000000000000004`); an exactly
/// singular matrix gives 0.
///
/// Shape contract: `(…, n, n) → (…)` (a 0-d tensor for one matrix), in the compute dtype.
/// FLOPs: `linalg.det`, `(⌊2n³/3⌋ + n) × batch × rate` (0 for `n = 0`; the determinant of a
/// `0 × 0` matrix is 1).
///
/// # Panics
/// If the input has fewer than two axes or is not square.
pub fn det(a: &Tensor) -> Tensor {
    let st = Stack::square(a, "det");
    let dt = compute_dtype(&[a.dtype()]);
    let per = counts::det(st.n);
    counted(exact(Op::LinalgDet, st.billed(per), dt), |charged| {
        let x = a.buf.to_vec::<f64>();
        let v: Vec<f64> = (0..st.count)
            .map(|b| {
                let (sign, logdet) = slogdet_one(&x, b, st.n);
                sign * logdet.exp()
            })
            .collect();
        out_tensor(charged, v, st.batch, dt)
    })
}

/// `(sign, log|det|)` of the `b`-th matrix; `(1, 0)` for an empty matrix.
fn slogdet_one(x: &[f64], b: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (1.0, 0.0);
    }
    slogdet_of(&in_kernel_pool(|| mat_at(x, b, n, n).partial_piv_lu()))
}

/// Sign and natural log of the absolute determinant (numpy `linalg.slogdet`).
///
/// Returns `(sign, logabsdet)`: `sign` is ±1 (0 for a singular matrix, whose `logabsdet` is
/// `−∞`), and `det = sign · exp(logabsdet)`.
///
/// Shape contract: `(…, n, n) → ((…), (…))`, both in the compute dtype.
/// FLOPs: `linalg.slogdet`, `(⌊2n³/3⌋ + 18n) × batch × rate` (0 for `n = 0`).
///
/// # Panics
/// If the input has fewer than two axes or is not square.
pub fn slogdet(a: &Tensor) -> (Tensor, Tensor) {
    let st = Stack::square(a, "slogdet");
    let dt = compute_dtype(&[a.dtype()]);
    let per = counts::slogdet(st.n);
    counted(exact(Op::LinalgSlogdet, st.billed(per), dt), |charged| {
        let x = a.buf.to_vec::<f64>();
        let (signs, logs): (Vec<f64>, Vec<f64>) =
            (0..st.count).map(|b| slogdet_one(&x, b, st.n)).unzip();
        (
            out_tensor(charged, signs, st.batch, dt),
            out_tensor(charged, logs, st.batch, dt),
        )
    })
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

    fn ctx() -> BudgetContext {
        BudgetContext::new(u64::MAX / 4).unwrap()
    }

    #[test]
    fn inv_solve_det_match_numpy() {
        let _ctx = ctx();
        let s = tensor_f64(S.to_vec(), &[3, 3]);
        // numpy 2.4.6: np.linalg.inv(S)
        let want_inv = [
            0.3,
            0.0,
            -0.1,
            0.0,
            0.2857142857142857,
            -0.14285714285714282,
            -0.1,
            -0.14285714285714285,
            0.2714285714285714,
        ];
        let i = inv(&s).unwrap();
        assert_eq!(i.shape(), &[3, 3]);
        assert_close(&i.to_vec::<f64>(), &want_inv, 1e-15);
        let b = tensor_f64(vec![1.0, 2.0, 3.0], &[3]);
        let x = solve(&s, &b).unwrap();
        assert_eq!(x.shape(), &[3]);
        assert_close(
            &x.to_vec::<f64>(),
            &[
                -1.3877787807814457e-17,
                0.14285714285714285,
                0.4285714285714286,
            ],
            1e-15,
        );
        let bm = tensor_f64(vec![1.0, 0.0, 2.0, 1.0, 3.0, -1.0], &[3, 2]);
        let xm = solve(&s, &bm).unwrap();
        assert_eq!(xm.shape(), &[3, 2]);
        assert_close(
            &xm.to_vec::<f64>(),
            &[
                1.3877787807814457e-17,
                0.09999999999999996,
                0.14285714285714285,
                0.42857142857142855,
                0.42857142857142855,
                -0.4142857142857142,
            ],
            1e-15,
        );
        let d = det(&s);
        assert_eq!(d.ndim(), 0);
        assert_close(&d.to_vec::<f64>(), &[69.99999999999996], 1e-15);
        let (sign, logdet) = slogdet(&s);
        assert_eq!(sign.to_vec::<f64>(), vec![1.0]);
        assert_close(&logdet.to_vec::<f64>(), &[4.2484952420493585], 1e-15);
    }

    #[test]
    fn det_follows_numpys_exp_of_log_rounding() {
        let _ctx = ctx();
        // np.linalg.det([[1, 2], [3, 4]]) == -2.0000000000000004 (int input computes in f64).
        let a = Tensor::from_vec(vec![1i64, 2, 3, 4], [2, 2]);
        let d = det(&a);
        assert_eq!(d.dtype(), DType::F64);
        assert_eq!(d.to_vec::<f64>(), vec![-2.0000000000000004]);
        let (sign, logdet) = slogdet(&a);
        assert_eq!(sign.to_vec::<f64>(), vec![-1.0]);
        assert_close(&logdet.to_vec::<f64>(), &[0.6931471805599455], 1e-15);
        // A permutation-heavy matrix: det = -5, slogdet = (-1, log 5).
        let n = tensor_f64(vec![0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0], &[3, 3]);
        assert_close(&det(&n).to_vec::<f64>(), &[-4.999999999999999], 1e-15);
        let (sign, logdet) = slogdet(&n);
        assert_eq!(sign.to_vec::<f64>(), vec![-1.0]);
        assert_close(&logdet.to_vec::<f64>(), &[1.6094379124341003], 1e-15);
    }

    #[test]
    fn singular_matrices_are_errors_for_inv_and_solve_but_zero_for_det() {
        let ctx = ctx();
        let a = tensor_f64(vec![1.0, 2.0, 2.0, 4.0], &[2, 2]);
        let (r, c) = flops(&ctx, || inv(&a));
        assert_eq!(r.unwrap_err(), LinalgError::Singular { op: "inv" });
        assert_eq!(
            c,
            2 * 8 * 2,
            "the failed op is still charged, as in flopscope"
        );
        let b = tensor_f64(vec![1.0, 1.0], &[2]);
        let err = solve(&a, &b).unwrap_err();
        assert_eq!(err.to_string(), "solve: singular matrix");
        assert_eq!(det(&a).to_vec::<f64>(), vec![0.0]);
        let (sign, logdet) = slogdet(&a);
        assert_eq!(sign.to_vec::<f64>(), vec![0.0]);
        assert_eq!(logdet.to_vec::<f64>(), vec![f64::NEG_INFINITY]);
    }

    #[test]
    fn stacked_inputs_broadcast_like_numpy() {
        let ctx = ctx();
        let mut data = S.to_vec();
        data.extend(
            S.iter()
                .enumerate()
                .map(|(i, v)| 2.0 * v + if i.is_multiple_of(4) { 1.0 } else { 0.0 }),
        );
        let st = tensor_f64(data, &[2, 3, 3]);
        let (i, c) = flops(&ctx, || inv(&st).unwrap());
        assert_eq!(c, 2 * (2 * 27) * 2);
        assert_eq!(i.shape(), &[2, 3, 3]);
        // np.linalg.inv(stack)[1]
        assert_close(
            &i.to_vec::<f64>()[9..],
            &[
                0.12876052948255115,
                -0.0024067388688327317,
                -0.03850782190132371,
                -0.0024067388688327313,
                0.12154031287605295,
                -0.05535499398315283,
                -0.03850782190132371,
                -0.05535499398315283,
                0.11432009626955476,
            ],
            1e-15,
        );
        let d = det(&st);
        assert_eq!(d.shape(), &[2]);
        assert_close(
            &d.to_vec::<f64>(),
            &[69.99999999999996, 831.0000000000003],
            1e-15,
        );
        // A 1-d b is one right-hand side for every matrix of the stack.
        let b = tensor_f64(vec![1.0, 2.0, 3.0], &[3]);
        let (x, c) = flops(&ctx, || solve(&st, &b).unwrap());
        assert_eq!(
            c,
            2 * (18 + 18) * 2,
            "(⌊2·27/3⌋ + 2·9·1) × batch 2 × rate 2"
        );
        assert_eq!(x.shape(), &[2, 3]);
        assert_close(
            &x.to_vec::<f64>()[3..],
            &[
                0.008423586040914557,
                0.07460890493381467,
                0.1937424789410349,
            ],
            1e-15,
        );
        // A stacked b broadcasts against a single matrix.
        let s1 = tensor_f64(S.to_vec(), &[3, 3]);
        let bb = tensor_f64(
            vec![
                1.0, 0.0, 2.0, 1.0, 3.0, -1.0, -1.0, 0.0, -2.0, -1.0, -3.0, 1.0,
            ],
            &[2, 3, 2],
        );
        let (x, c) = flops(&ctx, || solve(&s1, &bb).unwrap());
        assert_eq!(c, 2 * (18 + 36) * 2);
        assert_eq!(x.shape(), &[2, 3, 2]);
        assert_close(
            &x.to_vec::<f64>()[6..8],
            &[-1.3877787807814457e-17, -0.09999999999999996],
            1e-15,
        );
    }

    #[test]
    fn empty_matrices_cost_nothing() {
        let ctx = ctx();
        let e = Tensor::zeros([0, 0], DType::F64);
        let (d, c) = flops(&ctx, || det(&e));
        assert_eq!((d.to_vec::<f64>(), c), (vec![1.0], 0));
        let (s, c) = flops(&ctx, || slogdet(&e));
        assert_eq!(
            (s.0.to_vec::<f64>(), s.1.to_vec::<f64>(), c),
            (vec![1.0], vec![0.0], 0)
        );
        let (i, c) = flops(&ctx, || inv(&e).unwrap());
        assert_eq!((i.shape(), c), (&[0usize, 0][..], 0));
    }

    #[test]
    #[should_panic(expected = "inv: last 2 dimensions of the array must be square")]
    fn non_square_input_panics() {
        let _ctx = ctx();
        let a = Tensor::zeros([2, 3], DType::F64);
        let _ = inv(&a);
    }

    #[test]
    fn f32_input_stays_f32_and_bills_rate_one() {
        let ctx = ctx();
        let s = tensor_f32(&S, &[3, 3]);
        let (i, c) = flops(&ctx, || inv(&s).unwrap());
        assert_eq!((i.dtype(), c), (DType::F32, 54));
        assert_close(
            &i.to_vec::<f32>()
                .iter()
                .map(|&v| v as f64)
                .collect::<Vec<_>>(),
            &[
                0.3,
                0.0,
                -0.1,
                0.0,
                0.2857142857142857,
                -0.14285714285714282,
                -0.1,
                -0.14285714285714285,
                0.2714285714285714,
            ],
            1e-7,
        );
        // Mixed f32 / f64 operands compute and bill as f64.
        let b = tensor_f64(vec![1.0, 2.0, 3.0], &[3]);
        let (x, c) = flops(&ctx, || solve(&s, &b).unwrap());
        assert_eq!((x.dtype(), c), (DType::F64, 2 * (18 + 18)));
    }

    /// `P` of the probe tables: a 32 × 32 SPD matrix (values do not affect the cost).
    fn probe_p(dt: DType, tagged: bool) -> Tensor {
        let t = match dt {
            DType::F32 => tensor_f32(&spd(32, 7), &[32, 32]),
            _ => tensor_f64(spd(32, 7), &[32, 32]),
        };
        if tagged {
            t.with_symmetry(Symmetry::matrix())
        } else {
            t
        }
    }

    #[test]
    fn costs_replay_probe_rows() {
        let ctx = ctx();
        // Table 2.1 (f32, f64): inv(P) 65536/131072; [SYM] inv(Ps) 43690/87380 (tagged result);
        // solve(P, b) 23893/47786; solve(P, B (32,5)) 32085/64170; [SYM] solve(Ps, b)
        // 23893/47786; det(P) 21877/43754 (also [SYM]); slogdet(P) 22421/44842 (also [SYM]).
        for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
            let p = probe_p(dt, false);
            let ps = probe_p(dt, true);
            let b = Tensor::ones([32], dt);
            let bm = Tensor::ones([32, 5], dt);
            let (i, c) = flops(&ctx, || inv(&p).unwrap());
            assert_eq!((c, i.is_symmetric()), (65_536 * r, false));
            let (i, c) = flops(&ctx, || inv(&ps).unwrap());
            assert_eq!((c, i.is_symmetric()), (43_690 * r, true));
            assert_eq!(flops(&ctx, || solve(&p, &b).unwrap()).1, 23_893 * r);
            assert_eq!(flops(&ctx, || solve(&p, &bm).unwrap()).1, 32_085 * r);
            let (x, c) = flops(&ctx, || solve(&ps, &b).unwrap());
            assert_eq!((c, x.is_symmetric()), (23_893 * r, false));
            assert_eq!(flops(&ctx, || det(&p)).1, 21_877 * r);
            assert_eq!(flops(&ctx, || det(&ps)).1, 21_877 * r);
            assert_eq!(flops(&ctx, || slogdet(&p)).1, 22_421 * r);
            assert_eq!(flops(&ctx, || slogdet(&ps)).1, 22_421 * r);
        }
        // Table 2.2 (f64): inv(Sa[:1,:1]) → 4; det(Sa[:2,:2]) → 14; solve(Sa, Sb) 32 cols → 174762.
        let one = tensor_f64(vec![3.0], &[1, 1]);
        assert_eq!(flops(&ctx, || inv(&one).unwrap()).1, 4);
        let two = tensor_f64(vec![3.0, 1.0, 2.0, 5.0], &[2, 2]);
        assert_eq!(flops(&ctx, || det(&two)).1, 14);
        let sa = tensor_f64(pseudo_random(32, 32, 1), &[32, 32]);
        let sb = tensor_f64(pseudo_random(32, 32, 2), &[32, 32]);
        assert_eq!(flops(&ctx, || solve(&sa, &sb).unwrap()).1, 174_762);
    }

    #[test]
    fn costs_replay_tagged_10x10_rows() {
        // Table 2.3: [SYM] inv(P 10×10 tagged) 1333/2666 (tagged); [plain] inv 2000/4000;
        // [SYM] solve(P, v) 866/1732; [SYM] inv(eye(10)): eye 10/20 + inv 1333/2666, tagged.
        let ctx = ctx();
        for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
            let data = spd(10, 3);
            let plain = match dt {
                DType::F32 => tensor_f32(&data, &[10, 10]),
                _ => tensor_f64(data, &[10, 10]),
            };
            let tagged = plain.clone().with_symmetry(Symmetry::matrix());
            let (i, c) = flops(&ctx, || inv(&tagged).unwrap());
            assert_eq!((c, i.is_symmetric()), (1_333 * r, true));
            let (i, c) = flops(&ctx, || inv(&plain).unwrap());
            assert_eq!((c, i.is_symmetric()), (2_000 * r, false));
            let v = Tensor::ones([10], dt);
            assert_eq!(flops(&ctx, || solve(&tagged, &v).unwrap()).1, 866 * r);
            let (i, c) = flops(&ctx, || inv(&Tensor::eye(10, dt)).unwrap());
            assert_eq!((c, i.is_symmetric()), ((10 + 1_333) * r, true));
            assert_eq!(
                i.to_vec::<f64>(),
                Tensor::eye(10, DType::F64).to_vec::<f64>()
            );
        }
    }
}
