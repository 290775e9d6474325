//! Bounded integers, shuffles and permutations, as numpy's `Generator` draws
//! them.
//!
//! - `Generator.integers` (any int64 bounds) uses Lemire's nearly-divisionless
//!   method (`random_bounded_uint64_fill`, `use_masked = False`): ranges
//!   `rng = high - low - 1 < 2^32 - 1` draw buffered 32-bit words,
//!   `rng = 2^32 - 1` returns raw 32-bit words, wider ranges use 64-bit
//!   Lemire, and `rng = 2^64 - 1` returns raw 64-bit words.
//! - `Generator.shuffle` / `Generator.permutation` use a Fisher–Yates pass
//!   `for i in (1..n).rev() { j = random_interval(i); swap(i, j) }`, where
//!   `random_interval` is **masked** rejection sampling (not Lemire), with
//!   32-bit draws when `i < 2^32`.

use super::bit_stream::BitStream;
use super::error::RandomError;
use super::pcg64::Pcg64;

/// Uniform integer in `[0, max]` by masked rejection (numpy `random_interval`).
///
/// Draws buffered 32-bit words while `max <= 2^32 - 1`, 64-bit words beyond.
#[inline]
pub fn random_interval<B: BitStream + ?Sized>(bits: &mut B, max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let mask = gen_mask(max);
    if max <= 0xffff_ffff {
        loop {
            let value = u64::from(bits.next_u32()) & mask;
            if value <= max {
                return value;
            }
        }
    } else {
        loop {
            let value = bits.next_u64() & mask;
            if value <= max {
                return value;
            }
        }
    }
}

/// Smallest all-ones bit mask `>= max` (numpy `gen_mask`).
fn gen_mask(max: u64) -> u64 {
    let mut mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    mask
}

/// 32-bit Lemire rejection for `rng < 2^32 - 1` (numpy
/// `buffered_bounded_lemire_uint32`): uniform in `[0, rng]`.
#[inline]
fn bounded_lemire_u32<B: BitStream + ?Sized>(bits: &mut B, rng: u32) -> u32 {
    let rng_excl = rng + 1;
    let mut m = u64::from(bits.next_u32()) * u64::from(rng_excl);
    let mut leftover = m as u32;
    if leftover < rng_excl {
        let threshold = (u32::MAX - rng) % rng_excl;
        while leftover < threshold {
            m = u64::from(bits.next_u32()) * u64::from(rng_excl);
            leftover = m as u32;
        }
    }
    (m >> 32) as u32
}

/// 64-bit Lemire rejection for `rng < 2^64 - 1` (numpy
/// `bounded_lemire_uint64`): uniform in `[0, rng]`.
#[inline]
fn bounded_lemire_u64<B: BitStream + ?Sized>(bits: &mut B, rng: u64) -> u64 {
    let rng_excl = rng + 1;
    let mut m = u128::from(bits.next_u64()) * u128::from(rng_excl);
    let mut leftover = m as u64;
    if leftover < rng_excl {
        let threshold = (u64::MAX - rng) % rng_excl;
        while leftover < threshold {
            m = u128::from(bits.next_u64()) * u128::from(rng_excl);
            leftover = m as u64;
        }
    }
    (m >> 64) as u64
}

/// `off + U[0, rng]` with wrap-around, exactly numpy's
/// `random_bounded_uint64(off, rng, use_masked=False)` (Lemire's method).
#[inline]
pub fn bounded_u64<B: BitStream + ?Sized>(bits: &mut B, off: u64, rng: u64) -> u64 {
    if rng == 0 {
        off
    } else if rng < 0xffff_ffff {
        off.wrapping_add(u64::from(bounded_lemire_u32(bits, rng as u32)))
    } else if rng == 0xffff_ffff {
        off.wrapping_add(u64::from(bits.next_u32()))
    } else if rng == u64::MAX {
        off.wrapping_add(bits.next_u64())
    } else {
        off.wrapping_add(bounded_lemire_u64(bits, rng))
    }
}

/// Fills `out` like `Generator.integers(low, high, size=out.len(),
/// dtype=np.int64, endpoint=closed)`.
///
/// # Errors
/// [`RandomError::EmptyInterval`] when the interval is empty (numpy's
/// `ValueError`); nothing is drawn.
pub fn fill_integers_i64_endpoint<B: BitStream + ?Sized>(
    bits: &mut B,
    low: i64,
    high: i64,
    closed: bool,
    out: &mut [i64],
) -> Result<(), RandomError> {
    let empty = RandomError::EmptyInterval { low, high, closed };
    let top = if closed {
        high
    } else {
        high.checked_sub(1).ok_or(empty)?
    };
    if low > top {
        return Err(empty);
    }
    let rng = top.wrapping_sub(low) as u64;
    let off = low as u64;
    for v in out.iter_mut() {
        *v = bounded_u64(bits, off, rng) as i64;
    }
    Ok(())
}

