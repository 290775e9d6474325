//! The standard normal distribution (`flopscope.stats.norm`, i.e. `scipy.stats.norm`).
//!
//! Costs (flopscope 0.12.4, op keys `stats.norm.pdf` / `stats.norm.cdf` / `stats.norm.ppf`,
//! weight 1): `27` / `48` / `83` FLOPs per output element × `max(numel, 1)` × the `float64`
//! rate (2), whatever the input dtype: flopscope casts the input to `float64` first, so `f32`,
//! integer and bool inputs return `float64` tensors and are billed as `float64`. A symmetric
//! (tagged) input is billed densely and the output is untagged. `loc`/`scale` variants bill
//! the same.
//!
//! Numerics follow scipy, not flopscope's own kernels: `cdf` is Cephes' `ndtr`
//! (`0.5·erfc(|x|/√2)` in the tails, so tiny lower-tail probabilities keep full relative
//! precision) over fdlibm's `erf`/`erfc` (≤ 1 ulp); `ppf` is Wichura's AS 241 (`PPND16`,
//! about 1e-16 relative); `pdf` is `exp(−x²/2)/√(2π)` with the vectorised `exp` of
//! [`crate::Tensor::exp`] (within 1 ulp of glibc's). Agreement with scipy is about 1e-15
//! relative in the body and ≲ x²·1e-16 in the far lower tail, where the rounding of `x/√2`
//! (in scipy too) dominates. flopscope's own kernels (`0.5·(1 + erf)`, with a few mistyped
//! fdlibm coefficients, and Acklam's approximation plus one Newton step for `ppf`) differ
//! from these by at most about 4e-15 absolute (`cdf`) and 1e-13 (`ppf`); their `cdf` is 0
//! below about −8.5, where this one returns the tiny true probability. Large arrays are split
//! across the kernel threads.

#![allow(clippy::excessive_precision)] // published coefficients are kept verbatim

use crate::budget::pricing::{NORM_CDF_PER_ELEMENT, NORM_PDF_PER_ELEMENT, NORM_PPF_PER_ELEMENT};
use crate::budget::{counted, per_element, Op};
use crate::dtype::DType;
use crate::kernels::transcendental::{self, exp_f64, Lanewise, MulAdd};
use crate::tensor::Tensor;

/// `√(2π)` as numpy computes it (scipy's `_norm_pdf_C`); the density divides by it.
const SQRT_2PI: f64 = 2.5066282746310002;

/// Charges `op` for `x`'s elements, then applies `kernel` to them (as `float64`) into a new
/// `float64` tensor.
fn map(op: Op, per_elem: u64, x: &Tensor, kernel: impl FnOnce(Vec<f64>) -> Vec<f64>) -> Tensor {
    counted(
        per_element(op, per_elem, x.numel(), DType::F64),
        |charged| Tensor::from_elems(charged, kernel(x.buf.to_vec::<f64>()), x.shape),
    )
}

/// `K` over every element, on the fastest kernel path, large arrays on every kernel thread.
fn lanes<K: Lanewise<f64>>(v: Vec<f64>) -> Vec<f64> {
    transcendental::map::<K, f64>(&v)
}

/// `(v − loc)/scale` in place, or all NaN for a `scale` that is not `> 0` (scipy).
fn standardise(mut v: Vec<f64>, loc: f64, scale: f64) -> Vec<f64> {
    let invalid = invalid_scale(scale);
    for x in &mut v {
        *x = if invalid {
            f64::NAN
        } else {
            (*x - loc) / scale
        };
    }
    v
}

/// The standard normal density, [`std_pdf`] with the vectorised `exp`.
struct StdPdf;
impl Lanewise<f64> for StdPdf {
    #[inline(always)]
    fn eval<M: MulAdd>(x: f64) -> f64 {
        exp_f64::<M>(-(x * x) / 2.0) / SQRT_2PI
    }
}

/// [`ndtr`] lane by lane (scalar code; the kernel pool splits large arrays).
struct Ndtr;
impl Lanewise<f64> for Ndtr {
    #[inline(always)]
    fn eval<M: MulAdd>(x: f64) -> f64 {
        ndtr(x)
    }
}

/// [`ndtri`] lane by lane (scalar code; the kernel pool splits large arrays).
struct Ndtri;
impl Lanewise<f64> for Ndtri {
    #[inline(always)]
    fn eval<M: MulAdd>(q: f64) -> f64 {
        ndtri(q)
    }
}

/// Charges `op` for one element (a Rust scalar argument) and evaluates `f`.
fn scalar(op: Op, per_elem: u64, f: impl FnOnce() -> f64) -> f64 {
    counted(per_element(op, per_elem, 1, DType::F64), |_| f())
}

/// Probability density of the standard normal, elementwise: `exp(−x²/2)/√(2π)`.
///
/// Shape contract: any shape; the result has `x`'s shape and dtype `float64` (integer, bool
/// and `f32` inputs are converted, as flopscope does).
/// FLOPs: `stats.norm.pdf`, `27 × max(numel, 1) × 2` (the `float64` rate, for every input
/// dtype; tagged inputs are billed densely and the result is untagged).
pub fn pdf(x: &Tensor) -> Tensor {
    map(Op::NormPdf, NORM_PDF_PER_ELEMENT, x, lanes::<StdPdf>)
}

