//! BudgetContext semantics: exhaustion before execution, exact spending, nesting, namespaces,
//! the time decomposition, wall-time limits, threads, and the copies flopscope records as no op.

use std::time::Duration;

use flopscope::{
    catch_budget, namespace, BudgetContext, BudgetError, BudgetExhausted, DType, Tensor,
};

#[test]
fn exhaustion_is_detected_before_the_op_runs_and_records_nothing() {
    let ctx = BudgetContext::new(1_000).unwrap();
    let x = Tensor::ones([10, 50], DType::F32);
    assert_eq!(ctx.flops_used(), 500);
    let err = catch_budget(|| x.exp()).unwrap_err();
    assert_eq!(
        err,
        BudgetError::Exhausted(BudgetExhausted {
            op: "exp",
            cost: 8_000,
            remaining: 500
        })
    );
    assert_eq!(
        err.to_string(),
        "exp would cost 8000 FLOPs but only 500 remain"
    );
    assert_eq!(ctx.flops_used(), 500);
    let s = ctx.summary();
    assert!(s.op("exp").is_none(), "a refused op must not be recorded");
    assert_eq!(s.operations.len(), 1);
}

#[test]
fn spending_exactly_the_budget_is_allowed() {
    let ctx = BudgetContext::new(1_000).unwrap();
    let x = Tensor::ones([10, 50], DType::F32);
    let _y = catch_budget(|| &x + &x).expect("500 of 500 remaining must succeed");
    assert_eq!(ctx.flops_remaining(), 0);
    let err = catch_budget(|| &x * 1.0).unwrap_err();
    assert_eq!(
        err,
        BudgetError::Exhausted(BudgetExhausted {
            op: "multiply",
            cost: 500,
            remaining: 0
        })
    );
}

#[test]
fn exhaustion_panics_with_a_typed_payload() {
    let _ctx = BudgetContext::new(10).unwrap();
    let x = Tensor::ones([4], DType::F32);
    let payload = std::panic::catch_unwind(|| x.exp()).unwrap_err();
    let e = payload
        .downcast::<BudgetExhausted>()
        .expect("typed payload");
    assert_eq!((e.op, e.cost, e.remaining), ("exp", 64, 6));
}

#[test]
fn nesting_explicit_contexts_is_an_error() {
    let outer = BudgetContext::new(100).unwrap();
    assert_eq!(BudgetContext::new(100).err(), Some(BudgetError::Nested));
    drop(outer);
    assert!(BudgetContext::new(100).is_ok());
    assert_eq!(
        BudgetContext::new(0).err(),
        Some(BudgetError::InvalidBudget)
    );
}

#[test]
fn namespaces_nest_with_dots_under_the_root() {
    let ctx = BudgetContext::builder(1_000_000)
        .namespace("estimator")
        .open()
        .unwrap();
    let x = Tensor::ones([10], DType::F32); // 10 under "estimator"
    {
        let _a = namespace("a");
        let _ = &x + &x; // 10 under "estimator.a"
        {
            let _b = namespace("b");
            let _ = x.exp(); // 160 under "estimator.a.b"
        }
        let _ = &x * &x; // 10 under "estimator.a"
    }
    let s = ctx.summary();
    let names: Vec<_> = s.by_namespace.iter().map(|n| n.namespace.clone()).collect();
    assert_eq!(
        names,
        vec![
            Some("estimator".to_string()),
            Some("estimator.a".to_string()),
            Some("estimator.a.b".to_string())
        ]
    );
    assert_eq!(s.namespace(Some("estimator.a")).unwrap().flops_used, 20);
    assert_eq!(s.namespace(Some("estimator.a")).unwrap().calls, 2);
    assert_eq!(s.namespace(Some("estimator.a.b")).unwrap().flops_used, 160);
    assert_eq!(s.flops_used, 190);
}

#[test]
fn without_a_root_namespace_ops_record_under_none() {
    let ctx = BudgetContext::new(1_000).unwrap();
    let x = Tensor::ones([3], DType::F32);
    {
        let _a = namespace("a");
        let _b = namespace("b");
        let _ = &x + &x;
    }
    let s = ctx.summary();
    assert_eq!(s.namespace(None).unwrap().flops_used, 3);
    assert_eq!(s.namespace(Some("a.b")).unwrap().flops_used, 3);
    assert!(std::panic::catch_unwind(|| namespace("bad.name")).is_err());
}

#[test]
fn time_decomposition_identity_holds() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let x = Tensor::ones([256, 256], DType::F64);
    for _ in 0..20 {
        let _ = x.matmul(&x);
    }
    std::thread::sleep(Duration::from_millis(30)); // residual: the caller's own time
    let s = ctx.finish();
    let parts = s.flopscope_backend_time_s + s.flopscope_overhead_time_s + s.residual_wall_time_s;
    assert!((s.wall_time_s - parts).abs() < 1e-9, "{s:?}");
    assert!(
        s.residual_wall_time_s >= 0.029,
        "sleep must count as residual: {s:?}"
    );
    assert!(s.flopscope_backend_time_s > 0.0);
    let op_backend: f64 = s
        .operations
        .iter()
        .map(|o| o.flopscope_backend_time_s)
        .sum();
    assert!((op_backend - s.flopscope_backend_time_s).abs() < 1e-9);
}

