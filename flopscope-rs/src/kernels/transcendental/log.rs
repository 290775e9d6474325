//! Natural `log`: `x = 2^k·m` with `m ∈ [√½, √2)` (subnormal inputs are scaled up first),
//! `log x = k·ln2 + log(1 + f)` with `f = m − 1`, then the special values: `log(±0) = −inf`,
//! `log(+inf) = +inf`, NaN for negative and NaN inputs.

#![allow(clippy::excessive_precision)] // published coefficients are kept verbatim

use super::MulAdd;

/// Bits of `√½` as `f32`: the reduction puts the mantissa in `[√½, √2)`.
const SQRT_HALF_BITS_F32: i32 = 0x3F35_04F3;
/// Cephes `logf` polynomial: `log(1 + f) ≈ f − f²/2 + f³·P(f)`, highest degree first.
const P_F32: [f32; 9] = [
    7.037_683_629_2e-2,
    -1.151_461_031_0e-1,
    1.167_699_874_0e-1,
    -1.242_014_084_6e-1,
    1.424_932_278_7e-1,
    -1.666_805_766_5e-1,
    2.000_071_476_5e-1,
    -2.499_999_399_3e-1,
    3.333_333_117_4e-1,
];
/// `ln 2` split Cephes-style (`k·LN2_HI_F32` is exact).
const LN2_HI_F32: f32 = 0.693_359_375;
const LN2_LO_F32: f32 = -2.121_944_40e-4;

/// `log(x)` in `f32` (Cephes `logf`).
#[inline(always)]
pub(crate) fn log_f32<M: MulAdd>(x: f32) -> f32 {
    // Subnormals: scale by 2^25 so the exponent field holds the whole magnitude.
    let tiny = x < f32::MIN_POSITIVE;
    let xs = if tiny { x * 33_554_432.0 } else { x };
    let bias = if tiny { 25 } else { 0 };
    let ix = (xs.to_bits() as i32).wrapping_sub(SQRT_HALF_BITS_F32);
    let k = (ix >> 23).wrapping_sub(bias);
    let m = f32::from_bits(((ix & 0x007F_FFFF).wrapping_add(SQRT_HALF_BITS_F32)) as u32);
    let f = m - 1.0;
    let kf = k as f32;
    let z = f * f;
    let mut p = P_F32[0];
    for &c in &P_F32[1..] {
        p = M::f32(p, f, c);
    }
    let y = f * z * p;
    let y = M::f32(kf, LN2_LO_F32, y);
    let y = M::f32(-0.5, z, y);
    let r = M::f32(kf, LN2_HI_F32, f + y);
    let r = if x == f32::INFINITY { x } else { r };
    let r = if x == 0.0 { f32::NEG_INFINITY } else { r };
    if x < 0.0 || x.is_nan() {
        f32::NAN
    } else {
        r
    }
}

/// Bits of `√½` as `f64`.
const SQRT_HALF_BITS_F64: i64 = 0x3FE6_A09E_667F_3BCD;
/// `ln 2` split as fdlibm does (`k·LN2_HI_F64` is exact).
const LN2_HI_F64: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // 6.93147180369123816490e-01
const LN2_LO_F64: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // 1.90821492927058770002e-10
/// fdlibm `e_log.c` coefficients `Lg1 … Lg7`: `log(1+f) = 2s + s·R(s²)`, `s = f/(2+f)`.
const LG: [f64; 7] = [
    f64::from_bits(0x3FE5_5555_5555_5593), // 6.666666666666735130e-01
    f64::from_bits(0x3FD9_9999_9997_FA04), // 3.999999999940941908e-01
    f64::from_bits(0x3FD2_4924_9422_9359), // 2.857142874366239149e-01
    f64::from_bits(0x3FCC_71C5_1D8E_78AF), // 2.222219843214978396e-01
    f64::from_bits(0x3FC7_4664_96CB_03DE), // 1.818357216161805012e-01
    f64::from_bits(0x3FC3_9A09_D078_C69F), // 1.531383769920937332e-01
    f64::from_bits(0x3FC2_F112_DF3E_5244), // 1.479819860511658591e-01
];
/// `1.5·2^52`: `from_bits(SHIFT_BITS + k) − SHIFT` converts a small integer `k` to `f64`
/// without an integer-to-float instruction (AVX2 has none for 64-bit lanes).
const SHIFT_F64: f64 = 6_755_399_441_055_744.0;

/// `log(x)` in `f64` (fdlibm `log`).
#[inline(always)]
pub(crate) fn log_f64<M: MulAdd>(x: f64) -> f64 {
    let tiny = x < f64::MIN_POSITIVE;
    let xs = if tiny {
        x * 18_014_398_509_481_984.0
    } else {
        x
    }; // 2^54
    let bias = if tiny { 54 } else { 0 };
    let ix = (xs.to_bits() as i64).wrapping_sub(SQRT_HALF_BITS_F64);
    let k = (ix >> 52).wrapping_sub(bias);
    let m = f64::from_bits(((ix & 0x000F_FFFF_FFFF_FFFF).wrapping_add(SQRT_HALF_BITS_F64)) as u64);
    let f = m - 1.0;
    let dk = f64::from_bits((SHIFT_F64.to_bits() as i64).wrapping_add(k) as u64) - SHIFT_F64;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * M::f64(w, M::f64(w, LG[5], LG[3]), LG[1]);
    let t2 = z * M::f64(w, M::f64(w, M::f64(w, LG[6], LG[4]), LG[2]), LG[0]);
    let big_r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let r = dk * LN2_HI_F64 - ((hfsq - M::f64(s, hfsq + big_r, dk * LN2_LO_F64)) - f);
    let r = if x == f64::INFINITY { x } else { r };
    let r = if x == 0.0 { f64::NEG_INFINITY } else { r };
    if x < 0.0 || x.is_nan() {
        f64::NAN
    } else {
        r
    }
}