/// Cumulative distribution function of the standard normal, elementwise (scipy's `ndtr`).
///
/// Shape contract: any shape; the result has `x`'s shape and dtype `float64`.
/// FLOPs: `stats.norm.cdf`, `48 × max(numel, 1) × 2` (`float64` rate for every input dtype).
pub fn cdf(x: &Tensor) -> Tensor {
    map(Op::NormCdf, NORM_CDF_PER_ELEMENT, x, lanes::<Ndtr>)
}

/// Percent-point function (inverse CDF) of the standard normal, elementwise (scipy's
/// `ndtri`): `ppf(0) = −∞`, `ppf(1) = +∞`, NaN outside `[0, 1]` and for NaN.
///
/// Shape contract: any shape; the result has `q`'s shape and dtype `float64`.
/// FLOPs: `stats.norm.ppf`, `83 × max(numel, 1) × 2` (`float64` rate for every input dtype).
pub fn ppf(q: &Tensor) -> Tensor {
    map(Op::NormPpf, NORM_PPF_PER_ELEMENT, q, lanes::<Ndtri>)
}

/// Density of `N(loc, scale²)`: `pdf((x − loc)/scale)/scale` (scipy `norm.pdf(x, loc, scale)`).
///
/// Shape contract: as [`pdf`]. A `scale` that is not `> 0` gives NaN everywhere (scipy).
/// FLOPs: as [`pdf`] (`27 × max(numel, 1) × 2`).
pub fn pdf_loc_scale(x: &Tensor, loc: f64, scale: f64) -> Tensor {
    map(Op::NormPdf, NORM_PDF_PER_ELEMENT, x, |v| {
        let mut p = lanes::<StdPdf>(standardise(v, loc, scale));
        p.iter_mut().for_each(|p| *p /= scale);
        p
    })
}

/// CDF of `N(loc, scale²)`: `ndtr((x − loc)/scale)` (scipy `norm.cdf(x, loc, scale)`).
///
/// Shape contract: as [`cdf`]. A `scale` that is not `> 0` gives NaN everywhere (scipy).
/// FLOPs: as [`cdf`] (`48 × max(numel, 1) × 2`).
pub fn cdf_loc_scale(x: &Tensor, loc: f64, scale: f64) -> Tensor {
    map(Op::NormCdf, NORM_CDF_PER_ELEMENT, x, |v| {
        lanes::<Ndtr>(standardise(v, loc, scale))
    })
}

/// Quantiles of `N(loc, scale²)`: `ndtri(q)·scale + loc` (scipy `norm.ppf(q, loc, scale)`).
///
/// Shape contract: as [`ppf`]. A `scale` that is not `> 0` gives NaN everywhere (scipy).
/// FLOPs: as [`ppf`] (`83 × max(numel, 1) × 2`).
pub fn ppf_loc_scale(q: &Tensor, loc: f64, scale: f64) -> Tensor {
    map(Op::NormPpf, NORM_PPF_PER_ELEMENT, q, |v| {
        let invalid = invalid_scale(scale);
        let mut x = lanes::<Ndtri>(v);
        for x in &mut x {
            *x = if invalid { f64::NAN } else { *x * scale + loc };
        }
        x
    })
}

/// [`pdf`] of one Rust scalar (flopscope `stats.norm.pdf(1.5)`), returned as `f64`.
///
/// FLOPs: `27 × 2 = 54`.
pub fn pdf_scalar(x: f64) -> f64 {
    scalar(Op::NormPdf, NORM_PDF_PER_ELEMENT, || std_pdf(x))
}

/// [`cdf`] of one Rust scalar, returned as `f64`. FLOPs: `48 × 2 = 96`.
pub fn cdf_scalar(x: f64) -> f64 {
    scalar(Op::NormCdf, NORM_CDF_PER_ELEMENT, || ndtr(x))
}

/// [`ppf`] of one Rust scalar, returned as `f64`. FLOPs: `83 × 2 = 166`.
pub fn ppf_scalar(q: f64) -> f64 {
    scalar(Op::NormPpf, NORM_PPF_PER_ELEMENT, || ndtri(q))
}

/// scipy's argument check: the scale must be `> 0` (NaN fails too).
fn invalid_scale(scale: f64) -> bool {
    scale.is_nan() || scale <= 0.0
}

/// scipy's `_norm_pdf`: `exp(−x²/2) / √(2π)`.
fn std_pdf(x: f64) -> f64 {
    (-(x * x) / 2.0).exp() / SQRT_2PI
}

/// Standard normal CDF, Cephes/scipy `ndtr`.
pub(crate) fn ndtr(a: f64) -> f64 {
    if a.is_nan() {
        return f64::NAN;
    }
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < std::f64::consts::FRAC_1_SQRT_2 {
        0.5 + 0.5 * erf(x)
    } else {
        let y = 0.5 * erfc(z);
        if x > 0.0 {
            1.0 - y
        } else {
            y
        }
    }
}

