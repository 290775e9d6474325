//! The counter-based normal stream shared by the CPU and the CUDA sampler: Philox4x32-10
//! (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", the Random123 generator)
//! followed by a Box-Muller transform in f64, rounded to f32.
//!
//! Input `x[s][j]` (sample `s`, column `j`) is a pure function of the MLP's key and `(s, j)`:
//! Philox4x32-10 of counter `[j / 4, s mod 2^32, s / 2^32, 0]` under the key gives four 32-bit
//! words `u0..u3`; uniforms `v_i = (u_i + 0.5) · 2^-32` (in `(0, 1)`, never 0); the Box-Muller
//! pairs `(v0, v1)` and `(v2, v3)` give lanes 0, 1 and 2, 3:
//! `r = sqrt(-2 ln v_a)`, `t = 2π · v_b`, `z_a = r cos t`, `z_b = r sin t`, all in f64, then
//! rounded to f32; `x[s][j]` is lane `j mod 4`. Nothing depends on batch size, chunking or
//! launch geometry, so any device can produce any sample. The CUDA kernel evaluates the same
//! expressions (see the `whest-cuda` crate's kernel source); its f64 `log`/`sin`/`cos` may
//! differ from this machine's libm by an ulp of f64, which changes an f32 input only when the
//! f64 value lies within that ulp of an f32 rounding boundary (about once in 10^8 inputs).
//!
//! The key is the first two 32-bit words of the MLP's sample-stream seed
//! (`SeedSequence::generate_state(2, uint32)`), so the weights and `mlp.seed` derive exactly as
//! for the numpy stream.

use flopscope::random::SeedSequence;

/// Philox4x32 round multipliers and Weyl key increments (Random123's constants).
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// `2π` as the nearest f64, `6.283185307179586` (the kernel writes the same literal).
pub const TWO_PI: f64 = std::f64::consts::TAU;
/// `2^-32` (exact in f64).
const INV_2_32: f64 = 1.0 / 4_294_967_296.0;

/// One Philox4x32 round.
#[inline(always)]
fn round(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let p0 = u64::from(M0) * u64::from(ctr[0]);
    let p1 = u64::from(M1) * u64::from(ctr[2]);
    let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
    let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
    [hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0]
}

/// Philox4x32-10: ten rounds with the key bumped between rounds (Random123's
/// `philox4x32(ctr, key)` with the default round count).
#[inline]
pub fn philox4x32_10(mut ctr: [u32; 4], mut key: [u32; 2]) -> [u32; 4] {
    ctr = round(ctr, key);
    for _ in 1..10 {
        key = [key[0].wrapping_add(W0), key[1].wrapping_add(W1)];
        ctr = round(ctr, key);
    }
    ctr
}

/// A 32-bit word as a uniform in `(0, 1)`: `(u + 0.5) · 2^-32` (exact in f64).
#[inline(always)]
fn uniform_open(u: u32) -> f64 {
    (f64::from(u) + 0.5) * INV_2_32
}

/// The Box-Muller pair of two words, each rounded to f32 (see the module doc).
#[inline]
pub fn box_muller(ua: u32, ub: u32) -> [f32; 2] {
    let r = (-2.0 * uniform_open(ua).ln()).sqrt();
    let t = TWO_PI * uniform_open(ub);
    [(r * t.cos()) as f32, (r * t.sin()) as f32]
}

/// The four normals of counter block `block` of sample `sample` under `key`.
#[inline]
pub fn normals4(key: [u32; 2], sample: u64, block: u32) -> [f32; 4] {
    let u = philox4x32_10([block, sample as u32, (sample >> 32) as u32, 0], key);
    let [a, b] = box_muller(u[0], u[1]);
    let [c, d] = box_muller(u[2], u[3]);
    [a, b, c, d]
}

/// One MLP's Philox normal stream (its key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhiloxNormals {
    /// The Philox key.
    pub key: [u32; 2],
}

impl PhiloxNormals {
    /// The stream of an MLP with sample-stream seed `seed`: key = its first two state words.
    pub fn for_seed(seed: &SeedSequence) -> PhiloxNormals {
        let words = seed.generate_state_u32(2);
        PhiloxNormals {
            key: [words[0], words[1]],
        }
    }

    /// Fills `out` (row-major `rows × width`, `rows = out.len() / width`) with the inputs of
    /// samples `first_row ..`.
    ///
    /// # Panics
    /// If `width` is 0 or does not divide `out.len()`.
    pub fn fill_rows(&self, first_row: u64, width: usize, out: &mut [f32]) {
        assert!(
            width > 0 && out.len().is_multiple_of(width),
            "philox: row shape"
        );
        for (r, row) in out.chunks_exact_mut(width).enumerate() {
            let sample = first_row + r as u64;
            for (q, lanes) in row.chunks_mut(4).enumerate() {
                let z = normals4(self.key, sample, q as u32);
                lanes.copy_from_slice(&z[..lanes.len()]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123's published known-answer vectors for philox4x32 with 10 rounds
    /// (`kat_vectors`: zero, all-ones and the digits of π).
    #[test]
    fn reproduces_random123_known_answers() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn box_muller_extremes_stay_finite() {
        // The smallest word gives the largest radius, sqrt(-2 ln 2^-33) ≈ 6.76.
        let [z0, z1] = box_muller(0, 0);
        assert!((f64::from(z0) - 6.763_705_6).abs() < 1e-5, "{z0}");
        assert!(z1.abs() < 1e-5, "{z1}");
        let [z0, _] = box_muller(u32::MAX, u32::MAX);
        assert!(z0.is_finite() && z0.abs() < 1e-4);
    }

    #[test]
    fn rows_depend_only_on_sample_and_column() {
        let s = PhiloxNormals { key: [7, 9] };
        let mut whole = vec![0.0f32; 5 * 6];
        s.fill_rows(10, 6, &mut whole);
        let mut part = vec![0.0f32; 2 * 6];
        s.fill_rows(13, 6, &mut part);
        assert_eq!(part, whole[3 * 6..]);
        // A wider row starts with the narrower row's columns.
        let mut wide = vec![0.0f32; 9];
        s.fill_rows(10, 9, &mut wide);
        assert_eq!(wide[..6], whole[..6]);
        assert_eq!(wide[4..6], normals4([7, 9], 10, 1)[..2]);
    }

    #[test]
    fn the_stream_is_standard_normal() {
        let s = PhiloxNormals { key: [1, 2] };
        let mut x = vec![0.0f32; 200_000];
        s.fill_rows(0, 8, &mut x);
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / n - mean * mean;
        // 6 standard errors: mean SE = 1/sqrt(n) ≈ 0.0022, variance SE = sqrt(2/n) ≈ 0.0032.
        assert!(mean.abs() < 0.014, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn keys_come_from_the_sample_seed() {
        let seed = SeedSequence::new(12345);
        let words = seed.generate_state_u32(2);
        assert_eq!(PhiloxNormals::for_seed(&seed).key, [words[0], words[1]]);
        assert_ne!(
            PhiloxNormals::for_seed(&SeedSequence::new(1)).key,
            PhiloxNormals::for_seed(&SeedSequence::new(2)).key
        );
    }
}
