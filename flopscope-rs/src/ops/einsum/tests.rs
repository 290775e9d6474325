//! `einsum` / `matmul` / `dot` / `outer`: numerics, and the exact charges of every contraction
//! row of `docs/flopscope-0.12.4-cost-probes.md` (§1.5 and the §2 tables).

use crate::{einsum, BudgetContext, DType, Tensor};

/// Deterministic values in [-1, 1) (a 64-bit LCG), as a tensor of `dt`.
fn noise(shape: &[usize], dt: DType, seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let vals: Vec<f64> = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect();
    match dt {
        DType::F32 => Tensor::from_vec(vals.iter().map(|&x| x as f32).collect(), shape),
        _ => Tensor::from_vec(vals, shape),
    }
}

/// Runs `f` and returns what it charged to `ctx` along with its result.
fn charged(ctx: &BudgetContext, f: impl FnOnce() -> Tensor) -> (u64, Tensor) {
    let before = ctx.flops_used();
    let t = f();
    (ctx.flops_used() - before, t)
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

// ---------------------------------------------------------------------------------------------
// Numerics
// ---------------------------------------------------------------------------------------------

#[test]
fn single_operand_forms_are_exact() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let m = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
    assert_eq!(
        einsum("ij->ji", &[&m]).to_vec::<f64>(),
        vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    );
    assert_eq!(einsum("ij->ji", &[&m]).shape(), &[3, 2]);
    assert_eq!(einsum("ij->", &[&m]).to_vec::<f64>(), vec![21.0]);
    assert_eq!(einsum("ij->i", &[&m]).to_vec::<f64>(), vec![6.0, 15.0]);
    assert_eq!(einsum("ij->j", &[&m]).to_vec::<f64>(), vec![5.0, 7.0, 9.0]);
    assert_eq!(einsum("ij", &[&m]).to_vec::<f64>(), m.to_vec::<f64>());
    assert_eq!(
        einsum("ji", &[&m]).to_vec::<f64>(),
        vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    );
    let sq = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]);
    assert_eq!(einsum("ii->i", &[&sq]).to_vec::<f32>(), vec![1.0, 4.0]);
    assert_eq!(einsum("ii->", &[&sq]).to_vec::<f32>(), vec![5.0]);
    assert_eq!(einsum("ii", &[&sq]).to_vec::<f32>(), vec![5.0]);
    assert_eq!(einsum("ii->", &[&sq]).shape(), &[] as &[usize]);
}

#[test]
fn pair_forms_are_exact() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2]);
    let b = Tensor::from_vec(vec![5.0f64, 6.0, 7.0, 8.0], [2, 2]);
    assert_eq!(
        einsum("ij,jk->ik", &[&a, &b]).to_vec::<f64>(),
        vec![19.0, 22.0, 43.0, 50.0]
    );
    assert_eq!(
        einsum("ij,jk", &[&a, &b]).to_vec::<f64>(),
        vec![19.0, 22.0, 43.0, 50.0]
    );
    assert_eq!(
        einsum("ij,jk->ki", &[&a, &b]).to_vec::<f64>(),
        vec![19.0, 43.0, 22.0, 50.0]
    );
    assert_eq!(
        einsum("ij,ij->ij", &[&a, &b]).to_vec::<f64>(),
        vec![5.0, 12.0, 21.0, 32.0]
    );
    assert_eq!(einsum("ij,ij->", &[&a, &b]).to_vec::<f64>(), vec![70.0]);
    assert_eq!(
        einsum("ij,ij->i", &[&a, &b]).to_vec::<f64>(),
        vec![17.0, 53.0]
    );
    assert_eq!(einsum("ij,ji->", &[&a, &b]).to_vec::<f64>(), vec![69.0]);
    // 'ij,jk->' and 'ij,jk->i' sum a label of one operand only.
    assert_eq!(einsum("ij,jk->", &[&a, &b]).to_vec::<f64>(), vec![134.0]);
    assert_eq!(
        einsum("ij,jk->i", &[&a, &b]).to_vec::<f64>(),
        vec![41.0, 93.0]
    );
    let u = Tensor::from_vec(vec![1.0f32, 2.0], [2]);
    let v = Tensor::from_vec(vec![3.0f32, 4.0, 5.0], [3]);
    let o = einsum("i,j->ij", &[&u, &v]);
    assert_eq!(o.shape(), &[2, 3]);
    assert_eq!(o.to_vec::<f32>(), vec![3.0, 4.0, 5.0, 6.0, 8.0, 10.0]);
    assert_eq!(einsum("i,i->", &[&u, &u]).to_vec::<f32>(), vec![5.0]);
    assert_eq!(einsum("i,i", &[&u, &u]).to_vec::<f32>(), vec![5.0]);
}

