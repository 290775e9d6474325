//! numpy's `PCG64` bit generator (PCG XSL-RR 128/64), seeded like numpy.

use super::bit_stream::BitStream;
use super::seed_sequence::SeedSequence;

/// The 128-bit LCG multiplier of PCG64 (`PCG_DEFAULT_MULTIPLIER_128`).
const MULTIPLIER: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;

/// numpy's `PCG64`: a 128-bit LCG with the XSL-RR output function, plus the
/// one-word buffer numpy uses for 32-bit draws.
///
/// ```
/// use flopscope::random::{Pcg64, SeedSequence};
/// let kids = SeedSequence::new(1001).spawn(3);
/// let mut rng = Pcg64::from_seed_sequence(&kids[0]);
/// assert_eq!(rng.next_u64(), 0xec0acf233d3bcbcc);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcg64 {
    state: u128,
    inc: u128,
    has_uint32: bool,
    uinteger: u32,
}

impl Pcg64 {
    /// `PCG64(seed_seq)`: seeds from `seed_seq.generate_state(4, uint64)`
    /// `= [s_hi, s_lo, q_hi, q_lo]` with `initstate = s_hi<<64 | s_lo` and
    /// `initseq = q_hi<<64 | q_lo`, then runs PCG's `srandom`.
    pub fn from_seed_sequence(seed_seq: &SeedSequence) -> Self {
        let v = seed_seq.generate_state_u64(4);
        let initstate = (u128::from(v[0]) << 64) | u128::from(v[1]);
        let initseq = (u128::from(v[2]) << 64) | u128::from(v[3]);
        Self::from_initstate_initseq(initstate, initseq)
    }

    /// `PCG64(seed)` / `default_rng(seed)` for a non-negative integer seed:
    /// the same as seeding from `SeedSequence(seed)`.
    pub fn from_seed(seed: u128) -> Self {
        Self::from_seed_sequence(&SeedSequence::new(seed))
    }

    /// PCG's `pcg_setseq_128_srandom_r(initstate, initseq)`.
    pub fn from_initstate_initseq(initstate: u128, initseq: u128) -> Self {
        let mut rng = Pcg64 {
            state: 0,
            inc: (initseq << 1) | 1,
            has_uint32: false,
            uinteger: 0,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(initstate);
        rng.step();
        rng
    }

    /// Restores a generator from numpy's `bit_generator.state` fields:
    /// `state`, `inc` (must be odd for a proper PCG stream), `has_uint32` and
    /// `uinteger`.
    pub fn from_raw_parts(state: u128, inc: u128, has_uint32: bool, uinteger: u32) -> Self {
        Pcg64 {
            state,
            inc,
            has_uint32,
            uinteger,
        }
    }

    /// The 128-bit LCG state (numpy `bit_generator.state["state"]["state"]`).
    pub fn state(&self) -> u128 {
        self.state
    }

    /// The 128-bit increment (numpy `bit_generator.state["state"]["inc"]`).
    pub fn inc(&self) -> u128 {
        self.inc
    }

    /// The pending high half of the last 64-bit word split for 32-bit draws,
    /// if any (numpy `has_uint32` / `uinteger`).
    pub fn buffered_u32(&self) -> Option<u32> {
        self.has_uint32.then_some(self.uinteger)
    }

    #[inline(always)]
    fn step(&mut self) {
        self.state = self.state.wrapping_mul(MULTIPLIER).wrapping_add(self.inc);
    }

    /// The next raw 64-bit output: step the LCG, then XSL-RR
    /// (`rotr64(hi ^ lo, state >> 122)`).
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.step();
        let hi = (self.state >> 64) as u64;
        let lo = self.state as u64;
        (hi ^ lo).rotate_right((self.state >> 122) as u32)
    }

    /// The next 32 bits, buffered like numpy: a fresh 64-bit draw returns its
    /// low half and keeps the high half for the following call.
    #[inline(always)]
    pub fn next_u32(&mut self) -> u32 {
        if self.has_uint32 {
            self.has_uint32 = false;
            return self.uinteger;
        }
        let next = self.next_u64();
        self.has_uint32 = true;
        self.uinteger = (next >> 32) as u32;
        next as u32
    }

