//! `BudgetContext`: the per-thread budget, the single place where ops are charged, namespaces.
//!
//! Each thread has at most one *binding* to a context. An explicit [`BudgetContext`] binds the
//! thread that opened it; threads spawned with [`crate::thread::scope`] bind to their parent's
//! context; any other thread lazily binds to the process-wide *default* context (budget 1e15,
//! `FLOPSCOPE_DEFAULT_BUDGET` overrides). While an explicit context is open anywhere in the
//! process, ops on default-bound or unbound threads are refused with
//! [`BudgetError::UnaccountedThread`], so work cannot escape a budget by moving to another thread.
//! An *exclusive* context ([`BudgetContextBuilder::exclusive`], what an estimator runner opens
//! around `predict`) is the only explicit context in the process while it is open: opening any
//! other on any thread fails with [`BudgetError::ContextHeld`], so a thread cannot account its
//! work to a private context of its own either.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::clock::{now_ns, secs};
use super::error::{BudgetError, BudgetExhausted, TimeExhausted};
use super::ledger::Ledger;
use super::op::Op;
use super::pricing::Price;
use super::summary::BudgetSummary;
use crate::cpu_time;

/// Budget of the lazily created default context when `FLOPSCOPE_DEFAULT_BUDGET` is unset.
pub const DEFAULT_CONTEXT_BUDGET: u64 = 1_000_000_000_000_000;

/// Explicit contexts currently open in this process (on any thread).
static OPEN_EXPLICIT: AtomicUsize = AtomicUsize::new(0);
/// Whether an exclusive context is open in this process.
static EXCLUSIVE_OPEN: AtomicBool = AtomicBool::new(false);

/// Counts one more explicit context open in the process, or refuses it: an exclusive one
/// while any other context is open, any one while an exclusive one is open. Each side writes
/// its own flag before reading the other's (sequentially consistent), so two racing opens
/// cannot both succeed.
fn admit(exclusive: bool) -> Result<(), BudgetError> {
    if exclusive {
        if EXCLUSIVE_OPEN
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return Err(BudgetError::ContextHeld);
        }
        if OPEN_EXPLICIT.fetch_add(1, Ordering::SeqCst) > 0 {
            dismiss(true);
            return Err(BudgetError::ContextHeld);
        }
    } else {
        OPEN_EXPLICIT.fetch_add(1, Ordering::SeqCst);
        if EXCLUSIVE_OPEN.load(Ordering::SeqCst) {
            dismiss(false);
            return Err(BudgetError::ContextHeld);
        }
    }
    Ok(())
}

/// Undoes [`admit`].
fn dismiss(exclusive: bool) {
    OPEN_EXPLICIT.fetch_sub(1, Ordering::SeqCst);
    if exclusive {
        EXCLUSIVE_OPEN.store(false, Ordering::SeqCst);
    }
}

/// State of one context shared by every thread bound to it.
#[derive(Debug)]
pub(crate) struct Shared {
    pub budget: u64,
    pub used: AtomicU64,
    pub opened_ns: u64,
    pub deadline_ns: Option<u64>,
    pub limit_s: Option<f64>,
    /// Ledgers of worker threads that have finished.
    pub merged: Mutex<Ledger>,
    /// Clock reading when the context closed (0 while open).
    pub closed_ns: AtomicU64,
    /// CPU clocks at opening, when other threads' CPU time is charged (see
    /// [`BudgetContextBuilder::charge_other_threads`]).
    pub cpu: Option<CpuBaseline>,
    /// CPU time of finished `thread::scope` workers, nanoseconds.
    pub worker_cpu_ns: AtomicU64,
    /// The part of it outside the workers' own kernels and bookkeeping, nanoseconds.
    pub worker_raw_ns: AtomicU64,
}

/// CPU clocks read when a charging context opened, nanoseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CpuBaseline {
    process_ns: u64,
    owner_thread_ns: u64,
    kernel_pool_ns: u64,
}

impl CpuBaseline {
    /// The clocks now, or `None` where CPU clocks cannot be read.
    fn now() -> Option<CpuBaseline> {
        Some(CpuBaseline {
            process_ns: cpu_time::process_cpu_ns()?,
            owner_thread_ns: cpu_time::thread_cpu_ns()?,
            kernel_pool_ns: cpu_time::kernel_pool_cpu_ns(),
        })
    }
}