#[test]
fn batched_diagonal_ellipsis_and_broadcast_forms() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let x = noise(&[3, 4, 5], DType::F64, 1);
    let y = noise(&[3, 5, 2], DType::F64, 2);
    let want = x.matmul(&y).to_vec::<f64>();
    assert!(close(
        &einsum("bij,bjk->bik", &[&x, &y]).to_vec::<f64>(),
        &want,
        1e-12
    ));
    assert!(close(
        &einsum("...ij,...jk->...ik", &[&x, &y]).to_vec::<f64>(),
        &want,
        1e-12
    ));
    // Batch label moved to the end of the output.
    let moved = einsum("bij,bjk->ikb", &[&x, &y]).to_vec::<f64>();
    for b in 0..3 {
        for i in 0..4 {
            for k in 0..2 {
                let w = want[b * 8 + i * 2 + k];
                assert!((moved[i * 6 + k * 3 + b] - w).abs() < 1e-12);
            }
        }
    }
    // Diagonal inside a pair: 'ii,i->i'.
    let s = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2]);
    let d = Tensor::from_vec(vec![10.0f64, 100.0], [2]);
    assert_eq!(
        einsum("ii,i->i", &[&s, &d]).to_vec::<f64>(),
        vec![10.0, 400.0]
    );
    // A label of extent 1 broadcasts: (1, 3) * (2, 3).
    let r = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], [1, 3]);
    let q = Tensor::from_vec(vec![1.0f64, 1.0, 1.0, 2.0, 2.0, 2.0], [2, 3]);
    assert_eq!(
        einsum("ij,ij->ij", &[&r, &q]).to_vec::<f64>(),
        vec![1.0, 2.0, 3.0, 2.0, 4.0, 6.0]
    );
    // Implicit output with an ellipsis keeps the broadcast axes first.
    assert_eq!(
        einsum("...i,...i", &[&q, &q]).to_vec::<f64>(),
        vec![3.0, 12.0]
    );
}

#[test]
fn einsum_matches_matmul_on_random_data() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    for (dt, tol) in [(DType::F32, 1e-4), (DType::F64, 1e-12)] {
        // Small (plain loop) and large (GEMM) products, plain and transposed operands.
        for &(m, k, n) in &[(7usize, 5usize, 3usize), (64, 48, 40), (1, 33, 70)] {
            let a = noise(&[m, k], dt, 3);
            let b = noise(&[k, n], dt, 4);
            let want = a.matmul(&b).to_vec::<f64>();
            assert!(close(
                &einsum("ij,jk->ik", &[&a, &b]).to_vec::<f64>(),
                &want,
                tol
            ));
            let at = einsum("ij->ji", &[&a]);
            assert!(close(
                &einsum("ji,jk->ik", &[&at, &b]).to_vec::<f64>(),
                &want,
                tol
            ));
            let bt = einsum("ij->ji", &[&b]);
            assert!(close(
                &einsum("ij,kj->ik", &[&a, &bt]).to_vec::<f64>(),
                &want,
                tol
            ));
            let want_t = einsum("ij->ji", &[&a.matmul(&b)]).to_vec::<f64>();
            assert!(close(
                &einsum("ij,jk->ki", &[&a, &b]).to_vec::<f64>(),
                &want_t,
                tol
            ));
        }
        // Three operands against two matmuls.
        let (p, q, r) = (
            noise(&[9, 12], dt, 5),
            noise(&[12, 6], dt, 6),
            noise(&[6, 11], dt, 7),
        );
        let want = p.matmul(&q).matmul(&r).to_vec::<f64>();
        assert!(close(
            &einsum("ij,jk,kl->il", &[&p, &q, &r]).to_vec::<f64>(),
            &want,
            tol
        ));
        // Wᵀ Σ W, the reference estimators' form.
        let w = noise(&[20, 8], dt, 8);
        let sig = noise(&[20, 20], dt, 9);
        let want = einsum("ji,jk->ik", &[&w, &sig.matmul(&w)]).to_vec::<f64>();
        let got = einsum("ji,jk,kl->il", &[&w, &sig, &w]).to_vec::<f64>();
        assert!(close(&got, &want, tol * 10.0));
    }
}

