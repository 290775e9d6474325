//! Element storage: the typed buffer behind a tensor and the `Element` trait over its types.

use crate::dtype::DType;
use crate::storage::Storage;

/// A tensor's flat, row-major element buffer (an implementation detail of [`Element`]); each
/// variant's [`Storage`] is owned or shared memory.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub enum Buffer {
    #[doc(hidden)]
    F32(Storage<f32>),
    #[doc(hidden)]
    F64(Storage<f64>),
    #[doc(hidden)]
    Bool(Storage<bool>),
    #[doc(hidden)]
    I64(Storage<i64>),
}

impl Buffer {
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
            Buffer::Bool(_) => DType::Bool,
            Buffer::I64(_) => DType::I64,
        }
    }

    /// Whether the elements are shared memory (see [`Storage`]).
    pub fn is_shared(&self) -> bool {
        match self {
            Buffer::F32(v) => v.is_shared(),
            Buffer::F64(v) => v.is_shared(),
            Buffer::Bool(v) => v.is_shared(),
            Buffer::I64(v) => v.is_shared(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Buffer::F32(v) => v.len(),
            Buffer::F64(v) => v.len(),
            Buffer::Bool(v) => v.len(),
            Buffer::I64(v) => v.len(),
        }
    }

    /// The buffer converted to `dtype` with numpy's `astype` semantics (uncounted kernel).
    pub fn cast(&self, dtype: DType) -> Buffer {
        match dtype {
            DType::F32 => Buffer::F32(self.to_vec::<f32>().into()),
            DType::F64 => Buffer::F64(self.to_vec::<f64>().into()),
            DType::Bool => Buffer::Bool(self.to_vec::<bool>().into()),
            DType::I64 => Buffer::I64(self.to_vec::<i64>().into()),
        }
    }

    /// The buffer converted to `dtype`, without a copy when it already has it (uncounted
    /// kernel).
    pub fn into_dtype(self, dtype: DType) -> Buffer {
        if self.dtype() == dtype {
            self
        } else {
            self.cast(dtype)
        }
    }

    /// The buffer itself if it already has `dtype`, else a converted copy (uncounted kernel).
    pub fn cast_if(&self, dtype: DType) -> std::borrow::Cow<'_, Buffer> {
        if self.dtype() == dtype {
            std::borrow::Cow::Borrowed(self)
        } else {
            std::borrow::Cow::Owned(self.cast(dtype))
        }
    }

    /// Elements converted to `T` (uncounted kernel).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        if let Some(s) = T::slice(self) {
            return crate::buffer::copied_vec(s);
        }
        let mut out = crate::buffer::output_vec(self.len());
        match self {
            Buffer::F32(v) => out.extend(v.iter().map(|x| T::from_f32(*x))),
            Buffer::F64(v) => out.extend(v.iter().map(|x| T::from_f64(*x))),
            Buffer::Bool(v) => out.extend(v.iter().map(|x| T::from_bool(*x))),
            Buffer::I64(v) => out.extend(v.iter().map(|x| T::from_i64(*x))),
        }
        out
    }

    /// Element `i` as `f64`.
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            Buffer::F32(v) => v[i] as f64,
            Buffer::F64(v) => v[i],
            Buffer::Bool(v) => v[i] as u8 as f64,
            Buffer::I64(v) => v[i] as f64,
        }
    }
}

/// A Rust type that can be a tensor element: `f32`, `f64`, `bool` or `i64`.
pub trait Element: Copy + Send + Sync + PartialOrd + std::fmt::Debug + 'static {
    /// The dtype of tensors holding this type.
    const DTYPE: DType;
    /// Zero (or `false`).
    const ZERO: Self;
    #[doc(hidden)]
    fn wrap(v: Storage<Self>) -> Buffer;
    #[doc(hidden)]
    fn slice(b: &Buffer) -> Option<&[Self]>;
    /// numpy `astype` conversion from `f32`.
    fn from_f32(v: f32) -> Self;
    /// numpy `astype` conversion from `f64` (truncation toward zero for integers).
    fn from_f64(v: f64) -> Self;
    /// numpy `astype` conversion from `bool`.
    fn from_bool(v: bool) -> Self;
    /// numpy `astype` conversion from `i64`.
    fn from_i64(v: i64) -> Self;
    /// The value as `f64`.
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    const ZERO: f32 = 0.0;
    fn wrap(v: Storage<Self>) -> Buffer {
        Buffer::F32(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::F32(v) => Some(v.as_slice()),
            _ => None,
        }
    }
    fn from_f32(v: f32) -> Self {
        v
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn from_bool(v: bool) -> Self {
        v as u8 as f32
    }
    fn from_i64(v: i64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    const ZERO: f64 = 0.0;
    fn wrap(v: Storage<Self>) -> Buffer {
        Buffer::F64(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::F64(v) => Some(v.as_slice()),
            _ => None,
        }
    }
    fn from_f32(v: f32) -> Self {
        v as f64
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn from_bool(v: bool) -> Self {
        v as u8 as f64
    }
    fn from_i64(v: i64) -> Self {
        v as f64
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    const ZERO: bool = false;
    fn wrap(v: Storage<Self>) -> Buffer {
        Buffer::Bool(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::Bool(v) => Some(v.as_slice()),
            _ => None,
        }
    }
    fn from_f32(v: f32) -> Self {
        v != 0.0
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn from_bool(v: bool) -> Self {
        v
    }
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
}

impl Element for i64 {
    const DTYPE: DType = DType::I64;
    const ZERO: i64 = 0;
    fn wrap(v: Storage<Self>) -> Buffer {
        Buffer::I64(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::I64(v) => Some(v.as_slice()),
            _ => None,
        }
    }
    fn from_f32(v: f32) -> Self {
        v as i64
    }
    fn from_f64(v: f64) -> Self {
        v as i64
    }
    fn from_bool(v: bool) -> Self {
        v as i64
    }
    fn from_i64(v: i64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}