impl Shared {
    fn new(budget: u64, limit: Option<Duration>, cpu: Option<CpuBaseline>) -> Shared {
        let opened_ns = now_ns();
        Shared {
            budget,
            used: AtomicU64::new(0),
            opened_ns,
            deadline_ns: limit.map(|l| opened_ns.saturating_add(l.as_nanos() as u64)),
            limit_s: limit.map(|l| l.as_secs_f64()),
            merged: Mutex::new(Ledger::default()),
            closed_ns: AtomicU64::new(0),
            cpu,
            worker_cpu_ns: AtomicU64::new(0),
            worker_raw_ns: AtomicU64::new(0),
        }
    }

    /// CPU nanoseconds since opening that no accounted thread explains: the process's CPU
    /// time minus the owner thread's (its own code is residual wall time already), the kernel
    /// pool's and the finished scope workers', plus those workers' CPU outside their kernels.
    /// Must be called on the owner thread; 0 for a context that does not charge.
    fn unaccounted_cpu_ns(&self) -> u64 {
        let (Some(base), Some(now)) = (self.cpu, CpuBaseline::now()) else {
            return 0;
        };
        let process = now.process_ns.saturating_sub(base.process_ns);
        let accounted = now
            .owner_thread_ns
            .saturating_sub(base.owner_thread_ns)
            .saturating_add(now.kernel_pool_ns.saturating_sub(base.kernel_pool_ns))
            .saturating_add(self.worker_cpu_ns.load(Ordering::Relaxed));
        process
            .saturating_sub(accounted)
            .saturating_add(self.worker_raw_ns.load(Ordering::Relaxed))
    }

    /// Atomically spends `cost` if it fits; otherwise returns the FLOPs remaining.
    #[inline]
    fn try_spend(&self, cost: u64) -> Result<(), u64> {
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let remaining = self.budget - used;
            if cost > remaining {
                return Err(remaining);
            }
            match self.used.compare_exchange_weak(
                used,
                used + cost,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => used = now,
            }
        }
    }

    fn elapsed_ns(&self, at: u64) -> u64 {
        at.saturating_sub(self.opened_ns)
    }
}

/// One thread's attachment to a context.
struct Binding {
    shared: Arc<Shared>,
    ledger: Ledger,
    /// Namespace index stack into `ledger.namespaces`; the last entry is current.
    stack: Vec<usize>,
    /// True for explicit contexts and worker threads of any context.
    accounted: bool,
    /// The charge step's cost, sampled on a few ops (see [`ChargeCost`]).
    charge_cost: ChargeCost,
}

/// The measured cost of this thread's charge step, used to split an op's measured time into
/// kernel (backend) and bookkeeping (overhead) time.
///
/// Every op reads the clock when it starts and when its kernel returns, and that span is
/// recorded exactly. Where the kernel started inside it takes one more clock read (≈10 ns, as
/// much as the rest of the charge step), so only one op in [`ChargeCost::EVERY`] reads it;
/// the other ops attribute the mean of those samples (at most their whole span) to overhead.
/// The sum backend + overhead, and so residual time, is always measured, never estimated.
#[derive(Default)]
struct ChargeCost {
    ops: u64,
    sampled_ns: u64,
    samples: u64,
    /// `sampled_ns / samples`, kept so that unsampled ops do not divide.
    mean_ns: u64,
}

impl ChargeCost {
    /// One op in this many reads the clock where its kernel starts.
    const EVERY: u64 = 32;

    /// Whether the op now being charged should read the clock where its kernel starts (the
    /// first op and then one in [`Self::EVERY`]).
    #[inline]
    fn sample_next(&mut self) -> bool {
        let sample = self.ops.is_multiple_of(Self::EVERY);
        self.ops += 1;
        sample
    }

    fn record(&mut self, ns: u64) {
        self.sampled_ns = self.sampled_ns.saturating_add(ns);
        self.samples += 1;
        self.mean_ns = self.sampled_ns / self.samples;
    }
}

impl Binding {
    fn new(shared: Arc<Shared>, namespace: Option<String>, accounted: bool) -> Binding {
        let mut ledger = Ledger::default();
        let root = ledger.namespace_index(namespace.as_deref());
        Binding {
            shared,
            ledger,
            stack: vec![root],
            accounted,
            charge_cost: ChargeCost::default(),
        }
    }

