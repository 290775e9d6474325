//! The price of one- and two-operand contractions (flopscope 0.12.4's
//! `_accumulation/_cost.py`): the accumulation group of the expression, its orbits and the
//! count `(k − 1)·∏M + ∏α − ∏O`, after summing isolated labels out of each operand. Both
//! [`super::cost`] (one or two operands) and [`super::oracle`] (each step of a longer path) price
//! through here; this module depends on neither.

use std::collections::HashSet;

use super::group::{
    alpha, burnside, closure, identity, is_identity, restrict, sadd, smul, stabilizer_on, Perm,
    CLOSURE_BUDGET,
};
/// Most row permutations the accumulation model enumerates before billing dense.
const WREATH_BUDGET: usize = 1_000_000;

/// One operand as the pricing sees it.
#[derive(Clone, Debug)]
pub(crate) struct Term {
    /// Label id of each axis.
    pub labels: Vec<u8>,
    /// Extent of each axis (a broadcast axis may be 1 where its label is larger).
    pub shape: Vec<u64>,
    /// Symmetry acting on this operand's axes, if tagged: the elements of its group (a tag),
    /// or maps whose closure is taken (the walk's per-input fingerprints, see
    /// [`super::oracle`]).
    pub group: Option<Vec<Perm>>,
    /// Identity class: two terms are the same object iff their classes are equal.
    pub class: usize,
}

/// No tag and no operand passed twice: every group is trivial and the counts are dense.
pub(super) fn is_plain(terms: &[Term]) -> bool {
    terms
        .iter()
        .enumerate()
        .all(|(i, t)| t.group.is_none() && terms[..i].iter().all(|u| u.class != t.class))
}

/// Sorted distinct labels of some terms.
pub(super) fn labels_of(terms: &[&Term]) -> Vec<u8> {
    let mut l: Vec<u8> = terms
        .iter()
        .flat_map(|t| t.labels.iter().copied())
        .collect();
    l.sort_unstable();
    l.dedup();
    l
}

/// The induced label permutation of the row map `sigma` (row `k` takes old row `sigma[k]`), by
/// flopscope's column fingerprints: label `l` goes to the label whose rows are exactly
/// `{k : label(sigma[k]) = l}`; `None` if there is none or it is taken. `sigma` need not be
/// a bijection (flopscope feeds non-bijective maps here for repeated labels).
pub(super) fn induced(sigma: &[u16], row_label: &[usize], nlabels: usize) -> Option<Perm> {
    let mut pi = vec![0u16; nlabels];
    let mut used = vec![false; nlabels];
    for (l, slot) in pi.iter_mut().enumerate() {
        let col: Vec<usize> = (0..sigma.len())
            .filter(|&k| row_label[sigma[k] as usize] == l)
            .collect();
        let target = row_label[*col.first()?];
        let rows_of_target = (0..row_label.len()).filter(|&r| row_label[r] == target);
        if used[target] || !rows_of_target.eq(col.iter().copied()) {
            return None;
        }
        used[target] = true;
        *slot = target as u16;
    }
    Some(pi)
}

/// Every element of the closure of `maps` under composition (a group for permutations; the
/// monoid flopscope enumerates for the non-bijective maps of repeated labels), identity first.
fn monoid(maps: &[Perm], n: usize) -> Option<Vec<Perm>> {
    closure(maps, n, CLOSURE_BUDGET)
}

/// Advances a mixed-radix counter (last digit fastest, like `itertools.product`); `false` once
/// it wraps around to all zeros.
fn bump(idx: &mut [usize], radix: impl Fn(usize) -> usize) -> bool {
    for pos in (0..idx.len()).rev() {
        idx[pos] += 1;
        if idx[pos] < radix(pos) {
            return true;
        }
        idx[pos] = 0;
    }
    false
}

/// All permutations of `0..m` in `itertools.permutations` order.
fn permutations(m: usize) -> Vec<Vec<usize>> {
    if m == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for first in 0..m {
        for rest in permutations(m - 1) {
            let mut p = vec![first];
            p.extend(rest.into_iter().map(|x| if x >= first { x + 1 } else { x }));
            out.push(p);
        }
    }
    out
}