#[test]
fn integer_and_bool_operands_follow_numpy() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1i64, 2, 3, 4], [2, 2]);
    let r = einsum("ij,jk->ik", &[&a, &a]);
    assert_eq!(r.dtype(), DType::I64);
    assert_eq!(r.to_vec::<i64>(), vec![7, 10, 15, 22]);
    let m = Tensor::from_vec(vec![true, false, true, true], [2, 2]);
    let r = einsum("ij,jk->ik", &[&m, &m]);
    assert_eq!(r.dtype(), DType::Bool);
    assert_eq!(r.to_vec::<bool>(), vec![true, false, true, true]);
    // Mixed f32 · int64 promotes to float64, as numpy does.
    let f = Tensor::from_vec(vec![0.5f32, 0.5, 0.5, 0.5], [2, 2]);
    assert_eq!(einsum("ij,jk->ik", &[&f, &a]).dtype(), DType::F64);
}

#[test]
fn empty_axes_give_empty_or_zero_results() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(Vec::<f64>::new(), [3, 0]);
    let b = Tensor::from_vec(Vec::<f64>::new(), [0, 2]);
    assert_eq!(einsum("ij,jk->ik", &[&a, &b]).to_vec::<f64>(), vec![0.0; 6]);
    assert_eq!(einsum("ij->i", &[&a]).to_vec::<f64>(), vec![0.0; 3]);
    assert_eq!(einsum("ij->ji", &[&a]).shape(), &[0, 3]);
}

#[test]
#[should_panic(expected = "name 2 operand(s) but 1 were given")]
fn operand_count_mismatch_is_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 4], [2, 2]);
    einsum("ij,jk->ik", &[&a]);
}

#[test]
#[should_panic(expected = "invalid character '1'")]
fn bad_characters_are_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 4], [2, 2]);
    einsum("i1->i", &[&a]);
}

#[test]
#[should_panic(expected = "has 3 label(s) but operand 0 has shape (2, 2)")]
fn rank_mismatch_is_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 4], [2, 2]);
    einsum("ijk->i", &[&a]);
}

#[test]
#[should_panic(expected = "label 'j' has length 3 in an earlier operand but 4")]
fn mismatched_extents_are_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 6], [2, 3]);
    let b = Tensor::from_vec(vec![1.0f32; 8], [4, 2]);
    einsum("ij,jk->ik", &[&a, &b]);
}

#[test]
#[should_panic(expected = "spans axes of different lengths")]
fn non_square_diagonals_are_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 6], [2, 3]);
    einsum("ii->i", &[&a]);
}

#[test]
#[should_panic(expected = "output label 'k' does not appear in any input")]
fn unknown_output_labels_are_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 4], [2, 2]);
    einsum("ij->k", &[&a]);
}

#[test]
#[should_panic(expected = "repeats the label 'i'")]
fn repeated_output_labels_are_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 4], [2, 2]);
    einsum("ij->ii", &[&a]);
}