    #[inline]
    fn current(&self) -> usize {
        self.stack[self.stack.len() - 1]
    }

    fn current_name(&self) -> Option<String> {
        self.ledger.namespaces[self.current()].name.clone()
    }
}

#[derive(Default)]
struct ThreadState {
    active: Option<Binding>,
    /// The default-context binding, parked while an explicit context is open on this thread.
    parked_default: Option<Binding>,
}

thread_local! {
    static STATE: RefCell<ThreadState> = RefCell::new(ThreadState::default());
}

fn default_shared() -> Arc<Shared> {
    static DEFAULT: OnceLock<Arc<Shared>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            let budget = std::env::var("FLOPSCOPE_DEFAULT_BUDGET")
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 1.0)
                .map_or(DEFAULT_CONTEXT_BUDGET, |v| v as u64);
            Arc::new(Shared::new(budget, None, None))
        })
        .clone()
}

/// Proof that the kernel holding it runs inside the charge step: the only way to build a
/// [`crate::Tensor`]. Made only by [`counted`] (a priced op), [`unrecorded`] (a copy flopscope
/// does not record) and [`without_kernel`] (wrapping memory, no work), and lent to the kernel
/// by reference, so it cannot outlive the call.
pub(crate) struct Receipt {
    _private: (),
}

/// Timing token returned by [`charge`]; call [`OpTimer::finish`] when the kernel returns.
#[must_use = "call finish() after the kernel so its time is recorded"]
struct OpTimer {
    op: Op,
    ns: usize,
    /// When the op started (before the charge step).
    t0: u64,
    /// When the kernel started, on the ops that sample it ([`ChargeCost`]).
    kernel_start: Option<u64>,
}

/// Charges `price` (see [`super::pricing`]), then starts its kernel timer.
///
/// This is the one place that spends budget. The check happens before the op runs: a cost above
/// the remaining budget (strictly) panics with a [`BudgetExhausted`] payload and records
/// nothing. After recording, a passed wall-time deadline panics with [`TimeExhausted`].
fn charge(price: Price) -> OpTimer {
    let (op, cost) = (price.op(), price.flops());
    let t0 = now_ns();
    let outcome = STATE.with(|cell| {
        let mut st = cell.borrow_mut();
        let b = bind_accounted(&mut st).ok_or(Refusal::Unaccounted)?;
        if let Err(remaining) = b.shared.try_spend(cost) {
            return Err(Refusal::Budget(remaining));
        }
        let ns = b.current();
        b.ledger.record_charge(ns, op, cost);
        let kernel_start = b.charge_cost.sample_next().then(|| {
            let t1 = now_ns();
            b.charge_cost.record(t1 - t0);
            t1
        });
        if let Some(d) = b.shared.deadline_ns {
            let t1 = kernel_start.unwrap_or(t0);
            if t1 > d {
                b.ledger.record_time(ns, op, 0, t1 - t0);
                return Err(Refusal::Time(time_error(&b.shared, op, t1)));
            }
        }
        Ok(OpTimer {
            op,
            ns,
            t0,
            kernel_start,
        })
    });
    match outcome {
        Ok(timer) => timer,
        Err(Refusal::Unaccounted) => {
            std::panic::panic_any(BudgetError::UnaccountedThread { op: op.name() })
        }
        Err(Refusal::Budget(remaining)) => std::panic::panic_any(BudgetExhausted {
            op: op.name(),
            cost,
            remaining,
        }),
        Err(Refusal::Time(e)) => std::panic::panic_any(e),
    }
}

/// The current thread's binding (binding it to the default context first if it has none), or
/// `None` when the thread is not accounted for while an explicit context is open somewhere:
/// its work would escape accounting.
fn bind_accounted(st: &mut ThreadState) -> Option<&mut Binding> {
    let accounted = st.active.as_ref().is_some_and(|b| b.accounted);
    if !accounted && OPEN_EXPLICIT.load(Ordering::Relaxed) > 0 {
        return None;
    }
    Some(
        st.active
            .get_or_insert_with(|| Binding::new(default_shared(), None, false)),
    )
}

enum Refusal {
    Unaccounted,
    Budget(u64),
    Time(TimeExhausted),
}

fn time_error(shared: &Shared, op: Op, at: u64) -> TimeExhausted {
    TimeExhausted {
        op: op.name(),
        elapsed_s: secs(shared.elapsed_ns(at)),
        limit_s: shared.limit_s.unwrap_or(0.0),
    }
}

