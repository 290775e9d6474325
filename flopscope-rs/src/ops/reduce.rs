//! Reductions: `sum mean var std max min argmax argmin`, over all elements or one axis.
//!
//! Costs (flopscope 0.12.4's orbit-mapping model). `α` counts the orbits, on the input's index
//! tuples, of the part `H` of the input's symmetry tag that keeps the kept axes in place, and
//! `O` its orbits on the output's index tuples; `U` is the input's unique-element count. An
//! untagged input has `α = numel`, `O = numel_out`, `U = numel`. A full reduction has `α = U`,
//! `O = 1`; reducing axis `r` takes `r` out of its block, so `O` is the unique count of the
//! output under the remaining tag (which the result carries) and `α = n_r · O`.
//! - `sum/max/min/argmax/argmin`: `max(α − O, 1)`.
//! - `mean`: `α` (`O` for an empty input, which has no orbits: `mean` of a `(0, 3)` tensor
//!   along axis 0 bills 3, along axis 1 bills 0).
//! - `var`: `2·max(U, 1) + 2·α` (`2·max(U, 1) + 2·O` when empty); `std`: `var` + `O`.
//!
//! `mean`, `var` and `std` over an empty axis give NaN, as numpy's do (numpy warns); `max`,
//! `min`, `argmax` and `argmin` there have no identity and panic, where numpy raises.

use crate::budget::{clamped, counted, exact, Op, Receipt};
use crate::dtype::DType;
use crate::element::{Buffer, Element};
use crate::shape::Shape;
use crate::symmetry::Symmetry;
use crate::tensor::Tensor;

mod order;

use order::{Layout, Ordered, Real};

/// Which elements a reduction runs over, the result's shape and tag, and the orbit counts
/// it is billed by (see the module docs).
#[derive(Clone, Copy, Debug)]
struct Plan {
    layout: Layout,
    out_shape: Shape,
    out_sym: Symmetry,
    /// `α`: orbits on the input's index tuples.
    alpha: u64,
    /// `O`: orbits on the output's index tuples.
    out_orbits: u64,
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
                out_sym: Symmetry::NONE,
                alpha: t.billed_elements(),
                out_orbits: 1,
            },
            Some(a) => {
                let ax = t.shape.axis(a);
                let out_shape = if keepdims {
                    t.shape.keep_axis(ax)
                } else {
                    t.shape.remove_axis(ax)
                };
                let out_sym = t.sym.reduced(ax, t.ndim(), keepdims);
                let out_orbits = out_sym.unique(&out_shape);
                Plan {
                    layout: Layout {
                        outer: t.shape[..ax].iter().product(),
                        n: t.shape[ax],
                        inner: t.shape[ax + 1..].iter().product(),
                    },
                    out_shape,
                    out_sym,
                    alpha: (t.shape[ax] as u64).saturating_mul(out_orbits),
                    out_orbits,
                }
            }
        }
    }

    /// `α − O`, or 0 when the input is empty (no orbit to fold into).
    fn folds(&self) -> u64 {
        if self.alpha == 0 {
            0
        } else {
            self.alpha - self.out_orbits
        }
    }
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
    let t = match op {
        Op::Max => Tensor::from_elems(charged, order::extreme(x, l, true), p.out_shape),
        Op::Min => Tensor::from_elems(charged, order::extreme(x, l, false), p.out_shape),
        Op::Argmax => Tensor::from_elems(charged, order::arg_extreme(x, l, true), p.out_shape),
        _ => Tensor::from_elems(charged, order::arg_extreme(x, l, false), p.out_shape),
    };
    t.with_symmetry(p.out_sym)
}

