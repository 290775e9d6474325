//! flopscope's symmetry tags (Young groups over axes) and the element counts they bill.
//!
//! A tag partitions some axes of a tensor into *blocks*; the tensor is claimed invariant under
//! every permutation of the axes inside a block (all of equal extent). Billing then counts the
//! `U` unique elements (orbits) instead of `numel`: `∏_blocks C(n + k − 1, k)` times the extents
//! of the untagged axes. Rules: `flopscope-rs/docs/flopscope-0.12.4-cost-probes.md` §1.

use crate::shape::{Shape, MAX_NDIM};

/// A Young-group symmetry tag: `block[axis]` is 0 for an untagged axis, else a block id ≥ 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Symmetry {
    block: [u8; MAX_NDIM],
}

impl Symmetry {
    /// No tag.
    pub const NONE: Symmetry = Symmetry {
        block: [0; MAX_NDIM],
    };

    /// The tag `zeros`/`ones`/`full` infer from a shape: axes of equal extent form one block
    /// (only groups of ≥ 2 axes count).
    pub fn from_shape(shape: &Shape) -> Symmetry {
        let mut s = Symmetry::NONE;
        let mut next = 1u8;
        for ax in 0..shape.ndim() {
            if s.block[ax] != 0 {
                continue;
            }
            let peers: Vec<usize> = (ax + 1..shape.ndim())
                .filter(|&b| shape[b] == shape[ax] && s.block[b] == 0)
                .collect();
            if !peers.is_empty() {
                s.block[ax] = next;
                for b in peers {
                    s.block[b] = next;
                }
                next += 1;
            }
        }
        s
    }

    /// Symmetric in axes (0, 1) of a 2-D tensor (`eye`, `diag(v)`, `outer(x, x)`).
    pub fn matrix() -> Symmetry {
        let mut s = Symmetry::NONE;
        s.block[0] = 1;
        s.block[1] = 1;
        s
    }

    /// Whether any block exists.
    pub fn is_tagged(&self) -> bool {
        self.block.iter().any(|&b| b != 0)
    }

    /// The block id of `axis` (0 = untagged).
    pub fn block_of(&self, axis: usize) -> u8 {
        self.block[axis]
    }

    /// Number of unique elements `U` of a tensor of `shape` carrying this tag.
    pub fn unique(&self, shape: &Shape) -> u64 {
        if !self.is_tagged() {
            return shape.numel() as u64;
        }
        let mut total: u128 = 1;
        let mut seen = [false; 256];
        for ax in 0..shape.ndim() {
            let b = self.block[ax];
            if b == 0 {
                total = total.saturating_mul(shape[ax] as u128);
                continue;
            }
            if seen[b as usize] {
                continue;
            }
            seen[b as usize] = true;
            let k = (0..shape.ndim()).filter(|&x| self.block[x] == b).count() as u128;
            let n = shape[ax] as u128;
            let mut c: u128 = 1;
            for i in 0..k {
                c = c * (n + i) / (i + 1);
            }
            total = total.saturating_mul(c);
        }
        total.min(u64::MAX as u128) as u64
    }

    /// Drops blocks that have fewer than two axes left and renumbers the rest.
    fn normalized(mut self, ndim: usize) -> Symmetry {
        for ax in ndim..MAX_NDIM {
            self.block[ax] = 0;
        }
        let mut map = [0u8; 256];
        let mut next = 1u8;
        for ax in 0..ndim {
            let b = self.block[ax];
            if b == 0 {
                continue;
            }
            let count = (0..ndim).filter(|&x| self.block[x] == b).count();
            if count < 2 {
                continue;
            }
            if map[b as usize] == 0 {
                map[b as usize] = next;
                next += 1;
            }
        }
        for ax in 0..ndim {
            self.block[ax] = map[self.block[ax] as usize];
        }
        self
    }

    /// The tag of the tensor with axes reordered by `perm` (`out axis i = in axis perm[i]`).
    pub fn permuted(&self, perm: &[usize]) -> Symmetry {
        let mut s = Symmetry::NONE;
        for (i, &p) in perm.iter().enumerate() {
            s.block[i] = self.block[p];
        }
        s.normalized(perm.len())
    }

    /// The tag of an operand of rank `ndim` broadcast to rank `out_ndim` (axes shift right).
    pub fn broadcast_to(&self, ndim: usize, out_ndim: usize) -> Symmetry {
        let mut s = Symmetry::NONE;
        let off = out_ndim - ndim;
        for ax in 0..ndim {
            s.block[ax + off] = self.block[ax];
        }
        s
    }