impl OpTimer {
    /// Records the op's time (split as [`ChargeCost`] says) and checks the wall-time deadline
    /// once more.
    #[inline]
    fn finish(self) {
        let t2 = now_ns();
        let late = STATE.with(|cell| {
            let mut st = cell.borrow_mut();
            let b = st.active.as_mut()?;
            let span = t2 - self.t0;
            let overhead = match self.kernel_start {
                Some(t1) => t1 - self.t0,
                None => b.charge_cost.mean_ns.min(span),
            };
            b.ledger
                .record_time(self.ns, self.op, span - overhead, overhead);
            match b.shared.deadline_ns {
                Some(d) if t2 > d => Some(time_error(&b.shared, self.op, t2)),
                _ => None,
            }
        });
        if let Some(e) = late {
            std::panic::panic_any(e);
        }
    }
}

/// Runs `kernel` as one counted call of `price.op()`: charge first (see [`charge`]), then the
/// kernel, which gets the [`Receipt`] it needs to build tensors, then record its time.
#[inline]
pub(crate) fn counted<T>(price: Price, kernel: impl FnOnce(&Receipt) -> T) -> T {
    let timer = charge(price);
    let out = kernel(&Receipt { _private: () });
    timer.finish();
    out
}

/// Runs `kernel`, a copy that flopscope does not record as an op (`.T`, basic indexing, which
/// are numpy views there): nothing is charged and no op row is recorded, but the kernel's time
/// counts as backend time of the current namespace, and like any op it is refused
/// ([`BudgetError::UnaccountedThread`], naming `step`) on a thread no context accounts for
/// while an explicit context is open. Never refused for budget or wall time (flopscope raises
/// nothing there either).
pub(crate) fn unrecorded<T>(step: &'static str, kernel: impl FnOnce(&Receipt) -> T) -> T {
    let t0 = now_ns();
    let ns = STATE.with(|cell| bind_accounted(&mut cell.borrow_mut()).map(|b| b.current()));
    let Some(ns) = ns else {
        std::panic::panic_any(BudgetError::UnaccountedThread { op: step });
    };
    let t1 = now_ns();
    let out = kernel(&Receipt { _private: () });
    let t2 = now_ns();
    STATE.with(|cell| {
        if let Some(b) = cell.borrow_mut().active.as_mut() {
            b.ledger.record_unlisted_time(ns, t2 - t1, t1 - t0);
        }
    });
    out
}

/// Runs `wrap`, which puts existing memory in a tensor without running any kernel (numpy
/// `asarray` without a copy): there is no work to charge, record or time.
pub(crate) fn without_kernel<T>(wrap: impl FnOnce(&Receipt) -> T) -> T {
    wrap(&Receipt { _private: () })
}

/// An explicit FLOP budget bound to the current thread until it is dropped (or [`finish`]ed).
///
/// Every counted tensor op on this thread (and on threads spawned with
/// [`crate::thread::scope`]) is charged to it. Exhaustion and time-outs panic with
/// [`BudgetExhausted`] / [`TimeExhausted`] payloads; wrap code in [`catch_budget`] to get a
/// `Result` instead.
///
/// ```
/// use flopscope::{BudgetContext, Tensor};
/// let ctx = BudgetContext::new(1_000).unwrap();
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3]); // `array`: 3 FLOPs
/// let _b = &a + &a; // `add`: 3 FLOPs (f32, rate 1)
/// assert_eq!(ctx.flops_used(), 6);
/// ```
///
/// [`finish`]: BudgetContext::finish
pub struct BudgetContext {
    shared: Arc<Shared>,
    /// Whether this is the process's exclusive context ([`BudgetContextBuilder::exclusive`]).
    exclusive: bool,
    /// Contexts are tied to the thread that opened them.
    _not_send: PhantomData<*const ()>,
}

/// Builder for a [`BudgetContext`] with a wall-time limit or a root namespace.
#[derive(Clone, Debug)]
pub struct BudgetContextBuilder {
    flop_budget: u64,
    wall_time_limit: Option<Duration>,
    namespace: Option<String>,
    charge_other_threads: bool,
    exclusive: bool,
}

impl BudgetContextBuilder {
    /// Sets a cooperative wall-time limit, checked at every op (before and after its kernel).
    pub fn wall_time_limit(mut self, limit: Duration) -> Self {
        self.wall_time_limit = Some(limit);
        self
    }

