//! Per-namespace, per-op statistics of one thread's work in a context.

use super::op::Op;

/// FLOPs, calls and time spent in one op (within one namespace).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct OpStats {
    pub flops: u64,
    pub calls: u64,
    pub backend_ns: u64,
    pub overhead_ns: u64,
}

impl OpStats {
    fn merge(&mut self, o: &OpStats) {
        self.flops += o.flops;
        self.calls += o.calls;
        self.backend_ns += o.backend_ns;
        self.overhead_ns += o.overhead_ns;
    }
}

/// Statistics of one namespace: totals plus per-op rows in first-seen order.
#[derive(Clone, Debug)]
pub(crate) struct NamespaceLedger {
    /// Dotted namespace, `None` for the context root without a root namespace.
    pub name: Option<String>,
    pub ops: Box<[OpStats]>,
    /// Ops in the order they were first recorded (flopscope's dict order).
    pub order: Vec<Op>,
    /// Time of kernels listed under no op (copies flopscope does not record, such as `.T`);
    /// part of the namespace's totals, in no row.
    pub unlisted: OpStats,
}

impl NamespaceLedger {
    fn new(name: Option<String>) -> Self {
        NamespaceLedger {
            name,
            ops: vec![OpStats::default(); Op::COUNT].into_boxed_slice(),
            order: Vec::new(),
            unlisted: OpStats::default(),
        }
    }

    /// Sum over the ops of this namespace, plus the time listed under no op.
    pub fn totals(&self) -> OpStats {
        let mut t = self.unlisted;
        for op in &self.order {
            t.merge(&self.ops[*op as usize]);
        }
        t
    }
}

/// All statistics one thread recorded for a context.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ledger {
    pub namespaces: Vec<NamespaceLedger>,
    /// Time spent in accounting outside any op (namespace pushes, context entry/exit).
    pub loose_overhead_ns: u64,
}

impl Ledger {
    /// Index of the namespace called `name`, created on first use.
    pub fn namespace_index(&mut self, name: Option<&str>) -> usize {
        if let Some(i) = self
            .namespaces
            .iter()
            .position(|n| n.name.as_deref() == name)
        {
            return i;
        }
        self.namespaces
            .push(NamespaceLedger::new(name.map(str::to_owned)));
        self.namespaces.len() - 1
    }

    /// Records one charged call of `op` in namespace `ns`.
    #[inline]
    pub fn record_charge(&mut self, ns: usize, op: Op, flops: u64) {
        let nsl = &mut self.namespaces[ns];
        let row = &mut nsl.ops[op as usize];
        if row.calls == 0 {
            nsl.order.push(op);
        }
        row.calls += 1;
        row.flops += flops;
    }

    /// Adds measured kernel (backend) and bookkeeping (overhead) time to a recorded op.
    #[inline]
    pub fn record_time(&mut self, ns: usize, op: Op, backend_ns: u64, overhead_ns: u64) {
        let row = &mut self.namespaces[ns].ops[op as usize];
        row.backend_ns += backend_ns;
        row.overhead_ns += overhead_ns;
    }

    /// Adds the time of a kernel listed under no op to namespace `ns`.
    #[inline]
    pub fn record_unlisted_time(&mut self, ns: usize, backend_ns: u64, overhead_ns: u64) {
        let row = &mut self.namespaces[ns].unlisted;
        row.backend_ns += backend_ns;
        row.overhead_ns += overhead_ns;
    }

    /// Folds another ledger (e.g. a worker thread's) into this one, matching namespaces by name.
    pub fn merge(&mut self, other: &Ledger) {
        self.loose_overhead_ns += other.loose_overhead_ns;
        for ns in &other.namespaces {
            let i = self.namespace_index(ns.name.as_deref());
            self.namespaces[i].unlisted.merge(&ns.unlisted);
            for op in &ns.order {
                let src = ns.ops[*op as usize];
                let dst = &mut self.namespaces[i];
                if dst.ops[*op as usize].calls == 0 {
                    dst.order.push(*op);
                }
                dst.ops[*op as usize].merge(&src);
            }
        }
    }

    /// Total over every namespace.
    pub fn totals(&self) -> OpStats {
        let mut t = OpStats::default();
        for ns in &self.namespaces {
            t.merge(&ns.totals());
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_time_counts_in_the_totals_but_in_no_row_and_survives_merges() {
        let mut worker = Ledger::default();
        let ns = worker.namespace_index(Some("w"));
        worker.record_unlisted_time(ns, 5, 1);
        let mut parent = Ledger::default();
        parent.merge(&worker);
        parent.merge(&worker);
        let t = parent.totals();
        assert_eq!(
            (t.backend_ns, t.overhead_ns, t.calls, t.flops),
            (10, 2, 0, 0)
        );
        assert!(parent.namespaces[0].order.is_empty());
    }
}
