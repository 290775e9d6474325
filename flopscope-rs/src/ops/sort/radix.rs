//! Stable radix sort of items by an unsigned key: most-significant digit first, 11 bits at a
//! time, down to regions small enough for least-significant-digit passes (11 or 8 bits) or
//! insertion sort.
//!
//! For [`LSD_MAX`] items or more, the top-level digit pass is split between the kernel pool's
//! threads: each counts and scatters its own contiguous span, cut into [`SCATTER_LANES`] parts
//! with bucket starts of their own (taken in turn when few buckets are used), every part's
//! items going where one thread scattering the parts in order would put them. Then the
//! top-level buckets are shared out between the threads in contiguous groups of about equal
//! size, each sorted on its own thread. Every step keeps equal keys in their input order, so
//! the result is the same whatever the thread count. A digit that is the same for every key
//! of a region is skipped without moving anything.

use rayon::prelude::*;

use crate::cpu_time::{in_kernel_pool, kernel_pool};

/// Bits of a most-significant-digit pass (2048 buckets).
const MSD_BITS: u32 = 11;
/// Bits of a least-significant-digit pass (256 buckets).
const LSD_BITS: u32 = 8;
/// Regions at least this long (and shorter than [`REGION_LSD_MAX`]) take
/// least-significant-digit passes of [`MSD_BITS`].
const WIDE_LSD_MIN: usize = 2048;
/// Regions up to this long are insertion-sorted.
const INSERTION_MAX: usize = 48;
/// Sorts of this many items or more split their top-level pass between the kernel pool's
/// threads; shorter ones have no top-level pass (their one region finishes with
/// least-significant-digit passes).
const LSD_MAX: usize = 1 << 16;
/// Regions shorter than this finish with least-significant-digit passes; longer ones take
/// another most-significant-digit pass first. A second 11-bit pass over a region of a few
/// hundred thousand items leaves thousands of regions of a few dozen, each paying for its
/// own digit tables, where two least-significant-digit passes over the whole region are
/// cheaper: with 2^16 here (as before), 2^20 uniform [0, 1) f32 (whose top-level buckets hold
/// 2^17 items) took 9.9 ms on two Zen 3 threads and normal f64 18 ms, against numpy's 7.8 and
/// 13.0 ms; with 2^20, 4.5 and 9.8 ms (2^18: 4.6 and 15.1; 2^22: 4.5 and 9.8, but uniform f64
/// 13.2 against 10.6 ms).
const REGION_LSD_MAX: usize = 1 << 20;

