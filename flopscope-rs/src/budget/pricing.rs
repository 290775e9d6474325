//! The pricing table: how an op's analytic count becomes the FLOPs it is charged.
//!
//! Every counted op prices its call here and nowhere else; the charge step
//! ([`super::counted`]) accepts only a [`Price`], and a `Price` can only be made by the rules
//! below. Each rule is flopscope 0.12.4's:
//!
//! | rule | FLOPs | used by |
//! |---|---|---|
//! | [`clamped`] | `max(count, 1) × rate × weight` (0 for a weight-0 op) | elementwise, `sum`/`max`/`min`/`argmax`/`argmin`, `copy`, movement, sorting, random draws but `uniform` |
//! | [`exact`] | `count × rate × weight` (a 0 count bills 0) | contractions, `take`, fancy indexing, `diag`, `trace`, `fill_diagonal`, linalg; creation ops and `astype`, `mean`/`var`/`std`, `clip`, `uniform` (each with flopscope's own minimum, if any, in its count) |
//! | [`per_element`] | `per × max(numel, 1) × rate × weight` | `stats.norm.*` |
//!
//! `rate` is the billing dtype's ([`DType::rate`]: 1 for 32-bit and bool, 2 for 64-bit) and
//! `weight` the op's tier in the op table ([`Op::weight`]). What the *count* of an op is (its
//! analytic formula: `numel`, `(2k − 1)·m·n`, `⌊2n³/3⌋ + n`, …) is documented on the op
//! itself (the linalg counts all live in `linalg/counts.rs`); the per-element counts of the
//! distribution functions are the constants here.
//! All products saturate at `u64::MAX` instead of overflowing.

use super::op::Op;
use crate::dtype::DType;

/// FLOPs per element of `stats.norm.pdf` (before the `float64` rate).
pub(crate) const NORM_PDF_PER_ELEMENT: u64 = 27;
/// FLOPs per element of `stats.norm.cdf` (before the `float64` rate).
pub(crate) const NORM_CDF_PER_ELEMENT: u64 = 48;
/// FLOPs per element of `stats.norm.ppf` (before the `float64` rate).
pub(crate) const NORM_PPF_PER_ELEMENT: u64 = 83;

/// One priced call of an op: the op and the FLOPs it costs. Made only by the rules of this
/// module; handed to [`super::counted`] to charge it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Price {
    op: Op,
    flops: u64,
}

impl Price {
    /// The op this price is for.
    #[inline]
    pub(crate) const fn op(self) -> Op {
        self.op
    }

    /// The FLOPs charged.
    #[inline]
    pub(crate) const fn flops(self) -> u64 {
        self.flops
    }
}

/// `max(count, 1) × rate × weight`, or 0 for a free (weight-0) op.
#[inline]
pub(crate) const fn clamped(op: Op, count: u64, billing: DType) -> Price {
    let w = op.weight();
    let flops = if w == 0 {
        0
    } else {
        let count = if count == 0 { 1 } else { count };
        count.saturating_mul(billing.rate()).saturating_mul(w)
    };
    Price { op, flops }
}

/// `count × rate × weight`, with no minimum (a 0 count bills 0).
#[inline]
pub(crate) const fn exact(op: Op, count: u64, billing: DType) -> Price {
    let flops = count
        .saturating_mul(billing.rate())
        .saturating_mul(op.weight());
    Price { op, flops }
}

/// `per × max(numel, 1) × rate × weight`: a fixed count per output element.
#[inline]
pub(crate) const fn per_element(op: Op, per: u64, numel: usize, billing: DType) -> Price {
    let numel = if numel == 0 { 1 } else { numel as u64 };
    exact(op, per.saturating_mul(numel), billing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamped_bills_at_least_one_element_unless_the_op_is_free() {
        assert_eq!(clamped(Op::Add, 0, DType::F64).flops(), 2);
        assert_eq!(clamped(Op::Exp, 10, DType::F32).flops(), 160);
        assert_eq!(clamped(Op::Transpose, 10, DType::F64).flops(), 0);
        assert_eq!(clamped(Op::Zeros, 0, DType::F32).flops(), 0);
    }

    #[test]
    fn exact_bills_zero_for_an_empty_count() {
        assert_eq!(exact(Op::Take, 0, DType::F64).flops(), 0);
        assert_eq!(exact(Op::Take, 3, DType::F64).flops(), 24);
    }

    #[test]
    fn per_element_prices_follow_the_distribution_counts() {
        let p = per_element(Op::NormCdf, NORM_CDF_PER_ELEMENT, 0, DType::F64);
        assert_eq!((p.op(), p.flops()), (Op::NormCdf, 96));
        assert_eq!(
            per_element(Op::NormPpf, NORM_PPF_PER_ELEMENT, 5, DType::F64).flops(),
            830
        );
    }

    #[test]
    fn prices_saturate_instead_of_overflowing() {
        assert_eq!(exact(Op::Exp, u64::MAX / 2, DType::F64).flops(), u64::MAX);
    }
}