// ---------------------------------------------------------------------------------------------
// erf / erfc: fdlibm `s_erf.c` (Sun Microsystems, 1993; freely distributable), ~1 ulp.
// ---------------------------------------------------------------------------------------------

// Coefficients as exact bit patterns (fdlibm's hex words); decimal values in comments.
const ERX: f64 = f64::from_bits(0x3FEB0AC1_60000000); // 8.45062911510467529297e-01
const EFX: f64 = f64::from_bits(0x3FC06EBA_8214DB69); // 1.28379167095512586316e-01
const EFX8: f64 = f64::from_bits(0x3FF06EBA_8214DB69); // 1.02703333676410069053e+00
const PP: [f64; 5] = [
    f64::from_bits(0x3FC06EBA_8214DB68), // pp0 = 1.28379167095512558561e-01
    f64::from_bits(0xBFD4CD7D_691CB913), // pp1 = -3.25042107247001499370e-01
    f64::from_bits(0xBF9D2A51_DBD7194F), // pp2 = -2.84817495755985104766e-02
    f64::from_bits(0xBF77A291_236668E4), // pp3 = -5.77027029648944159157e-03
    f64::from_bits(0xBEF8EAD6_120016AC), // pp4 = -2.37630166566501626084e-05
];
const QQ: [f64; 5] = [
    f64::from_bits(0x3FD97779_CDDADC09), // qq1 = 3.97917223959155352819e-01
    f64::from_bits(0x3FB0A54C_5536CEBA), // qq2 = 6.50222499887672944485e-02
    f64::from_bits(0x3F74D022_C4D36B0F), // qq3 = 5.08130628187576562776e-03
    f64::from_bits(0x3F215DC9_221C1A10), // qq4 = 1.32494738004321644526e-04
    f64::from_bits(0xBED09C43_42A26120), // qq5 = -3.96022827877536812320e-06
];
const PA: [f64; 7] = [
    f64::from_bits(0xBF6359B8_BEF77538), // pa0 = -2.36211856075265944077e-03
    f64::from_bits(0x3FDA8D00_AD92B34D), // pa1 = 4.14856118683748331666e-01
    f64::from_bits(0xBFD7D240_FBB8C3F1), // pa2 = -3.72207876035701323847e-01
    f64::from_bits(0x3FD45FCA_805120E4), // pa3 = 3.18346619901161753674e-01
    f64::from_bits(0xBFBC6398_3D3E28EC), // pa4 = -1.10894694282396677476e-01
    f64::from_bits(0x3FA22A36_599795EB), // pa5 = 3.54783043256182359371e-02
    f64::from_bits(0xBF61BF38_0A96073F), // pa6 = -2.16637559486879084300e-03
];
const QA: [f64; 6] = [
    f64::from_bits(0x3FBB3E66_18EEE323), // qa1 = 1.06420880400844228286e-01
    f64::from_bits(0x3FE14AF0_92EB6F33), // qa2 = 5.40397917702171048937e-01
    f64::from_bits(0x3FB2635C_D99FE9A7), // qa3 = 7.18286544141962662868e-02
    f64::from_bits(0x3FC02660_E763351F), // qa4 = 1.26171219808761642112e-01
    f64::from_bits(0x3F8BEDC2_6B51DD1C), // qa5 = 1.36370839120290507362e-02
    f64::from_bits(0x3F888B54_5735151D), // qa6 = 1.19844998467991074170e-02
];
const RA: [f64; 8] = [
    f64::from_bits(0xBF843412_600D6435), // ra0 = -9.86494403484714822705e-03
    f64::from_bits(0xBFE63416_E4BA7360), // ra1 = -6.93858572707181764372e-01
    f64::from_bits(0xC0251E04_41B0E726), // ra2 = -1.05586262253232909814e+01
    f64::from_bits(0xC04F300A_E4CBA38D), // ra3 = -6.23753324503260060396e+01
    f64::from_bits(0xC0644CB1_84282266), // ra4 = -1.62396669462573470355e+02
    f64::from_bits(0xC067135C_EBCCABB2), // ra5 = -1.84605092906711035994e+02
    f64::from_bits(0xC0545265_57E4D2F2), // ra6 = -8.12874355063065934246e+01
    f64::from_bits(0xC023A0EF_C69AC25C), // ra7 = -9.81432934416914548592e+00
];
const SA: [f64; 8] = [
    f64::from_bits(0x4033A6B9_BD707687), // sa1 = 1.96512716674392571292e+01
    f64::from_bits(0x4061350C_526AE721), // sa2 = 1.37657754143519042600e+02
    f64::from_bits(0x407B290D_D58A1A71), // sa3 = 4.34565877475229228821e+02
    f64::from_bits(0x40842B19_21EC2868), // sa4 = 6.45387271733267880336e+02
    f64::from_bits(0x407AD021_57700314), // sa5 = 4.29008140027567833386e+02
    f64::from_bits(0x405B28A3_EE48AE2C), // sa6 = 1.08635005541779435134e+02
    f64::from_bits(0x401A47EF_8E484A93), // sa7 = 6.57024977031928170135e+00
    f64::from_bits(0xBFAEEFF2_EE749A62), // sa8 = -6.04244152148580987438e-02
];
const RB: [f64; 7] = [
    f64::from_bits(0xBF843412_39E86F4A), // rb0 = -9.86494292470009928597e-03
    f64::from_bits(0xBFE993BA_70C285DE), // rb1 = -7.99283237680523006574e-01
    f64::from_bits(0xC031C209_555F995A), // rb2 = -1.77579549177547519889e+01
    f64::from_bits(0xC064145D_43C5ED98), // rb3 = -1.60636384855821916062e+02
    f64::from_bits(0xC083EC88_1375F228), // rb4 = -6.37566443368389627722e+02
    f64::from_bits(0xC0900461_6A2E5992), // rb5 = -1.02509513161107724954e+03
    f64::from_bits(0xC07E384E_9BDC383F), // rb6 = -4.83519191608651397019e+02
];
const SB: [f64; 7] = [
    f64::from_bits(0x403E568B_261D5190), // sb1 = 3.03380607434824582924e+01
    f64::from_bits(0x40745CAE_221B9F0A), // sb2 = 3.25792512996573918826e+02
    f64::from_bits(0x409802EB_189D5118), // sb3 = 1.53672958608443695994e+03
    f64::from_bits(0x40A8FFB7_688C246A), // sb4 = 3.19985821950859553908e+03
    f64::from_bits(0x40A3F219_CEDF3BE6), // sb5 = 2.55305040643316442583e+03
    f64::from_bits(0x407DA874_E79FE763), // sb6 = 4.74528541206955367215e+02
    f64::from_bits(0xC03670E2_42712D62), // sb7 = -2.24409524465858183362e+01
];

