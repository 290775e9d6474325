//! Movement ops: transposes, reshapes, axis insertion and removal, `stack`, `concatenate`,
//! diagonals and `trace`.
//!
//! Our tensors are always contiguous, so every op here copies into a fresh buffer (which also
//! makes the result a new "object" for flopscope's same-object rules), but each bills exactly
//! what flopscope 0.12.4 bills: `.T` records nothing (its copy is timed as backend time and
//! refused on an unaccounted thread like any op, see [`crate::budget::unrecorded`]); `transpose`, `swapaxes`, `expand_dims`, `squeeze`, `diagonal` record a
//! free call; `reshape`, `ravel`, `flatten`, `stack`, `concatenate` bill numel; `diag` of a
//! vector bills its length; `trace` and `fill_diagonal` bill the diagonal length.
//! Symmetry tags travel as flopscope's shape-op transport rules say.

use std::borrow::Cow;

use crate::budget::{clamped, counted, exact, unrecorded, Op, Receipt};
use crate::dtype::DType;
use crate::element::{Buffer, Element};
use crate::elements::Elements;
use crate::kernels::transpose_2d;
use crate::shape::{Shape, MAX_NDIM};
use crate::symmetry::Symmetry;
use crate::tensor::Tensor;

// ---------------------------------------------------------------------------------------------
// Shared kernels and tag helpers (also used by the `index` and `sort` modules).
// ---------------------------------------------------------------------------------------------

/// Applies a generic expression to the typed vector inside a [`Buffer`], rewrapping the result
/// in the same variant: `map_buffer!(buf, |v| expr)` where `expr: Vec<T>` (or anything that
/// converts into a `Storage<T>`) for `v: &Storage<T>`.
macro_rules! map_buffer {
    ($buf:expr, |$v:ident| $body:expr) => {
        match $buf {
            Buffer::F32($v) => Buffer::F32($body.into()),
            Buffer::F64($v) => Buffer::F64($body.into()),
            Buffer::Bool($v) => Buffer::Bool($body.into()),
            Buffer::I64($v) => Buffer::I64($body.into()),
        }
    };
}
pub(crate) use map_buffer;

/// The elements of `buf` at the flat positions `idx`, in order (uncounted kernel).
pub(crate) fn gather(buf: &Buffer, idx: &[usize]) -> Buffer {
    map_buffer!(buf, |v| crate::buffer::collected_vec(
        idx.iter().map(|&i| v[i])
    ))
}

/// Flat source positions visited by a row-major walk over `dims`, moving `strides[ax]` elements
/// per step along axis `ax` and starting at `offset`.
pub(crate) fn strided_positions(dims: &[usize], strides: &[isize], offset: isize) -> Vec<usize> {
    let n: usize = dims.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut counter = vec![0usize; dims.len()];
    let mut pos = offset;
    for _ in 0..n {
        out.push(pos as usize);
        for ax in (0..dims.len()).rev() {
            counter[ax] += 1;
            pos += strides[ax];
            if counter[ax] < dims[ax] {
                break;
            }
            pos -= strides[ax] * dims[ax] as isize;
            counter[ax] = 0;
        }
    }
    out
}

/// The block id of every axis of a tag over `ndim` axes (0 = untagged).
pub(crate) fn blocks_of(sym: &Symmetry, ndim: usize) -> Vec<u8> {
    (0..ndim).map(|ax| sym.block_of(ax)).collect()
}

/// The tag whose blocks are the groups of at least two axes sharing a non-zero id in `blocks`
/// (ids need not be contiguous; singleton ids are dropped).
pub(crate) fn tag_from_blocks(blocks: &[u8]) -> Symmetry {
    if blocks.iter().all(|&b| b == 0) {
        return Symmetry::NONE;
    }
    // `from_shape` groups equal extents: give every untagged axis a unique label.
    let labels: Vec<usize> = blocks
        .iter()
        .enumerate()
        .map(|(ax, &b)| if b == 0 { 1000 + ax } else { b as usize })
        .collect();
    Symmetry::from_shape(&Shape::new(&labels))
}

/// Normalises the position of an axis inserted into a result of rank `out_ndim` (numpy
/// `normalize_axis_index`; negative counts from the end of the result).
///
/// # Panics
/// If `axis` is out of range.
pub(crate) fn insert_position(axis: isize, out_ndim: usize) -> usize {
    let n = out_ndim as isize;
    let a = if axis < 0 { axis + n } else { axis };
    assert!(
        (0..n).contains(&a),
        "axis {axis} is out of bounds for a tensor of dimension {out_ndim}"
    );
    a as usize
}

/// The dtype numpy stores a stack/concatenation of `tensors` in (their promoted type).
fn promoted(tensors: &[&Tensor]) -> DType {
    tensors
        .iter()
        .map(|t| t.dtype())
        .reduce(DType::promote)
        .unwrap_or(DType::F64)
}

