//! FLOP/time breakdowns: flopscope summaries normalized to the report's shape, and
//! their aggregation over MLPs.
//!
//! A raw breakdown is flopscope's `summary_dict(by_namespace=True)` JSON (what
//! `flopscope::BudgetSummary::to_json` writes). Normalizing renames namespaces
//! (`estimator.*` / `sampling.*`), merges buckets that map to the same name, drops the flat
//! top-level `operations` list, and synthesizes a default bucket from it when `by_namespace` is
//! empty but FLOPs were charged. Aggregating sums every numeric field (including `flop_budget`,
//! so an aggregate budget is n·B) and merges buckets and operations by key, first-seen order.

use crate::timing::Timing;
use serde_json::Value;

/// Namespace that an estimator's unnamed root namespace is reported under.
pub const ESTIMATOR_DEFAULT_NAMESPACE: &str = "estimator.estimator-client";
/// Namespace that the ground-truth sampler's unnamed root namespace is reported under.
pub const SAMPLING_DEFAULT_NAMESPACE: &str = "sampling.sample_layer_statistics";

/// FLOPs, calls and time of one operation within a namespace bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpTiming {
    /// FLOPs charged to the op.
    pub flop_cost: u64,
    /// Counted calls.
    pub calls: u64,
    /// Seconds in the op's kernels.
    pub flopscope_backend_time_s: f64,
    /// Seconds of accounting around the op.
    pub flopscope_overhead_time_s: f64,
}

impl OpTiming {
    fn merge(&mut self, other: &OpTiming) {
        self.flop_cost = self.flop_cost.saturating_add(other.flop_cost);
        self.calls = self.calls.saturating_add(other.calls);
        self.flopscope_backend_time_s += other.flopscope_backend_time_s;
        self.flopscope_overhead_time_s += other.flopscope_overhead_time_s;
    }

    fn from_raw(raw: &Value) -> OpTiming {
        OpTiming {
            flop_cost: int_field(raw, "flop_cost"),
            calls: int_field(raw, "calls"),
            flopscope_backend_time_s: float_field(raw, "flopscope_backend_time_s"),
            flopscope_overhead_time_s: float_field(raw, "flopscope_overhead_time_s"),
        }
    }
}

/// Totals and per-op rows of one (normalized) namespace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamespaceBucket {
    /// FLOPs charged in the namespace.
    pub flops_used: u64,
    /// Counted calls in the namespace.
    pub calls: u64,
    /// Kernel seconds.
    pub flopscope_backend_time_s: f64,
    /// Accounting seconds.
    pub flopscope_overhead_time_s: f64,
    /// Per-op rows keyed by op name, in first-seen order.
    pub operations: Vec<(String, OpTiming)>,
}

impl NamespaceBucket {
    /// Adds `other`'s totals to this bucket and merges its operations by name.
    pub fn merge(&mut self, other: &NamespaceBucket) {
        self.flops_used = self.flops_used.saturating_add(other.flops_used);
        self.calls = self.calls.saturating_add(other.calls);
        self.flopscope_backend_time_s += other.flopscope_backend_time_s;
        self.flopscope_overhead_time_s += other.flopscope_overhead_time_s;
        for (name, op) in &other.operations {
            entry(&mut self.operations, name).merge(op);
        }
    }

    /// The row of operation `op`, if present.
    pub fn op(&self, op: &str) -> Option<&OpTiming> {
        self.operations
            .iter()
            .find(|(n, _)| n == op)
            .map(|(_, o)| o)
    }
}

/// A normalized breakdown: one MLP's (or, aggregated, a run's) FLOP and time accounting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breakdown {
    /// Budget of the context (sum of budgets when aggregated).
    pub flop_budget: u64,
    /// FLOPs charged.
    pub flops_used: u64,
    /// FLOPs left (`flop_budget - flops_used` per context).
    pub flops_remaining: u64,
    /// Wall, kernel, accounting and residual seconds (summed when aggregated).
    pub timing: Timing,
    /// Buckets keyed by normalized namespace, in first-seen order.
    pub by_namespace: Vec<(String, NamespaceBucket)>,
    /// `Some("bake")` on a sampling aggregate restored from a dataset (emitted after
    /// `by_namespace`); `None` otherwise (key omitted).
    pub time_source: Option<String>,
}

