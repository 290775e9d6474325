//! Indexing: numpy basic slicing (free and unrecorded, like flopscope's views) and fancy
//! indexing (integer-array gathers, boolean masks, `take`), which flopscope bills.
//!
//! Costs (as flopscope 0.12.4 bills them):
//! * basic slicing (`row`, `col`, `slice`, `index`): 0 FLOPs, nothing recorded (a numpy view
//!   there; here a copy, timed as backend time and refused on an unaccounted thread like any
//!   op, see [`crate::budget::unrecorded`]);
//! * `a[idx]` / `a[:, idx]` with an integer array: `4 · numel(out)` × rate, under `getitem`;
//! * `a[mask]` with a boolean mask: `(numel(mask) + 4 · numel(out))` × rate, under `getitem`;
//! * `np.take`: `numel(out)` × rate × 4, under `take`.
//!
//! None of these apply a minimum-1 clamp (an empty gather bills 0), and the rate is that of the
//! indexed tensor. flopscope's weight for `getitem` is 1 (its factor 4 is in the count), so
//! these charges are priced with the table's `exact` rule ([`crate::budget::pricing`]).

use std::ops::{Range, RangeFrom, RangeFull, RangeTo};

use super::movement::{blocks_of, gather, map_buffer, strided_positions, tag_from_blocks};
use crate::budget::{counted, exact, unrecorded, Op, Receipt};
use crate::buffer::output_vec;
use crate::dtype::DType;
use crate::element::Buffer;
use crate::shape::Shape;
use crate::symmetry::Symmetry;
use crate::tensor::Tensor;

/// One entry of a numpy basic-indexing key, for [`Tensor::index`].
///
/// `a[2, 1:5, ::-1, None, ...]` is written
/// `a.index(&[2.into(), (1..5).into(), SliceArg::stepped(None, None, -1), SliceArg::NewAxis,
/// SliceArg::Ellipsis])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceArg {
    /// `:` — the whole axis.
    Full,
    /// An integer index (negative counts from the end); removes the axis.
    Index(isize),
    /// `start:end:step` with Python semantics (negative bounds count from the end, bounds are
    /// clipped, `None` means "from the start / to the end" in the direction of `step`).
    Range {
        /// First position (`None`: the start in the direction of `step`).
        start: Option<isize>,
        /// One past the last position (`None`: the end in the direction of `step`).
        end: Option<isize>,
        /// Step; must not be 0.
        step: isize,
    },
    /// `None` / `np.newaxis` — inserts a length-1 axis.
    NewAxis,
    /// `...` — as many `:` as needed (at most one per key).
    Ellipsis,
}

impl SliceArg {
    /// `start:end` (step 1).
    pub fn range(start: isize, end: isize) -> SliceArg {
        SliceArg::Range {
            start: Some(start),
            end: Some(end),
            step: 1,
        }
    }

    /// `start:end:step` with optional bounds.
    pub fn stepped(start: Option<isize>, end: Option<isize>, step: isize) -> SliceArg {
        SliceArg::Range { start, end, step }
    }
}

impl From<isize> for SliceArg {
    /// An integer index.
    fn from(i: isize) -> SliceArg {
        SliceArg::Index(i)
    }
}

impl From<Range<isize>> for SliceArg {
    /// `start..end` is `start:end`.
    fn from(r: Range<isize>) -> SliceArg {
        SliceArg::range(r.start, r.end)
    }
}

impl From<RangeFrom<isize>> for SliceArg {
    /// `start..` is `start:`.
    fn from(r: RangeFrom<isize>) -> SliceArg {
        SliceArg::stepped(Some(r.start), None, 1)
    }
}

impl From<RangeTo<isize>> for SliceArg {
    /// `..end` is `:end`.
    fn from(r: RangeTo<isize>) -> SliceArg {
        SliceArg::stepped(None, Some(r.end), 1)
    }
}

impl From<RangeFull> for SliceArg {
    /// `..` is `:`.
    fn from(_: RangeFull) -> SliceArg {
        SliceArg::Full
    }
}

