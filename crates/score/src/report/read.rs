//! Reads report JSON (schema 1.x, as `whest-runner run --json` and Python `whest run --json`
//! write it) back into a [`Report`].
//!
//! Python's `json.dumps` writes non-finite floats as the bare tokens `NaN`, `Infinity` and
//! `-Infinity` (an MLP that failed everywhere has an infinite MSE); they are accepted wherever
//! a float is. Keys a report of ours does not carry (human mode's `detail`,
//! `run_config.estimator_class`, …) are ignored; `whestbench_version` is kept as read.

use std::fmt;

use serde_json::{Map, Value};

use crate::report::{
    CgroupMeta, DatasetInfo, HostFingerprint, Report, ReportMode, RunConfig, RunMeta, SandboxMeta,
};
use crate::scoring::breakdown::{normalize_estimator_breakdown, normalize_sampling_breakdown};
use crate::scoring::{FailureBreakdown, MlpEntry, MlpError, Results};
use crate::timing::Timing;

/// Marker strings the non-finite tokens are rewritten to before parsing (a NUL cannot appear
/// raw in JSON text, so no real string collides).
const NAN: &str = "\u{0}NaN";
const POS_INF: &str = "\u{0}Infinity";
const NEG_INF: &str = "\u{0}-Infinity";

/// A report read from JSON, with what it says about the estimator.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadReport {
    /// The report.
    pub report: Report,
    /// `run_config.estimator_class` (human-mode reports), if present.
    pub estimator_class: Option<String>,
}

/// Why report JSON could not be read back; `Display` is one line naming the problem.
#[derive(Debug)]
pub enum ReportReadError {
    /// The text is not JSON (the message carries serde's line and column).
    InvalidJson(serde_json::Error),
    /// The JSON is not an object.
    NotAnObject,
    /// A top-level error payload (`"ok": false`) instead of a report; holds its message.
    ErrorPayload {
        /// `error.message` of the payload (`no message` when it has none).
        message: String,
    },
    /// No string `schema_version`: not a report written by `run --json`.
    NoSchemaVersion,
    /// A `schema_version` other than 1.x.
    UnsupportedSchema {
        /// The schema version as read.
        schema: String,
    },
    /// A required field is absent.
    MissingField {
        /// The field's dotted path (`results.per_mlp[2].flops_used`).
        path: String,
    },
    /// A field holds the wrong kind of value.
    MistypedField {
        /// The field's dotted path.
        path: String,
        /// What it should hold (`a number`, `a list`, …).
        expected: &'static str,
    },
}

impl fmt::Display for ReportReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportReadError::InvalidJson(e) => write!(f, "not valid JSON: {e}"),
            ReportReadError::NotAnObject => {
                f.write_str("not a whestbench report (the JSON is not an object)")
            }
            ReportReadError::ErrorPayload { message } => write!(
                f,
                "an error payload, not a report (the run failed: {message})"
            ),
            ReportReadError::NoSchemaVersion => f.write_str(
                "not a whestbench report (no schema_version); pass a file written by `run --json`",
            ),
            ReportReadError::UnsupportedSchema { schema } => write!(
                f,
                "report schema {schema} is not supported (this runner reads schema 1.x)"
            ),
            ReportReadError::MissingField { path } => write!(f, "{path} is missing"),
            ReportReadError::MistypedField { path, expected } => {
                write!(f, "{path}: expected {expected}")
            }
        }
    }
}

impl std::error::Error for ReportReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportReadError::InvalidJson(e) => Some(e),
            _ => None,
        }
    }
}

/// Parses report JSON text.
///
/// # Errors
/// A [`ReportReadError`]: the JSON syntax error (line and column), a top-level error payload
/// instead of a report, a missing `schema_version`/`results`, a schema other than 1.x, or the
/// path of the first missing or mistyped field (`results.per_mlp[2].flops_used: …`).
pub fn parse_report(text: &str) -> Result<ReadReport, ReportReadError> {
    let value: Value = serde_json::from_str(&replace_non_finite_tokens(text))
        .map_err(ReportReadError::InvalidJson)?;
    let top = Obj::root(&value)?;
    if top.map.get("ok") == Some(&Value::Bool(false)) {
        let message = value
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("no message");
        return Err(ReportReadError::ErrorPayload {
            message: message.to_string(),
        });
    }
    let schema = match top.map.get("schema_version") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(ReportReadError::NoSchemaVersion),
    };
    if !schema.starts_with("1.") {
        return Err(ReportReadError::UnsupportedSchema { schema });
    }
    let mode = match top.str("mode")?.as_str() {
        "human" => ReportMode::Human,
        _ => ReportMode::Agent,
    };
    let report = Report {
        schema_version: schema,
        mode,
        results: results(&top.obj("results")?)?,
        run_meta: run_meta(&top.obj("run_meta")?)?,
        run_config: run_config(&top.obj("run_config")?)?,
        whestbench_version: top.opt_str("whestbench_version")?.unwrap_or_default(),
    };
    let estimator_class = top.obj("run_config")?.opt_str("estimator_class")?;
    Ok(ReadReport {
        report,
        estimator_class,
    })
}

