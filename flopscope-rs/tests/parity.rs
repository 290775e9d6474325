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

/// Axis reductions of tensors tagged on three or more axes bill the orbits of the part of the
/// tag that keeps the kept axes in place, and the result carries that part (the `negative`
/// after each shows the result's tag: 6 unique elements of a symmetric 3×3 instead of 9).
/// Probed from flopscope 0.12.4 on `ones` tensors.
#[test]
fn tagged_axis_reductions_bill_orbits_and_tag_the_result() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    for (dt, r) in [(DType::F32, 1), (DType::F64, 2)] {
        let t = Tensor::ones([3, 3, 3], dt);
        let s = costs!(ctx, "sum", 12 * r, t.sum_axis(0));
        costs!(ctx, "negative", 6 * r, -&s);
        costs!(ctx, "max", 12 * r, t.max_axis(0));
        costs!(ctx, "min", 12 * r, t.min_axis(0));
        let a = costs!(ctx, "argmax", 12 * r, t.argmax_axis(0));
        // int64: rate 2 whatever the input's dtype.
        costs!(ctx, "negative", 12, -&a);
        costs!(ctx, "argmin", 12 * r, t.argmin_axis(0));
        costs!(ctx, "mean", 18 * r, t.mean_axis(0));
        costs!(ctx, "var", 56 * r, t.var_axis(0));
        costs!(ctx, "std", 62 * r, t.std_axis(0));
    }
    let t = Tensor::ones([3, 3, 3], DType::F32);
    let m = costs!(ctx, "mean", 18, t.mean_axis(2));
    costs!(ctx, "negative", 6, -&m);
    let k = costs!(ctx, "sum", 12, t.sum_keepdims(Some(1)));
    assert_eq!(k.shape(), &[3, 1, 3]);
    costs!(ctx, "negative", 6, -&k);
    // Symmetric in axes 0 and 2: reducing the untagged axis keeps the tag whole.
    let outer = Tensor::ones([3, 4, 3], DType::F32);
    costs!(ctx, "sum", 18, outer.sum_axis(1));
    let four = Tensor::ones([2, 2, 2, 2], DType::F32);
    costs!(ctx, "sum", 4, four.sum_keepdims(Some(2)));
    costs!(ctx, "var", 26, four.var_axis(-1));
    let o = Tensor::ones([3, 3], DType::F32);
    let stacked = Tensor::stack(&[&o, &o], 0);
    costs!(ctx, "sum", 6, stacked.sum_axis(0));
}

/// Empty inputs and outputs, as flopscope 0.12.4 bills them: creation ops and casts have no
/// one-element minimum, `mean`/`var`/`std` bill their output orbits (and give NaN over an empty
/// axis), `clip` and `uniform` bill one element per bound or draw.
#[test]
fn empty_tensors_bill_as_flopscope() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let empty = |shape: &[usize], dt: DType| Tensor::zeros(shape, dt);
    costs!(ctx, "ones", 0, Tensor::ones([0, 3], DType::F64));
    costs!(ctx, "full", 0, Tensor::full([0], 2.0, DType::F32));
    costs!(ctx, "eye", 0, Tensor::eye(0, DType::F32));
    costs!(ctx, "arange", 0, Tensor::arange(5.0, 0.0, 1.0, DType::F64));
    costs!(
        ctx,
        "linspace",
        0,
        Tensor::linspace(0.0, 1.0, 0, DType::F64)
    );
    costs!(ctx, "astype", 0, empty(&[0], DType::F64).astype(DType::F32));
    costs!(ctx, "ones_like", 0, empty(&[0, 2], DType::F32).ones_like());
    costs!(ctx, "clip", 2, empty(&[0], DType::F32).clip(-1.0, 1.0));
    costs!(ctx, "clip", 4, empty(&[0], DType::F64).clip(-1.0, 1.0));
    costs!(ctx, "clip", 1, empty(&[0], DType::F32).clip_min(-1.0));
    costs!(
        ctx,
        "random.Generator.uniform",
        6,
        default_rng(1).uniform(0.0, 1.0, [0])
    );
    costs!(ctx, "mean", 0, empty(&[3, 0], DType::F32).mean_axis(0));
    costs!(ctx, "mean", 0, empty(&[0, 3], DType::F32).mean_axis(1));
    costs!(ctx, "var", 2, empty(&[3, 0], DType::F32).var_axis(0));
    costs!(ctx, "sum", 1, empty(&[0, 3], DType::F32).sum_axis(0));
    let m = costs!(ctx, "mean", 3, empty(&[0, 3], DType::F32).mean_axis(0));
    let v = costs!(ctx, "var", 8, empty(&[0, 3], DType::F32).var_axis(0));
    let s = costs!(ctx, "std", 11, empty(&[0, 3], DType::F32).std_axis(0));
    for t in [&m, &v, &s] {
        assert_eq!(t.shape(), &[3]);
        assert!(t.to_vec::<f32>().iter().all(|x| x.is_nan()));
    }
    let m = costs!(ctx, "mean", 1, empty(&[0], DType::F32).mean());
    assert!(m.to_vec::<f32>()[0].is_nan());
    costs!(ctx, "var", 8, empty(&[0], DType::F64).var());
    costs!(ctx, "std", 5, empty(&[0], DType::F32).std());
}