    /// A uniform `f64` in `[0, 1)`: `(next_u64() >> 11) * 2^-53`.
    #[inline(always)]
    pub fn next_f64(&mut self) -> f64 {
        BitStream::next_f64(self)
    }

    /// A uniform `f32` in `[0, 1)`: `(next_u32() >> 8) * 2^-24`.
    #[inline(always)]
    pub fn next_f32(&mut self) -> f32 {
        BitStream::next_f32(self)
    }
}

impl BitStream for Pcg64 {
    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        Pcg64::next_u64(self)
    }

    #[inline(always)]
    fn next_u32(&mut self) -> u32 {
        Pcg64::next_u32(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weight_stream_1001() -> Pcg64 {
        Pcg64::from_seed_sequence(&SeedSequence::new(1001).spawn(3)[0])
    }

    #[test]
    fn spec_state_after_seeding_and_first_outputs() {
        let mut rng = weight_stream_1001();
        assert_eq!(
            rng.state(),
            147_581_944_228_524_902_582_059_327_250_102_054_547
        );
        assert_eq!(rng.next_u64(), 0xec0a_cf23_3d3b_cbcc);
        assert_eq!(rng.next_u64(), 0x9c51_98aa_e6d8_80c4);
    }

    #[test]
    fn u32_buffer_low_half_first() {
        let mut a = weight_stream_1001();
        assert_eq!(a.buffered_u32(), None);
        assert_eq!(a.next_u32(), 0x3d3b_cbcc);
        assert_eq!(a.buffered_u32(), Some(0xec0a_cf23));
        assert_eq!(a.next_u32(), 0xec0a_cf23);
        assert_eq!(a.buffered_u32(), None);
        // A 64-bit draw does not touch the 32-bit buffer.
        assert_eq!(a.next_u32(), 0xe6d8_80c4);
        assert_eq!(a.next_u64(), THIRD_U64_1001);
        assert_eq!(a.next_u32(), 0x9c51_98aa);
    }

    /// Third raw output of the seed-1001 weight stream (numpy 2.4.6).
    const THIRD_U64_1001: u64 = 0x671f_1c37_38e8_75ed;

    #[test]
    fn uniform_conversions() {
        let mut a = weight_stream_1001();
        let mut b = weight_stream_1001();
        assert_eq!(
            a.next_f64(),
            (0xec0a_cf23_3d3b_cbccu64 >> 11) as f64 / 2f64.powi(53)
        );
        assert_eq!(b.next_f32(), (0x3d3b_cbccu32 >> 8) as f32 / 2f32.powi(24));
    }

    /// `np.random.PCG64(12345)` probed from numpy 2.4.6.
    #[test]
    fn numpy_probe_pcg64_seed_12345() {
        let mut rng = Pcg64::from_seed(12345);
        assert_eq!(
            rng.state(),
            33_261_208_707_367_790_463_622_745_601_869_196_757
        );
        assert_eq!(
            rng.inc(),
            268_209_174_141_567_072_605_526_753_992_732_310_247
        );
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            vec![
                0x3a32_b18d_b2ff_c19d,
                0x5117_1315_c9e4_c4de,
                0xcc20_2482_3444_efd9,
                0xad1f_06ae_a486_e910
            ]
        );
    }

    /// Sum (wrapping) and xor of the first 10,000 raw outputs from seed 0,
    /// probed from numpy 2.4.6.
    #[test]
    fn numpy_probe_raw_stream_checksum() {
        let mut rng = Pcg64::from_seed(0);
        let mut sum = 0u64;
        let mut xor = 0u64;
        for _ in 0..10_000 {
            let v = rng.next_u64();
            sum = sum.wrapping_add(v);
            xor ^= v;
        }
        assert_eq!(
            (sum, xor),
            (1_966_434_135_459_701_706, 0x7eff_23ba_be79_f444)
        );
        assert_eq!(
            rng.state(),
            214_380_343_878_228_948_099_366_912_763_026_239_891
        );
    }
}
