//! Vectorised `exp`, `log` and `tanh` for `f32` and `f64` (and any lane-by-lane float function
//! built on them) and `f32` `power`, chosen at run time by the CPU's features and split
//! across the kernel pool for large arrays.
//!
//! Each function is a branch-free body ([`Lanewise`]) written once and compiled three times:
//! inside an AVX-512 function, inside an AVX2 + FMA function (LLVM vectorises the loop into
//! 16/8 `f32` lanes per instruction there) and as the portable fallback, which rounds every
//! multiply-add twice ([`Separate`]) instead of once ([`Fused`]). All three stay within the
//! error bounds documented on the ops (see `Tensor::exp`, `Tensor::log`, `Tensor::tanh`); the
//! tests check every path this CPU offers.
//!
//! Bodies use Cody–Waite range reduction and polynomials from Cephes (`expf`, `logf`,
//! `tanhf`, `tanh`) and fdlibm (`log`), with a two-step scale by `2^n` so results that
//! round to subnormals are correctly rounded from the polynomial's value.

mod exp;
mod log;
mod pow;
mod tanh;

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::cpu_time::in_kernel_pool;

pub(crate) use exp::{exp_f32, exp_f64};
pub(crate) use log::{log_f32, log_f64};
use pow::{pow_f32_formula, pow_f32_in_domain};
pub(crate) use tanh::{tanh_f32, tanh_f64};

/// How a kernel path evaluates `a·b + c`.
pub trait MulAdd {
    /// `a·b + c` in `f32`.
    fn f32(a: f32, b: f32, c: f32) -> f32;
    /// `a·b + c` in `f64`.
    fn f64(a: f64, b: f64, c: f64) -> f64;
}

/// One rounding (`fma`): the SIMD paths, whose CPUs have FMA instructions.
pub(crate) struct Fused;