impl Tensor {
    fn sum_impl(&self, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        let dt = match self.dtype() {
            DType::Bool | DType::I64 => DType::I64,
            d => d,
        };
        counted(clamped(Op::Sum, p.folds(), dt), |charged| {
            let (l, shape) = (p.layout, p.out_shape);
            let t = match &*self.buf {
                Buffer::F32(x) => Tensor::from_elems(charged, order::sum(x, l), shape),
                Buffer::F64(x) => Tensor::from_elems(charged, order::sum(x, l), shape),
                Buffer::I64(x) => Tensor::from_elems(charged, order::sum(x, l), shape),
                Buffer::Bool(_) => {
                    let x = self.to_vec::<i64>();
                    Tensor::from_elems(charged, order::sum(&x, l), shape)
                }
            };
            t.with_symmetry(p.out_sym)
        })
    }

    /// `mean`, `var` or `std`; integer and bool inputs are computed (and returned) in f64.
    /// Billed `count` with no minimum (see the module docs).
    fn moment_impl(&self, op: Op, count: u64, p: Plan) -> Tensor {
        let dt = self.dtype().float_result();
        counted(exact(op, count, dt), |charged| {
            let (l, shape) = (p.layout, p.out_shape);
            let t = match &*self.buf {
                Buffer::F32(x) => Tensor::from_elems(charged, moment(x, l, op), shape),
                Buffer::F64(x) => Tensor::from_elems(charged, moment(x, l, op), shape),
                b => Tensor::from_elems(charged, moment(&b.to_vec::<f64>(), l, op), shape),
            };
            t.with_symmetry(p.out_sym)
        })
    }

    fn mean_impl(&self, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        self.moment_impl(Op::Mean, p.folds() + p.out_orbits, p)
    }

    fn var_impl(&self, op: Op, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        let mut count = 2 * self.billed_elements().max(1) + 2 * p.folds() + 2 * p.out_orbits;
        if op == Op::Std {
            count += p.out_orbits;
        }
        self.moment_impl(op, count, p)
    }

    fn extreme_impl(&self, op: Op, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        non_empty(self, &p, op);
        counted(
            clamped(op, p.folds(), self.dtype()),
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
    /// Sum (bool/int sums accumulate in int64). FLOPs: `numel − numel_out` (min 1) × rate for
    /// an untagged input (a tagged one bills orbits, see the module docs).
    sum, sum_axis, sum_keepdims, |t, a, k| t.sum_impl(a, k));
reduction_api!(
    /// Arithmetic mean (int input gives f64; NaN over an empty axis). FLOPs: `numel` × rate
    /// for an untagged, non-empty input (see the module docs).
    mean, mean_axis, mean_keepdims, |t, a, k| t.mean_impl(a, k));
reduction_api!(
    /// Population variance (`ddof = 0`; NaN over an empty axis). FLOPs: `4·numel` × rate for
    /// an untagged, non-empty input (see the module docs).
    var, var_axis, var_keepdims, |t, a, k| t.var_impl(Op::Var, a, k));
reduction_api!(
    /// Population standard deviation (NaN over an empty axis). FLOPs: `(4·numel + numel_out)`
    /// × rate for an untagged, non-empty input (see the module docs).
    std, std_axis, std_keepdims, |t, a, k| t.var_impl(Op::Std, a, k));
reduction_api!(
    /// Maximum (NaN propagates). FLOPs: as [`Tensor::sum`].
    max, max_axis, max_keepdims, |t, a, k| t.extreme_impl(Op::Max, a, k));
reduction_api!(
    /// Minimum (NaN propagates). FLOPs: as [`Tensor::sum`].
    min, min_axis, min_keepdims, |t, a, k| t.extreme_impl(Op::Min, a, k));
reduction_api!(
    /// Index of the first maximum, as int64 (flat index for the all-elements form).
    /// FLOPs: as [`Tensor::sum`].
    argmax, argmax_axis, argmax_keepdims, |t, a, k| t.extreme_impl(Op::Argmax, a, k));
reduction_api!(
    /// Index of the first minimum, as int64 (flat index for the all-elements form).
    /// FLOPs: as [`Tensor::sum`].
    argmin, argmin_axis, argmin_keepdims, |t, a, k| t.extreme_impl(Op::Argmin, a, k));