/// `zeros_like`/`ones_like` are recorded under their own keys, as in flopscope.
#[test]
fn like_constructors_have_their_own_keys() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let x = Tensor::zeros([2, 3], DType::F64);
    costs!(ctx, "ones_like", 12, x.ones_like());
    costs!(ctx, "zeros_like", 0, x.zeros_like());
}

/// numpy `dot` beyond matrices: a 0-d operand multiplies, N-d operands contract the last axis
/// of the first with the second-to-last of the second; recorded as `dot` and priced as the
/// einsum they amount to (probed from flopscope 0.12.4, values from numpy).
#[test]
fn dot_of_scalar_and_many_axis_operands() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let x = Tensor::from_vec((0..12).map(|i| i as f32 / 7.0).collect::<Vec<_>>(), [3, 4]);
    let s = Tensor::scalar(2.0f32);
    let out = costs!(ctx, "dot", 12, s.dot(&x));
    assert_eq!(out.shape(), &[3, 4]);
    assert_eq!(out.to_vec::<f32>()[3], 2.0 * (3.0f32 / 7.0));
    let a = Tensor::from_vec(
        (0..60).map(|i| (i % 7) as f64 / 3.0).collect::<Vec<_>>(),
        [3, 4, 5],
    );
    let b = Tensor::from_vec(
        (0..40).map(|i| (i % 5) as f64 / 2.0).collect::<Vec<_>>(),
        [2, 5, 4],
    );
    let ab = costs!(ctx, "dot", 1728, a.dot(&b));
    assert_eq!(ab.shape(), &[3, 4, 2, 4]);
    let first: Vec<f64> = ab.to_vec::<f64>()[..4].to_vec();
    let expect = [
        3.333333333333333,
        4.166666666666666,
        4.166666666666666,
        3.3333333333333335,
    ];
    for (got, want) in first.iter().zip(expect) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    let v = Tensor::from_vec(
        (0..5).map(|i| (i * 5 % 5) as f64 / 2.0).collect::<Vec<_>>(),
        [5],
    );
    costs!(ctx, "dot", 216, a.dot(&v));
    let w = Tensor::from_vec((0..4).map(|i| i as f32).collect::<Vec<_>>(), [4]);
    let c = Tensor::from_vec((0..24).map(|i| i as f32).collect::<Vec<_>>(), [2, 4, 3]);
    let wc = costs!(ctx, "dot", 42, w.dot(&c));
    assert_eq!(wc.shape(), &[2, 3]);
    assert_eq!(wc.to_vec::<f32>()[..4], [42.0, 48.0, 54.0, 114.0]);
}

/// Unary ops on bool tensors, as numpy 2.4 / flopscope 0.12.4: `abs` keeps bool, the float
/// kernels give float16 (here f32 holding the same values) billed at rate 1.
#[test]
fn unary_ops_on_bool_tensors() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let b = Tensor::from_vec(vec![true, false, true, true, false], [5]);
    let e = costs!(ctx, "exp", 80, b.exp());
    assert_eq!(e.to_vec::<f32>(), [2.71875, 1.0, 2.71875, 2.71875, 1.0]);
    costs!(ctx, "negative", 5, -&e);
    let l = costs!(ctx, "log", 80, b.log());
    assert_eq!(l.to_vec::<f32>()[..2], [0.0, f32::NEG_INFINITY]);
    let t = costs!(ctx, "tanh", 80, b.tanh());
    assert_eq!(t.to_vec::<f32>()[..2], [0.76171875, 0.0]);
    let r = costs!(ctx, "sqrt", 5, b.sqrt());
    assert_eq!(r.to_vec::<f32>()[..2], [1.0, 0.0]);
    let a = costs!(ctx, "abs", 5, b.abs());
    assert_eq!(a.dtype(), DType::Bool);
    assert_eq!(a.to_vec::<bool>(), b.to_vec::<bool>());
    costs!(ctx, "square", 5, b.square());
}
