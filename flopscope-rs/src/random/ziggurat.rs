//! numpy's ziggurat standard normals (`random_standard_normal` and
//! `random_standard_normal_f` of numpy 2.4's `distributions.c`).
//!
//! Rare-path details reproduced exactly:
//! - the tail (`idx == 0`) draws `xx = -inv_r * log1p(-U1)`,
//!   `yy = -log1p(-U2)` until `2 yy > xx²`; the f32 tail uses single
//!   precision throughout (`log1pf`, f32 products);
//! - the wedge test of **both** samplers uses double-precision
//!   `exp(-0.5 * x * x)`; in the f32 sampler `x` is widened to f64 and the
//!   single-precision left-hand side is compared in f64;
//! - a rejected draw restarts from a fresh raw word.

use super::bit_stream::BitStream;
use super::pcg64::Pcg64;
use super::ziggurat_tables::{
    FI_DOUBLE, FI_FLOAT, KI_DOUBLE, KI_FLOAT, WI_DOUBLE, WI_FLOAT, ZIGGURAT_NOR_INV_R,
    ZIGGURAT_NOR_INV_R_F, ZIGGURAT_NOR_R, ZIGGURAT_NOR_R_F,
};

/// One f64 standard normal, numpy `Generator.standard_normal()` bit for bit.
#[inline]
pub fn standard_normal_f64<B: BitStream + ?Sized>(bits: &mut B) -> f64 {
    let (idx, rabs, x) = ziggurat_f64_point(bits.next_u64());
    if rabs < KI_DOUBLE[idx] {
        return x;
    }
    ziggurat_f64_rare(bits, (idx, rabs, x))
}

/// Draw `r` split like numpy's f64 ziggurat: `(idx, rabs, x)` with layer `idx = r & 0xff`,
/// `rabs = (r >> 9) & (2^52 − 1)` and the candidate `x = ±rabs · wi[idx]` (sign from bit 8).
#[inline(always)]
fn ziggurat_f64_point(r: u64) -> (usize, u64, f64) {
    let idx = (r & 0xff) as usize;
    let r = r >> 8;
    let sign = r & 1;
    let rabs = (r >> 1) & 0x000f_ffff_ffff_ffff;
    // `-x` when `sign` is set, as a sign-bit flip (branch-free, bit-identical).
    let x = f64::from_bits((rabs as f64 * WI_DOUBLE[idx]).to_bits() ^ (sign << 63));
    (idx, rabs, x)
}

/// numpy's f64 ziggurat loop after a draw missed its rectangle: the tail (`idx == 0`) or
/// the wedge test, restarting from a fresh draw on rejection (out of line, like the f32 one).
#[cold]
#[inline(never)]
fn ziggurat_f64_rare<B: BitStream + ?Sized>(bits: &mut B, mut point: (usize, u64, f64)) -> f64 {
    loop {
        let (idx, rabs, x) = point;
        if idx == 0 {
            return normal_tail_f64(bits, rabs);
        }
        let u = bits.next_f64();
        if (FI_DOUBLE[idx - 1] - FI_DOUBLE[idx]) * u + FI_DOUBLE[idx] < (-0.5 * x * x).exp() {
            return x;
        }
        point = ziggurat_f64_point(bits.next_u64());
        if point.1 < KI_DOUBLE[point.0] {
            return point.2;
        }
    }
}

#[cold]
#[inline(never)]
fn normal_tail_f64<B: BitStream + ?Sized>(bits: &mut B, rabs: u64) -> f64 {
    loop {
        let xx = -ZIGGURAT_NOR_INV_R * (-bits.next_f64()).ln_1p();
        let yy = -(-bits.next_f64()).ln_1p();
        if yy + yy > xx * xx {
            return if (rabs >> 8) & 1 != 0 {
                -(ZIGGURAT_NOR_R + xx)
            } else {
                ZIGGURAT_NOR_R + xx
            };
        }
    }
}

/// One f32 standard normal, numpy `Generator.standard_normal(dtype=np.float32)`
/// bit for bit (consumes buffered 32-bit draws).
#[inline]
pub fn standard_normal_f32<B: BitStream + ?Sized>(bits: &mut B) -> f32 {
    let (idx, rabs, x) = ziggurat_f32_point(bits.next_u32());
    if rabs < KI_FLOAT[idx] {
        return x;
    }
    ziggurat_f32_rare(bits, (idx, rabs, x))
}

/// Draw `r` split like numpy's f32 ziggurat: `(idx, rabs, x)` with layer `idx = r & 0xff`,
/// `rabs = (r >> 9) & 0x7fffff` and the candidate `x = ±rabs · wi[idx]` (sign from bit 8).
#[inline(always)]
fn ziggurat_f32_point(r: u32) -> (usize, u32, f32) {
    let idx = (r & 0xff) as usize;
    let sign = (r >> 8) & 1;
    let rabs = (r >> 9) & 0x007f_ffff;
    // `-x` when `sign` is set, as a sign-bit flip (branch-free, bit-identical).
    let x = f32::from_bits((rabs as f32 * WI_FLOAT[idx]).to_bits() ^ (sign << 31));
    (idx, rabs, x)
}

