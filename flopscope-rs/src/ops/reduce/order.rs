//! Reduction kernels in numpy's exact evaluation order, so results match numpy bit for bit.
//!
//! A reduction of a C-contiguous array runs over `outer × n × inner` elements (`n` the reduced
//! axis). numpy's iterator keeps the contiguous axis innermost, which gives two orders:
//! - `inner == 1` (the reduced elements are contiguous: the last axis, or every element): each
//!   lane is summed pairwise (numpy's `pairwise_sum`: 8 running sums over blocks of at most 128
//!   elements, halves split at multiples of 8), starting from the identity `0`.
//! - `inner > 1`: whole rows are added into the output one after another (`out += row`), so
//!   each output element is a plain left-to-right sum, starting from `0`.
//!
//! Maximum, minimum and their indices do not depend on the order; they follow numpy's NaN
//! rules (NaN propagates; the index of the first NaN wins).

/// How a reduction walks a C-contiguous buffer: `outer` blocks, each `n` reduced rows of
/// `inner` elements.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout {
    /// Product of the axes before the reduced one (all-reduce: 1).
    pub outer: usize,
    /// Length of the reduced axis (all-reduce: numel).
    pub n: usize,
    /// Product of the axes after it (all-reduce: 1).
    pub inner: usize,
}

impl Layout {
    /// Number of output elements.
    pub fn numel_out(&self) -> usize {
        self.outer * self.inner
    }
}

/// An element type that sums like numpy's `add`: floats round, integers wrap.
pub(super) trait Summand: Copy + Send + Sync {
    /// The identity numpy starts every sum from.
    const ZERO: Self;
    /// `self + other` in the element type.
    fn plus(self, other: Self) -> Self;
}

impl Summand for f32 {
    const ZERO: f32 = 0.0;
    #[inline(always)]
    fn plus(self, other: f32) -> f32 {
        self + other
    }
}

impl Summand for f64 {
    const ZERO: f64 = 0.0;
    #[inline(always)]
    fn plus(self, other: f64) -> f64 {
        self + other
    }
}

impl Summand for i64 {
    const ZERO: i64 = 0;
    #[inline(always)]
    fn plus(self, other: i64) -> i64 {
        self.wrapping_add(other)
    }
}

/// A float type that the mean and variance kernels compute in.
pub(super) trait Real:
    Summand + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self>
{
    /// `self / count` as numpy's `true_divide(x, intp)` computes it: promoted to f64, divided,
    /// cast back (for f32 that equals a correctly rounded f32 division).
    fn div_count(self, count: usize) -> Self;
    /// Correctly rounded square root.
    fn sqrt(self) -> Self;
}

impl Real for f32 {
    #[inline(always)]
    fn div_count(self, count: usize) -> f32 {
        (self as f64 / count as f64) as f32
    }
    #[inline(always)]
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn div_count(self, count: usize) -> f64 {
        self / count as f64
    }
    #[inline(always)]
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
}

/// numpy's leaf size: lanes of at most this many elements are summed by the unrolled loop.
const PAIRWISE_LEAF: usize = 128;

/// numpy's `pairwise_sum` of `f(v)` over `x` (without the identity numpy adds in front).
#[inline]
fn pairwise<T: Summand>(x: &[T], f: &impl Fn(T) -> T) -> T {
    let n = x.len();
    if n < 8 {
        return x.iter().fold(T::ZERO, |s, &v| s.plus(f(v)));
    }
    if n <= PAIRWISE_LEAF {
        let mut r = [T::ZERO; 8];
        for (rk, &v) in r.iter_mut().zip(&x[..8]) {
            *rk = f(v);
        }
        let blocks = x[8..].chunks_exact(8);
        let rest = blocks.remainder();
        for block in blocks {
            for k in 0..8 {
                r[k] = r[k].plus(f(block[k]));
            }
        }
        let mut s =
            (r[0].plus(r[1]).plus(r[2].plus(r[3]))).plus(r[4].plus(r[5]).plus(r[6].plus(r[7])));
        for &v in rest {
            s = s.plus(f(v));
        }
        return s;
    }
    let half = n / 2;
    let half = half - half % 8;
    pairwise(&x[..half], f).plus(pairwise(&x[half..], f))
}

/// The sum of `f(v)` over each reduced lane, in numpy's order; `f` gets the output index.
fn sum_mapped<T: Summand>(x: &[T], l: Layout, f: impl Fn(usize, T) -> T) -> Vec<T> {
    let mut out = vec![T::ZERO; l.numel_out()];
    if out.is_empty() {
        return out;
    }
    if l.inner == 1 {
        for (o, (acc, lane)) in out.iter_mut().zip(x.chunks_exact(l.n.max(1))).enumerate() {
            *acc = T::ZERO.plus(pairwise(lane, &|v| f(o, v)));
        }
        return out;
    }
    let block = l.n * l.inner;
    for (o, acc) in out.chunks_exact_mut(l.inner).enumerate() {
        let base = o * l.inner;
        for row in x[o * block..(o + 1) * block].chunks_exact(l.inner) {
            for (i, (a, &v)) in acc.iter_mut().zip(row).enumerate() {
                *a = a.plus(f(base + i, v));
            }
        }
    }
    out
}

