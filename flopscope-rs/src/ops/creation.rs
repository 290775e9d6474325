//! Creation and copy ops: `zeros ones full eye arange linspace`, `astype`, `copy`.
//!
//! Costs (flopscope 0.12.4): `zeros`/`zeros_like` free; `ones`/`ones_like`/`full` numel; `eye`
//! the diagonal length; `arange`/`linspace` 2·numel; `astype` numel at the heavier of the two
//! rates: all with no minimum (an empty result bills 0). `copy` bills numel, at least 1.
//! `zeros`, `ones` and `full` of a square (all axes equal, ≥ 2 axes) shape, and `eye`, carry the
//! symmetry tag.

use crate::budget::{clamped, counted, exact, Op};
use crate::buffer::{collected_vec, filled_vec, zeroed_vec};
use crate::dtype::DType;
use crate::element::Buffer;
use crate::shape::Shape;
use crate::symmetry::Symmetry;
use crate::tensor::Tensor;

fn filled(shape: Shape, value: f64, dtype: DType) -> Buffer {
    let n = shape.numel();
    if value.to_bits() == 0 {
        // `+0.0` (not `-0.0`): all bits zero in every dtype, so untouched zero pages will do.
        return match dtype {
            DType::F32 => Buffer::F32(zeroed_vec(n).into()),
            DType::F64 => Buffer::F64(zeroed_vec(n).into()),
            DType::I64 => Buffer::I64(zeroed_vec(n).into()),
            DType::Bool => Buffer::Bool(zeroed_vec(n).into()),
        };
    }
    match dtype {
        DType::F32 => Buffer::F32(filled_vec(n, value as f32).into()),
        DType::F64 => Buffer::F64(filled_vec(n, value).into()),
        DType::I64 => Buffer::I64(filled_vec(n, value as i64).into()),
        DType::Bool => Buffer::Bool(filled_vec(n, value != 0.0).into()),
    }
}

impl Tensor {
    /// A tensor of zeros. FLOPs: 0 (free, recorded as a `zeros` call).
    pub fn zeros(shape: impl Into<Shape>, dtype: DType) -> Tensor {
        Tensor::fill_op(Op::Zeros, shape.into(), 0.0, dtype)
    }

    /// A tensor of ones. FLOPs: numel × rate.
    pub fn ones(shape: impl Into<Shape>, dtype: DType) -> Tensor {
        Tensor::fill_op(Op::Ones, shape.into(), 1.0, dtype)
    }

    /// A tensor filled with `value` (converted to `dtype`). FLOPs: numel × rate.
    pub fn full(shape: impl Into<Shape>, value: f64, dtype: DType) -> Tensor {
        Tensor::fill_op(Op::Full, shape.into(), value, dtype)
    }

    /// A constant fill billed numel × rate × `op`'s weight (0 for `zeros`), with no minimum;
    /// tagged as [`Symmetry::from_shape`] infers.
    fn fill_op(op: Op, shape: Shape, value: f64, dtype: DType) -> Tensor {
        counted(exact(op, shape.numel() as u64, dtype), |charged| {
            Tensor::from_buffer(charged, filled(shape, value, dtype), shape)
                .with_symmetry(Symmetry::from_shape(&shape))
        })
    }

    /// `zeros` with this tensor's shape and dtype (keeps this tensor's tag if it has one, else
    /// infers one from the shape). FLOPs: 0.
    pub fn zeros_like(&self) -> Tensor {
        let t = Tensor::fill_op(Op::ZerosLike, self.shape, 0.0, self.dtype());
        self.like_tag(t)
    }

    /// `ones` with this tensor's shape and dtype (tag as [`Tensor::zeros_like`]).
    /// FLOPs: numel × rate.
    pub fn ones_like(&self) -> Tensor {
        let t = Tensor::fill_op(Op::OnesLike, self.shape, 1.0, self.dtype());
        self.like_tag(t)
    }

    fn like_tag(&self, t: Tensor) -> Tensor {
        if self.sym.is_tagged() {
            t.with_symmetry(self.sym)
        } else {
            t
        }
    }

    /// The `n × n` identity matrix. FLOPs: n × rate.
    pub fn eye(n: usize, dtype: DType) -> Tensor {
        counted(exact(Op::Eye, n as u64, dtype), |charged| {
            let mut b = filled(Shape::new(&[n, n]), 0.0, dtype);
            for i in 0..n {
                match &mut b {
                    Buffer::F32(v) => v[i * n + i] = 1.0,
                    Buffer::F64(v) => v[i * n + i] = 1.0,
                    Buffer::I64(v) => v[i * n + i] = 1,
                    Buffer::Bool(v) => v[i * n + i] = true,
                }
            }
            Tensor::from_buffer(charged, b, Shape::new(&[n, n])).with_symmetry(Symmetry::matrix())
        })
    }

    /// Evenly spaced values in `[start, stop)` with step `step` (numpy `arange`).
    /// FLOPs: 2·numel × rate.
    ///
    /// # Panics
    /// If `step` is zero or not finite.
    pub fn arange(start: f64, stop: f64, step: f64, dtype: DType) -> Tensor {
        assert!(
            step != 0.0 && step.is_finite(),
            "arange: step must be a finite non-zero number, got {step}"
        );
        let n = ((stop - start) / step).ceil().max(0.0) as usize;
        counted(exact(Op::Arange, 2 * n as u64, dtype), |charged| {
            let v = collected_vec((0..n).map(|i| start + i as f64 * step));
            Tensor::from_buffer(
                charged,
                Buffer::F64(v.into()).into_dtype(dtype),
                Shape::new(&[n]),
            )
        })
    }

    /// `num` evenly spaced values from `start` to `stop` inclusive (numpy `linspace`).
    /// FLOPs: 2·num × rate.
    pub fn linspace(start: f64, stop: f64, num: usize, dtype: DType) -> Tensor {
        counted(exact(Op::Linspace, 2 * num as u64, dtype), |charged| {
            let step = if num > 1 {
                (stop - start) / (num - 1) as f64
            } else {
                0.0
            };
            let mut v = collected_vec((0..num).map(|i| start + i as f64 * step));
            if num > 1 {
                v[num - 1] = stop;
            }
            Tensor::from_buffer(
                charged,
                Buffer::F64(v.into()).into_dtype(dtype),
                Shape::new(&[num]),
            )
        })
    }

    /// A copy converted to `dtype` (numpy `astype`, C casting rules: float→int truncates).
    /// The symmetry tag is dropped, as in flopscope.
    /// FLOPs: numel × the heavier rate of the source and target dtypes.
    pub fn astype(&self, dtype: DType) -> Tensor {
        let billing = if dtype.rate() >= self.dtype().rate() {
            dtype
        } else {
            self.dtype()
        };
        counted(exact(Op::Astype, self.numel() as u64, billing), |charged| {
            Tensor::from_buffer(charged, self.buf.cast(dtype), self.shape)
        })
    }

    /// A deep copy (numpy `copy`; keeps the symmetry tag). FLOPs: numel × rate.
    pub fn copy(&self) -> Tensor {
        counted(
            clamped(Op::Copy, self.numel() as u64, self.dtype()),
            |charged| {
                Tensor::from_buffer(charged, (*self.buf).clone(), self.shape)
                    .with_symmetry(self.sym)
            },
        )
    }
}
