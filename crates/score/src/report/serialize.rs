//! serde `Serialize` for the scoring types, in whestbench's exact key order.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::json;

use super::json::PyF64;
use crate::scoring::{Breakdown, FailureBreakdown, MlpEntry, NamespaceBucket, OpTiming, Results};
use crate::timing::Timing;

/// An ordered association list written as a JSON object.
struct OrderedMap<'a, T>(&'a [(String, T)]);

impl<T: Serialize> Serialize for OrderedMap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The four timing entries, in whestbench's order: wall, backend, overhead, residual.
fn serialize_timing<M: SerializeMap>(t: &Timing, m: &mut M) -> Result<(), M::Error> {
    m.serialize_entry("wall_time_s", &PyF64(t.wall_time_s))?;
    m.serialize_entry(
        "flopscope_backend_time_s",
        &PyF64(t.flopscope_backend_time_s),
    )?;
    m.serialize_entry(
        "flopscope_overhead_time_s",
        &PyF64(t.flopscope_overhead_time_s),
    )?;
    m.serialize_entry("residual_wall_time_s", &PyF64(t.residual_wall_time_s))
}

/// A list of f64 written through [`PyF64`].
struct Floats<'a>(&'a [f64]);

impl Serialize for Floats<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|&x| PyF64(x)))
    }
}

impl Serialize for OpTiming {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("flop_cost", &self.flop_cost)?;
        m.serialize_entry("calls", &self.calls)?;
        m.serialize_entry(
            "flopscope_backend_time_s",
            &PyF64(self.flopscope_backend_time_s),
        )?;
        m.serialize_entry(
            "flopscope_overhead_time_s",
            &PyF64(self.flopscope_overhead_time_s),
        )?;
        m.end()
    }
}

impl Serialize for NamespaceBucket {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("flops_used", &self.flops_used)?;
        m.serialize_entry("calls", &self.calls)?;
        m.serialize_entry(
            "flopscope_backend_time_s",
            &PyF64(self.flopscope_backend_time_s),
        )?;
        m.serialize_entry(
            "flopscope_overhead_time_s",
            &PyF64(self.flopscope_overhead_time_s),
        )?;
        m.serialize_entry("operations", &OrderedMap(&self.operations))?;
        m.end()
    }
}

impl Serialize for Breakdown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("flop_budget", &self.flop_budget)?;
        m.serialize_entry("flops_used", &self.flops_used)?;
        m.serialize_entry("flops_remaining", &self.flops_remaining)?;
        serialize_timing(&self.timing, &mut m)?;
        m.serialize_entry("by_namespace", &OrderedMap(&self.by_namespace))?;
        if let Some(ts) = &self.time_source {
            m.serialize_entry("time_source", ts)?;
        }
        m.end()
    }
}

/// `{"estimator": <breakdown or null>}`.
struct EntryBreakdowns<'a>(Option<&'a Breakdown>);

impl Serialize for EntryBreakdowns<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("estimator", &self.0)?;
        m.end()
    }
}

impl MlpEntry {
    fn serialize_metrics<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("final_layer_mse", &PyF64(self.final_layer_mse))?;
        m.serialize_entry("all_layers_mse", &PyF64(self.all_layers_mse))?;
        m.serialize_entry("per_layer_mse", &Floats(&self.per_layer_mse))?;
        m.serialize_entry(
            "adjusted_final_layer_score",
            &PyF64(self.adjusted_final_layer_score),
        )?;
        m.serialize_entry("flops_used", &self.flops_used)?;
        m.serialize_entry("effective_compute", &PyF64(self.effective_compute))?;
        m.serialize_entry("budget_exhausted", &self.budget_exhausted)?;
        m.serialize_entry("time_exhausted", &self.time_exhausted)?;
        m.serialize_entry(
            "residual_wall_time_exhausted",
            &self.residual_wall_time_exhausted,
        )?;
        m.serialize_entry("combined_budget_exhausted", &self.combined_budget_exhausted)?;
        serialize_timing(&self.timing, m)?;
        m.serialize_entry(
            "breakdowns",
            &EntryBreakdowns(self.estimator_breakdown.as_ref()),
        )
    }
}

/// Success/exhaustion shape: `mlp_index, mlp_name, <metrics, flags, timings>, breakdowns,
/// traceback`. Error shape: `mlp_index, mlp_name, error, error_code, traceback, <metrics,
/// flags, timings>, breakdowns` with `error` a string, or `{message, details}` when details
/// exist.
impl Serialize for MlpEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("mlp_index", &self.mlp_index)?;
        m.serialize_entry("mlp_name", &self.mlp_name)?;
        match &self.error {
            Some(err) => {
                match &err.details {
                    Some(details) => m.serialize_entry(
                        "error",
                        &json!({"message": err.message, "details": details}),
                    )?,
                    None => m.serialize_entry("error", &err.message)?,
                }
                m.serialize_entry("error_code", &err.error_code)?;
                m.serialize_entry("traceback", &self.traceback)?;
                self.serialize_metrics(&mut m)?;
            }
            None => {
                self.serialize_metrics(&mut m)?;
                m.serialize_entry("traceback", &self.traceback)?;
            }
        }
        m.end()
    }
}

impl Serialize for FailureBreakdown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("budget_exhausted", &self.budget_exhausted)?;
        m.serialize_entry("time_exhausted", &self.time_exhausted)?;
        m.serialize_entry(
            "residual_wall_time_exhausted",
            &self.residual_wall_time_exhausted,
        )?;
        m.serialize_entry("combined_budget_exhausted", &self.combined_budget_exhausted)?;
        m.serialize_entry("error", &self.error)?;
        m.end()
    }
}

/// `{"sampling": …, "estimator": …}`.
struct RunBreakdowns<'a>(&'a Results);

impl Serialize for RunBreakdowns<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("sampling", &self.0.sampling_breakdown)?;
        m.serialize_entry("estimator", &self.0.estimator_breakdown)?;
        m.end()
    }
}

impl Serialize for Results {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(14))?;
        m.serialize_entry(
            "adjusted_final_layer_score",
            &PyF64(self.adjusted_final_layer_score),
        )?;
        m.serialize_entry("final_layer_mse", &PyF64(self.final_layer_mse))?;
        m.serialize_entry("all_layers_mse", &PyF64(self.all_layers_mse))?;
        m.serialize_entry("per_layer_mse", &Floats(&self.per_layer_mse))?;
        m.serialize_entry(
            "best_mlp_adjusted_final_layer_score",
            &PyF64(self.best_mlp_adjusted_final_layer_score),
        )?;
        m.serialize_entry(
            "worst_mlp_adjusted_final_layer_score",
            &PyF64(self.worst_mlp_adjusted_final_layer_score),
        )?;
        m.serialize_entry("mean_score_multiplier", &PyF64(self.mean_score_multiplier))?;
        m.serialize_entry(
            "mean_compute_utilization",
            &PyF64(self.mean_compute_utilization),
        )?;
        m.serialize_entry("n_failed_mlps", &self.n_failed_mlps)?;
        m.serialize_entry(
            "mean_effective_compute",
            &PyF64(self.mean_effective_compute),
        )?;
        m.serialize_entry("failure_breakdown", &self.failure_breakdown)?;
        m.serialize_entry("per_mlp", &self.per_mlp)?;
        m.serialize_entry("breakdowns", &RunBreakdowns(self))?;
        m.end()
    }
}