/// numpy `sum` over the layout's reduced axis.
pub(super) fn sum<T: Summand>(x: &[T], l: Layout) -> Vec<T> {
    sum_mapped(x, l, |_, v| v)
}

/// numpy `mean`: the sum divided by the lane length.
pub(super) fn mean<T: Real>(x: &[T], l: Layout) -> Vec<T> {
    let mut m = sum(x, l);
    for v in &mut m {
        *v = v.div_count(l.n);
    }
    m
}

/// numpy `var` (`ddof = 0`): the mean, then the sum of squared deviations `(x − mean)²` in
/// the same order, divided by the lane length.
pub(super) fn var<T: Real>(x: &[T], l: Layout) -> Vec<T> {
    let m = mean(x, l);
    let mut v = sum_mapped(x, l, |o, v| {
        let d = v - m[o];
        d * d
    });
    for s in &mut v {
        *s = s.div_count(l.n);
    }
    v
}

/// numpy `std` (`ddof = 0`): the square root of [`var`].
pub(super) fn std<T: Real>(x: &[T], l: Layout) -> Vec<T> {
    let mut v = var(x, l);
    for s in &mut v {
        *s = s.sqrt();
    }
    v
}

/// An element type with numpy's ordering for `max`, `min`, `argmax` and `argmin`.
pub(super) trait Ordered: Copy + PartialOrd + Send + Sync {
    /// Whether the value is NaN (never, for integers and booleans).
    fn is_nan(self) -> bool;
}

impl Ordered for f32 {
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl Ordered for f64 {
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

impl Ordered for i64 {
    #[inline(always)]
    fn is_nan(self) -> bool {
        false
    }
}

impl Ordered for bool {
    #[inline(always)]
    fn is_nan(self) -> bool {
        false
    }
}

/// numpy `maximum` (`greater`) or `minimum` of two values: NaN propagates.
#[inline(always)]
fn pick<T: Ordered>(acc: T, v: T, greater: bool) -> T {
    let keep = if greater { acc >= v } else { acc <= v };
    if keep || acc.is_nan() {
        acc
    } else {
        v
    }
}

/// The extreme of one non-empty contiguous lane, with 8 independent running values so the
/// loop vectorises.
fn lane_extreme<T: Ordered>(lane: &[T], greater: bool) -> T {
    let mut r = [lane[0]; 8];
    let blocks = lane.chunks_exact(8);
    let rest = blocks.remainder();
    for block in blocks {
        for k in 0..8 {
            r[k] = pick(r[k], block[k], greater);
        }
    }
    let mut e = r.iter().fold(r[0], |a, &b| pick(a, b, greater));
    for &v in rest {
        e = pick(e, v, greater);
    }
    e
}

/// numpy `max` (`greater`) or `min` over the layout's reduced axis (`n ≥ 1`).
pub(super) fn extreme<T: Ordered>(x: &[T], l: Layout, greater: bool) -> Vec<T> {
    if l.numel_out() == 0 {
        return Vec::new();
    }
    if l.inner == 1 {
        return x
            .chunks_exact(l.n)
            .map(|lane| lane_extreme(lane, greater))
            .collect();
    }
    let block = l.n * l.inner;
    let mut out = Vec::with_capacity(l.numel_out());
    for o in 0..l.outer {
        let rows = &x[o * block..(o + 1) * block];
        let mut acc = rows[..l.inner].to_vec();
        for row in rows[l.inner..].chunks_exact(l.inner) {
            for (a, &v) in acc.iter_mut().zip(row) {
                *a = pick(*a, v, greater);
            }
        }
        out.extend(acc);
    }
    out
}

/// numpy `argmax` (`greater`) or `argmin` over the layout's reduced axis (`n ≥ 1`): the index
/// of the first extreme, or of the first NaN if there is one.
pub(super) fn arg_extreme<T: Ordered>(x: &[T], l: Layout, greater: bool) -> Vec<i64> {
    if l.numel_out() == 0 {
        return Vec::new();
    }
    if l.inner == 1 {
        return x
            .chunks_exact(l.n)
            .map(|lane| {
                let e = lane_extreme(lane, greater);
                let hit = if e.is_nan() {
                    lane.iter().position(|v| v.is_nan())
                } else {
                    lane.iter().position(|&v| v == e)
                };
                hit.unwrap_or(0) as i64
            })
            .collect();
    }
    let block = l.n * l.inner;
    let mut out = Vec::with_capacity(l.numel_out());
    for o in 0..l.outer {
        let rows = &x[o * block..(o + 1) * block];
        let mut best = rows[..l.inner].to_vec();
        let mut idx = vec![0i64; l.inner];
        for (k, row) in rows.chunks_exact(l.inner).enumerate().skip(1) {
            for ((b, i), &v) in best.iter_mut().zip(&mut idx).zip(row) {
                let beats = if greater { v > *b } else { v < *b };
                if !b.is_nan() && (beats || v.is_nan()) {
                    *b = v;
                    *i = k as i64;
                }
            }
        }
        out.extend(idx);
    }
    out
}
