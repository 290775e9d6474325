//! FLOP parity with flopscope 0.12.4 for the elementwise, reduction, creation and cast families.
//!
//! Every expected number was probed from the Python package (dense inputs and symmetric-tagged
//! inputs, as listed in `docs/flopscope-0.12.4-cost-probes.md`); the op key is checked too.

use flopscope::random::default_rng;
use flopscope::{where_, BudgetContext, DType, Tensor};

/// Asserts that evaluating `$e` charges exactly `$flops` and records it under `$key`.
macro_rules! costs {
    ($ctx:expr, $key:expr, $flops:expr, $e:expr) => {{
        let before = $ctx.flops_used();
        let calls_before = $ctx.summary().op($key).map_or(0, |o| o.calls);
        let out = $e;
        assert_eq!(
            $ctx.flops_used() - before,
            $flops,
            "{} charged the wrong FLOPs",
            stringify!($e)
        );
        let calls = $ctx.summary().op($key).map_or(0, |o| o.calls);
        assert!(
            calls > calls_before,
            "{} was not recorded as {:?}",
            stringify!($e),
            $key
        );
        out
    }};
}

/// The probe doc's dense operands: X, Y (100, 50) standard normal, Xp = |X| + 0.5, v (50,),
/// c (100,), M = X > 0, all in `dtype`.
struct Dense {
    x: Tensor,
    y: Tensor,
    xp: Tensor,
    v: Tensor,
    c: Tensor,
    m: Tensor,
}

fn dense(dtype: DType) -> Dense {
    let mut rng = default_rng(0);
    let x = rng.standard_normal([100, 50], DType::F64).astype(dtype);
    let y = rng.standard_normal([100, 50], DType::F64).astype(dtype);
    let xp = &x.abs() + 0.5;
    let v = rng.standard_normal([50], DType::F64).astype(dtype);
    let c = rng.standard_normal([100, 1], DType::F64).astype(dtype);
    let m = x.gt(0.0);
    Dense { x, y, xp, v, c, m }
}

#[test]
fn dense_elementwise_rows() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
        let d = dense(dt);
        let (x, y) = (&d.x, &d.y);
        costs!(ctx, "exp", 80_000 * r, x.exp());
        costs!(ctx, "log", 80_000 * r, d.xp.log());
        costs!(ctx, "sqrt", 5_000 * r, d.xp.sqrt());
        costs!(ctx, "square", 5_000 * r, x.square());
        costs!(ctx, "abs", 5_000 * r, x.abs());
        costs!(ctx, "negative", 5_000 * r, -x);
        costs!(ctx, "tanh", 80_000 * r, x.tanh());
        costs!(ctx, "power", 80_000 * r, x.power(2.0));
        costs!(ctx, "power", 80_000 * r, d.xp.power(y));
        costs!(ctx, "multiply", 5_000 * r, x * x);
        costs!(ctx, "add", 5_000 * r, x + y);
        costs!(ctx, "subtract", 5_000 * r, x - y);
        costs!(ctx, "multiply", 5_000 * r, x * y);
        costs!(ctx, "true_divide", 5_000 * r, x / y);
        costs!(ctx, "greater", 5_000 * r, x.gt(y));
        costs!(ctx, "add", 5_000 * r, x + 1.0);
        costs!(ctx, "multiply", 5_000 * r, 2.0 * x);
        costs!(ctx, "true_divide", 5_000 * r, x / 3.0);
        costs!(ctx, "subtract", 5_000 * r, 1.0 - x);
        costs!(ctx, "greater", 5_000 * r, x.gt(0));
        costs!(ctx, "add", 5_000 * r, x + &d.v);
        costs!(ctx, "multiply", 5_000 * r, x * &d.c);
        costs!(ctx, "add", 5_000 * r, &d.v + &d.c);
        costs!(ctx, "maximum", 5_000 * r, x.maximum(y));
        costs!(ctx, "minimum", 5_000 * r, x.minimum(y));
        costs!(ctx, "maximum", 5_000 * r, x.maximum(0.0));
        costs!(ctx, "minimum", 5_000 * r, x.minimum(0.0));
        costs!(ctx, "clip", 10_000 * r, x.clip(-1.0, 1.0));
        costs!(ctx, "clip", 5_000 * r, x.clip_max(1.0));
        costs!(ctx, "where", 20_000 * r, where_(&d.m, x, y));
        costs!(ctx, "where", 20_000 * r, where_(&d.m, x, 0.0));
    }
    // A strong f64 scalar (np.float64) promotes an f32 array: billed at rate 2.
    let d = dense(DType::F32);
    let s64 = Tensor::scalar(1.0f64);
    let out = costs!(ctx, "add", 10_000, &d.x + &s64);
    assert_eq!(out.dtype(), DType::F64);
    let s32 = Tensor::scalar(1.0f32);
    costs!(ctx, "add", 5_000, &d.x + &s32);
}

#[test]
fn dense_reduction_rows() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
        let x = &dense(dt).x;
        costs!(ctx, "sum", 4_999 * r, x.sum());
        costs!(ctx, "sum", 4_950 * r, x.sum_axis(0));
        costs!(ctx, "sum", 4_900 * r, x.sum_axis(1));
        costs!(ctx, "sum", 4_900 * r, x.sum_axis(-1));
        costs!(ctx, "sum", 4_950 * r, x.sum_keepdims(Some(0)));
        costs!(ctx, "mean", 5_000 * r, x.mean());
        costs!(ctx, "mean", 5_000 * r, x.mean_axis(0));
        costs!(ctx, "mean", 5_000 * r, x.mean_axis(1));
        costs!(ctx, "var", 20_000 * r, x.var());
        costs!(ctx, "var", 20_000 * r, x.var_axis(0));
        costs!(ctx, "std", 20_001 * r, x.std());
        costs!(ctx, "std", 20_050 * r, x.std_axis(0));
        costs!(ctx, "std", 20_100 * r, x.std_axis(1));
        costs!(ctx, "max", 4_999 * r, x.max());
        costs!(ctx, "max", 4_950 * r, x.max_axis(0));
        costs!(ctx, "min", 4_900 * r, x.min_axis(1));
        costs!(ctx, "argmax", 4_999 * r, x.argmax());
        costs!(ctx, "argmin", 4_950 * r, x.argmin_axis(0));
    }
}