/// Rewrites the bare tokens `NaN`, `Infinity` and `-Infinity` outside strings to marker strings.
fn replace_non_finite_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if in_string {
            let n = if c == '\\' {
                // Copy the escape and the escaped character together.
                c.len_utf8() + rest[1..].chars().next().map_or(0, char::len_utf8)
            } else {
                in_string = c != '"';
                c.len_utf8()
            };
            out.push_str(&rest[..n]);
            rest = &rest[n..];
            continue;
        }
        let token = [("-Infinity", NEG_INF), ("Infinity", POS_INF), ("NaN", NAN)]
            .into_iter()
            .find(|(t, _)| rest.starts_with(t));
        if let Some((t, marker)) = token {
            out.push('"');
            out.push_str(&marker.replace('\u{0}', "\\u0000"));
            out.push('"');
            rest = &rest[t.len()..];
        } else {
            in_string = c == '"';
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// A JSON object and its path in the report, for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Obj<'a> {
    fn root(v: &'a Value) -> Result<Obj<'a>, ReportReadError> {
        match v {
            Value::Object(map) => Ok(Obj {
                map,
                at: String::new(),
            }),
            _ => Err(ReportReadError::NotAnObject),
        }
    }

    fn path(&self, key: &str) -> String {
        if self.at.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.at)
        }
    }

    fn field(&self, key: &str) -> Result<&'a Value, ReportReadError> {
        self.map
            .get(key)
            .ok_or_else(|| ReportReadError::MissingField {
                path: self.path(key),
            })
    }

    fn mistyped(&self, key: &str, expected: &'static str) -> ReportReadError {
        ReportReadError::MistypedField {
            path: self.path(key),
            expected,
        }
    }

    fn obj(&self, key: &str) -> Result<Obj<'a>, ReportReadError> {
        match self.field(key)? {
            Value::Object(map) => Ok(Obj {
                map,
                at: self.path(key),
            }),
            _ => Err(self.mistyped(key, "an object")),
        }
    }

    /// The object at `key`, or `None` when the key is absent or `null`.
    fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>, ReportReadError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.obj(key).map(Some),
        }
    }

    fn f64(&self, key: &str) -> Result<f64, ReportReadError> {
        as_f64(self.field(key)?).ok_or_else(|| self.mistyped(key, "a number"))
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>, ReportReadError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => as_f64(v)
                .map(Some)
                .ok_or_else(|| self.mistyped(key, "a number or null")),
        }
    }

    fn u64(&self, key: &str) -> Result<u64, ReportReadError> {
        self.field(key)?
            .as_u64()
            .ok_or_else(|| self.mistyped(key, "a non-negative integer"))
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, ReportReadError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.mistyped(key, "a non-negative integer or null")),
        }
    }

    fn usize(&self, key: &str) -> Result<usize, ReportReadError> {
        usize::try_from(self.u64(key)?).map_err(|_| self.mistyped(key, "a smaller integer"))
    }

    fn bool(&self, key: &str) -> Result<bool, ReportReadError> {
        self.field(key)?
            .as_bool()
            .ok_or_else(|| self.mistyped(key, "true or false"))
    }

    fn str(&self, key: &str) -> Result<String, ReportReadError> {
        self.field(key)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.mistyped(key, "a string"))
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, ReportReadError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.mistyped(key, "a string or null")),
        }
    }

    fn f64_list(&self, key: &str) -> Result<Vec<f64>, ReportReadError> {
        match self.field(key)? {
            Value::Array(items) => items
                .iter()
                .map(|v| as_f64(v).ok_or_else(|| self.mistyped(key, "a list of numbers")))
                .collect(),
            _ => Err(self.mistyped(key, "a list of numbers")),
        }
    }

    fn objects(&self, key: &str) -> Result<Vec<Obj<'a>>, ReportReadError> {
        let path = self.path(key);
        match self.field(key)? {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Object(map) => Ok(Obj {
                        map,
                        at: format!("{path}[{i}]"),
                    }),
                    _ => Err(ReportReadError::MistypedField {
                        path: format!("{path}[{i}]"),
                        expected: "an object",
                    }),
                })
                .collect(),
            _ => Err(self.mistyped(key, "a list")),
        }
    }

    /// `key` as a raw value (null when absent).
    fn raw(&self, key: &str) -> &'a Value {
        self.map.get(key).unwrap_or(&Value::Null)
    }
}

