//! Reductions: `sum mean var std max min argmax argmin`, over all elements or one axis.
//!
//! Costs (flopscope 0.12.4): `sum/max/min/argmax/argmin` bill `n_reduced − 1` per output element
//! (`numel − numel_out`, at least 1); `mean` bills `numel`; `var` bills `4·numel`; `std` bills
//! `4·numel + numel_out`. A full reduction of a symmetric tensor bills its unique elements
//! instead of `numel`.

use crate::budget::{clamped, counted, Op, Receipt};
use crate::dtype::DType;
use crate::element::Buffer;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// Which elements a reduction runs over.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Product of the axes before the reduced one (all-reduce: 1).
    outer: usize,
    /// Length of the reduced axis (all-reduce: numel).
    n: usize,
    /// Product of the axes after it (all-reduce: 1).
    inner: usize,
    out_shape: Shape,
}

impl Plan {
    fn new(t: &Tensor, axis: Option<isize>, keepdims: bool) -> Plan {
        match axis {
            None => Plan {
                outer: 1,
                n: t.numel(),
                inner: 1,
                out_shape: if keepdims {
                    Shape::new(&vec![1; t.ndim()])
                } else {
                    Shape::SCALAR
                },
            },
            Some(a) => {
                let ax = t.shape.axis(a);
                Plan {
                    outer: t.shape[..ax].iter().product(),
                    n: t.shape[ax],
                    inner: t.shape[ax + 1..].iter().product(),
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
        self.outer * self.inner
    }

    /// Applies `f` to each reduced lane (gathered contiguously) and collects the results.
    fn lanes<T: Copy, U>(&self, x: &[T], mut f: impl FnMut(&[T]) -> U) -> Vec<U> {
        let mut out = Vec::with_capacity(self.numel_out());
        if self.inner == 1 {
            for o in 0..self.outer {
                out.push(f(&x[o * self.n..(o + 1) * self.n]));
            }
            return out;
        }
        let mut lane = Vec::with_capacity(self.n);
        for o in 0..self.outer {
            for i in 0..self.inner {
                lane.clear();
                lane.extend((0..self.n).map(|k| x[(o * self.n + k) * self.inner + i]));
                out.push(f(&lane));
            }
        }
        out
    }
}

/// Pairwise (cascade) sum in f64, as accurate as numpy's pairwise summation.
fn pairwise_sum(x: &[f64]) -> f64 {
    if x.len() <= 128 {
        let mut acc = [0.0f64; 8];
        let chunks = x.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for k in 0..8 {
                acc[k] += c[k];
            }
        }
        let mut s =
            ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for v in rest {
            s += v;
        }
        return s;
    }
    let mid = (x.len() / 2) & !7;
    pairwise_sum(&x[..mid]) + pairwise_sum(&x[mid..])
}

/// The elements as f64 (a free internal widening for accurate accumulation).
fn as_f64(t: &Tensor) -> std::borrow::Cow<'_, [f64]> {
    match &*t.buf {
        Buffer::F64(v) => std::borrow::Cow::Borrowed(v.as_slice()),
        b => std::borrow::Cow::Owned(b.to_vec::<f64>()),
    }
}

fn lane_sum(l: &[f64]) -> f64 {
    pairwise_sum(l)
}

fn lane_var(l: &[f64]) -> f64 {
    let n = l.len() as f64;
    let m = pairwise_sum(l) / n;
    let dev: Vec<f64> = l.iter().map(|v| (v - m) * (v - m)).collect();
    pairwise_sum(&dev) / n
}

/// Wraps f64 lane results in the output dtype.
fn float_out(charged: &Receipt, v: Vec<f64>, dt: DType, shape: Shape) -> Tensor {
    match dt {
        DType::F32 => Tensor::from_elems(charged, v.into_iter().map(|x| x as f32).collect(), shape),
        _ => Tensor::from_elems(charged, v, shape),
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
        p.n > 0,
        "{}: zero-size reduction over shape {} has no identity",
        op.name(),
        t.shape
    );
}

/// Index of the max (`greater = true`) or min element of a lane; NaN wins (first NaN).
fn arg_extreme(l: &[f64], greater: bool) -> i64 {
    let mut best = 0usize;
    for (i, &v) in l.iter().enumerate() {
        if v.is_nan() {
            return i as i64;
        }
        let b = l[best];
        if (greater && v > b) || (!greater && v < b) {
            best = i;
        }
    }
    best as i64
}

fn extreme(l: &[f64], greater: bool) -> f64 {
    l[arg_extreme(l, greater) as usize]
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
                if dt == DType::I64 {
                    let x = self.to_vec::<i64>();
                    let v = p.lanes(&x, |l| l.iter().fold(0i64, |a, &b| a.wrapping_add(b)));
                    return Tensor::from_elems(charged, v, p.out_shape);
                }
                let x = as_f64(self);
                float_out(charged, p.lanes(&x, lane_sum), dt, p.out_shape)
            },
        )
    }

    fn mean_impl(&self, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        let dt = self.dtype().float_result();
        non_empty(self, &p, Op::Mean);
        counted(
            clamped(Op::Mean, alpha(self, axis.is_none()), dt),
            |charged| {
                let x = as_f64(self);
                let n = p.n as f64;
                float_out(charged, p.lanes(&x, |l| lane_sum(l) / n), dt, p.out_shape)
            },
        )
    }

    fn var_impl(&self, op: Op, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        let dt = self.dtype().float_result();
        non_empty(self, &p, op);
        let mut count = 2 * self.billed_elements() + 2 * alpha(self, axis.is_none());
        if op == Op::Std {
            count += p.numel_out() as u64;
        }
        counted(clamped(op, count, dt), |charged| {
            let x = as_f64(self);
            let v = p.lanes(&x, |l| {
                let var = lane_var(l);
                if op == Op::Std {
                    var.sqrt()
                } else {
                    var
                }
            });
            float_out(charged, v, dt, p.out_shape)
        })
    }

    fn extreme_impl(&self, op: Op, axis: Option<isize>, keepdims: bool) -> Tensor {
        let p = Plan::new(self, axis, keepdims);
        non_empty(self, &p, op);
        let greater = matches!(op, Op::Max | Op::Argmax);
        let dt = self.dtype();
        counted(
            clamped(op, fold_count(self, &p, axis.is_none()), dt),
            |charged| {
                let x = as_f64(self);
                if matches!(op, Op::Argmax | Op::Argmin) {
                    let v = p.lanes(&x, |l| arg_extreme(l, greater));
                    return Tensor::from_elems(charged, v, p.out_shape);
                }
                let v = p.lanes(&x, |l| extreme(l, greater));
                Tensor::from_buffer(charged, Buffer::F64(v.into()).cast(dt), p.out_shape)
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
