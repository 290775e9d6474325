//! Reductions: `sum mean var std max min argmax argmin`, over all elements or one axis.
//!
//! Costs (flopscope 0.12.4): `sum/max/min/argmax/argmin` bill `n_reduced − 1` per output element
//! (`numel − numel_out`, at least 1); `mean` bills `numel`; `var` bills `4·numel`; `std` bills
//! `4·numel + numel_out`. A full reduction of a symmetric tensor bills its unique elements
//! instead of `numel`.

use crate::budget::{clamped, counted, Op, Receipt};
use crate::dtype::DType;
use crate::element::{Buffer, Element};
use crate::shape::Shape;
use crate::tensor::Tensor;

mod order;

use order::{Layout, Ordered, Real};

/// Which elements a reduction runs over, and the result's shape.
#[derive(Clone, Copy, Debug)]
struct Plan {
    layout: Layout,
    out_shape: Shape,
}

impl Plan {
    fn new(t: &Tensor, axis: Option<isize>, keepdims: bool) -> Plan {
        match axis {
            None => Plan {
                layout: Layout {
                    outer: 1,
                    n: t.numel(),
                    inner: 1,
                },
                out_shape: if keepdims {
                    Shape::new(&vec![1; t.ndim()])
                } else {
                    Shape::SCALAR
                },
            },
            Some(a) => {
                let ax = t.shape.axis(a);
                Plan {
                    layout: Layout {
                        outer: t.shape[..ax].iter().product(),
                        n: t.shape[ax],
                        inner: t.shape[ax + 1..].iter().product(),
                    },
                    out_shape: if keepdims {
                        t.shape.keep_axis(ax)
                    } else {
                        t.shape.remove_axis(ax)
                    },
                }
            }
        }
    }

    fn numel_out(&self) -> usize {
        self.layout.numel_out()
    }
}

/// flopscope's `α`: orbits of the reduced index set. A full reduction of a tagged tensor counts
/// its unique elements; a single-axis reduction is dense (no permutation fixes the kept axes).
fn alpha(t: &Tensor, full: bool) -> u64 {
    if full {
        t.billed_elements()
    } else {
        t.numel() as u64
    }
}

/// `α − O`: the sum family's count (min 1 applied when charged).
fn fold_count(t: &Tensor, p: &Plan, full: bool) -> u64 {
    alpha(t, full).saturating_sub(p.numel_out() as u64)
}

fn non_empty(t: &Tensor, p: &Plan, op: Op) {
    assert!(
        p.layout.n > 0,
        "{}: zero-size reduction over shape {} has no identity",
        op.name(),
        t.shape
    );
}

/// `mean`, `var` or `std` (by `op`) of float elements in numpy's order.
fn moment<T: Real>(x: &[T], l: Layout, op: Op) -> Vec<T> {
    match op {
        Op::Mean => order::mean(x, l),
        Op::Var => order::var(x, l),
        _ => order::std(x, l),
    }
}

/// `max`/`min`/`argmax`/`argmin` (by `op`) of one element type, as a tensor.
fn extreme_tensor<T: Ordered + Element>(charged: &Receipt, x: &[T], op: Op, p: Plan) -> Tensor {
    let l = p.layout;
    match op {
        Op::Max => Tensor::from_elems(charged, order::extreme(x, l, true), p.out_shape),
        Op::Min => Tensor::from_elems(charged, order::extreme(x, l, false), p.out_shape),
        Op::Argmax => Tensor::from_elems(charged, order::arg_extreme(x, l, true), p.out_shape),
        _ => Tensor::from_elems(charged, order::arg_extreme(x, l, false), p.out_shape),
    }
}

impl Tensor {
    fn sum_impl(&self, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        let dt = match self.dtype() {
            DType::Bool | DType::I64 => DType::I64,
            d => d,
        };
        counted(
            clamped(Op::Sum, fold_count(self, &p, axis.is_none()), dt),
            |charged| {
                let (l, shape) = (p.layout, p.out_shape);
                match &*self.buf {
                    Buffer::F32(x) => Tensor::from_elems(charged, order::sum(x, l), shape),
                    Buffer::F64(x) => Tensor::from_elems(charged, order::sum(x, l), shape),
                    Buffer::I64(x) => Tensor::from_elems(charged, order::sum(x, l), shape),
                    Buffer::Bool(_) => {
                        let x = self.to_vec::<i64>();
                        Tensor::from_elems(charged, order::sum(&x, l), shape)
                    }
                }
            },
        )
    }

