//! Deterministic pseudo-random test inputs (xorshift64), shared by the kernels' unit tests.

/// `n` values in `[-0.5, 0.5)` from `seed`; the same seed gives the same values.
pub(crate) fn uniform(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}
