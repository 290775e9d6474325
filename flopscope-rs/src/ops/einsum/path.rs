//! The pairwise contraction order flopscope walks for 3+ operands: opt_einsum 3.4's
//! `contract_path(..., optimize="auto")` (`optimal` up to 4 operands, branch-and-bound with
//! 2 branches / 1 branch up to 14), and the step subscripts it derives.
//!
//! Label sets are bitmasks over label ids (at most 64 labels).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// One pairwise contraction of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// Positions in the current operand list, highest first (the order they are popped).
    pub positions: Vec<usize>,
    /// The step's input subscripts, in `positions` order.
    pub inputs: Vec<Vec<u8>>,
    /// The step's output subscript (the einsum's output for the last step).
    pub result: Vec<u8>,
}

fn mask(labels: &[u8]) -> u64 {
    labels.iter().fold(0, |m, &l| m | (1u64 << l))
}

fn size_of(m: u64, sizes: &[u64]) -> u128 {
    (0..64)
        .filter(|b| m & (1u64 << b) != 0)
        .fold(1u128, |a, b| a.saturating_mul(sizes[b] as u128))
}

/// opt_einsum's `calc_k12_flops`: the result indices and cost of contracting `i` with `j`.
fn k12_flops(
    inputs: &[u64],
    output: u64,
    remaining: &[usize],
    i: usize,
    j: usize,
    sizes: &[u64],
) -> (u64, u128) {
    let (k1, k2) = (inputs[i], inputs[j]);
    let either = k1 | k2;
    let shared = k1 & k2;
    let keep = remaining
        .iter()
        .filter(|&&r| r != i && r != j)
        .fold(output, |m, &r| m | inputs[r]);
    let k12 = either & keep;
    let factor = if shared & !keep != 0 { 2 } else { 1 };
    (k12, size_of(either, sizes).saturating_mul(factor))
}

fn without(remaining: &[usize], i: usize, j: usize, add: usize) -> Vec<usize> {
    let mut r: Vec<usize> = remaining
        .iter()
        .copied()
        .filter(|&x| x != i && x != j)
        .collect();
    r.push(add);
    r.sort_unstable();
    r
}

fn pairs(remaining: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for a in 0..remaining.len() {
        for b in a + 1..remaining.len() {
            out.push((remaining[a], remaining[b]));
        }
    }
    out
}

/// opt_einsum's `optimal`: exhaustive depth-first search, first strictly cheapest path wins.
fn optimal(inputs: Vec<u64>, output: u64, sizes: &[u64]) -> Vec<(usize, usize)> {
    struct Search<'a> {
        output: u64,
        sizes: &'a [u64],
        best_flops: u128,
        best_path: Vec<(usize, usize)>,
        cache: HashMap<(u64, u64), (u64, u128)>,
    }
    fn iterate(
        s: &mut Search<'_>,
        path: &mut Vec<(usize, usize)>,
        inputs: &mut Vec<u64>,
        remaining: &[usize],
        flops: u128,
    ) {
        if remaining.len() == 1 {
            s.best_flops = flops;
            s.best_path = path.clone();
            return;
        }
        for (i, j) in pairs(remaining) {
            let key = (inputs[i], inputs[j]);
            let (k12, f12) = match s.cache.get(&key) {
                Some(&v) => v,
                None => {
                    let v = k12_flops(inputs, s.output, remaining, i, j, s.sizes);
                    s.cache.insert(key, v);
                    v
                }
            };
            let new_flops = flops.saturating_add(f12);
            if new_flops >= s.best_flops {
                continue;
            }
            path.push((i, j));
            inputs.push(k12);
            let rem = without(remaining, i, j, inputs.len() - 1);
            iterate(s, path, inputs, &rem, new_flops);
            inputs.pop();
            path.pop();
        }
    }
    let n = inputs.len();
    let mut s = Search {
        output,
        sizes,
        best_flops: u128::MAX,
        best_path: Vec::new(),
        cache: HashMap::new(),
    };
    let remaining: Vec<usize> = (0..n).collect();
    iterate(&mut s, &mut Vec::new(), &mut inputs.clone(), &remaining, 0);
    s.best_path
}

