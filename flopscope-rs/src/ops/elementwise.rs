//! Elementwise families: binary arithmetic, comparisons, unary math, `clip`, `where_`.
//!
//! Cost: numel of the broadcast output × rate of the result dtype × the op's weight; symmetric
//! results bill only their unique elements (see [`crate::Tensor`]).

use std::borrow::Cow;

use super::broadcast::zip2;
use crate::budget::{clamped, counted, exact, Op};
use crate::buffer::{collected_vec, copied_vec};
use crate::dtype::{DType, WeakScalar};
use crate::element::{Buffer, Element};
use crate::kernels::transcendental;
use crate::shape::Shape;
use crate::symmetry::{pointwise, Symmetry};
use crate::tensor::Tensor;

/// The right-hand side of a binary op: another tensor or a weak Rust scalar.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// A tensor operand (strong dtype).
    Tensor(&'a Tensor),
    /// A Rust scalar (weak in the NEP-50 sense: `f32_tensor * 2.0` stays `f32`).
    Scalar(WeakScalar),
}

impl<'a> From<&'a Tensor> for Operand<'a> {
    fn from(t: &'a Tensor) -> Self {
        Operand::Tensor(t)
    }
}
macro_rules! operand_from_scalar {
    ($($t:ty),*) => {$(
        impl From<$t> for Operand<'_> {
            fn from(v: $t) -> Self { Operand::Scalar(WeakScalar::from(v)) }
        }
    )*};
}
operand_from_scalar!(f64, f32, i64, i32);

/// A resolved operand: its data, already in the compute dtype.
struct Resolved<'a> {
    buf: Cow<'a, Buffer>,
}

fn resolve<'a>(op: Operand<'a>, dtype: DType) -> Resolved<'a> {
    match op {
        Operand::Tensor(t) => Resolved {
            buf: t.buf.cast_if(dtype),
        },
        Operand::Scalar(s) => Resolved {
            buf: Cow::Owned(scalar_buffer(s, dtype)),
        },
    }
}

fn scalar_buffer(s: WeakScalar, dtype: DType) -> Buffer {
    match (s, dtype) {
        (WeakScalar::Int(v), DType::I64) => Buffer::I64(vec![v].into()),
        (WeakScalar::Int(v), DType::Bool) => Buffer::Bool(vec![v != 0].into()),
        (s, DType::F32) => Buffer::F32(vec![s.as_f64() as f32].into()),
        (s, DType::F64) => Buffer::F64(vec![s.as_f64()].into()),
        (s, DType::I64) => Buffer::I64(vec![s.as_f64() as i64].into()),
        (s, DType::Bool) => Buffer::Bool(vec![s.as_f64() != 0.0].into()),
    }
}

/// numpy result type of two operands, where at most one may be a weak scalar.
fn result_dtype(a: &Operand<'_>, b: &Operand<'_>) -> DType {
    match (a, b) {
        (Operand::Tensor(x), Operand::Tensor(y)) => DType::promote(x.dtype(), y.dtype()),
        (Operand::Tensor(x), Operand::Scalar(s)) | (Operand::Scalar(s), Operand::Tensor(x)) => {
            x.dtype().promote_weak(*s)
        }
        (Operand::Scalar(x), Operand::Scalar(y)) => match (x, y) {
            (WeakScalar::Int(_), WeakScalar::Int(_)) => DType::I64,
            _ => DType::F64,
        },
    }
}

fn shape_of(op: &Operand<'_>) -> Shape {
    match op {
        Operand::Tensor(t) => t.shape,
        Operand::Scalar(_) => Shape::SCALAR,
    }
}

/// Broadcast shape of the operands, or a panic naming the op and both shapes.
#[inline]
fn broadcast_shapes(op: Op, shapes: &[Shape]) -> Shape {
    match shapes {
        [first, rest @ ..] if rest.iter().all(|s| s == first) => *first,
        _ => broadcast_differing(op, shapes),
    }
}

