//! Lane sorting. Floats sort by radix: each float maps to an unsigned key whose integer order
//! is the float order, and a stable LSD radix sort of the keys (8-bit digits, passes whose
//! digit is the same for every key skipped) sorts a lane in a few linear passes. NaNs are set
//! aside first and go last in their original order, where numpy puts them. `-0.0` sorts just
//! before `0.0` (numpy treats them as equal and may return either order). Integers and
//! booleans use the standard library's stable sort.

use crate::element::Element;

/// An element type that sorts a lane in numpy's order.
pub(super) trait LaneSort: Element {
    /// Sorts `lane` in place: ascending, NaN last.
    fn sort_lane(lane: &mut Vec<Self>);
    /// Writes into `order` the positions of `lane` in sorted order (stable: equal elements
    /// keep their order; NaNs last in their order).
    fn argsort_lane(lane: &[Self], order: &mut Vec<usize>);
}

impl LaneSort for i64 {
    fn sort_lane(lane: &mut Vec<i64>) {
        lane.sort_unstable();
    }
    fn argsort_lane(lane: &[i64], order: &mut Vec<usize>) {
        order.clear();
        order.extend(0..lane.len());
        order.sort_by_key(|&i| lane[i]);
    }
}

impl LaneSort for bool {
    fn sort_lane(lane: &mut Vec<bool>) {
        lane.sort_unstable();
    }
    fn argsort_lane(lane: &[bool], order: &mut Vec<usize>) {
        order.clear();
        order.extend(0..lane.len());
        order.sort_by_key(|&i| lane[i]);
    }
}

/// A float with an order-preserving unsigned key of `8·DIGITS` bits.
trait RadixFloat: Element {
    /// The key type (`u32` for f32, `u64` for f64).
    type Key: Copy + Into<u64>;
    /// Number of 8-bit digits in a key.
    const DIGITS: usize;
    /// The key (never called for NaN).
    fn key(self) -> Self::Key;
    /// The float whose key this is.
    fn from_key(key: Self::Key) -> Self;
    fn nan(self) -> bool;
}

impl RadixFloat for f32 {
    type Key = u32;
    const DIGITS: usize = 4;
    #[inline(always)]
    fn key(self) -> u32 {
        let b = self.to_bits();
        if b >> 31 == 1 {
            !b
        } else {
            b | 1 << 31
        }
    }
    #[inline(always)]
    fn from_key(k: u32) -> f32 {
        f32::from_bits(if k >> 31 == 1 { k & !(1 << 31) } else { !k })
    }
    #[inline(always)]
    fn nan(self) -> bool {
        self.is_nan()
    }
}

impl RadixFloat for f64 {
    type Key = u64;
    const DIGITS: usize = 8;
    #[inline(always)]
    fn key(self) -> u64 {
        let b = self.to_bits();
        if b >> 63 == 1 {
            !b
        } else {
            b | 1 << 63
        }
    }
    #[inline(always)]
    fn from_key(k: u64) -> f64 {
        f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
    }
    #[inline(always)]
    fn nan(self) -> bool {
        self.is_nan()
    }
}

/// Stable LSD radix sort of `items` by `key(item)` (`digits` 8-bit digits).
fn radix_sort<I: Copy>(items: &mut Vec<I>, digits: usize, key: impl Fn(I) -> u64) {
    let n = items.len();
    let mut counts = vec![[0usize; 256]; digits];
    for &it in items.iter() {
        let k = key(it);
        for (d, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * d)) & 0xff) as usize] += 1;
        }
    }
    let mut scratch = items.clone();
    for (d, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut acc = 0;
        for (s, &x) in next.iter_mut().zip(c) {
            *s = acc;
            acc += x;
        }
        for &it in items.iter() {
            let b = ((key(it) >> (8 * d)) & 0xff) as usize;
            scratch[next[b]] = it;
            next[b] += 1;
        }
        std::mem::swap(items, &mut scratch);
    }
}

/// [`LaneSort::sort_lane`] for floats.
fn sort_floats<T: RadixFloat>(lane: &mut Vec<T>) {
    let nans: Vec<T> = lane.iter().copied().filter(|v| v.nan()).collect();
    let mut keys: Vec<T::Key> = lane.iter().filter(|v| !v.nan()).map(|v| v.key()).collect();
    radix_sort(&mut keys, T::DIGITS, Into::into);
    lane.clear();
    lane.extend(keys.into_iter().map(T::from_key));
    lane.extend(nans);
}

/// [`LaneSort::argsort_lane`] for floats (lanes past `u32::MAX` elements sort by comparison).
fn argsort_floats<T: RadixFloat>(lane: &[T], order: &mut Vec<usize>) {
    order.clear();
    if u32::try_from(lane.len()).is_err() {
        order.extend(0..lane.len());
        order.sort_by(|&a, &b| {
            let (x, y) = (lane[a], lane[b]);
            match (x.nan(), y.nan()) {
                (false, false) => x.key().into().cmp(&y.key().into()),
                (xn, yn) => xn.cmp(&yn),
            }
        });
        return;
    }
    let mut pairs: Vec<(T::Key, u32)> = Vec::with_capacity(lane.len());
    let mut nans = Vec::new();
    for (i, &v) in lane.iter().enumerate() {
        if v.nan() {
            nans.push(i);
        } else {
            pairs.push((v.key(), i as u32));
        }
    }
    radix_sort(&mut pairs, T::DIGITS, |(k, _)| k.into());
    order.extend(pairs.into_iter().map(|(_, i)| i as usize));
    order.extend(nans);
}

macro_rules! radix_lane_sort {
    ($($t:ty),*) => {$(
        impl LaneSort for $t {
            fn sort_lane(lane: &mut Vec<$t>) {
                sort_floats(lane);
            }
            fn argsort_lane(lane: &[$t], order: &mut Vec<usize>) {
                argsort_floats(lane, order);
            }
        }
    )*};
}

radix_lane_sort!(f32, f64);