#[test]
#[should_panic(expected = "drops the '...' dimensions")]
fn dropping_ellipsis_axes_is_refused() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let a = Tensor::from_vec(vec![1.0f32; 8], [2, 2, 2]);
    einsum("...ij->ij", &[&a]);
}

// ---------------------------------------------------------------------------------------------
// Charges: every matmul / dot / outer / einsum row of the probe doc
// ---------------------------------------------------------------------------------------------

/// A probe row: name, f32 charge, whether the result is tagged, the call.
type Row<I> = (&'static str, u64, bool, fn(&I) -> Tensor);

/// Replays `rows` in f32 and f64 (f64 charges twice the f32 count); returns rows replayed.
fn replay<I>(rows: &[Row<I>], build: fn(DType) -> I) -> usize {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let mut n = 0;
    for dt in [DType::F32, DType::F64] {
        let inputs = build(dt);
        for (name, f32_cost, tagged, call) in rows {
            let (cost, t) = charged(&ctx, || call(&inputs));
            assert_eq!(cost, f32_cost * dt.rate(), "{name} ({dt})");
            assert_eq!(t.is_symmetric(), *tagged, "{name} ({dt}): tag");
            n += 1;
        }
    }
    n
}

/// §2.1 operands (dense, untagged): only shapes matter for the charges.
struct Dense {
    x: Tensor,
    y: Tensor,
    xt: Tensor,
    v: Tensor,
    w: Tensor,
    c: Tensor,
    a: Tensor,
    bm: Tensor,
    sq: Tensor,
    bt: Tensor,
    bt2: Tensor,
    bt2_0: Tensor,
    x0: Tensor,
    y0t: Tensor,
    xk0: Tensor,
    yk0t: Tensor,
}

fn dense(dt: DType) -> Dense {
    let empty = |shape: &[usize]| noise(shape, dt, 0);
    Dense {
        x: noise(&[100, 50], dt, 10),
        y: noise(&[100, 50], dt, 11),
        xt: noise(&[50, 100], dt, 12),
        v: noise(&[50], dt, 13),
        w: noise(&[50], dt, 14),
        c: noise(&[100], dt, 15),
        a: noise(&[64, 32], dt, 16),
        bm: noise(&[32, 16], dt, 17),
        sq: noise(&[32, 32], dt, 18),
        bt: noise(&[4, 16, 8], dt, 19),
        bt2: noise(&[4, 8, 12], dt, 20),
        bt2_0: noise(&[8, 12], dt, 21),
        x0: empty(&[0, 50]),
        y0t: empty(&[50, 0]),
        xk0: empty(&[100, 0]),
        yk0t: empty(&[0, 100]),
    }
}

#[test]
fn dense_probe_rows_of_table_2_1() {
    let rows: &[Row<Dense>] = &[
        ("X[:0] @ Y[:0].T", 0, false, |d| d.x0.matmul(&d.y0t)),
        ("X[:, :0] @ Y[:, :0].T", 0, false, |d| d.xk0.matmul(&d.yk0t)),
        ("v @ w", 99, false, |d| d.v.matmul(&d.w)),
        ("np.matmul(v, w)", 99, false, |d| d.v.matmul(&d.w)),
        ("np.dot(v, w)", 99, false, |d| d.v.dot(&d.w)),
        ("X @ v", 9900, false, |d| d.x.matmul(&d.v)),
        ("c @ X", 9950, false, |d| d.c.matmul(&d.x)),
        ("A @ Bm", 64_512, false, |d| d.a.matmul(&d.bm)),
        ("np.dot(A, Bm)", 64_512, false, |d| d.a.dot(&d.bm)),
        ("np.matmul(A, Bm)", 64_512, false, |d| d.a.matmul(&d.bm)),
        ("X.T @ X", 497_500, false, |d| d.xt.matmul(&d.x)),
        ("X @ X.T", 990_000, false, |d| d.x.matmul(&d.xt)),
        ("Sq @ Sq (same object)", 64_512, false, |d| {
            d.sq.matmul(&d.sq)
        }),
        ("Bt @ Bt2", 11_520, false, |d| d.bt.matmul(&d.bt2)),
        ("Bt @ Bt2[0]", 11_520, false, |d| d.bt.matmul(&d.bt2_0)),
        ("np.outer(v, w)", 2500, false, |d| d.v.outer(&d.w)),
        ("np.outer(c, v)", 5000, false, |d| d.c.outer(&d.v)),
        ("np.outer(v, v) same object", 1275, true, |d| {
            d.v.outer(&d.v)
        }),
        ("einsum('ij,jk->ik', A, Bm)", 64_512, false, |d| {
            einsum("ij,jk->ik", &[&d.a, &d.bm])
        }),
        ("einsum('ij,j->i', X, v)", 9900, false, |d| {
            einsum("ij,j->i", &[&d.x, &d.v])
        }),
        ("einsum('i,i->', v, w)", 99, false, |d| {
            einsum("i,i->", &[&d.v, &d.w])
        }),
        ("einsum('ij->', X)", 4999, false, |d| {
            einsum("ij->", &[&d.x])
        }),
        ("einsum('ij->i', X)", 4900, false, |d| {
            einsum("ij->i", &[&d.x])
        }),
        ("einsum('ij->j', X)", 4950, false, |d| {
            einsum("ij->j", &[&d.x])
        }),
        (
            "einsum('ji,jk->ik', X, X) same object",
            253_725,
            true,
            |d| einsum("ji,jk->ik", &[&d.x, &d.x]),
        ),
        (
            "einsum('ij,kj->ik', X, X) same object",
            499_950,
            true,
            |d| einsum("ij,kj->ik", &[&d.x, &d.x]),
        ),
        ("einsum('ji,jk->ik', X, Y) distinct", 497_500, false, |d| {
            einsum("ji,jk->ik", &[&d.x, &d.y])
        }),
        ("einsum('bij,bjk->bik', Bt, Bt2)", 11_520, false, |d| {
            einsum("bij,bjk->bik", &[&d.bt, &d.bt2])
        }),
        ("einsum('ij,ij->ij', X, Y)", 5000, false, |d| {
            einsum("ij,ij->ij", &[&d.x, &d.y])
        }),
        ("einsum('ij,ij->', X, Y)", 9999, false, |d| {
            einsum("ij,ij->", &[&d.x, &d.y])
        }),
        ("einsum('ij,ij->i', X, Y)", 9900, false, |d| {
            einsum("ij,ij->i", &[&d.x, &d.y])
        }),
        ("einsum('ij->ji', X)", 0, false, |d| {
            einsum("ij->ji", &[&d.x])
        }),
        ("einsum('ii->i', Sq)", 0, false, |d| {
            einsum("ii->i", &[&d.sq])
        }),
        ("einsum('ii->', Sq)", 31, false, |d| {
            einsum("ii->", &[&d.sq])
        }),
        ("einsum('i,j->ij', v, w)", 2500, false, |d| {
            einsum("i,j->ij", &[&d.v, &d.w])
        }),
    ];
    assert_eq!(replay(rows, dense), 70);
}

#[test]
fn mixed_dtype_and_chain_probe_rows_of_table_2_2() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    for dt in [DType::F32, DType::F64] {
        let s: Vec<Tensor> = (0..3).map(|i| noise(&[32, 32], dt, 30 + i)).collect();
        let (cost, t) = charged(&ctx, || einsum("ij,jk,kl->il", &[&s[0], &s[1], &s[2]]));
        assert_eq!(cost, 129_024 * dt.rate(), "einsum chain ({dt})");
        assert!(!t.is_symmetric());
    }
    let s: Vec<Tensor> = (0..3)
        .map(|i| noise(&[32, 32], DType::F64, 40 + i))
        .collect();
    let (cost, _) = charged(&ctx, || s[0].matmul(&s[1]).matmul(&s[2]));
    assert_eq!(cost, 258_048, "Sa @ Sb @ Sc (f64)");
    let x32 = noise(&[100, 50], DType::F32, 50);
    let v64 = noise(&[50], DType::F64, 51);
    let v32 = noise(&[50], DType::F32, 52);
    assert_eq!(charged(&ctx, || x32.matmul(&v64)).0, 19_800, "X32 @ v64");
    assert_eq!(charged(&ctx, || x32.matmul(&v32)).0, 9900, "X32 @ v32");
}