    /// Charges CPU time that no accounted thread explains to residual time (Linux; a no-op
    /// elsewhere). While the context is open, the process's CPU time is compared with the CPU
    /// time of this thread, of flopscope's kernel pool and of the context's
    /// [`crate::thread::scope`] workers; the rest (raw work on threads spawned some other way,
    /// even while a kernel runs) plus the scope workers' CPU outside their kernels is added to
    /// [`BudgetSummary::residual_wall_time_s`] and reported as
    /// [`BudgetSummary::unaccounted_thread_cpu_s`].
    ///
    /// Every thread of the process counts, so use it only where nothing else runs meanwhile
    /// (the estimator runners do; concurrent test threads would be charged too).
    pub fn charge_other_threads(mut self, on: bool) -> Self {
        self.charge_other_threads = on;
        self
    }

    /// Makes this the only explicit context of the process while it is open: [`open`] fails
    /// with [`BudgetError::ContextHeld`] if another explicit context is open on any thread,
    /// and any other context opened meanwhile (on any thread) fails the same way. Runners set
    /// it around `predict`, so an estimator cannot account work on a thread of its own to a
    /// private context (threads that should work for the prediction use
    /// [`crate::thread::scope`], which binds them to this context).
    ///
    /// [`open`]: BudgetContextBuilder::open
    pub fn exclusive(mut self, on: bool) -> Self {
        self.exclusive = on;
        self
    }

    /// Sets the root namespace; ops record under `root` and `root.<segment>…`.
    pub fn namespace(mut self, root: impl Into<String>) -> Self {
        self.namespace = Some(root.into());
        self
    }

    /// Opens the context on the current thread.
    ///
    /// # Errors
    /// [`BudgetError::InvalidBudget`] for a zero budget, [`BudgetError::InvalidNamespace`] for an
    /// empty root namespace, [`BudgetError::Nested`] if this thread already has an explicit
    /// context open, [`BudgetError::ContextHeld`] if an exclusive context is open on any
    /// thread (or, for an exclusive context, if any other context is).
    pub fn open(self) -> Result<BudgetContext, BudgetError> {
        if self.flop_budget == 0 {
            return Err(BudgetError::InvalidBudget);
        }
        if let Some(ns) = &self.namespace {
            if ns.is_empty() {
                return Err(BudgetError::InvalidNamespace(ns.clone()));
            }
        }
        let t0 = now_ns();
        let cpu = if self.charge_other_threads {
            CpuBaseline::now()
        } else {
            None
        };
        let shared = Arc::new(Shared::new(self.flop_budget, self.wall_time_limit, cpu));
        let exclusive = self.exclusive;
        STATE.with(|cell| {
            let mut st = cell.borrow_mut();
            if st.active.as_ref().is_some_and(|b| b.accounted) {
                return Err(BudgetError::Nested);
            }
            admit(exclusive)?;
            st.parked_default = st.active.take();
            let mut b = Binding::new(shared.clone(), self.namespace, true);
            b.ledger.loose_overhead_ns += now_ns() - t0;
            st.active = Some(b);
            Ok(())
        })?;
        Ok(BudgetContext {
            shared,
            exclusive,
            _not_send: PhantomData,
        })
    }
}

impl BudgetContext {
    /// Opens a context with `flop_budget` FLOPs and no time limit on the current thread.
    ///
    /// # Errors
    /// See [`BudgetContextBuilder::open`].
    pub fn new(flop_budget: u64) -> Result<BudgetContext, BudgetError> {
        Self::builder(flop_budget).open()
    }

    /// A builder for a context with a wall-time limit and/or a root namespace.
    pub fn builder(flop_budget: u64) -> BudgetContextBuilder {
        BudgetContextBuilder {
            flop_budget,
            wall_time_limit: None,
            namespace: None,
            charge_other_threads: false,
            exclusive: false,
        }
    }

    /// The budget this context was opened with.
    pub fn flop_budget(&self) -> u64 {
        self.shared.budget
    }

    /// FLOPs charged so far (all threads of this context).
    pub fn flops_used(&self) -> u64 {
        self.shared.used.load(Ordering::Relaxed)
    }

    /// FLOPs still available.
    pub fn flops_remaining(&self) -> u64 {
        self.shared.budget - self.flops_used()
    }

