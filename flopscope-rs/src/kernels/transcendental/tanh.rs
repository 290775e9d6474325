//! `tanh`, computed on `|x|` and given `x`'s sign (so `tanh(−0) = −0` and NaN stays NaN): an
//! odd polynomial (`f32`) or rational function (`f64`) below `0.625`, `1 − 2/(e^{2|x|} + 1)`
//! above, which rounds to exactly 1 once `e^{2|x|}` is large (and is 1 at `+inf`).

#![allow(clippy::excessive_precision)] // published coefficients are kept verbatim

use super::{exp_f32, exp_f64, MulAdd};

/// Below this `|x|` the polynomial is used (Cephes' split point).
const SMALL: f32 = 0.625;
/// Cephes `tanhf` polynomial: `tanh(a) ≈ a + a³·P(a²)`, highest degree first.
const P_F32: [f32; 5] = [
    -5.704_988_727_45e-3,
    2.063_908_879_54e-2,
    -5.373_971_555_31e-2,
    1.333_144_220_36e-1,
    -3.333_328_194_22e-1,
];

/// `tanh(x)` in `f32` (Cephes `tanhf`).
#[inline(always)]
pub(crate) fn tanh_f32<M: MulAdd>(x: f32) -> f32 {
    let a = x.abs();
    let z = a * a;
    let mut p = P_F32[0];
    for &c in &P_F32[1..] {
        p = M::f32(p, z, c);
    }
    let small = M::f32(a * z, p, a);
    let e = exp_f32::<M>(a + a);
    let large = 1.0 - 2.0 / (e + 1.0);
    let t = if a < SMALL { small } else { large };
    f32::from_bits(t.to_bits() | (x.to_bits() & 0x8000_0000))
}

/// Cephes `tanh` rational function: `tanh(a) ≈ a + a³·P(a²)/Q(a²)`, `Q` monic; highest
/// degree first.
const P_F64: [f64; 3] = [
    -9.643_991_794_250_522_386_28e-1,
    -9.928_772_310_019_185_865_64e1,
    -1.614_687_684_417_084_479_52e3,
];
const Q_F64: [f64; 3] = [
    1.128_116_784_916_329_314_02e2,
    2.235_488_390_601_004_485_83e3,
    4.844_063_053_251_254_860_48e3,
];

/// `tanh(x)` in `f64` (Cephes `tanh`).
#[inline(always)]
pub(crate) fn tanh_f64<M: MulAdd>(x: f64) -> f64 {
    let a = x.abs();
    let z = a * a;
    let p = M::f64(M::f64(P_F64[0], z, P_F64[1]), z, P_F64[2]);
    let q = M::f64(M::f64(z + Q_F64[0], z, Q_F64[1]), z, Q_F64[2]);
    let small = M::f64(a * z, p / q, a);
    let e = exp_f64::<M>(a + a);
    let large = 1.0 - 2.0 / (e + 1.0);
    let t = if a < f64::from(SMALL) { small } else { large };
    f64::from_bits(t.to_bits() | (x.to_bits() & 0x8000_0000_0000_0000))
}