impl MulAdd for Fused {
    #[inline(always)]
    fn f32(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn f64(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
}

/// Two roundings (multiply, then add): the portable path, where `fma` may be a slow library
/// call.
pub(crate) struct Separate;

impl MulAdd for Separate {
    #[inline(always)]
    fn f32(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
    #[inline(always)]
    fn f64(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
}

/// A float function applied lane by lane. `exp`, `log` and `tanh` are `#[inline(always)]`
/// and branch-free (selects, not jumps), so the loops in [`map_into`] vectorise; a branchy
/// body (`stats::norm`'s `ndtr`) still gets the kernel pool for large arrays.
pub(crate) trait Lanewise<T> {
    /// The function at one element, multiply-adds evaluated as `M` does.
    fn eval<M: MulAdd>(x: T) -> T;
}

/// `exp` ([`exp_f32`], [`exp_f64`]).
pub(crate) struct Exp;
/// Natural `log` ([`log_f32`], [`log_f64`]).
pub(crate) struct Log;
/// `tanh` ([`tanh_f32`], [`tanh_f64`]).
pub(crate) struct Tanh;

macro_rules! lanewise {
    ($k:ty, $f32:ident, $f64:ident) => {
        impl Lanewise<f32> for $k {
            #[inline(always)]
            fn eval<M: MulAdd>(x: f32) -> f32 {
                $f32::<M>(x)
            }
        }
        impl Lanewise<f64> for $k {
            #[inline(always)]
            fn eval<M: MulAdd>(x: f64) -> f64 {
                $f64::<M>(x)
            }
        }
    };
}
/// Square root: the correctly rounded IEEE operation on every path (`vsqrtps`/`vsqrtpd` in
/// the SIMD loops), so only the kernel pool changes its speed, never its bits.
pub(crate) struct Sqrt;

impl Lanewise<f32> for Sqrt {
    #[inline(always)]
    fn eval<M: MulAdd>(x: f32) -> f32 {
        x.sqrt()
    }
}

impl Lanewise<f64> for Sqrt {
    #[inline(always)]
    fn eval<M: MulAdd>(x: f64) -> f64 {
        x.sqrt()
    }
}

lanewise!(Exp, exp_f32, exp_f64);
lanewise!(Log, log_f32, log_f64);
lanewise!(Tanh, tanh_f32, tanh_f64);

/// A kernel path: which instruction set the lane loop is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// AVX-512F (16 `f32` / 8 `f64` lanes), fused multiply-adds.
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX2 + FMA (8 `f32` / 4 `f64` lanes), fused multiply-adds.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// The target's baseline instructions, multiply and add rounded separately.
    Portable,
}

/// Whether this CPU runs the [`Path::Avx512`] functions: AVX-512F, AVX2 and FMA, each checked
/// (a virtual machine may hide one without the others).
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
}

impl Path {
    /// Every path this CPU can run, fastest first.
    pub(crate) fn available() -> Vec<Path> {
        let mut paths = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx512() {
                paths.push(Path::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                paths.push(Path::Avx2Fma);
            }
        }
        paths.push(Path::Portable);
        paths
    }

    /// The fastest path this CPU can run (detected once).
    pub(crate) fn best() -> Path {
        static BEST: std::sync::OnceLock<Path> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| Path::available()[0])
    }
}

/// A loop to compile once per [`Path`]: [`PathLoop::run`] is `#[inline(always)]` in every
/// implementation, so it is compiled inside each target-feature function of
/// [`on_best_path`] and its loops use that path's registers. Only for code whose results do
/// not depend on the instruction set (nothing fuses a multiply and an add unless asked to),
/// such as numpy-ordered sums and comparisons.
pub(crate) trait PathLoop {
    /// What the loop returns.
    type Out;
    /// Runs the loop.
    fn run(self) -> Self::Out;
}

/// Runs `l` compiled for this CPU's [fastest path](Path::best).
pub(crate) fn on_best_path<L: PathLoop>(l: L) -> L::Out {
    on_path(Path::best(), l)
}

/// Runs `l` compiled for `path`.
///
/// # Panics
/// If `path` is not one of [`Path::available`] (a bug in the caller).
pub(crate) fn on_path<L: PathLoop>(path: Path, l: L) -> L::Out {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => {
            assert!(has_avx512());
            // SAFETY: AVX-512F, AVX2 and FMA were detected just above.
            unsafe { run_avx512(l) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma => {
            assert!(
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            );
            // SAFETY: AVX2 and FMA were detected just above.
            unsafe { run_avx2(l) }
        }
        Path::Portable => l.run(),
    }
}

/// [`PathLoop::run`] compiled for AVX-512F.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn run_avx512<L: PathLoop>(l: L) -> L::Out {
    l.run()
}

/// [`PathLoop::run`] compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2<L: PathLoop>(l: L) -> L::Out {
    l.run()
}

/// The lane loop: `dst[i] = K(src[i])`, every element of `dst` written.
#[inline(always)]
fn lanes<K: Lanewise<T>, T: Copy, M: MulAdd>(src: &[T], dst: &mut [MaybeUninit<T>]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        d.write(K::eval::<M>(s));
    }
}

/// [`lanes`] compiled for AVX-512F.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn lanes_avx512<K: Lanewise<T>, T: Copy>(src: &[T], dst: &mut [MaybeUninit<T>]) {
    lanes::<K, T, Fused>(src, dst);
}

/// [`lanes`] compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn lanes_avx2<K: Lanewise<T>, T: Copy>(src: &[T], dst: &mut [MaybeUninit<T>]) {
    lanes::<K, T, Fused>(src, dst);
}

