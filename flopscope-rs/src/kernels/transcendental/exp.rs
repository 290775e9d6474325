//! `exp`: `x = n·ln2 + r` with `|r| ≤ ln2/2` (Cody–Waite, `n` rounded by the `1.5·2^p` shift
//! trick), a polynomial for `exp(r)`, then `exp(r)·2^⌊n/2⌋·2^(n−⌊n/2⌋)` — two exact-or-once-
//! rounded scalings, so overflow gives `+inf` and results in the subnormal range round once.

#![allow(clippy::excessive_precision)] // published coefficients are kept verbatim

use super::MulAdd;

/// `1.5·2^23`: adding it rounds an `f32` of magnitude below `2^22` to an integer, which then
/// sits in the low mantissa bits.
const SHIFT_F32: f32 = 12_582_912.0;
/// `ln 2` split Cephes-style: `LN2_HI_F32` has 9 significant bits, so `n·LN2_HI_F32` is exact.
const LN2_HI_F32: f32 = 0.693_359_375;
const LN2_LO_F32: f32 = -2.121_944_40e-4;
/// Cephes `expf` polynomial: `exp(r) ≈ 1 + r + r²·P(r)`, `P` highest degree first.
const P_F32: [f32; 6] = [
    1.987_569_150_0e-4,
    1.398_199_950_7e-3,
    8.333_451_907_3e-3,
    4.166_579_589_4e-2,
    1.666_666_545_9e-1,
    5.000_000_120_1e-1,
];

/// `exp(x)` in `f32` (Cephes `expf` reduction and polynomial).
#[inline(always)]
pub(crate) fn exp_f32<M: MulAdd>(x: f32) -> f32 {
    // Beyond these, exp(x) overflows to +inf or rounds to 0 anyway; clamping keeps n in
    // [-150, 128]; NaN passes through.
    let x = x.clamp(-104.0, 89.0);
    let z = M::f32(x, std::f32::consts::LOG2_E, SHIFT_F32);
    let n = (z.to_bits() as i32).wrapping_sub(SHIFT_F32.to_bits() as i32);
    let nf = z - SHIFT_F32;
    let r = M::f32(nf, -LN2_HI_F32, x);
    let r = M::f32(nf, -LN2_LO_F32, r);
    let mut q = P_F32[0];
    for &c in &P_F32[1..] {
        q = M::f32(q, r, c);
    }
    let p = 1.0 + M::f32(r * r, q, r);
    let n1 = n >> 1;
    let n2 = n.wrapping_sub(n1);
    let s1 = f32::from_bits((n1.wrapping_add(127) << 23) as u32);
    let s2 = f32::from_bits((n2.wrapping_add(127) << 23) as u32);
    p * s1 * s2
}

/// `1.5·2^52`, the `f64` shift constant.
const SHIFT_F64: f64 = 6_755_399_441_055_744.0;
/// `ln 2` split as fdlibm does: `LN2_HI_F64` ends in 32 zero bits, so `n·LN2_HI_F64` is exact.
const LN2_HI_F64: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // 6.93147180369123816490e-01
const LN2_LO_F64: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // 1.90821492927058770002e-10
/// Taylor coefficients `1/k!` for `k = 13 … 2` (the remainder on `|r| ≤ ln2/2` is below
/// `4e-18` relative).
const P_F64: [f64; 12] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
];

/// `exp(x)` in `f64` (fdlibm's reduction, a degree-13 Taylor polynomial).
#[inline(always)]
pub(crate) fn exp_f64<M: MulAdd>(x: f64) -> f64 {
    // n stays in [-1077, 1025]; NaN passes through.
    let x = x.clamp(-746.0, 710.0);
    let z = M::f64(x, std::f64::consts::LOG2_E, SHIFT_F64);
    let n = (z.to_bits() as i64).wrapping_sub(SHIFT_F64.to_bits() as i64);
    let nf = z - SHIFT_F64;
    let r = M::f64(nf, -LN2_HI_F64, x);
    let r = M::f64(nf, -LN2_LO_F64, r);
    let mut q = P_F64[0];
    for &c in &P_F64[1..] {
        q = M::f64(q, r, c);
    }
    let p = 1.0 + M::f64(r * r, q, r);
    let n1 = n >> 1;
    let n2 = n.wrapping_sub(n1);
    let s1 = f64::from_bits((n1.wrapping_add(1023) << 52) as u64);
    let s2 = f64::from_bits((n2.wrapping_add(1023) << 52) as u64);
    p * s1 * s2
}