impl Breakdown {
    /// The bucket of namespace `ns`, if present.
    pub fn namespace(&self, ns: &str) -> Option<&NamespaceBucket> {
        self.by_namespace
            .iter()
            .find(|(n, _)| n == ns)
            .map(|(_, b)| b)
    }

    /// Adds `other`'s numeric fields to this breakdown and merges its buckets by key.
    /// `time_source` is left unchanged.
    pub fn merge(&mut self, other: &Breakdown) {
        self.flop_budget = self.flop_budget.saturating_add(other.flop_budget);
        self.flops_used = self.flops_used.saturating_add(other.flops_used);
        self.flops_remaining = self.flops_remaining.saturating_add(other.flops_remaining);
        self.timing += other.timing;
        for (name, bucket) in &other.by_namespace {
            entry(&mut self.by_namespace, name).merge(bucket);
        }
    }
}

/// The entry keyed `key` in an ordered association list, inserted (default) at the end if absent.
fn entry<'a, T: Default>(list: &'a mut Vec<(String, T)>, key: &str) -> &'a mut T {
    let pos = match list.iter().position(|(k, _)| k == key) {
        Some(p) => p,
        None => {
            list.push((key.to_string(), T::default()));
            list.len() - 1
        }
    };
    &mut list[pos].1
}

/// Reads `obj[key]` as a non-negative integer the way Python's `int(obj.get(key, 0))` would
/// (floats truncate; missing, null, negative or non-numeric values give 0).
fn int_field(obj: &Value, key: &str) -> u64 {
    match obj.get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or_else(|| match n.as_f64() {
            Some(f) if f.is_finite() && f > 0.0 => f as u64,
            _ => 0,
        }),
        Some(Value::Bool(b)) => u64::from(*b),
        _ => 0,
    }
}