/// A number, or one of the non-finite markers.
fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == NAN => Some(f64::NAN),
        Value::String(s) if s == POS_INF => Some(f64::INFINITY),
        Value::String(s) if s == NEG_INF => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn results(o: &Obj<'_>) -> Result<Results, ReportReadError> {
    let fb = o.obj("failure_breakdown")?;
    let breakdowns = o.obj("breakdowns")?;
    let mut sampling = normalize_sampling_breakdown(breakdowns.raw("sampling"));
    if let Some(s) = sampling.as_mut() {
        s.time_source = breakdowns.obj("sampling")?.opt_str("time_source")?;
    }
    Ok(Results {
        adjusted_final_layer_score: o.f64("adjusted_final_layer_score")?,
        final_layer_mse: o.f64("final_layer_mse")?,
        all_layers_mse: o.f64("all_layers_mse")?,
        per_layer_mse: o.f64_list("per_layer_mse")?,
        best_mlp_adjusted_final_layer_score: o.f64("best_mlp_adjusted_final_layer_score")?,
        worst_mlp_adjusted_final_layer_score: o.f64("worst_mlp_adjusted_final_layer_score")?,
        mean_score_multiplier: o.f64("mean_score_multiplier")?,
        mean_compute_utilization: o.f64("mean_compute_utilization")?,
        n_failed_mlps: o.usize("n_failed_mlps")?,
        mean_effective_compute: o.f64("mean_effective_compute")?,
        failure_breakdown: FailureBreakdown {
            budget_exhausted: fb.usize("budget_exhausted")?,
            time_exhausted: fb.usize("time_exhausted")?,
            residual_wall_time_exhausted: fb.usize("residual_wall_time_exhausted")?,
            combined_budget_exhausted: fb.usize("combined_budget_exhausted")?,
            error: fb.usize("error")?,
        },
        per_mlp: o
            .objects("per_mlp")?
            .iter()
            .map(mlp_entry)
            .collect::<Result<_, _>>()?,
        sampling_breakdown: sampling,
        estimator_breakdown: normalize_estimator_breakdown(breakdowns.raw("estimator")),
    })
}

fn mlp_entry(o: &Obj<'_>) -> Result<MlpEntry, ReportReadError> {
    let error = match o.map.get("error") {
        None | Some(Value::Null) => None,
        Some(Value::String(message)) => Some(MlpError {
            message: message.clone(),
            error_code: o.opt_str("error_code")?.unwrap_or_default(),
            details: None,
        }),
        Some(Value::Object(_)) => {
            let e = o.obj("error")?;
            Some(MlpError {
                message: e.opt_str("message")?.unwrap_or_default(),
                error_code: o.opt_str("error_code")?.unwrap_or_default(),
                details: Some(e.raw("details").clone()),
            })
        }
        Some(_) => return Err(o.mistyped("error", "a string or an object")),
    };
    let breakdowns = o.obj("breakdowns")?;
    Ok(MlpEntry {
        mlp_index: o.usize("mlp_index")?,
        mlp_name: o.opt_str("mlp_name")?.unwrap_or_default(),
        final_layer_mse: o.f64("final_layer_mse")?,
        all_layers_mse: o.f64("all_layers_mse")?,
        per_layer_mse: o.f64_list("per_layer_mse")?,
        adjusted_final_layer_score: o.f64("adjusted_final_layer_score")?,
        flops_used: o.u64("flops_used")?,
        effective_compute: o.f64("effective_compute")?,
        budget_exhausted: o.bool("budget_exhausted")?,
        time_exhausted: o.bool("time_exhausted")?,
        residual_wall_time_exhausted: o.bool("residual_wall_time_exhausted")?,
        combined_budget_exhausted: o.bool("combined_budget_exhausted")?,
        timing: Timing {
            wall_time_s: o.f64("wall_time_s")?,
            flopscope_backend_time_s: o.f64("flopscope_backend_time_s")?,
            flopscope_overhead_time_s: o.f64("flopscope_overhead_time_s")?,
            residual_wall_time_s: o.f64("residual_wall_time_s")?,
        },
        estimator_breakdown: normalize_estimator_breakdown(breakdowns.raw("estimator")),
        traceback: o.opt_str("traceback")?,
        error,
    })
}