/// A branch-and-bound candidate, ordered like opt_einsum's heap tuples.
#[derive(PartialEq, Eq)]
struct Candidate {
    cost: i128,
    flops12: u128,
    new_flops: u128,
    new_size: u128,
    pair: (usize, usize),
    k12: u64,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, heapq a min-heap.
        (
            other.cost,
            other.flops12,
            other.new_flops,
            other.new_size,
            other.pair,
        )
            .cmp(&(
                self.cost,
                self.flops12,
                self.new_flops,
                self.new_size,
                self.pair,
            ))
    }
}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// opt_einsum's `BranchBound` (minimize flops, cutoff factor 4, memory-removed heuristic).
fn branch(inputs: Vec<u64>, output: u64, sizes: &[u64], nbranch: usize) -> Vec<(usize, usize)> {
    struct Search<'a> {
        output: u64,
        sizes: &'a [u64],
        nbranch: usize,
        best_flops: u128,
        best_size: u128,
        best_path: Vec<(usize, usize)>,
        best_progress: HashMap<usize, u128>,
        cache: HashMap<(u64, u64), (u64, u128)>,
    }
    fn iterate(
        s: &mut Search<'_>,
        path: &mut Vec<(usize, usize)>,
        inputs: &mut Vec<u64>,
        remaining: &[usize],
        flops: u128,
        size: u128,
    ) {
        if remaining.len() == 1 {
            s.best_size = size;
            s.best_flops = flops;
            s.best_path = path.clone();
            return;
        }
        let assess = |s: &mut Search<'_>, inputs: &[u64], i: usize, j: usize| {
            let key = (inputs[i], inputs[j]);
            let (k12, flops12) = match s.cache.get(&key) {
                Some(&v) => v,
                None => {
                    let v = k12_flops(inputs, s.output, remaining, i, j, s.sizes);
                    s.cache.insert(key, v);
                    v
                }
            };
            let size12 = size_of(k12, s.sizes);
            let new_flops = flops.saturating_add(flops12);
            let new_size = size.max(size12);
            if (new_flops, new_size) >= (s.best_flops, s.best_size) {
                return None;
            }
            let progress = s.best_progress.entry(inputs.len()).or_insert(u128::MAX);
            if new_flops < *progress {
                *progress = new_flops;
            } else if *progress != u128::MAX && new_flops > progress.saturating_mul(4) {
                return None;
            }
            let cost = size12 as i128
                - size_of(inputs[i], s.sizes) as i128
                - size_of(inputs[j], s.sizes) as i128;
            Some(Candidate {
                cost,
                flops12,
                new_flops,
                new_size,
                pair: (i, j),
                k12,
            })
        };
        let mut heap = BinaryHeap::new();
        for (i, j) in pairs(remaining) {
            if inputs[i] & inputs[j] == 0 {
                continue;
            }
            if let Some(c) = assess(s, inputs, i, j) {
                heap.push(c);
            }
        }
        if heap.is_empty() {
            for (i, j) in pairs(remaining) {
                if let Some(c) = assess(s, inputs, i, j) {
                    heap.push(c);
                }
            }
        }
        let mut taken = 0;
        while taken < s.nbranch {
            let Some(c) = heap.pop() else { break };
            path.push(c.pair);
            inputs.push(c.k12);
            let rem = without(remaining, c.pair.0, c.pair.1, inputs.len() - 1);
            iterate(s, path, inputs, &rem, c.new_flops, c.new_size);
            inputs.pop();
            path.pop();
            taken += 1;
        }
    }
    let n = inputs.len();
    let mut s = Search {
        output,
        sizes,
        nbranch,
        best_flops: u128::MAX,
        best_size: u128::MAX,
        best_path: Vec::new(),
        best_progress: HashMap::new(),
        cache: HashMap::new(),
    };
    let remaining: Vec<usize> = (0..n).collect();
    iterate(
        &mut s,
        &mut Vec::new(),
        &mut inputs.clone(),
        &remaining,
        0,
        0,
    );
    s.best_path
}

/// opt_einsum's `ssa_to_linear`: SSA ids to positions in the shrinking operand list.
fn ssa_to_linear(ssa: &[(usize, usize)], n: usize) -> Vec<Vec<usize>> {
    let mut ids: Vec<usize> = (0..n).collect();
    let mut out = Vec::new();
    for (next, &(a, b)) in (n..).zip(ssa) {
        let mut con: Vec<usize> = [a, b]
            .iter()
            .map(|s| ids.partition_point(|&x| x < *s))
            .collect();
        con.sort_unstable();
        for &j in con.iter().rev() {
            ids.remove(j);
        }
        ids.push(next);
        out.push(con);
    }
    out
}