/// Python's `slice.indices(len)`: `(start, step, count)` of a slice over an axis of length `n`.
fn slice_indices(
    start: Option<isize>,
    end: Option<isize>,
    step: isize,
    n: usize,
) -> (isize, isize, usize) {
    assert!(step != 0, "slice step cannot be zero");
    let n = n as isize;
    let (lower, upper) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let clip = |v: Option<isize>, default: isize| match v {
        None => default,
        Some(v) if v < 0 => (v + n).max(lower),
        Some(v) => v.min(upper),
    };
    let s = clip(start, if step > 0 { lower } else { upper });
    let e = clip(end, if step > 0 { upper } else { lower });
    let count = if step > 0 && s < e {
        (e - s - 1) / step + 1
    } else if step < 0 && e < s {
        (s - e - 1) / (-step) + 1
    } else {
        0
    };
    (s, step, count as usize)
}

/// Normalises a possibly negative index into `0..n`.
///
/// # Panics
/// If it is out of bounds.
fn normalize_index(i: i64, n: usize, axis: usize) -> usize {
    let j = if i < 0 { i + n as i64 } else { i };
    assert!(
        (0..n as i64).contains(&j),
        "index {i} is out of bounds for axis {axis} with size {n}"
    );
    j as usize
}

/// What a basic key does to one input axis.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AxisAction {
    Removed,
    Untouched,
    Resized,
}

/// The result of walking a basic key over a shape.
struct BasicWalk {
    dims: Vec<usize>,
    strides: Vec<isize>,
    offset: isize,
    /// Per input axis: its action and (if kept) its output position.
    actions: Vec<(AxisAction, Option<usize>)>,
    /// Output positions of `NewAxis` entries.
    inserted: Vec<usize>,
}

/// Replaces the (at most one) `Ellipsis` by `Full`s and pads the key with `Full`s to `ndim`.
fn expand_key(key: &[SliceArg], ndim: usize) -> Vec<SliceArg> {
    let ellipses = key
        .iter()
        .filter(|k| matches!(k, SliceArg::Ellipsis))
        .count();
    assert!(
        ellipses <= 1,
        "an index can only have a single ellipsis ('...')"
    );
    let consuming = key
        .iter()
        .filter(|k| !matches!(k, SliceArg::NewAxis | SliceArg::Ellipsis))
        .count();
    assert!(
        consuming <= ndim,
        "too many indices for tensor: tensor is {ndim}-dimensional, but {consuming} were indexed"
    );
    let fill = ndim - consuming;
    let mut out = Vec::with_capacity(key.len() + fill);
    for k in key {
        match k {
            SliceArg::Ellipsis => out.extend(std::iter::repeat_n(SliceArg::Full, fill)),
            k => out.push(*k),
        }
    }
    if ellipses == 0 {
        out.extend(std::iter::repeat_n(SliceArg::Full, fill));
    }
    out
}

/// Walks a basic key over `shape`: output dims, strides, offset and per-axis actions.
fn walk_key(shape: &Shape, key: &[SliceArg]) -> BasicWalk {
    let st = shape.strides();
    let mut w = BasicWalk {
        dims: Vec::new(),
        strides: Vec::new(),
        offset: 0,
        actions: Vec::with_capacity(shape.ndim()),
        inserted: Vec::new(),
    };
    for k in expand_key(key, shape.ndim()) {
        let ax = w.actions.len();
        let (start, step, count) = match k {
            SliceArg::NewAxis => {
                w.inserted.push(w.dims.len());
                w.dims.push(1);
                w.strides.push(0);
                continue;
            }
            SliceArg::Index(i) => {
                let j = normalize_index(i as i64, shape[ax], ax);
                w.offset += (j * st[ax]) as isize;
                w.actions.push((AxisAction::Removed, None));
                continue;
            }
            SliceArg::Full => (0, 1, shape[ax]),
            SliceArg::Range { start, end, step } => slice_indices(start, end, step, shape[ax]),
            SliceArg::Ellipsis => unreachable!("expanded above"),
        };
        let untouched = start == 0 && step == 1 && count == shape[ax];
        let action = if untouched {
            AxisAction::Untouched
        } else {
            AxisAction::Resized
        };
        if count > 0 {
            w.offset += start * st[ax] as isize;
        }
        w.actions.push((action, Some(w.dims.len())));
        w.dims.push(count);
        w.strides.push(step * st[ax] as isize);
    }
    w
}