/// §2.3 operands: `A = ones`, `B = full(2)` (tagged, distinct), `P = outer(u,u) + 10·eye`
/// (tagged, non-constant), `G` dense, `u`, `v` vectors, `Bt = ones((3,10,10))` (tag on 1, 2).
struct Tagged {
    a: Tensor,
    at: Tensor,
    b: Tensor,
    p: Tensor,
    g: Tensor,
    u: Tensor,
    v: Tensor,
    bt: Tensor,
}

fn tagged(dt: DType) -> Tagged {
    let a = Tensor::ones([10, 10], dt);
    let u = noise(&[10], dt, 60);
    let p = &u.outer(&u) + &(&Tensor::eye(10, dt) * 10.0);
    let at = einsum("ij->ji", &[&a]);
    assert!(a.is_symmetric() && p.is_symmetric() && at.is_symmetric());
    Tagged {
        at,
        b: Tensor::full([10, 10], 2.0, dt),
        p,
        g: noise(&[10, 10], dt, 61),
        v: noise(&[10], dt, 62),
        bt: Tensor::ones([3, 10, 10], dt),
        u,
        a,
    }
}

#[test]
fn tagged_probe_rows_of_table_2_3() {
    let rows: &[Row<Tagged>] = &[
        ("A @ B (distinct sym)", 1900, false, |t| t.a.matmul(&t.b)),
        ("A @ A (same object)", 1045, true, |t| t.a.matmul(&t.a)),
        ("P @ P (same object, non-constant sym)", 1045, true, |t| {
            t.p.matmul(&t.p)
        }),
        ("A @ A.T", 1900, false, |t| t.a.matmul(&t.at)),
        ("A.T @ A", 1900, false, |t| t.at.matmul(&t.a)),
        ("A @ G", 1900, false, |t| t.a.matmul(&t.g)),
        ("G @ A", 1900, false, |t| t.g.matmul(&t.a)),
        ("A @ v", 190, false, |t| t.a.matmul(&t.v)),
        ("v @ A", 190, false, |t| t.v.matmul(&t.a)),
        ("np.dot(A, A)", 1045, true, |t| t.a.dot(&t.a)),
        ("np.dot(A, B)", 1900, false, |t| t.a.dot(&t.b)),
        ("np.matmul(P, P)", 1045, true, |t| t.p.matmul(&t.p)),
        ("np.outer(u, u)", 55, true, |t| t.u.outer(&t.u)),
        ("np.outer(u, v)", 100, false, |t| t.u.outer(&t.v)),
        ("np.outer(A, A) (flattened, same object)", 5050, true, |t| {
            t.a.outer(&t.a)
        }),
        ("einsum('ij,jk->ik', A, A)", 1045, true, |t| {
            einsum("ij,jk->ik", &[&t.a, &t.a])
        }),
        ("einsum('ij,jk->ik', A, B)", 1900, false, |t| {
            einsum("ij,jk->ik", &[&t.a, &t.b])
        }),
        ("einsum('ij,j->i', A, v)", 190, false, |t| {
            einsum("ij,j->i", &[&t.a, &t.v])
        }),
        ("einsum('ij->', A)", 54, false, |t| einsum("ij->", &[&t.a])),
        ("einsum('ij->i', A)", 90, false, |t| {
            einsum("ij->i", &[&t.a])
        }),
        ("einsum('ii->', A)", 9, false, |t| einsum("ii->", &[&t.a])),
        ("einsum('ii->i', A)", 0, false, |t| einsum("ii->i", &[&t.a])),
        ("einsum('ij->ji', A)", 0, true, |t| {
            einsum("ij->ji", &[&t.a])
        }),
        ("einsum('ij,ij->ij', A, B)", 55, true, |t| {
            einsum("ij,ij->ij", &[&t.a, &t.b])
        }),
        ("einsum('ij,ij->ij', A, G)", 100, false, |t| {
            einsum("ij,ij->ij", &[&t.a, &t.g])
        }),
        ("einsum('ij,ij->', A, B)", 109, false, |t| {
            einsum("ij,ij->", &[&t.a, &t.b])
        }),
        ("einsum('ij,ij->', A, G)", 199, false, |t| {
            einsum("ij,ij->", &[&t.a, &t.g])
        }),
        ("einsum('ij,ji->', A, B)", 109, false, |t| {
            einsum("ij,ji->", &[&t.a, &t.b])
        }),
        ("einsum('ij,ij->i', A, B)", 145, false, |t| {
            einsum("ij,ij->i", &[&t.a, &t.b])
        }),
        ("einsum('ji,jk->ik', A, A)", 1045, true, |t| {
            einsum("ji,jk->ik", &[&t.a, &t.a])
        }),
        ("einsum('bij,bjk->bik', Bt, Bt)", 3135, true, |t| {
            einsum("bij,bjk->bik", &[&t.bt, &t.bt])
        }),
        ("Bt @ Bt ((3,10,10) same object)", 3135, true, |t| {
            t.bt.matmul(&t.bt)
        }),
        ("einsum('i,j->ij', u, u)", 55, true, |t| {
            einsum("i,j->ij", &[&t.u, &t.u])
        }),
        ("einsum('ij,jk,kl->il', A, A, A)", 2090, true, |t| {
            einsum("ij,jk,kl->il", &[&t.a, &t.a, &t.a])
        }),
        ("einsum('ij,jk,kl->il', A, B, P)", 3800, false, |t| {
            einsum("ij,jk,kl->il", &[&t.a, &t.b, &t.p])
        }),
    ];
    assert_eq!(replay(rows, tagged), 70);
}