/// Writes `src` sorted by `key(item)` (whose set bits all lie below bit `key_bits`, at most 64)
/// into `dst` (as long as `src`), stably: items with equal keys keep their order.
///
/// The top-level pass scatters straight from `src` into `dst`; the buckets are then sorted in
/// place, each thread with working space as long as its longest bucket.
///
/// # Panics
/// If `dst` and `src` differ in length.
pub(super) fn sort_into<I: Copy + Send + Sync>(
    src: &[I],
    dst: &mut [I],
    key_bits: u32,
    key: impl Fn(I) -> u64 + Sync,
) {
    let n = src.len();
    assert_eq!(dst.len(), n, "radix sort: destination length");
    if n < LSD_MAX {
        // Short lanes (rows of a matrix, often): no top-level pass and its 2048 buckets.
        dst.copy_from_slice(src);
        if let Some(&first) = src.first() {
            sort_region(dst, &mut vec![first; n], key_bits, true, &key);
        }
        return;
    }
    let threads = kernel_pool().current_num_threads().max(1);
    // Parts of the top-level pass: `SCATTER_LANES` per thread, each with its own bucket
    // starts (see `scatter_span`).
    let chunk = n.div_ceil(threads * SCATTER_LANES);
    // The first digit (from the top) on which the keys differ: the shared prefix above it
    // needs no pass.
    let mut low = key_bits;
    let counts = loop {
        if low == 0 {
            // Every key is equal.
            dst.copy_from_slice(src);
            return;
        }
        let shift = low.saturating_sub(MSD_BITS);
        let count = |part: &[I]| histogram(part, shift, MSD_BITS, &key);
        let counts: Vec<Vec<usize>> = if threads > 1 {
            in_kernel_pool(|| src.par_chunks(chunk).map(count).collect())
        } else {
            src.chunks(chunk).map(count).collect()
        };
        let total = |b: usize| counts.iter().map(|c| c[b]).sum::<usize>();
        if (0..1 << MSD_BITS).any(|b| total(b) == n) {
            low = shift;
            continue;
        }
        break counts;
    };
    let shift = low.saturating_sub(MSD_BITS);
    // Part p's items of digit b go after every earlier digit's items and after the earlier
    // parts' items of digit b.
    let mut next = vec![[0usize; 1 << MSD_BITS]; counts.len()];
    let mut bucket_starts = Vec::with_capacity((1 << MSD_BITS) + 1);
    let mut at = 0;
    for b in 0..1 << MSD_BITS {
        bucket_starts.push(at);
        for (start, c) in next.iter_mut().zip(&counts) {
            start[b] = at;
            at += c[b];
        }
    }
    bucket_starts.push(n);
    let out = Scatter(dst.as_mut_ptr());
    let span = chunk * SCATTER_LANES;
    let used = bucket_starts.windows(2).filter(|b| b[1] > b[0]).count();
    let in_turn = used <= SCATTER_LANES_MAX_BUCKETS;
    let scatter = |(items, next): (&[I], &mut [[usize; 1 << MSD_BITS]])| {
        // SAFETY: part p's items of digit b go to next[p][b] .. next[p][b] + counts[p][b], a
        // range inside 0..n (the counts add up to n, and `dst` holds n items) that no other
        // part or digit shares; `items` are the parts whose starts are `next`.
        unsafe { scatter_span(items, chunk, next, out.ptr(), shift, in_turn, &key) }
    };
    if threads > 1 {
        in_kernel_pool(|| {
            src.par_chunks(span)
                .zip(next.par_chunks_mut(SCATTER_LANES))
                .for_each(scatter)
        });
    } else {
        src.chunks(span)
            .zip(next.chunks_mut(SCATTER_LANES))
            .for_each(scatter);
    }
    // Contiguous groups of buckets, one per thread, cut where the item count passes k·n/threads.
    let mut cuts = vec![0usize];
    for k in 1..threads {
        let target = k * n / threads;
        let cut = bucket_starts
            .iter()
            .copied()
            .find(|&s| s >= target)
            .unwrap_or(n);
        if cut > *cuts.last().unwrap_or(&0) && cut < n {
            cuts.push(cut);
        }
    }
    cuts.push(n);
    let mut groups = Vec::with_capacity(cuts.len() - 1);
    let mut rest = dst;
    for w in cuts.windows(2) {
        let (group, after) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
        rest = after;
        let starts: Vec<usize> = bucket_starts
            .iter()
            .filter(|&&b| b >= w[0] && b <= w[1])
            .map(|&b| b - w[0])
            .collect();
        groups.push((group, starts));
    }
    let sort_group = |(group, starts): (&mut [I], Vec<usize>)| {
        let longest = starts.windows(2).map(|b| b[1] - b[0]).max().unwrap_or(0);
        let Some(&first) = group.first() else {
            return;
        };
        let mut temp = vec![first; longest];
        for b in starts.windows(2) {
            let (lo, hi) = (b[0], b[1]);
            sort_region(&mut group[lo..hi], &mut temp[..hi - lo], shift, true, &key);
        }
    };
    if threads > 1 {
        in_kernel_pool(|| groups.into_par_iter().for_each(sort_group));
    } else {
        groups.into_iter().for_each(sort_group);
    }
}

