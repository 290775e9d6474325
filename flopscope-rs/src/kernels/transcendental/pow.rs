//! `x ** y` in `f32`: `exp(y·log x)` evaluated in `f64` and rounded once to `f32`.
//!
//! `log x = k·ln2 + log(1 + f)` with `1 + f ∈ [√½, √2)` and a degree-14 polynomial
//! (relative error below `2^-37.8`), `exp(t) = 2^n·exp(r)` with `|r| ≤ ln2/2` and a degree-8
//! polynomial (relative error below `2^-37.7`); both fitted for this kernel. For every result
//! that neither overflows nor rounds to 0, `|y·log x| < 104`, so the `f64` value is within
//! `2^-31` (relative) of the exact power and the `f32` result within 0.51 ulp of it (the
//! exact power correctly rounded except within 0.008 ulp of a halfway point). Results in the
//! `f32` subnormal range are rounded once, from the `f64` value.
//!
//! The formula covers finite `x > 0` with finite `y` ([`pow_f32_in_domain`]); every other pair
//! (zeros, negatives, infinities, NaN) is left to libm's `powf`, which has every special case
//! of C `pow`.

use super::MulAdd;

/// Bits of `√½` as `f64`: the reduction puts the mantissa in `[√½, √2)`.
const SQRT_HALF_BITS: i64 = 0x3FE6_A09E_667F_3BCD;
/// `log(1 + f) ≈ f − f²/2 + f³·P(f)` on `[√½ − 1, √2 − 1]`, `P` lowest degree first
/// (least-squares fit on Chebyshev nodes weighted for relative error).
const LOG_P: [f64; 12] = [
    0.333_333_334_484_773_15,
    -0.250_000_009_952_781_2,
    0.199_999_834_867_532_5,
    -0.166_665_417_613_789_7,
    0.142_864_213_770_612,
    -0.125_055_525_610_948_5,
    0.111_007_179_224_924_73,
    -0.098_886_285_547_559_52,
    0.090_847_359_759_687_25,
    -0.093_242_699_618_429_38,
    0.089_546_963_442_362_28,
    -0.046_013_299_584_642_266,
];
/// `exp(r) ≈ 1 + r + r²·Q(r)` on `[−ln2/2, ln2/2]`, `Q` lowest degree first (least-squares
/// fit on Chebyshev nodes).
const EXP_Q: [f64; 7] = [
    0.499_999_999_999_550_86,
    0.166_666_667_190_076_7,
    0.041_666_666_786_280_12,
    0.008_333_298_480_360_973,
    0.001_388_883_910_736_078,
    0.000_198_992_762_206_593_06,
    2.486_787_202_520_786_6e-5,
];
/// `1.5·2^52`: adding it rounds an `f64` of magnitude below `2^51` to an integer held in the
/// low mantissa bits (integer ↔ float without conversion instructions, which AVX2 lacks for
/// 64-bit lanes).
const SHIFT: f64 = 6_755_399_441_055_744.0;

/// Whether [`pow_f32_formula`] gives `x ** y`: `x` positive and finite, `y` finite.
#[inline(always)]
pub(crate) fn pow_f32_in_domain(x: f32, y: f32) -> bool {
    x > 0.0 && x < f32::INFINITY && y.abs() < f32::INFINITY
}

/// `x ** y` for `(x, y)` in [`pow_f32_in_domain`] (some value outside it, never a trap).
#[inline(always)]
pub(crate) fn pow_f32_formula<M: MulAdd>(x: f32, y: f32) -> f32 {
    // log x: every positive f32 is a normal f64, so the exponent field is the whole scale.
    let ix = (f64::from(x).to_bits() as i64).wrapping_sub(SQRT_HALF_BITS);
    let k = ix >> 52;
    let m = f64::from_bits(((ix & 0x000F_FFFF_FFFF_FFFF).wrapping_add(SQRT_HALF_BITS)) as u64);
    let f = m - 1.0;
    let kf = f64::from_bits((SHIFT.to_bits() as i64).wrapping_add(k) as u64) - SHIFT;
    let mut p = LOG_P[LOG_P.len() - 1];
    for &c in LOG_P[..LOG_P.len() - 1].iter().rev() {
        p = M::f64(p, f, c);
    }
    let f2 = f * f;
    let log1p = M::f64(f2 * f, p, M::f64(-0.5, f2, f));
    let log = M::f64(kf, std::f64::consts::LN_2, log1p);
    // exp(t): beyond [-160, 130] the f32 result is 0 or +inf anyway.
    let t = (f64::from(y) * log).clamp(-160.0, 130.0);
    let z = M::f64(t, std::f64::consts::LOG2_E, SHIFT);
    let n = (z.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let r = M::f64(z - SHIFT, -std::f64::consts::LN_2, t);
    let mut q = EXP_Q[EXP_Q.len() - 1];
    for &c in EXP_Q[..EXP_Q.len() - 1].iter().rev() {
        q = M::f64(q, r, c);
    }
    let e = 1.0 + M::f64(r * r, q, r);
    let scale = f64::from_bits((n.wrapping_add(1023) << 52) as u64);
    (e * scale) as f32
}
