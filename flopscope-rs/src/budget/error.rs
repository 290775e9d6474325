//! Budget errors: the typed panic payloads raised by operators and the `Result` error type.

use std::fmt;

/// Panic payload of an op whose charge exceeds the remaining budget (checked before it runs).
///
/// Nothing is recorded and the op does not execute. Mirrors flopscope's
/// `BudgetExhaustedError(op, flop_cost, flops_remaining)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetExhausted {
    /// flopscope name of the op that was refused.
    pub op: &'static str,
    /// What the op would have cost, in FLOPs.
    pub cost: u64,
    /// FLOPs left in the context when it was refused.
    pub remaining: u64,
}

impl fmt::Display for BudgetExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} would cost {} FLOPs but only {} remain",
            self.op, self.cost, self.remaining
        )
    }
}

/// Panic payload raised when a context's wall-time limit has passed (checked at each op).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeExhausted {
    /// flopscope name of the op during which the deadline was noticed.
    pub op: &'static str,
    /// Seconds since the context opened.
    pub elapsed_s: f64,
    /// The context's wall-time limit in seconds.
    pub limit_s: f64,
}

impl fmt::Display for TimeExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ran past the wall-time limit: {:.3} s elapsed of {:.3} s allowed",
            self.op, self.elapsed_s, self.limit_s
        )
    }
}

/// Everything that can go wrong with budget accounting, as a value.
#[derive(Clone, Debug, PartialEq)]
pub enum BudgetError {
    /// An op was refused because it would overspend the budget.
    Exhausted(BudgetExhausted),
    /// The context's wall-time limit passed.
    TimeExhausted(TimeExhausted),
    /// `BudgetContext::new` while another explicit context is open on this thread.
    Nested,
    /// A budget of 0 (flopscope requires a positive budget).
    InvalidBudget,
    /// A namespace segment that is empty or contains `.`.
    InvalidNamespace(String),
    /// A tensor op ran on a thread that belongs to no context while an explicit context is open
    /// elsewhere in the process: its work would escape accounting, so it is refused.
    UnaccountedThread {
        /// flopscope name of the refused op.
        op: &'static str,
    },
    /// A context could not open because the process's exclusive context (the one a runner
    /// opens around `predict`) is open, or an exclusive one could not open beside another.
    ContextHeld,
}

impl fmt::Display for BudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetError::Exhausted(e) => e.fmt(f),
            BudgetError::TimeExhausted(e) => e.fmt(f),
            BudgetError::Nested => f.write_str(
                "cannot nest BudgetContexts: close the open context before opening another",
            ),
            BudgetError::InvalidBudget => {
                f.write_str("flop budget must be a positive number of FLOPs")
            }
            BudgetError::InvalidNamespace(s) => write!(
                f,
                "invalid namespace segment {s:?}: use a non-empty name without '.'"
            ),
            BudgetError::UnaccountedThread { op } => write!(
                f,
                "{op} ran on a thread outside the open BudgetContext, so its FLOPs would not be \
                 counted; spawn worker threads with flopscope::thread::scope to charge them to \
                 the context"
            ),
            BudgetError::ContextHeld => f.write_str(
                "cannot open a BudgetContext while the runner's context is open (or open the \
                 runner's context beside another): do the work in predict's own context, on \
                 threads spawned with flopscope::thread::scope",
            ),
        }
    }
}

impl std::error::Error for BudgetError {}

impl From<BudgetExhausted> for BudgetError {
    fn from(e: BudgetExhausted) -> Self {
        BudgetError::Exhausted(e)
    }
}

impl From<TimeExhausted> for BudgetError {
    fn from(e: TimeExhausted) -> Self {
        BudgetError::TimeExhausted(e)
    }
}

impl BudgetError {
    /// Recovers a budget error from a panic payload, or hands the payload back unchanged.
    pub fn from_panic(
        payload: Box<dyn std::any::Any + Send>,
    ) -> Result<BudgetError, Box<dyn std::any::Any + Send>> {
        let payload = match payload.downcast::<BudgetExhausted>() {
            Ok(e) => return Ok(BudgetError::Exhausted(*e)),
            Err(p) => p,
        };
        let payload = match payload.downcast::<TimeExhausted>() {
            Ok(e) => return Ok(BudgetError::TimeExhausted(*e)),
            Err(p) => p,
        };
        match payload.downcast::<BudgetError>() {
            Ok(e) => Ok(*e),
            Err(p) => Err(p),
        }
    }
}
