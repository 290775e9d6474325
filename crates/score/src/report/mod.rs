//! Reports: whestbench's report JSON (schema 1.1), the top-level error payload, a plain-text
//! report, and the exit-code rule.
//!
//! The JSON is byte-compatible with what `whest run --json` prints for the same data: same keys
//! in the same order, same value types, Python's float spelling, and `Infinity`/`NaN` for
//! non-finite floats (see [`json`]). `whestbench_version` carries the whest-rs version so
//! Python tooling that reads that key keeps working.

pub mod json;
pub mod meta;
pub mod read;
mod serialize;
pub mod text;

use serde::Serialize;
use serde_json::Value;

use crate::scoring::Results;
use json::{py_f64, py_opt_f64};
pub use json::{py_float_repr, to_python_json, to_python_json_line};
pub use meta::{utc_isoformat, CgroupMeta, HostFingerprint, RunMeta, SandboxMeta};
use whest_contest::rounds::ContestSpec;

/// Report schema version written as `schema_version`.
pub const SCHEMA_VERSION: &str = "1.1";
/// The whest-rs version (the runner crate's), written as `whestbench_version`.
pub const WHEST_RS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Exit status of a run that scored every MLP without an error entry.
pub const EXIT_OK: i32 = 0;
/// Exit status of a run with an error entry, or of a top-level failure (setup, load, …).
pub const EXIT_FAILURE: i32 = 1;
/// Exit status for command-line usage errors.
pub const EXIT_USAGE: i32 = 2;

/// The report's `mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportMode {
    /// Machine-readable (`--json`).
    #[default]
    Agent,
    /// Rendered for people.
    Human,
}

/// `run_config.dataset`, present when scoring a baked dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetInfo {
    /// Absolute local path, or the `hf://…` argument verbatim.
    pub path: String,
    /// SHA-256 (hex) of the dataset's `metadata.json`.
    pub sha256: String,
    /// Metadata `seed` (null for seed protocols 3.0/4.0).
    pub seed: Option<u64>,
    /// Metadata `n_mlps`.
    pub n_mlps: Option<u64>,
}

/// `run_config`: the settings the run was scored under.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunConfig {
    /// MLPs scored.
    pub n_mlps: usize,
    /// MLP width.
    pub width: usize,
    /// MLP depth.
    pub depth: usize,
    /// Run seed (null when none was given).
    pub seed: Option<u64>,
    /// FLOP budget B per MLP.
    pub flop_budget: u64,
    /// Setup cap, seconds.
    #[serde(serialize_with = "py_f64")]
    pub setup_timeout_s: f64,
    /// Per-predict wall cap (null: none).
    #[serde(serialize_with = "py_opt_f64")]
    pub wall_time_limit_s: Option<f64>,
    /// Residual wall cap (null: none).
    #[serde(serialize_with = "py_opt_f64")]
    pub residual_wall_time_limit_s: Option<f64>,
    /// Residual price λ.
    #[serde(serialize_with = "py_f64")]
    pub lambda_flops_per_second: f64,
    /// The dataset scored (key omitted without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<DatasetInfo>,
}

impl RunConfig {
    /// The run config of `spec` for `n_mlps` MLPs and run seed `seed` (no dataset).
    pub fn new(spec: &ContestSpec, n_mlps: usize, seed: Option<u64>) -> RunConfig {
        RunConfig {
            n_mlps,
            width: spec.width,
            depth: spec.depth,
            seed,
            flop_budget: spec.flop_budget,
            setup_timeout_s: spec.setup_timeout_s,
            wall_time_limit_s: spec.wall_time_limit_s,
            residual_wall_time_limit_s: spec.residual_wall_time_limit_s,
            lambda_flops_per_second: spec.lambda_flops_per_second,
            dataset: None,
        }
    }
}

/// A complete score report (`whest run --json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// `agent` for JSON output.
    pub mode: ReportMode,
    /// Scores, per-MLP entries and breakdowns.
    pub results: Results,
    /// Timestamps, duration, host.
    pub run_meta: RunMeta,
    /// Settings.
    pub run_config: RunConfig,
    /// The whest-rs version (key kept for Python tooling).
    pub whestbench_version: String,
}