/// [`broadcast_shapes`] of operands whose shapes differ.
#[inline(never)]
fn broadcast_differing(op: Op, shapes: &[Shape]) -> Shape {
    let mut out = Shape::SCALAR;
    for s in shapes {
        out = Shape::broadcast(&out, s).unwrap_or_else(|| {
            panic!(
                "{}: operands could not be broadcast together with shapes {}",
                op.name(),
                shapes
                    .iter()
                    .map(|s| format!("{s}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        });
    }
    out
}

/// The operand's shape and tag, for the pointwise symmetry rule.
fn tag(op: &Operand<'_>) -> (Shape, Symmetry) {
    match op {
        Operand::Tensor(t) => (t.shape, t.sym),
        Operand::Scalar(_) => (Shape::SCALAR, Symmetry::NONE),
    }
}

/// A vectorised `f32` binary kernel over whole operands: `(a, b, n)` for `n` outputs, each
/// operand `n` values in output order or one value for all.
pub(crate) type F32Slices = fn(&[f32], &[f32], usize) -> Vec<f32>;

/// A binary arithmetic kernel, one function per dtype.
pub(crate) trait BinaryKernel {
    const OP: Op;
    /// Integer/bool inputs compute (and return) in `float64` (true division).
    const FLOAT_ONLY: bool = false;
    /// Float outputs of at least [`Self::POOL_MIN`] elements are split across the kernel pool.
    const ON_POOL: bool = false;
    /// See [`Self::ON_POOL`].
    const POOL_MIN: usize = transcendental::PARALLEL_MIN;
    /// A vectorised `f32` kernel used instead of [`Self::f32`].
    const F32_SLICES: Option<F32Slices> = None;
    fn f32(a: f32, b: f32) -> f32;
    fn f64(a: f64, b: f64) -> f64;
    fn i64(a: i64, b: i64) -> i64;
    fn bool(a: bool, b: bool) -> bool;
}

/// Float outputs of at least this many elements of a one-instruction kernel (`add`,
/// `maximum`, …) are split across the kernel pool: below it, handing the work over costs
/// about what the second thread saves.
const CHEAP_POOL_MIN: usize = 1 << 18;

/// A one-instruction binary kernel: split across the kernel pool from [`CHEAP_POOL_MIN`]
/// float outputs.
macro_rules! binary_kernel {
    ($name:ident, $op:expr, float_only = $fo:expr, |$a:ident, $b:ident| $f:expr, int = |$ia:ident, $ib:ident| $fi:expr, bool = |$ba:ident, $bb:ident| $fb:expr) => {
        pub(crate) struct $name;
        impl BinaryKernel for $name {
            const OP: Op = $op;
            const FLOAT_ONLY: bool = $fo;
            const ON_POOL: bool = true;
            const POOL_MIN: usize = CHEAP_POOL_MIN;
            #[inline(always)]
            fn f32($a: f32, $b: f32) -> f32 {
                $f
            }
            #[inline(always)]
            fn f64($a: f64, $b: f64) -> f64 {
                $f
            }
            #[inline(always)]
            fn i64($ia: i64, $ib: i64) -> i64 {
                $fi
            }
            #[inline(always)]
            fn bool($ba: bool, $bb: bool) -> bool {
                $fb
            }
        }
    };
}

binary_kernel!(
    AddK,
    Op::Add,
    float_only = false,
    |a, b| a + b,
    int = |a, b| a.wrapping_add(b),
    bool = |a, b| a | b
);
binary_kernel!(
    SubK,
    Op::Subtract,
    float_only = false,
    |a, b| a - b,
    int = |a, b| a.wrapping_sub(b),
    bool = |a, b| a ^ b
);
binary_kernel!(
    MulK,
    Op::Multiply,
    float_only = false,
    |a, b| a * b,
    int = |a, b| a.wrapping_mul(b),
    bool = |a, b| a & b
);
binary_kernel!(
    DivK,
    Op::TrueDivide,
    float_only = true,
    |a, b| a / b,
    int = |a, b| a / b,
    bool = |a, _b| a
);
/// `power`: `f32` through the vectorised kernel (libm's `powf` outside finite `x > 0`,
/// finite `y`), `f64` through libm's `pow`, integers by repeated multiplication.
pub(crate) struct PowK;
impl BinaryKernel for PowK {
    const OP: Op = Op::Power;
    const ON_POOL: bool = true;
    const F32_SLICES: Option<F32Slices> = Some(transcendental::pow_f32);
    #[inline(always)]
    fn f32(a: f32, b: f32) -> f32 {
        a.powf(b)
    }
    #[inline(always)]
    fn f64(a: f64, b: f64) -> f64 {
        a.powf(b)
    }
    #[inline(always)]
    fn i64(a: i64, b: i64) -> i64 {
        if b < 0 {
            0
        } else {
            a.wrapping_pow(b.min(u32::MAX as i64) as u32)
        }
    }
    #[inline(always)]
    fn bool(a: bool, b: bool) -> bool {
        a | !b
    }
}
binary_kernel!(
    MaxK,
    Op::Maximum,
    float_only = false,
    |a, b| if a.is_nan() || b.is_nan() {
        a + b
    } else if a >= b {
        a
    } else {
        b
    },
    int = |a, b| a.max(b),
    bool = |a, b| a | b
);
binary_kernel!(
    MinK,
    Op::Minimum,
    float_only = false,
    |a, b| if a.is_nan() || b.is_nan() {
        a + b
    } else if a <= b {
        a
    } else {
        b
    },
    int = |a, b| a.min(b),
    bool = |a, b| a & b
);

/// Applies a binary kernel with broadcasting and promotion; charges `K::OP` first.
pub(crate) fn binary<K: BinaryKernel>(a: Operand<'_>, b: Operand<'_>) -> Tensor {
    let mut dt = result_dtype(&a, &b);
    if K::FLOAT_ONLY {
        dt = dt.float_result();
    }
    let (sa, sb) = (shape_of(&a), shape_of(&b));
    let out = broadcast_shapes(K::OP, &[sa, sb]);
    let sym = pointwise(&out, &[tag(&a), tag(&b)]);
    counted(clamped(K::OP, sym.unique(&out), dt), |charged| {
        let (ra, rb) = (resolve(a, dt), resolve(b, dt));
        let buf = match (&*ra.buf, &*rb.buf) {
            (Buffer::F32(x), Buffer::F32(y)) => Buffer::F32(
                match K::F32_SLICES {
                    Some(kernel) => kernel(&flat(x, &sa, &out), &flat(y, &sb, &out), out.numel()),
                    None => zip_float::<K, _>(x, &sa, y, &sb, &out, K::f32),
                }
                .into(),
            ),
            (Buffer::F64(x), Buffer::F64(y)) => {
                Buffer::F64(zip_float::<K, _>(x, &sa, y, &sb, &out, K::f64).into())
            }
            (Buffer::I64(x), Buffer::I64(y)) => {
                Buffer::I64(zip2(x, &sa, y, &sb, &out, K::i64).into())
            }
            (Buffer::Bool(x), Buffer::Bool(y)) => {
                Buffer::Bool(zip2(x, &sa, y, &sb, &out, K::bool).into())
            }
            _ => unreachable!("operands were cast to one dtype"),
        };
        Tensor::from_buffer(charged, buf, out).with_symmetry(sym)
    })
}

/// An operand of a vectorised kernel producing `out`: as is when it has one element or as
/// many as `out` (broadcasting then only adds leading 1s, which keeps the element order),
/// otherwise broadcast to `out`.
fn flat<'x, T: Copy>(x: &'x [T], s: &Shape, out: &Shape) -> Cow<'x, [T]> {
    if x.len() == 1 {
        Cow::Borrowed(x)
    } else {
        super::broadcast::expand(x, s, out)
    }
}

/// [`zip2`] of two float operands of kernel `K`; with [`BinaryKernel::ON_POOL`] and at least
/// [`BinaryKernel::POOL_MIN`] outputs, on every thread of the kernel pool (operands broadcast
/// to `out` first unless one is a single element or already has `out`'s elements).
fn zip_float<K: BinaryKernel, T: Copy + Send + Sync>(
    a: &[T],
    sa: &Shape,
    b: &[T],
    sb: &Shape,
    out: &Shape,
    f: impl Fn(T, T) -> T + Sync,
) -> Vec<T> {
    if !K::ON_POOL || out.numel() < K::POOL_MIN {
        return zip2(a, sa, b, sb, out, f);
    }
    let (a, b) = (flat(a, sa, out), flat(b, sb, out));
    transcendental::zip_on_pool(&a, &b, f)
}

/// A comparison kernel (bool output; billed at the operands' promoted dtype).
pub(crate) trait CompareKernel {
    const OP: Op;
    fn cmp<T: PartialOrd>(a: T, b: T) -> bool;
}

macro_rules! compare_kernel {
    ($name:ident, $op:expr, |$a:ident, $b:ident| $f:expr) => {
        pub(crate) struct $name;
        impl CompareKernel for $name {
            const OP: Op = $op;
            #[inline(always)]
            fn cmp<T: PartialOrd>($a: T, $b: T) -> bool {
                $f
            }
        }
    };
}

compare_kernel!(GtK, Op::Greater, |a, b| a > b);
compare_kernel!(GeK, Op::GreaterEqual, |a, b| a >= b);
compare_kernel!(LtK, Op::Less, |a, b| a < b);
compare_kernel!(LeK, Op::LessEqual, |a, b| a <= b);
compare_kernel!(EqK, Op::Equal, |a, b| a == b);
compare_kernel!(NeK, Op::NotEqual, |a, b| a != b);

/// Applies a comparison with broadcasting; the result is a bool tensor.
pub(crate) fn compare<K: CompareKernel>(a: Operand<'_>, b: Operand<'_>) -> Tensor {
    let dt = result_dtype(&a, &b);
    let (sa, sb) = (shape_of(&a), shape_of(&b));
    let out = broadcast_shapes(K::OP, &[sa, sb]);
    let sym = pointwise(&out, &[tag(&a), tag(&b)]);
    counted(clamped(K::OP, sym.unique(&out), dt), |charged| {
        let (ra, rb) = (resolve(a, dt), resolve(b, dt));
        let v = match (&*ra.buf, &*rb.buf) {
            (Buffer::F32(x), Buffer::F32(y)) => zip2(x, &sa, y, &sb, &out, K::cmp),
            (Buffer::F64(x), Buffer::F64(y)) => zip2(x, &sa, y, &sb, &out, K::cmp),
            (Buffer::I64(x), Buffer::I64(y)) => zip2(x, &sa, y, &sb, &out, K::cmp),
            (Buffer::Bool(x), Buffer::Bool(y)) => zip2(x, &sa, y, &sb, &out, K::cmp),
            _ => unreachable!("operands were cast to one dtype"),
        };
        Tensor::from_elems(charged, v, out).with_symmetry(sym)
    })
}

/// A unary kernel over a whole buffer. Float-only kernels compute integer/bool input in
/// `float64`.
pub(crate) trait UnaryKernel {
    const OP: Op;
    const FLOAT_ONLY: bool;
    fn f32(x: &[f32]) -> Vec<f32>;
    fn f64(x: &[f64]) -> Vec<f64>;
    fn i64(x: &[i64]) -> Vec<i64>;
}

macro_rules! unary_kernel {
    // A vectorised float function from `kernels::transcendental` (SIMD path chosen at run
    // time, large arrays split across the kernel pool).
    ($name:ident, $op:expr, lanewise = $k:ty) => {
        pub(crate) struct $name;
        impl UnaryKernel for $name {
            const OP: Op = $op;
            const FLOAT_ONLY: bool = true;
            fn f32(x: &[f32]) -> Vec<f32> {
                transcendental::map::<$k, f32>(x)
            }
            fn f64(x: &[f64]) -> Vec<f64> {
                transcendental::map::<$k, f64>(x)
            }
            fn i64(_: &[i64]) -> Vec<i64> {
                unreachable!("float-only kernel")
            }
        }
    };
    ($name:ident, $op:expr, $fo:expr, |$x:ident| $f:expr, |$i:ident| $fi:expr) => {
        pub(crate) struct $name;
        impl UnaryKernel for $name {
            const OP: Op = $op;
            const FLOAT_ONLY: bool = $fo;
            fn f32(x: &[f32]) -> Vec<f32> {
                collected_vec(x.iter().map(|&$x| $f))
            }
            fn f64(x: &[f64]) -> Vec<f64> {
                collected_vec(x.iter().map(|&$x| $f))
            }
            fn i64(x: &[i64]) -> Vec<i64> {
                collected_vec(x.iter().map(|&$i| $fi))
            }
        }
    };
}

unary_kernel!(NegK, Op::Negative, false, |x| -x, |i| i.wrapping_neg());
unary_kernel!(AbsK, Op::Absolute, false, |x| x.abs(), |i| i.wrapping_abs());
unary_kernel!(SquareK, Op::Square, false, |x| x * x, |i| i.wrapping_mul(i));
unary_kernel!(ExpK, Op::Exp, lanewise = transcendental::Exp);
unary_kernel!(LogK, Op::Log, lanewise = transcendental::Log);
unary_kernel!(SqrtK, Op::Sqrt, lanewise = transcendental::Sqrt);
unary_kernel!(TanhK, Op::Tanh, lanewise = transcendental::Tanh);

/// Applies a unary kernel; charges numel (unique elements if symmetric) × rate × weight, at
/// the rate of the result's dtype.
///
/// Bool input, as numpy: `abs` and `square` return it unchanged as bool (`|b| = b·b = b`);
/// `negative` computes in int64. The float kernels (`exp`, `log`, `sqrt`, `tanh`) give numpy a
/// float16 result, which flopscope has no dtype for: they return f32 holding exactly the
/// float16 values numpy returns (the kernel's f32 result rounded to float16's 11 significant
/// bits), billed at float16's rate, which is f32's.
pub(crate) fn unary<K: UnaryKernel>(t: &Tensor) -> Tensor {
    let bool_in = t.dtype() == DType::Bool;
    let dt = match t.dtype() {
        DType::Bool if K::FLOAT_ONLY => DType::F32,
        DType::Bool if K::OP == Op::Negative => DType::I64,
        DType::Bool => DType::Bool,
        d if K::FLOAT_ONLY => d.float_result(),
        d => d,
    };
    counted(clamped(K::OP, t.billed_elements(), dt), |charged| {
        let src = if t.dtype() == dt {
            Cow::Borrowed(&*t.buf)
        } else {
            Cow::Owned(t.buf.cast(dt))
        };
        let buf = match &*src {
            Buffer::F32(x) if bool_in => {
                let mut v = K::f32(x);
                v.iter_mut().for_each(|y| *y = round_to_f16_precision(*y));
                Buffer::F32(v.into())
            }
            Buffer::F32(x) => Buffer::F32(K::f32(x).into()),
            Buffer::F64(x) => Buffer::F64(K::f64(x).into()),
            Buffer::I64(x) => Buffer::I64(K::i64(x).into()),
            Buffer::Bool(x) => Buffer::Bool(copied_vec(x).into()),
        };
        Tensor::from_buffer(charged, buf, t.shape).with_symmetry(t.sym)
    })
}

/// `x` rounded to float16's 11 significant bits (to nearest, ties to even), for values that
/// are 0, infinite, NaN or inside float16's normal range (about 6.1e-5 to 65504 in magnitude),
/// which every unary float kernel's result for 0 and 1 is.
fn round_to_f16_precision(x: f32) -> f32 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    // float16 keeps 10 of f32's 23 fraction bits: round off the low 13.
    let bits = x.to_bits();
    let odd = (bits >> 13) & 1;
    f32::from_bits(bits.wrapping_add(0x0fff + odd) & !0x1fff)
}

fn clip_typed<T: Element>(x: &[T], lo: T, hi: T) -> Vec<T> {
    collected_vec(x.iter().map(|&v| {
        let v = if v < lo { lo } else { v };
        if v > hi {
            hi
        } else {
            v
        }
    }))
}

impl Tensor {
    /// Elementwise `max(self, other)` with broadcasting (numpy `maximum`; NaN propagates).
    /// FLOPs: numel(out) × rate.
    pub fn maximum<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        binary::<MaxK>(Operand::Tensor(self), other.into())
    }

    /// Elementwise `min(self, other)` with broadcasting. FLOPs: numel(out) × rate.
    pub fn minimum<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        binary::<MinK>(Operand::Tensor(self), other.into())
    }

    /// `maximum(self, s)` for a weak scalar (e.g. ReLU: `x.maximum_scalar(0.0)`).
    pub fn maximum_scalar(&self, s: f64) -> Tensor {
        self.maximum(s)
    }

    /// `self ** exponent` (numpy `power`, weight 16). FLOPs: 16 × numel(out) × rate.
    ///
    /// `f32` is vectorised like numpy's SIMD `power` and, like it, not bit-identical to libm:
    /// `exp(y·log x)` in `f64` rounded once, within 0.51 ulp of the exact power for finite
    /// `x > 0` and finite `y` (overflow gives `+inf`, results in the subnormal range round
    /// once); every other pair gets libm's `powf` and so every special case of C `pow`
    /// (`x ** 0 = 1` and `1 ** y = 1` even for NaN, signs of odd integer powers of negatives
    /// and `-0`, NaN for a negative base with a non-integer exponent). A scalar exponent of
    /// `2`, `0.5`, `-1` or `1` is `x·x`, `sqrt(x)`, `1/x` or `x`, as numpy computes it. `f64`
    /// uses libm's `pow` (glibc: under 1 ulp; numpy's AVX-512 build uses SVML, so the last
    /// bit may differ). Outputs of 65,536 elements or more are split across the kernel
    /// threads.
    pub fn power<'a>(&self, exponent: impl Into<Operand<'a>>) -> Tensor {
        binary::<PowK>(Operand::Tensor(self), exponent.into())
    }

    /// `self > other` (bool). FLOPs: numel(out) × rate of the operands' promoted dtype.
    pub fn gt<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        compare::<GtK>(Operand::Tensor(self), other.into())
    }

    /// `self >= other` (bool). FLOPs: numel(out) × rate.
    pub fn ge<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        compare::<GeK>(Operand::Tensor(self), other.into())
    }

    /// `self < other` (bool). FLOPs: numel(out) × rate.
    pub fn lt<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        compare::<LtK>(Operand::Tensor(self), other.into())
    }

    /// `self <= other` (bool). FLOPs: numel(out) × rate.
    pub fn le<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        compare::<LeK>(Operand::Tensor(self), other.into())
    }

    /// `self == other` elementwise (bool). FLOPs: numel(out) × rate.
    pub fn eq_elem<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        compare::<EqK>(Operand::Tensor(self), other.into())
    }

    /// `self != other` elementwise (bool). FLOPs: numel(out) × rate.
    pub fn ne_elem<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        compare::<NeK>(Operand::Tensor(self), other.into())
    }

    /// `exp` (weight 16; int input computes in f64; bool input gives numpy's float16 values
    /// as f32). FLOPs: 16 × numel × rate.
    ///
    /// Vectorised (AVX-512 / AVX2 + FMA chosen at run time; large arrays use every kernel
    /// thread). Error: at most 1.5 ulp in `f32` (measured 1.003), at most 1 ulp from glibc's
    /// `exp` in `f64`. As numpy: NaN → NaN, `+inf` → `+inf`, `−inf` → 0, overflow → `+inf`
    /// (`f32` above 88.72283), results below the normal range round to subnormals, then 0.
    pub fn exp(&self) -> Tensor {
        unary::<ExpK>(self)
    }

    /// Natural `log` (weight 16; int input computes in f64; bool input gives numpy's float16 values
    /// as f32). FLOPs: 16 × numel × rate.
    ///
    /// Vectorised like [`Tensor::exp`]. Error: at most 1 ulp in `f32` (measured 0.78), at most
    /// 1 ulp from glibc's `log` in `f64`, subnormal inputs included. As numpy:
    /// `log(±0) = −inf`, `log(+inf) = +inf`, NaN for negative and NaN inputs.
    pub fn log(&self) -> Tensor {
        unary::<LogK>(self)
    }

    /// `sqrt`. FLOPs: numel × rate.
    pub fn sqrt(&self) -> Tensor {
        unary::<SqrtK>(self)
    }

    /// `abs` (numpy `absolute`; bool stays bool). FLOPs: numel × rate.
    pub fn abs(&self) -> Tensor {
        unary::<AbsK>(self)
    }

    /// `square` (`x * x`, weight 1 — cheaper than `power(2)`; bool stays bool).
    /// FLOPs: numel × rate.
    pub fn square(&self) -> Tensor {
        unary::<SquareK>(self)
    }

    /// `tanh` (weight 16; int input computes in f64; bool input gives numpy's float16 values
    /// as f32). FLOPs: 16 × numel × rate.
    ///
    /// Vectorised like [`Tensor::exp`]. Error: at most 1.5 ulp in `f32` (measured 1.31), at
    /// most 2 ulp from glibc's `tanh` in `f64`. As numpy: `±inf` → `±1`, tiny `x` → `x` (the
    /// sign of `−0` kept), `|x|` beyond about 9 (`f32`) or 19 (`f64`) → exactly `±1`, NaN → NaN.
    pub fn tanh(&self) -> Tensor {
        unary::<TanhK>(self)
    }

    /// Clamps every element into `[lo, hi]` (numpy `clip` with scalar bounds; tag kept).
    /// FLOPs: 2 × numel × rate (unique elements if tagged).
    pub fn clip(&self, lo: f64, hi: f64) -> Tensor {
        self.clip_impl(Some(lo), Some(hi))
    }

    /// Clamps from below only (numpy `clip(x, lo, None)`). FLOPs: numel × rate.
    pub fn clip_min(&self, lo: f64) -> Tensor {
        self.clip_impl(Some(lo), None)
    }

    /// Clamps from above only (numpy `clip(x, None, hi)`). FLOPs: numel × rate.
    pub fn clip_max(&self, hi: f64) -> Tensor {
        self.clip_impl(None, Some(hi))
    }

    fn clip_impl(&self, lo: Option<f64>, hi: Option<f64>) -> Tensor {
        let dt = self.dtype().promote_weak(WeakScalar::Float(0.0));
        let bounds = lo.is_some() as u64 + hi.is_some() as u64;
        // flopscope: bounds × max(U, 1), so an empty tensor bills one element per bound.
        let count = bounds * self.billed_elements().max(1);
        let (lo, hi) = (lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY));
        counted(exact(Op::Clip, count, dt), |charged| {
            let src = self.buf.cast_if(dt);
            let buf = match &*src {
                Buffer::F32(x) => Buffer::F32(clip_typed(x, lo as f32, hi as f32).into()),
                Buffer::F64(x) => Buffer::F64(clip_typed(x, lo, hi).into()),
                _ => unreachable!("clip computes in a float dtype"),
            };
            Tensor::from_buffer(charged, buf, self.shape).with_symmetry(self.sym)
        })
    }
}

