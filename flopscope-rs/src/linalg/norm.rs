//! Vector and matrix norms (numpy `linalg.norm`).

use super::counts;
use super::decomp::singular_values;
use super::order::NormOrd;
use super::{compute_dtype, out_tensor, Stack};
use crate::budget::{counted, exact, unrecorded, Op, Receipt};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// numpy's pairwise summation (blocks of 8 accumulators up to 128 elements, then halving).
fn pairwise_sum(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 8 {
        return x.iter().fold(0.0, |acc, v| acc + v);
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&x[..8]);
        let mut i = 8;
        while i + 8 <= n {
            for k in 0..8 {
                r[k] += x[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &x[i..] {
            res += v;
        }
        return res;
    }
    let mut half = n / 2;
    half -= half % 8;
    pairwise_sum(&x[..half]) + pairwise_sum(&x[half..])
}

/// Max (`greatest`) or min of `vals`; NaN propagates.
///
/// # Panics
/// On an empty input (numpy: zero-size array to a reduction without identity).
fn extreme(vals: impl Iterator<Item = f64>, greatest: bool, what: &str) -> f64 {
    let mut best: Option<f64> = None;
    for v in vals {
        best = Some(match best {
            None => v,
            Some(b) if b.is_nan() => b,
            Some(_) if v.is_nan() => v,
            Some(b) if (greatest && v > b) || (!greatest && v < b) => v,
            Some(b) => b,
        });
    }
    best.unwrap_or_else(|| panic!("norm: zero-size array for the {what} norm"))
}

/// `sqrt(Σ x²)` with pairwise summation.
fn l2(x: &[f64]) -> f64 {
    let sq: Vec<f64> = x.iter().map(|v| v * v).collect();
    pairwise_sum(&sq).sqrt()
}

/// The vector norm of one lane.
fn vector_norm(lane: &[f64], ord: NormOrd) -> f64 {
    match ord {
        NormOrd::Default => l2(lane),
        NormOrd::P(2.0) => l2(lane),
        NormOrd::Inf => extreme(lane.iter().map(|v| v.abs()), true, "inf"),
        NormOrd::NegInf => extreme(lane.iter().map(|v| v.abs()), false, "-inf"),
        NormOrd::P(0.0) => lane.iter().filter(|v| **v != 0.0).count() as f64,
        NormOrd::P(1.0) => {
            let a: Vec<f64> = lane.iter().map(|v| v.abs()).collect();
            pairwise_sum(&a)
        }
        NormOrd::P(p) => {
            let a: Vec<f64> = lane.iter().map(|v| v.abs().powf(p)).collect();
            pairwise_sum(&a).powf(1.0 / p)
        }
        NormOrd::Fro | NormOrd::Nuc => {
            unreachable!("vector orders are validated before charging")
        }
    }
}

/// The matrix norm of one row-major `m × n` matrix.
fn matrix_norm(x: &[f64], m: usize, n: usize, ord: NormOrd) -> f64 {
    let abs = |i: usize, j: usize| x[i * n + j].abs();
    match ord {
        NormOrd::Default | NormOrd::Fro => l2(x),
        NormOrd::Inf | NormOrd::NegInf => {
            let rows = (0..m).map(|i| {
                let r: Vec<f64> = (0..n).map(|j| abs(i, j)).collect();
                pairwise_sum(&r)
            });
            extreme(rows, ord == NormOrd::Inf, "matrix inf")
        }
        NormOrd::P(p) if p == 1.0 || p == -1.0 => {
            // numpy reduces over axis 0 row by row (sequential per column).
            let cols = (0..n).map(|j| (0..m).fold(0.0, |acc, i| acc + abs(i, j)));
            extreme(cols, p == 1.0, "matrix 1")
        }
        NormOrd::Nuc | NormOrd::P(_) => {
            unreachable!("SVD-based matrix norms are computed by the caller")
        }
    }
}

/// Panics unless `ord` is a valid vector order.
fn check_vector_ord(ord: NormOrd) {
    assert!(
        !matches!(ord, NormOrd::Fro | NormOrd::Nuc),
        "norm: invalid norm order {} for vectors",
        ord.describe()
    );
}

/// Panics unless `ord` is a valid matrix order.
fn check_matrix_ord(ord: NormOrd) {
    let ok = match ord {
        NormOrd::P(p) => p == 1.0 || p == -1.0 || p == 2.0 || p == -2.0,
        _ => true,
    };
    assert!(
        ok,
        "norm: invalid norm order {} for matrices",
        ord.describe()
    );
}

/// The norm of all elements: the 2-norm of the flattened tensor (numpy `linalg.norm(x)`,
/// which is the Frobenius norm for a matrix).
///
/// Shape contract: any shape → a 0-d tensor in the compute dtype (`f32` stays `f32`;
/// integer/bool inputs give `f64`).
/// FLOPs: `linalg.norm`, `2·numel × rate` (0 for an empty tensor; a 0-d input is not charged,
/// as in flopscope). Tagged inputs are billed densely.
pub fn norm(x: &Tensor) -> Tensor {
    let dt = compute_dtype(&[x.dtype()]);
    let kernel = |charged: &Receipt| {
        let v = x.buf.to_vec::<f64>();
        out_tensor(
            charged,
            vec![vector_norm(&v, NormOrd::Default)],
            Shape::SCALAR,
            dt,
        )
    };
    if x.ndim() == 0 {
        return unrecorded("linalg.norm", kernel);
    }
    let count = if x.numel() == 0 {
        0
    } else {
        2 * x.numel() as u64
    };
    counted(exact(Op::LinalgNorm, count, dt), kernel)
}

/// numpy `linalg.norm(x, ord)` with `axis=None`: a vector norm for a 1-d input, a matrix
/// norm for a 2-d input.
///
/// Shape contract: `(n,)` or `(m, n)` → a 0-d tensor in the compute dtype.
/// FLOPs: `linalg.norm` × rate of: vectors `2n` for `Default`, `Inf`, `NegInf`, `P(0)`,
/// `P(1)`, `P(2)` and `18n + 16` for any other `p`; matrices `2·m·n` for `Default`, `Fro`,
/// `P(±1)`, `Inf`, `NegInf` and the values-only SVD count `2ab² + 2b³` for `Nuc`, `P(±2)`
/// (`a = max(m, n)`, `b = min(m, n)`). 0 for an empty input.
///
/// # Panics
/// If `ord` is not [`NormOrd::Default`] and the input is not 1-d or 2-d, for `Fro`/`Nuc` on a
/// vector, for a matrix `P(p)` other than ±1, ±2, for an `inf`/`1`-type norm of an empty
/// input, or if the SVD of an SVD-based norm fails to converge.
pub fn norm_ord(x: &Tensor, ord: NormOrd) -> Tensor {
    let ord = ord.normalized();
    if ord == NormOrd::Default {
        return norm(x);
    }
    let dt = compute_dtype(&[x.dtype()]);
    match x.ndim() {
        1 => {
            check_vector_ord(ord);
            let n = x.shape[0];
            assert!(
                n > 0 || !matches!(ord, NormOrd::Inf | NormOrd::NegInf),
                "norm: zero-size array for the {} vector norm",
                ord.describe()
            );
            let count = if n == 0 {
                0
            } else {
                counts::vector_norm(n, ord)
            };
            counted(exact(Op::LinalgNorm, count, dt), |charged| {
                let v = x.buf.to_vec::<f64>();
                out_tensor(charged, vec![vector_norm(&v, ord)], Shape::SCALAR, dt)
            })
        }
        2 => {
            check_matrix_ord(ord);
            let (m, n) = (x.shape[0], x.shape[1]);
            let count = if m * n == 0 {
                0
            } else {
                counts::matrix_norm(m, n, ord)
            };
            let svd_based = ord == NormOrd::Nuc || matches!(ord, NormOrd::P(p) if p.abs() == 2.0);
            if !svd_based && m * n == 0 {
                assert!(
                    !matches!(ord, NormOrd::Inf | NormOrd::NegInf | NormOrd::P(_)),
                    "norm: zero-size array for the {} matrix norm",
                    ord.describe()
                );
            }
            counted(exact(Op::LinalgNorm, count, dt), |charged| {
                let v = x.buf.to_vec::<f64>();
                let r = if svd_based {
                    let st = Stack::of(x, "norm");
                    let s = singular_values(&v, &st, "norm").unwrap_or_else(|e| panic!("{e}"));
                    match ord {
                        NormOrd::P(p) => extreme(s.into_iter(), p > 0.0, "matrix 2"),
                        _ => s.iter().sum(),
                    }
                } else {
                    matrix_norm(&v, m, n, ord)
                };
                out_tensor(charged, vec![r], Shape::SCALAR, dt)
            })
        }
        nd => panic!(
            "norm: improper number of dimensions to norm ({nd}) for order {}",
            ord.describe()
        ),
    }
}

/// Vector norms along one axis (numpy `linalg.norm(x, ord, axis=axis, keepdims=keepdims)`).
///
/// Shape contract: the axis is removed (or kept with length 1 when `keepdims`); the result has
/// the compute dtype.
/// FLOPs: `linalg.norm`, the vector count of [`norm_ord`] for one lane (`2n`, or `18n + 16`
/// for a general `p`) × the number of lanes × rate (0 when the tensor is empty).
///
/// # Panics
/// If `axis` is out of range, `ord` is `Fro`/`Nuc` (matrix orders), or an `inf`-type norm
/// meets an empty lane.
pub fn norm_axis(x: &Tensor, ord: NormOrd, axis: isize, keepdims: bool) -> Tensor {
    let ord = ord.normalized();
    check_vector_ord(ord);
    let ax = x.shape.axis(axis);
    let len = x.shape[ax];
    assert!(
        len > 0 || x.numel() > 0 || !matches!(ord, NormOrd::Inf | NormOrd::NegInf),
        "norm: zero-size lanes for the {} vector norm",
        ord.describe()
    );
    let lanes = x.numel().checked_div(len).unwrap_or(0);
    let count = counts::vector_norm(len, ord).saturating_mul(lanes as u64);
    let dt = compute_dtype(&[x.dtype()]);
    let out_shape = if keepdims {
        x.shape.keep_axis(ax)
    } else {
        x.shape.remove_axis(ax)
    };
    counted(exact(Op::LinalgNorm, count, dt), |charged| {
        let v = x.buf.to_vec::<f64>();
        let outer: usize = x.shape[..ax].iter().product();
        let inner: usize = x.shape[ax + 1..].iter().product();
        let mut out = Vec::with_capacity(outer * inner);
        let mut lane = Vec::with_capacity(len);
        for o in 0..outer {
            for i in 0..inner {
                lane.clear();
                lane.extend((0..len).map(|k| v[(o * len + k) * inner + i]));
                out.push(vector_norm(&lane, ord));
            }
        }
        out_tensor(charged, out, out_shape, dt)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::BudgetContext;
    use crate::dtype::DType;
    use crate::linalg::test_util::*;

    fn ctx() -> BudgetContext {
        BudgetContext::new(u64::MAX / 4).unwrap()
    }

    fn scalar(t: &Tensor) -> f64 {
        assert_eq!(t.ndim(), 0);
        t.item()
    }

    #[test]
    fn vector_norms_match_numpy() {
        let _ctx = ctx();
        let v = tensor_f64(vec![3.0, -4.0, 0.0, 1.0], &[4]);
        // numpy 2.4.6: np.linalg.norm(v, ord)
        let cases = [
            (NormOrd::Default, 5.0990195135927845),
            (NormOrd::P(1.0), 8.0),
            (NormOrd::P(2.0), 5.0990195135927845),
            (NormOrd::Inf, 4.0),
            (NormOrd::P(f64::INFINITY), 4.0),
            (NormOrd::NegInf, 0.0),
            (NormOrd::P(0.0), 3.0),
            (NormOrd::P(3.0), 4.514357435474001),
            (NormOrd::P(-1.0), 0.0),
            (NormOrd::P(0.5), 22.392304845413257),
        ];
        for (ord, want) in cases {
            assert_close(&[scalar(&norm_ord(&v, ord))], &[want], 1e-15);
        }
        assert_close(&[scalar(&norm(&v))], &[5.0990195135927845], 1e-15);
    }

    #[test]
    fn matrix_norms_match_numpy() {
        let _ctx = ctx();
        let x = tensor_f64(vec![1.0, -2.0, 3.0, -4.0, 5.0, -6.0], &[2, 3]);
        // numpy 2.4.6: np.linalg.norm(X, ord)
        let cases = [
            (NormOrd::Default, 9.539392014169456),
            (NormOrd::Fro, 9.539392014169456),
            (NormOrd::Nuc, 10.280901636369208),
            (NormOrd::P(1.0), 9.0),
            (NormOrd::P(-1.0), 5.0),
            (NormOrd::P(2.0), 9.508032000695724),
            (NormOrd::P(-2.0), 0.7728696356734843),
            (NormOrd::Inf, 15.0),
            (NormOrd::NegInf, 6.0),
        ];
        for (ord, want) in cases {
            assert_close(&[scalar(&norm_ord(&x, ord))], &[want], 1e-14);
        }
        let a0 = norm_axis(&x, NormOrd::Default, 0, false);
        assert_eq!(a0.shape(), &[3]);
        assert_close(
            &a0.to_vec::<f64>(),
            &[4.123105625617661, 5.385164807134504, 6.708203932499369],
            1e-15,
        );
        let a1 = norm_axis(&x, NormOrd::P(1.0), 1, false);
        assert_eq!(a1.to_vec::<f64>(), vec![6.0, 15.0]);
        let k = norm_axis(&x, NormOrd::P(3.0), -1, true);
        assert_eq!(k.shape(), &[2, 1]);
        assert_close(
            &k.to_vec::<f64>(),
            &[3.3019272488946263, 7.398636222991409],
            1e-15,
        );
        // np.linalg.norm(np.arange(24.).reshape(2, 3, 4))
        let t = Tensor::from_vec((0..24).map(|i| i as f64).collect::<Vec<_>>(), [2, 3, 4]);
        assert_close(&[scalar(&norm(&t))], &[65.75712889109438], 1e-15);
    }

    #[test]
    fn output_dtype_follows_numpy() {
        let _ctx = ctx();
        let x32 = Tensor::from_vec(vec![3.0f32, 4.0], [2]);
        let n = norm(&x32);
        assert_eq!((n.dtype(), n.item()), (DType::F32, 5.0));
        let xi = Tensor::from_vec(vec![3i64, 4], [2]);
        assert_eq!(norm_ord(&xi, NormOrd::P(1.0)).dtype(), DType::F64);
    }

    #[test]
    #[should_panic(expected = "invalid norm order 'fro' for vectors")]
    fn fro_on_a_vector_panics() {
        let _ctx = ctx();
        let v = Tensor::zeros([3], DType::F64);
        let _ = norm_ord(&v, NormOrd::Fro);
    }

    #[test]
    #[should_panic(expected = "invalid norm order 3 for matrices")]
    fn general_p_on_a_matrix_panics() {
        let _ctx = ctx();
        let x = Tensor::zeros([2, 3], DType::F64);
        let _ = norm_ord(&x, NormOrd::P(3.0));
    }

    #[test]
    fn costs_replay_probe_rows() {
        let ctx = ctx();
        // Table 2.1 (f32 / f64 = ×1 / ×2): X (100, 50), v (50,): norm(X) 10000; 'fro' 10000;
        // norm(v) 100; norm(v, 1) 100; norm(v, inf) 100; norm(X, 1) 10000; norm(X, inf) 10000;
        // norm(X, 2) 750000; norm(X, axis=1) 10000; [SYM] norm(Ps) 2048, norm(Ps, 1) 2048.
        for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
            let x = Tensor::ones([100, 50], dt);
            let v = Tensor::ones([50], dt);
            let ps = Tensor::ones([32, 32], dt);
            assert!(ps.is_symmetric());
            assert_eq!(flops(&ctx, || norm(&x)).1, 10_000 * r);
            assert_eq!(flops(&ctx, || norm_ord(&x, NormOrd::Fro)).1, 10_000 * r);
            assert_eq!(flops(&ctx, || norm(&v)).1, 100 * r);
            assert_eq!(flops(&ctx, || norm_ord(&v, NormOrd::P(1.0))).1, 100 * r);
            assert_eq!(flops(&ctx, || norm_ord(&v, NormOrd::Inf)).1, 100 * r);
            assert_eq!(flops(&ctx, || norm_ord(&x, NormOrd::P(1.0))).1, 10_000 * r);
            assert_eq!(flops(&ctx, || norm_ord(&x, NormOrd::Inf)).1, 10_000 * r);
            assert_eq!(flops(&ctx, || norm_ord(&x, NormOrd::P(2.0))).1, 750_000 * r);
            assert_eq!(
                flops(&ctx, || norm_axis(&x, NormOrd::Default, 1, false)).1,
                10_000 * r
            );
            let (n, c) = flops(&ctx, || norm(&ps));
            assert_eq!((c, n.is_symmetric()), (2_048 * r, false));
            assert_eq!(flops(&ctx, || norm_ord(&ps, NormOrd::P(1.0))).1, 2_048 * r);
            // Table 2.3: A = ones((10, 10)) tagged: norm(A) 200 / 400.
            let a = Tensor::ones([10, 10], dt);
            assert_eq!(flops(&ctx, || norm(&a)).1, 200 * r);
        }
        // Table 2.2 (f64): norm(X64, 'nuc') 1500000; norm(X64, -inf) 20000; norm(v64, 3) 1832;
        // norm(v64, 0) 200; norm(X64, axis=0) 20000; norm(X64, ord=1, axis=1) 20000.
        let x = tensor_f64(pseudo_random(100, 50, 5), &[100, 50]);
        let v = tensor_f64(pseudo_random(50, 1, 6), &[50]);
        assert_eq!(flops(&ctx, || norm_ord(&x, NormOrd::Nuc)).1, 1_500_000);
        assert_eq!(flops(&ctx, || norm_ord(&x, NormOrd::NegInf)).1, 20_000);
        assert_eq!(flops(&ctx, || norm_ord(&v, NormOrd::P(3.0))).1, 1_832);
        assert_eq!(flops(&ctx, || norm_ord(&v, NormOrd::P(0.0))).1, 200);
        assert_eq!(
            flops(&ctx, || norm_axis(&x, NormOrd::Default, 0, false)).1,
            20_000
        );
        assert_eq!(
            flops(&ctx, || norm_axis(&x, NormOrd::P(1.0), 1, false)).1,
            20_000
        );
        // General p along an axis bills (18n + 16) per lane: 100 lanes of 50.
        assert_eq!(
            flops(&ctx, || norm_axis(&x, NormOrd::P(3.0), 1, false)).1,
            100 * 916 * 2
        );
        // Empty and 0-d inputs.
        let e = Tensor::zeros([0, 4], DType::F64);
        assert_eq!(flops(&ctx, || norm(&e)).1, 0);
        let z = Tensor::from_vec(vec![-2.5], []);
        let (n, c) = flops(&ctx, || norm(&z));
        assert_eq!((n.item(), c), (2.5, 0));
    }
}
