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
//!
//! Large reductions (at least [`PARALLEL_MIN`] elements) run on every thread of the kernel
//! pool, split by output elements (lanes, or whole outer blocks), each computed exactly as
//! above, so the result does not depend on the thread count.

use rayon::prelude::*;

use crate::cpu_time::{in_kernel_pool, kernel_pool};
use crate::kernels::transcendental::{on_best_path, PathLoop};

/// Reductions over at least this many elements run on the kernel pool.
const PARALLEL_MIN: usize = 1 << 18;

/// Whether a reduction of this layout runs on the kernel pool (and there is more than one
/// thread to run it on).
fn parallel(l: Layout) -> bool {
    l.outer.saturating_mul(l.n).saturating_mul(l.inner) >= PARALLEL_MIN
        && kernel_pool().current_num_threads() > 1
}

/// Outputs per task when a reduction of `count` outputs is split: one task per thread, a
/// multiple of 16 outputs.
fn piece(count: usize) -> usize {
    let threads = kernel_pool().current_num_threads().max(1);
    count.div_ceil(threads).div_ceil(16).max(1) * 16
}

/// Runs `lanes(first, out)` for pieces of `out` (output element `first + k` in `out[k]`),
/// on the kernel pool when `par`, else in one call.
fn by_pieces<U: Send>(par: bool, out: &mut [U], lanes: impl Fn(usize, &mut [U]) + Sync) {
    if par && out.len() > 1 {
        let len = piece(out.len());
        in_kernel_pool(|| {
            out.par_chunks_mut(len)
                .enumerate()
                .for_each(|(c, o)| lanes(c * len, o));
        });
    } else {
        lanes(0, out);
    }
}

/// Runs `columns(o, acc)` for each outer block `o` (its `inner` outputs in `acc`), the
/// blocks spread over the kernel pool when `par` and there are several. (Splitting one
/// block's columns between threads measured slower than one thread on the dev VM: each
/// thread then reads every other piece of every row.)
fn by_blocks<U: Send>(
    par: bool,
    l: Layout,
    out: &mut [U],
    columns: impl Fn(usize, &mut [U]) + Sync,
) {
    if par && l.outer > 1 {
        in_kernel_pool(|| {
            out.par_chunks_mut(l.inner)
                .enumerate()
                .for_each(|(o, acc)| columns(o, acc));
        });
    } else {
        for (o, acc) in out.chunks_mut(l.inner).enumerate() {
            columns(o, acc);
        }
    }
}

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

/// What a reduction adds up for each element `v` of output `o`'s lane: `v` itself, or its
/// squared deviation from `center[o]`.
trait Term<T>: Copy + Sync {
    /// Whether the term reads a center.
    const CENTERED: bool;
    /// The term of `v` given its lane's center `c` (ignored unless [`Self::CENTERED`]).
    fn term(v: T, c: T) -> T;
}

/// `v`.
#[derive(Clone, Copy)]
struct Plain;

impl<T: Summand> Term<T> for Plain {
    const CENTERED: bool = false;
    #[inline(always)]
    fn term(v: T, _c: T) -> T {
        v
    }
}

/// `(v − c)²`.
#[derive(Clone, Copy)]
struct SquaredDeviation;

impl<T: Real> Term<T> for SquaredDeviation {
    const CENTERED: bool = true;
    #[inline(always)]
    fn term(v: T, c: T) -> T {
        let d = v - c;
        d * d
    }
}

/// The sum of `K`'s terms over each reduced lane, in numpy's order; `center` holds one value
/// per output when `K` is centered (else it is not read).
fn sum_terms<T: Summand, K: Term<T>>(x: &[T], l: Layout, center: &[T]) -> Vec<T> {
    let mut out = vec![T::ZERO; l.numel_out()];
    if out.is_empty() {
        return out;
    }
    let at = |o: usize| if K::CENTERED { center[o] } else { T::ZERO };
    let par = parallel(l);
    if l.inner == 1 {
        let n = l.n.max(1);
        by_pieces(par, &mut out, |first, accs| {
            let lanes = x[first * n..].chunks_exact(n);
            for (k, (acc, lane)) in accs.iter_mut().zip(lanes).enumerate() {
                let c = at(first + k);
                *acc = T::ZERO.plus(pairwise(lane, &|v| K::term(v, c)));
            }
        });
        return out;
    }
    let block = l.n * l.inner;
    by_blocks(par, l, &mut out, |o, acc| {
        let outs = o * l.inner..(o + 1) * l.inner;
        on_best_path(AddRows {
            acc,
            rows: &x[o * block..(o + 1) * block],
            center: if K::CENTERED { &center[outs] } else { &[] },
            term: std::marker::PhantomData::<K>,
        });
    });
    out
}

