//! Continuous uniforms as numpy's `Generator.random` and `Generator.uniform`
//! draw them.
//!
//! - `random()` / `random(dtype=np.float64)`: `next_f64` per value.
//! - `random(dtype=np.float32)`: `next_f32` per value (buffered 32-bit words).
//! - `uniform(low, high)`: `low + (high - low) * next_f64` in f64 (numpy only
//!   samples `uniform` in f64). numpy rejects a non-finite `high - low`
//!   (`OverflowError`) and a negative one (`ValueError`) before drawing.

use super::bit_stream::BitStream;
use super::error::RandomError;
use super::pcg64::Pcg64;

/// Fills `out` with `Generator.random(size=out.len())` values in `[0, 1)`.
pub fn fill_random_f64<B: BitStream + ?Sized>(bits: &mut B, out: &mut [f64]) {
    for v in out.iter_mut() {
        *v = bits.next_f64();
    }
}

/// Fills `out` with `Generator.random(size=out.len(), dtype=np.float32)`
/// values in `[0, 1)`.
pub fn fill_random_f32<B: BitStream + ?Sized>(bits: &mut B, out: &mut [f32]) {
    for v in out.iter_mut() {
        *v = bits.next_f32();
    }
}

/// Checks numpy's scalar `uniform` preconditions and returns `high - low`.
fn uniform_range(low: f64, high: f64) -> Result<f64, RandomError> {
    let range = high - low;
    if !range.is_finite() {
        return Err(RandomError::RangeNotFinite { low, high });
    }
    if range < 0.0 {
        return Err(RandomError::NegativeRange { low, high });
    }
    Ok(range)
}

/// Fills `out` with `Generator.uniform(low, high, size=out.len())`:
/// `low + (high - low) * next_f64()`.
///
/// # Errors
/// [`RandomError::RangeNotFinite`] / [`RandomError::NegativeRange`] (numpy's
/// messages) when `high - low` is not finite or is negative; nothing is drawn.
pub fn fill_uniform_f64<B: BitStream + ?Sized>(
    bits: &mut B,
    low: f64,
    high: f64,
    out: &mut [f64],
) -> Result<(), RandomError> {
    let range = uniform_range(low, high)?;
    for v in out.iter_mut() {
        *v = low + range * bits.next_f64();
    }
    Ok(())
}

impl Pcg64 {
    /// `Generator.random(size=out.len())` (f64).
    pub fn fill_random_f64(&mut self, out: &mut [f64]) {
        fill_random_f64(self, out);
    }

    /// `Generator.random(size=out.len(), dtype=np.float32)`.
    pub fn fill_random_f32(&mut self, out: &mut [f32]) {
        fill_random_f32(self, out);
    }

    /// `Generator.uniform(low, high, size=out.len())` (f64 only, as in numpy).
    pub fn fill_uniform_f64(
        &mut self,
        low: f64,
        high: f64,
        out: &mut [f64],
    ) -> Result<(), RandomError> {
        fill_uniform_f64(self, low, high, out)
    }

