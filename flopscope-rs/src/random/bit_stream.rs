//! The raw-bit interface every sampler in this module draws from.
//!
//! It mirrors numpy's `bitgen_t` (`next_uint64`, `next_uint32`,
//! `next_double`) plus numpy's `next_float` helper from `distributions.c`.

/// A source of uniformly distributed bits, numpy `bitgen_t` style.
///
/// Samplers ([`standard_normal_f64`](super::standard_normal_f64),
/// [`bounded_u64`](super::bounded_u64), …) are generic over this trait, so any
/// numpy-compatible bit generator can drive them.
pub trait BitStream {
    /// The next 64 random bits (numpy `next_uint64`).
    fn next_u64(&mut self) -> u64;

    /// The next 32 random bits (numpy `next_uint32`).
    fn next_u32(&mut self) -> u32;

    /// A uniform `f64` in `[0, 1)`: `(next_u64() >> 11) * 2^-53`
    /// (numpy `next_double`).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform `f32` in `[0, 1)`: `(next_u32() >> 8) * 2^-24`
    /// (numpy `next_float`).
    fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }
}
