//! The C ABI between an estimator plugin (`cdylib`) and the runner.
//!
//! Only `#[repr(C)]` structs, raw pointers with lengths, and integer codes cross the boundary.
//! Memory is freed by the side that allocated it: results and status strings allocated by the
//! plugin are released through the table's `free_*` functions, and the MLP weights the runner
//! lends to `predict` are handed back through the runner's [`ReleaseFn`] (the plugin wraps them
//! in tensors without copying and may keep them past the call). The runner refuses a plugin
//! whose [`ABI_VERSION`] differs from its own, naming both versions.

use std::ffi::{c_char, c_void};

/// Version of this ABI; bumped on any layout or semantic change (2: weights are lent with an
/// owner handle and a release function instead of being borrowed for the call; 3: the runner
/// sets the metering switches in [`PredictArgs::metering`]).
pub const ABI_VERSION: u32 = 3;

/// [`PredictArgs::metering`] bit: charge CPU time on threads flopscope does not account for to
/// residual time ([`flopscope::BudgetContextBuilder::charge_other_threads`]).
pub const METER_CHARGE_OTHER_THREADS: u32 = 1;
/// [`PredictArgs::metering`] bit: open predict's budget context exclusive, so no other context
/// can open on any thread while it runs ([`flopscope::BudgetContextBuilder::exclusive`]).
pub const METER_EXCLUSIVE_CONTEXT: u32 = 2;

/// Environment variable that, set to `1` in the runner's environment, makes the runner set
/// [`METER_CHARGE_OTHER_THREADS`]. The runner reads it when it loads a plugin, before any
/// plugin code runs, so a plugin changing its process's environment changes nothing.
/// `whest-runner` sets it for itself and its workers unless the user set it (`0` turns the
/// charge off).
pub const CHARGE_OTHER_THREADS_ENV: &str = "WHEST_CHARGE_OTHER_THREADS";

/// Name of the symbol [`crate::export_estimator!`] exports (NUL-terminated for `dlsym`).
pub const ENTRY_SYMBOL: &[u8] = b"whest_estimator_entry\0";

/// Signature of the exported entry point.
pub type EntryFn = unsafe extern "C" fn() -> *const EstimatorTable;

/// The runner's function that takes back lent weights: the plugin calls it exactly once per
/// `predict` call, with that call's [`PredictArgs::weights_owner`], as soon as none of its
/// tensors references the weights any more. That may be after `predict` returned and on any
/// thread; it never unwinds.
pub type ReleaseFn = unsafe extern "C" fn(owner: *mut c_void);

/// Outcome of a plugin call (an `i32` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeCode {
    /// Completed.
    Ok,
    /// Stopped by the FLOP budget (predict only).
    BudgetExhausted,
    /// Stopped by the cooperative wall-time limit (predict only).
    TimeExhausted,
    /// The estimator panicked or returned something invalid.
    Error,
}

impl OutcomeCode {
    /// Wire value.
    pub const fn to_raw(self) -> i32 {
        match self {
            OutcomeCode::Ok => 0,
            OutcomeCode::BudgetExhausted => 1,
            OutcomeCode::TimeExhausted => 2,
            OutcomeCode::Error => 3,
        }
    }

    /// Decodes a wire value; unknown values are `None` (a protocol error).
    pub const fn from_raw(v: i32) -> Option<OutcomeCode> {
        match v {
            0 => Some(OutcomeCode::Ok),
            1 => Some(OutcomeCode::BudgetExhausted),
            2 => Some(OutcomeCode::TimeExhausted),
            3 => Some(OutcomeCode::Error),
            _ => None,
        }
    }
}

/// Arguments of `setup` (strings are NUL-terminated UTF-8; null means "none").
#[repr(C)]
#[derive(Debug)]
pub struct SetupArgs {
    /// MLP width.
    pub width: u64,
    /// MLP depth.
    pub depth: u64,
    /// FLOP budget per predict.
    pub flop_budget: u64,
    /// Run seed.
    pub seed: u64,
    /// Contract version string.
    pub api_version: *const c_char,
    /// Scratch directory or null.
    pub scratch_dir: *const c_char,
    /// Submission directory or null.
    pub submission_dir: *const c_char,
}

/// Arguments of `predict`.
#[repr(C)]
#[derive(Debug)]
pub struct PredictArgs {
    /// MLP width `w`.
    pub width: u64,
    /// MLP depth `d`.
    pub depth: u64,
    /// `d·w·w` f32 weights, layer-major, each layer row-major (`W_l[i][j]` at `l·w² + i·w + j`),
    /// lent by the runner: valid and unchanged until `release_weights(weights_owner)` is called.
    pub weights: *const f32,
    /// Number of floats behind `weights`.
    pub weights_len: u64,
    /// The runner's handle on the lent weights, passed back to `release_weights`.
    pub weights_owner: *mut c_void,
    /// Takes the weights back; the plugin calls it exactly once, even when `predict` fails.
    pub release_weights: ReleaseFn,
    /// The MLP's participant-facing seed.
    pub seed: u64,
    /// The MLP's name (NUL-terminated) or null.
    pub name: *const c_char,
    /// FLOP budget for this call.
    pub budget: u64,
    /// Cooperative wall-time limit in seconds; `<= 0` or NaN means none.
    pub wall_time_limit_s: f64,
    /// How the plugin meters this call: [`METER_CHARGE_OTHER_THREADS`] and
    /// [`METER_EXCLUSIVE_CONTEXT`] bits, chosen by the runner (estimator code cannot change
    /// them).
    pub metering: u32,
}

