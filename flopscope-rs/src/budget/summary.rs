//! A context's accounting report, field for field like flopscope's `summary_dict()`.

use super::clock::secs;
use super::ledger::{Ledger, NamespaceLedger, OpStats};

/// FLOPs, calls and time of one op (within a namespace or over the whole context).
#[derive(Clone, Debug, PartialEq)]
pub struct OpSummary {
    /// flopscope name of the op (e.g. `"matmul"`).
    pub op: &'static str,
    /// FLOPs charged to this op.
    pub flop_cost: u64,
    /// Counted calls.
    pub calls: u64,
    /// Seconds spent in the op's kernels.
    pub flopscope_backend_time_s: f64,
    /// Seconds spent in accounting and dispatch around the kernels.
    pub flopscope_overhead_time_s: f64,
}

/// Totals and per-op rows of one namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct NamespaceSummary {
    /// Dotted namespace; `None` is the unnamed root (flopscope's `null` key).
    pub namespace: Option<String>,
    /// FLOPs charged in this namespace.
    pub flops_used: u64,
    /// Counted calls in this namespace.
    pub calls: u64,
    /// Kernel seconds in this namespace (with the copies recorded as no op, see
    /// [`BudgetSummary::flopscope_backend_time_s`]).
    pub flopscope_backend_time_s: f64,
    /// Accounting seconds in this namespace.
    pub flopscope_overhead_time_s: f64,
    /// Per-op rows in first-seen order.
    pub operations: Vec<OpSummary>,
}

/// The report of a [`crate::BudgetContext`]: budget, per-op and per-namespace statistics, and the
/// time decomposition `wall = backend + overhead + residual` (residual clamped at 0).
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetSummary {
    /// The context's budget.
    pub flop_budget: u64,
    /// FLOPs charged.
    pub flops_used: u64,
    /// `flop_budget - flops_used`.
    pub flops_remaining: u64,
    /// Seconds from opening the context to now (or to its close).
    pub wall_time_s: f64,
    /// Seconds inside counted kernels, including the copies flopscope records as no op (`.T`,
    /// basic indexing), which appear in no row of [`operations`](Self::operations).
    pub flopscope_backend_time_s: f64,
    /// Seconds of accounting and dispatch (per-op pre/postambles, namespace pushes, entry).
    pub flopscope_overhead_time_s: f64,
    /// `max(0, wall - backend - overhead)`: time in the caller's own code, plus
    /// [`unaccounted_thread_cpu_s`](Self::unaccounted_thread_cpu_s).
    pub residual_wall_time_s: f64,
    /// CPU seconds spent on threads the context does not account for (or outside kernels on
    /// its `thread::scope` workers) while it was open, charged to residual time; always 0
    /// unless the context was opened with
    /// [`charge_other_threads`](crate::budget::BudgetContextBuilder::charge_other_threads).
    pub unaccounted_thread_cpu_s: f64,
    /// Per-op rows over all namespaces, in first-seen order.
    pub operations: Vec<OpSummary>,
    /// Per-namespace rows, in first-seen order.
    pub by_namespace: Vec<NamespaceSummary>,
}

fn op_rows(ns: &NamespaceLedger) -> Vec<OpSummary> {
    ns.order
        .iter()
        .map(|op| row(op.name(), &ns.ops[*op as usize]))
        .collect()
}

fn row(name: &'static str, s: &OpStats) -> OpSummary {
    OpSummary {
        op: name,
        flop_cost: s.flops,
        calls: s.calls,
        flopscope_backend_time_s: secs(s.backend_ns),
        flopscope_overhead_time_s: secs(s.overhead_ns),
    }
}

/// Appends `s` as a JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a float as JSON (non-finite values, which cannot occur for times, become 0).
fn json_f64(out: &mut String, v: f64) {
    if v.is_finite() {
        out.push_str(&format!("{v:?}"));
    } else {
        out.push('0');
    }
}

fn json_ops(out: &mut String, ops: &[OpSummary]) {
    out.push('{');
    for (i, o) in ops.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, o.op);
        out.push_str(&format!(
            ":{{\"flop_cost\":{},\"calls\":{},",
            o.flop_cost, o.calls
        ));
        out.push_str("\"flopscope_backend_time_s\":");
        json_f64(out, o.flopscope_backend_time_s);
        out.push_str(",\"flopscope_overhead_time_s\":");
        json_f64(out, o.flopscope_overhead_time_s);
        out.push('}');
    }
    out.push('}');
}