/// Fills `out` like `Generator.integers(low, high, size=out.len())`
/// (int64, `endpoint=False`).
///
/// # Errors
/// [`RandomError::EmptyInterval`] (numpy's `low >= high`, or `high <= 0`
/// when `low == 0`) for an empty interval.
pub fn fill_integers_i64<B: BitStream + ?Sized>(
    bits: &mut B,
    low: i64,
    high: i64,
    out: &mut [i64],
) -> Result<(), RandomError> {
    fill_integers_i64_endpoint(bits, low, high, false, out)
}

/// Shuffles `data` in place like `Generator.shuffle` on a 1-d array (or along
/// axis 0 of an n-d array, where `data` holds the rows): Fisher–Yates from the
/// end with `random_interval`.
pub fn shuffle<B: BitStream + ?Sized, T>(bits: &mut B, data: &mut [T]) {
    for i in (1..data.len()).rev() {
        let j = random_interval(bits, i as u64) as usize;
        data.swap(i, j);
    }
}

/// `Generator.permutation(n)`: a shuffled `0..n` as int64.
pub fn permutation<B: BitStream + ?Sized>(bits: &mut B, n: usize) -> Vec<i64> {
    let mut out: Vec<i64> = (0..n as i64).collect();
    shuffle(bits, &mut out);
    out
}

impl Pcg64 {
    /// `Generator.integers(low, high, size=out.len())` (int64, exclusive
    /// `high`); [`RandomError::EmptyInterval`] when `low >= high`.
    pub fn fill_integers_i64(
        &mut self,
        low: i64,
        high: i64,
        out: &mut [i64],
    ) -> Result<(), RandomError> {
        fill_integers_i64(self, low, high, out)
    }

    /// `Generator.integers(low, high, size=out.len(), endpoint=closed)`.
    pub fn fill_integers_i64_endpoint(
        &mut self,
        low: i64,
        high: i64,
        closed: bool,
        out: &mut [i64],
    ) -> Result<(), RandomError> {
        fill_integers_i64_endpoint(self, low, high, closed, out)
    }

    /// One `Generator.integers(low, high)` draw (int64, exclusive `high`).
    pub fn integers_i64(&mut self, low: i64, high: i64) -> Result<i64, RandomError> {
        let mut one = [0i64];
        fill_integers_i64(self, low, high, &mut one)?;
        Ok(one[0])
    }

    /// Uniform in `[0, max]` by masked rejection (numpy `random_interval`).
    pub fn random_interval(&mut self, max: u64) -> u64 {
        random_interval(self, max)
    }

    /// `Generator.shuffle` on a 1-d array (or the rows of an n-d array).
    pub fn shuffle<T>(&mut self, data: &mut [T]) {
        shuffle(self, data);
    }

