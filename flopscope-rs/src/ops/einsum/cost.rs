//! flopscope 0.12.4's price of a contraction (`_accumulation/_cost.py`), shared by `einsum`,
//! `matmul`, `dot` and `outer`.
//!
//! * **G** is the group of label permutations induced by the row permutations σ of the
//!   operand axes that (a) permute axes inside an operand's symmetry tag and (b) swap whole
//!   operands that are the same object, and that map the expression onto itself.
//! * Per connected component of G: `M` = G-orbits on index tuples, `α` = accumulation events
//!   ([`super::group::alpha`]), `O` = orbits of the output stabiliser on output tuples.
//! * `count = (k − 1)·∏M + ∏α − ∏O` (0 when `∏α = 0`).
//! * Two operands: a summed label present in one operand only is first summed out of it,
//!   billed as that operand's reduction, and the residual contraction is priced.
//! * Three or more operands: summed over opt_einsum's pairwise path ([`super::path`]), each
//!   step the minimum of three counts (per-input groups, the joint group of the merged
//!   operands, and the output-orbit bound), intermediates carrying the symmetry the
//!   subgraph oracle ([`super::oracle`]) derives for them.
//! * The output group: the oracle's group of the whole expression on the output labels
//!   (one operand: the operand's tag restricted to the kept axes).

use std::collections::HashSet;

use super::contraction::{contraction, is_plain, reduce_group, Term};
use super::group::{identity, Perm};
use super::oracle::{oracle, oracle_v, to_output_axes, walk};
use super::path::Step;

/// The price of a contraction and the symmetry of its result.
#[derive(Clone, Debug)]
pub(crate) struct Priced {
    /// The analytic count (before dtype rate and weight); not clamped.
    pub count: u64,
    /// The group the result carries, as permutations of the output axes (`None` = untagged).
    pub output_group: Option<Vec<Perm>>,
}

/// Prices `terms → out` (label sizes in `sizes`, indexed by label id). `steps` is the pairwise
/// path for three or more terms ([`super::path::plan`]); it is ignored otherwise.
pub(crate) fn price(terms: &[Term], out: &[u8], sizes: &[u64], steps: &[Step]) -> Priced {
    let count = match terms.len() {
        0 => 0,
        1 | 2 => contraction(terms, out, sizes),
        _ => walk(terms, out, sizes, steps),
    };
    let output_group = match terms.len() {
        _ if is_plain(terms) => None,
        1 => pathless_output_group(&terms[0], out),
        _ => {
            let all: Vec<usize> = (0..terms.len()).collect();
            oracle(terms, out, &all)
                .output
                .and_then(|g| to_output_axes(&g, &oracle_v(terms, out, &all), out))
        }
    };
    Priced {
        count: count.min(u64::MAX as u128) as u64,
        output_group: output_group.filter(|g| g.len() > 1),
    }
}

/// One operand: its tag restricted to the kept axes, moved to the output positions.
fn pathless_output_group(term: &Term, out: &[u8]) -> Option<Vec<Perm>> {
    let g = term.group.as_ref()?;
    let kept: Vec<usize> = (0..term.labels.len())
        .filter(|&a| out.contains(&term.labels[a]))
        .collect();
    let reduced = if kept.len() == term.labels.len() {
        g.clone()
    } else {
        reduce_group(&term.group, &kept)?
    };
    // Only the axes the group moves are relabelled; two of them on one label void the tag.
    let moved: Vec<usize> = (0..kept.len())
        .filter(|&i| reduced.iter().any(|e| e[i] as usize != i))
        .collect();
    let moved_labels: Vec<u8> = moved.iter().map(|&i| term.labels[kept[i]]).collect();
    let mut distinct = moved_labels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != moved_labels.len() {
        return None;
    }
    let mut seen = HashSet::new();
    let mut res = Vec::new();
    for e in &reduced {
        let mut p = identity(out.len());
        for &i in &moved {
            let from = out.iter().position(|&l| l == term.labels[kept[i]])?;
            let to = out
                .iter()
                .position(|&l| l == term.labels[kept[e[i] as usize]])?;
            p[from] = to as u16;
        }
        if seen.insert(p.clone()) {
            res.push(p);
        }
    }
    (res.len() > 1).then_some(res)
}

#[cfg(test)]
mod tests {
    use super::super::group::young;
    use super::super::path::plan;
    use super::*;

    fn term(labels: &[u8], tagged: bool, class: usize) -> Term {
        Term {
            labels: labels.to_vec(),
            shape: Vec::new(),
            group: tagged.then(|| young(&[(0..labels.len()).collect()], labels.len())),
            class,
        }
    }

