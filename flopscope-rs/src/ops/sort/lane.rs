//! Lane sorting. Floats sort by radix: each float maps to an unsigned key whose integer order
//! is the float order, and a stable LSD radix sort of the keys (8-bit digits, passes whose
//! digit is the same for every key skipped) sorts a lane in a few linear passes, each split
//! between the kernel pool's threads for lanes of 2^16 keys or more (in the order one thread
//! gives). NaNs are set aside first and go last in their original order, where numpy puts
//! them. `-0.0` sorts just before `0.0` (numpy treats them as equal and may return either
//! order). Integers and booleans use the standard library's stable sort.

use rayon::prelude::*;

use crate::cpu_time::{in_kernel_pool, kernel_pool};
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
    type Key: Copy + Into<u64> + Send + Sync;
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

/// Fewest items whose radix passes are split between the kernel pool's threads.
const PARALLEL_MIN: usize = 1 << 16;

/// Stable LSD radix sort of `items` by `key(item)` (`digits` 8-bit digits).
///
/// Each pass splits the items into one contiguous part per kernel-pool thread (one part below
/// [`PARALLEL_MIN`] items), counts each part's digits, and gives part `p`'s items of digit `b`
/// the places after every earlier digit's and every earlier part's items of digit `b`: each
/// part scatters its items on its own thread and the order is the one-thread order.
fn radix_sort<I: Copy + Send + Sync>(
    items: &mut Vec<I>,
    digits: usize,
    key: impl Fn(I) -> u64 + Sync,
) {
    let n = items.len();
    let parts = if n >= PARALLEL_MIN {
        kernel_pool().current_num_threads().max(1)
    } else {
        1
    };
    let chunk = n.div_ceil(parts).max(1);
    let mut scratch = items.clone();
    for d in 0..digits {
        let digit = |it: I| ((key(it) >> (8 * d)) & 0xff) as usize;
        let count = |part: &[I]| {
            let mut c = [0usize; 256];
            for &it in part {
                c[digit(it)] += 1;
            }
            c
        };
        let counts: Vec<[usize; 256]> = if parts > 1 {
            in_kernel_pool(|| items.par_chunks(chunk).map(count).collect())
        } else {
            items.chunks(chunk).map(count).collect()
        };
        if (0..256).any(|b| counts.iter().map(|c| c[b]).sum::<usize>() == n) {
            continue;
        }
        let mut next = vec![[0usize; 256]; counts.len()];
        let mut at = 0;
        for b in 0..256 {
            for (start, c) in next.iter_mut().zip(&counts) {
                start[b] = at;
                at += c[b];
            }
        }
        let out = Scatter(scratch.as_mut_ptr());
        let scatter = |(part, next): (&[I], &mut [usize; 256])| {
            for &it in part {
                let b = digit(it);
                // SAFETY: part p's items of digit b go to next[p][b] .. next[p][b] +
                // counts[p][b], a range inside 0..n (the counts add up to n) that no other
                // part or digit shares; each place is written once, and `scratch` (n items)
                // outlives the pass.
                unsafe { out.ptr().add(next[b]).write(it) };
                next[b] += 1;
            }
        };
        if parts > 1 {
            in_kernel_pool(|| {
                items
                    .par_chunks(chunk)
                    .zip(next.par_iter_mut())
                    .for_each(scatter)
            });
        } else {
            items.chunks(chunk).zip(next.iter_mut()).for_each(scatter);
        }
        std::mem::swap(items, &mut scratch);
    }
}

/// The destination of a radix pass, written by several threads at disjoint places.
struct Scatter<I>(*mut I);

impl<I> Scatter<I> {
    fn ptr(&self) -> *mut I {
        self.0
    }
}

// SAFETY: threads write through the pointer only at the disjoint places `radix_sort` gives
// them, and only items (`Send`) of the thread's own part.
unsafe impl<I: Send> Sync for Scatter<I> {}

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