/// numpy `sum` over the layout's reduced axis.
pub(super) fn sum<T: Summand>(x: &[T], l: Layout) -> Vec<T> {
    sum_terms::<T, Plain>(x, l, &[])
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
    let mut v = sum_terms::<T, SquaredDeviation>(x, l, &m);
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
    let par = parallel(l);
    // Every output starts as the first element of its lane (overwritten below).
    let mut out = vec![x[0]; l.numel_out()];
    if l.inner == 1 {
        by_pieces(par, &mut out, |first, outs| {
            for (e, lane) in outs.iter_mut().zip(x[first * l.n..].chunks_exact(l.n)) {
                *e = lane_extreme(lane, greater);
            }
        });
        return out;
    }
    let block = l.n * l.inner;
    by_blocks(par, l, &mut out, |o, acc| {
        let rows = &x[o * block..(o + 1) * block];
        acc.copy_from_slice(&rows[..l.inner]);
        // One loop per direction, so each vectorises as a compare and a blend.
        let rows = &rows[l.inner..];
        if greater {
            on_best_path(FoldRows {
                acc,
                rows,
                step: |a, v| pick(a, v, true),
            });
        } else {
            on_best_path(FoldRows {
                acc,
                rows,
                step: |a, v| pick(a, v, false),
            });
        }
    });
    out
}

/// `acc[i] = acc[i] + K::term(row[i], center[i])` for each row of `rows` (rows of `acc.len()`
/// elements), in row order: numpy's order along a non-contiguous axis. `center` is empty for
/// a term that reads none.
struct AddRows<'a, T, K> {
    acc: &'a mut [T],
    rows: &'a [T],
    center: &'a [T],
    term: std::marker::PhantomData<K>,
}

impl<T: Summand, K: Term<T>> PathLoop for AddRows<'_, T, K> {
    type Out = ();
    #[inline(always)]
    fn run(self) {
        let term = K::term;
        for row in self.rows.chunks_exact(self.acc.len()) {
            if self.center.is_empty() {
                for (a, &v) in self.acc.iter_mut().zip(row) {
                    *a = a.plus(term(v, T::ZERO));
                }
            } else {
                for ((a, &v), &c) in self.acc.iter_mut().zip(row).zip(self.center) {
                    *a = a.plus(term(v, c));
                }
            }
        }
    }
}

/// `acc[i] = step(acc[i], row[i])` for each row of `rows` (rows of `acc.len()` elements), in
/// row order.
struct FoldRows<'a, T, S> {
    acc: &'a mut [T],
    rows: &'a [T],
    step: S,
}

impl<T: Copy, S: Fn(T, T) -> T> PathLoop for FoldRows<'_, T, S> {
    type Out = ();
    #[inline(always)]
    fn run(self) {
        fold_rows(self.acc, self.rows, self.step);
    }
}

/// [`FoldRows`]'s loop. Each row folds from one buffer into the other, never back into the
/// values it read: folding in place lets the compiler turn a select step (max, min) into a
/// masked store of the changed lanes, which AMD's AVX2 cores run microcoded (7× slower on
/// Zen 3).
#[inline(always)]
fn fold_rows<T: Copy>(acc: &mut [T], rows: &[T], step: impl Fn(T, T) -> T) {
    let mut spare = acc.to_vec();
    let mut pairs = rows.chunks_exact(2 * acc.len());
    for pair in pairs.by_ref() {
        let (first, second) = pair.split_at(acc.len());
        for ((s, &a), &v) in spare.iter_mut().zip(acc.iter()).zip(first) {
            *s = step(a, v);
        }
        for ((a, &s), &v) in acc.iter_mut().zip(&spare).zip(second) {
            *a = step(s, v);
        }
    }
    if !pairs.remainder().is_empty() {
        spare.copy_from_slice(acc);
        for ((a, &s), &v) in acc.iter_mut().zip(&spare).zip(pairs.remainder()) {
            *a = step(s, v);
        }
    }
}