/// flopscope's slice rule: a tagged axis that is resized drops the whole tag; integer-indexed
/// axes leave their blocks (a block keeps ≥ 2 axes); two or more `NewAxis` entries form a new
/// block. Untagged inputs give untagged results, as do 0-d results.
fn slice_tag(sym: &Symmetry, walk: &BasicWalk) -> Symmetry {
    if !sym.is_tagged() || walk.dims.is_empty() {
        return Symmetry::NONE;
    }
    let blocks = blocks_of(sym, walk.actions.len());
    let mut out = vec![0u8; walk.dims.len()];
    let resized = walk
        .actions
        .iter()
        .zip(&blocks)
        .any(|((a, _), &b)| b != 0 && *a == AxisAction::Resized);
    if !resized {
        for ((_, pos), &b) in walk.actions.iter().zip(&blocks) {
            if let Some(p) = pos {
                out[*p] = b;
            }
        }
    }
    if walk.inserted.len() >= 2 {
        for &p in &walk.inserted {
            out[p] = u8::MAX;
        }
    }
    tag_from_blocks(&out)
}

/// Integer indices of an index tensor, normalised against an axis of length `n`.
///
/// # Panics
/// If `idx` is not int64 or an index is out of bounds.
fn int_indices(idx: &Tensor, n: usize, axis: usize) -> Vec<usize> {
    match &*idx.buf {
        Buffer::I64(v) => v.iter().map(|&i| normalize_index(i, n, axis)).collect(),
        _ => panic!(
            "arrays used as indices must be of integer (or boolean) type, got {}",
            idx.dtype()
        ),
    }
}

/// Positions of the `true` entries of a 1-D boolean mask over an axis of length `n`.
///
/// # Panics
/// If the mask is not 1-D of length `n`.
fn mask_positions(mask: &[bool], mask_shape: &Shape, n: usize, axis: usize) -> Vec<usize> {
    assert!(
        mask_shape.ndim() == 1 && mask.len() == n,
        "boolean index did not match indexed tensor along axis {axis}; size of axis is {n} but \
         shape of the boolean index is {mask_shape}"
    );
    (0..n).filter(|&i| mask[i]).collect()
}

impl Tensor {
    /// numpy basic indexing `a[key]`: integer indices, slices, `None` and `...`.
    ///
    /// Shape contract: each `Index` removes its axis, each `Full`/`Range` keeps it (resized),
    /// each `NewAxis` inserts a length-1 axis; unlisted trailing axes are kept whole.
    /// FLOPs: 0, and nothing is recorded (a numpy view); the copy's time counts as backend time.
    /// The symmetry tag survives only when
    /// every remaining tagged axis is untouched (`:`); an integer index on a tagged axis removes
    /// it from its block (kept if ≥ 2 axes remain); a resized slice on a tagged axis drops the
    /// tag. The data is copied into a new tensor.
    ///
    /// # Panics
    /// On too many indices, more than one `Ellipsis`, an out-of-bounds integer index or a zero
    /// step; with [`crate::BudgetError::UnaccountedThread`] (op `"getitem"`) on a thread no
    /// context accounts for while an explicit context is open.
    pub fn index(&self, key: &[SliceArg]) -> Tensor {
        let walk = walk_key(&self.shape, key);
        let out = Shape::new(&walk.dims);
        let sym = slice_tag(&self.sym, &walk);
        unrecorded("getitem", |charged| {
            let pos = strided_positions(&walk.dims, &walk.strides, walk.offset);
            Tensor::from_buffer(charged, gather(&self.buf, &pos), out).with_symmetry(sym)
        })
    }

    /// `a[i]`: the sub-tensor at position `i` of axis 0 (negative counts from the end).
    ///
    /// Shape contract: `(n, r…)` → `(r…)`. FLOPs: 0, nothing recorded; tag as
    /// [`Tensor::index`].
    ///
    /// # Panics
    /// If the tensor is 0-d or `i` is out of bounds.
    pub fn row(&self, i: isize) -> Tensor {
        self.index(&[SliceArg::Index(i)])
    }