#[test]
fn the_wall_time_limit_stops_the_next_op() {
    let ctx = BudgetContext::builder(u64::MAX / 4)
        .wall_time_limit(Duration::from_millis(10))
        .open()
        .unwrap();
    let x = Tensor::ones([4], DType::F32);
    std::thread::sleep(Duration::from_millis(20));
    match catch_budget(|| &x + &x) {
        Err(BudgetError::TimeExhausted(t)) => {
            assert_eq!(t.op, "add");
            assert!(t.elapsed_s >= 0.02 && (t.limit_s - 0.01).abs() < 1e-9);
        }
        other => panic!("expected a time-out, got {other:?}"),
    }
    // As in flopscope, the charge step records the op before the deadline check fires.
    assert_eq!(ctx.flops_used(), 4 + 4);
}

#[test]
fn catch_budget_passes_other_panics_through() {
    let _ctx = BudgetContext::new(100).unwrap();
    let r = std::panic::catch_unwind(|| catch_budget(|| panic!("not a budget error")));
    assert!(r.is_err());
}

#[test]
fn a_plain_spawned_thread_cannot_do_tensor_work_while_a_context_is_open() {
    let ctx = BudgetContext::new(1_000_000).unwrap();
    let handle = std::thread::spawn(|| {
        catch_budget(|| {
            let x = Tensor::ones([1_000], DType::F32);
            &x + &x
        })
        .map(|_| ())
    });
    let outcome = handle
        .join()
        .expect("the worker returns the error, it does not die");
    assert_eq!(outcome, Err(BudgetError::UnaccountedThread { op: "ones" }));
    assert_eq!(ctx.flops_used(), 0, "nothing may run for free");
}

#[test]
fn scoped_worker_threads_are_charged_to_the_context() {
    let ctx = BudgetContext::builder(1_000_000)
        .namespace("estimator")
        .open()
        .unwrap();
    let x = Tensor::ones([1_000], DType::F32);
    let _w = namespace("workers");
    flopscope::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let _ = x.exp(); // 16_000 each
            });
        }
    });
    drop(_w);
    let s = ctx.summary();
    assert_eq!(ctx.flops_used(), 1_000 + 2 * 16_000);
    let exp = s.op("exp").expect("worker ops are in the summary");
    assert_eq!((exp.flop_cost, exp.calls), (32_000, 2));
    assert_eq!(
        s.namespace(Some("estimator.workers")).unwrap().flops_used,
        32_000
    );
}

#[test]
fn scoped_workers_share_the_budget_and_cannot_overspend() {
    let ctx = BudgetContext::new(20_000).unwrap();
    let x = Tensor::ones([1_000], DType::F32); // 1_000
    let results: Vec<_> = flopscope::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| catch_budget(|| x.exp()).is_ok())) // 16_000 each
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(false)).collect()
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1);
    assert_eq!(ctx.flops_used(), 17_000);
}

#[test]
fn transposes_and_basic_slices_charge_nothing_but_count_as_backend_time() {
    let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let x = Tensor::ones([512, 512], DType::F64);
    let before = ctx.flops_used();
    let t = x.t();
    let row = x.row(3);
    let block = x.slice(1, 10, 20);
    assert_eq!(
        (t.shape(), row.shape(), block.shape()),
        (&[512, 512][..], &[512][..], &[512, 10][..])
    );
    assert_eq!(
        ctx.flops_used(),
        before,
        "flopscope bills .T and slicing nothing"
    );
    let s = ctx.finish();
    let recorded: Vec<&str> = s.operations.iter().map(|o| o.op).collect();
    assert_eq!(recorded, ["ones"], "and records no op for them");
    let op_backend: f64 = s
        .operations
        .iter()
        .map(|o| o.flopscope_backend_time_s)
        .sum();
    assert!(
        s.flopscope_backend_time_s > op_backend,
        "the copies' time is backend time, not residual: {s:?}"
    );
    let parts = s.flopscope_backend_time_s + s.flopscope_overhead_time_s + s.residual_wall_time_s;
    assert!((s.wall_time_s - parts).abs() < 1e-9, "{s:?}");
}

#[test]
fn a_plain_thread_cannot_transpose_or_slice_while_a_context_is_open() {
    let _ctx = BudgetContext::new(1_000).unwrap();
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]);
    let (t, row) = std::thread::scope(|s| {
        s.spawn(|| {
            (
                catch_budget(|| x.t()).err(),
                catch_budget(|| x.row(0)).err(),
            )
        })
        .join()
        .expect("the worker returns the errors, it does not die")
    });
    assert_eq!(t, Some(BudgetError::UnaccountedThread { op: ".T" }));
    assert_eq!(row, Some(BudgetError::UnaccountedThread { op: "getitem" }));
}