/// The pairwise contraction steps flopscope prices (and this port executes) for an einsum
/// with `parts.len() ≥ 3` operands: opt_einsum `"auto"` (`optimal` for ≤ 4 operands,
/// `branch-all` for 5–6, `branch-2` for 7–8, `branch-1` beyond — opt_einsum uses `greedy`
/// from 15 operands on, whose tie-breaking depends on Python's hash seed).
pub(crate) fn plan(parts: &[Vec<u8>], output: &[u8], sizes: &[u64]) -> Vec<Step> {
    let n = parts.len();
    let sets: Vec<u64> = parts.iter().map(|p| mask(p)).collect();
    let out_mask = mask(output);
    let ssa = match n {
        0..=2 => vec![(0, 1)],
        3..=4 => optimal(sets, out_mask, sizes),
        5..=6 => branch(sets, out_mask, sizes, usize::MAX),
        7..=8 => branch(sets, out_mask, sizes, 2),
        _ => branch(sets, out_mask, sizes, 1),
    };
    let linear = if n <= 2 {
        vec![(0..n).collect()]
    } else {
        ssa_to_linear(&ssa, n)
    };
    let mut current: Vec<Vec<u8>> = parts.to_vec();
    let mut steps = Vec::with_capacity(linear.len());
    let last = linear.len().saturating_sub(1);
    for (s, con) in linear.into_iter().enumerate() {
        let mut positions = con;
        positions.sort_unstable_by(|a, b| b.cmp(a));
        let inputs: Vec<Vec<u8>> = positions.iter().map(|&p| current.remove(p)).collect();
        let result = if s == last {
            output.to_vec()
        } else {
            let contracted = inputs.iter().fold(0u64, |m, p| m | mask(p));
            let remain = current.iter().fold(out_mask, |m, p| m | mask(p));
            let keep = contracted & remain;
            let all: Vec<u8> = inputs.concat();
            let mut labels: Vec<u8> = (0..64u8).filter(|&l| keep & (1u64 << l) != 0).collect();
            labels.sort_by_key(|l| all.iter().position(|x| x == l));
            labels
        };
        current.push(result.clone());
        steps.push(Step {
            positions,
            inputs,
            result,
        });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_of_three_contracts_the_cheap_pair_first() {
        // 'ij,jk,kl->il' with i=2, j=2, k=5, l=2: opt_einsum gives [(1, 2), (0, 1)] with
        // steps 'kl,jk->lj' and 'lj,ij->il'.
        let parts = vec![vec![0, 1], vec![1, 2], vec![2, 3]];
        let sizes = vec![2, 2, 5, 2];
        let steps = plan(&parts, &[0, 3], &sizes);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].positions, vec![2, 1]);
        assert_eq!(steps[0].inputs, vec![vec![2, 3], vec![1, 2]]);
        assert_eq!(steps[0].result, vec![3, 1]);
        assert_eq!(steps[1].positions, vec![1, 0]);
        assert_eq!(steps[1].inputs, vec![vec![3, 1], vec![0, 1]]);
        assert_eq!(steps[1].result, vec![0, 3]);
    }

    #[test]
    fn optimal_matches_opt_einsums_docstring_example() {
        // isets = [abd, ac, bdc], output '', sizes a=1 b=2 c=3 d=4 → [(0, 2), (0, 1)].
        let parts = vec![vec![0, 1, 3], vec![0, 2], vec![1, 3, 2]];
        let sizes = vec![1, 2, 3, 4];
        let steps = plan(&parts, &[], &sizes);
        assert_eq!(steps[0].positions, vec![2, 0]);
        assert_eq!(steps[1].positions, vec![1, 0]);
    }

    #[test]
    fn ssa_ids_become_shrinking_positions() {
        assert_eq!(
            ssa_to_linear(&[(0, 3), (2, 4), (1, 5)], 4),
            vec![vec![0, 3], vec![1, 2], vec![0, 1]]
        );
    }
}
