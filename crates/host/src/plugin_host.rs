//! Host side of the estimator plugin ABI: loads a `cdylib`, checks its versions, and calls it.
//!
//! All host-side `unsafe` FFI lives in this module. Results are copied into owned Rust values
//! and then released with the plugin's own `free_*` functions (each side frees what it
//! allocated). MLP weights are lent, not copied: [`SharedWeights`] carries an owner that keeps
//! them alive until the plugin hands them back through [`release_weights`]. The library handle is never unloaded: Rust `cdylib`s with thread-local
//! destructors cannot be safely `dlclose`d, and every worker process loads one plugin.

use std::any::Any;
use std::ffi::{c_char, c_void, CStr, CString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use estimator_api::{
    EntryFn, EstimatorTable, OutcomeCode, PredictArgs, PredictResult, SetupArgs, SetupContext,
    StatusOut, ABI_VERSION, ENTRY_SYMBOL,
};

/// Why a plugin could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// `dlopen` failed (missing file, not a shared library, unresolved symbols…).
    Open {
        /// The path given.
        path: PathBuf,
        /// The loader's reason.
        reason: String,
    },
    /// The library does not export `whest_estimator_entry`.
    MissingEntry {
        /// The path given.
        path: PathBuf,
    },
    /// The plugin was built against another ABI version.
    AbiMismatch {
        /// The path given.
        path: PathBuf,
        /// The plugin's ABI version.
        plugin: u32,
        /// This runner's ABI version.
        runner: u32,
        /// The plugin's estimator-api contract version.
        plugin_api: String,
    },
    /// `Default::default()` of the estimator panicked.
    Create {
        /// The panic message.
        message: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Open { path, reason } => write!(
                f,
                "cannot load estimator library {}: {reason}",
                path.display()
            ),
            LoadError::MissingEntry { path } => write!(
                f,
                "{} is not a whest estimator: it does not export `whest_estimator_entry`; add \
                 `estimator_api::export_estimator!(YourEstimator);` to its lib.rs and build it \
                 with crate-type = [\"cdylib\"]",
                path.display()
            ),
            LoadError::AbiMismatch {
                path,
                plugin,
                runner,
                plugin_api,
            } => write!(
                f,
                "{} was built with estimator ABI v{plugin} (estimator-api contract {plugin_api}) \
                 but this whest-runner speaks ABI v{runner}; rebuild the estimator against the \
                 estimator-api version that ships with this runner",
                path.display()
            ),
            LoadError::Create { message } => {
                write!(f, "creating the estimator failed: {message}")
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// A failed `setup` or `teardown` call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    /// What went wrong.
    pub message: String,
    /// Panic location, when known.
    pub traceback: Option<String>,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What one `predict` call returned, copied out of the plugin.
///
/// Also the header of the worker's predict reply: the predictions are not serialized (they
/// travel as the frame's raw f32 payload) and the outcome is sent as its wire code.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PluginPrediction {
    /// How the call ended.
    #[serde(with = "outcome_wire")]
    pub outcome: OutcomeCode,
    /// `d·w` predictions (empty unless `outcome` is Ok).
    #[serde(skip)]
    pub predictions: Vec<f32>,
    /// FLOPs charged in the plugin's budget context.
    pub flops_used: u64,
    /// Context wall time, seconds.
    pub wall_time_s: f64,
    /// Kernel seconds.
    pub backend_time_s: f64,
    /// Accounting seconds.
    pub overhead_time_s: f64,
    /// Residual seconds.
    pub residual_wall_time_s: f64,
    /// The flopscope summary JSON, if the context was opened.
    pub summary_json: Option<String>,
    /// Error code for errors (`ESTIMATOR_BAD_SHAPE`, `PREDICT_ERROR`, …).
    pub error_code: Option<String>,
    /// Error or exhaustion message.
    pub message: Option<String>,
    /// Panic location / details.
    pub traceback: Option<String>,
    /// Structured error details JSON.
    pub details_json: Option<String>,
}

/// Serializes an [`OutcomeCode`] as its `i32` wire value (unknown values read as `Error`).
mod outcome_wire {
    use estimator_api::OutcomeCode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(code: &OutcomeCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(code.to_raw())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OutcomeCode, D::Error> {
        Ok(OutcomeCode::from_raw(i32::deserialize(d)?).unwrap_or(OutcomeCode::Error))
    }
}

/// f32 weights lent to a plugin's `predict`. The plugin wraps them in tensors without copying
/// and may keep reading them after the call, until it releases them (from any thread), so they
/// travel with an owner that keeps the memory alive and unchanged until then.
pub struct SharedWeights {
    ptr: *const f32,
    len: usize,
    owner: Box<dyn Any + Send>,
}

// SAFETY: the pointer is only read, the memory it points to is immutable while lent (each
// constructor's contract), and the owner that keeps it alive is `Send`.
unsafe impl Send for SharedWeights {}

impl SharedWeights {
    /// Lends shared weights; the plugin holds one reference to the `Arc` until it releases it.
    pub fn from_arc(weights: Arc<[f32]>) -> SharedWeights {
        SharedWeights {
            ptr: weights.as_ptr(),
            len: weights.len(),
            owner: Box::new(weights),
        }
    }

    /// Lends owned weights (freed when the plugin releases them).
    pub fn from_vec(weights: Vec<f32>) -> SharedWeights {
        SharedWeights {
            ptr: weights.as_ptr(),
            len: weights.len(),
            owner: Box::new(weights),
        }
    }

    /// Lends `len` floats at `ptr`, kept alive by `owner`.
    ///
    /// # Safety
    /// `ptr` points to `len` f32 values that stay valid and are not written for as long as
    /// `owner` lives.
    pub unsafe fn from_raw_parts(
        ptr: *const f32,
        len: usize,
        owner: Box<dyn Any + Send>,
    ) -> SharedWeights {
        SharedWeights { ptr, len, owner }
    }

    /// Number of floats.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no weights.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The [`estimator_api::ReleaseFn`] of lent weights: drops the owner that
/// [`LoadedEstimator::predict`] boxed into `PredictArgs::weights_owner`.
///
/// # Safety
/// `owner` came from that `Box::into_raw` and is released once (the ABI's contract).
pub unsafe extern "C" fn release_weights(owner: *mut c_void) {
    // SAFETY: per the contract above, `owner` is a live `Box<Box<dyn Any + Send>>`.
    drop(unsafe { Box::from_raw(owner.cast::<Box<dyn Any + Send>>()) });
}

/// One predict request.
pub struct PredictRequest<'a> {
    /// `d·w·w` f32 weights, layer-major, lent to the plugin.
    pub weights: SharedWeights,
    /// MLP width.
    pub width: usize,
    /// MLP depth.
    pub depth: usize,
    /// Participant-facing seed.
    pub seed: u64,
    /// MLP name.
    pub name: &'a str,
    /// FLOP budget.
    pub budget: u64,
    /// Cooperative wall-time limit (None: none).
    pub wall_time_limit_s: Option<f64>,
}

/// A loaded estimator plugin with one live instance.
pub struct LoadedEstimator {
    table: &'static EstimatorTable,
    instance: *mut c_void,
    /// The estimator type's name as the plugin reports it.
    pub estimator_name: String,
    /// The plugin's estimator-api contract version.
    pub api_version: String,
    /// The flopscope version the plugin links.
    pub flopscope_version: String,
    /// Where it was loaded from.
    pub path: PathBuf,
    /// The [`PredictArgs::metering`] bits every predict gets, fixed before the plugin's
    /// `create` ran ([`metering_from_env`]).
    metering: u32,
}

/// The metering switches for a plugin about to be created: predict's context is always
/// exclusive, and other threads' CPU is charged when this process's
/// [`estimator_api::CHARGE_OTHER_THREADS_ENV`] is `1`. Read before any plugin code runs, so
/// the plugin cannot change them (its `set_var` comes too late).
fn metering_from_env() -> u32 {
    let charge =
        std::env::var_os(estimator_api::CHARGE_OTHER_THREADS_ENV).is_some_and(|v| v == "1");
    estimator_api::METER_EXCLUSIVE_CONTEXT
        | if charge {
            estimator_api::METER_CHARGE_OTHER_THREADS
        } else {
            0
        }
}

/// Copies a plugin-owned C string (null → None).
///
/// # Safety
/// `p` is null or a valid NUL-terminated string.
unsafe fn copy_str(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: per the contract above.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

/// Most bytes of an estimator's error message or traceback the runner keeps (a plugin's text
/// goes into the report as is; through a worker it is capped by the frame limit instead).
const MAX_TEXT_BYTES: usize = 64 << 10;

/// [`copy_str`] for an error message or traceback: cut to [`MAX_TEXT_BYTES`] (on a character
/// boundary), noting how much was cut.
///
/// # Safety
/// As [`copy_str`].
unsafe fn copy_text(p: *const c_char) -> Option<String> {
    // SAFETY: forwarded from the caller.
    let mut text = unsafe { copy_str(p) }?;
    if text.len() > MAX_TEXT_BYTES {
        let mut keep = MAX_TEXT_BYTES;
        while !text.is_char_boundary(keep) {
            keep -= 1;
        }
        let cut = text.len() - keep;
        text.truncate(keep);
        text.push_str(&format!("… ({cut} more bytes cut)"));
    }
    Some(text)
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

impl LoadedEstimator {
    /// Loads the plugin at `path`, checks its ABI version and creates an instance.
    ///
    /// # Errors
    /// [`LoadError`] naming the problem and its fix.
    pub fn load(path: &Path) -> Result<LoadedEstimator, LoadError> {
        // SAFETY: loading a library runs its initialisers; the runner loads only the estimator
        // the user pointed it at (the same trust as running its code), one per process.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| LoadError::Open {
            path: path.to_path_buf(),
            reason: format!("{e:?}"),
        })?;
        // SAFETY: the symbol, if present, has the `EntryFn` signature generated by
        // `export_estimator!`.
        let entry: EntryFn = unsafe { lib.get::<EntryFn>(ENTRY_SYMBOL) }
            .map(|s| *s)
            .map_err(|_| LoadError::MissingEntry {
                path: path.to_path_buf(),
            })?;
        // Never unload (see the module docs): the table and its functions stay valid.
        std::mem::forget(lib);
        // SAFETY: the library `entry` belongs to is never unloaded.
        unsafe { Self::from_entry(entry, path) }
    }

    /// Creates an instance from an estimator entry point: the one a plugin exports, or one
    /// linked into this binary (an `extern "C" fn` returning
    /// `estimator_api::estimator_table!(T)`). `path` names it in errors and in
    /// [`LoadedEstimator::path`].
    ///
    /// # Errors
    /// [`LoadError`] for a null table, an ABI mismatch, or a failing `create`.
    ///
    /// # Safety
    /// `entry` returns null or a pointer to an [`EstimatorTable`] that, with its functions and
    /// strings, stays valid for the rest of the process.
    pub unsafe fn from_entry(entry: EntryFn, path: &Path) -> Result<LoadedEstimator, LoadError> {
        // SAFETY: per the contract above, `entry` returns null or a table valid for good.
        let table: &'static EstimatorTable = match unsafe { entry().as_ref() } {
            Some(t) => t,
            None => {
                return Err(LoadError::MissingEntry {
                    path: path.to_path_buf(),
                })
            }
        };
        // SAFETY: the table's string fields are NUL-terminated `'static` literals.
        let (api_version, flopscope_version, estimator_name) = unsafe {
            (
                copy_str(table.api_version).unwrap_or_default(),
                copy_str(table.flopscope_version).unwrap_or_default(),
                copy_str(table.estimator_name).unwrap_or_default(),
            )
        };
        if table.abi_version != ABI_VERSION {
            return Err(LoadError::AbiMismatch {
                path: path.to_path_buf(),
                plugin: table.abi_version,
                runner: ABI_VERSION,
                plugin_api: api_version,
            });
        }
        let metering = metering_from_env();
        let mut status = StatusOut::empty();
        // SAFETY: `create` comes from a version-checked table; `status` is a valid out-param.
        let instance = unsafe { (table.create)(&mut status) };
        let err = Self::take_status(table, &mut status);
        if instance.is_null() {
            return Err(LoadError::Create {
                message: err.map_or_else(|| "unknown error".to_string(), |e| e.message),
            });
        }
        Ok(LoadedEstimator {
            table,
            instance,
            estimator_name,
            api_version,
            flopscope_version,
            path: path.to_path_buf(),
            metering,
        })
    }

    /// Copies and frees a status; `Some` if it reports an error.
    fn take_status(table: &EstimatorTable, status: &mut StatusOut) -> Option<CallError> {
        // SAFETY: the status was filled by this plugin; strings are valid until freed below.
        let (message, traceback) =
            unsafe { (copy_text(status.message), copy_text(status.traceback)) };
        let failed = status.code != OutcomeCode::Ok.to_raw();
        // SAFETY: releases exactly the strings the plugin allocated in this status.
        unsafe { (table.free_status)(status) };
        failed.then(|| CallError {
            message: message.unwrap_or_else(|| "unknown error".to_string()),
            traceback,
        })
    }

    /// Calls the estimator's `setup`.
    ///
    /// # Errors
    /// The panic message if `setup` panicked.
    pub fn setup(&mut self, ctx: &SetupContext) -> Result<(), CallError> {
        let api = c_string(&ctx.api_version);
        let scratch = ctx
            .scratch_dir
            .as_ref()
            .map(|p| c_string(&p.to_string_lossy()));
        let submission = ctx
            .submission_dir
            .as_ref()
            .map(|p| c_string(&p.to_string_lossy()));
        let args = SetupArgs {
            width: ctx.width as u64,
            depth: ctx.depth as u64,
            flop_budget: ctx.flop_budget,
            seed: ctx.seed,
            api_version: api.as_ptr(),
            scratch_dir: scratch.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            submission_dir: submission.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
        };
        let mut status = StatusOut::empty();
        // SAFETY: `instance` is live; `args` and its strings outlive the call.
        unsafe { (self.table.setup)(self.instance, &args, &mut status) };
        match Self::take_status(self.table, &mut status) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Calls `predict` (the plugin opens the budget context around it) and copies the result.
    /// The weights are lent: the plugin releases them when its last tensor over them is gone.
    pub fn predict(&mut self, req: PredictRequest<'_>) -> PluginPrediction {
        let name = c_string(req.name);
        let SharedWeights { ptr, len, owner } = req.weights;
        let args = PredictArgs {
            width: req.width as u64,
            depth: req.depth as u64,
            weights: ptr,
            weights_len: len as u64,
            weights_owner: Box::into_raw(Box::new(owner)).cast::<c_void>(),
            release_weights,
            seed: req.seed,
            name: name.as_ptr(),
            budget: req.budget,
            wall_time_limit_s: req.wall_time_limit_s.unwrap_or(-1.0),
            metering: self.metering,
        };
        let mut out = PredictResult::empty();
        // SAFETY: `instance` is live; the weights stay valid until the plugin calls
        // `release_weights` on their boxed owner (exactly once, per the ABI); the name outlives
        // the call; `out` is a valid out-param released below with the plugin's `free_result`.
        unsafe { (self.table.predict)(self.instance, &args, &mut out) };
        let predictions = if out.predictions.is_null() {
            Vec::new()
        } else {
            // SAFETY: the plugin allocated `predictions_len` floats at `predictions`.
            unsafe { std::slice::from_raw_parts(out.predictions, out.predictions_len as usize) }
                .to_vec()
        };
        // SAFETY: every string field is null or a NUL-terminated string the plugin allocated.
        let result = unsafe {
            PluginPrediction {
                outcome: OutcomeCode::from_raw(out.outcome).unwrap_or(OutcomeCode::Error),
                predictions,
                flops_used: out.flops_used,
                wall_time_s: out.wall_time_s,
                backend_time_s: out.backend_time_s,
                overhead_time_s: out.overhead_time_s,
                residual_wall_time_s: out.residual_wall_time_s,
                summary_json: copy_str(out.summary_json),
                error_code: copy_str(out.error_code),
                message: copy_text(out.message),
                traceback: copy_text(out.traceback),
                details_json: copy_str(out.details_json),
            }
        };
        // SAFETY: releases exactly what this plugin's `predict` allocated in `out`.
        unsafe { (self.table.free_result)(&mut out) };
        result
    }

    /// Calls the estimator's `teardown`.
    ///
    /// # Errors
    /// The panic message if `teardown` panicked.
    pub fn teardown(&mut self) -> Result<(), CallError> {
        let mut status = StatusOut::empty();
        // SAFETY: `instance` is live.
        unsafe { (self.table.teardown)(self.instance, &mut status) };
        match Self::take_status(self.table, &mut status) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for LoadedEstimator {
    fn drop(&mut self) {
        // SAFETY: `instance` came from this table's `create` and is dropped exactly once.
        unsafe { (self.table.destroy)(self.instance) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_estimator_texts_are_cut_on_a_character_boundary() {
        // One byte, then two-byte 'é's: the cap falls inside an 'é', so one byte less is kept.
        let long = CString::new(format!("a{}", "é".repeat(MAX_TEXT_BYTES))).unwrap();
        // SAFETY: a valid NUL-terminated string.
        let text = unsafe { copy_text(long.as_ptr()) }.unwrap();
        let cut = format!("… ({} more bytes cut)", MAX_TEXT_BYTES + 2);
        assert!(text.starts_with("aé"));
        assert!(text.ends_with(&cut), "{}", &text[text.len() - 40..]);
        assert!(text.len() <= MAX_TEXT_BYTES + cut.len());
        let short = CString::new("estimator bug").unwrap();
        // SAFETY: as above.
        assert_eq!(
            unsafe { copy_text(short.as_ptr()) }.as_deref(),
            Some("estimator bug")
        );
        // SAFETY: null is allowed.
        assert_eq!(unsafe { copy_text(std::ptr::null()) }, None);
    }
}