/// High 32 bits of `x` as a signed word (fdlibm's `__HI`).
#[inline]
fn hi_word(x: f64) -> i32 {
    (x.to_bits() >> 32) as u32 as i32
}

/// `x` with its low 32 bits cleared (fdlibm's `__LO(z) = 0`).
#[inline]
fn clear_low_word(x: f64) -> f64 {
    f64::from_bits(x.to_bits() & 0xffff_ffff_0000_0000)
}

/// `(r(s), s(s))` of the |x| < 0.84375 region: `pp(z)`, `1 + z·qq(z)`.
#[inline]
fn small_rs(z: f64) -> (f64, f64) {
    let r = PP[0] + z * (PP[1] + z * (PP[2] + z * (PP[3] + z * PP[4])));
    let s = 1.0 + z * (QQ[0] + z * (QQ[1] + z * (QQ[2] + z * (QQ[3] + z * QQ[4]))));
    (r, s)
}

/// `(P(s), Q(s))` of the 0.84375 ≤ |x| < 1.25 region.
#[inline]
fn mid_pq(s: f64) -> (f64, f64) {
    let p = PA[0] + s * (PA[1] + s * (PA[2] + s * (PA[3] + s * (PA[4] + s * (PA[5] + s * PA[6])))));
    let q = 1.0 + s * (QA[0] + s * (QA[1] + s * (QA[2] + s * (QA[3] + s * (QA[4] + s * QA[5])))));
    (p, q)
}

/// `exp(−x² − 0.5625 + R/S)/x`-style tail term `r` (before the division by `x`), for
/// `x = |x| ≥ 1.25`; `near` selects the `|x| < 1/0.35` coefficient set.
#[inline]
fn tail_r(x: f64, near: bool) -> f64 {
    let s = 1.0 / (x * x);
    let (r, ss) = if near {
        (
            RA[0]
                + s * (RA[1]
                    + s * (RA[2]
                        + s * (RA[3] + s * (RA[4] + s * (RA[5] + s * (RA[6] + s * RA[7])))))),
            1.0 + s
                * (SA[0]
                    + s * (SA[1]
                        + s * (SA[2]
                            + s * (SA[3] + s * (SA[4] + s * (SA[5] + s * (SA[6] + s * SA[7]))))))),
        )
    } else {
        (
            RB[0] + s * (RB[1] + s * (RB[2] + s * (RB[3] + s * (RB[4] + s * (RB[5] + s * RB[6]))))),
            1.0 + s
                * (SB[0]
                    + s * (SB[1]
                        + s * (SB[2] + s * (SB[3] + s * (SB[4] + s * (SB[5] + s * SB[6])))))),
        )
    };
    let z = clear_low_word(x);
    (-z * z - 0.5625).exp() * ((z - x) * (z + x) + r / ss).exp()
}

/// The error function (fdlibm `erf`).
pub(crate) fn erf(x: f64) -> f64 {
    let hx = hi_word(x);
    let ix = hx & 0x7fff_ffff;
    if ix >= 0x7ff0_0000 {
        if x.is_nan() {
            return f64::NAN;
        }
        return if hx < 0 { -1.0 } else { 1.0 };
    }
    if ix < 0x3feb_0000 {
        // |x| < 0.84375
        if ix < 0x3e30_0000 {
            // |x| < 2**-28
            if ix < 0x0080_0000 {
                return 0.125 * (8.0 * x + EFX8 * x);
            }
            return x + EFX * x;
        }
        let (r, s) = small_rs(x * x);
        return x + x * (r / s);
    }
    if ix < 0x3ff4_0000 {
        // 0.84375 <= |x| < 1.25
        let (p, q) = mid_pq(x.abs() - 1.0);
        return if hx >= 0 { ERX + p / q } else { -ERX - p / q };
    }
    if ix >= 0x4018_0000 {
        // |x| >= 6
        return if hx >= 0 { 1.0 } else { -1.0 };
    }
    let ax = x.abs();
    let r = tail_r(ax, ix < 0x4006_DB6E);
    if hx >= 0 {
        1.0 - r / ax
    } else {
        r / ax - 1.0
    }
}