    /// `a[:, j]`: the sub-tensor at position `j` of axis 1 (negative counts from the end).
    ///
    /// Shape contract: `(m, n, r…)` → `(m, r…)`. FLOPs: 0, nothing recorded; tag as
    /// [`Tensor::index`].
    ///
    /// # Panics
    /// If the tensor has fewer than two axes or `j` is out of bounds.
    pub fn col(&self, j: isize) -> Tensor {
        self.index(&[SliceArg::Full, SliceArg::Index(j)])
    }

    /// `a[:, …, start:end]` on axis `axis` (numpy slice semantics: negative bounds count from
    /// the end, bounds are clipped).
    ///
    /// Shape contract: axis `axis` becomes the slice's length. FLOPs: 0, nothing recorded;
    /// tag as [`Tensor::index`].
    ///
    /// # Panics
    /// If `axis` is out of range.
    pub fn slice(&self, axis: isize, start: isize, end: isize) -> Tensor {
        let ax = self.shape.axis(axis);
        let mut key = vec![SliceArg::Full; ax];
        key.push(SliceArg::range(start, end));
        self.index(&key)
    }

    /// `a[idx]`: gathers positions of axis 0 with an int64 index tensor of any shape (a bool
    /// tensor acts as a mask, `a[mask]`, see [`Tensor::masked`]).
    ///
    /// Shape contract: `(n, r…)` with `idx` of shape `s` → `(s…, r…)`.
    /// FLOPs: `4 · numel(out)` × rate (no minimum), under `getitem`. The tag is dropped.
    ///
    /// # Panics
    /// If the tensor is 0-d, `idx` is float, or an index is out of bounds.
    pub fn take_rows(&self, idx: &Tensor) -> Tensor {
        assert!(
            self.ndim() >= 1,
            "too many indices for tensor: tensor is 0-dimensional, but 1 were indexed"
        );
        if idx.dtype() == DType::Bool {
            return self.masked(idx);
        }
        let pos = int_indices(idx, self.shape[0], 0);
        self.getitem_along(0, &pos, &idx.shape, 0)
    }

    /// `a[:, idx]`: gathers positions of axis 1 with an int64 index tensor of any shape, or a
    /// 1-D bool mask over axis 1.
    ///
    /// Shape contract: `(m, n, r…)` with `idx` of shape `s` → `(m, s…, r…)` (a mask gives
    /// `(m, count_true, r…)`).
    /// FLOPs: `(numel(mask) + 4 · numel(out))` × rate (`numel(mask)` is 0 for integer indices;
    /// no minimum), under `getitem`. The tag is dropped.
    ///
    /// # Panics
    /// If the tensor has fewer than two axes, `idx` is float, an index is out of bounds, or a
    /// mask does not match axis 1.
    pub fn take_cols(&self, idx: &Tensor) -> Tensor {
        assert!(
            self.ndim() >= 2,
            "too many indices for tensor: tensor is {}-dimensional, but 2 were indexed",
            self.ndim()
        );
        let n = self.shape[1];
        match &*idx.buf {
            Buffer::Bool(m) => {
                let pos = mask_positions(m, &idx.shape, n, 1);
                let s = Shape::new(&[pos.len()]);
                self.getitem_along(1, &pos, &s, m.len())
            }
            _ => {
                let pos = int_indices(idx, n, 1);
                self.getitem_along(1, &pos, &idx.shape, 0)
            }
        }
    }

    /// Fancy gather along `axis` billed as flopscope's `getitem`.
    fn getitem_along(
        &self,
        axis: usize,
        pos: &[usize],
        idx_shape: &Shape,
        mask_elems: usize,
    ) -> Tensor {
        let out = self.gathered_shape(axis, idx_shape);
        let count = mask_elems as u64 + 4 * out.numel() as u64;
        counted(exact(Op::Getitem, count, self.dtype()), |charged| {
            self.gather_axis(charged, axis, pos, out)
        })
    }

    /// Shape of a gather along `axis` with indices of shape `idx_shape`.
    fn gathered_shape(&self, axis: usize, idx_shape: &Shape) -> Shape {
        let mut dims = self.shape[..axis].to_vec();
        dims.extend_from_slice(idx_shape);
        dims.extend_from_slice(&self.shape[axis + 1..]);
        Shape::new(&dims)
    }