/// Parts of the top-level pass one thread scatters, taking their items in turn. Each part has
/// its own bucket starts, so consecutive items of one digit (common: real data has a few
/// large top-level buckets) update different starts, not one start whose previous update must
/// land first. On a Zen 3 VM a plain scatter of 2^20 keys into 2 or 8 buckets took 2.9–3.0 ms,
/// in four parts taken in turn 1.3–1.5 ms (normal f32 keys: 3.3–5.6 → 1.5–1.8 ms).
const SCATTER_LANES: usize = 4;

/// Most used top-level buckets for which the parts are taken in turn: with keys spread over
/// all 2048 buckets, four sets of starts and four times the write streams cost more than they
/// save (one thread, 2^20 items uniform in [1, 1.5): f64 20.3–20.5 → 22.5–23.1 ms), so such
/// parts are scattered one after another.
const SCATTER_LANES_MAX_BUCKETS: usize = 256;

/// Scatters the parts of `items` (cut every `chunk` items; at most [`SCATTER_LANES`]) to `dst`
/// by the [`MSD_BITS`]-bit digit at `shift`: part p's item of digit b to `next[p][b]`, which
/// then moves on. With `in_turn` and all lanes present their items are taken in turn (see
/// [`SCATTER_LANES`]), in order within each part, so the result is as if the parts were
/// scattered one after another.
///
/// # Safety
/// For each part and digit, `next[p][b]` and the places after it, as many as the part has
/// items of digit b, must be valid for writes and not written by anything else.
unsafe fn scatter_span<I: Copy>(
    items: &[I],
    chunk: usize,
    next: &mut [[usize; 1 << MSD_BITS]],
    dst: *mut I,
    shift: u32,
    in_turn: bool,
    key: &impl Fn(I) -> u64,
) {
    let place = |next: &mut [usize; 1 << MSD_BITS], it: I| {
        // The start moves on before the item is written, so the write (which might alias it,
        // as far as the compiler knows) does not force a reload.
        let at = &mut next[digit(key(it), shift, MSD_BITS)];
        let place = *at;
        *at = place + 1;
        // SAFETY: `place` is one of the places the caller reserved for this part and digit.
        unsafe { dst.add(place).write(it) };
    };
    let parts: Vec<&[I]> = items.chunks(chunk).collect();
    match (parts.as_slice(), next) {
        ([a, b, c, d], [na, nb, nc, nd]) if in_turn => {
            // Only the last part can be shorter: all four take turns up to its length.
            let common = d.len();
            for (((&x, &y), &z), &w) in a.iter().zip(*b).zip(*c).zip(*d) {
                place(na, x);
                place(nb, y);
                place(nc, z);
                place(nd, w);
            }
            for (part, next) in [(a, na), (b, nb), (c, nc)] {
                for &it in &part[common..] {
                    place(next, it);
                }
            }
        }
        (parts, next) => {
            for (part, next) in parts.iter().zip(next) {
                for &it in *part {
                    place(next, it);
                }
            }
        }
    }
}

/// Sorts `a` (whose keys agree on every bit at or above `low`) by the bits below `low`,
/// using `t` (as long as `a`) as working space; the result ends in `a` when `into_a`, else in
/// `t`.
fn sort_region<I: Copy>(a: &mut [I], t: &mut [I], low: u32, into_a: bool, key: &impl Fn(I) -> u64) {
    let n = a.len();
    if n <= 1 || low == 0 {
        if !into_a {
            t.copy_from_slice(a);
        }
        return;
    }
    if n <= INSERTION_MAX {
        let dst = if into_a {
            a
        } else {
            t.copy_from_slice(a);
            t
        };
        insertion_sort(dst, key);
        return;
    }
    if n < REGION_LSD_MAX {
        if n >= WIDE_LSD_MIN {
            lsd_passes::<I, MSD_BITS>(a, t, low, into_a, key);
        } else {
            lsd_passes::<I, LSD_BITS>(a, t, low, into_a, key);
        }
        return;
    }
    let shift = low.saturating_sub(MSD_BITS);
    let counts = histogram(a, shift, MSD_BITS, key);
    if counts.contains(&n) {
        sort_region(a, t, shift, into_a, key);
        return;
    }
    let mut starts = [0usize; 1 << MSD_BITS];
    let mut at = 0;
    for (start, &c) in starts.iter_mut().zip(&counts) {
        *start = at;
        at += c;
    }
    // SAFETY: the items of digit b go to starts[b] .. starts[b] + counts[b], inside 0..n
    // (the counts add up to n = t.len()) and shared with no other digit.
    unsafe { scatter_span(a, n, &mut [starts], t.as_mut_ptr(), shift, false, key) };
    for (b, &lo) in starts.iter().enumerate() {
        let hi = lo + counts[b];
        if hi > lo {
            sort_region(&mut t[lo..hi], &mut a[lo..hi], shift, !into_a, key);
        }
    }
}