/// `dst[i] = K(src[i])` on `path` (serial; `dst` as long as `src`).
///
/// # Panics
/// If `path` is not one of [`Path::available`] (a bug in the caller).
fn map_into<K: Lanewise<T>, T: Copy>(path: Path, src: &[T], dst: &mut [MaybeUninit<T>]) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => {
            assert!(has_avx512());
            // SAFETY: AVX-512F, AVX2 and FMA were detected just above.
            unsafe { lanes_avx512::<K, T>(src, dst) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma => {
            assert!(
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            );
            // SAFETY: AVX2 and FMA were detected just above.
            unsafe { lanes_avx2::<K, T>(src, dst) }
        }
        Path::Portable => lanes::<K, T, Separate>(src, dst),
    }
}

/// Arrays of at least this many elements are split across the kernel pool.
pub(crate) const PARALLEL_MIN: usize = 1 << 16;

/// Elements per task when split (64 KiB of `f32`: each task's slices stay in L2).
const CHUNK: usize = 1 << 14;

/// `K` applied to every element of `src` on `path`; arrays of at least [`PARALLEL_MIN`]
/// elements run on every thread of the kernel pool. The output is written once, never
/// zeroed first.
///
/// # Panics
/// If `path` is not one of [`Path::available`] (a bug in the caller).
pub(crate) fn map_on<K: Lanewise<T>, T: Copy + Send + Sync>(path: Path, src: &[T]) -> Vec<T> {
    let n = src.len();
    let mut out = crate::buffer::output_vec(n);
    let dst = &mut out.spare_capacity_mut()[..n];
    if n >= PARALLEL_MIN {
        in_kernel_pool(|| {
            dst.par_chunks_mut(CHUNK)
                .zip(src.par_chunks(CHUNK))
                .for_each(|(d, s)| map_into::<K, T>(path, s, d));
        });
    } else {
        map_into::<K, T>(path, src, dst);
    }
    // SAFETY: the capacity is at least `n`, and `map_into` wrote all of `dst`, the first `n`
    // elements (the chunks of `dst` and `src` pair up one to one and have equal lengths).
    unsafe { out.set_len(n) };
    out
}

/// `f(a[i], b[i])` for every `i`, on every thread of the kernel pool; a one-element operand
/// stands for every element (scalar broadcast).
///
/// # Panics
/// If neither operand has one element and their lengths differ (a bug in the caller).
pub(crate) fn zip_on_pool<T: Copy + Send + Sync>(
    a: &[T],
    b: &[T],
    f: impl Fn(T, T) -> T + Sync,
) -> Vec<T> {
    let n = a.len().max(b.len());
    assert!(a.len() == n || a.len() == 1, "zip_on_pool: operand lengths");
    assert!(b.len() == n || b.len() == 1, "zip_on_pool: operand lengths");
    let mut out = crate::buffer::output_vec(n);
    in_kernel_pool(|| {
        out.spare_capacity_mut()[..n]
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, dst)| {
                let start = c * CHUNK;
                let (a, b) = (
                    window(a, n, start, dst.len()),
                    window(b, n, start, dst.len()),
                );
                on_best_path(Zip { dst, a, b, f: &f });
            });
    });
    // SAFETY: the capacity is at least `n`, and the chunks cover all of its first `n`
    // elements, each written once.
    unsafe { out.set_len(n) };
    out
}

/// Elements `start .. start + len` of an operand of `n` elements, or the operand itself
/// when it is one element standing for all.
fn window<T>(x: &[T], n: usize, start: usize, len: usize) -> &[T] {
    if x.len() == n {
        &x[start..start + len]
    } else {
        x
    }
}

/// `dst[i] = f(a[i], b[i])`, an operand of one element standing for all (one loop per
/// operand kind, so each vectorises).
struct Zip<'a, T, F> {
    dst: &'a mut [MaybeUninit<T>],
    a: &'a [T],
    b: &'a [T],
    f: &'a F,
}