/// Reads `obj[key]` as a float the way Python's `float(obj.get(key, 0.0) or 0.0)` would
/// (missing, null or non-numeric values give 0.0).
fn float_field(obj: &Value, key: &str) -> f64 {
    match obj.get(key) {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// Normalizes one namespace key: unnamed (`None`, `""`, `"null"`, `"None"`, after trimming) →
/// `default`; keys already under `prefix` are kept; anything else gets `prefix` prepended.
fn normalize_namespace(namespace: Option<&str>, prefix: &str, default: &str) -> String {
    let ns = namespace.unwrap_or("").trim();
    if ns.is_empty() || ns == "null" || ns == "None" {
        default.to_string()
    } else if ns.starts_with(prefix) {
        ns.to_string()
    } else {
        format!("{prefix}{ns}")
    }
}

/// Normalizes an estimator namespace: unnamed → `estimator.estimator-client`, `x` →
/// `estimator.x`, `estimator.*` kept.
pub fn normalize_estimator_namespace(namespace: Option<&str>) -> String {
    normalize_namespace(namespace, "estimator.", ESTIMATOR_DEFAULT_NAMESPACE)
}

/// Normalizes a sampling namespace: unnamed → `sampling.sample_layer_statistics`, `x` →
/// `sampling.x`, `sampling.*` kept.
pub fn normalize_sampling_namespace(namespace: Option<&str>) -> String {
    normalize_namespace(namespace, "sampling.", SAMPLING_DEFAULT_NAMESPACE)
}

fn normalize_with(
    raw: &Value,
    rename: fn(Option<&str>) -> String,
    default_ns: &str,
) -> Option<Breakdown> {
    if !raw.is_object() {
        return None;
    }
    let mut out = Breakdown {
        flop_budget: int_field(raw, "flop_budget"),
        flops_used: int_field(raw, "flops_used"),
        flops_remaining: int_field(raw, "flops_remaining"),
        timing: Timing::from_json(raw),
        by_namespace: Vec::new(),
        time_source: None,
    };
    if let Some(Value::Object(namespaces)) = raw.get("by_namespace") {
        for (ns, bucket) in namespaces {
            let merged = entry(&mut out.by_namespace, &rename(Some(ns)));
            merged.merge(&NamespaceBucket {
                flops_used: int_field(bucket, "flops_used"),
                calls: int_field(bucket, "calls"),
                flopscope_backend_time_s: float_field(bucket, "flopscope_backend_time_s"),
                flopscope_overhead_time_s: float_field(bucket, "flopscope_overhead_time_s"),
                operations: raw_operations(bucket.get("operations")),
            });
        }
    }
    if out.by_namespace.is_empty() && out.flops_used > 0 {
        let bucket = NamespaceBucket {
            flops_used: out.flops_used,
            calls: int_field(raw, "calls"),
            flopscope_backend_time_s: out.timing.flopscope_backend_time_s,
            flopscope_overhead_time_s: out.timing.flopscope_overhead_time_s,
            operations: raw_operations(raw.get("operations")),
        };
        out.by_namespace.push((default_ns.to_string(), bucket));
    }
    Some(out)
}

/// Per-op rows of a raw `operations` object, merged by name (a JSON object has unique keys, so
/// this only parses).
fn raw_operations(ops: Option<&Value>) -> Vec<(String, OpTiming)> {
    let mut out: Vec<(String, OpTiming)> = Vec::new();
    if let Some(Value::Object(ops)) = ops {
        for (name, op) in ops {
            entry(&mut out, name).merge(&OpTiming::from_raw(op));
        }
    }
    out
}

/// Normalizes a raw estimator breakdown (flopscope summary JSON); `None` when `raw` is not a
/// JSON object.
pub fn normalize_estimator_breakdown(raw: &Value) -> Option<Breakdown> {
    normalize_with(
        raw,
        normalize_estimator_namespace,
        ESTIMATOR_DEFAULT_NAMESPACE,
    )
}

/// Normalizes a raw ground-truth sampling breakdown (flopscope summary JSON); `None` when `raw`
/// is not a JSON object.
pub fn normalize_sampling_breakdown(raw: &Value) -> Option<Breakdown> {
    normalize_with(
        raw,
        normalize_sampling_namespace,
        SAMPLING_DEFAULT_NAMESPACE,
    )
}

/// Sums normalized breakdowns (every numeric field; buckets and ops merged by key, first-seen
/// order). `None` for an empty slice. The result has no `time_source`; set it to `"bake"` for a
/// sampling aggregate restored from a dataset.
pub fn aggregate_breakdowns(items: &[Breakdown]) -> Option<Breakdown> {
    if items.is_empty() {
        return None;
    }
    let mut total = Breakdown::default();
    for b in items {
        total.merge(b);
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw_summary() -> Value {
        json!({
            "flop_budget": 1000, "flops_used": 60, "flops_remaining": 940,
            "operations": {"add": {"flop_cost": 60, "calls": 3,
                "flopscope_backend_time_s": 0.5, "flopscope_overhead_time_s": 0.25}},
            "wall_time_s": 2.0, "flopscope_backend_time_s": 0.5,
            "flopscope_overhead_time_s": 0.25, "residual_wall_time_s": 1.25,
            "by_namespace": {
                "null": {"flops_used": 10, "calls": 1, "flopscope_backend_time_s": 0.1,
                    "flopscope_overhead_time_s": 0.05, "operations": {"add": {"flop_cost": 10,
                    "calls": 1, "flopscope_backend_time_s": 0.1, "flopscope_overhead_time_s": 0.05}}},
                "prop": {"flops_used": 20, "calls": 1, "flopscope_backend_time_s": 0.2,
                    "flopscope_overhead_time_s": 0.1, "operations": {"add": {"flop_cost": 20,
                    "calls": 1, "flopscope_backend_time_s": 0.2, "flopscope_overhead_time_s": 0.1}}},
                "estimator.prop": {"flops_used": 30, "calls": 1, "flopscope_backend_time_s": 0.2,
                    "flopscope_overhead_time_s": 0.1, "operations": {"mul": {"flop_cost": 30,
                    "calls": 1, "flopscope_backend_time_s": 0.2, "flopscope_overhead_time_s": 0.1}}},
            }
        })
    }

    #[test]
    fn namespaces_are_renamed() {
        for unnamed in [None, Some(""), Some("null"), Some("None"), Some("  None ")] {
            assert_eq!(
                normalize_estimator_namespace(unnamed),
                "estimator.estimator-client"
            );
            assert_eq!(
                normalize_sampling_namespace(unnamed),
                "sampling.sample_layer_statistics"
            );
        }
        assert_eq!(normalize_estimator_namespace(Some("x")), "estimator.x");
        assert_eq!(normalize_estimator_namespace(Some("a.b")), "estimator.a.b");
        assert_eq!(
            normalize_estimator_namespace(Some("estimator.x")),
            "estimator.x"
        );
        assert_eq!(normalize_sampling_namespace(Some("x")), "sampling.x");
        assert_eq!(
            normalize_sampling_namespace(Some("sampling.y")),
            "sampling.y"
        );
    }

    #[test]
    fn normalization_renames_and_merges_buckets() {
        let b = normalize_estimator_breakdown(&raw_summary()).expect("object");
        assert_eq!(
            (b.flop_budget, b.flops_used, b.flops_remaining),
            (1000, 60, 940)
        );
        assert_eq!(b.timing.residual_wall_time_s, 1.25);
        let names: Vec<&str> = b.by_namespace.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["estimator.estimator-client", "estimator.prop"]);
        let prop = b.namespace("estimator.prop").expect("merged");
        assert_eq!((prop.flops_used, prop.calls), (50, 2));
        assert!((prop.flopscope_backend_time_s - 0.4).abs() < 1e-12);
        let ops: Vec<&str> = prop.operations.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(ops, ["add", "mul"]);
        assert_eq!(prop.op("mul").map(|o| o.flop_cost), Some(30));
        assert_eq!(b.time_source, None);
        assert!(normalize_estimator_breakdown(&Value::Null).is_none());
    }

    #[test]
    fn default_bucket_is_synthesized_from_flat_operations() {
        let mut raw = raw_summary();
        raw["by_namespace"] = json!({});
        let b = normalize_estimator_breakdown(&raw).expect("object");
        assert_eq!(b.by_namespace.len(), 1);
        let (name, bucket) = &b.by_namespace[0];
        assert_eq!(name, "estimator.estimator-client");
        assert_eq!((bucket.flops_used, bucket.calls), (60, 0));
        assert_eq!(bucket.flopscope_overhead_time_s, 0.25);
        assert_eq!(
            bucket.op("add").map(|o| (o.flop_cost, o.calls)),
            Some((60, 3))
        );
        let s = normalize_sampling_breakdown(&raw).expect("object");
        assert_eq!(s.by_namespace[0].0, "sampling.sample_layer_statistics");
        // Nothing charged: no bucket is invented.
        raw["flops_used"] = json!(0);
        let b = normalize_estimator_breakdown(&raw).expect("object");
        assert!(b.by_namespace.is_empty());
    }

    #[test]
    fn lenient_number_parsing() {
        let raw = json!({"flop_budget": 12.9, "flops_used": null, "flops_remaining": -3,
            "wall_time_s": null, "flopscope_overhead_time_s": 1});
        let b = normalize_estimator_breakdown(&raw).expect("object");
        assert_eq!((b.flop_budget, b.flops_used, b.flops_remaining), (12, 0, 0));
        assert_eq!(
            (b.timing.wall_time_s, b.timing.flopscope_overhead_time_s),
            (0.0, 1.0)
        );
    }

    #[test]
    fn aggregation_sums_and_merges() {
        let a = normalize_estimator_breakdown(&raw_summary()).expect("object");
        let mut raw2 = raw_summary();
        raw2["by_namespace"] = json!({"other": {"flops_used": 5, "calls": 2,
            "flopscope_backend_time_s": 0.0, "flopscope_overhead_time_s": 0.0,
            "operations": {"exp": {"flop_cost": 5, "calls": 2}}}});
        let b = normalize_estimator_breakdown(&raw2).expect("object");
        let agg = aggregate_breakdowns(&[a.clone(), b]).expect("non-empty");
        assert_eq!(
            (agg.flop_budget, agg.flops_used, agg.flops_remaining),
            (2000, 120, 1880)
        );
        assert_eq!(agg.timing.wall_time_s, 4.0);
        let names: Vec<&str> = agg.by_namespace.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "estimator.estimator-client",
                "estimator.prop",
                "estimator.other"
            ]
        );
        assert_eq!(
            agg.namespace("estimator.other")
                .and_then(|b| b.op("exp"))
                .map(|o| o.calls),
            Some(2)
        );
        let twice = aggregate_breakdowns(&[a.clone(), a]).expect("non-empty");
        assert_eq!(
            twice.namespace("estimator.prop").map(|b| b.flops_used),
            Some(100)
        );
        assert!(aggregate_breakdowns(&[]).is_none());
    }
}