/// Row-major concatenation, for each of `outer` rows, of `inner[i]` elements from part `i`.
fn interleave_typed<T: Element>(
    parts: &[Cow<'_, Buffer>],
    outer: usize,
    inner: &[usize],
) -> Vec<T> {
    let slices: Vec<&[T]> = parts
        .iter()
        .map(|b| match T::slice(b) {
            Some(s) => s,
            None => unreachable!("parts were cast to the output dtype"),
        })
        .collect();
    let mut out = crate::buffer::output_vec(outer * inner.iter().sum::<usize>());
    for o in 0..outer {
        for (s, &len) in slices.iter().zip(inner) {
            out.extend_from_slice(&s[o * len..(o + 1) * len]);
        }
    }
    out
}

/// [`interleave_typed`] for buffers already cast to `dtype`.
fn interleave(parts: &[Cow<'_, Buffer>], dtype: DType, outer: usize, inner: &[usize]) -> Buffer {
    match dtype {
        DType::F32 => Buffer::F32(interleave_typed(parts, outer, inner).into()),
        DType::F64 => Buffer::F64(interleave_typed(parts, outer, inner).into()),
        DType::Bool => Buffer::Bool(interleave_typed(parts, outer, inner).into()),
        DType::I64 => Buffer::I64(interleave_typed(parts, outer, inner).into()),
    }
}

/// flopscope's `transport_reshape`: the tag survives only when every tagged axis (all of one
/// extent `m`) reappears whole, with the same products of untagged extents between them (extra
/// length-1 axes allowed). Zero-size shapes drop the tag.
fn reshape_tag(sym: &Symmetry, input: &Shape, output: &Shape) -> Symmetry {
    let tagged: Vec<usize> = (0..input.ndim())
        .filter(|&ax| sym.block_of(ax) != 0)
        .collect();
    if tagged.is_empty() || input.contains(&0) || output.contains(&0) {
        return Symmetry::NONE;
    }
    let m = input[tagged[0]];
    let mut segments = Vec::with_capacity(tagged.len() + 1);
    let mut start = 0;
    for &ax in &tagged {
        segments.push(input[start..ax].iter().product::<usize>());
        start = ax + 1;
    }
    let tail: usize = input[start..].iter().product();
    let mut out_blocks = vec![0u8; output.ndim()];
    let mut pos = 0;
    for (k, &ax) in tagged.iter().enumerate() {
        let mut acc = 1;
        while acc < segments[k] && pos < output.ndim() {
            acc *= output[pos];
            pos += 1;
        }
        if acc != segments[k] {
            return Symmetry::NONE;
        }
        if m != 1 {
            while pos < output.ndim() && output[pos] == 1 {
                pos += 1;
            }
        }
        if pos >= output.ndim() || output[pos] != m {
            return Symmetry::NONE;
        }
        out_blocks[pos] = sym.block_of(ax);
        pos += 1;
    }
    if output[pos..].iter().product::<usize>() != tail {
        return Symmetry::NONE;
    }
    tag_from_blocks(&out_blocks)
}

/// Resolves a numpy reshape target (one entry may be `-1`) for `numel` elements.
fn resolve_shape(numel: usize, shape: &[isize], from: &Shape) -> Shape {
    let unknown = shape.iter().filter(|&&d| d == -1).count();
    assert!(
        unknown <= 1,
        "reshape: can only specify one unknown dimension"
    );
    assert!(
        shape.iter().all(|&d| d >= -1),
        "reshape: negative dimensions not allowed, got {shape:?}"
    );
    let known: usize = shape
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .product();
    let fail = || -> ! {
        panic!("cannot reshape tensor of shape {from} (size {numel}) into shape {shape:?}")
    };
    let dims: Vec<usize> = if unknown == 1 {
        if known == 0 || !numel.is_multiple_of(known) {
            fail();
        }
        let missing = numel / known;
        shape
            .iter()
            .map(|&d| if d == -1 { missing } else { d as usize })
            .collect()
    } else {
        if known != numel {
            fail();
        }
        shape.iter().map(|&d| d as usize).collect()
    };
    Shape::new(&dims)
}

/// Number of cells `fill_diagonal` writes (flopscope's `_fill_diagonal_cells`, `wrap=False`).
fn fill_diagonal_cells(shape: &Shape) -> usize {
    let (m, n) = (shape[0], shape[1]);
    let end = (n * n).min(m * n);
    end.div_ceil(n + 1)
}

/// The diagonal `fill_diagonal` writes: `(cells, step)`, cell `i` being at flat position
/// `i · step` (numpy's `a.flat[:end:step]`, `wrap=False`).
///
/// # Panics
/// If the shape is less than 2-D, or more than 2-D with unequal axis lengths.
pub(super) fn fill_diagonal_walk(shape: &Shape) -> (usize, usize) {
    let nd = shape.len();
    assert!(
        nd >= 2,
        "fill_diagonal: tensor must be at least 2-d, got shape {shape}"
    );
    assert!(
        nd == 2 || shape.iter().all(|&d| d == shape[0]),
        "fill_diagonal: all dimensions of input must be of equal length, got shape {shape}"
    );
    let step = if nd == 2 {
        shape[1] + 1
    } else {
        1 + shape.strides()[..nd - 1].iter().sum::<usize>()
    };
    (fill_diagonal_cells(shape), step)
}

/// `v` laid out on the diagonal of an otherwise-zero `n × n` matrix.
fn diag_matrix<T: Element + Default>(v: &[T]) -> Vec<T> {
    let n = v.len();
    // Zero pages written only where the diagonal falls (numpy's `diag` starts from `zeros`).
    let mut out = crate::buffer::zeroed_vec(n * n);
    for (i, &x) in v.iter().enumerate() {
        out[i * n + i] = x;
    }
    out
}

/// `outputs` sums of consecutive chunks of `k` elements of `v` picked at `pos` (the trace
/// kernel; `pos.len() == outputs * k`).
fn chunk_sums<T: Copy>(
    v: &[T],
    pos: &[usize],
    k: usize,
    outputs: usize,
    add: fn(T, T) -> T,
    zero: T,
) -> Vec<T> {
    if k == 0 {
        return vec![zero; outputs];
    }
    pos.chunks(k)
        .map(|c| c.iter().fold(zero, |acc, &p| add(acc, v[p])))
        .collect()
}

/// Writes `value` (cast like numpy assignment) at the flat positions `pos`.
fn set_positions(buf: &mut Buffer, pos: impl Iterator<Item = usize>, value: f64) {
    match buf {
        Buffer::F32(v) => pos.for_each(|p| v[p] = value as f32),
        Buffer::F64(v) => pos.for_each(|p| v[p] = value),
        Buffer::I64(v) => pos.for_each(|p| v[p] = value as i64),
        Buffer::Bool(v) => pos.for_each(|p| v[p] = value != 0.0),
    }
}

// ---------------------------------------------------------------------------------------------
// Tensor API
// ---------------------------------------------------------------------------------------------

impl Tensor {
    /// Copies the tensor with its axes reordered (`out axis i = in axis perm[i]`).
    fn permute_kernel(&self, charged: &Receipt, perm: &[usize]) -> Tensor {
        if let ([rows, cols], [1, 0]) = (&*self.shape, perm) {
            let buf = map_buffer!(&*self.buf, |v| transpose_2d(v, *rows, *cols));
            return Tensor::from_buffer(charged, buf, Shape::new(&[*cols, *rows]))
                .with_symmetry(self.sym.permuted(perm));
        }
        let st = self.shape.strides();
        let dims: Vec<usize> = perm.iter().map(|&p| self.shape[p]).collect();
        let strides: Vec<isize> = perm.iter().map(|&p| st[p] as isize).collect();
        let pos = strided_positions(&dims, &strides, 0);
        Tensor::from_buffer(charged, gather(&self.buf, &pos), Shape::new(&dims))
            .with_symmetry(self.sym.permuted(perm))
    }

    /// A copy with the buffer and the given shape and tag.
    fn relabelled(&self, charged: &Receipt, shape: Shape, sym: Symmetry) -> Tensor {
        Tensor::from_buffer(charged, (*self.buf).clone(), shape).with_symmetry(sym)
    }

    /// The transpose with all axes reversed, like numpy's `a.T`.
    ///
    /// Shape contract: `(d0, …, dk)` → `(dk, …, d0)`; a 0-d or 1-D tensor is returned as is.
    /// FLOPs: 0, and nothing is recorded (flopscope's `.T` is not an op). The symmetry tag is
    /// kept on the permuted axes. A matrix's transpose is not copied here: a matrix product
    /// reads it in place (strided), and any other op that reads it copies it once, inside that
    /// op's timing; other tensors are copied now, timed as backend time.
    ///
    /// # Panics
    /// With [`crate::BudgetError::UnaccountedThread`] (op `".T"`) on a thread no context accounts
    /// for while an explicit context is open (see [`crate::thread::scope`]).
    pub fn t(&self) -> Tensor {
        let perm: Vec<usize> = (0..self.ndim()).rev().collect();
        if let [rows, cols] = *self.shape {
            return unrecorded(".T", |charged| {
                let buf = Elements::transpose_of(&self.buf, rows, cols);
                Tensor::from_elements(charged, buf, Shape::new(&[cols, rows]))
                    .with_symmetry(self.sym.permuted(&perm))
            });
        }
        unrecorded(".T", |charged| self.permute_kernel(charged, &perm))
    }

    /// Permutes the axes (numpy `np.transpose(a, axes)`): output axis `i` is input axis
    /// `axes[i]`. An empty `axes` reverses all axes (numpy's `axes=None`).
    ///
    /// FLOPs: 0 (records a free `transpose` call). The symmetry tag is kept on the permuted axes.
    ///
    /// # Panics
    /// If `axes` is not a permutation of `0..ndim`.
    pub fn transpose(&self, axes: &[usize]) -> Tensor {
        let nd = self.ndim();
        let perm: Vec<usize> = if axes.is_empty() {
            (0..nd).rev().collect()
        } else {
            axes.to_vec()
        };
        assert_eq!(
            perm.len(),
            nd,
            "transpose: axes {axes:?} don't match a tensor of shape {}",
            self.shape
        );
        let mut seen = [false; MAX_NDIM];
        for &a in &perm {
            assert!(
                a < nd,
                "transpose: axis {a} is out of bounds for a tensor of dimension {nd}"
            );
            assert!(!seen[a], "transpose: repeated axis {a} in {axes:?}");
            seen[a] = true;
        }
        counted(clamped(Op::Transpose, 0, self.dtype()), |charged| {
            self.permute_kernel(charged, &perm)
        })
    }

    /// Interchanges two axes (numpy `np.swapaxes`; negative axes count from the end).
    ///
    /// FLOPs: 0 (records a free `swapaxes` call). The symmetry tag is kept on the permuted axes.
    ///
    /// # Panics
    /// If either axis is out of range.
    pub fn swapaxes(&self, axis1: isize, axis2: isize) -> Tensor {
        let (a, b) = (self.shape.axis(axis1), self.shape.axis(axis2));
        let mut perm: Vec<usize> = (0..self.ndim()).collect();
        perm.swap(a, b);
        counted(clamped(Op::Swapaxes, 0, self.dtype()), |charged| {
            self.permute_kernel(charged, &perm)
        })
    }

    /// Gives the tensor a new shape with the same elements in row-major order (numpy
    /// `reshape`). One entry of `shape` may be `-1`, inferred from the others.
    ///
    /// FLOPs: `numel` (min 1) × rate, under `reshape`. The symmetry tag survives only when the
    /// tagged axes stay intact (e.g. `(10,10)` → `(1,10,10)` keeps it on axes `(1,2)`;
    /// `(100,)` or `(5,20)` drop it).
    ///
    /// # Panics
    /// If the shape is invalid or holds a different number of elements.
    pub fn reshape(&self, shape: &[isize]) -> Tensor {
        let out = resolve_shape(self.numel(), shape, &self.shape);
        self.reshape_impl(out)
    }

    /// [`Tensor::reshape`] to an explicit [`Shape`] (no `-1`).
    ///
    /// FLOPs and tag rule as [`Tensor::reshape`].
    ///
    /// # Panics
    /// If `shape` holds a different number of elements.
    pub fn reshape_to(&self, shape: impl Into<Shape>) -> Tensor {
        let out = shape.into();
        assert_eq!(
            out.numel(),
            self.numel(),
            "cannot reshape tensor of shape {} (size {}) into shape {out}",
            self.shape,
            self.numel()
        );
        self.reshape_impl(out)
    }

    fn reshape_impl(&self, out: Shape) -> Tensor {
        let sym = reshape_tag(&self.sym, &self.shape, &out);
        counted(
            clamped(Op::Reshape, self.numel() as u64, self.dtype()),
            |charged| self.relabelled(charged, out, sym),
        )
    }

    /// The elements as a 1-D tensor (numpy `ravel`).
    ///
    /// FLOPs: `numel` (min 1) × rate, under `ravel`. The symmetry tag is dropped.
    pub fn ravel(&self) -> Tensor {
        self.flat_copy(Op::Ravel)
    }

    /// The elements as a 1-D copy (numpy `a.flatten()`).
    ///
    /// FLOPs: `numel` (min 1) × rate, recorded under `copy` for an untagged tensor but under
    /// `ravel` for a symmetric one (flopscope routes the two differently). The tag is dropped.
    pub fn flatten(&self) -> Tensor {
        self.flat_copy(if self.is_symmetric() {
            Op::Ravel
        } else {
            Op::Copy
        })
    }

    fn flat_copy(&self, op: Op) -> Tensor {
        let out = Shape::new(&[self.numel()]);
        counted(clamped(op, self.numel() as u64, self.dtype()), |charged| {
            self.relabelled(charged, out, Symmetry::NONE)
        })
    }

    /// Inserts a length-1 axis at position `axis` of the result (numpy `np.expand_dims`;
    /// negative counts from the end of the result).
    ///
    /// FLOPs: 0 (records a free `expand_dims` call). The symmetry tag moves with its axes.
    ///
    /// # Panics
    /// If `axis` is out of range for the result's rank, or the result would exceed
    /// [`crate::MAX_NDIM`] axes.
    pub fn expand_dims(&self, axis: isize) -> Tensor {
        let k = insert_position(axis, self.ndim() + 1);
        let mut dims = self.shape.to_vec();
        dims.insert(k, 1);
        let mut blocks = blocks_of(&self.sym, self.ndim());
        blocks.insert(k, 0);
        let out = Shape::new(&dims);
        let sym = tag_from_blocks(&blocks);
        counted(clamped(Op::ExpandDims, 0, self.dtype()), |charged| {
            self.relabelled(charged, out, sym)
        })
    }

    /// Removes every length-1 axis (numpy `np.squeeze`).
    ///
    /// FLOPs: 0 (records a free `squeeze` call). The symmetry tag moves with its axes, but is
    /// dropped entirely if a removed axis was tagged (flopscope's rule).
    pub fn squeeze(&self) -> Tensor {
        let axes: Vec<usize> = (0..self.ndim()).filter(|&a| self.shape[a] == 1).collect();
        self.squeeze_impl(&axes)
    }

    /// Removes axis `axis`, which must have length 1 (numpy `np.squeeze(a, axis)`).
    ///
    /// FLOPs and tag rule as [`Tensor::squeeze`].
    ///
    /// # Panics
    /// If `axis` is out of range or its length is not 1.
    pub fn squeeze_axis(&self, axis: isize) -> Tensor {
        let a = self.shape.axis(axis);
        assert_eq!(
            self.shape[a], 1,
            "squeeze: cannot select an axis to squeeze out which has size not equal to one \
             (axis {a} of shape {})",
            self.shape
        );
        self.squeeze_impl(&[a])
    }

    fn squeeze_impl(&self, axes: &[usize]) -> Tensor {
        let keep: Vec<usize> = (0..self.ndim()).filter(|a| !axes.contains(a)).collect();
        let dims: Vec<usize> = keep.iter().map(|&a| self.shape[a]).collect();
        let hits_tag = axes.iter().any(|&a| self.sym.block_of(a) != 0);
        let sym = if hits_tag || self.shape.contains(&0) {
            Symmetry::NONE
        } else {
            let blocks: Vec<u8> = keep.iter().map(|&a| self.sym.block_of(a)).collect();
            tag_from_blocks(&blocks)
        };
        let out = Shape::new(&dims);
        counted(clamped(Op::Squeeze, 0, self.dtype()), |charged| {
            self.relabelled(charged, out, sym)
        })
    }

    /// Joins equally shaped tensors along a new axis `axis` of the result (numpy `np.stack`).
    ///
    /// Shape contract: `k` tensors of shape `s` → `s` with `k` inserted at `axis`. The result
    /// has the promoted dtype of the inputs.
    /// FLOPs: numel of the output (min 1) × rate of the promoted dtype, under `stack`. If every
    /// input is symmetric, the result keeps the intersection of their tags on the shifted axes
    /// (billing stays dense); otherwise it is untagged.
    ///
    /// # Panics
    /// If `tensors` is empty, the shapes differ, or `axis` is out of range.
    pub fn stack(tensors: &[&Tensor], axis: isize) -> Tensor {
        assert!(
            !tensors.is_empty(),
            "stack: need at least one tensor to stack"
        );
        let first = tensors[0].shape;
        for t in tensors {
            assert_eq!(
                t.shape, first,
                "stack: all input tensors must have the same shape, got {first} and {}",
                t.shape
            );
        }
        let k = insert_position(axis, first.ndim() + 1);
        let mut dims = first.to_vec();
        dims.insert(k, tensors.len());
        let out = Shape::new(&dims);
        let dt = promoted(tensors);
        let sym = stack_tag(tensors, k, out.ndim());
        let total: usize = tensors.iter().map(|t| t.numel()).sum();
        counted(clamped(Op::Stack, total as u64, dt), |charged| {
            let outer: usize = first[..k].iter().product();
            let inner: usize = first[k..].iter().product();
            let parts: Vec<Cow<'_, Buffer>> = tensors.iter().map(|t| t.buf.cast_if(dt)).collect();
            let buf = interleave(&parts, dt, outer, &vec![inner; tensors.len()]);
            Tensor::from_buffer(charged, buf, out).with_symmetry(sym)
        })
    }

    /// Joins tensors along an existing axis (numpy `np.concatenate`).
    ///
    /// Shape contract: all inputs have the same rank (≥ 1) and agree on every axis but `axis`;
    /// the output's `axis` is the sum of theirs. The result has the promoted dtype.
    /// FLOPs: numel of the output (min 1) × rate of the promoted dtype, under `concatenate`.
    /// The result is untagged unless every input is symmetric on axes other than `axis` (then
    /// the intersection of those tags survives, as in flopscope).
    ///
    /// # Panics
    /// If `tensors` is empty, an input is 0-d, ranks or non-`axis` extents differ, or `axis` is
    /// out of range.
    pub fn concatenate(tensors: &[&Tensor], axis: isize) -> Tensor {
        assert!(
            !tensors.is_empty(),
            "concatenate: need at least one tensor to concatenate"
        );
        let first = tensors[0].shape;
        assert!(
            first.ndim() > 0,
            "concatenate: zero-dimensional tensors cannot be concatenated"
        );
        let k = first.axis(axis);
        for (i, t) in tensors.iter().enumerate() {
            assert_eq!(
                t.ndim(),
                first.ndim(),
                "concatenate: all input tensors must have the same number of dimensions, but \
                 the tensor at index 0 has shape {first} and the tensor at index {i} has shape {}",
                t.shape
            );
            for d in (0..first.ndim()).filter(|&d| d != k) {
                assert_eq!(
                    t.shape[d], first[d],
                    "concatenate: all the input tensor dimensions except for the concatenation \
                     axis must match exactly, but along dimension {d}, the tensor at index 0 has \
                     size {} and the tensor at index {i} has size {}",
                    first[d], t.shape[d]
                );
            }
        }
        let mut dims = first.to_vec();
        dims[k] = tensors.iter().map(|t| t.shape[k]).sum();
        let out = Shape::new(&dims);
        let dt = promoted(tensors);
        let sym = concat_tag(tensors, k, out.ndim());
        let total: usize = tensors.iter().map(|t| t.numel()).sum();
        counted(clamped(Op::Concatenate, total as u64, dt), |charged| {
            let outer: usize = first[..k].iter().product();
            let row: usize = first[k + 1..].iter().product();
            let inner: Vec<usize> = tensors.iter().map(|t| t.shape[k] * row).collect();
            let parts: Vec<Cow<'_, Buffer>> = tensors.iter().map(|t| t.buf.cast_if(dt)).collect();
            Tensor::from_buffer(charged, interleave(&parts, dt, outer, &inner), out)
                .with_symmetry(sym)
        })
    }

    /// numpy `np.diag`: a 1-D tensor becomes the diagonal of a square matrix; a 2-D tensor
    /// gives its main diagonal.
    ///
    /// Shape contract: `(n,)` → `(n, n)`; `(m, n)` → `(min(m, n),)`.
    /// FLOPs: `n` × rate for 1-D (the result is tagged symmetric); 0 for 2-D (a recorded free
    /// `diag` call; untagged result).
    ///
    /// # Panics
    /// If the tensor is not 1-D or 2-D.
    pub fn diag(&self) -> Tensor {
        match self.ndim() {
            1 => {
                let n = self.shape[0];
                counted(exact(Op::Diag, n as u64, self.dtype()), |charged| {
                    let buf = map_buffer!(&*self.buf, |v| diag_matrix(v));
                    Tensor::from_buffer(charged, buf, Shape::new(&[n, n]))
                        .with_symmetry(Symmetry::matrix())
                })
            }
            2 => counted(exact(Op::Diag, 0, self.dtype()), |charged| {
                self.diagonal_kernel(charged)
            }),
            _ => panic!("diag: input must be 1-D or 2-D, got shape {}", self.shape),
        }
    }

    /// numpy `np.diagonal(a)` (offset 0, axes 0 and 1): the main diagonal, moved to the last axis.
    ///
    /// Shape contract: `(m, n, r…)` → `(r…, min(m, n))`.
    /// FLOPs: 0 (records a free `diagonal` call, like `np.diagonal`; flopscope's method form
    /// `a.diagonal()` records nothing). The result is untagged.
    ///
    /// # Panics
    /// If the tensor has fewer than two axes.
    pub fn diagonal(&self) -> Tensor {
        assert!(
            self.ndim() >= 2,
            "diagonal requires a tensor of at least two dimensions, got shape {}",
            self.shape
        );
        counted(clamped(Op::Diagonal, 0, self.dtype()), |charged| {
            self.diagonal_kernel(charged)
        })
    }

    /// Copies the main diagonal over axes 0 and 1 to the last axis.
    fn diagonal_kernel(&self, charged: &Receipt) -> Tensor {
        let (dims, strides) = self.diagonal_walk();
        let pos = strided_positions(&dims, &strides, 0);
        Tensor::from_buffer(charged, gather(&self.buf, &pos), Shape::new(&dims))
    }

    /// Output dims `(r…, k)` and source strides of the main-diagonal walk.
    fn diagonal_walk(&self) -> (Vec<usize>, Vec<isize>) {
        let st = self.shape.strides();
        let nd = self.ndim();
        let mut dims: Vec<usize> = self.shape[2..].to_vec();
        let mut strides: Vec<isize> = st[2..nd].iter().map(|&s| s as isize).collect();
        dims.push(self.shape[0].min(self.shape[1]));
        strides.push((st[0] + st[1]) as isize);
        (dims, strides)
    }

    /// Sum of the main diagonal over axes 0 and 1 (numpy `np.trace`, offset 0).
    ///
    /// Shape contract: `(m, n, r…)` → `(r…)` (0-d for a matrix). Bool and int64 inputs sum in
    /// int64, as numpy does.
    /// FLOPs: `min(m, n) × numel / (m·n)` × rate of the accumulator dtype (0 when `m` or `n` is
    /// 0), under `trace`. The result is untagged.
    ///
    /// # Panics
    /// If the tensor has fewer than two axes.
    pub fn trace(&self) -> Tensor {
        assert!(
            self.ndim() >= 2,
            "trace requires a tensor of at least two dimensions, got shape {}",
            self.shape
        );
        let (m, n) = (self.shape[0], self.shape[1]);
        let acc = match self.dtype() {
            DType::Bool | DType::I64 => DType::I64,
            f => f,
        };
        let count = if m > 0 && n > 0 {
            m.min(n) * (self.numel() / (m * n))
        } else {
            0
        };
        counted(exact(Op::Trace, count as u64, acc), |charged| {
            let (dims, strides) = self.diagonal_walk();
            let k = dims[dims.len() - 1];
            let pos = strided_positions(&dims, &strides, 0);
            let out = Shape::new(&dims[..dims.len() - 1]);
            let m = out.numel();
            let buf = match &*self.buf.cast_if(acc) {
                Buffer::F32(v) => Buffer::F32(chunk_sums(v, &pos, k, m, |a, b| a + b, 0.0).into()),
                Buffer::F64(v) => Buffer::F64(chunk_sums(v, &pos, k, m, |a, b| a + b, 0.0).into()),
                Buffer::I64(v) => {
                    Buffer::I64(chunk_sums(v, &pos, k, m, i64::wrapping_add, 0).into())
                }
                Buffer::Bool(_) => unreachable!("bool traces accumulate in int64"),
            };
            Tensor::from_buffer(charged, buf, out)
        })
    }

    /// A copy with the main diagonal set to `value` (numpy `np.fill_diagonal(a, value)`, which
    /// works in place; flopscope tensors are immutable, so a new tensor is returned). `value`
    /// is cast to the tensor's dtype (truncated for int64, `!= 0` for bool).
    ///
    /// Shape contract: at least 2-D; beyond 2-D all axes must have equal length.
    /// FLOPs: the cells written, `min(m, n)` × rate (0 for an empty tensor), under
    /// `fill_diagonal`. The result is untagged (a write voids flopscope's tag).
    ///
    /// # Panics
    /// If the tensor is less than 2-D, or more than 2-D with unequal axis lengths.
    pub fn fill_diagonal(&self, value: f64) -> Tensor {
        let (cells, step) = fill_diagonal_walk(&self.shape);
        counted(
            exact(Op::FillDiagonal, cells as u64, self.dtype()),
            |charged| {
                let mut buf = (*self.buf).clone();
                set_positions(&mut buf, (0..cells).map(|i| i * step), value);
                Tensor::from_buffer(charged, buf, self.shape)
            },
        )
    }
}

/// flopscope's `transport_stack`: all inputs tagged → their tags shifted past the new axis `k`,
/// intersected; otherwise untagged.
fn stack_tag(tensors: &[&Tensor], k: usize, out_ndim: usize) -> Symmetry {
    let mut acc: Option<Symmetry> = None;
    for t in tensors {
        if !t.sym.is_tagged() {
            return Symmetry::NONE;
        }
        let mut blocks = blocks_of(&t.sym, t.ndim());
        blocks.insert(k, 0);
        let s = tag_from_blocks(&blocks);
        acc = Some(match acc {
            None => s,
            Some(a) => a.meet(&s, out_ndim),
        });
    }
    acc.unwrap_or(Symmetry::NONE)
}

/// flopscope's `transport_concatenate`: all inputs tagged with at least two tagged axes other
/// than `k` → their tags restricted to the other axes, intersected; otherwise untagged.
fn concat_tag(tensors: &[&Tensor], k: usize, out_ndim: usize) -> Symmetry {
    let mut acc: Option<Symmetry> = None;
    for t in tensors {
        let mut blocks = blocks_of(&t.sym, t.ndim());
        let others = (0..t.ndim()).filter(|&a| a != k && blocks[a] != 0).count();
        if !t.sym.is_tagged() || others < 2 {
            return Symmetry::NONE;
        }
        blocks[k] = 0;
        let s = tag_from_blocks(&blocks);
        acc = Some(match acc {
            None => s,
            Some(a) => a.meet(&s, out_ndim),
        });
    }
    acc.unwrap_or(Symmetry::NONE)
}

/// Test helper shared by the movement, index and sort tests.
#[cfg(test)]
pub(crate) mod probe {
    use crate::budget::BudgetContext;
    use crate::tensor::Tensor;

    /// Runs `f` and returns its result, the FLOPs it charged and the op rows it touched as
    /// `(op, flops, calls)` deltas (first-seen order).
    pub(crate) fn probe<T>(
        ctx: &BudgetContext,
        f: impl FnOnce() -> T,
    ) -> (T, u64, Vec<(&'static str, u64, u64)>) {
        let before = ctx.summary();
        let used = ctx.flops_used();
        let out = f();
        let after = ctx.summary();
        let rows = after
            .operations
            .iter()
            .filter_map(|r| {
                let (f0, c0) = before.op(r.op).map_or((0, 0), |b| (b.flop_cost, b.calls));
                (r.calls > c0).then_some((r.op, r.flop_cost - f0, r.calls - c0))
            })
            .collect();
        (out, ctx.flops_used() - used, rows)
    }

    /// The tagged axes of `t`, grouped by block (sorted).
    pub(crate) fn tag_axes(t: &Tensor) -> Vec<Vec<usize>> {
        let mut groups: Vec<(u8, Vec<usize>)> = Vec::new();
        for ax in 0..t.ndim() {
            let b = t.sym.block_of(ax);
            if b == 0 {
                continue;
            }
            match groups.iter_mut().find(|(id, _)| *id == b) {
                Some((_, g)) => g.push(ax),
                None => groups.push((b, vec![ax])),
            }
        }
        let mut out: Vec<Vec<usize>> = groups.into_iter().map(|(_, g)| g).collect();
        out.sort();
        out
    }

    /// A context large enough for any test.
    pub(crate) fn ctx() -> BudgetContext {
        match BudgetContext::new(u64::MAX / 4) {
            Ok(c) => c,
            Err(e) => panic!("test context: {e:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::probe::{ctx, probe, tag_axes};
    use crate::dtype::DType;
    use crate::tensor::Tensor;

    const DTYPES: [DType; 2] = [DType::F32, DType::F64];

    /// The probe doc's dense `X`-shaped operand (100, 50); values do not matter for billing.
    fn x(dt: DType) -> Tensor {
        Tensor::arange(0.0, 5000.0, 1.0, dt).reshape(&[100, 50])
    }

    fn small() -> Tensor {
        Tensor::from_vec((0..6).map(|i| i as f64).collect::<Vec<_>>(), [2, 3])
    }

    #[test]
    fn transposes_match_numpy_and_bill_nothing() {
        let ctx = ctx();
        let a = small();
        let (t, f, rows) = probe(&ctx, || a.t());
        assert_eq!((t.shape(), f, rows.len()), (&[3, 2][..], 0, 0));
        assert_eq!(t.to_vec::<f64>(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let (t, f, rows) = probe(&ctx, || a.transpose(&[1, 0]));
        assert_eq!(t.to_vec::<f64>(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!((f, rows), (0, vec![("transpose", 0, 1)]));
        let (t, _, rows) = probe(&ctx, || a.swapaxes(0, -1));
        assert_eq!(t.to_vec::<f64>(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(rows, vec![("swapaxes", 0, 1)]);
        let b = Tensor::from_vec((0..24).map(|i| i as f32).collect::<Vec<_>>(), [2, 3, 4]);
        let p = b.transpose(&[2, 0, 1]);
        assert_eq!(p.shape(), &[4, 2, 3]);
        assert_eq!(p.at(&[3, 1, 2]), b.at(&[1, 2, 3]));
        assert_eq!(b.transpose(&[]).shape(), &[4, 3, 2]);
    }

    #[test]
    fn probe_rows_dense_movement() {
        // flopscope 0.12.4 measured: X.reshape / ravel / flatten / .T / transpose / swapaxes / expand_dims / squeeze.
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let x = x(dt);
            assert_eq!(
                probe(&ctx, || x.reshape(&[5000])).2,
                vec![("reshape", 5000 * r, 1)]
            );
            let (y, _, rows) = probe(&ctx, || x.reshape(&[50, 100]));
            assert_eq!(
                (y.shape(), rows),
                (&[50, 100][..], vec![("reshape", 5000 * r, 1)])
            );
            assert_eq!(probe(&ctx, || x.reshape(&[-1, 25])).0.shape(), &[200, 25]);
            assert_eq!(probe(&ctx, || x.ravel()).2, vec![("ravel", 5000 * r, 1)]);
            assert_eq!(probe(&ctx, || x.flatten()).2, vec![("copy", 5000 * r, 1)]);
            assert_eq!(probe(&ctx, || x.t()).2, vec![]);
            assert_eq!(
                probe(&ctx, || x.transpose(&[])).2,
                vec![("transpose", 0, 1)]
            );
            assert_eq!(probe(&ctx, || x.swapaxes(0, 1)).2, vec![("swapaxes", 0, 1)]);
            let (e, _, rows) = probe(&ctx, || x.expand_dims(0));
            assert_eq!(
                (e.shape(), rows),
                (&[1, 100, 50][..], vec![("expand_dims", 0, 1)])
            );
            let (s, _, rows) = probe(&ctx, || e.squeeze());
            assert_eq!((s.shape(), rows), (&[100, 50][..], vec![("squeeze", 0, 1)]));
        }
    }

    #[test]
    fn probe_rows_tagged_movement() {
        // flopscope 0.12.4 measured: A = ones((10,10)) tagged S2.
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let a = Tensor::ones([10, 10], dt);
            let (t, f, rows) = probe(&ctx, || a.t());
            assert_eq!((tag_axes(&t), f, rows.len()), (vec![vec![0, 1]], 0, 0));
            let (t, _, rows) = probe(&ctx, || a.transpose(&[]));
            assert_eq!(
                (tag_axes(&t), rows),
                (vec![vec![0, 1]], vec![("transpose", 0, 1)])
            );
            let (t, f, _) = probe(&ctx, || a.reshape(&[100]));
            assert_eq!((t.is_symmetric(), f), (false, 100 * r));
            let (t, f, _) = probe(&ctx, || a.reshape(&[10, 10]));
            assert_eq!((tag_axes(&t), f), (vec![vec![0, 1]], 100 * r));
            let (t, f, _) = probe(&ctx, || a.reshape(&[1, 10, 10]));
            assert_eq!((tag_axes(&t), f), (vec![vec![1, 2]], 100 * r));
            let (t, f, _) = probe(&ctx, || a.reshape(&[5, 20]));
            assert_eq!((t.is_symmetric(), f), (false, 100 * r));
            let (t, _, rows) = probe(&ctx, || a.ravel());
            assert_eq!(
                (t.is_symmetric(), rows),
                (false, vec![("ravel", 100 * r, 1)])
            );
            let (t, _, rows) = probe(&ctx, || a.flatten());
            assert_eq!(
                (t.is_symmetric(), rows),
                (false, vec![("ravel", 100 * r, 1)])
            );
        }
    }

    #[test]
    fn reshape_tag_transport_follows_flopscope() {
        // Oracle checks: padding axes keep the block; a Young group of unequal extents never
        // survives a reshape (flopscope quirk), even to the same shape.
        let ctx = ctx();
        let a = Tensor::ones([10, 10], DType::F64);
        assert_eq!(tag_axes(&a.reshape(&[1, 10, 1, 10])), vec![vec![1, 3]]);
        assert_eq!(tag_axes(&a.reshape(&[10, 10, 1])), vec![vec![0, 1]]);
        let bt = Tensor::ones([3, 10, 10], DType::F64);
        assert_eq!(tag_axes(&bt.reshape(&[3, 10, 1, 10])), vec![vec![1, 3]]);
        assert_eq!(tag_axes(&bt.reshape(&[1, 3, 10, 10])), vec![vec![2, 3]]);
        assert!(!bt.reshape(&[3, 100]).is_symmetric());
        let y4 = Tensor::ones([2, 2, 3, 3], DType::F64);
        let (t, f, _) = probe(&ctx, || y4.reshape(&[2, 2, 3, 3]));
        assert_eq!((t.is_symmetric(), f), (false, 72));
    }

    #[test]
    fn expand_dims_and_squeeze_move_the_tag() {
        let ctx = ctx();
        let a = Tensor::ones([10, 10], DType::F64);
        let e = a.expand_dims(1);
        assert_eq!(
            (e.shape(), tag_axes(&e)),
            (&[10, 1, 10][..], vec![vec![0, 2]])
        );
        assert_eq!(tag_axes(&a.expand_dims(-1)), vec![vec![0, 1]]);
        assert_eq!(tag_axes(&e.squeeze()), vec![vec![0, 1]]);
        // Squeezing a tagged axis drops every block (ones((1,1,3,3)) has two).
        let o = Tensor::ones([1, 1, 3, 3], DType::F64);
        let (s, _, rows) = probe(&ctx, || o.squeeze());
        assert_eq!((s.shape(), s.is_symmetric()), (&[3, 3][..], false));
        assert_eq!(rows, vec![("squeeze", 0, 1)]);
        assert_eq!(small().expand_dims(0).squeeze_axis(0).shape(), &[2, 3]);
    }

    #[test]
    fn stack_and_concatenate_numerics() {
        let ctx = ctx();
        let a = small();
        let b = &a + 10.0;
        let s0 = Tensor::stack(&[&a, &b], 0);
        assert_eq!(s0.shape(), &[2, 2, 3]);
        assert_eq!(s0.at(&[1, 1, 2]), 15.0);
        let s2 = Tensor::stack(&[&a, &b], -1);
        assert_eq!(s2.shape(), &[2, 3, 2]);
        assert_eq!(s2.to_vec::<f64>()[..4], [0.0, 10.0, 1.0, 11.0]);
        let c1 = Tensor::concatenate(&[&a, &b], 1);
        assert_eq!(c1.shape(), &[2, 6]);
        assert_eq!(
            c1.row(1).to_vec::<f64>(),
            vec![3.0, 4.0, 5.0, 13.0, 14.0, 15.0]
        );
        let c0 = Tensor::concatenate(&[&a, &b.row(0).expand_dims(0)], 0);
        assert_eq!(c0.shape(), &[3, 3]);
        assert_eq!(c0.row(-1).to_vec::<f64>(), vec![10.0, 11.0, 12.0]);
        // Mixed dtypes promote (int64 + f32 → f64, billed at rate 2: oracle 24 for 2×(2,3)).
        let i = Tensor::from_vec((0..6).collect::<Vec<i64>>(), [2, 3]);
        let f = Tensor::ones([2, 3], DType::F32);
        let (c, cost, _) = probe(&ctx, || Tensor::concatenate(&[&i, &f], 0));
        assert_eq!((c.dtype(), cost), (DType::F64, 24));
        assert_eq!(probe(&ctx, || Tensor::stack(&[&i, &f], 0)).1, 24);
    }

    #[test]
    fn probe_rows_stack_concatenate() {
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let (x, y) = (x(dt), x(dt));
            for axis in [0, 1] {
                let (_, _, rows) = probe(&ctx, || Tensor::stack(&[&x, &y], axis));
                assert_eq!(rows, vec![("stack", 10000 * r, 1)]);
                let (_, _, rows) = probe(&ctx, || Tensor::concatenate(&[&x, &y], axis));
                assert_eq!(rows, vec![("concatenate", 10000 * r, 1)]);
            }
            // flopscope 0.12.4 measured: stack([A, B]) tagged on (1, 2); stack([A, G]) and concatenate untagged.
            let a = Tensor::ones([10, 10], dt);
            let b = Tensor::full([10, 10], 2.0, dt);
            let g = x.index(&[(0..10).into(), (0..10).into()]);
            let (s, f, _) = probe(&ctx, || Tensor::stack(&[&a, &b], 0));
            assert_eq!((tag_axes(&s), f), (vec![vec![1, 2]], 200 * r));
            let (s, f, _) = probe(&ctx, || Tensor::stack(&[&a, &g], 0));
            assert_eq!((s.is_symmetric(), f), (false, 200 * r));
            let (c, f, _) = probe(&ctx, || Tensor::concatenate(&[&a, &b], 0));
            assert_eq!((c.is_symmetric(), f), (false, 200 * r));
        }
    }

    #[test]
    fn stack_and_concatenate_tags_follow_the_oracle() {
        let ctx = ctx();
        let a = Tensor::ones([10, 10], DType::F64);
        let b = Tensor::full([10, 10], 2.0, DType::F64);
        assert_eq!(tag_axes(&Tensor::stack(&[&a, &b], 1)), vec![vec![0, 2]]);
        assert_eq!(tag_axes(&Tensor::stack(&[&a, &b], 2)), vec![vec![0, 1]]);
        let t3 = Tensor::ones([4, 4, 4], DType::F64);
        assert_eq!(
            tag_axes(&Tensor::stack(&[&t3, &t3], 0)),
            vec![vec![1, 2, 3]]
        );
        assert_eq!(
            tag_axes(&Tensor::concatenate(&[&t3, &t3], 0)),
            vec![vec![1, 2]]
        );
        let bt = Tensor::ones([3, 10, 10], DType::F64);
        let (c, f, _) = probe(&ctx, || Tensor::concatenate(&[&bt, &bt], 0));
        assert_eq!((tag_axes(&c), f), (vec![vec![1, 2]], 1200));
        assert!(!Tensor::concatenate(&[&bt, &bt], 1).is_symmetric());
        let y4 = Tensor::ones([2, 2, 3, 3], DType::F64);
        assert_eq!(
            tag_axes(&Tensor::concatenate(&[&y4, &y4], 0)),
            vec![vec![2, 3]]
        );
        assert!(!Tensor::concatenate(&[&a, &a], 1).is_symmetric());
    }

    #[test]
    fn probe_rows_diagonals() {
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let v = Tensor::arange(1.0, 51.0, 1.0, dt);
            let (d, _, rows) = probe(&ctx, || v.diag());
            assert_eq!((d.shape(), tag_axes(&d)), (&[50, 50][..], vec![vec![0, 1]]));
            assert_eq!(rows, vec![("diag", 50 * r, 1)]);
            assert_eq!((d.at(&[3, 3]), d.at(&[3, 4])), (4.0, 0.0));
            let sq = Tensor::ones([32, 32], dt).astype(dt);
            let (e, _, rows) = probe(&ctx, || sq.diag());
            assert_eq!((e.shape(), e.is_symmetric()), (&[32][..], false));
            assert_eq!(rows, vec![("diag", 0, 1)]);
            let x = x(dt);
            let (e, _, rows) = probe(&ctx, || x.diag());
            assert_eq!((e.shape(), rows), (&[50][..], vec![("diag", 0, 1)]));
            assert_eq!(e.at(&[2]), 102.0);
            let (e, _, rows) = probe(&ctx, || x.diagonal());
            assert_eq!(
                (e.to_vec::<f64>()[..2].to_vec(), rows),
                (vec![0.0, 51.0], vec![("diagonal", 0, 1)])
            );
            let (t, _, rows) = probe(&ctx, || x.trace());
            let want: f64 = (0..50).map(|i| (i * 51) as f64).sum();
            assert_eq!(
                (t.shape(), t.item(), rows),
                (&[][..], want, vec![("trace", 50 * r, 1)])
            );
            assert_eq!(probe(&ctx, || sq.trace()).2, vec![("trace", 32 * r, 1)]);
            // flopscope 0.12.4 measured: np.trace(A), np.diagonal(A), np.diag(A) on A = ones((10,10)).
            let a = Tensor::ones([10, 10], dt);
            assert_eq!(probe(&ctx, || a.trace()).2, vec![("trace", 10 * r, 1)]);
            assert_eq!(probe(&ctx, || a.diagonal()).2, vec![("diagonal", 0, 1)]);
            assert_eq!(probe(&ctx, || a.diag()).2, vec![("diag", 0, 1)]);
        }
    }

    #[test]
    fn trace_and_diag_edge_cases_follow_the_oracle() {
        let ctx = ctx();
        // trace of a bool matrix accumulates (and bills) in int64; 3-D traces bill per lane.
        let m = Tensor::ones([3, 3], DType::F64).gt(0.0);
        let (t, f, _) = probe(&ctx, || m.trace());
        assert_eq!((t.dtype(), t.item(), f), (DType::I64, 3.0, 6));
        let t3 = Tensor::ones([4, 4, 4], DType::F64);
        let (t, f, _) = probe(&ctx, || t3.trace());
        assert_eq!(
            (t.shape(), t.to_vec::<f64>(), f),
            (&[4][..], vec![4.0; 4], 32)
        );
        // diag of an empty vector records 0 FLOPs and is tagged.
        let empty = Tensor::zeros([0], DType::F64);
        let (d, f, rows) = probe(&ctx, || empty.diag());
        assert_eq!((d.shape(), d.is_symmetric(), f), (&[0, 0][..], true, 0));
        assert_eq!(rows, vec![("diag", 0, 1)]);
        let e2 = Tensor::zeros([0, 3], DType::F64);
        let (t, f, rows) = probe(&ctx, || e2.trace());
        assert_eq!((t.item(), f, rows), (0.0, 0, vec![("trace", 0, 1)]));
    }

    #[test]
    fn probe_rows_fill_diagonal() {
        let ctx = ctx();
        for dt in DTYPES {
            let r = dt.rate();
            let z = Tensor::zeros([32, 32], dt);
            let (y, _, rows) = probe(&ctx, || z.fill_diagonal(1.0));
            assert_eq!(rows, vec![("fill_diagonal", 32 * r, 1)]);
            assert_eq!(
                (y.is_symmetric(), y.at(&[5, 5]), y.at(&[5, 6])),
                (false, 1.0, 0.0)
            );
            assert_eq!(z.at(&[5, 5]), 0.0, "the input is unchanged");
            let z = Tensor::zeros([100, 50], dt);
            let (y, _, rows) = probe(&ctx, || z.fill_diagonal(1.0));
            assert_eq!(rows, vec![("fill_diagonal", 50 * r, 1)]);
            assert_eq!(y.sum().item(), 50.0);
        }
        // Oracle: (4,4,4) f64 → 8; (3,4) f64 → 6; wide matrices fill min(m, n) cells.
        let t3 = Tensor::zeros([4, 4, 4], DType::F64);
        let (y, f, _) = probe(&ctx, || t3.fill_diagonal(2.0));
        assert_eq!((f, y.at(&[3, 3, 3]), y.sum().item()), (8, 2.0, 8.0));
        let w = Tensor::zeros([3, 4], DType::F64);
        let (y, f, _) = probe(&ctx, || w.fill_diagonal(1.0));
        assert_eq!(
            (f, y.to_vec::<f64>()),
            (6, vec![1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., 0.])
        );
    }

    #[test]
    #[should_panic(expected = "cannot reshape")]
    fn reshape_rejects_a_wrong_size() {
        let _ctx = ctx();
        let _ = small().reshape(&[4, -1]);
    }

    #[test]
    #[should_panic(expected = "repeated axis")]
    fn transpose_rejects_a_repeated_axis() {
        let _ctx = ctx();
        let _ = small().transpose(&[0, 0]);
    }

    #[test]
    #[should_panic(expected = "same shape")]
    fn stack_rejects_mismatched_shapes() {
        let _ctx = ctx();
        let a = small();
        let _ = Tensor::stack(&[&a, &a.t()], 0);
    }
}