    /// One `Generator.uniform(low, high)` draw.
    pub fn uniform_f64(&mut self, low: f64, high: f64) -> Result<f64, RandomError> {
        let mut one = [0.0f64];
        fill_uniform_f64(self, low, high, &mut one)?;
        Ok(one[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_errors_draw_nothing() {
        let mut rng = Pcg64::from_seed(3);
        let fresh = rng.clone();
        let mut out = [0.0f64; 2];
        assert_eq!(
            rng.fill_uniform_f64(1.0, 0.0, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("high - low < 0")
        );
        assert_eq!(
            rng.fill_uniform_f64(0.0, f64::NAN, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("high - low range exceeds valid bounds")
        );
        assert_eq!(
            rng.fill_uniform_f64(0.0, f64::INFINITY, &mut out)
                .map_err(|e| e.numpy_message()),
            Err("high - low range exceeds valid bounds")
        );
        assert_eq!(rng, fresh);
        assert_eq!(rng.fill_uniform_f64(2.0, 2.0, &mut out), Ok(()));
        assert_eq!(out, [2.0, 2.0]);
    }
    /// `default_rng(2718)`: `uniform(-2.5, 7.0, 4)`, `random(3)`,
    /// `random(5, dtype=f32)`, `uniform(-1e3, 1e3, 10000)`,
    /// `random(10001, dtype=f32)` in sequence (numpy 2.4.6).
    #[test]
    fn numpy_probe_uniform_and_random() {
        let mut rng = Pcg64::from_seed(2718);
        let mut u = [0.0f64; 4];
        rng.fill_uniform_f64(-2.5, 7.0, &mut u)
            .expect("valid range");
        assert_eq!(
            u,
            [
                0.019511428002508602,
                -2.427698265542385,
                5.717790310032456,
                3.0745190978002155
            ]
        );
        let mut r = [0.0f64; 3];
        rng.fill_random_f64(&mut r);
        assert_eq!(
            r,
            [0.14094890231598578, 0.33351638450570387, 0.2566056868244633]
        );
        let mut r32 = [0.0f32; 5];
        rng.fill_random_f32(&mut r32);
        assert_eq!(
            r32,
            [0.76217884, 0.1843015, 0.273004, 0.2004993, 0.052765906]
        );
        let mut big = vec![0.0f64; 10_000];
        rng.fill_uniform_f64(-1e3, 1e3, &mut big)
            .expect("valid range");
        let (xor, sum) = big.iter().fold((0u64, 0u64), |(x, s), v| {
            (x ^ v.to_bits(), s.wrapping_add(v.to_bits()))
        });
        assert_eq!(
            (xor, sum),
            (0x0055_75fb_f637_0d04, 4_474_744_732_523_511_914)
        );
        let mut big32 = vec![0.0f32; 10_001];
        rng.fill_random_f32(&mut big32);
        let (xor, sum) = big32.iter().fold((0u64, 0u64), |(x, s), v| {
            let b = u64::from(v.to_bits());
            (x ^ b, s + b)
        });
        assert_eq!((xor, sum), (0x3c5b_ee1d, 10_528_888_133_271));
        assert_eq!(
            rng.state(),
            68_104_536_148_585_223_174_999_211_631_040_224_531
        );
        assert_eq!(rng.buffered_u32(), None);
    }

    /// 32-bit draws of different samplers share PCG64's one-word buffer:
    /// `default_rng(5)`: `standard_normal(3, f32)`, `integers(0, 10, 5)`,
    /// `random()`, `random(3, f32)`, `standard_normal(2)` (numpy 2.4.6).
    #[test]
    fn numpy_probe_mixed_samplers_share_u32_buffer() {
        let mut rng = Pcg64::from_seed(5);
        let mut a = [0.0f32; 3];
        rng.fill_standard_normal_f32(&mut a);
        assert_eq!(a, [-1.2224977, -2.1383154, -0.06472305]);
        let mut b = [0i64; 5];
        rng.fill_integers_i64(0, 10, &mut b).expect("valid range");
        assert_eq!(b, [8, 4, 5, 6, 2]);
        let mut c = [0.0f64; 1];
        rng.fill_random_f64(&mut c);
        assert_eq!(c, [0.053930702381656426]);
        let mut d = [0.0f32; 3];
        rng.fill_random_f32(&mut d);
        assert_eq!(d, [0.2779237, 0.38336885, 0.57118434]);
        let mut e = [0.0f64; 2];
        rng.fill_standard_normal_f64(&mut e);
        assert_eq!(e, [-0.7847803553442784, 0.7487457707345911]);
        assert_eq!(
            rng.state(),
            54_707_363_137_759_725_682_530_702_370_123_797_547
        );
        assert_eq!(rng.buffered_u32(), Some(1_754_379_058));
    }
}