/// The rest of numpy's f32 ziggurat loop after a draw (`point`) missed its rectangle: the tail
/// (`idx == 0`) or the wedge test, restarting from a fresh draw on rejection. Kept out of
/// line so the fast path stays a short loop (fills 1.4× faster than with one inlined loop).
#[cold]
#[inline(never)]
fn ziggurat_f32_rare<B: BitStream + ?Sized>(bits: &mut B, mut point: (usize, u32, f32)) -> f32 {
    loop {
        let (idx, rabs, x) = point;
        if idx == 0 {
            return normal_tail_f32(bits, rabs);
        }
        let u = bits.next_f32();
        let lhs = (FI_FLOAT[idx - 1] - FI_FLOAT[idx]) * u + FI_FLOAT[idx];
        let xd = f64::from(x);
        if f64::from(lhs) < (-0.5 * xd * xd).exp() {
            return x;
        }
        point = ziggurat_f32_point(bits.next_u32());
        if point.1 < KI_FLOAT[point.0] {
            return point.2;
        }
    }
}

#[cold]
#[inline(never)]
fn normal_tail_f32<B: BitStream + ?Sized>(bits: &mut B, rabs: u32) -> f32 {
    loop {
        let xx = -ZIGGURAT_NOR_INV_R_F * (-bits.next_f32()).ln_1p();
        let yy = -(-bits.next_f32()).ln_1p();
        if yy + yy > xx * xx {
            return if (rabs >> 8) & 1 != 0 {
                -(ZIGGURAT_NOR_R_F + xx)
            } else {
                ZIGGURAT_NOR_R_F + xx
            };
        }
    }
}

/// Fills `out` with f64 standard normals in order (numpy
/// `random_standard_normal_fill`).
pub fn fill_standard_normal_f64<B: BitStream + ?Sized>(bits: &mut B, out: &mut [f64]) {
    for v in out.iter_mut() {
        *v = standard_normal_f64(bits);
    }
}

/// Fills `out` with f32 standard normals in order (numpy
/// `random_standard_normal_fill_f`).
pub fn fill_standard_normal_f32<B: BitStream + ?Sized>(bits: &mut B, out: &mut [f32]) {
    for v in out.iter_mut() {
        *v = standard_normal_f32(bits);
    }
}

impl Pcg64 {
    /// One f64 standard normal (numpy `standard_normal()`).
    #[inline]
    pub fn standard_normal_f64(&mut self) -> f64 {
        standard_normal_f64(self)
    }

    /// One f32 standard normal (numpy `standard_normal(dtype=np.float32)`).
    #[inline]
    pub fn standard_normal_f32(&mut self) -> f32 {
        standard_normal_f32(self)
    }

    /// Fills `out` with f64 standard normals (numpy
    /// `standard_normal(size=out.len())`, row-major for any shape).
    pub fn fill_standard_normal_f64(&mut self, out: &mut [f64]) {
        fill_standard_normal_f64(self, out);
    }