/// The complementary error function (fdlibm `erfc`), accurate in relative terms in the tail.
pub(crate) fn erfc(x: f64) -> f64 {
    let hx = hi_word(x);
    let ix = hx & 0x7fff_ffff;
    if ix >= 0x7ff0_0000 {
        if x.is_nan() {
            return f64::NAN;
        }
        return if hx < 0 { 2.0 } else { 0.0 };
    }
    if ix < 0x3feb_0000 {
        // |x| < 0.84375
        if ix < 0x3c70_0000 {
            // |x| < 2**-56
            return 1.0 - x;
        }
        let (r, s) = small_rs(x * x);
        let y = r / s;
        if hx < 0x3fd0_0000 {
            // x < 1/4
            return 1.0 - (x + x * y);
        }
        let r = x * y + (x - 0.5);
        return 0.5 - r;
    }
    if ix < 0x3ff4_0000 {
        // 0.84375 <= |x| < 1.25
        let (p, q) = mid_pq(x.abs() - 1.0);
        return if hx >= 0 {
            (1.0 - ERX) - p / q
        } else {
            1.0 + (ERX + p / q)
        };
    }
    if ix < 0x403c_0000 {
        // |x| < 28
        if hx < 0 && ix >= 0x4018_0000 {
            // x < -6
            return 2.0;
        }
        let ax = x.abs();
        let r = tail_r(ax, ix < 0x4006_DB6D);
        return if hx > 0 { r / ax } else { 2.0 - r / ax };
    }
    if hx > 0 {
        0.0
    } else {
        2.0
    }
}

// ---------------------------------------------------------------------------------------------
// ndtri: Wichura, "Algorithm AS 241: The Percentage Points of the Normal Distribution",
// Applied Statistics 37 (1988) 477–484 (PPND16, about 1 part in 1e16).
// ---------------------------------------------------------------------------------------------

const AS241_A: [f64; 8] = [
    3.3871328727963666080,
    1.3314166789178437745e+2,
    1.9715909503065514427e+3,
    1.3731693765509461125e+4,
    4.5921953931549871457e+4,
    6.7265770927008700853e+4,
    3.3430575583588128105e+4,
    2.5090809287301226727e+3,
];
const AS241_B: [f64; 8] = [
    1.0,
    4.2313330701600911252e+1,
    6.8718700749205790830e+2,
    5.3941960214247511077e+3,
    2.1213794301586595867e+4,
    3.9307895800092710610e+4,
    2.8729085735721942674e+4,
    5.2264952788528545610e+3,
];
const AS241_C: [f64; 8] = [
    1.42343711074968357734,
    4.63033784615654529590,
    5.76949722146069140550,
    3.64784832476320460504,
    1.27045825245236838258,
    2.41780725177450611770e-1,
    2.27238449892691845833e-2,
    7.74545014278341407640e-4,
];
const AS241_D: [f64; 8] = [
    1.0,
    2.05319162663775882187,
    1.67638483018380384940,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
];
const AS241_E: [f64; 8] = [
    6.65790464350110377720,
    5.46378491116411436990,
    1.78482653991729133580,
    2.96560571828504891230e-1,
    2.65321895265761230930e-2,
    1.24266094738807843860e-3,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
];
const AS241_F: [f64; 8] = [
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
];

