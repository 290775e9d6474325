//! Lane sorting. Floats sort by radix ([`super::radix`]) on their bits: each float's bits map
//! to an unsigned key whose integer order is the float order, NaNs (any sign or payload) all
//! to the largest key, so the stable sort puts them last in their original order, where numpy
//! puts them. `-0.0` sorts just before `0.0` (numpy treats them as equal and may return either
//! order). Integers and booleans use the standard library's sorts.

use super::radix::sort_into;
use crate::buffer::{filled_vec, output_vec};
use crate::element::Element;

/// An element type that sorts a lane in numpy's order.
pub(super) trait LaneSort: Element {
    /// Writes `lane` sorted into `out` (as long as `lane`): ascending, NaN last.
    fn sort_lane_into(lane: &[Self], out: &mut [Self]);
    /// Writes into `order` the positions of `lane` in sorted order (stable: equal elements
    /// keep their order; NaNs last in their order).
    fn argsort_lane(lane: &[Self], order: &mut Vec<usize>);
}

impl LaneSort for i64 {
    fn sort_lane_into(lane: &[i64], out: &mut [i64]) {
        out.copy_from_slice(lane);
        out.sort_unstable();
    }
    fn argsort_lane(lane: &[i64], order: &mut Vec<usize>) {
        order.clear();
        order.extend(0..lane.len());
        order.sort_by_key(|&i| lane[i]);
    }
}

impl LaneSort for bool {
    fn sort_lane_into(lane: &[bool], out: &mut [bool]) {
        out.copy_from_slice(lane);
        out.sort_unstable();
    }
    fn argsort_lane(lane: &[bool], order: &mut Vec<usize>) {
        order.clear();
        order.extend(0..lane.len());
        order.sort_by_key(|&i| lane[i]);
    }
}

/// A float whose bits map to an order-preserving unsigned key of `KEY_BITS` bits.
trait RadixFloat: Element {
    /// The bits and key type (`u32` for f32, `u64` for f64).
    type Bits: Copy + Into<u64> + Send + Sync;
    /// Bits in a key.
    const KEY_BITS: u32;
    /// The key of the float with these bits: the float order, every NaN after `+inf`.
    fn key(bits: Self::Bits) -> Self::Bits;
    /// `lane`'s storage as bits.
    fn bits(lane: &[Self]) -> &[Self::Bits];
    /// `lane`'s storage as bits, to write.
    fn bits_mut(lane: &mut [Self]) -> &mut [Self::Bits];
}

macro_rules! radix_float {
    ($t:ty, $k:ty, $signed:ty) => {
        impl RadixFloat for $t {
            type Bits = $k;
            const KEY_BITS: u32 = <$k>::BITS;
            #[inline(always)]
            fn key(b: $k) -> $k {
                // Branch-free (signs of real data are random): a negative float's bits are
                // all flipped, a positive one's sign bit set, and a NaN's key is all ones.
                const SIGN: $k = 1 << (<$k>::BITS - 1);
                let flip = ((b as $signed >> (<$k>::BITS - 1)) as $k) | SIGN;
                let nan = (b & !SIGN) > <$t>::INFINITY.to_bits();
                (b ^ flip) | (nan as $k).wrapping_neg()
            }
            fn bits(lane: &[$t]) -> &[$k] {
                // SAFETY: the float and its bits type have the same size and alignment, and
                // every bit pattern is valid for both; the slice borrows `lane` for its life.
                unsafe { std::slice::from_raw_parts(lane.as_ptr().cast::<$k>(), lane.len()) }
            }
            fn bits_mut(lane: &mut [$t]) -> &mut [$k] {
                // SAFETY: as in `bits`; the slice borrows `lane` mutably for its whole life,
                // so nothing reads it as floats meanwhile.
                unsafe {
                    std::slice::from_raw_parts_mut(lane.as_mut_ptr().cast::<$k>(), lane.len())
                }
            }
        }
    };
}

radix_float!(f32, u32, i32);
radix_float!(f64, u64, i64);

/// [`LaneSort::sort_lane_into`] for floats.
fn sort_floats_into<T: RadixFloat>(lane: &[T], out: &mut [T]) {
    sort_into(T::bits(lane), T::bits_mut(out), T::KEY_BITS, |b| {
        T::key(b).into()
    });
}

/// [`LaneSort::argsort_lane`] for floats (lanes past `u32::MAX` elements sort by comparison).
fn argsort_floats<T: RadixFloat>(lane: &[T], order: &mut Vec<usize>) {
    order.clear();
    let bits = T::bits(lane);
    if u32::try_from(lane.len()).is_err() {
        order.extend(0..lane.len());
        order.sort_by_key(|&i| T::key(bits[i]).into());
        return;
    }
    let mut pairs: Vec<(T::Bits, u32)> = output_vec(lane.len());
    pairs.extend(bits.iter().enumerate().map(|(i, &b)| (T::key(b), i as u32)));
    let Some(&first) = pairs.first() else {
        return;
    };
    let mut sorted = filled_vec(pairs.len(), first);
    sort_into(&pairs, &mut sorted, T::KEY_BITS, |(k, _)| k.into());
    order.extend(sorted.into_iter().map(|(_, i)| i as usize));
}

macro_rules! radix_lane_sort {
    ($($t:ty),*) => {$(
        impl LaneSort for $t {
            fn sort_lane_into(lane: &[$t], out: &mut [$t]) {
                sort_floats_into(lane, out);
            }
            fn argsort_lane(lane: &[$t], order: &mut Vec<usize>) {
                argsort_floats(lane, order);
            }
        }
    )*};
}

radix_lane_sort!(f32, f64);