impl BudgetSummary {
    /// The summary as JSON in flopscope's `summary_dict(by_namespace=True)` shape: keys
    /// `flop_budget, flops_used, flops_remaining, operations, wall_time_s,
    /// flopscope_backend_time_s, flopscope_overhead_time_s, residual_wall_time_s, by_namespace`;
    /// the unnamed root namespace is keyed `"null"` (as `json.dumps` writes Python's `None`).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256 + 160 * self.operations.len());
        out.push_str(&format!(
            "{{\"flop_budget\":{},\"flops_used\":{},\"flops_remaining\":{},\"operations\":",
            self.flop_budget, self.flops_used, self.flops_remaining
        ));
        json_ops(&mut out, &self.operations);
        for (key, v) in [
            ("wall_time_s", self.wall_time_s),
            ("flopscope_backend_time_s", self.flopscope_backend_time_s),
            ("flopscope_overhead_time_s", self.flopscope_overhead_time_s),
            ("residual_wall_time_s", self.residual_wall_time_s),
        ] {
            out.push_str(&format!(",\"{key}\":"));
            json_f64(&mut out, v);
        }
        out.push_str(",\"by_namespace\":{");
        for (i, ns) in self.by_namespace.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_str(&mut out, ns.namespace.as_deref().unwrap_or("null"));
            out.push_str(&format!(
                ":{{\"flops_used\":{},\"calls\":{},\"flopscope_backend_time_s\":",
                ns.flops_used, ns.calls
            ));
            json_f64(&mut out, ns.flopscope_backend_time_s);
            out.push_str(",\"flopscope_overhead_time_s\":");
            json_f64(&mut out, ns.flopscope_overhead_time_s);
            out.push_str(",\"operations\":");
            json_ops(&mut out, &ns.operations);
            out.push('}');
        }
        out.push_str("}}");
        out
    }

    pub(crate) fn from_ledger(
        budget: u64,
        used: u64,
        wall_time_s: f64,
        ledger: &Ledger,
    ) -> BudgetSummary {
        let mut operations: Vec<OpSummary> = Vec::new();
        let mut by_namespace = Vec::new();
        for ns in &ledger.namespaces {
            let rows = op_rows(ns);
            if rows.is_empty() {
                continue;
            }
            for r in &rows {
                match operations.iter_mut().find(|o| o.op == r.op) {
                    Some(o) => {
                        o.flop_cost += r.flop_cost;
                        o.calls += r.calls;
                        o.flopscope_backend_time_s += r.flopscope_backend_time_s;
                        o.flopscope_overhead_time_s += r.flopscope_overhead_time_s;
                    }
                    None => operations.push(r.clone()),
                }
            }
            let t = ns.totals();
            by_namespace.push(NamespaceSummary {
                namespace: ns.name.clone(),
                flops_used: t.flops,
                calls: t.calls,
                flopscope_backend_time_s: secs(t.backend_ns),
                flopscope_overhead_time_s: secs(t.overhead_ns),
                operations: rows,
            });
        }
        let totals = ledger.totals();
        let backend = secs(totals.backend_ns);
        let overhead = secs(totals.overhead_ns + ledger.loose_overhead_ns);
        BudgetSummary {
            flop_budget: budget,
            flops_used: used,
            flops_remaining: budget - used,
            wall_time_s,
            flopscope_backend_time_s: backend,
            flopscope_overhead_time_s: overhead,
            residual_wall_time_s: (wall_time_s - backend - overhead).max(0.0),
            unaccounted_thread_cpu_s: 0.0,
            operations,
            by_namespace,
        }
    }

    /// The row of `op`, if it was called.
    pub fn op(&self, op: &str) -> Option<&OpSummary> {
        self.operations.iter().find(|o| o.op == op)
    }

    /// The row of namespace `ns` (`None` = unnamed root), if anything was recorded there.
    pub fn namespace(&self, ns: Option<&str>) -> Option<&NamespaceSummary> {
        self.by_namespace
            .iter()
            .find(|n| n.namespace.as_deref() == ns)
    }
}