/// Status of `create`, `setup` and `teardown`.
#[repr(C)]
#[derive(Debug)]
pub struct StatusOut {
    /// [`OutcomeCode`] wire value.
    pub code: i32,
    /// Error message (plugin-allocated, NUL-terminated) or null.
    pub message: *mut c_char,
    /// Panic location / details (plugin-allocated) or null.
    pub traceback: *mut c_char,
}

impl StatusOut {
    /// An empty status for the plugin to fill.
    pub const fn empty() -> StatusOut {
        StatusOut {
            code: 0,
            message: std::ptr::null_mut(),
            traceback: std::ptr::null_mut(),
        }
    }
}

/// Everything `predict` hands back: predictions and the accounting of its budget context.
#[repr(C)]
#[derive(Debug)]
pub struct PredictResult {
    /// [`OutcomeCode`] wire value.
    pub outcome: i32,
    /// `d·w` f32 predictions (plugin-allocated) when `outcome` is Ok, else null.
    pub predictions: *mut f32,
    /// Number of floats behind `predictions`.
    pub predictions_len: u64,
    /// FLOPs charged in the context (up to the failing op on exhaustion).
    pub flops_used: u64,
    /// Context wall time (construction to close), seconds.
    pub wall_time_s: f64,
    /// Seconds inside counted kernels.
    pub backend_time_s: f64,
    /// Seconds of flopscope accounting.
    pub overhead_time_s: f64,
    /// `max(0, wall − backend − overhead)`.
    pub residual_wall_time_s: f64,
    /// The context summary as JSON (flopscope `summary_dict(by_namespace=True)` shape).
    pub summary_json: *mut c_char,
    /// Error code for `Error` outcomes (e.g. `ESTIMATOR_BAD_SHAPE`), plugin-allocated or null.
    pub error_code: *mut c_char,
    /// Error or exhaustion message, plugin-allocated or null.
    pub message: *mut c_char,
    /// Panic location / details, plugin-allocated or null.
    pub traceback: *mut c_char,
    /// Structured error details as JSON (shape errors), plugin-allocated or null.
    pub details_json: *mut c_char,
}

impl PredictResult {
    /// An empty result for the plugin to fill.
    pub const fn empty() -> PredictResult {
        PredictResult {
            outcome: 0,
            predictions: std::ptr::null_mut(),
            predictions_len: 0,
            flops_used: 0,
            wall_time_s: 0.0,
            backend_time_s: 0.0,
            overhead_time_s: 0.0,
            residual_wall_time_s: 0.0,
            summary_json: std::ptr::null_mut(),
            error_code: std::ptr::null_mut(),
            message: std::ptr::null_mut(),
            traceback: std::ptr::null_mut(),
            details_json: std::ptr::null_mut(),
        }
    }
}

/// The versioned entry table a plugin exports (see [`crate::export_estimator!`]).
#[repr(C)]
pub struct EstimatorTable {
    /// Must equal the runner's [`ABI_VERSION`].
    pub abi_version: u32,
    /// The plugin's `estimator-api` contract version (NUL-terminated).
    pub api_version: *const c_char,
    /// The `flopscope` version the plugin links (NUL-terminated).
    pub flopscope_version: *const c_char,
    /// The estimator type's name (NUL-terminated).
    pub estimator_name: *const c_char,
    /// Creates an instance (`Default::default()`); null on failure (see status).
    pub create: unsafe extern "C" fn(status: *mut StatusOut) -> *mut c_void,
    /// Calls `setup`; returns the outcome code (also written to `status`).
    pub setup: unsafe extern "C" fn(
        instance: *mut c_void,
        args: *const SetupArgs,
        status: *mut StatusOut,
    ) -> i32,
    /// Runs `predict` inside a budget context; fills `out`; returns its outcome code.
    pub predict: unsafe extern "C" fn(
        instance: *mut c_void,
        args: *const PredictArgs,
        out: *mut PredictResult,
    ) -> i32,
    /// Calls `teardown`.
    pub teardown: unsafe extern "C" fn(instance: *mut c_void, status: *mut StatusOut) -> i32,
    /// Drops the instance.
    pub destroy: unsafe extern "C" fn(instance: *mut c_void),
    /// Frees everything a `predict` result owns.
    pub free_result: unsafe extern "C" fn(out: *mut PredictResult),
    /// Frees the strings a status owns.
    pub free_status: unsafe extern "C" fn(status: *mut StatusOut),
}