    /// Fills `out` with f32 standard normals (numpy
    /// `standard_normal(size=out.len(), dtype=np.float32)`).
    pub fn fill_standard_normal_f32(&mut self, out: &mut [f32]) {
        fill_standard_normal_f32(self, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeedSequence;

    fn child(seed: u128, k: usize) -> Pcg64 {
        Pcg64::from_seed_sequence(&SeedSequence::new(seed).spawn(3)[k])
    }

    #[test]
    fn spec_first_f64_normals_seed_1001() {
        let mut rng = child(1001, 0);
        let mut out = [0.0f64; 4];
        rng.fill_standard_normal_f64(&mut out);
        assert_eq!(
            out,
            [
                -0.8072367449685911,
                1.8263527463215385,
                -0.5859938234163369,
                0.17360497673615566
            ]
        );
    }

    #[test]
    fn spec_first_f32_normals_seed_1001_samples() {
        let mut rng = child(1001, 1);
        let mut out = [0.0f32; 4];
        rng.fill_standard_normal_f32(&mut out);
        assert_eq!(out, [-0.43955085, 1.207312, 0.18384778, -0.6284011]);
    }

    /// Spec §12: `W_0[0]` at w = 4 is `f32(normal * sqrt(2/4))` (values as
    /// printed by Python, i.e. the f32 widened to f64).
    #[test]
    fn spec_fixture_weight_rows() {
        for (seed, want) in [
            (
                1001u128,
                [
                    -0.5708025693893433f64,
                    1.291426420211792,
                    -0.4143601953983307,
                    0.12275725603103638,
                ],
            ),
            (
                2002,
                [
                    1.1822022199630737,
                    -0.9812465310096741,
                    -0.017285212874412537,
                    0.967278778553009,
                ],
            ),
        ] {
            let mut rng = child(seed, 0);
            let scale = (2.0f64 / 4.0).sqrt();
            let row: Vec<f64> = (0..4)
                .map(|_| f64::from((rng.standard_normal_f64() * scale) as f32))
                .collect();
            assert_eq!(row, want, "seed {seed}");
        }
    }

    /// Bit-level xor and wrapping sum of a stream of values.
    fn checksums(bits: impl Iterator<Item = u64>) -> (u64, u64) {
        bits.fold((0, 0), |(x, s), b| (x ^ b, s.wrapping_add(b)))
    }

    /// 100,000 f64 normals of `default_rng(20240601)`, probed from numpy
    /// 2.4.6: 19 tail draws, 625 draws with at least one wedge rejection.
    #[test]
    fn numpy_probe_f64_stream_with_tail_and_rejections() {
        let mut rng = Pcg64::from_seed(20_240_601);
        let mut out = vec![0.0f64; 100_000];
        rng.fill_standard_normal_f64(&mut out);
        // Tail path (idx == 0, log1p sampler), first eight occurrences.
        for (i, v) in [
            (66, 3.800127793684673),
            (4652, -3.8616416672052303),
            (6197, -3.686907868129013),
            (7509, -3.6613025526888077),
            (7592, 5.357022117713699),
            (8744, -4.685080716842076),
            (22588, 3.9469824679652032),
            (24669, -3.8739618810759597),
        ] {
            assert_eq!(out[i], v, "tail draw {i}");
        }
        // Draws that were rejected in a wedge and restarted.
        for (i, v) in [
            (12, -1.061964641201837),
            (52, -0.38176655894604455),
            (716, 0.04332386661585522),
            (729, -0.6916164881540697),
            (736, 0.531439106271612),
        ] {
            assert_eq!(out[i], v, "rejected draw {i}");
        }
        // Draws accepted by the wedge (exp) test.
        for (i, v) in [
            (31, 0.6555123703846103),
            (164, -0.1407269948001254),
            (355, -0.051597492924787845),
            (552, -0.16129755732632578),
            (585, 1.6763103674258428),
        ] {
            assert_eq!(out[i], v, "wedge draw {i}");
        }
        let (xor, sum) = checksums(out.iter().map(|v| v.to_bits()));
        assert_eq!(xor, 0x00b9_13e5_36f2_ced1);
        assert_eq!(sum, 17_194_545_497_638_622_485);
        assert_eq!(
            rng.state(),
            316_886_686_180_260_299_678_801_961_196_937_823_028
        );
        assert_eq!(rng.buffered_u32(), None);
    }

    /// 100,000 f32 normals of `default_rng(20240601)`, probed from numpy
    /// 2.4.6: 30 tail draws, 644 draws with at least one wedge rejection.
    #[test]
    fn numpy_probe_f32_stream_with_tail_and_rejections() {
        let mut rng = Pcg64::from_seed(20_240_601);
        let mut out = vec![0.0f32; 100_000];
        rng.fill_standard_normal_f32(&mut out);
        for (i, v) in [
            (1420, 3.7834415f32),
            (2520, -4.030572),
            (10084, -3.8570187),
            (11693, 3.6975844),
            (12687, -4.1974726),
            (15908, 3.751343),
            (23245, 3.6621757),
            (26798, -4.0527997),
        ] {
            assert_eq!(out[i], v, "tail draw {i}");
        }
        for (i, v) in [
            (143, -0.8823999f32),
            (183, -0.8643104),
            (334, -0.39423034),
            (585, -0.98506963),
            (612, -0.98203146),
        ] {
            assert_eq!(out[i], v, "rejected draw {i}");
        }
        for (i, v) in [
            (220, -0.6747372f32),
            (256, 0.11436535),
            (268, -0.51814926),
            (307, -3.0388849),
            (583, -2.4888875),
        ] {
            assert_eq!(out[i], v, "wedge draw {i}");
        }
        let (xor, sum) = checksums(out.iter().map(|v| u64::from(v.to_bits())));
        assert_eq!(xor, 0x784f_14d9);
        assert_eq!(sum, 213_072_600_026_463);
        assert_eq!(
            rng.state(),
            297_716_563_337_953_052_038_076_349_578_727_570_135
        );
        assert_eq!(rng.buffered_u32(), None);
    }

    /// The free functions and the `Pcg64` methods draw the same stream.
    #[test]
    fn free_functions_match_methods() {
        let mut a = Pcg64::from_seed(5);
        let mut b = Pcg64::from_seed(5);
        let mut buf = [0.0f32; 3];
        fill_standard_normal_f32(&mut a, &mut buf);
        assert_eq!(buf[0], b.standard_normal_f32());
        assert_eq!(buf[1], b.standard_normal_f32());
        assert_eq!(buf[2], b.standard_normal_f32());
        assert_eq!(standard_normal_f64(&mut a), b.standard_normal_f64());
    }
}