/// Least-significant-digit passes over the bits below `low` (`BITS` at a time, a digit that is
/// the same for every item skipped); the result ends in `a` when `into_a`, else in `t`. `a` is
/// shorter than [`REGION_LSD_MAX`] (so its counts fit in `u32`).
fn lsd_passes<I: Copy, const BITS: u32>(
    a: &mut [I],
    t: &mut [I],
    low: u32,
    into_a: bool,
    key: &impl Fn(I) -> u64,
) {
    let n = a.len() as u32;
    let passes = low.div_ceil(BITS) as usize;
    let mut counts = vec![0u32; passes << BITS];
    match passes {
        1 => count_digits::<I, BITS, 1>(a, &mut counts, key),
        2 => count_digits::<I, BITS, 2>(a, &mut counts, key),
        3 => count_digits::<I, BITS, 3>(a, &mut counts, key),
        4 => count_digits::<I, BITS, 4>(a, &mut counts, key),
        5 => count_digits::<I, BITS, 5>(a, &mut counts, key),
        6 => count_digits::<I, BITS, 6>(a, &mut counts, key),
        _ => count_digits_any::<I, BITS>(a, &mut counts, key),
    }
    let mut in_a = true;
    for (d, c) in counts.chunks_exact_mut(1 << BITS).enumerate() {
        if c.contains(&n) {
            continue;
        }
        let mut at = 0;
        for slot in c.iter_mut() {
            let count = *slot;
            *slot = at;
            at += count;
        }
        let (src, dst) = if in_a { (&*a, &mut *t) } else { (&*t, &mut *a) };
        let shift = d as u32 * BITS;
        for &it in src {
            let b = digit(key(it), shift, BITS);
            // SAFETY: `c[b]` (b < 2^BITS = c.len()) stays below the start of bucket b + 1, at
            // most n = dst.len().
            unsafe {
                let at = c.get_unchecked_mut(b);
                *dst.get_unchecked_mut(*at as usize) = it;
                *at += 1;
            }
        }
        in_a = !in_a;
    }
    match (in_a, into_a) {
        (true, false) => t.copy_from_slice(a),
        (false, true) => a.copy_from_slice(t),
        _ => {}
    }
}

/// Counts the `P` digits of `BITS` bits (from bit 0 up) of every item's key: digit `d`'s
/// table is `counts[d·2^BITS ..][.. 2^BITS]`. With `P` fixed the per-item loop over the
/// digits unrolls (f32 keys leave 2 digits below an 11-bit top-level digit, f64 keys 5): a
/// one-thread sort of 2^20 normal f32 ran 10.3–10.8 ms with the number of digits only known
/// at run time and 9.5–9.8 ms this way, normal f64 18.6–19.2 → 16.4–17.0 ms (Zen 3 VM).
fn count_digits<I: Copy, const BITS: u32, const P: usize>(
    a: &[I],
    counts: &mut [u32],
    key: &impl Fn(I) -> u64,
) {
    assert_eq!(counts.len(), P << BITS, "radix sort: digit tables");
    for &it in a {
        let k = key(it);
        for d in 0..P {
            // SAFETY: (d << BITS) + a digit of BITS bits is below P << BITS = counts.len().
            unsafe {
                *counts.get_unchecked_mut((d << BITS) + digit(k, d as u32 * BITS, BITS)) += 1
            };
        }
    }
}