    /// `Generator.permutation(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<i64> {
        permutation(self, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_mask_values() {
        assert_eq!(gen_mask(1), 1);
        assert_eq!(gen_mask(5), 7);
        assert_eq!(gen_mask(8), 15);
        assert_eq!(gen_mask(u64::MAX >> 1), u64::MAX >> 1);
    }

    #[test]
    fn empty_intervals_are_errors_and_draw_nothing() {
        let mut rng = Pcg64::from_seed(1);
        let fresh = rng.clone();
        let mut out = [0i64; 3];
        assert_eq!(
            rng.fill_integers_i64(5, 5, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("low >= high")
        );
        assert_eq!(
            rng.fill_integers_i64(0, 0, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("high <= 0")
        );
        assert_eq!(
            rng.fill_integers_i64(0, i64::MIN, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("high <= 0")
        );
        assert_eq!(
            rng.fill_integers_i64(3, i64::MIN, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("low >= high")
        );
        assert_eq!(
            rng.fill_integers_i64_endpoint(5, 4, true, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("low > high")
        );
        assert_eq!(rng, fresh);
        assert_eq!(rng.fill_integers_i64_endpoint(4, 4, true, &mut out), Ok(()));
        assert_eq!(out, [4, 4, 4]);
        assert_eq!(rng, fresh, "a one-value range draws nothing");
    }

    #[test]
    fn small_shuffles_draw_nothing() {
        let mut rng = Pcg64::from_seed(1);
        let fresh = rng.clone();
        assert!(rng.permutation(0).is_empty());
        assert_eq!(rng.permutation(1), vec![0]);
        assert_eq!(rng, fresh);
    }
    fn ints(rng: &mut Pcg64, low: i64, high: i64, n: usize) -> Vec<i64> {
        let mut out = vec![0i64; n];
        rng.fill_integers_i64(low, high, &mut out)
            .expect("non-empty range");
        out
    }

    /// `default_rng(777).integers(...)` calls in sequence, probed from numpy
    /// 2.4.6: 32-bit Lemire, 64-bit Lemire, `rng = 2^32 - 1` (raw 32-bit),
    /// the full int64 range (raw 64-bit) and `endpoint=True`.
    #[test]
    fn numpy_probe_integers_all_branches() {
        let mut rng = Pcg64::from_seed(777);
        assert_eq!(
            ints(&mut rng, 0, 10, 12),
            vec![9, 6, 3, 3, 0, 6, 4, 9, 3, 1, 3, 3]
        );
        assert_eq!(
            ints(&mut rng, -5, 3, 8),
            vec![-3, -1, -2, -1, -2, 0, -5, -2]
        );
        assert_eq!(
            ints(&mut rng, -(1 << 40), (1 << 40) + 7, 5),
            vec![
                -973008613404,
                -734345342149,
                566043464520,
                395689172235,
                443166894356
            ]
        );
        assert_eq!(
            ints(&mut rng, 10, 10 + (1 << 32), 4),
            vec![1804532616, 452089658, 158967670, 199335788]
        );
        let mut full = [0i64; 3];
        rng.fill_integers_i64_endpoint(i64::MIN, i64::MAX, true, &mut full)
            .expect("full range");
        assert_eq!(
            full,
            [
                7967258210933784048,
                -1444760625672226318,
                -8599032881332210068
            ]
        );
        assert_eq!(
            ints(&mut rng, i64::MIN, i64::MAX, 3),
            vec![
                -5168211468421532199,
                -188219673580876932,
                -3262597252039762945
            ]
        );
        let mut dice = [0i64; 6];
        rng.fill_integers_i64_endpoint(1, 6, true, &mut dice)
            .expect("dice");
        assert_eq!(dice, [4, 1, 6, 5, 4, 1]);
        assert_eq!(rng.integers_i64(0, 1000), Ok(9));
        assert_eq!(rng.integers_i64(0, 1000), Ok(200));
        assert_eq!(
            rng.state(),
            293_750_956_872_630_762_053_379_301_410_559_331_562
        );
        assert_eq!(rng.buffered_u32(), None);
    }

    /// 10,000-draw integer streams of `default_rng(31337)` (numpy 2.4.6).
    #[test]
    fn numpy_probe_integer_streams() {
        let mut rng = Pcg64::from_seed(31337);
        let a = ints(&mut rng, 0, 1000, 10_000);
        assert_eq!(a[..6], [628, 357, 35, 850, 607, 63]);
        assert_eq!(a.iter().sum::<i64>(), 4_999_810);
        assert_eq!(a.iter().fold(0, |x, v| x ^ v), 994);
        let b = ints(&mut rng, 0, 3 * (1 << 40) + 5, 10_000);
        assert_eq!(b[..3], [2298253535432, 1675451439140, 597721992307]);
        assert_eq!(b.iter().sum::<i64>(), 16_467_427_636_978_279);
        assert_eq!(b.iter().fold(0, |x, v| x ^ v), 1_700_656_474_715);
        let c = ints(&mut rng, 0, 3, 10_000);
        assert_eq!(c[..10], [2, 1, 2, 2, 2, 2, 2, 0, 0, 1]);
        let counts = c.iter().fold([0; 3], |mut k, &v| {
            k[v as usize] += 1;
            k
        });
        assert_eq!(counts, [3374, 3316, 3310]);
        assert_eq!(
            rng.state(),
            200_560_393_361_340_903_640_687_065_757_779_229_039
        );
        assert_eq!(rng.buffered_u32(), None);
    }

    /// `default_rng(99)`: `permutation(10)`, `permutation(1000)`, then
    /// `shuffle(np.arange(7))` (numpy 2.4.6).
    #[test]
    fn numpy_probe_permutation_and_shuffle() {
        let mut rng = Pcg64::from_seed(99);
        assert_eq!(rng.permutation(10), vec![4, 6, 0, 3, 8, 1, 2, 5, 7, 9]);
        let p = rng.permutation(1000);
        assert_eq!(
            p[..20],
            [
                358, 370, 314, 554, 308, 625, 419, 372, 248, 204, 371, 87, 415, 297, 593, 291, 588,
                874, 809, 705
            ]
        );
        let weighted: i64 = p.iter().enumerate().map(|(i, v)| i as i64 * v).sum();
        assert_eq!(weighted, 254_317_103);
        let mut x: Vec<u8> = (0..7).collect();
        rng.shuffle(&mut x);
        assert_eq!(x, vec![5, 4, 6, 2, 1, 3, 0]);
        assert_eq!(
            rng.state(),
            108_163_314_267_501_611_665_329_370_442_313_616_606
        );
        assert_eq!(rng.buffered_u32(), None);
    }
}