/// numpy `argmax` (`greater`) or `argmin` over the layout's reduced axis (`n ≥ 1`): the index
/// of the first extreme, or of the first NaN if there is one.
pub(super) fn arg_extreme<T: Ordered>(x: &[T], l: Layout, greater: bool) -> Vec<i64> {
    if l.numel_out() == 0 {
        return Vec::new();
    }
    let par = parallel(l);
    let mut out = vec![0i64; l.numel_out()];
    if l.inner == 1 {
        by_pieces(par, &mut out, |first, outs| {
            for (i, lane) in outs.iter_mut().zip(x[first * l.n..].chunks_exact(l.n)) {
                let e = lane_extreme(lane, greater);
                let hit = if e.is_nan() {
                    lane.iter().position(|v| v.is_nan())
                } else {
                    lane.iter().position(|&v| v == e)
                };
                *i = hit.unwrap_or(0) as i64;
            }
        });
        return out;
    }
    let block = l.n * l.inner;
    by_blocks(par, l, &mut out, |o, idx| {
        let rows = &x[o * block..(o + 1) * block];
        let mut best = rows[..l.inner].to_vec();
        for (k, row) in rows.chunks_exact(l.inner).enumerate().skip(1) {
            for ((b, i), &v) in best.iter_mut().zip(idx.iter_mut()).zip(row) {
                let beats = if greater { v > *b } else { v < *b };
                if !b.is_nan() && (beats || v.is_nan()) {
                    *b = v;
                    *i = k as i64;
                }
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Vec<f32> {
        crate::test_data::uniform(n, 1)
            .iter()
            .map(|&v| v as f32)
            .collect()
    }

    /// Layouts large enough for the kernel pool: rows added into columns, and lanes.
    const LAYOUTS: [Layout; 3] = [
        Layout {
            outer: 1,
            n: 1024,
            inner: 301,
        },
        Layout {
            outer: 3,
            n: 300,
            inner: 299,
        },
        Layout {
            outer: 2049,
            n: 130,
            inner: 1,
        },
    ];

    #[test]
    fn every_kernel_path_adds_and_compares_rows_to_the_same_bits() {
        use crate::kernels::transcendental::{on_path, Path};
        let (w, n) = (37, 50);
        let mut x = data(w * n);
        x[3 * w + 5] = f32::NAN;
        let run = |path: Path| {
            let (mut sums, mut maxes) = (vec![0.0f32; w], x[..w].to_vec());
            on_path(
                path,
                AddRows {
                    acc: &mut sums,
                    rows: &x,
                    center: &x[..w],
                    term: std::marker::PhantomData::<SquaredDeviation>,
                },
            );
            on_path(
                path,
                FoldRows {
                    acc: &mut maxes,
                    rows: &x[w..],
                    step: |a, v| pick(a, v, true),
                },
            );
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            (bits(&sums), bits(&maxes))
        };
        let portable = run(Path::Portable);
        for path in Path::available() {
            assert_eq!(run(path), portable, "{path:?}");
        }
    }

    #[test]
    fn pooled_reductions_keep_numpys_order_and_first_index() {
        for l in LAYOUTS {
            assert!(parallel(l) || kernel_pool().current_num_threads() == 1);
            let mut x = data(l.outer * l.n * l.inner);
            // A tie (the first index must win) and a NaN (it must propagate and win).
            x[l.inner + 1] = x[1];
            x[5 * l.inner + 2] = f32::NAN;
            let at = |o: usize, k: usize, i: usize| x[(o * l.n + k) * l.inner + i];
            let (s, mx, am) = (sum(&x, l), extreme(&x, l, true), arg_extreme(&x, l, true));
            for o in 0..l.outer {
                for i in 0..l.inner {
                    let out = o * l.inner + i;
                    let lane: Vec<f32> = (0..l.n).map(|k| at(o, k, i)).collect();
                    let want = if l.inner == 1 {
                        0.0 + pairwise(&lane, &|v| v)
                    } else {
                        lane.iter().fold(0.0, |a, &v| a + v)
                    };
                    assert_eq!(s[out].to_bits(), want.to_bits(), "sum {l:?} at {out}");
                    let first_nan = lane.iter().position(|v| v.is_nan());
                    let best = lane.iter().fold(lane[0], |a, &v| pick(a, v, true));
                    assert_eq!(mx[out].to_bits(), best.to_bits(), "max {l:?} at {out}");
                    let idx = first_nan.or_else(|| lane.iter().position(|&v| v == best));
                    assert_eq!(am[out], idx.unwrap_or(0) as i64, "argmax {l:?} at {out}");
                }
            }
        }
    }
}