fn run_meta(o: &Obj<'_>) -> Result<RunMeta, ReportReadError> {
    let h = o.obj("host")?;
    Ok(RunMeta {
        run_started_at_utc: o.str("run_started_at_utc")?,
        run_finished_at_utc: o.str("run_finished_at_utc")?,
        run_duration_s: o.f64("run_duration_s")?,
        host: HostFingerprint {
            hostname: h.opt_str("hostname")?,
            os: h.opt_str("os")?,
            os_release: h.opt_str("os_release")?,
            platform: h.opt_str("platform")?,
            machine: h.opt_str("machine")?,
            python_version: h.opt_str("python_version")?,
            cpu_brand: h.opt_str("cpu_brand")?,
            cpu_count_logical: h.opt_u64("cpu_count_logical")?,
            cpu_count_physical: h.opt_u64("cpu_count_physical")?,
            ram_total_bytes: h.opt_u64("ram_total_bytes")?,
            ram_available_bytes: h.opt_u64("ram_available_bytes")?,
            numpy_version: h.opt_str("numpy_version")?,
            flopscope_version: h.opt_str("flopscope_version")?,
        },
        sandbox: match o.opt_obj("sandbox")? {
            None => None,
            Some(s) => Some(SandboxMeta {
                mode: s.str("mode")?,
                landlock: s.str("landlock")?,
                seccomp: s.bool("seccomp")?,
                not_applied: s
                    .raw("not_applied")
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                cgroup: match s.opt_obj("cgroup")? {
                    None => None,
                    Some(c) => Some(CgroupMeta {
                        memory_max_mb: c.opt_u64("memory_max_mb")?,
                        pids_max: c.u64("pids_max")?,
                        worker_cpu_s: c.f64("worker_cpu_s")?,
                    }),
                },
            }),
        },
    })
}

fn run_config(o: &Obj<'_>) -> Result<RunConfig, ReportReadError> {
    let dataset = match o.opt_obj("dataset")? {
        None => None,
        Some(d) => Some(DatasetInfo {
            path: d.str("path")?,
            sha256: d.str("sha256")?,
            seed: d.opt_u64("seed")?,
            n_mlps: d.opt_u64("n_mlps")?,
        }),
    };
    Ok(RunConfig {
        n_mlps: o.usize("n_mlps")?,
        width: o.usize("width")?,
        depth: o.usize("depth")?,
        seed: o.opt_u64("seed")?,
        flop_budget: o.u64("flop_budget")?,
        setup_timeout_s: o.f64("setup_timeout_s")?,
        wall_time_limit_s: o.opt_f64("wall_time_limit_s")?,
        residual_wall_time_limit_s: o.opt_f64("residual_wall_time_limit_s")?,
        lambda_flops_per_second: o.f64("lambda_flops_per_second")?,
        dataset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_tokens_become_markers_outside_strings_only() {
        let text = r#"{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN \" Infinity"}"#;
        let v: Value = serde_json::from_str(&replace_non_finite_tokens(text)).expect("json");
        assert!(as_f64(&v["a"]).is_some_and(f64::is_nan));
        assert_eq!(as_f64(&v["b"][0]), Some(f64::INFINITY));
        assert_eq!(as_f64(&v["b"][1]), Some(f64::NEG_INFINITY));
        assert_eq!(v["c"], "NaN \" Infinity");
    }

    /// The error's one-line message.
    fn message(text: &str) -> String {
        parse_report(text).expect_err("not a report").to_string()
    }

    #[test]
    fn errors_name_the_field_or_the_problem() {
        assert!(message("{").starts_with("not valid JSON"));
        assert_eq!(
            message("[1]"),
            "not a whestbench report (the JSON is not an object)"
        );
        assert_eq!(
            message(r#"{"a": 1}"#),
            "not a whestbench report (no schema_version); pass a file written by `run --json`"
        );
        assert_eq!(
            message(r#"{"schema_version": "2.0"}"#),
            "report schema 2.0 is not supported (this runner reads schema 1.x)"
        );
        let payload =
            r#"{"ok": false, "error": {"stage": "load", "code": "X", "message": "boom"}}"#;
        assert_eq!(
            message(payload),
            "an error payload, not a report (the run failed: boom)"
        );
        let no_results = r#"{"schema_version": "1.1", "mode": "agent"}"#;
        assert!(matches!(
            parse_report(no_results),
            Err(ReportReadError::MissingField { ref path }) if path == "results"
        ));
        assert_eq!(message(no_results), "results is missing");
        assert_eq!(
            message(r#"{"schema_version": "1.1", "mode": 3}"#),
            "mode: expected a string"
        );
    }
}