    /// Copies positions `pos` of axis `axis` into a tensor of shape `out` (uncounted kernel).
    fn gather_axis(&self, charged: &Receipt, axis: usize, pos: &[usize], out: Shape) -> Tensor {
        let outer: usize = self.shape[..axis].iter().product();
        let inner: usize = self.shape[axis + 1..].iter().product();
        let n = self.shape[axis];
        // Runs of `inner` contiguous elements, copied whole.
        let buf = map_buffer!(&*self.buf, |v| {
            let mut dst = output_vec(outer * pos.len() * inner);
            for o in 0..outer {
                for &j in pos {
                    let base = (o * n + j) * inner;
                    dst.extend_from_slice(&v[base..base + inner]);
                }
            }
            dst
        });
        Tensor::from_buffer(charged, buf, out)
    }

    /// numpy `np.take(a, idx, axis)`: gathers positions of `axis` (negative counts from the
    /// end) with an int64 index tensor of any shape.
    ///
    /// Shape contract: `(…, n, …)` with `idx` of shape `s` → `(…, s…, …)`.
    /// FLOPs: `numel(out)` × rate × 4 (no minimum), under `take`. The tag is dropped.
    ///
    /// # Panics
    /// If `axis` is out of range, `idx` is not int64, or an index is out of bounds.
    pub fn take(&self, idx: &Tensor, axis: isize) -> Tensor {
        let ax = self.shape.axis(axis);
        let pos = int_indices(idx, self.shape[ax], ax);
        let out = self.gathered_shape(ax, &idx.shape);
        counted(
            exact(Op::Take, out.numel() as u64, self.dtype()),
            |charged| self.gather_axis(charged, ax, &pos, out),
        )
    }

    /// numpy `np.take(a, idx)` with `axis=None`: gathers from the flattened tensor.
    ///
    /// Shape contract: the result has `idx`'s shape.
    /// FLOPs: `numel(out)` × rate × 4 (no minimum), under `take`. The tag is dropped.
    ///
    /// # Panics
    /// If `idx` is not int64 or an index is out of bounds.
    pub fn take_flat(&self, idx: &Tensor) -> Tensor {
        let pos = int_indices(idx, self.numel(), 0);
        counted(
            exact(Op::Take, idx.numel() as u64, self.dtype()),
            |charged| Tensor::from_buffer(charged, gather(&self.buf, &pos), idx.shape),
        )
    }