    /// Seconds since the context opened.
    pub fn wall_time_s(&self) -> f64 {
        secs(self.shared.elapsed_ns(now_ns()))
    }

    /// Per-op and per-namespace FLOPs, calls and the time decomposition so far.
    pub fn summary(&self) -> BudgetSummary {
        STATE.with(|cell| {
            let st = cell.borrow();
            let local = st
                .active
                .as_ref()
                .filter(|b| Arc::ptr_eq(&b.shared, &self.shared))
                .map(|b| &b.ledger);
            build_summary(&self.shared, local, now_ns())
        })
    }

    /// Closes the context and returns its final summary (wall time measured to the close).
    pub fn finish(self) -> BudgetSummary {
        let ledger = self.unbind();
        let end = now_ns();
        self.shared.closed_ns.store(end, Ordering::Relaxed);
        build_summary(&self.shared, ledger.as_ref(), end)
    }

    /// Detaches the context from this thread, restoring the parked default binding.
    fn unbind(&self) -> Option<Ledger> {
        STATE.with(|cell| {
            let mut st = cell.borrow_mut();
            let mine = st
                .active
                .as_ref()
                .is_some_and(|b| Arc::ptr_eq(&b.shared, &self.shared));
            if !mine {
                return None;
            }
            let b = st.active.take()?;
            st.active = st.parked_default.take();
            dismiss(self.exclusive);
            Some(b.ledger)
        })
    }
}

impl Drop for BudgetContext {
    fn drop(&mut self) {
        // `finish` already unbound it; otherwise release the binding now.
        let _ = self.unbind();
    }
}

fn build_summary(shared: &Shared, local: Option<&Ledger>, now: u64) -> BudgetSummary {
    let mut ledger = shared.merged.lock().map(|m| m.clone()).unwrap_or_default();
    if let Some(l) = local {
        ledger.merge(l);
    }
    let closed = shared.closed_ns.load(Ordering::Relaxed);
    let end = if closed != 0 { closed } else { now };
    let mut summary = BudgetSummary::from_ledger(
        shared.budget,
        shared.used.load(Ordering::Relaxed),
        secs(shared.elapsed_ns(end)),
        &ledger,
    );
    let unaccounted = secs(shared.unaccounted_cpu_ns());
    summary.unaccounted_thread_cpu_s = unaccounted;
    summary.residual_wall_time_s += unaccounted;
    summary
}

/// Guard for a namespace segment pushed with [`namespace`]; pops it when dropped.
pub struct NamespaceGuard {
    shared: Option<Arc<Shared>>,
    _not_send: PhantomData<*const ()>,
}

/// Pushes `segment` onto the current thread's namespace: ops until the guard drops record under
/// `<current>.<segment>` (or `<segment>` at an unnamed root).
///
/// # Panics
/// If `segment` is empty or contains `.`.
pub fn namespace(segment: &str) -> NamespaceGuard {
    if segment.is_empty() || segment.contains('.') {
        std::panic::panic_any(BudgetError::InvalidNamespace(segment.to_owned()));
    }
    let t0 = now_ns();
    let shared = STATE.with(|cell| {
        let mut st = cell.borrow_mut();
        let b = st
            .active
            .get_or_insert_with(|| Binding::new(default_shared(), None, false));
        let name = match b.current_name() {
            Some(parent) => format!("{parent}.{segment}"),
            None => segment.to_owned(),
        };
        let idx = b.ledger.namespace_index(Some(&name));
        b.stack.push(idx);
        b.ledger.loose_overhead_ns += now_ns() - t0;
        b.shared.clone()
    });
    NamespaceGuard {
        shared: Some(shared),
        _not_send: PhantomData,
    }
}

impl Drop for NamespaceGuard {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        STATE.with(|cell| {
            if let Ok(mut st) = cell.try_borrow_mut() {
                if let Some(b) = st.active.as_mut() {
                    if Arc::ptr_eq(&b.shared, &shared) && b.stack.len() > 1 {
                        b.stack.pop();
                    }
                }
            }
        });
    }
}

/// What a worker thread needs to bind itself to its parent's context.
#[derive(Clone)]
pub(crate) struct ParentBinding {
    shared: Arc<Shared>,
    namespace: Option<String>,
    accounted: bool,
}