/// [`count_digits`] for any number of digits (`counts.len() >> BITS` of them).
fn count_digits_any<I: Copy, const BITS: u32>(
    a: &[I],
    counts: &mut [u32],
    key: &impl Fn(I) -> u64,
) {
    for &it in a {
        let k = key(it);
        for (d, c) in counts.chunks_exact_mut(1 << BITS).enumerate() {
            // SAFETY: a digit of BITS bits is below the chunk's length 2^BITS.
            unsafe { *c.get_unchecked_mut(digit(k, d as u32 * BITS, BITS)) += 1 };
        }
    }
}

/// Stable insertion sort by key.
fn insertion_sort<I: Copy>(a: &mut [I], key: &impl Fn(I) -> u64) {
    for i in 1..a.len() {
        let it = a[i];
        let k = key(it);
        let mut j = i;
        while j > 0 && key(a[j - 1]) > k {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = it;
    }
}

/// The `bits`-bit digit of `key` starting at bit `shift`.
#[inline(always)]
fn digit(key: u64, shift: u32, bits: u32) -> usize {
    ((key >> shift) & ((1 << bits) - 1)) as usize
}

/// How many items of `part` have each value of the `bits`-bit digit at `shift`.
///
/// Counts go to four interleaved tables (summed at the end), so a run of items with the same
/// digit does not wait on one counter's previous increment.
fn histogram<I: Copy>(part: &[I], shift: u32, bits: u32, key: &impl Fn(I) -> u64) -> Vec<usize> {
    let buckets = 1usize << bits;
    let mut total = vec![0usize; buckets];
    let mut tables = vec![0u32; 4 * buckets];
    // Blocks short enough that no `u32` count overflows.
    for block in part.chunks(1 << 30) {
        tables.fill(0);
        let (t0, rest) = tables.split_at_mut(buckets);
        let (t1, rest) = rest.split_at_mut(buckets);
        let (t2, t3) = rest.split_at_mut(buckets);
        let mut quads = block.chunks_exact(4);
        for q in &mut quads {
            t0[digit(key(q[0]), shift, bits)] += 1;
            t1[digit(key(q[1]), shift, bits)] += 1;
            t2[digit(key(q[2]), shift, bits)] += 1;
            t3[digit(key(q[3]), shift, bits)] += 1;
        }
        for &it in quads.remainder() {
            t0[digit(key(it), shift, bits)] += 1;
        }
        for (b, sum) in total.iter_mut().enumerate() {
            *sum += (t0[b] + t1[b] + t2[b] + t3[b]) as usize;
        }
    }
    total
}

/// The destination of the top-level pass, written by several threads at disjoint places.
struct Scatter<I>(*mut I);

impl<I> Scatter<I> {
    fn ptr(&self) -> *mut I {
        self.0
    }
}

// SAFETY: threads write through the pointer only at the disjoint places `radix_sort` gives
// them, and only items (`Send`) of the thread's own part.
unsafe impl<I: Send> Sync for Scatter<I> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::uniform;

    /// Keys of every shape the sort treats differently: all equal, a shared prefix, few
    /// distinct, spread, clustered.
    fn key_sets(n: usize) -> Vec<Vec<u32>> {
        // Values in [0, 1).
        let u: Vec<f64> = uniform(n, 7).iter().map(|x| x + 0.5).collect();
        vec![
            vec![42; n],
            u.iter()
                .map(|&x| 0xabc0_0000 | (x * 1000.0) as u32)
                .collect(),
            u.iter().map(|&x| (x * 3.0) as u32).collect(),
            u.iter().map(|&x| (x * u32::MAX as f64) as u32).collect(),
            u.iter()
                .map(|&x| (x * x * x * 1e6) as u32 ^ 0x8000_0000)
                .collect(),
        ]
    }

    #[test]
    #[should_panic(expected = "destination length")]
    fn a_destination_of_another_length_is_refused() {
        sort_into(&[3u32, 1], &mut [0; 3], 32, u64::from);
    }

    #[test]
    fn sorts_stably_whatever_the_size_and_key_distribution() {
        // 70_001 and 299_999: the last of the top-level pass's parts is shorter than the others.
        for n in [
            0, 1, 2, 47, 48, 49, 500, 4095, 4096, 5000, 70_000, 70_001, 299_999, 300_000,
        ] {
            for keys in key_sets(n) {
                // Items carry their input position: a stable sort orders equal keys by it.
                let items: Vec<(u32, u32)> = keys
                    .iter()
                    .enumerate()
                    .map(|(i, &k)| (k, i as u32))
                    .collect();
                let mut want = items.clone();
                want.sort();
                let mut sorted = vec![(0, 0); n];
                sort_into(&items, &mut sorted, 32, |(k, _)| k.into());
                assert!(sorted == want, "n = {n}");
            }
        }
    }

    #[test]
    fn a_top_level_bucket_too_long_for_least_significant_digits_is_split_again() {
        // All but a few thousand keys share their top 11 bits, so one top-level bucket holds
        // more than REGION_LSD_MAX items and takes a second most-significant-digit pass.
        let n = REGION_LSD_MAX + 5000;
        let u = uniform(n, 11);
        let items: Vec<(u32, u32)> = u
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let low = ((x + 0.5) * f64::from(1u32 << 21)) as u32 & ((1 << 21) - 1);
                let key = if i % 256 == 0 {
                    low | (7 << 21)
                } else {
                    low | (5 << 21)
                };
                (key, i as u32)
            })
            .collect();
        let mut want = items.clone();
        want.sort();
        let mut sorted = vec![(0, 0); n];
        sort_into(&items, &mut sorted, 32, |(k, _)| k.into());
        assert!(sorted == want);
    }

    #[test]
    fn wide_keys_take_every_count_of_least_significant_digits() {
        // 11-bit digits: 4 (40-bit keys), 5 (53 bits under a top-level digit) and 6 (64-bit
        // keys of a lane too short for a top-level pass) digits.
        let u = uniform(70_000, 5);
        fn bits(x: f64, width: u32) -> u64 {
            ((x + 0.5) * 2f64.powi(52)) as u64 >> (52 - width.min(52))
        }
        type Key = Box<dyn Fn(usize, f64) -> u64>;
        let cases: [(usize, u32, Key); 3] = [
            (5000, 40, Box::new(|_, x| bits(x, 40))),
            (
                70_000,
                64,
                Box::new(|i, x| (((i % 2) as u64 + 5) << 53) | (bits(x, 52) << 1)),
            ),
            (
                5000,
                64,
                Box::new(|i, x| (bits(x, 52) << 12) | ((i as u64 * 2654435761) % 4096)),
            ),
        ];
        for (n, key_bits, key) in cases {
            let keys: Vec<u64> = u[..n].iter().enumerate().map(|(i, &x)| key(i, x)).collect();
            let mut want = keys.clone();
            want.sort();
            let mut sorted = vec![0; n];
            sort_into(&keys, &mut sorted, key_bits, |k| k);
            assert!(sorted == want, "{key_bits}-bit keys, n = {n}");
        }
    }

    #[test]
    fn sorts_64_bit_keys() {
        let u: Vec<f64> = uniform(100_000, 3).iter().map(|x| x + 0.5).collect();
        let keys: Vec<u64> = u
            .iter()
            .map(|&x| (x.to_bits() ^ (1 << 63)) >> (x * 3.0) as u32)
            .collect();
        let mut want = keys.clone();
        want.sort();
        let mut sorted = vec![0; keys.len()];
        sort_into(&keys, &mut sorted, 64, |k| k);
        assert!(sorted == want);
    }
}
