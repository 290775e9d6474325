//! `exp`, `log`, `tanh` and `power` against numpy 2.4.6: special and edge values (probed in Python and
//! committed here) exactly, and dense sweeps within the error bounds stated on the ops. The
//! sweeps run through `Tensor`, so they take the fastest kernel path of the machine and, for
//! these sizes, the kernel pool; the per-path checks are unit tests of the kernels.

use flopscope::{BudgetContext, DType, Tensor};

fn ctx() -> BudgetContext {
    BudgetContext::new(u64::MAX / 4).unwrap()
}

/// `(input bits, numpy output bits)` for `f32`.
type Probe32 = (u32, u32);

/// Asserts `op` maps each input to numpy's output bit for bit (NaN: any NaN), or for
/// `max_ulps > 0` to within that many `f32` steps of it (both SIMD results are within their
/// bounds of the exact value, but may round to neighbours).
#[track_caller]
fn near_f32(op: fn(&Tensor) -> Tensor, name: &str, max_ulps: u32, probes: &[Probe32]) {
    let x: Vec<f32> = probes.iter().map(|p| f32::from_bits(p.0)).collect();
    let got = op(&Tensor::from_vec(x.clone(), [x.len()])).to_vec::<f32>();
    for ((&xi, &g), &(_, want)) in x.iter().zip(&got).zip(probes) {
        let want = f32::from_bits(want);
        let ok = (g.is_nan() && want.is_nan()) || g.to_bits().abs_diff(want.to_bits()) <= max_ulps;
        assert!(ok, "{name}({xi:e}): got {g:e}, numpy {want:e}");
    }
}

/// Asserts `op` maps each input to numpy's `f64` output exactly (NaN: any NaN; the sign of
/// zero counts).
#[track_caller]
fn exact_f64(op: fn(&Tensor) -> Tensor, name: &str, probes: &[(f64, f64)]) {
    let x: Vec<f64> = probes.iter().map(|p| p.0).collect();
    let got = op(&Tensor::from_vec(x.clone(), [x.len()])).to_vec::<f64>();
    for ((&xi, &g), &(_, want)) in x.iter().zip(&got).zip(probes) {
        let ok = (g.is_nan() && want.is_nan()) || g.to_bits() == want.to_bits();
        assert!(ok, "{name}({xi:e}): got {g:e}, numpy {want:e}");
    }
}

const INF32: u32 = 0x7F80_0000;
const NEG_INF32: u32 = 0xFF80_0000;
const NAN32: u32 = 0x7FC0_0000;

#[test]
fn exp_edges_match_numpy() {
    let _ctx = ctx();
    near_f32(
        Tensor::exp,
        "exp",
        0,
        &[
            (NAN32, NAN32),
            (INF32, INF32),
            (NEG_INF32, 0),
            (0x0000_0000, 0x3F80_0000), // 0 → 1
            (0x8000_0000, 0x3F80_0000), // −0 → 1
            (0x0000_0001, 0x3F80_0000), // smallest subnormal → 1
            (0x42B1_7218, INF32),       // 88.72284 overflows
            (0x42B2_0000, INF32),       // 89
            (0xC2AE_AC50, 0x007F_FFE6), // −87.33655: subnormal results round once
            (0xC2B0_0000, 0x0041_EDC4), // −88
            (0xC2B2_0000, 0x0018_40FC), // −89
            (0xC2BE_0000, 0x0000_0F64), // −95
            (0xC2C8_0000, 0x0000_001B), // −100
            (0xC2CE_0000, 0x0000_0001), // −103
            (0xC2CF_F1B4, 0x0000_0001), // −103.97208: the last non-zero result
            (0xC2CF_F1B6, 0),           // −103.97209 underflows to 0
            (0xC2D0_0000, 0),           // −104
        ],
    );
    near_f32(
        Tensor::exp,
        "exp",
        1,
        &[
            (0x42B1_7217, 0x7F7F_FF84), // 88.72283: the largest finite result
            (0xC2AE_AC4F, 0x0080_0027), // −87.33654: among the smallest normals
        ],
    );
    exact_f64(
        Tensor::exp,
        "exp",
        &[
            (f64::NAN, f64::NAN),
            (f64::INFINITY, f64::INFINITY),
            (f64::NEG_INFINITY, 0.0),
            (-0.0, 1.0),
            (709.78, 1.7928227943945155e308),
            (709.79, f64::INFINITY),
            (-708.5, 2.006132305331306e-308),
            (-740.0, 4.2e-322),
            (-745.1, 5e-324),
            (-745.2, 0.0),
        ],
    );
}