    /// `a[mask]`: the elements (or sub-tensors) where a boolean mask is true, in row-major order.
    ///
    /// Shape contract: `mask`'s shape equals the leading axes of `a` (usually all of them);
    /// `(m…, r…)` → `(count_true, r…)`.
    /// FLOPs: `(numel(mask) + 4 · numel(out))` × rate (data dependent; no minimum), under
    /// `getitem`. The tag is dropped.
    ///
    /// # Panics
    /// If `mask` is not bool, is 0-d, or its shape is not a leading part of `a`'s shape.
    pub fn masked(&self, mask: &Tensor) -> Tensor {
        let Buffer::Bool(m) = &*mask.buf else {
            panic!(
                "masked: the mask must be a bool tensor, got {}",
                mask.dtype()
            );
        };
        let k = mask.ndim();
        assert!(k >= 1, "masked: the mask must have at least one axis");
        assert!(
            k <= self.ndim() && mask.shape[..] == self.shape[..k],
            "boolean index did not match indexed tensor: mask shape {} vs tensor shape {}",
            mask.shape,
            self.shape
        );
        let pos: Vec<usize> = (0..m.len()).filter(|&i| m[i]).collect();
        let mut dims = vec![pos.len()];
        dims.extend_from_slice(&self.shape[k..]);
        let out = Shape::new(&dims);
        let count = m.len() as u64 + 4 * out.numel() as u64;
        let inner: usize = self.shape[k..].iter().product();
        counted(exact(Op::Getitem, count, self.dtype()), |charged| {
            let src: Vec<usize> = pos
                .iter()
                .flat_map(|&p| p * inner..(p + 1) * inner)
                .collect();
            Tensor::from_buffer(charged, gather(&self.buf, &src), out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::SliceArg::{self, Ellipsis, Full, NewAxis};
    use crate::dtype::DType;
    use crate::ops::movement::probe::{ctx, probe, tag_axes};
    use crate::tensor::Tensor;

    const DTYPES: [DType; 2] = [DType::F32, DType::F64];

    /// The probe doc's dense `X` (100, 50).
    fn x(dt: DType) -> Tensor {
        Tensor::arange(0.0, 5000.0, 1.0, dt).reshape(&[100, 50])
    }

    fn idx(v: &[i64]) -> Tensor {
        Tensor::from_vec(v.to_vec(), [v.len()])
    }

    fn grid() -> Tensor {
        Tensor::from_vec((0..12).map(|i| i as f64).collect::<Vec<_>>(), [3, 4])
    }

    #[test]
    fn basic_slicing_matches_numpy() {
        let _ctx = ctx();
        let g = grid();
        assert_eq!(g.row(1).to_vec::<f64>(), vec![4.0, 5.0, 6.0, 7.0]);
        assert_eq!(g.row(-1).to_vec::<f64>(), vec![8.0, 9.0, 10.0, 11.0]);
        assert_eq!(g.col(2).to_vec::<f64>(), vec![2.0, 6.0, 10.0]);
        assert_eq!(
            g.slice(1, 1, -1).to_vec::<f64>(),
            vec![1., 2., 5., 6., 9., 10.]
        );
        assert_eq!(g.slice(0, -2, 100).shape(), &[2, 4]);
        assert_eq!(g.slice(0, 5, 9).shape(), &[0, 4]);
        // g[::2, ::-1]
        let r = g.index(&[
            SliceArg::stepped(None, None, 2),
            SliceArg::stepped(None, None, -1),
        ]);
        assert_eq!(r.to_vec::<f64>(), vec![3., 2., 1., 0., 11., 10., 9., 8.]);
        // g[2:0:-1, 1]
        let r = g.index(&[SliceArg::stepped(Some(2), Some(0), -1), 1.into()]);
        assert_eq!(r.to_vec::<f64>(), vec![9.0, 5.0]);
        // g[None, ..., 3] and g[1, 2] (0-d)
        let r = g.index(&[NewAxis, Ellipsis, 3.into()]);
        assert_eq!(
            (r.shape(), r.to_vec::<f64>()),
            (&[1, 3][..], vec![3.0, 7.0, 11.0])
        );
        let e = g.index(&[1.into(), 2.into()]);
        assert_eq!((e.shape(), e.item()), (&[][..], 6.0));
        assert_eq!(
            g.index(&[(1..).into(), (..2).into()]).to_vec::<f64>(),
            vec![4., 5., 8., 9.]
        );
        assert_eq!(g.index(&[(..).into()]).shape(), &[3, 4]);
    }

    #[test]
    fn probe_rows_basic_slicing_record_nothing() {
        // flopscope 0.12.4 measured: X[10:20], X[:, 3], X[3], X[3, 4], X[::2, ::-1].
        let ctx = ctx();
        for dt in DTYPES {
            let x = x(dt);
            let (s, f, rows) = probe(&ctx, || x.slice(0, 10, 20));
            assert_eq!((s.shape(), f, rows), (&[10, 50][..], 0, vec![]));
            assert_eq!(probe(&ctx, || x.col(3)).2, vec![]);
            assert_eq!(probe(&ctx, || x.row(3)).2, vec![]);
            let (e, _, rows) = probe(&ctx, || x.index(&[3.into(), 4.into()]));
            assert_eq!((e.item(), rows), (154.0, vec![]));
            let key = [
                SliceArg::stepped(None, None, 2),
                SliceArg::stepped(None, None, -1),
            ];
            let (s, _, rows) = probe(&ctx, || x.index(&key));
            assert_eq!(
                (s.shape(), s.at(&[1, 0]), rows),
                (&[50, 50][..], 149.0, vec![])
            );
        }
    }

    #[test]
    fn probe_rows_tagged_slicing() {
        // flopscope 0.12.4 measured: A = ones((10,10)), T3 = ones((4,4,4)).
        let _ctx = ctx();
        let a = Tensor::ones([10, 10], DType::F32);
        assert!(!a.slice(0, 2, 5).is_symmetric());
        assert!(!a.index(&[(2..5).into(), (2..5).into()]).is_symmetric());
        assert_eq!(tag_axes(&a.index(&[Full, Full])), vec![vec![0, 1]]);
        assert_eq!(tag_axes(&a.index(&[Ellipsis])), vec![vec![0, 1]]);
        assert!(!a.col(0).is_symmetric());
        assert!(!a.row(3).is_symmetric());
        assert_eq!(tag_axes(&a.index(&[NewAxis])), vec![vec![1, 2]]);
        let t3 = Tensor::ones([4, 4, 4], DType::F32);
        assert_eq!(tag_axes(&t3.row(0)), vec![vec![0, 1]]);
        assert_eq!(tag_axes(&t3.col(0)), vec![vec![0, 1]]);
        assert_eq!(tag_axes(&t3.index(&[Ellipsis, 0.into()])), vec![vec![0, 1]]);
        assert!(!t3.index(&[0.into(), 1.into()]).is_symmetric());
        assert!(!t3.slice(1, 1, 3).is_symmetric());
    }

    #[test]
    fn slicing_tags_follow_the_oracle() {
        let _ctx = ctx();
        let a = Tensor::ones([10, 10], DType::F64);
        // A full-length range is untouched; a reversal resizes.
        assert!(a.slice(0, 0, 10).is_symmetric());
        assert!(!a.index(&[SliceArg::stepped(None, None, -1)]).is_symmetric());
        // Two inserted axes form a block of their own.
        let n = a.index(&[NewAxis, NewAxis]);
        assert_eq!(tag_axes(&n), vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(
            tag_axes(&a.index(&[NewAxis, Full, NewAxis])),
            vec![vec![0, 2], vec![1, 3]]
        );
        assert!(!grid().index(&[NewAxis, NewAxis]).is_symmetric());
        // A resized tagged axis drops the whole Young group; an index keeps the other block.
        let y4 = Tensor::ones([2, 2, 3, 3], DType::F64);
        assert!(!y4.index(&[Full, Full, (1..3).into()]).is_symmetric());
        assert_eq!(tag_axes(&y4.row(0)), vec![vec![1, 2]]);
        // Resizing an untagged axis keeps the tag.
        let bt = Tensor::ones([3, 10, 10], DType::F64);
        assert_eq!(tag_axes(&bt.slice(0, 1, 2)), vec![vec![1, 2]]);
        assert!(!bt.col(0).is_symmetric());
    }

    #[test]
    fn probe_rows_fancy_indexing() {
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let x = x(dt);
            let i = idx(&[0, 5, 7, 7, 99]);
            let (g, _, rows) = probe(&ctx, || x.take_rows(&i));
            assert_eq!(
                (g.shape(), rows),
                (&[5, 50][..], vec![("getitem", 1000 * r, 1)])
            );
            assert_eq!((g.at(&[3, 1]), g.at(&[4, 49])), (351.0, 4999.0));
            let i3 = idx(&[0, 5, 7]);
            let (g, _, rows) = probe(&ctx, || x.take_cols(&i3));
            assert_eq!(
                (g.shape(), rows),
                (&[100, 3][..], vec![("getitem", 1200 * r, 1)])
            );
            assert_eq!(g.at(&[2, 1]), 105.0);
            let (_, _, rows) = probe(&ctx, || x.take_rows(&i3));
            assert_eq!(rows, vec![("getitem", 600 * r, 1)]);
            let (t, _, rows) = probe(&ctx, || x.take(&i, 0));
            assert_eq!(
                (t.shape(), rows),
                (&[5, 50][..], vec![("take", 1000 * r, 1)])
            );
            // X[M], M = X > 0 with X = arange(5000).reshape(100,50) - 2000.5 (2999 positives).
            let xs = &x - 2000.5f64;
            let m = xs.gt(0.0);
            let (v, _, rows) = probe(&ctx, || xs.masked(&m));
            assert_eq!(v.shape(), &[2999]);
            assert_eq!(rows, vec![("getitem", (5000 + 4 * 2999) * r, 1)]);
            assert_eq!(v.at(&[0]), 0.5);
        }
        let f32_row = probe(&ctx, || x(DType::F32).index(&[])).0;
        let m = (&f32_row - 2000.5f64).gt(0.0);
        assert_eq!(probe(&ctx, || f32_row.masked(&m)).1, 16996);
    }

    #[test]
    fn probe_rows_tagged_fancy_indexing() {
        // flopscope 0.12.4 measured: A[idx] idx=[0,5,7] → 120 (f32); A[Ms] with Ms = A > 0 (all true) → 500.
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let a = Tensor::ones([10, 10], dt);
            let i3 = idx(&[0, 5, 7]);
            let (g, f, _) = probe(&ctx, || a.take_rows(&i3));
            assert_eq!((g.is_symmetric(), f), (false, 120 * r));
            let ms = a.gt(0.0);
            let (g, f, _) = probe(&ctx, || a.masked(&ms));
            assert_eq!(
                (g.shape(), g.is_symmetric(), f),
                (&[100][..], false, 500 * r)
            );
        }
    }

    #[test]
    fn fancy_edge_cases_follow_the_oracle() {
        let ctx = ctx();
        let g = grid();
        // Empty gathers bill 0 (no minimum) but are recorded.
        let none = idx(&[]);
        let (e, _, rows) = probe(&ctx, || g.take_rows(&none));
        assert_eq!((e.shape(), rows), (&[0, 4][..], vec![("getitem", 0, 1)]));
        let (_, _, rows) = probe(&ctx, || g.take(&none, 0));
        assert_eq!(rows, vec![("take", 0, 1)]);
        // np.take(X, [1, 5]) on the flattened (3,4) f64 → 16.
        let i2 = idx(&[1, 5]);
        let (t, f, _) = probe(&ctx, || g.take_flat(&i2));
        assert_eq!((t.to_vec::<f64>(), f), (vec![1.0, 5.0], 16));
        // A leading-axis mask: X[[True, False, True]] on (3,4) f64 → (3 + 4·8)·2 = 70.
        let m = Tensor::from_vec(vec![true, false, true], [3]);
        let (v, f, _) = probe(&ctx, || g.take_rows(&m));
        assert_eq!((v.shape(), f), (&[2, 4][..], 70));
        assert_eq!(v.row(1).to_vec::<f64>(), vec![8.0, 9.0, 10.0, 11.0]);
        // Negative indices, index arrays of any shape, a column mask, np.take on axis -1.
        let i2 = Tensor::from_vec(vec![-1i64, 0, 1, -3], [2, 2]);
        let r = g.take_rows(&i2);
        assert_eq!(
            (r.shape(), r.at(&[0, 0, 0]), r.at(&[1, 1, 3])),
            (&[2, 2, 4][..], 8.0, 3.0)
        );
        let cm = Tensor::from_vec(vec![false, true, true, false], [4]);
        let (c, f, _) = probe(&ctx, || g.take_cols(&cm));
        assert_eq!(
            (c.to_vec::<f64>(), f),
            (vec![1., 2., 5., 6., 9., 10.], (4 + 4 * 6) * 2)
        );
        assert_eq!(
            g.take(&idx(&[-1]), -1).to_vec::<f64>(),
            vec![3.0, 7.0, 11.0]
        );
    }

    #[test]
    #[should_panic(expected = "index 3 is out of bounds for axis 0 with size 3")]
    fn fancy_index_out_of_range_panics() {
        let _ctx = ctx();
        let _ = grid().take_rows(&idx(&[0, 3]));
    }

    #[test]
    #[should_panic(expected = "index -5 is out of bounds for axis 1 with size 4")]
    fn basic_index_out_of_range_panics() {
        let _ctx = ctx();
        let _ = grid().col(-5);
    }

    #[test]
    #[should_panic(expected = "too many indices")]
    fn too_many_indices_panics() {
        let _ctx = ctx();
        let _ = grid().index(&[0.into(), 0.into(), 0.into()]);
    }

    #[test]
    #[should_panic(expected = "boolean index did not match")]
    fn mismatched_mask_panics() {
        let _ctx = ctx();
        let _ = grid().masked(&Tensor::from_vec(vec![true, false], [2]));
    }

    #[test]
    #[should_panic(expected = "must be of integer")]
    fn float_indices_panic() {
        let _ctx = ctx();
        let _ = grid().take_rows(&Tensor::from_vec(vec![0.0f32], [1]));
    }
}
