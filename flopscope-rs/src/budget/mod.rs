//! FLOP accounting: the op table, the per-thread [`BudgetContext`], namespaces, summaries.

mod clock;
mod context;
mod error;
mod ledger;
mod op;
pub(crate) mod pricing;
mod summary;

pub use context::{
    catch_budget, namespace, BudgetContext, BudgetContextBuilder, NamespaceGuard,
    DEFAULT_CONTEXT_BUDGET,
};
pub(crate) use context::{counted, unrecorded, without_kernel, ParentBinding, Receipt};
pub use error::{BudgetError, BudgetExhausted, TimeExhausted};
pub use op::Op;
pub(crate) use pricing::{clamped, exact, per_element};
pub use summary::{BudgetSummary, NamespaceSummary, OpSummary};