#[test]
fn log_edges_match_numpy() {
    let _ctx = ctx();
    near_f32(
        Tensor::log,
        "log",
        0,
        &[
            (NAN32, NAN32),
            (INF32, INF32),
            (NEG_INF32, NAN32),
            (0x0000_0000, NEG_INF32),   // log(0) = −inf
            (0x8000_0000, NEG_INF32),   // log(−0) = −inf
            (0xBF80_0000, NAN32),       // log(−1) = NaN
            (0x3F80_0000, 0),           // log(1) = 0
            (0x4000_0000, 0x3F31_7218), // log(2)
            (0x3F00_0000, 0xBF31_7218), // log(0.5)
            (0x0000_0001, 0xC2CE_8ED0), // smallest subnormal
            (0x0001_16C2, 0xC2B8_34F2), // 1e-40
            (0x007F_FFFF, 0xC2AE_AC50), // largest subnormal
            (0x0080_0000, 0xC2AE_AC50), // smallest normal
            (0x7F7F_FFFF, 0x42B1_7218), // largest finite
        ],
    );
    exact_f64(
        Tensor::log,
        "log",
        &[
            (f64::NAN, f64::NAN),
            (f64::INFINITY, f64::INFINITY),
            (f64::NEG_INFINITY, f64::NAN),
            (0.0, f64::NEG_INFINITY),
            (-0.0, f64::NEG_INFINITY),
            (-1.0, f64::NAN),
            (1.0, 0.0),
            (5e-324, -744.4400719213812),
            (2.2250738585072014e-308, -708.3964185322641),
            (1.7976931348623157e308, 709.782712893384),
        ],
    );
}

#[test]
fn tanh_edges_match_numpy() {
    let _ctx = ctx();
    near_f32(
        Tensor::tanh,
        "tanh",
        0,
        &[
            (NAN32, NAN32),
            (INF32, 0x3F80_0000),       // +inf → 1
            (NEG_INF32, 0xBF80_0000),   // −inf → −1
            (0x0000_0000, 0x0000_0000), // +0
            (0x8000_0000, 0x8000_0000), // −0 keeps its sign
            (0x0000_0001, 0x0000_0001), // tiny x → x
            (0x8000_0001, 0x8000_0001),
            (0x0DA2_4260, 0x0DA2_4260), // 1e-30
            (0x33D6_BF95, 0x33D6_BF95), // 1e-7
            (0x4110_0000, 0x3F7F_FFFF), // 9 → 0.99999994
            (0x4120_0000, 0x3F80_0000), // 10 → 1 exactly
            (0xC1A0_0000, 0xBF80_0000), // −20 → −1 exactly
        ],
    );
    exact_f64(
        Tensor::tanh,
        "tanh",
        &[
            (f64::NAN, f64::NAN),
            (f64::INFINITY, 1.0),
            (f64::NEG_INFINITY, -1.0),
            (0.0, 0.0),
            (-0.0, -0.0),
            (1e-300, 1e-300),
            (-5e-324, -5e-324),
            (19.1, 1.0),
            (-40.0, -1.0),
        ],
    );
}

/// Every 257th `f32` bit pattern (16.7M values: all signs, subnormals, NaNs, infinities).
fn sweep() -> Tensor {
    let v: Vec<f32> = (0..=u32::MAX / 257)
        .map(|i| f32::from_bits(i * 257))
        .collect();
    let n = v.len();
    Tensor::from_vec(v, [n])
}

