//! The fast kernel paths give the same results as the plain ones: a matrix's `.t()` read in
//! place by `matmul` (no copy), the tiled transpose copy, and the radix sort of float lanes.

use flopscope::random::default_rng;
use flopscope::{BudgetContext, DType, Tensor};

fn normal(seed: u64, shape: &[usize], dtype: DType) -> Tensor {
    default_rng(seed)
        .standard_normal(shape, DType::F64)
        .astype(dtype)
}

/// Row-major elements of the transpose, built by index arithmetic.
fn transposed(x: &Tensor) -> Vec<f64> {
    let (r, c) = (x.shape()[0], x.shape()[1]);
    let v = x.to_vec::<f64>();
    (0..c)
        .flat_map(|j| (0..r).map(move |i| (i, j)))
        .map(|(i, j)| v[i * c + j])
        .collect()
}

fn assert_close(got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape());
    assert_eq!(got.dtype(), want.dtype());
    for (a, b) in got.to_vec::<f64>().iter().zip(want.to_vec::<f64>()) {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn products_with_a_transposed_operand_match_the_copied_transpose() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    for dt in [DType::F32, DType::F64] {
        let x = normal(1, &[70, 33], dt);
        let b = normal(2, &[40, 33], dt);
        let v = normal(3, &[70], dt);
        // `transpose(&[])` copies eagerly; `.t()` is read in place by matmul.
        let (xt, bt) = (x.transpose(&[]), b.transpose(&[]));
        let before = ctx.flops_used();
        let gram = x.t().matmul(&x);
        let charged = ctx.flops_used() - before;
        assert_close(&gram, &xt.matmul(&x));
        let before = ctx.flops_used();
        let _ = xt.matmul(&x);
        assert_eq!(ctx.flops_used() - before, charged, "same charge either way");
        assert_close(&x.matmul(&b.t()), &x.matmul(&bt));
        assert_close(&x.t().matmul(&v), &xt.matmul(&v));
        assert_close(&v.matmul(&x), &v.matmul(&x.t().t()));
        // Both operands transposed: (33×70)·(70×40).
        let c = normal(5, &[40, 70], dt);
        assert_close(&x.t().matmul(&c.t()), &xt.matmul(&c.transpose(&[])));
    }
}

#[test]
fn a_deferred_transpose_reads_as_the_transpose() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let x = normal(4, &[37, 45], DType::F64);
    let t = x.t();
    assert_eq!(t.shape(), &[45, 37]);
    assert_eq!(t.to_vec::<f64>(), transposed(&x));
    assert_eq!((&t + 0.0).to_vec::<f64>(), transposed(&x));
    assert_eq!(x.t().t().to_vec::<f64>(), x.to_vec::<f64>());
    assert_eq!(x.transpose(&[]).to_vec::<f64>(), transposed(&x));
    let i = Tensor::from_vec((0..12i64).collect(), [3, 4]);
    assert_eq!(
        i.t().matmul(&i).to_vec::<i64>(),
        i.transpose(&[]).matmul(&i).to_vec::<i64>()
    );
}

#[test]
fn the_same_transposed_handle_twice_is_priced_as_one_object() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let s = Tensor::ones([6, 6], DType::F64);
    let st = s.t();
    let before = ctx.flops_used();
    let _ = st.matmul(&st);
    let same = ctx.flops_used() - before;
    let before = ctx.flops_used();
    let _ = s.t().matmul(&s.t());
    let distinct = ctx.flops_used() - before;
    let sc = s.transpose(&[]);
    let before = ctx.flops_used();
    let _ = sc.matmul(&sc);
    assert_eq!(
        same,
        ctx.flops_used() - before,
        "a copy and a view price alike"
    );
    assert!(same <= distinct);
}

/// Lanes with duplicates, NaNs, infinities and both signs, to sort.
fn awkward(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| match i % 11 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => ((i * 7919) % 13) as f64 - 6.0,
            _ => (((i * 2_654_435_761) % 1_000_003) as f64 / 997.0 - 500.0) * 1e-3,
        })
        .collect()
}

/// numpy's order by comparison: NaN last, ties (and NaNs) in index order.
fn reference_order(v: &[f64]) -> Vec<i64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| match (v[a].is_nan(), v[b].is_nan()) {
        (false, false) => v[a].partial_cmp(&v[b]).unwrap_or(std::cmp::Ordering::Equal),
        (an, bn) => an.cmp(&bn),
    });
    idx.into_iter().map(|i| i as i64).collect()
}

#[test]
fn radix_sorted_lanes_match_a_comparison_sort() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    // 100,000 (90,909 numbers) is past the lane size whose radix passes split between the
    // kernel pool's threads.
    for n in [0, 1, 5, 300, 5000, 100_000] {
        let v = awkward(n);
        let want = reference_order(&v);
        for dt in [DType::F32, DType::F64] {
            let x = Tensor::from_vec(v.clone(), [n]).astype(dt);
            let xs = x.to_vec::<f64>();
            let want = if dt == DType::F32 {
                reference_order(&xs)
            } else {
                want.clone()
            };
            assert_eq!(x.argsort(0).to_vec::<i64>(), want, "argsort {dt:?} n={n}");
            let sorted = x.sort(0).to_vec::<f64>();
            let expect: Vec<f64> = want.iter().map(|&i| xs[i as usize]).collect();
            assert_eq!(sorted.len(), expect.len());
            for (a, b) in sorted.iter().zip(&expect) {
                assert!(
                    a == b || (a.is_nan() && b.is_nan()),
                    "sort {dt:?} n={n}: {a} vs {b}"
                );
            }
        }
    }
    // Many contiguous lanes (300 rows of 256: past the size whose lanes are shared out between
    // the kernel pool's threads).
    let rows = awkward(300 * 256);
    let m = Tensor::from_vec(rows.clone(), [300, 256]);
    let (sorted, order) = (m.sort(-1).to_vec::<f64>(), m.argsort(-1).to_vec::<i64>());
    for (r, lane) in rows.chunks(256).enumerate() {
        let want = reference_order(lane);
        assert_eq!(order[r * 256..(r + 1) * 256], want[..], "argsort row {r}");
        for (j, &i) in want.iter().enumerate() {
            let (a, b) = (sorted[r * 256 + j], lane[i as usize]);
            assert!(a == b || (a.is_nan() && b.is_nan()), "sort row {r}");
        }
    }
    // Along the first axis of a matrix (strided lanes).
    let m = Tensor::from_vec(awkward(600), [300, 2]);
    let col: Vec<f64> = m
        .to_vec::<f64>()
        .iter()
        .skip(1)
        .step_by(2)
        .copied()
        .collect();
    let got: Vec<i64> = m
        .argsort(0)
        .to_vec::<i64>()
        .iter()
        .skip(1)
        .step_by(2)
        .copied()
        .collect();
    assert_eq!(got, reference_order(&col));
}
