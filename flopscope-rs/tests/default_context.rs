//! Process-wide context rules: the lazily created default context, and exclusive contexts. Its
//! own test binary (process): explicit contexts opened by other tests on parallel threads would
//! make default-context work refused, and other contexts refused, by design. The tests here
//! take turns ([`one_at_a_time`]).

use std::sync::{Mutex, MutexGuard};

use flopscope::{catch_budget, BudgetContext, BudgetError, DType, Tensor};

/// Serialises this binary's tests: each changes what the others may open.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn an_exclusive_context_is_the_only_one_on_any_thread() {
    let _turn = one_at_a_time();
    let ctx = BudgetContext::builder(1_000)
        .exclusive(true)
        .open()
        .unwrap();
    let other = std::thread::spawn(|| BudgetContext::new(1_000).err())
        .join()
        .unwrap();
    assert_eq!(other, Some(BudgetError::ContextHeld));
    drop(ctx);
    let reopened = std::thread::spawn(|| BudgetContext::new(1_000).is_ok())
        .join()
        .unwrap();
    assert!(reopened, "closing the exclusive context lets others open");

    // An exclusive context cannot open while another thread holds a context.
    let (open_tx, open_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let _ctx = BudgetContext::new(1_000).unwrap();
        open_tx.send(()).unwrap();
        done_rx.recv().unwrap();
    });
    open_rx.recv().unwrap();
    let refused = BudgetContext::builder(1_000).exclusive(true).open().err();
    done_tx.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(refused, Some(BudgetError::ContextHeld));
    assert!(BudgetContext::builder(1_000).exclusive(true).open().is_ok());
}

#[test]
fn ops_outside_any_context_use_the_default_and_are_refused_while_one_is_open() {
    let _turn = one_at_a_time();
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
