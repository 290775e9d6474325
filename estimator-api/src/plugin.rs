//! The plugin side of the ABI: generic `extern "C"` wrappers instantiated by
//! [`crate::export_estimator!`]. Every wrapper catches panics, so nothing unwinds into the runner.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use flopscope::{catch_budget, BudgetContext, BudgetError, BudgetSummary, DType, Tensor};

use crate::abi::{
    OutcomeCode, PredictArgs, PredictResult, SetupArgs, StatusOut, METER_CHARGE_OTHER_THREADS,
    METER_EXCLUSIVE_CONTEXT,
};
use crate::contract::{Estimator, SetupContext};
use crate::lent::LentWeights;
use crate::mlp::Mlp;

/// Generates the `whest_estimator_entry` symbol of a `cdylib` estimator crate.
///
/// `$ty` must implement [`crate::Estimator`] (and so `Default`). Put this once in the crate's
/// `lib.rs`, with `crate-type = ["cdylib"]` in `Cargo.toml`.
#[macro_export]
macro_rules! export_estimator {
    ($ty:ty) => {
        /// Entry point the runner looks up: the versioned estimator table.
        #[unsafe(no_mangle)]
        pub extern "C" fn whest_estimator_entry() -> *const $crate::EstimatorTable {
            $crate::estimator_table!($ty)
        }
    };
}

/// The versioned entry table of estimator `$ty` (a `*const EstimatorTable` expression, valid
/// for the life of the program), without exporting any symbol.
///
/// [`export_estimator!`] returns it from the exported entry point. A host that links an
/// estimator crate as a plain library (as `whest-runner smoke-test` links the reference
/// `CombinedEstimator`) wraps it in an `extern "C" fn` of its own and loads that like a plugin.
#[macro_export]
macro_rules! estimator_table {
    ($ty:ty) => {{
        static TABLE: $crate::__private::TableCell =
            $crate::__private::TableCell::new($crate::EstimatorTable {
                abi_version: $crate::ABI_VERSION,
                api_version: $crate::__private::API_VERSION_NUL.as_ptr().cast(),
                flopscope_version: $crate::__private::FLOPSCOPE_VERSION_NUL.as_ptr().cast(),
                estimator_name: concat!(stringify!($ty), "\0").as_ptr().cast(),
                create: $crate::__private::create::<$ty>,
                setup: $crate::__private::setup::<$ty>,
                predict: $crate::__private::predict::<$ty>,
                teardown: $crate::__private::teardown::<$ty>,
                destroy: $crate::__private::destroy::<$ty>,
                free_result: $crate::__private::free_result,
                free_status: $crate::__private::free_status,
            });
        TABLE.get()
    }};
}

thread_local! {
    /// The last panic's message and location, captured by the hook for the report.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a hook that records panic messages for the report instead of printing them.
fn install_panic_capture() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let p = info.payload();
            if p.is::<flopscope::BudgetExhausted>()
                || p.is::<flopscope::TimeExhausted>()
                || p.is::<BudgetError>()
            {
                return prev(info);
            }
            let text = format!("{info}");
            LAST_PANIC.with(|l| *l.borrow_mut() = Some(text));
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(e) = payload.downcast_ref::<BudgetError>() {
        e.to_string()
    } else {
        "the estimator panicked with a non-string payload".to_string()
    }
}

fn take_traceback() -> Option<String> {
    LAST_PANIC.with(|l| l.borrow_mut().take())
}

fn c_string(s: &str) -> *mut c_char {
    CString::new(s.replace('\0', " "))
        .map(CString::into_raw)
        .unwrap_or(std::ptr::null_mut())
}

/// Frees a string made by [`c_string`].
///
/// # Safety
/// `p` is null or came from `c_string` and was not freed before.
unsafe fn free_c_string(p: *mut c_char) {
    if !p.is_null() {
        // SAFETY: per the contract, `p` came from `CString::into_raw` in this plugin.
        drop(unsafe { CString::from_raw(p) });
    }
}

