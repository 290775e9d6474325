//! Scoped threads whose tensor work is charged to the spawning thread's context.
//!
//! A thread made with `std::thread::spawn` belongs to no context: while an explicit
//! [`crate::BudgetContext`] is open, its tensor ops are refused
//! ([`crate::BudgetError::UnaccountedThread`]). Spawn through [`scope`] instead: each worker binds
//! to the parent's context and namespace, spends from the same budget, and its statistics are
//! merged into the parent's summary when it finishes.

use crate::budget::ParentBinding;

/// A scope for spawning accounted worker threads; see [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    inner: &'scope std::thread::Scope<'scope, 'env>,
    parent: Option<ParentBinding>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a worker bound to the parent's context (as `std::thread::Scope::spawn`).
    pub fn spawn<F, T>(&self, f: F) -> std::thread::ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let parent = self.parent.clone();
        self.inner.spawn(move || {
            let _binding = parent.map(ParentBinding::bind);
            f()
        })
    }
}

/// Like `std::thread::scope`, but threads spawned from the scope are charged to the calling
/// thread's context (explicit or default) and namespace.
///
/// ```
/// use flopscope::{BudgetContext, Tensor};
/// let ctx = BudgetContext::new(1_000_000).unwrap();
/// let a = Tensor::ones([100], flopscope::DType::F32);
/// flopscope::thread::scope(|s| {
///     s.spawn(|| { let _ = &a + &a; });
/// });
/// assert_eq!(ctx.flops_used(), 100 + 100); // ones + add, both charged here
/// ```
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&Scope<'scope, 'env>) -> T,
{
    let parent = ParentBinding::current();
    std::thread::scope(|s| {
        f(&Scope {
            inner: s,
            parent: parent.clone(),
        })
    })
}