impl<T: Copy, F: Fn(T, T) -> T> PathLoop for Zip<'_, T, F> {
    type Out = ();
    #[inline(always)]
    fn run(self) {
        let (dst, a, b, f) = (self.dst, self.a, self.b, self.f);
        match (a.len() == dst.len(), b.len() == dst.len()) {
            (true, true) => {
                for ((d, &x), &y) in dst.iter_mut().zip(a).zip(b) {
                    d.write(f(x, y));
                }
            }
            (true, false) => {
                let y = b[0];
                for (d, &x) in dst.iter_mut().zip(a) {
                    d.write(f(x, y));
                }
            }
            (false, true) => {
                let x = a[0];
                for (d, &y) in dst.iter_mut().zip(b) {
                    d.write(f(x, y));
                }
            }
            (false, false) => {
                let v = f(a[0], b[0]);
                for d in dst.iter_mut() {
                    d.write(v);
                }
            }
        }
    }
}

/// [`map_on`] on the [fastest path](Path::best).
pub(crate) fn map<K: Lanewise<T>, T: Copy + Send + Sync>(src: &[T]) -> Vec<T> {
    map_on::<K, T>(Path::best(), src)
}

/// One operand of an elementwise function of two: one value per output element, or a single
/// value standing for all of them (scalar broadcast).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lanes<'a, T> {
    /// `values[i]` for output element `i` (as many values as outputs).
    Each(&'a [T]),
    /// The same value for every output element.
    One(T),
}

impl<'a, T: Copy> Lanes<'a, T> {
    /// The operand for output elements `start .. start + len`.
    fn window(self, start: usize, len: usize) -> Lanes<'a, T> {
        match self {
            Lanes::Each(v) => Lanes::Each(&v[start..start + len]),
            Lanes::One(v) => Lanes::One(v),
        }
    }
}

/// `dst[i] = x(i) ** y(i)` for `f32`: the vectorised formula on every lane, then libm's `powf`
/// on the lanes outside its domain (found by a vectorised scan; none in the common case).
#[inline(always)]
fn pow_block<M: MulAdd>(
    x: impl Fn(usize) -> f32,
    y: impl Fn(usize) -> f32,
    dst: &mut [MaybeUninit<f32>],
) {
    for (i, d) in dst.iter_mut().enumerate() {
        d.write(pow_f32_formula::<M>(x(i), y(i)));
    }
    let outside = (0..dst.len()).fold(false, |any, i| any | !pow_f32_in_domain(x(i), y(i)));
    if outside {
        for (i, d) in dst.iter_mut().enumerate() {
            if !pow_f32_in_domain(x(i), y(i)) {
                d.write(x(i).powf(y(i)));
            }
        }
    }
}

/// [`pow_block`] for each combination of operand kinds (`dst.len()` values each, or one).
#[inline(always)]
fn pow_lanes<M: MulAdd>(x: Lanes<'_, f32>, y: Lanes<'_, f32>, dst: &mut [MaybeUninit<f32>]) {
    let n = dst.len();
    match (x, y) {
        (Lanes::Each(x), Lanes::Each(y)) => {
            let (x, y) = (&x[..n], &y[..n]);
            pow_block::<M>(|i| x[i], |i| y[i], dst);
        }
        (Lanes::Each(x), Lanes::One(y)) => {
            let x = &x[..n];
            pow_block::<M>(|i| x[i], |_| y, dst);
        }
        (Lanes::One(x), Lanes::Each(y)) => {
            let y = &y[..n];
            pow_block::<M>(|_| x, |i| y[i], dst);
        }
        (Lanes::One(x), Lanes::One(y)) => pow_block::<M>(|_| x, |_| y, dst),
    }
}

/// [`pow_lanes`] compiled for AVX-512F.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn pow_lanes_avx512(x: Lanes<'_, f32>, y: Lanes<'_, f32>, dst: &mut [MaybeUninit<f32>]) {
    pow_lanes::<Fused>(x, y, dst);
}

/// [`pow_lanes`] compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pow_lanes_avx2(x: Lanes<'_, f32>, y: Lanes<'_, f32>, dst: &mut [MaybeUninit<f32>]) {
    pow_lanes::<Fused>(x, y, dst);
}

