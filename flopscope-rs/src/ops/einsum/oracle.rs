//! flopscope's subgraph symmetry oracle (`_opt_einsum/_subgraph_symmetry.py`) and the walk
//! that prices three or more operands step by step along the contraction path
//! (`_accumulation/_cost.py::_walk_path_and_aggregate`).
//!
//! The oracle answers, for a subset of the original operands, which label permutations keep
//! that sub-expression invariant while preserving its visible/summed split: the group its
//! intermediate result carries (on the visible labels) and the joint group (on all labels).
//! Each step of the walk is billed the cheapest of three counts: the step priced as a
//! two-operand contraction with the oracle's groups on its inputs, the joint-group count, and
//! the output-orbit bound `orbits × (2·W − 1)`; isolated summed labels are pre-reduced first.

use std::collections::HashSet;

use super::contraction::{contraction, induced, is_plain, labels_of, pre_reduce, Term};
use super::group::{
    burnside, closure, generators_of, identity, is_identity, restrict, sadd, smul, stabilizer_on,
    Perm, CLOSURE_BUDGET,
};
use super::path::Step;

/// Rows (operand axes) of `members`, with generators from the tags (source A) and from
/// swapping equal-rank copies of the same object (source B).
struct Rows {
    row_label: Vec<usize>,
    offsets: Vec<usize>,
    gens: Vec<Perm>,
}

fn rows(terms: &[Term], members: &[usize], labels: &[u8]) -> Rows {
    let mut row_label = Vec::new();
    let mut offsets = Vec::new();
    for &m in members {
        offsets.push(row_label.len());
        for l in &terms[m].labels {
            row_label.push(labels.iter().position(|x| x == l).unwrap_or(0));
        }
    }
    let n = row_label.len();
    let mut gens = Vec::new();
    for (pos, &m) in members.iter().enumerate() {
        if let Some(g) = &terms[m].group {
            for gen in generators_of(g) {
                let mut p = identity(n);
                for (a, &t) in gen.iter().enumerate() {
                    p[offsets[pos] + a] = (offsets[pos] + t as usize) as u16;
                }
                gens.push(p);
            }
        }
    }
    for (pa, &a) in members.iter().enumerate() {
        // Adjacent copies of the same object (in position order) swap as whole blocks.
        let next = members
            .iter()
            .enumerate()
            .skip(pa + 1)
            .find(|(_, &b)| terms[b].class == terms[a].class);
        if let Some((pb, &b)) = next {
            if terms[a].labels.len() == terms[b].labels.len() {
                let mut p = identity(n);
                for ax in 0..terms[a].labels.len() {
                    p[offsets[pa] + ax] = (offsets[pb] + ax) as u16;
                    p[offsets[pb] + ax] = (offsets[pa] + ax) as u16;
                }
                gens.push(p);
            }
        }
    }
    Rows {
        row_label,
        offsets,
        gens,
    }
}

/// What the subgraph oracle knows about a subset of the original operands.
pub(super) struct SubsetSymmetry {
    /// Sorted labels of the subset.
    pub all: Vec<u8>,
    /// Group on the subset's visible labels (sorted), if non-trivial.
    pub output: Option<Vec<Perm>>,
    /// Group on all of the subset's labels (sorted), if non-trivial.
    pub joint: Option<Vec<Perm>>,
}

/// Visible labels of a subset: those in the output or in an operand outside the subset.
pub(super) fn oracle_v(terms: &[Term], out: &[u8], subset: &[usize]) -> Vec<u8> {
    let members: Vec<&Term> = subset.iter().map(|&i| &terms[i]).collect();
    let outside: Vec<u8> = (0..terms.len())
        .filter(|i| !subset.contains(i))
        .flat_map(|i| terms[i].labels.iter().copied())
        .collect();
    labels_of(&members)
        .into_iter()
        .filter(|l| out.contains(l) || outside.contains(l))
        .collect()
}