#[test]
fn tagged_rows_bill_unique_elements() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
        let a = Tensor::ones([10, 10], dt);
        let b = Tensor::full([10, 10], 2.0, dt);
        let g = default_rng(3)
            .standard_normal([10, 10], DType::F64)
            .astype(dt);
        let v = default_rng(4).standard_normal([10], DType::F64).astype(dt);
        let big = Tensor::ones([3, 10, 10], dt);
        assert!(a.is_symmetric() && !g.is_symmetric());
        let e = costs!(ctx, "exp", 880 * r, a.exp());
        assert!(e.is_symmetric());
        costs!(ctx, "sqrt", 55 * r, a.sqrt());
        costs!(ctx, "abs", 55 * r, a.abs());
        costs!(ctx, "negative", 55 * r, -&a);
        costs!(ctx, "power", 880 * r, a.power(2.0));
        let s = costs!(ctx, "add", 55 * r, &a + &b);
        assert!(s.is_symmetric());
        costs!(ctx, "multiply", 55 * r, &a * &a);
        costs!(ctx, "add", 55 * r, &a + 1.0);
        let dense_sum = costs!(ctx, "add", 100 * r, &a + &g);
        assert!(!dense_sum.is_symmetric());
        costs!(ctx, "add", 100 * r, &a + &v);
        let one11 = Tensor::ones([1, 1], dt);
        costs!(ctx, "add", 55 * r, &a + &one11);
        let batched = costs!(ctx, "add", 165 * r, &a + &big);
        assert!(batched.is_symmetric());
        costs!(ctx, "greater", 55 * r, a.gt(&b));
        costs!(ctx, "maximum", 55 * r, a.maximum(0.0));
        costs!(ctx, "maximum", 100 * r, a.maximum(&g));
        costs!(ctx, "clip", 110 * r, a.clip(0.0, 1.0));
        let ms = a.gt(0.0);
        costs!(ctx, "where", 400 * r, where_(&ms, &a, &b));
        costs!(ctx, "sum", 54 * r, a.sum());
        costs!(ctx, "sum", 90 * r, a.sum_axis(0));
        costs!(ctx, "mean", 55 * r, a.mean());
        costs!(ctx, "mean", 100 * r, a.mean_axis(1));
        costs!(ctx, "var", 220 * r, a.var());
        costs!(ctx, "var", 310 * r, a.var_axis(0));
        costs!(ctx, "std", 221 * r, a.std());
        costs!(ctx, "std", 320 * r, a.std_axis(1));
        costs!(ctx, "max", 54 * r, a.max());
        costs!(ctx, "argmax", 90 * r, a.argmax_axis(0));
        costs!(ctx, "sum", r, one11.sum());
        costs!(ctx, "exp", 16 * r, one11.exp());
        let u = default_rng(5).standard_normal([10], DType::F64).astype(dt);
        let uu = costs!(ctx, "outer", 55 * r, u.outer(&u));
        assert!(uu.is_symmetric());
        costs!(ctx, "outer", 100 * r, u.outer(&v));
        costs!(ctx, "outer", 5_050 * r, a.outer(&a));
        let c = costs!(ctx, "copy", 100 * r, a.copy());
        assert!(c.is_symmetric());
        let cast = costs!(ctx, "astype", 200, a.astype(DType::F64));
        assert!(!cast.is_symmetric());
        for (shape, unique) in [
            (vec![4, 4, 4], 20),
            (vec![3, 4, 3], 24),
            (vec![5, 5, 5, 5], 70),
        ] {
            let t = Tensor::ones(shape, dt);
            costs!(ctx, "exp", 16 * unique * r, t.exp());
        }
    }
}

#[test]
fn creation_and_cast_rows() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    costs!(ctx, "ones", 1_024, Tensor::ones([32, 32], DType::F32));
    costs!(ctx, "ones", 2_048, Tensor::ones([32, 32], DType::F64));
    costs!(ctx, "zeros", 0, Tensor::zeros([32, 32], DType::F64));
    costs!(ctx, "full", 2_048, Tensor::full([32, 32], 3.0, DType::F64));
    costs!(ctx, "eye", 64, Tensor::eye(32, DType::F64));
    costs!(
        ctx,
        "arange",
        4 * 100,
        Tensor::arange(0.0, 100.0, 1.0, DType::I64)
    );
    costs!(
        ctx,
        "linspace",
        2 * 50 * 2,
        Tensor::linspace(0.0, 1.0, 50, DType::F64)
    );
    costs!(ctx, "array", 6, Tensor::from_vec(vec![1.0f32; 6], [2, 3]));
    let x = Tensor::from_vec(vec![1.0f32; 5_000], [100, 50]);
    costs!(ctx, "astype", 10_000, x.astype(DType::F64));
    let x64 = x.astype(DType::F64);
    costs!(ctx, "astype", 10_000, x64.astype(DType::F32));
    costs!(ctx, "copy", 5_000, x.copy());
    assert!(Tensor::eye(4, DType::F32).is_symmetric());
    assert!(!Tensor::ones([3, 4], DType::F32).is_symmetric());
    assert!(Tensor::ones([10, 10], DType::F32)
        .ones_like()
        .is_symmetric());
}