/// `dst[i] = x[i] ** y[i]` on `path` (serial).
///
/// # Panics
/// If `path` is not one of [`Path::available`], or an operand has fewer values than `dst`
/// (bugs in the caller).
fn pow_into(path: Path, x: Lanes<'_, f32>, y: Lanes<'_, f32>, dst: &mut [MaybeUninit<f32>]) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => {
            assert!(has_avx512());
            // SAFETY: AVX-512F, AVX2 and FMA were detected just above.
            unsafe { pow_lanes_avx512(x, y, dst) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma => {
            assert!(
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            );
            // SAFETY: AVX2 and FMA were detected just above.
            unsafe { pow_lanes_avx2(x, y, dst) }
        }
        Path::Portable => pow_lanes::<Separate>(x, y, dst),
    }
}

/// `x ** y` for `n` `f32` outputs on `path` (see the `pow` module for the error bound);
/// `n` of at least [`PARALLEL_MIN`] runs on every thread of the kernel pool.
///
/// # Panics
/// If `path` is not one of [`Path::available`], or an operand given per element does not
/// have `n` values (bugs in the caller).
pub(crate) fn pow_f32_on(path: Path, x: Lanes<'_, f32>, y: Lanes<'_, f32>, n: usize) -> Vec<f32> {
    for op in [x, y] {
        if let Lanes::Each(v) = op {
            assert_eq!(v.len(), n, "pow_f32: operand length");
        }
    }
    let mut out = crate::buffer::output_vec(n);
    let dst = &mut out.spare_capacity_mut()[..n];
    if n >= PARALLEL_MIN {
        in_kernel_pool(|| {
            dst.par_chunks_mut(CHUNK).enumerate().for_each(|(c, d)| {
                let (start, len) = (c * CHUNK, d.len());
                pow_into(path, x.window(start, len), y.window(start, len), d);
            });
        });
    } else {
        pow_into(path, x, y, dst);
    }
    // SAFETY: the capacity is at least `n`, and `pow_into` wrote every element of `dst`, the
    // first `n` (the chunks cover it, each written whole).
    unsafe { out.set_len(n) };
    out
}

