//! FLOP accounting: the op table, the per-thread [`BudgetContext`], namespaces, summaries.

mod clock;
mod context;
mod error;
mod ledger;
mod op;
mod summary;

pub use context::{
    catch_budget, namespace, BudgetContext, BudgetContextBuilder, NamespaceGuard,
    DEFAULT_CONTEXT_BUDGET,
};
pub(crate) use context::{counted, counted_flops, ParentBinding};
pub use error::{BudgetError, BudgetExhausted, TimeExhausted};
pub use op::Op;
pub use summary::{BudgetSummary, NamespaceSummary, OpSummary};