#[test]
fn closed_forms_of_section_1_5() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    // Pre-reduction of labels summed in one operand only (4×4 dense): 12 + 12 + 7, 12 + 28.
    let x = noise(&[4, 4], DType::F32, 70);
    let y = noise(&[4, 4], DType::F32, 71);
    assert_eq!(charged(&ctx, || einsum("ij,jk->", &[&x, &y])).0, 31);
    assert_eq!(charged(&ctx, || einsum("ij,jk->i", &[&x, &y])).0, 40);
    // einsum('ij,kj->ik', X, X) for 100×50 f32; XᵀX of the spec's 64×64 W: 264,160.
    let w = noise(&[64, 64], DType::F32, 72);
    let (cost, g) = charged(&ctx, || einsum("ji,jk->ik", &[&w, &w]));
    assert_eq!(cost, 264_160);
    assert!(g.is_symmetric());
    assert_eq!(g.unique_elements(), 64 * 65 / 2);
    // The batched tag sits on the matrix axes: 3 × 55 unique elements.
    let bt = Tensor::ones([3, 10, 10], DType::F32);
    let r = bt.matmul(&bt);
    assert_eq!(r.unique_elements(), 165);
    // S @ v and einsum('ij,j->i', S, v) bill dense; 'ij,ij->ij' of a tagged and a dense operand
    // is dense and untagged.
    let s = Tensor::ones([10, 10], DType::F32);
    let v = noise(&[10], DType::F32, 73);
    assert_eq!(charged(&ctx, || einsum("ij,j->i", &[&s, &v])).0, 190);
    // A dense matrix with a clone of itself counts as the same object.
    let g2 = noise(&[10, 10], DType::F32, 74);
    let g2c = g2.clone();
    let (cost, r) = charged(&ctx, || einsum("ji,jk->ik", &[&g2, &g2c]));
    assert_eq!((cost, r.is_symmetric()), (1045, true));
}