/// Largest error of `got` against `reference` (evaluated in `f64`), in `f32` ulp at the
/// reference; a NaN or infinity where the reference has none counts as infinite.
fn worst_ulps(x: &Tensor, got: &Tensor, reference: fn(f64) -> f64) -> f64 {
    let mut worst = 0.0f64;
    for (&xi, &g) in x.to_vec::<f32>().iter().zip(&got.to_vec::<f32>()) {
        let want = reference(f64::from(xi));
        let w = want as f32;
        let e = if !w.is_finite() || !g.is_finite() {
            let same = (w.is_nan() && g.is_nan()) || w == g;
            if same {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            let a = w.abs();
            let ulp = f64::from(f32::from_bits(a.to_bits() + 1) - a);
            (f64::from(g) - want).abs() / ulp
        };
        worst = worst.max(e);
    }
    worst
}

#[test]
fn f32_sweeps_are_within_the_stated_bounds() {
    let _ctx = ctx();
    let x = sweep();
    // The bounds stated on `Tensor::exp`, `Tensor::log` and `Tensor::tanh`.
    assert!(worst_ulps(&x, &x.exp(), f64::exp) <= 1.5);
    assert!(worst_ulps(&x, &x.log(), f64::ln) <= 1.0);
    assert!(worst_ulps(&x, &x.tanh(), f64::tanh) <= 1.5);
}

#[test]
fn integer_input_computes_in_f64() {
    let _ctx = ctx();
    let x = Tensor::from_vec(vec![0i64, 1, 2], [3]);
    for (y, want) in [
        (x.exp(), [1.0, std::f64::consts::E, 7.38905609893065]),
        (x.tanh(), [0.0, 0.7615941559557649, 0.9640275800758169]),
    ] {
        assert_eq!(y.dtype(), DType::F64);
        for (g, w) in y.to_vec::<f64>().iter().zip(want) {
            assert!((g - w).abs() <= 2.0 * f64::EPSILON * w, "{g} vs {w}");
        }
    }
    let l = x.log().to_vec::<f64>();
    assert_eq!(l[0], f64::NEG_INFINITY);
    assert_eq!(l[1], 0.0);
    assert!((l[2] - std::f64::consts::LN_2).abs() <= f64::EPSILON);
}

/// Error of `got` against the reference `want` in `f32` steps at `want` (NaN: 0 when both
/// are NaN).
fn ulps_f32(got: f32, want: f64) -> f64 {
    let w = want as f32;
    if !w.is_finite() || !got.is_finite() {
        let same = (w.is_nan() && got.is_nan()) || w == got;
        return if same { 0.0 } else { f64::INFINITY };
    }
    let a = w.abs();
    let ulp = f64::from(f32::from_bits(a.to_bits() + 1) - a);
    (f64::from(got) - want).abs() / ulp
}

#[test]
fn power_is_within_its_bound_with_broadcasting() {
    // 300×256 elements runs on the kernel pool, 7×256 on the caller; negative bases with
    // integer and non-integer exponents and zero bases take libm's `powf`.
    let _ctx = ctx();
    for rows in [300, 7] {
        let base: Vec<f32> = (0..rows * 256)
            .map(|i| (i % 977) as f32 * 0.01 - 1.0)
            .collect();
        let row: Vec<f32> = (0..256).map(|j| j as f32 * 0.05 - 6.0).collect();
        let x = Tensor::from_vec(base.clone(), [rows, 256]);
        let check = |got: Tensor, y: &dyn Fn(usize) -> f32, what: &str| {
            for (i, (&g, &b)) in got.to_vec::<f32>().iter().zip(&base).enumerate() {
                let e = y(i);
                if b > 0.0 {
                    let want = f64::from(b).powf(f64::from(e));
                    let err = ulps_f32(g, want);
                    assert!(err <= 0.51, "{what}: {b:e}**{e:e} = {g:e}, want {want:e}");
                } else {
                    let want = b.powf(e);
                    let same = (g.is_nan() && want.is_nan()) || g.to_bits() == want.to_bits();
                    assert!(same, "{what}: {b:e}**{e:e} = {g:e}, libm {want:e}");
                }
            }
        };
        check(x.power(1.5), &|_| 1.5, "scalar exponent");
        check(x.power(2.0), &|_| 2.0, "square");
        let r = Tensor::from_vec(row.clone(), [256]);
        check(x.power(&r), &|i| row[i % 256], "row exponent");
        let full = x.clone() * 0.5;
        let half: Vec<f32> = base.iter().map(|b| b * 0.5).collect();
        check(x.power(&full), &|i| half[i], "full exponent");
        let y = Tensor::from_vec(base.iter().map(|&b| f64::from(b)).collect(), [rows, 256]);
        let got = y.power(2.5).to_vec::<f64>();
        for (g, &b) in got.iter().zip(&base) {
            assert_eq!(
                g.to_bits(),
                f64::from(b).powf(2.5).to_bits(),
                "f64 is libm's pow"
            );
        }
    }
}

#[test]
fn power_special_values_match_numpy() {
    // numpy 2.4.6 float32 `power` (IEEE `pow`): exact results for every special case.
    let _ctx = ctx();
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    let cases: [(f32, f32, f32); 20] = [
        (nan, 0.0, 1.0),
        (1.0, nan, 1.0),
        (0.0, 0.0, 1.0),
        (-0.0, -3.0, -inf),
        (0.0, -3.0, inf),
        (-0.0, -2.0, inf),
        (-0.0, 3.0, -0.0),
        (-2.0, 3.0, -8.0),
        (-2.0, 2.0, 4.0),
        (-2.0, 0.5, nan),
        (-1.0, inf, 1.0),
        (0.5, inf, 0.0),
        (2.0, -inf, 0.0),
        (inf, -1.0, 0.0),
        (-inf, 3.0, -inf),
        (4.0, 0.5, 2.0),
        (2.0, 128.0, inf),
        (2.0, -149.0, 1e-45),
        (2.0, -151.0, 0.0),
        (10.0, 2.0, 100.0),
    ];
    let x: Vec<f32> = cases.iter().map(|c| c.0).collect();
    let y: Vec<f32> = cases.iter().map(|c| c.1).collect();
    let n = cases.len();
    let got = Tensor::from_vec(x, [n])
        .power(&Tensor::from_vec(y, [n]))
        .to_vec::<f32>();
    for (&(a, b, want), g) in cases.iter().zip(got) {
        let same = (g.is_nan() && want.is_nan()) || g.to_bits() == want.to_bits();
        assert!(same, "{a:e}**{b:e}: got {g:e}, numpy {want:e}");
    }
}

#[test]
fn power_by_a_scalar_two_half_minus_one_or_one_is_numpy_fast_path() {
    // numpy 2.4.6 float32 `x ** s` for s in {2, 0.5, -1, 1}: square, sqrt, reciprocal, copy.
    let _ctx = ctx();
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    let x = [-0.0, -inf, inf, -4.0, nan, 0.0, 1.0 + 2f32.powi(-12)];
    let t = Tensor::from_vec(x.to_vec(), [x.len()]);
    let cases: [(f32, [f32; 7]); 4] = [
        (2.0, [0.0, inf, inf, 16.0, nan, 0.0, 1.000_488_3]),
        (0.5, [-0.0, nan, inf, nan, nan, 0.0, 1.000_122_1]),
        (-1.0, [-inf, -0.0, 0.0, -0.25, nan, inf, 0.999_755_9]),
        (1.0, x),
    ];
    for (s, want) in cases {
        for (g, w) in t.power(s).to_vec::<f32>().iter().zip(want) {
            let same = (g.is_nan() && w.is_nan()) || g.to_bits() == w.to_bits();
            assert!(same, "x ** {s}: got {g:e}, numpy {w:e}");
        }
    }
    // x² is exactly (1 + 2^-11 + 2^-24), halfway: the square rounds it to even.
    let sq = t.power(2.0).to_vec::<f32>()[6];
    assert_eq!(sq, x[6] * x[6]);
}