/// Three-argument `where(cond, a, b)`: picks `a` where `cond` is true, else `b`, broadcasting
/// all three. Weight 4. FLOPs: 4 × numel(out) × rate of the result dtype of `a` and `b`.
///
/// # Panics
/// If `cond` is not a bool tensor or the shapes do not broadcast.
pub fn where_<'a, 'b>(
    cond: &Tensor,
    a: impl Into<Operand<'a>>,
    b: impl Into<Operand<'b>>,
) -> Tensor {
    assert_eq!(
        cond.dtype(),
        DType::Bool,
        "where_: the condition must be a bool tensor, got {}",
        cond.dtype()
    );
    let (a, b) = (a.into(), b.into());
    let dt = result_dtype(&a, &b);
    let (sa, sb) = (shape_of(&a), shape_of(&b));
    let out = broadcast_shapes(Op::Where, &[cond.shape, sa, sb]);
    counted(clamped(Op::Where, out.numel() as u64, dt), |charged| {
        let (ra, rb) = (resolve(a, dt), resolve(b, dt));
        let c = super::broadcast::expand(cond.as_slice::<bool>().unwrap_or(&[]), &cond.shape, &out);
        let ra = ra.buf.cast_if(dt);
        let rb = rb.buf.cast_if(dt);
        let pick = |x: &Buffer, y: &Buffer| -> Buffer {
            match (x, y) {
                (Buffer::F32(x), Buffer::F32(y)) => {
                    Buffer::F32(select(&c, x, &sa, y, &sb, &out).into())
                }
                (Buffer::F64(x), Buffer::F64(y)) => {
                    Buffer::F64(select(&c, x, &sa, y, &sb, &out).into())
                }
                (Buffer::I64(x), Buffer::I64(y)) => {
                    Buffer::I64(select(&c, x, &sa, y, &sb, &out).into())
                }
                (Buffer::Bool(x), Buffer::Bool(y)) => {
                    Buffer::Bool(select(&c, x, &sa, y, &sb, &out).into())
                }
                _ => unreachable!("operands were cast to one dtype"),
            }
        };
        Tensor::from_buffer(charged, pick(&ra, &rb), out)
    })
}

fn select<T: Copy>(c: &[bool], a: &[T], sa: &Shape, b: &[T], sb: &Shape, out: &Shape) -> Vec<T> {
    let xa = super::broadcast::expand(a, sa, out);
    let xb = super::broadcast::expand(b, sb, out);
    collected_vec(
        c.iter()
            .zip(xa.iter().zip(xb.iter()))
            .map(|(&c, (&x, &y))| if c { x } else { y }),
    )
}