#[test]
fn non_finite_results_come_back_untagged() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    // full((10,10), 1e30) @ same: inf in f32, billed 1045 but untagged.
    let big = Tensor::full([10, 10], 1e30, DType::F32);
    let (cost, r) = charged(&ctx, || big.matmul(&big));
    assert_eq!(cost, 1045);
    assert!(!r.is_symmetric());
}

#[test]
fn symmetric_products_agree_with_dense_ones_numerically() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let u = noise(&[6], DType::F64, 80);
    let p = &u.outer(&u) + &(&Tensor::eye(6, DType::F64) * 3.0);
    let dense = Tensor::from_vec(p.to_vec::<f64>(), [6, 6]);
    let want = dense.matmul(&dense.clone()).to_vec::<f64>();
    assert!(close(&p.matmul(&p).to_vec::<f64>(), &want, 1e-12));
    assert!(close(
        &einsum("ij,jk->ik", &[&p, &p]).to_vec::<f64>(),
        &want,
        1e-12
    ));
}

/// The tag of `t` as flopscope's probe tables print it: blocks of axes (`"0,1;2,3"`), or `none`.
fn tag_blocks(t: &Tensor) -> String {
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut ids: Vec<u8> = Vec::new();
    for ax in 0..t.ndim() {
        let b = t.sym.block_of(ax);
        if b == 0 {
            continue;
        }
        match ids.iter().position(|&x| x == b) {
            Some(i) => blocks[i].push(ax),
            None => {
                ids.push(b);
                blocks.push(vec![ax]);
            }
        }
    }
    if blocks.is_empty() {
        return "none".to_string();
    }
    blocks.sort();
    let fmt = |b: &Vec<usize>| {
        b.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    blocks.iter().map(fmt).collect::<Vec<_>>().join(";")
}

/// Replays `flopscope_cases.txt`: 503 einsums (1 to 8 operands, tags, same-object operands,
/// repeated labels) and 130 matmul/dot/outer calls, with charges and result tags recorded from
/// flopscope 0.12.4.
#[test]
fn recorded_flopscope_cases_replay_exactly() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let dims = |s: &str| -> Vec<usize> {
        s.split('x')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().unwrap_or(0))
            .collect()
    };
    let make = |shape: &[usize], tagged: bool| {
        if tagged {
            Tensor::ones(shape, DType::F64)
        } else {
            Tensor::from_vec(vec![0.5f64; shape.iter().product()], shape)
        }
    };
    let mut replayed = 0;
    let cases = include_str!("flopscope_cases.txt");
    for line in cases
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split('|').collect();
        let (count, tag): (u64, &str) =
            (f[f.len() - 2].parse().unwrap_or(u64::MAX), f[f.len() - 1]);
        let (cost, t) = if f[0] == "einsum" {
            let classes: Vec<usize> = f[2].split(',').map(|x| x.parse().unwrap_or(0)).collect();
            let shapes: Vec<Vec<usize>> = f[3].split(';').map(dims).collect();
            let tagged: Vec<bool> = f[4].chars().map(|c| c == '1').collect();
            let mut objs: Vec<Option<Tensor>> = vec![None; classes.len()];
            for (i, &c) in classes.iter().enumerate() {
                if objs[c].is_none() {
                    objs[c] = Some(make(&shapes[i], tagged[i]));
                }
            }
            let ops: Vec<&Tensor> = classes.iter().filter_map(|&c| objs[c].as_ref()).collect();
            charged(&ctx, || einsum(f[1], &ops))
        } else {
            let flags: Vec<bool> = f[3].chars().map(|c| c == '1').collect();
            let a = make(&dims(f[1]), flags[0]);
            let b = if flags[2] {
                a.clone()
            } else {
                make(&dims(f[2]), flags[1])
            };
            charged(&ctx, || match f[0] {
                "matmul" => a.matmul(&b),
                "dot" => a.dot(&b),
                _ => a.outer(&b),
            })
        };
        assert_eq!(cost, 2 * count, "{line}");
        assert_eq!(tag_blocks(&t), tag, "{line}: tag");
        replayed += 1;
    }
    assert_eq!(replayed, 633);
}
