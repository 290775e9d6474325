//! Sorting: `sort` and `argsort` along an axis or over the flattened tensor.
//!
//! Cost (flopscope 0.12.4): `n·⌈log2 n⌉` comparisons per sorted lane of length `n` (with
//! `⌈log2 n⌉ ≥ 1`, and a lane of length 0 costing 1), times the number of lanes, at least 1;
//! × rate of the input dtype × weight 4. Results are untagged.

mod lane;
mod radix;

use rayon::prelude::*;

use super::movement::map_buffer;
use crate::budget::{clamped, counted, Op};
use crate::buffer::{filled_vec, output_vec};
use crate::cpu_time::in_kernel_pool;
use crate::element::Buffer;
use crate::shape::Shape;
use crate::tensor::Tensor;
use lane::LaneSort;

/// flopscope's `_ceil_log2`: `⌈log2 n⌉` computed in floating point, at least 1.
fn ceil_log2(n: usize) -> u64 {
    if n <= 1 {
        return 1;
    }
    ((n as f64).log2().ceil() as u64).max(1)
}

/// flopscope's `sort_cost(n)`: `n·⌈log2 n⌉`, and 1 for an empty lane.
fn sort_cost(n: usize) -> u64 {
    if n == 0 {
        return 1;
    }
    (n as u64).saturating_mul(ceil_log2(n)).max(1)
}

/// Count of sorting `shape` along `axis`: lanes × `sort_cost(len)`, at least 1.
fn axis_sort_count(shape: &Shape, axis: usize) -> u64 {
    let n = shape[axis];
    let lanes = shape.numel().checked_div(n).unwrap_or(1);
    (lanes as u64).saturating_mul(sort_cost(n)).max(1)
}