/// Degree-7 polynomial `c[0] + c[1]·r + … + c[7]·r⁷` (Horner).
#[inline]
fn poly7(c: &[f64; 8], r: f64) -> f64 {
    ((((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r + c[1]) * r + c[0]
}

/// Inverse of the standard normal CDF (AS 241 / `PPND16`).
pub(crate) fn ndtri(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly7(&AS241_A, r) / poly7(&AS241_B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let val = if r <= 5.0 {
        let r = r - 1.6;
        poly7(&AS241_C, r) / poly7(&AS241_D, r)
    } else {
        let r = r - 5.0;
        poly7(&AS241_E, r) / poly7(&AS241_F, r)
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::BudgetContext;

    /// (x, scipy.stats.norm.pdf(x), scipy.stats.norm.cdf(x)), scipy 1.17.1.
    const SCIPY_PDF_CDF: &[(f64, f64, f64)] = &[
        (-30.0, 1.4736461348785476e-196, 4.906713927147908e-198),
        (-20.5, 2.2119843802105707e-92, 1.0764673258790346e-93),
        (-10.0, 7.69459862670642e-23, 7.61985302416047e-24),
        (-8.5, 8.166235631669551e-17, 9.47953482220325e-18),
        (-6.0, 6.075882849823286e-09, 9.865876450376946e-10),
        (-3.3, 0.0017225689390536812, 0.00048342414238377744),
        (-2.0, 0.05399096651318806, 0.022750131948179195),
        (
            -std::f64::consts::SQRT_2,
            0.14676266317373987,
            0.07864960352514251,
        ),
        (-1.0, 0.24197072451914337, 0.15865525393145707),
        (-0.7, 0.31225393336676127, 0.24196365222307303),
        (-0.3, 0.3813878154605241, 0.3820885778110474),
        (-1e-10, 0.3989422804014327, 0.49999999996010575),
        (0.0, 0.3989422804014327, 0.5),
        (1e-300, 0.3989422804014327, 0.5),
        (2.5e-09, 0.3989422804014327, 0.5000000009973558),
        (0.25, 0.3866681168028493, 0.5987063256829237),
        (0.7, 0.31225393336676127, 0.758036347776927),
        (1.0, 0.24197072451914337, 0.8413447460685429),
        (1.2, 0.19418605498321298, 0.8849303297782918),
        (1.7, 0.09404907737688695, 0.955434537241457),
        (2.0, 0.05399096651318806, 0.9772498680518208),
        (3.0, 0.0044318484119380075, 0.9986501019683699),
        (5.5, 1.0769760042543276e-07, 0.9999999810104375),
        (8.0, 5.052271083536893e-15, 0.9999999999999993),
        (9.0, 1.0279773571668917e-18, 1.0),
    ];

    /// (x, Φ(x)) to 60 digits (mpmath `ncdf`), rounded to f64.
    const TRUE_CDF: &[(f64, f64)] = &[
        (-37.0, 5.725571222524577e-300),
        (-30.0, 4.906713927148187e-198),
        (-20.5, 1.0764673258790961e-93),
        (-10.0, 7.619853024160525e-24),
        (-8.5, 9.479534822203318e-18),
        (-6.0, 9.86587645037698e-10),
    ];

    /// (p, scipy.stats.norm.ppf(p)), scipy 1.17.1.
    const SCIPY_PPF: &[(f64, f64)] = &[
        (1e-300, -37.0470962993612),
        (1e-100, -21.273453560965322),
        (1e-20, -9.262340089798409),
        (1e-10, -6.361340902404056),
        (1e-05, -4.264890793922825),
        (0.001, -3.090232306167813),
        (0.02, -2.053748910631823),
        (0.02425, -1.972961051311885),
        (0.05, -1.6448536269514729),
        (0.0749, -1.4402382675279635),
        (0.075, -1.4395314709384563),
        (0.1, -1.2815515655446004),
        (0.3, -0.5244005127080409),
        (0.4999, -0.0002506628300880075),
        (0.5, 0.0),
        (0.5001, 0.0002506628300880075),
        (0.7, 0.5244005127080407),
        (0.9, 1.2815515655446004),
        (0.925, 1.4395314709384563),
        (0.975, 1.959963984540054),
        (0.999, 3.090232306167813),
        (0.9999999999, 6.361340889697422),
    ];

    /// (p, Φ⁻¹(p)) from an 80-digit mpmath Newton iteration, rounded to f64.
    const TRUE_PPF: &[(f64, f64)] = &[
        (1e-300, -37.0470962993612),
        (1e-100, -21.273453560965326),
        (1e-20, -9.262340089798407),
        (1e-10, -6.361340902404057),
        (1e-05, -4.264890793922825),
        (0.02425, -1.972961051311885),
        (0.3, -0.5244005127080408),
        (0.975, 1.9599639845400538),
    ];

    /// (x, scipy.special.erf(x), scipy.special.erfc(x)).
    const SCIPY_ERF: &[(f64, f64, f64)] = &[
        (-7.0, -1.0, 2.0),
        (-3.0, -0.9999779095030014, 1.9999779095030015),
        (-1.0, -0.8427007929497148, 1.8427007929497148),
        (-0.5, -0.5204998778130465, 1.5204998778130465),
        (-1e-09, -1.1283791670955127e-09, 1.0000000011283792),
        (0.0, 0.0, 1.0),
        (1e-20, 1.1283791670955125e-20, 1.0),
        (0.2, 0.22270258921047845, 0.7772974107895215),
        (0.5, 0.5204998778130465, 0.4795001221869535),
        (0.84375, 0.7672256612323416, 0.2327743387676584),
        (1.0, 0.8427007929497148, 0.15729920705028516),
        (1.25, 0.9229001282564582, 0.07709987174354177),
        (2.0, 0.9953222650189527, 0.004677734981047266),
        (
            2.857142857142857,
            0.9999466876886117,
            5.3312311388322815e-05,
        ),
        (3.0, 0.9999779095030014, 2.2090496998585445e-05),
        (5.0, 0.9999999999984626, 1.5374597944280347e-12),
        (6.0, 1.0, 2.1519736712498913e-17),
        (10.0, 1.0, 2.0884875837625446e-45),
    ];

    #[track_caller]
    fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
        if got == want {
            return;
        }
        let rel = ((got - want) / want).abs();
        assert!(
            rel <= tol,
            "{what}: got {got:e}, want {want:e} (rel {rel:e} > {tol:e})"
        );
    }

    fn ctx() -> BudgetContext {
        BudgetContext::new(u64::MAX / 4).unwrap()
    }

    #[test]
    fn pdf_and_cdf_match_scipy() {
        let _ctx = ctx();
        let xs: Vec<f64> = SCIPY_PDF_CDF.iter().map(|r| r.0).collect();
        let x = Tensor::from_vec(xs.clone(), [xs.len()]);
        let p = pdf(&x).to_vec::<f64>();
        let c = cdf(&x).to_vec::<f64>();
        for (i, &(xv, want_pdf, want_cdf)) in SCIPY_PDF_CDF.iter().enumerate() {
            assert_rel(p[i], want_pdf, 2e-15, &format!("pdf({xv})"));
            // scipy's own erfc rounds exp(−z²): allow z²·2.5e-16 in the lower tail.
            let z2 = xv * xv / 2.0;
            assert_rel(c[i], want_cdf, 2e-15 + 2.5e-16 * z2, &format!("cdf({xv})"));
        }
    }

    #[test]
    fn cdf_keeps_relative_precision_in_the_lower_tail() {
        let _ctx = ctx();
        for &(x, truth) in TRUE_CDF {
            // The rounding of x/√2 alone costs up to z²·2.2e-16 relative.
            assert_rel(
                cdf_scalar(x),
                truth,
                2e-15 + 2.3e-16 * x * x,
                &format!("cdf({x})"),
            );
        }
        assert_eq!(cdf_scalar(-40.0), 0.0);
        let tiny = cdf_scalar(-38.0);
        assert!((0.0..1e-310).contains(&tiny));
    }

    #[test]
    fn ppf_matches_scipy_and_the_true_quantile() {
        let _ctx = ctx();
        let ps: Vec<f64> = SCIPY_PPF.iter().map(|r| r.0).collect();
        let got = ppf(&Tensor::from_vec(ps.clone(), [ps.len()])).to_vec::<f64>();
        for (i, &(p, want)) in SCIPY_PPF.iter().enumerate() {
            if want == 0.0 {
                assert_eq!(got[i], 0.0);
                continue;
            }
            assert_rel(got[i], want, 4e-15, &format!("ppf({p})"));
        }
        for &(p, truth) in TRUE_PPF {
            assert_rel(ppf_scalar(p), truth, 2e-15, &format!("ppf({p}) vs truth"));
        }
        // Round trip through the CDF in the body.
        for &p in &[0.001, 0.1, 0.37, 0.5, 0.8, 0.99] {
            assert_rel(cdf_scalar(ppf_scalar(p)), p, 4e-15, "cdf(ppf(p))");
        }
    }

    #[test]
    fn erf_and_erfc_match_scipy_special() {
        let _ctx = ctx();
        for &(x, want_erf, want_erfc) in SCIPY_ERF {
            // Both are faithful (≤ 1 ulp); they may differ by one ulp.
            assert_rel(erf(x), want_erf, 2.3e-16, &format!("erf({x})"));
            // scipy's Cephes erfc is itself off by a few ulp in places (e.g. at 1/0.35).
            assert_rel(erfc(x), want_erfc, 1e-15, &format!("erfc({x})"));
        }
        // erfc against 40-digit mpmath values: within one ulp.
        for &(x, truth) in &[
            (1.25, 0.07709987174354177),
            (2.0, 0.004677734981047266),
            (2.857142857142857, 5.3312311388322795e-05),
            (3.0, 2.209049699858544e-05),
            (5.0, 1.537459794428035e-12),
            (6.0, 2.1519736712498913e-17),
            (10.0, 2.088487583762545e-45),
        ] {
            assert_rel(erfc(x), truth, 2.3e-16, &format!("erfc({x}) vs truth"));
        }
        assert!(erf(f64::NAN).is_nan() && erfc(f64::NAN).is_nan());
        assert_eq!((erf(f64::INFINITY), erf(f64::NEG_INFINITY)), (1.0, -1.0));
        assert_eq!((erfc(f64::INFINITY), erfc(f64::NEG_INFINITY)), (0.0, 2.0));
    }

    #[test]
    fn edge_values_follow_scipy() {
        let _ctx = ctx();
        let x = Tensor::from_vec(vec![f64::NEG_INFINITY, f64::INFINITY, f64::NAN], [3]);
        assert_eq!(&cdf(&x).to_vec::<f64>()[..2], &[0.0, 1.0]);
        assert!(cdf(&x).to_vec::<f64>()[2].is_nan());
        assert_eq!(&pdf(&x).to_vec::<f64>()[..2], &[0.0, 0.0]);
        let q = Tensor::from_vec(vec![0.0, 1.0, -0.1, 1.5, f64::NAN], [5]);
        let v = ppf(&q).to_vec::<f64>();
        assert_eq!(&v[..2], &[f64::NEG_INFINITY, f64::INFINITY]);
        assert!(v[2..].iter().all(|x| x.is_nan()));
        // Non-positive scale is outside the distribution's domain: NaN, as in scipy.
        let one = Tensor::from_vec(vec![1.0], [1]);
        assert!(pdf_loc_scale(&one, 0.0, -1.0).to_vec::<f64>()[0].is_nan());
        assert!(cdf_loc_scale(&one, 0.0, 0.0).to_vec::<f64>()[0].is_nan());
        assert!(ppf_loc_scale(&one, 0.0, 0.0).to_vec::<f64>()[0].is_nan());
    }

    #[test]
    fn loc_scale_variants_match_scipy() {
        let _ctx = ctx();
        // scipy.stats.norm.{pdf,cdf}(x, 1.5, 2.5) and .ppf(q, 1.5, 2.5).
        let x = Tensor::from_vec(vec![-3.0, 0.0, 1.5, 4.0], [4]);
        let want_pdf = [
            0.03158006332035766,
            0.13328984115671988,
            0.15957691216057307,
            0.09678828980765734,
        ];
        let want_cdf = [
            0.03593031911292579,
            0.2742531177500736,
            0.5,
            0.8413447460685429,
        ];
        let p = pdf_loc_scale(&x, 1.5, 2.5).to_vec::<f64>();
        let c = cdf_loc_scale(&x, 1.5, 2.5).to_vec::<f64>();
        for i in 0..4 {
            assert_rel(p[i], want_pdf[i], 2e-15, "pdf(x, 1.5, 2.5)");
            assert_rel(c[i], want_cdf[i], 2e-15, "cdf(x, 1.5, 2.5)");
        }
        let q = Tensor::from_vec(vec![0.01, 0.5, 0.8], [3]);
        let want_ppf = [-4.315869685102102, 1.5, 3.6040530839322855];
        let v = ppf_loc_scale(&q, 1.5, 2.5).to_vec::<f64>();
        for i in 0..3 {
            assert_rel(v[i], want_ppf[i], 2e-15, "ppf(q, 1.5, 2.5)");
        }
    }

    /// FLOPs charged by `f`.
    fn charged<T>(ctx: &BudgetContext, f: impl FnOnce() -> T) -> (T, u64) {
        let before = ctx.flops_used();
        let out = f();
        (out, ctx.flops_used() - before)
    }

    #[test]
    fn costs_replay_the_dense_probe_rows() {
        // Probe table 2.1: X (100, 50), U (100, 50) in (0.1, 0.9), v (50,); f32 and f64 bill the
        // same (stats always bill at the f64 rate) and return float64.
        let ctx = ctx();
        for dt in [DType::F32, DType::F64] {
            let x = Tensor::full([100, 50], 0.3, dt);
            let u = Tensor::full([100, 50], 0.4, dt);
            let v = Tensor::full([50], -0.2, dt);
            let (y, c) = charged(&ctx, || pdf(&x));
            assert_eq!((c, y.dtype()), (270_000, DType::F64));
            assert_eq!(charged(&ctx, || cdf(&x)).1, 480_000);
            assert_eq!(charged(&ctx, || ppf(&u)).1, 830_000);
            assert_eq!(charged(&ctx, || pdf_loc_scale(&x, 1.0, 2.0)).1, 270_000);
            assert_eq!(charged(&ctx, || cdf(&v)).1, 4_800);
            assert_eq!(charged(&ctx, || cdf_loc_scale(&v, 1.0, 2.0)).1, 4_800);
            assert_eq!(charged(&ctx, || ppf_loc_scale(&u, 1.0, 2.0)).1, 830_000);
        }
    }

    #[test]
    fn costs_replay_the_edge_probe_rows() {
        // Table 2.2: pdf(1.5) → 54; cdf(X64[:1,:1]) → 96; ppf(asarray([0.5])) → 166.
        let ctx = ctx();
        assert_eq!(charged(&ctx, || pdf_scalar(1.5)).1, 54);
        let one = Tensor::full([1, 1], 0.1, DType::F64);
        assert_eq!(charged(&ctx, || cdf(&one)).1, 96);
        let half = Tensor::full([1], 0.5, DType::F64);
        let (q, c) = charged(&ctx, || ppf(&half));
        assert_eq!((c, q.to_vec::<f64>()), (166, vec![0.0]));
        assert_eq!(charged(&ctx, || cdf_scalar(0.0)).1, 96);
        assert_eq!(charged(&ctx, || ppf_scalar(0.5)).1, 166);
        // An empty input still bills one element (max(numel, 1)).
        let empty = Tensor::zeros([0], DType::F64);
        assert_eq!(charged(&ctx, || pdf(&empty)).1, 54);
        // Integer input computes (and bills) in f64.
        let ints = Tensor::from_vec(vec![0i64, 1, 2], [3]);
        let (y, c) = charged(&ctx, || pdf(&ints));
        assert_eq!((c, y.dtype()), (162, DType::F64));
    }

    #[test]
    fn tagged_input_is_billed_densely_and_untagged() {
        // Table 2.3: A = ones((10, 10)) (tagged S2): pdf → 5400, cdf → 9600 for f32 and f64.
        let ctx = ctx();
        for dt in [DType::F32, DType::F64] {
            let a = Tensor::ones([10, 10], dt);
            assert!(a.is_symmetric());
            let (p, c) = charged(&ctx, || pdf(&a));
            assert_eq!(c, 5_400);
            assert!(!p.is_symmetric());
            let (q, c) = charged(&ctx, || cdf(&a));
            assert_eq!(c, 9_600);
            assert!(!q.is_symmetric());
        }
    }
}