impl Report {
    /// An agent-mode report with the current schema and version.
    pub fn new(results: Results, run_meta: RunMeta, run_config: RunConfig) -> Report {
        Report {
            schema_version: SCHEMA_VERSION.to_string(),
            mode: ReportMode::Agent,
            results,
            run_meta,
            run_config,
            whestbench_version: WHEST_RS_VERSION.to_string(),
        }
    }

    /// The report as `whest run --json` prints it (pretty, two-space indent, trailing newline).
    pub fn to_json_string(&self) -> String {
        let mut s = to_python_json(self);
        s.push('\n');
        s
    }

    /// The report as a JSON value (non-finite floats become null).
    pub fn to_json_value(&self) -> Value {
        json::to_value(self)
    }

    /// The process exit status of this run (see [`run_exit_code`]).
    pub fn exit_code(&self) -> i32 {
        run_exit_code(&self.results)
    }
}

/// Exit status of a completed run: [`EXIT_FAILURE`] if any per-MLP entry has an error
/// (exhaustions do not count), else [`EXIT_OK`].
pub fn run_exit_code(results: &Results) -> i32 {
    if results.per_mlp.iter().any(|e| e.has_error()) {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}

/// The stderr line printed when entries raised: `"K of N MLP(s) raised during predict; …"`;
/// `None` when none did.
pub fn raised_during_predict_message(results: &Results, debug: bool) -> Option<String> {
    let failing = results.per_mlp.iter().filter(|e| e.has_error()).count();
    if failing == 0 {
        return None;
    }
    let hint = if debug {
        "see tracebacks above"
    } else {
        "rerun with --debug for tracebacks"
    };
    Some(format!(
        "{failing} of {} MLP(s) raised during predict; {hint}. Use --fail-fast to stop on first error.",
        results.per_mlp.len()
    ))
}

/// The `error` object of a top-level error payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorInfo {
    /// Runner stage (`load`, `setup`, `predict`, `validate`, `package`, `submit`) for runner
    /// errors, else the command name.
    pub stage: String,
    /// Error code (see [`codes`]).
    pub code: String,
    /// Message.
    pub message: String,
    /// Structured details (omitted when absent or an empty object).
    #[serde(skip_serializing_if = "details_absent")]
    pub details: Option<Value>,
    /// Traceback (only with `--debug`; omitted when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceback: Option<String>,
}

fn details_absent(details: &Option<Value>) -> bool {
    match details {
        None | Some(Value::Null) => true,
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

/// The top-level error payload: `{ok: false, error: {...}, whestbench_version}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorPayload {
    /// What failed.
    pub error: ErrorInfo,
    /// The whest-rs version.
    pub whestbench_version: String,
}

impl Serialize for ErrorPayload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("ok", &false)?;
        m.serialize_entry("error", &self.error)?;
        m.serialize_entry("whestbench_version", &self.whestbench_version)?;
        m.end()
    }
}

impl ErrorPayload {
    /// A payload for `stage`/`code`/`message` without details or traceback.
    pub fn new(
        stage: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> ErrorPayload {
        ErrorPayload {
            error: ErrorInfo {
                stage: stage.into(),
                code: code.into(),
                message: message.into(),
                details: None,
                traceback: None,
            },
            whestbench_version: WHEST_RS_VERSION.to_string(),
        }
    }

    /// Adds structured details.
    pub fn with_details(mut self, details: Value) -> ErrorPayload {
        self.error.details = Some(details);
        self
    }

    /// Adds a traceback (for `--debug`).
    pub fn with_traceback(mut self, traceback: impl Into<String>) -> ErrorPayload {
        self.error.traceback = Some(traceback.into());
        self
    }

    /// The payload as the JSON mode prints it (pretty, trailing newline).
    pub fn to_json_string(&self) -> String {
        let mut s = to_python_json(self);
        s.push('\n');
        s
    }

    /// The process exit status of a top-level failure: always [`EXIT_FAILURE`].
    pub fn exit_code(&self) -> i32 {
        EXIT_FAILURE
    }
}

#[cfg(test)]
mod tests;