/// Lane geometry of `shape` along `axis`: (outer, length, inner).
fn lanes(shape: &Shape, axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// Fewest elements whose contiguous lanes are sorted on all the kernel pool's threads.
const PARALLEL_LANES_MIN: usize = 1 << 16;

/// Sorts every lane of `v` (NaN last).
fn sort_lanes<T: LaneSort>(v: &[T], (outer, n, inner): (usize, usize, usize)) -> Vec<T> {
    let mut out = filled_vec(v.len(), T::ZERO);
    if inner == 1 {
        let n = n.max(1);
        if outer > 1 && v.len() >= PARALLEL_LANES_MIN {
            // Many contiguous lanes: shared out between the kernel pool's threads.
            in_kernel_pool(|| {
                v.par_chunks(n)
                    .zip(out.par_chunks_mut(n))
                    .for_each(|(lane, sorted)| T::sort_lane_into(lane, sorted))
            });
        } else {
            for (lane, sorted) in v.chunks(n).zip(out.chunks_mut(n)) {
                T::sort_lane_into(lane, sorted);
            }
        }
        return out;
    }
    let mut lane = Vec::with_capacity(n);
    let mut sorted = vec![T::ZERO; n];
    for o in 0..outer {
        for r in 0..inner {
            let at = |j: usize| (o * n + j) * inner + r;
            lane.clear();
            lane.extend((0..n).map(|j| v[at(j)]));
            T::sort_lane_into(&lane, &mut sorted);
            for (j, &x) in sorted.iter().enumerate() {
                out[at(j)] = x;
            }
        }
    }
    out
}

/// Stable argsort of every lane of `v` (NaN last), as int64 positions within the lane.
fn argsort_lanes<T: LaneSort>(v: &[T], (outer, n, inner): (usize, usize, usize)) -> Vec<i64> {
    let mut out = filled_vec(v.len(), 0i64);
    let mut order: Vec<usize> = output_vec(n);
    let mut lane = Vec::with_capacity(n);
    for o in 0..outer {
        for r in 0..inner {
            let at = |j: usize| (o * n + j) * inner + r;
            lane.clear();
            lane.extend((0..n).map(|j| v[at(j)]));
            T::argsort_lane(&lane, &mut order);
            for (j, &src) in order.iter().enumerate() {
                out[at(j)] = src as i64;
            }
        }
    }
    out
}

impl Tensor {
    /// A sorted copy along `axis` (numpy `np.sort(a, axis)`; negative counts from the end).
    /// NaN sorts last; `-0.0` sorts just before `0.0` (numpy treats them as equal). Float lanes
    /// sort by radix in linear time.
    ///
    /// FLOPs: `lanes · n·⌈log2 n⌉` (min 1) × rate × 4, under `sort` (`n` the axis length,
    /// `lanes = numel / n`). The result is untagged.
    ///
    /// # Panics
    /// If `axis` is out of range (a 0-d tensor has no axis; see [`Tensor::sort_flat`]).
    pub fn sort(&self, axis: isize) -> Tensor {
        let ax = self.shape.axis(axis);
        let geometry = lanes(&self.shape, ax);
        counted(
            clamped(Op::Sort, axis_sort_count(&self.shape, ax), self.dtype()),
            |charged| {
                let buf = map_buffer!(&*self.buf, |v| sort_lanes(v, geometry));
                Tensor::from_buffer(charged, buf, self.shape)
            },
        )
    }

    /// The flattened tensor, sorted (numpy `np.sort(a, axis=None)`).
    ///
    /// Shape contract: a 1-D result of length numel.
    /// FLOPs: `N·⌈log2 N⌉` (N = numel; 1 for 0-d or empty) × rate × 4, under `sort`.
    pub fn sort_flat(&self) -> Tensor {
        let n = self.numel();
        let count = if self.ndim() == 0 { 1 } else { sort_cost(n) };
        let shape = Shape::new(&[n]);
        counted(clamped(Op::Sort, count, self.dtype()), |charged| {
            let buf = map_buffer!(&*self.buf, |v| sort_lanes(v, (1, n, 1)));
            Tensor::from_buffer(charged, buf, shape)
        })
    }

    /// Indices (int64) that sort each lane along `axis` (numpy `np.argsort(a, axis)`;
    /// negative counts from the end). NaN sorts last; ties keep index order (a stable sort,
    /// numpy's `kind="stable"`; numpy's default quicksort may order ties differently), except
    /// that `-0.0` sorts before `0.0`.
    ///
    /// FLOPs: as [`Tensor::sort`], under `argsort`, at the rate of the input dtype.
    ///
    /// # Panics
    /// If `axis` is out of range.
    pub fn argsort(&self, axis: isize) -> Tensor {
        let ax = self.shape.axis(axis);
        let geometry = lanes(&self.shape, ax);
        counted(
            clamped(Op::Argsort, axis_sort_count(&self.shape, ax), self.dtype()),
            |charged| {
                let idx = argsort_any(&self.buf, geometry);
                Tensor::from_elems(charged, idx, self.shape)
            },
        )
    }

    /// Indices (int64) that sort the flattened tensor (numpy `np.argsort(a, axis=None)`).
    ///
    /// FLOPs: as [`Tensor::sort_flat`], under `argsort`.
    pub fn argsort_flat(&self) -> Tensor {
        let n = self.numel();
        let count = if self.ndim() == 0 { 1 } else { sort_cost(n) };
        counted(clamped(Op::Argsort, count, self.dtype()), |charged| {
            let idx = argsort_any(&self.buf, (1, n, 1));
            Tensor::from_elems(charged, idx, Shape::new(&[n]))
        })
    }
}

/// [`argsort_lanes`] over any buffer.
fn argsort_any(buf: &Buffer, geometry: (usize, usize, usize)) -> Vec<i64> {
    match buf {
        Buffer::F32(v) => argsort_lanes(v, geometry),
        Buffer::F64(v) => argsort_lanes(v, geometry),
        Buffer::Bool(v) => argsort_lanes(v, geometry),
        Buffer::I64(v) => argsort_lanes(v, geometry),
    }
}

#[cfg(test)]
mod tests {
    use crate::dtype::DType;
    use crate::ops::movement::probe::{ctx, probe};
    use crate::tensor::Tensor;

    const DTYPES: [DType; 2] = [DType::F32, DType::F64];

    /// A (100, 50) operand with unsorted rows and columns.
    fn x(dt: DType) -> Tensor {
        let v: Vec<f64> = (0..5000).map(|i| ((i * 7919) % 5003) as f64).collect();
        Tensor::from_vec(v, [100, 50]).astype(dt)
    }

    #[test]
    fn sort_and_argsort_match_numpy() {
        let _ctx = ctx();
        let a = Tensor::from_vec(vec![3.0, f64::NAN, 1.0, 2.0, 1.0, -1.0], [2, 3]);
        let s = a.sort(-1);
        let v = s.to_vec::<f64>();
        assert_eq!(v[..2], [1.0, 3.0]);
        assert!(v[2].is_nan());
        assert_eq!(v[3..], [-1.0, 1.0, 2.0]);
        assert_eq!(a.argsort(1).to_vec::<i64>(), vec![2, 0, 1, 2, 1, 0]);
        assert_eq!(a.sort(0).row(0).to_vec::<f64>(), vec![2.0, 1.0, -1.0]);
        assert_eq!(a.argsort(0).to_vec::<i64>(), vec![1, 1, 1, 0, 0, 0]);
        let f = a.sort_flat();
        assert_eq!(f.shape(), &[6]);
        assert_eq!(f.to_vec::<f64>()[..5], [-1.0, 1.0, 1.0, 2.0, 3.0]);
        assert_eq!(a.argsort_flat().to_vec::<i64>(), vec![5, 2, 4, 3, 0, 1]);
        let i = Tensor::from_vec(vec![5i64, -2, 9], [3]);
        assert_eq!(i.sort(0).to_vec::<i64>(), vec![-2, 5, 9]);
        assert_eq!(i.argsort(0).dtype(), DType::I64);
    }

    #[test]
    fn probe_rows_sort() {
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let x = x(dt);
            let (s, _, rows) = probe(&ctx, || x.sort(-1));
            assert_eq!(rows, vec![("sort", 120000 * r, 1)]);
            assert!(s.row(7).to_vec::<f64>().windows(2).all(|w| w[0] <= w[1]));
            assert_eq!(probe(&ctx, || x.sort(0)).2, vec![("sort", 140000 * r, 1)]);
            assert_eq!(
                probe(&ctx, || x.sort_flat()).2,
                vec![("sort", 260000 * r, 1)]
            );
            assert_eq!(
                probe(&ctx, || x.argsort(-1)).2,
                vec![("argsort", 120000 * r, 1)]
            );
            let v = x.row(0);
            assert_eq!(
                probe(&ctx, || v.argsort(-1)).2,
                vec![("argsort", 1200 * r, 1)]
            );
            let c = x.col(0);
            assert_eq!(probe(&ctx, || c.sort(-1)).2, vec![("sort", 2800 * r, 1)]);
            // flopscope 0.12.4 measured: sort / argsort of A = ones((10,10)) bill dense.
            let a = Tensor::ones([10, 10], dt);
            let (s, f, _) = probe(&ctx, || a.sort(-1));
            assert_eq!((s.is_symmetric(), f), (false, 1600 * r));
            assert_eq!(probe(&ctx, || a.argsort(-1)).1, 1600 * r);
        }
    }

    #[test]
    fn probe_rows_sort_edge_sizes() {
        // flopscope 0.12.4 measured: sort(X32[:0]) → 4, sort(X32[:1,:1]) → 4, argsort(X32[0,:2]) → 8; oracle:
        // sort(X[:0], axis=None) f64 → 8; sort(T3, axis=1) f64 → 1024.
        let ctx = ctx();
        let x = x(DType::F32);
        let empty = x.slice(0, 0, 0);
        assert_eq!(probe(&ctx, || empty.sort(-1)).1, 4);
        let one = x.index(&[(0..1).into(), (0..1).into()]);
        assert_eq!(probe(&ctx, || one.sort(-1)).1, 4);
        let two = x.row(0).slice(0, 0, 2);
        assert_eq!(probe(&ctx, || two.argsort(-1)).1, 8);
        let e64 = x.astype(DType::F64).slice(0, 0, 0);
        assert_eq!(probe(&ctx, || e64.sort_flat()).1, 8);
        let t3 = Tensor::ones([4, 4, 4], DType::F64);
        assert_eq!(probe(&ctx, || t3.sort(1)).1, 1024);
        // (3, 4) f64 argsort over the flattened array → 12·4·4·2 = 384.
        let g = Tensor::arange(0.0, 12.0, 1.0, DType::F64).reshape(&[3, 4]);
        assert_eq!(probe(&ctx, || g.argsort_flat()).1, 384);
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn sorting_a_scalar_along_an_axis_panics() {
        let _ctx = ctx();
        let _ = Tensor::scalar(1.0f32).sort(-1);
    }
}