    /// `mean`, `var` or `std`; integer and bool inputs are computed (and returned) in f64.
    fn moment_impl(&self, op: Op, count: u64, p: Plan) -> Tensor {
        let dt = self.dtype().float_result();
        non_empty(self, &p, op);
        counted(clamped(op, count, dt), |charged| {
            let (l, shape) = (p.layout, p.out_shape);
            match &*self.buf {
                Buffer::F32(x) => Tensor::from_elems(charged, moment(x, l, op), shape),
                Buffer::F64(x) => Tensor::from_elems(charged, moment(x, l, op), shape),
                b => Tensor::from_elems(charged, moment(&b.to_vec::<f64>(), l, op), shape),
            }
        })
    }

    fn mean_impl(&self, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        self.moment_impl(Op::Mean, alpha(self, axis.is_none()), p)
    }

    fn var_impl(&self, op: Op, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        let mut count = 2 * self.billed_elements() + 2 * alpha(self, axis.is_none());
        if op == Op::Std {
            count += p.numel_out() as u64;
        }
        self.moment_impl(op, count, p)
    }

    fn extreme_impl(&self, op: Op, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        non_empty(self, &p, op);
        counted(
            clamped(op, fold_count(self, &p, axis.is_none()), self.dtype()),
            |charged| match &*self.buf {
                Buffer::F32(x) => extreme_tensor(charged, x, op, p),
                Buffer::F64(x) => extreme_tensor(charged, x, op, p),
                Buffer::I64(x) => extreme_tensor(charged, x, op, p),
                Buffer::Bool(x) => extreme_tensor(charged, x, op, p),
            },
        )
    }
}

macro_rules! reduction_api {
    ($(#[$doc:meta])* $all:ident, $ax:ident, $kd:ident, |$t:ident, $a:ident, $k:ident| $body:expr) => {
        impl Tensor {
            $(#[$doc])*
            ///
            /// This form reduces every element to a 0-d tensor.
            pub fn $all(&self) -> Tensor {
                let ($t, $a, $k) = (self, None, false);
                $body
            }

            $(#[$doc])*
            ///
            /// This form reduces axis `axis` (negative counts from the end) and drops it.
            ///
            /// # Panics
            /// If `axis` is out of range.
            pub fn $ax(&self, axis: isize) -> Tensor {
                let ($t, $a, $k) = (self, Some(axis), false);
                $body
            }

            $(#[$doc])*
            ///
            /// This form keeps the reduced axis (or all axes when `axis` is `None`) with length 1.
            pub fn $kd(&self, axis: Option<isize>) -> Tensor {
                let ($t, $a, $k) = (self, axis, true);
                $body
            }
        }
    };
}

reduction_api!(
    /// Sum (bool/int sums accumulate in int64). FLOPs: `numel − numel_out` (min 1) × rate.
    sum, sum_axis, sum_keepdims, |t, a, k| t.sum_impl(a, k));
reduction_api!(
    /// Arithmetic mean (int input gives f64). FLOPs: `numel` × rate.
    mean, mean_axis, mean_keepdims, |t, a, k| t.mean_impl(a, k));
reduction_api!(
    /// Population variance (`ddof = 0`). FLOPs: `4·numel` × rate.
    var, var_axis, var_keepdims, |t, a, k| t.var_impl(Op::Var, a, k));
reduction_api!(
    /// Population standard deviation. FLOPs: `(4·numel + numel_out)` × rate.
    std, std_axis, std_keepdims, |t, a, k| t.var_impl(Op::Std, a, k));
reduction_api!(
    /// Maximum (NaN propagates). FLOPs: `numel − numel_out` (min 1) × rate.
    max, max_axis, max_keepdims, |t, a, k| t.extreme_impl(Op::Max, a, k));
reduction_api!(
    /// Minimum (NaN propagates). FLOPs: `numel − numel_out` (min 1) × rate.
    min, min_axis, min_keepdims, |t, a, k| t.extreme_impl(Op::Min, a, k));
reduction_api!(
    /// Index of the first maximum, as int64 (flat index for the all-elements form).
    /// FLOPs: `numel − numel_out` (min 1) × rate.
    argmax, argmax_axis, argmax_keepdims, |t, a, k| t.extreme_impl(Op::Argmax, a, k));
reduction_api!(
    /// Index of the first minimum, as int64 (flat index for the all-elements form).
    /// FLOPs: `numel − numel_out` (min 1) × rate.
    argmin, argmin_axis, argmin_keepdims, |t, a, k| t.extreme_impl(Op::Argmin, a, k));