impl ParentBinding {
    /// The current thread's binding, if it has one.
    pub(crate) fn current() -> Option<ParentBinding> {
        STATE.with(|cell| {
            let st = cell.borrow();
            st.active.as_ref().map(|b| ParentBinding {
                shared: b.shared.clone(),
                namespace: b.current_name(),
                accounted: b.accounted,
            })
        })
    }

    /// Binds the current (worker) thread to the parent's context until the guard drops.
    pub(crate) fn bind(self) -> WorkerBinding {
        let cpu_start_ns = self.shared.cpu.and_then(|_| cpu_time::thread_cpu_ns());
        STATE.with(|cell| {
            let mut st = cell.borrow_mut();
            let prev = st.active.replace(Binding::new(
                self.shared.clone(),
                self.namespace,
                self.accounted,
            ));
            WorkerBinding {
                prev,
                cpu_start_ns,
                _not_send: PhantomData,
            }
        })
    }
}

/// A worker thread's binding; on drop its statistics are merged into the parent context.
pub(crate) struct WorkerBinding {
    prev: Option<Binding>,
    /// The worker's CPU clock at binding, when its context charges other threads.
    cpu_start_ns: Option<u64>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for WorkerBinding {
    fn drop(&mut self) {
        let prev = self.prev.take();
        STATE.with(|cell| {
            if let Ok(mut st) = cell.try_borrow_mut() {
                if let Some(b) = std::mem::replace(&mut st.active, prev) {
                    if let (Some(start), Some(end)) = (self.cpu_start_ns, cpu_time::thread_cpu_ns())
                    {
                        let cpu = end.saturating_sub(start);
                        let t = b.ledger.totals();
                        let own = t.backend_ns + t.overhead_ns + b.ledger.loose_overhead_ns;
                        let shared = &b.shared;
                        shared.worker_cpu_ns.fetch_add(cpu, Ordering::Relaxed);
                        shared
                            .worker_raw_ns
                            .fetch_add(cpu.saturating_sub(own), Ordering::Relaxed);
                    }
                    if let Ok(mut m) = b.shared.merged.lock() {
                        m.merge(&b.ledger);
                    }
                }
            }
        });
    }
}

thread_local! {
    static CATCHING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Installs (once) a panic hook that stays silent for budget payloads raised under
/// [`catch_budget`], and defers to the previous hook for everything else.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let p = info.payload();
            let budget_payload =
                p.is::<BudgetExhausted>() || p.is::<TimeExhausted>() || p.is::<BudgetError>();
            if budget_payload && CATCHING.with(|c| c.get()) > 0 {
                return;
            }
            prev(info);
        }));
    });
}

/// Runs `f`, turning a budget or time exhaustion inside it into `Err`.
///
/// Other panics are resumed unchanged. Budget panics caught here print nothing.
///
/// # Errors
/// [`BudgetError::Exhausted`], [`BudgetError::TimeExhausted`] or
/// [`BudgetError::UnaccountedThread`] raised by an op inside `f`.
pub fn catch_budget<T>(f: impl FnOnce() -> T) -> Result<T, BudgetError> {
    install_quiet_hook();
    CATCHING.with(|c| c.set(c.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(c.get() - 1));
    match r {
        Ok(v) => Ok(v),
        Err(payload) => match BudgetError::from_panic(payload) {
            Ok(e) => Err(e),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charge_cost_samples_the_first_op_and_then_one_in_every_32() {
        let mut c = ChargeCost::default();
        let sampled: Vec<u64> = (0..100u64).filter(|_| c.sample_next()).collect();
        assert_eq!(sampled, [0, 32, 64, 96]);
        assert_eq!(c.mean_ns, 0);
        c.record(10);
        c.record(21);
        assert_eq!(c.mean_ns, 15);
    }

    #[test]
    fn unsampled_ops_split_their_time_with_the_sampled_mean() {
        let ctx = BudgetContext::new(u64::MAX / 4).expect("open a context");
        let x = crate::Tensor::ones([64], crate::DType::F32);
        for _ in 0..200 {
            let _ = &x + &x;
        }
        let s = ctx.finish();
        let add = s
            .operations
            .iter()
            .find(|o| o.op == "add")
            .expect("an add row");
        assert_eq!(add.calls, 200);
        assert!(add.flopscope_overhead_time_s > 0.0, "{add:?}");
        assert!(add.flopscope_backend_time_s > 0.0, "{add:?}");
    }
}