/// flopscope's `SubgraphSymmetryOracle.sym(subset)`: label permutations (preserving the
/// visible/summed split) induced by tag permutations, same-object swaps, and coordinated
/// relabelling of summed axes of same-object operands with identical subscripts.
pub(super) fn oracle(terms: &[Term], out: &[u8], subset: &[usize]) -> SubsetSymmetry {
    let members: Vec<&Term> = subset.iter().map(|&i| &terms[i]).collect();
    let all = labels_of(&members);
    let v = oracle_v(terms, out, subset);
    let none = SubsetSymmetry {
        all: all.clone(),
        output: None,
        joint: None,
    };
    let mut r = rows(terms, subset, &all);
    // Source C: coordinated relabelling of summed axes across same-object copies.
    let mut classes: Vec<usize> = subset.iter().map(|&i| terms[i].class).collect();
    classes.sort_unstable();
    classes.dedup();
    for c in classes {
        let copies: Vec<usize> = (0..subset.len())
            .filter(|&p| terms[subset[p]].class == c)
            .collect();
        if copies.len() < 2 {
            continue;
        }
        let sub = &terms[subset[copies[0]]].labels;
        if copies.iter().any(|&p| &terms[subset[p]].labels != sub) || sub.len() < 2 {
            continue;
        }
        let w_axes: Vec<usize> = (0..sub.len()).filter(|&a| !v.contains(&sub[a])).collect();
        for w in w_axes.windows(2) {
            let mut p = identity(r.row_label.len());
            for &cp in &copies {
                let (ra, rb) = (r.offsets[cp] + w[0], r.offsets[cp] + w[1]);
                p[ra] = rb as u16;
                p[rb] = ra as u16;
            }
            r.gens.push(p);
        }
    }
    if r.gens.is_empty() {
        return none;
    }
    let Some(sigmas) = closure(&r.gens, r.row_label.len(), CLOSURE_BUDGET) else {
        return none;
    };
    let vpos: Vec<usize> = (0..all.len()).filter(|&i| v.contains(&all[i])).collect();
    let (mut vset, mut jset) = (HashSet::new(), HashSet::new());
    for s in sigmas.iter().filter(|s| !is_identity(s)) {
        let Some(pi) = induced(s, &r.row_label, all.len()) else {
            continue;
        };
        let keeps_split =
            (0..all.len()).all(|i| vpos.contains(&i) == vpos.contains(&(pi[i] as usize)));
        if !keeps_split || is_identity(&pi) {
            continue;
        }
        if let Some(rv) = restrict(&pi, &vpos) {
            if !is_identity(&rv) {
                vset.insert(rv);
            }
        }
        jset.insert(pi);
    }
    let as_group = |set: HashSet<Perm>, n: usize| -> Option<Vec<Perm>> {
        if set.is_empty() {
            return None;
        }
        let mut g = vec![identity(n)];
        g.extend(set);
        Some(g)
    };
    SubsetSymmetry {
        output: as_group(vset, vpos.len()),
        joint: as_group(jset, all.len()),
        all,
    }
}

/// A group on the sorted labels `from` rewritten as permutations of the axes of `target`
/// (`None` if a label is missing or the result is trivial). A label repeated in `target` maps
/// its k-th axis to the k-th axis of its image.
pub(super) fn to_output_axes(group: &[Perm], from: &[u8], target: &[u8]) -> Option<Vec<Perm>> {
    let occurrence = |ax: usize| target[..ax].iter().filter(|&&x| x == target[ax]).count();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for g in group {
        let mut p = identity(target.len());
        for (ax, l) in target.iter().enumerate() {
            if let Some(lp) = from.iter().position(|x| x == l) {
                let dest = from[g[lp] as usize];
                let k = occurrence(ax);
                let to = (0..target.len()).filter(|&t| target[t] == dest).nth(k)?;
                p[ax] = to as u16;
            }
        }
        if seen.insert(p.clone()) {
            out.push(p);
        }
    }
    (out.len() > 1).then_some(out)
}