/// The accumulation group G on the sorted labels of all terms: flopscope's wreath product
/// ∏ (H ≀ S_m) over same-object groups, flattened to row maps, each giving a label permutation
/// by column fingerprints; G is their closure. `None`: too large, bill dense.
fn detect_group(terms: &[Term], labels: &[u8]) -> Option<Vec<Perm>> {
    let mut row_label = Vec::new();
    let mut offsets = Vec::new();
    for t in terms {
        offsets.push(row_label.len());
        for l in &t.labels {
            row_label.push(labels.iter().position(|x| x == l).unwrap_or(0));
        }
    }
    let n = row_label.len();
    // Same-object groups in order of first member (flopscope's identical groups come first,
    // then singletons; the order does not change the closure).
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        match groups.iter_mut().find(|g| {
            let f = &terms[g[0]];
            f.class == t.class && f.labels.len() == t.labels.len()
        }) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut options_per_group: Vec<Vec<Perm>> = Vec::new();
    let mut total: usize = 1;
    for g in &groups {
        let first = &terms[g[0]];
        let rank = first.labels.len();
        let h: Vec<Perm> = match &first.group {
            Some(maps) => monoid(maps, rank)?,
            None => vec![identity(rank)],
        };
        let m = g.len();
        let count = (1..=m)
            .product::<usize>()
            .saturating_mul(h.len().saturating_pow(m as u32));
        total = total.saturating_mul(count);
        if total > WREATH_BUDGET {
            return None;
        }
        let mut opts = Vec::with_capacity(count);
        for top in permutations(m) {
            let mut base = vec![0usize; m];
            loop {
                let mut arr = identity(n);
                for j in 0..m {
                    let (p, new_p) = (g[j], g[top[j]]);
                    for (a, &t) in h[base[j]].iter().enumerate() {
                        arr[offsets[new_p] + t as usize] = (offsets[p] + a) as u16;
                    }
                }
                opts.push(arr);
                if !bump(&mut base, |_| h.len()) {
                    break;
                }
            }
        }
        options_per_group.push(opts);
    }
    let mut pis: HashSet<Perm> = HashSet::new();
    let mut idx = vec![0usize; options_per_group.len()];
    loop {
        let mut sigma = identity(n);
        for (g, &i) in options_per_group.iter().zip(&idx) {
            for (r, &v) in g[i].iter().enumerate() {
                if v as usize != r {
                    sigma[r] = v;
                }
            }
        }
        if let Some(pi) = induced(&sigma, &row_label, labels.len()) {
            if !is_identity(&pi) {
                pis.insert(pi);
            }
        }
        if !bump(&mut idx, |i| options_per_group[i].len()) {
            break;
        }
    }
    let gens: Vec<Perm> = pis.into_iter().collect();
    closure(&gens, labels.len(), CLOSURE_BUDGET)
}

/// Label components of G: labels moved together by some element are joined.
fn components(elems: &[Perm], n: usize) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while p[r] != r {
            r = p[r];
        }
        p[x] = r;
        r
    }
    for e in elems {
        let moved: Vec<usize> = (0..n).filter(|&i| e[i] as usize != i).collect();
        for w in moved.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a] = b;
        }
    }
    let mut comps: Vec<Vec<usize>> = Vec::new();
    let mut root_of: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        let r = find(&mut parent, i);
        match root_of[r] {
            Some(c) => comps[c].push(i),
            None => {
                root_of[r] = Some(comps.len());
                comps.push(vec![i]);
            }
        }
    }
    comps
}