/// Reads an optional NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string valid for the call.
unsafe fn opt_str(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per the contract, `p` is a valid NUL-terminated string.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn write_status(status: *mut StatusOut, code: OutcomeCode, msg: Option<&str>, tb: Option<&str>) {
    if status.is_null() {
        return;
    }
    // SAFETY: the runner passes a valid, exclusively borrowed `StatusOut`.
    let s = unsafe { &mut *status };
    s.code = code.to_raw();
    s.message = msg.map_or(std::ptr::null_mut(), c_string);
    s.traceback = tb.map_or(std::ptr::null_mut(), c_string);
}

/// Drops a caught panic's payload without letting a panic in the payload's own `Drop` go any
/// further: unwinding out of an `extern "C"` function aborts the process (in the local runner,
/// the runner's). A payload whose drop panics is leaked, and so is that second payload.
fn discard(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// Runs `f`, turning a panic into an `Error` status. Returns the outcome code.
fn guarded(status: *mut StatusOut, what: &str, f: impl FnOnce()) -> i32 {
    install_panic_capture();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => {
            write_status(status, OutcomeCode::Ok, None, None);
            OutcomeCode::Ok.to_raw()
        }
        Err(payload) => {
            let msg = format!("{what} panicked: {}", panic_message(payload.as_ref()));
            discard(payload);
            write_status(
                status,
                OutcomeCode::Error,
                Some(&msg),
                take_traceback().as_deref(),
            );
            OutcomeCode::Error.to_raw()
        }
    }
}

/// What one predict produced, before it is written into the C struct.
struct Report {
    outcome: OutcomeCode,
    predictions: Vec<f32>,
    summary: Option<BudgetSummary>,
    error_code: Option<String>,
    message: Option<String>,
    traceback: Option<String>,
    details_json: Option<String>,
}

impl Report {
    fn error(code: &str, message: String) -> Report {
        Report {
            outcome: OutcomeCode::Error,
            predictions: Vec::new(),
            summary: None,
            error_code: Some(code.to_string()),
            message: Some(message),
            traceback: None,
            details_json: None,
        }
    }
}

/// Checks the `(d, w)` shape and casts to f32 inside the budget window (a non-f32 result is
/// charged as `astype`, exactly like the reference's materialisation step).
fn materialise(t: Tensor, depth: usize, width: usize) -> Result<Vec<f32>, Box<Report>> {
    if t.shape() != [depth, width] {
        let got: Vec<String> = t.shape().iter().map(usize::to_string).collect();
        let transposed = t.shape() == [width, depth];
        let hint = if transposed {
            "the result looks transposed: return one row per layer, shape (depth, width)"
        } else {
            "return a (depth, width) tensor: row l holds the mean of each neuron after layer l"
        };
        let mut report = Report::error(
            "ESTIMATOR_BAD_SHAPE",
            format!(
                "predict must return shape ({depth}, {width}), got ({})",
                got.join(", ")
            ),
        );
        report.details_json = Some(format!(
            "{{\"expected_shape\":[{depth},{width}],\"got_shape\":[{}],\"cause_hints\":[\"{}\"],\"hint\":\"{hint}\"}}",
            got.join(","),
            if transposed { "transposed" } else { "wrong_shape" },
        ));
        return Err(Box::new(report));
    }
    let t = if t.dtype() == DType::F32 {
        t
    } else {
        t.astype(DType::F32)
    };
    Ok(t.to_vec::<f32>())
}

fn run_predict<T: Estimator>(est: &mut T, a: &PredictArgs, weights: LentWeights) -> Report {
    let (w, d) = (a.width as usize, a.depth as usize);
    let expected = d.saturating_mul(w).saturating_mul(w);
    if weights.is_null() || weights.len() != expected {
        return Report::error(
            "WORKER_PROTOCOL_ERROR",
            format!("expected {expected} weights, got {}", weights.len()),
        );
    }
    let layers = weights.into_layers(w, d);
    // SAFETY: `name` is null or a NUL-terminated string valid for this call.
    let name = unsafe { opt_str(a.name) }.unwrap_or_default();
    let mlp = match Mlp::new(w, d, layers, a.seed, name) {
        Ok(m) => m,
        Err(e) => return Report::error("WORKER_PROTOCOL_ERROR", e.to_string()),
    };
    let mut builder = BudgetContext::builder(a.budget)
        .charge_other_threads(a.metering & METER_CHARGE_OTHER_THREADS != 0)
        .exclusive(a.metering & METER_EXCLUSIVE_CONTEXT != 0);
    if let Ok(limit) = Duration::try_from_secs_f64(a.wall_time_limit_s) {
        if !limit.is_zero() {
            builder = builder.wall_time_limit(limit);
        }
    }
    let ctx = match builder.open() {
        Ok(c) => c,
        Err(e) => return Report::error("PREDICT_ERROR", e.to_string()),
    };
    let outcome = catch_budget(|| materialise(est.predict(&mlp, a.budget), d, w));
    let summary = ctx.finish();
    let (outcome, predictions, message) = match outcome {
        Ok(Ok(p)) => (OutcomeCode::Ok, p, None),
        Ok(Err(mut r)) => {
            r.summary = Some(summary);
            return *r;
        }
        Err(e @ BudgetError::Exhausted(_)) => (
            OutcomeCode::BudgetExhausted,
            Vec::new(),
            Some(e.to_string()),
        ),
        Err(e @ BudgetError::TimeExhausted(_)) => {
            (OutcomeCode::TimeExhausted, Vec::new(), Some(e.to_string()))
        }
        Err(e) => {
            let mut r = Report::error("PREDICT_ERROR", e.to_string());
            r.summary = Some(summary);
            return r;
        }
    };
    Report {
        outcome,
        predictions,
        summary: Some(summary),
        error_code: None,
        message,
        traceback: None,
        details_json: None,
    }
}

fn write_report(out: &mut PredictResult, r: Report) {
    *out = PredictResult::empty();
    out.outcome = r.outcome.to_raw();
    if r.outcome == OutcomeCode::Ok {
        let boxed = r.predictions.into_boxed_slice();
        out.predictions_len = boxed.len() as u64;
        out.predictions = Box::into_raw(boxed).cast::<f32>();
    }
    if let Some(s) = &r.summary {
        out.flops_used = s.flops_used;
        out.wall_time_s = s.wall_time_s;
        out.backend_time_s = s.flopscope_backend_time_s;
        out.overhead_time_s = s.flopscope_overhead_time_s;
        out.residual_wall_time_s = s.residual_wall_time_s;
        out.summary_json = c_string(&s.to_json());
    }
    let opt = |s: &Option<String>| s.as_deref().map_or(std::ptr::null_mut(), c_string);
    out.error_code = opt(&r.error_code);
    out.message = opt(&r.message);
    out.traceback = opt(&r.traceback);
    out.details_json = opt(&r.details_json);
}

#[doc(hidden)]
pub mod __private {
    //! Items used by [`crate::export_estimator!`] and [`crate::estimator_table!`]; not part of
    //! the public API.

    use super::*;
    use crate::abi::EstimatorTable;

    /// The contract version, NUL-terminated.
    pub const API_VERSION_NUL: &str = concat!("1.0", "\0");
    /// The linked flopscope version, NUL-terminated.
    pub const FLOPSCOPE_VERSION_NUL: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

    /// A `static`-able wrapper around the entry table.
    pub struct TableCell(EstimatorTable);

    // SAFETY: the table holds only function pointers and pointers to `'static` immutable
    // NUL-terminated string literals; nothing in it is ever mutated.
    unsafe impl Sync for TableCell {}

    impl TableCell {
        /// Wraps a table.
        pub const fn new(table: EstimatorTable) -> TableCell {
            TableCell(table)
        }

        /// A pointer to the table, valid for the life of the loaded library.
        pub fn get(&'static self) -> *const EstimatorTable {
            &self.0
        }
    }

    /// Creates a `T::default()` instance on the heap.
    ///
    /// # Safety
    /// `status` is null or a valid `StatusOut`.
    pub unsafe extern "C" fn create<T: Estimator>(status: *mut StatusOut) -> *mut c_void {
        let mut ptr = std::ptr::null_mut();
        guarded(status, "Default::default()", || {
            ptr = Box::into_raw(Box::<T>::default()).cast::<c_void>();
        });
        ptr
    }

    /// Calls `setup` with the context described by `args`.
    ///
    /// # Safety
    /// `instance` came from `create::<T>`; `args` points to a valid `SetupArgs`.
    pub unsafe extern "C" fn setup<T: Estimator>(
        instance: *mut c_void,
        args: *const SetupArgs,
        status: *mut StatusOut,
    ) -> i32 {
        if instance.is_null() || args.is_null() {
            write_status(
                status,
                OutcomeCode::Error,
                Some("setup: null argument"),
                None,
            );
            return OutcomeCode::Error.to_raw();
        }
        // SAFETY: per the contract above.
        let (est, a) = unsafe { (&mut *instance.cast::<T>(), &*args) };
        // SAFETY: string fields are null or valid NUL-terminated strings.
        let ctx = unsafe {
            SetupContext {
                width: a.width as usize,
                depth: a.depth as usize,
                flop_budget: a.flop_budget,
                api_version: opt_str(a.api_version).unwrap_or_default(),
                scratch_dir: opt_str(a.scratch_dir).map(Into::into),
                submission_dir: opt_str(a.submission_dir).map(Into::into),
                seed: a.seed,
            }
        };
        guarded(status, "setup", || est.setup(&ctx))
    }

    /// Runs `predict` inside a fresh budget context and fills `out`. The lent weights become
    /// the `Mlp`'s tensors without a copy and are released when the last of them is dropped.
    ///
    /// # Safety
    /// `instance` came from `create::<T>`; `args` and `out` are valid; `out` is later released
    /// with `free_result`; the weights in `args` follow the lending rules of [`PredictArgs`].
    pub unsafe extern "C" fn predict<T: Estimator>(
        instance: *mut c_void,
        args: *const PredictArgs,
        out: *mut PredictResult,
    ) -> i32 {
        // SAFETY: `args` is null or valid for the call (contract above).
        let a = unsafe { args.as_ref() };
        // Taken first, so the weights go back to the runner on every path below.
        // SAFETY: per the ABI, `weights` holds `weights_len` floats lent until
        // `release_weights(weights_owner)`, which only `LentWeights` calls.
        let weights = a.map(|a| unsafe {
            LentWeights::new(
                a.weights,
                a.weights_len as usize,
                a.weights_owner,
                a.release_weights,
            )
        });
        if out.is_null() {
            return OutcomeCode::Error.to_raw();
        }
        // SAFETY: the runner passes a valid, exclusively borrowed result struct.
        let out = unsafe { &mut *out };
        let (Some(a), Some(weights), false) = (a, weights, instance.is_null()) else {
            write_report(
                out,
                Report::error("WORKER_PROTOCOL_ERROR", "null argument".into()),
            );
            return out.outcome;
        };
        install_panic_capture();
        // SAFETY: per the contract above.
        let est = unsafe { &mut *instance.cast::<T>() };
        let report = match catch_unwind(AssertUnwindSafe(|| run_predict(est, a, weights))) {
            Ok(r) => r,
            Err(payload) => {
                let mut r = Report::error(
                    "PREDICT_ERROR",
                    format!("predict panicked: {}", panic_message(payload.as_ref())),
                );
                discard(payload);
                r.traceback = take_traceback();
                r
            }
        };
        write_report(out, report);
        out.outcome
    }

    /// Calls `teardown`.
    ///
    /// # Safety
    /// `instance` came from `create::<T>`.
    pub unsafe extern "C" fn teardown<T: Estimator>(
        instance: *mut c_void,
        status: *mut StatusOut,
    ) -> i32 {
        if instance.is_null() {
            return OutcomeCode::Ok.to_raw();
        }
        // SAFETY: per the contract above.
        let est = unsafe { &mut *instance.cast::<T>() };
        guarded(status, "teardown", || est.teardown())
    }

    /// Drops an instance made by `create::<T>`.
    ///
    /// # Safety
    /// `instance` came from `create::<T>` and is not used afterwards.
    pub unsafe extern "C" fn destroy<T: Estimator>(instance: *mut c_void) {
        if instance.is_null() {
            return;
        }
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: per the contract above, the box is reclaimed exactly once.
            drop(unsafe { Box::from_raw(instance.cast::<T>()) });
        })) {
            discard(payload);
        }
    }

    /// Frees everything `predict` allocated in `out`.
    ///
    /// # Safety
    /// `out` was filled by this plugin's `predict` and not freed before.
    pub unsafe extern "C" fn free_result(out: *mut PredictResult) {
        if out.is_null() {
            return;
        }
        // SAFETY: per the contract above.
        let r = unsafe { &mut *out };
        if !r.predictions.is_null() {
            let len = r.predictions_len as usize;
            // SAFETY: `predictions` came from `Box<[f32]>::into_raw` with this length.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(r.predictions, len)) });
        }
        // SAFETY: each string came from `c_string` and is freed once; the fields are reset.
        unsafe {
            free_c_string(r.summary_json);
            free_c_string(r.error_code);
            free_c_string(r.message);
            free_c_string(r.traceback);
            free_c_string(r.details_json);
        }
        *r = PredictResult::empty();
    }

    /// Frees the strings in a status.
    ///
    /// # Safety
    /// `status` was filled by this plugin and not freed before.
    pub unsafe extern "C" fn free_status(status: *mut StatusOut) {
        if status.is_null() {
            return;
        }
        // SAFETY: per the contract above.
        let s = unsafe { &mut *status };
        // SAFETY: both strings came from `c_string` and are freed once.
        unsafe {
            free_c_string(s.message);
            free_c_string(s.traceback);
        }
        *s = StatusOut::empty();
    }
}