/// flopscope's per-input fingerprint of a subset group (`_subset_sym_fingerprint`): each
/// non-identity element, as a map of the step input's axes sending an axis to the *last* axis
/// carrying the image label. For a subscript with a repeated label these maps are not
/// permutations; flopscope prices them as the monoid they generate, and so does this port.
fn fingerprint_maps(group: &[Perm], from: &[u8], target: &[u8]) -> Option<Vec<Perm>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for g in group.iter().filter(|g| !is_identity(g)) {
        let mut p = identity(target.len());
        for (ax, l) in target.iter().enumerate() {
            if let Some(lp) = from.iter().position(|x| x == l) {
                let dest = from[g[lp] as usize];
                if let Some(t) = target.iter().rposition(|&x| x == dest) {
                    p[ax] = t as u16;
                }
            }
        }
        if seen.insert(p.clone()) {
            out.push(p);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Three or more operands: the per-step costs along `steps`, summed.
pub(super) fn walk(terms: &[Term], out: &[u8], sizes: &[u64], steps: &[Step]) -> u128 {
    let mut subsets: Vec<Vec<usize>> = (0..terms.len()).map(|i| vec![i]).collect();
    let mut total = 0u128;
    let plain = is_plain(terms);
    for step in steps {
        let ins: Vec<Vec<usize>> = step.positions.iter().map(|&p| subsets[p].clone()).collect();
        let mut merged: Vec<usize> = ins.concat();
        merged.sort_unstable();
        total = sadd(
            total,
            step_cost(terms, out, sizes, step, &ins, &merged, plain),
        );
        for &p in &step.positions {
            subsets.remove(p);
        }
        subsets.push(merged);
    }
    total
}

/// One pairwise step of [`walk`]: pre-reduction plus the cheapest of the per-input, joint-group
/// and output-orbit counts.
fn step_cost(
    terms: &[Term],
    out: &[u8],
    sizes: &[u64],
    step: &Step,
    ins: &[Vec<usize>],
    merged: &[usize],
    plain: bool,
) -> u128 {
    let step_terms: Vec<Term> = step
        .inputs
        .iter()
        .zip(ins)
        .map(|(labels, subset)| Term {
            labels: labels.clone(),
            shape: labels.iter().map(|&l| sizes[l as usize]).collect(),
            group: if subset.len() == 1 {
                terms[subset[0]].group.clone()
            } else {
                None
            },
            class: if subset.len() == 1 {
                terms[subset[0]].class
            } else {
                usize::MAX - subset[0]
            },
        })
        .collect();
    let (pre, mut eff, removed) = if step_terms.len() == 2 {
        match pre_reduce(&step_terms, &step.result) {
            Some((c, residual)) => {
                let removed: Vec<u8> = step_terms
                    .iter()
                    .flat_map(|t| t.labels.iter().copied())
                    .filter(|l| !residual.iter().any(|r| r.labels.contains(l)))
                    .collect();
                (c, residual, removed)
            }
            None => (0, step_terms.clone(), Vec::new()),
        }
    } else {
        (0, step_terms.clone(), Vec::new())
    };
    if plain {
        // No tags, no repeated handles: the oracle has nothing to offer.
        return sadd(contraction(&eff, &step.result, sizes), pre);
    }
    // Inputs not pre-reduced take the oracle's group for their subset (intermediates too).
    for (idx, subset) in ins.iter().enumerate() {
        if eff[idx].labels.len() != step_terms[idx].labels.len() {
            continue;
        }
        let ss = oracle(terms, out, subset);
        let v = oracle_v(terms, out, subset);
        eff[idx].group = ss
            .output
            .and_then(|g| fingerprint_maps(&g, &v, &eff[idx].labels));
    }
    // Same-object identity holds only between two original operands.
    let singles = ins.iter().all(|s| s.len() == 1);
    if !singles || eff.len() != 2 || eff[0].class != eff[1].class {
        for (i, t) in eff.iter_mut().enumerate() {
            t.class = i;
        }
    }
    let mut best = contraction(&eff, &step.result, sizes);
    let ss = oracle(terms, out, merged);
    let step_labels: Vec<u8> = {
        let mut l: Vec<u8> = eff.iter().flat_map(|t| t.labels.iter().copied()).collect();
        let mut seen = HashSet::new();
        l.retain(|x| seen.insert(*x));
        l
    };
    // Joint-group candidate (`compute_step_cost_from_joint_group`).
    if let Some(joint) = &ss.joint {
        let surviving: Vec<usize> = (0..ss.all.len())
            .filter(|&i| !removed.contains(&ss.all[i]))
            .collect();
        let jlabels: Vec<u8> = surviving.iter().map(|&i| ss.all[i]).collect();
        let jgroup = if removed.is_empty() {
            Some(joint.clone())
        } else {
            let r = stabilizer_on(joint, &surviving);
            (r.len() > 1).then_some(r)
        };
        let v: Vec<u8> = step.result.clone();
        let w: Vec<u8> = step_labels
            .iter()
            .copied()
            .filter(|l| !v.contains(l))
            .collect();
        let canon: Vec<u8> = v.iter().chain(w.iter()).copied().collect();
        let mut a = jlabels.clone();
        a.sort_unstable();
        let mut b = canon.clone();
        b.sort_unstable();
        if let (Some(jg), true) = (jgroup, a == b) {
            let perms: Vec<Perm> = jg
                .iter()
                .map(|e| {
                    canon
                        .iter()
                        .map(|l| {
                            let jp = jlabels.iter().position(|x| x == l).unwrap_or(0);
                            let dest = jlabels[e[jp] as usize];
                            canon.iter().position(|&x| x == dest).unwrap_or(0) as u16
                        })
                        .collect()
                })
                .collect();
            let nv = v.len();
            if perms
                .iter()
                .all(|p| p[..nv].iter().all(|&t| (t as usize) < nv))
            {
                let csizes: Vec<u64> = canon.iter().map(|&l| sizes[l as usize]).collect();
                let m = burnside(&perms, &csizes);
                let cost = if m == 0 {
                    0
                } else {
                    let vp: Vec<Perm> = perms.iter().map(|p| p[..nv].to_vec()).collect();
                    let o = burnside(&vp, &csizes[..nv]);
                    sadd(smul(eff.len() as u128 - 1, m), m).saturating_sub(o)
                };
                best = best.min(cost);
            }
        }
    }
    // Output-orbit candidate: orbits of the merged output group × (2·W − 1).
    if let Some(g) = &ss.output {
        let v = oracle_v(terms, out, merged);
        if let Some(axes_group) = to_output_axes(g, &v, &step.result) {
            let osizes: Vec<u64> = step.result.iter().map(|&l| sizes[l as usize]).collect();
            let orbits = burnside(&axes_group, &osizes);
            let dense = osizes.iter().fold(1u128, |a, &s| smul(a, s as u128));
            if orbits > 0 && orbits < dense {
                let w = step_labels
                    .iter()
                    .filter(|l| !step.result.contains(l))
                    .fold(1u128, |a, &l| smul(a, sizes[l as usize] as u128));
                let cost = smul(orbits, smul(2, w).saturating_sub(1));
                if cost > 0 {
                    best = best.min(cost);
                }
            }
        }
    }
    sadd(best, pre)
}
