//! Runtime element types and numpy/NEP-50 type promotion.

use std::fmt;

/// Element type of a [`crate::Tensor`].
///
/// Floating types carry data; `Bool` is for masks and `I64` for indices. Each dtype has the
/// flopscope billing *rate* (see [`DType::rate`]): every FLOP charge is multiplied by the rate of
/// the op's resolved billing dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// Boolean mask element (numpy `bool`).
    Bool,
    /// 64-bit signed integer (numpy `int64`).
    I64,
    /// IEEE single precision (numpy `float32`).
    F32,
    /// IEEE double precision (numpy `float64`).
    F64,
}

impl DType {
    /// flopscope's per-dtype price multiplier: bool and f32 are 1, i64 and f64 are 2.
    pub const fn rate(self) -> u64 {
        match self {
            DType::Bool | DType::F32 => 1,
            DType::I64 | DType::F64 => 2,
        }
    }

    /// numpy's name for the dtype (`"float32"`, `"float64"`, `"bool"`, `"int64"`).
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I64 => "int64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// True for `F32` and `F64`.
    pub const fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// numpy `result_type` of two array operands (strong types).
    ///
    /// `bool < int64 < float`, and `float32` with `int64` promotes to `float64` as numpy does.
    pub const fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        match (a, b) {
            (F64, _) | (_, F64) => F64,
            (F32, I64) | (I64, F32) => F64,
            (F32, _) | (_, F32) => F32,
            (I64, _) | (_, I64) => I64,
            (Bool, Bool) => Bool,
        }
    }

    /// NEP-50 result type of an array of dtype `self` with a weak Python-like scalar.
    ///
    /// A weak float keeps a float array's dtype and turns bool/int arrays into `float64`; a weak
    /// int keeps int arrays and turns bool into `int64`.
    pub const fn promote_weak(self, scalar: WeakScalar) -> DType {
        match (self, scalar) {
            (DType::F32, _) => DType::F32,
            (DType::F64, _) => DType::F64,
            (_, WeakScalar::Float(_)) => DType::F64,
            (_, WeakScalar::Int(_)) => DType::I64,
        }
    }

    /// Type used for a float-valued result (true division, `mean`, `exp`, …): floats stay,
    /// bool and int64 become `float64`, as numpy does.
    pub const fn float_result(self) -> DType {
        match self {
            DType::F32 => DType::F32,
            _ => DType::F64,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Rust scalar used as an operand: weak in the NEP-50 sense (it never widens a float array).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeakScalar {
    /// A Rust float literal (`f64` or `f32`).
    Float(f64),
    /// A Rust integer literal (`i64` or `i32`).
    Int(i64),
}

impl WeakScalar {
    /// The scalar as `f64`.
    pub const fn as_f64(self) -> f64 {
        match self {
            WeakScalar::Float(v) => v,
            WeakScalar::Int(v) => v as f64,
        }
    }
}

impl From<f64> for WeakScalar {
    fn from(v: f64) -> Self {
        WeakScalar::Float(v)
    }
}
impl From<f32> for WeakScalar {
    fn from(v: f32) -> Self {
        WeakScalar::Float(v as f64)
    }
}
impl From<i64> for WeakScalar {
    fn from(v: i64) -> Self {
        WeakScalar::Int(v)
    }
}
impl From<i32> for WeakScalar {
    fn from(v: i32) -> Self {
        WeakScalar::Int(v as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_matches_numpy() {
        assert_eq!(DType::promote(DType::F32, DType::F64), DType::F64);
        assert_eq!(DType::promote(DType::F32, DType::I64), DType::F64);
        assert_eq!(DType::promote(DType::Bool, DType::F32), DType::F32);
        assert_eq!(DType::promote(DType::Bool, DType::I64), DType::I64);
        assert_eq!(DType::promote(DType::Bool, DType::Bool), DType::Bool);
    }

    #[test]
    fn weak_scalars_do_not_widen_floats() {
        assert_eq!(DType::F32.promote_weak(WeakScalar::Float(2.0)), DType::F32);
        assert_eq!(DType::I64.promote_weak(WeakScalar::Float(2.0)), DType::F64);
        assert_eq!(DType::I64.promote_weak(WeakScalar::Int(2)), DType::I64);
        assert_eq!(DType::Bool.promote_weak(WeakScalar::Int(2)), DType::I64);
    }

    #[test]
    fn rates_match_flopscope() {
        assert_eq!(DType::F32.rate(), 1);
        assert_eq!(DType::F64.rate(), 2);
        assert_eq!(DType::I64.rate(), 2);
        assert_eq!(DType::Bool.rate(), 1);
    }
}