/// [`pow_f32_on`] on the [fastest path](Path::best) for `n` outputs: an operand with one
/// element stands for all of them. As numpy's `power` does for a scalar exponent, `2`, `0.5`,
/// `-1` and `1` are `x·x`, `sqrt(x)`, `1/x` and `x` (correctly rounded; `(-0) ** 0.5 = -0`
/// and `(-inf) ** 0.5 = NaN` as `sqrt` gives them).
///
/// # Panics
/// If an operand has neither one element nor `n` (a bug in the caller).
pub(crate) fn pow_f32(x: &[f32], y: &[f32], n: usize) -> Vec<f32> {
    if let ([e], true) = (y, x.len() == n) {
        let fast: Option<fn(f32) -> f32> = match *e {
            2.0 => Some(|v| v * v),
            0.5 => Some(f32::sqrt),
            -1.0 => Some(|v| 1.0 / v),
            1.0 => Some(|v| v),
            _ => None,
        };
        if let Some(f) = fast {
            return x.iter().map(|&v| f(v)).collect();
        }
    }
    fn lanes(v: &[f32]) -> Lanes<'_, f32> {
        match v {
            [one] => Lanes::One(*one),
            _ => Lanes::Each(v),
        }
    }
    pow_f32_on(Path::best(), lanes(x), lanes(y), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error of `got` against the reference `want`, in units of the spacing of `f32`s at
    /// `want` (`0` when both are the same NaN-or-infinite value, `inf` when only one is).
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

    /// [`ulps_f32`] for `f64`.
    fn ulps_f64(got: f64, want: f64) -> f64 {
        if !want.is_finite() || !got.is_finite() {
            let same = (want.is_nan() && got.is_nan()) || want == got;
            return if same { 0.0 } else { f64::INFINITY };
        }
        let a = want.abs();
        let ulp = f64::from_bits(a.to_bits() + 1) - a;
        (got - want).abs() / ulp
    }

    /// Every 1021st `f32` bit pattern: all signs, NaNs, infinities, subnormals, 4.2M points.
    fn f32_sweep() -> Vec<f32> {
        (0..=u32::MAX / 1021)
            .map(|i| f32::from_bits(i * 1021))
            .collect()
    }

    /// 2^20 points evenly spaced on `[lo, hi]`, plus 2^20 scattered bit patterns (every
    /// sign, magnitude, NaN and infinity).
    fn f64_sweep(lo: f64, hi: f64) -> Vec<f64> {
        let n: u32 = 1 << 20;
        let mut v: Vec<f64> = (0..n)
            .map(|i| lo + (hi - lo) * f64::from(i) / f64::from(n - 1))
            .collect();
        v.extend((0..n as u64).map(|i| f64::from_bits(i.wrapping_mul(0x9E37_79B9_7F4A_7C15))));
        v
    }

    /// Asserts `K` on `path` is within `bound` ulp of `reference` (evaluated in `f64`, so
    /// its own error is negligible at `f32` precision) at every point of `xs`.
    #[track_caller]
    fn check_f32<K: Lanewise<f32>>(path: Path, xs: &[f32], reference: fn(f64) -> f64, bound: f64) {
        let got = map_on::<K, f32>(path, xs);
        for (&x, &g) in xs.iter().zip(&got) {
            let want = reference(f64::from(x));
            let e = ulps_f32(g, want);
            assert!(
                e <= bound,
                "{path:?} at {x:e}: got {g:e}, want {want:e} ({e} ulp > {bound})"
            );
        }
    }

    /// Asserts `K` on `path` is within `bound` ulp of the platform libm's `reference`.
    #[track_caller]
    fn check_f64<K: Lanewise<f64>>(path: Path, xs: &[f64], reference: fn(f64) -> f64, bound: f64) {
        let got = map_on::<K, f64>(path, xs);
        for (&x, &g) in xs.iter().zip(&got) {
            let want = reference(x);
            let e = ulps_f64(g, want);
            assert!(
                e <= bound,
                "{path:?} at {x:e}: got {g:e}, want {want:e} ({e} ulp > {bound})"
            );
        }
    }

    #[test]
    fn every_f32_path_is_within_its_bound() {
        let xs = f32_sweep();
        for path in Path::available() {
            check_f32::<Exp>(path, &xs, f64::exp, 1.5);
            check_f32::<Log>(path, &xs, f64::ln, 1.0);
            check_f32::<Tanh>(path, &xs, f64::tanh, 1.5);
        }
    }

    #[test]
    fn every_f64_path_is_within_its_bound_of_libm() {
        let (e, l, t) = (
            f64_sweep(-746.0, 710.0),
            f64_sweep(0.25, 4.0),
            f64_sweep(-20.0, 20.0),
        );
        for path in Path::available() {
            check_f64::<Exp>(path, &e, f64::exp, 1.0);
            check_f64::<Log>(path, &l, f64::ln, 1.0);
            check_f64::<Tanh>(path, &t, f64::tanh, 2.0);
        }
    }

    /// Bits of `K` at each element of `xs`, evaluated one at a time outside any SIMD loop
    /// (`mul_add` outside an FMA function is the correctly rounded library call, so `Fused`
    /// gives the same bits as the FMA instruction).
    fn one_by_one<K: Lanewise<f32>, M: MulAdd>(xs: &[f32]) -> Vec<u32> {
        xs.iter().map(|&x| K::eval::<M>(x).to_bits()).collect()
    }

    #[test]
    fn the_vectorised_parallel_loop_gives_the_scalar_bits() {
        // Long enough to be split across the kernel pool, with a ragged last chunk.
        let xs = &f32_sweep()[..PARALLEL_MIN + CHUNK + 3];
        for path in Path::available() {
            let got: Vec<u32> = map_on::<Tanh, f32>(path, xs)
                .iter()
                .map(|v| v.to_bits())
                .collect();
            let want = match path {
                Path::Portable => one_by_one::<Tanh, Separate>(xs),
                _ => one_by_one::<Tanh, Fused>(xs),
            };
            assert!(got == want, "{path:?}");
        }
    }

    /// Asserts `pow_f32_on(path, x, y)` is within 0.51 ulp of `f64` libm's `pow` wherever
    /// the vector formula applies, and gives `f32` libm's `powf` bit for bit (NaN: any NaN)
    /// everywhere else.
    #[track_caller]
    fn check_pow(path: Path, x: Lanes<'_, f32>, y: Lanes<'_, f32>, n: usize) {
        let got = pow_f32_on(path, x, y, n);
        let at = |v: Lanes<'_, f32>, i: usize| match v {
            Lanes::Each(v) => v[i],
            Lanes::One(v) => v,
        };
        for (i, &g) in got.iter().enumerate() {
            let (xi, yi) = (at(x, i), at(y, i));
            if pow::pow_f32_in_domain(xi, yi) {
                let want = f64::from(xi).powf(f64::from(yi));
                let e = ulps_f32(g, want);
                assert!(
                    e <= 0.51,
                    "{path:?} {xi:e}**{yi:e}: got {g:e}, want {want:e} ({e} ulp)"
                );
            } else {
                let want = xi.powf(yi);
                let same = (g.is_nan() && want.is_nan()) || g.to_bits() == want.to_bits();
                assert!(same, "{path:?} {xi:e}**{yi:e}: got {g:e}, libm {want:e}");
            }
        }
    }

    #[test]
    fn every_pow_path_is_within_its_bound_for_scalar_exponents() {
        // Every 4093rd bit pattern: both signs, zeros, subnormals, infinities, NaNs.
        let xs: Vec<f32> = (0..=u32::MAX / 4093)
            .map(|i| f32::from_bits(i * 4093))
            .collect();
        let exponents = [
            0.5, 1.5, 2.0, -0.5, 3.0, 0.3, -1.0, -2.5, 7.25, 40.0, -150.0, 1e-3, 1e-30, 1e30, 0.0,
            -0.0,
        ];
        for path in Path::available() {
            for y in exponents {
                check_pow(path, Lanes::Each(&xs), Lanes::One(y), xs.len());
            }
        }
    }

    #[test]
    fn every_pow_path_is_within_its_bound_for_paired_operands() {
        // Bases spread over every magnitude, exponents over [-200, 200] (overflow, underflow
        // through the subnormals, integer and half-integer exponents of negative bases), and
        // every special value against every other.
        let n = PARALLEL_MIN + CHUNK + 5;
        let mut x: Vec<f32> = (0..n as u32)
            .map(|i| f32::from_bits(i.wrapping_mul(0x9E37_79B9) >> 1))
            .collect();
        let mut y: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1601) as f32 * 0.25 - 200.0)
            .collect();
        let special = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            -2.0,
            0.5,
            -0.5,
            3.0,
            -3.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
            1e-45,
            f32::MAX,
            -f32::MAX,
        ];
        for &a in &special {
            for &b in &special {
                x.push(a);
                y.push(b);
            }
        }
        let n = x.len();
        for path in Path::available() {
            check_pow(path, Lanes::Each(&x), Lanes::Each(&y), n);
            check_pow(path, Lanes::One(2.0), Lanes::Each(&y), n);
            check_pow(path, Lanes::One(-2.0), Lanes::Each(&y), n);
            check_pow(path, Lanes::One(0.0), Lanes::Each(&y), n);
        }
    }
}
