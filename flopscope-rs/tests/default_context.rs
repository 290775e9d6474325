//! The lazily created default context. Its own test binary (process): explicit contexts opened
//! by other tests on parallel threads would make default-context work refused by design.

use flopscope::{catch_budget, BudgetContext, BudgetError, DType, Tensor};

#[test]
fn ops_outside_any_context_use_the_default_and_are_refused_while_one_is_open() {
    // Outside any explicit context: charged to the default context (1e15), never refused.
    let x = Tensor::ones([100], DType::F32);
    let _ = x.exp();

    // While an explicit context is open on another thread, default-bound work is refused, so
    // an estimator cannot hand work to a thread it started earlier.
    let (open_tx, open_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let _ctx = BudgetContext::new(1_000).unwrap();
        open_tx.send(()).unwrap();
        done_rx.recv().unwrap();
    });
    open_rx.recv().unwrap();
    let refused = catch_budget(|| x.exp()).err();
    done_tx.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(refused, Some(BudgetError::UnaccountedThread { op: "exp" }));

    // After it closes, the default context works again.
    assert!(catch_budget(|| x.exp()).is_ok());
}