/// The one-expression count `(k − 1)·∏M + ∏α − ∏O` (no pre-reduction).
fn aggregate(terms: &[Term], out: &[u8], sizes: &[u64]) -> u128 {
    let refs: Vec<&Term> = terms.iter().collect();
    let labels = labels_of(&refs);
    let lsizes: Vec<u64> = labels.iter().map(|&l| sizes[l as usize]).collect();
    let k = terms.len() as u128;
    let dense = lsizes.iter().fold(1u128, |a, &s| smul(a, s as u128));
    if is_plain(terms) {
        // Trivial G: M = α = ∏ sizes, O = ∏ output sizes.
        if dense == 0 {
            return 0;
        }
        let o = out
            .iter()
            .fold(1u128, |a, &l| smul(a, sizes[l as usize] as u128));
        return sadd(smul(k - 1, dense), dense).saturating_sub(o);
    }
    let Some(g) = detect_group(terms, &labels) else {
        return smul(k, dense);
    };
    let (mut m_all, mut a_all, mut o_all) = (1u128, 1u128, 1u128);
    for comp in components(&g, labels.len()) {
        let mut seen = HashSet::new();
        let elems: Vec<Perm> = g
            .iter()
            .filter_map(|e| restrict(e, &comp))
            .filter(|r| seen.insert(r.clone()))
            .collect();
        let csizes: Vec<u64> = comp.iter().map(|&i| lsizes[i]).collect();
        let visible: Vec<usize> = (0..comp.len())
            .filter(|&p| out.contains(&labels[comp[p]]))
            .collect();
        let Some(a) = alpha(&elems, &csizes, &visible) else {
            return smul(k, dense);
        };
        let dense_c = csizes.iter().fold(1u128, |x, &s| smul(x, s as u128));
        let vsizes: Vec<u64> = visible.iter().map(|&p| csizes[p]).collect();
        let o = if visible.is_empty() {
            u128::from(dense_c > 0)
        } else if elems.len() <= 1 {
            vsizes.iter().fold(1u128, |x, &s| smul(x, s as u128))
        } else {
            burnside(&stabilizer_on(&elems, &visible), &vsizes)
        };
        m_all = smul(m_all, burnside(&elems, &csizes));
        a_all = smul(a_all, a);
        o_all = smul(o_all, o);
    }
    if a_all == 0 {
        return 0;
    }
    sadd(smul(k - 1, m_all), a_all).saturating_sub(o_all)
}

/// The group left on the kept axes after summing the others out (flopscope's `reduce_group`).
pub(super) fn reduce_group(group: &Option<Vec<Perm>>, kept: &[usize]) -> Option<Vec<Perm>> {
    let g = group.as_ref()?;
    let r = stabilizer_on(g, kept);
    (r.len() > 1).then_some(r)
}

/// The cost of summing `axes` out of a tensor of `shape` carrying `group`
/// (flopscope's `reduction_accumulation_cost`: `∏α − ∏O`, unclamped).
fn reduction(shape: &[u64], group: &Option<Vec<Perm>>, axes: &[usize]) -> u128 {
    let labels: Vec<u8> = (0..shape.len() as u8).collect();
    let out: Vec<u8> = labels
        .iter()
        .copied()
        .filter(|&l| !axes.contains(&(l as usize)))
        .collect();
    let term = Term {
        labels,
        shape: shape.to_vec(),
        group: group.clone(),
        class: 0,
    };
    aggregate(&[term], &out, shape)
}

/// Sums isolated summed labels out of each of two terms: returns the pre-reduction cost and
/// the residual terms (labels and reduced groups), or `None` when nothing is isolated.
pub(super) fn pre_reduce(terms: &[Term], out: &[u8]) -> Option<(u128, Vec<Term>)> {
    let summed = |l: &u8| !out.contains(l);
    let mut cost = 0u128;
    let mut residual = terms.to_vec();
    let mut any = false;
    for side in 0..2 {
        let other = &terms[1 - side].labels;
        let t = &terms[side];
        let axes: Vec<usize> = (0..t.labels.len())
            .filter(|&a| summed(&t.labels[a]) && !other.contains(&t.labels[a]))
            .collect();
        if axes.is_empty() {
            continue;
        }
        any = true;
        cost = sadd(cost, reduction(&t.shape, &t.group, &axes));
        let kept: Vec<usize> = (0..t.labels.len()).filter(|a| !axes.contains(a)).collect();
        residual[side] = Term {
            labels: kept.iter().map(|&a| t.labels[a]).collect(),
            shape: kept.iter().map(|&a| t.shape[a]).collect(),
            group: reduce_group(&t.group, &kept),
            class: t.class,
        };
    }
    if !any {
        return None;
    }
    // flopscope keeps the identity of a same-object pair; with unequal ranks it fails
    // (IndexError), and this port prices the pair as distinct operands instead.
    if residual[0].class == residual[1].class
        && residual[0].labels.len() != residual[1].labels.len()
    {
        residual[1].class = usize::MAX;
    }
    Some((cost, residual))
}

/// One- and two-term contractions: pre-reduction, then [`aggregate`].
pub(super) fn contraction(terms: &[Term], out: &[u8], sizes: &[u64]) -> u128 {
    if terms.len() == 2 {
        if let Some((pre, residual)) = pre_reduce(terms, out) {
            return sadd(pre, aggregate(&residual, out, sizes));
        }
    }
    aggregate(terms, out, sizes)
}