    fn count(terms: &[Term], out: &[u8], sizes: &[u64]) -> (u64, bool) {
        let terms: Vec<Term> = terms
            .iter()
            .map(|t| Term {
                shape: t.labels.iter().map(|&l| sizes[l as usize]).collect(),
                ..t.clone()
            })
            .collect();
        let terms = &terms[..];
        let parts: Vec<Vec<u8>> = terms.iter().map(|t| t.labels.clone()).collect();
        let steps = if terms.len() > 2 {
            plan(&parts, out, sizes)
        } else {
            Vec::new()
        };
        let p = price(terms, out, sizes, &steps);
        (p.count, p.output_group.is_some())
    }

    const N10: [u64; 4] = [10, 10, 10, 10];

    #[test]
    fn dense_pairs_follow_the_matmul_rule() {
        let (i, j, k) = (0u8, 1u8, 2u8);
        let sizes = [64, 32, 16];
        let c = count(
            &[term(&[i, j], false, 0), term(&[j, k], false, 1)],
            &[i, k],
            &sizes,
        );
        assert_eq!(c, (64_512, false));
    }

    #[test]
    fn same_object_products_bill_unique_outputs() {
        // S @ S, S tagged 10×10: (2n − 1)·U = 1045, tagged.
        let c = count(
            &[term(&[0, 1], true, 0), term(&[1, 2], true, 0)],
            &[0, 2],
            &N10,
        );
        assert_eq!(c, (1045, true));
        // XᵀX by einsum('ji,jk->ik', X, X), X 100×50: 253725.
        let sizes = [50, 100, 50];
        let c = count(
            &[term(&[1, 0], false, 0), term(&[1, 2], false, 0)],
            &[0, 2],
            &sizes,
        );
        assert_eq!(c, (253_725, true));
        // The same with distinct operands is dense and untagged.
        let c = count(
            &[term(&[1, 0], false, 0), term(&[1, 2], false, 1)],
            &[0, 2],
            &sizes,
        );
        assert_eq!(c, (497_500, false));
    }

    #[test]
    fn tagged_elementwise_forms_match_the_closed_forms() {
        let a = || term(&[0, 1], true, 0);
        let b = || term(&[0, 1], true, 1);
        assert_eq!(count(&[a(), b()], &[0, 1], &N10), (55, true));
        assert_eq!(count(&[a(), b()], &[], &N10), (109, false));
        assert_eq!(count(&[a(), b()], &[0], &N10), (145, false));
        let g = term(&[0, 1], false, 2);
        assert_eq!(count(&[a(), g.clone()], &[], &N10), (199, false));
        assert_eq!(count(&[a(), g], &[0, 1], &N10), (100, false));
    }

    #[test]
    fn single_operand_forms() {
        let a = || term(&[0, 1], true, 0);
        assert_eq!(count(&[a()], &[], &N10), (54, false));
        assert_eq!(count(&[a()], &[0], &N10), (90, false));
        assert_eq!(count(&[a()], &[1, 0], &N10), (0, true));
        assert_eq!(count(&[term(&[0, 0], true, 0)], &[], &N10), (9, false));
        assert_eq!(count(&[term(&[0, 0], true, 0)], &[0], &N10), (0, false));
    }

    #[test]
    fn isolated_summed_labels_are_pre_reduced() {
        // 'ij,jk->' and 'ij,jk->i', 4×4 dense: 12 + 12 + 7 and 12 + 28.
        let n4 = [4, 4, 4];
        let x = || term(&[0, 1], false, 0);
        let y = || term(&[1, 2], false, 1);
        assert_eq!(count(&[x(), y()], &[], &n4).0, 31);
        assert_eq!(count(&[x(), y()], &[0], &n4).0, 40);
    }

    #[test]
    fn three_operand_chains_walk_the_path() {
        let t = |l: &[u8], c| term(l, true, c);
        // einsum('ij,jk,kl->il', A, A, A), same tagged object: 2·1045, tagged.
        let same = [t(&[0, 1], 0), t(&[1, 2], 0), t(&[2, 3], 0)];
        assert_eq!(count(&same, &[0, 3], &N10), (2090, true));
        // Three distinct tagged operands: 2·1900.
        let distinct = [t(&[0, 1], 0), t(&[1, 2], 1), t(&[2, 3], 2)];
        assert_eq!(count(&distinct, &[0, 3], &N10), (3800, false));
        // Dense 32×32 ×3: 2·64512.
        let dense: Vec<Term> = (0..3u8)
            .map(|i| term(&[i, i + 1], false, i as usize))
            .collect();
        assert_eq!(count(&dense, &[0, 3], &[32; 4]), (129_024, false));
    }

    #[test]
    fn empty_index_spaces_cost_nothing() {
        let sizes = [0, 50, 0];
        let c = count(
            &[term(&[0, 1], false, 0), term(&[1, 2], false, 1)],
            &[0, 2],
            &sizes,
        );
        assert_eq!(c.0, 0);
        let sizes = [100, 0, 100];
        let c = count(
            &[term(&[0, 1], false, 0), term(&[1, 2], false, 1)],
            &[0, 2],
            &sizes,
        );
        assert_eq!(c.0, 0);
    }
}