    /// The tag of a single-axis reduction's result (flopscope's `reduce_group`): the subgroup
    /// that fixes the kept axes is the tag with `axis` taken out of its block, restricted to the
    /// kept axes (`axis` stays, untagged, with `keepdims`; else the axes after it shift left).
    /// `ndim` is the input's rank.
    pub fn reduced(&self, axis: usize, ndim: usize, keepdims: bool) -> Symmetry {
        let mut s = *self;
        s.block[axis] = 0;
        if keepdims {
            return s.normalized(ndim);
        }
        s.block.copy_within(axis + 1..ndim, axis);
        s.normalized(ndim - 1)
    }

    /// The intersection of two tags on the same axes: axes share a block only if they share
    /// one in both.
    pub fn meet(&self, other: &Symmetry, ndim: usize) -> Symmetry {
        let mut s = Symmetry::NONE;
        let mut pairs: Vec<(u8, u8)> = Vec::new();
        for ax in 0..ndim {
            let key = (self.block[ax], other.block[ax]);
            if key.0 == 0 || key.1 == 0 {
                continue;
            }
            let id = match pairs.iter().position(|p| *p == key) {
                Some(i) => i,
                None => {
                    pairs.push(key);
                    pairs.len() - 1
                }
            };
            s.block[ax] = (id + 1) as u8;
        }
        s.normalized(ndim)
    }
}

/// flopscope's pointwise rule for the output tag of an elementwise op.
///
/// 0-d operands are ignored; if any other operand is untagged the output is untagged; else the
/// operands' tags, broadcast to the output rank, are intersected.
pub(crate) fn pointwise(out: &Shape, operands: &[(Shape, Symmetry)]) -> Symmetry {
    let mut acc: Option<Symmetry> = None;
    for (shape, sym) in operands {
        if shape.ndim() == 0 {
            continue;
        }
        if !sym.is_tagged() {
            return Symmetry::NONE;
        }
        let b = sym.broadcast_to(shape.ndim(), out.ndim());
        acc = Some(match acc {
            None => b.normalized(out.ndim()),
            Some(a) => a.meet(&b, out.ndim()),
        });
    }
    acc.unwrap_or(Symmetry::NONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_counts_match_the_probes() {
        let u = |d: &[usize]| Symmetry::from_shape(&Shape::new(d)).unique(&Shape::new(d));
        assert_eq!(u(&[10, 10]), 55);
        assert_eq!(u(&[4, 4, 4]), 20);
        assert_eq!(u(&[5, 5, 5, 5]), 70);
        assert_eq!(u(&[3, 4, 3]), 24);
        assert_eq!(u(&[3, 10, 10]), 165);
        assert_eq!(u(&[2, 2, 3, 3]), 18);
        assert_eq!(u(&[3, 4]), 12);
        assert_eq!(u(&[1, 1]), 1);
    }

    #[test]
    fn a_reduced_axis_leaves_its_block_and_the_rest_shift() {
        let s3 = Symmetry::from_shape(&Shape::new(&[3, 3, 3]));
        let s2 = Symmetry::from_shape(&Shape::new(&[3, 3]));
        assert_eq!(s3.reduced(0, 3, false), s2);
        assert_eq!(s3.reduced(2, 3, false), s2);
        let kept = s3.reduced(1, 3, true);
        assert_eq!(
            (kept.block_of(0), kept.block_of(1), kept.block_of(2)),
            (1, 0, 1)
        );
        // A block left with one axis is no tag; an untagged axis leaves the tag as it was.
        assert!(!s2.reduced(0, 2, false).is_tagged());
        let outer = Symmetry::from_shape(&Shape::new(&[3, 4, 3]));
        let r = outer.reduced(1, 3, false);
        assert_eq!((r.block_of(0), r.block_of(1)), (1, 1));
    }

    #[test]
    fn untagged_operand_makes_the_output_dense() {
        let out = Shape::new(&[10, 10]);
        let tagged = Symmetry::from_shape(&out);
        assert!(pointwise(&out, &[(out, tagged), (Shape::SCALAR, Symmetry::NONE)]).is_tagged());
        assert!(
            !pointwise(&out, &[(out, tagged), (Shape::new(&[10]), Symmetry::NONE)]).is_tagged()
        );
        let big = Shape::new(&[3, 10, 10]);
        let s = pointwise(&big, &[(out, tagged), (big, Symmetry::from_shape(&big))]);
        assert_eq!(s.unique(&big), 165);
    }
}
