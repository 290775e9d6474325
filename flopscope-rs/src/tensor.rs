//! The `Tensor` type: an immutable, cheaply cloned, row-major n-d array with a runtime dtype.

use std::fmt;

use crate::budget::{clamped, counted, without_kernel, Op, Receipt};
use crate::dtype::DType;
use crate::element::{Buffer, Element};
use crate::elements::Elements;
use crate::shape::Shape;
use crate::storage::{SharedElements, Storage};
use crate::symmetry::Symmetry;

/// An n-dimensional array (0-d up to [`crate::MAX_NDIM`] axes) with a runtime [`DType`].
///
/// Tensors are immutable values: clones share the buffer (an `Arc`), and every operator returns a
/// new tensor. Every counted operator charges the current [`crate::BudgetContext`] before it
/// runs, at flopscope 0.12.4's prices (each method's doc names its cost).
///
/// Like flopscope, a tensor can carry a *symmetry tag* (e.g. `ones((n, n))`, `eye(n)`,
/// `outer(x, x)`): elementwise ops on symmetric operands bill only the unique elements.
#[derive(Clone)]
pub struct Tensor {
    pub(crate) buf: Elements,
    pub(crate) shape: Shape,
    /// flopscope's symmetry tag (blocks of interchangeable axes).
    pub(crate) sym: Symmetry,
}

impl Tensor {
    /// Wraps a kernel's result buffer. The [`Receipt`] proves the kernel runs inside the charge
    /// step ([`crate::budget::counted`] and friends), so no op can forget to charge.
    pub(crate) fn from_buffer(_charged: &Receipt, buf: Buffer, shape: Shape) -> Tensor {
        debug_assert_eq!(buf.len(), shape.numel(), "buffer/shape mismatch");
        Tensor::from_elements(_charged, Elements::new(buf), shape)
    }

    /// Same as [`Tensor::from_buffer`] for an element handle (e.g. a deferred transpose).
    pub(crate) fn from_elements(_charged: &Receipt, buf: Elements, shape: Shape) -> Tensor {
        Tensor {
            buf,
            shape,
            sym: Symmetry::NONE,
        }
    }

    /// Same as [`Tensor::from_buffer`] from a typed vector.
    pub(crate) fn from_elems<T: Element>(charged: &Receipt, v: Vec<T>, shape: Shape) -> Tensor {
        Tensor::from_buffer(charged, T::wrap(v.into()), shape)
    }

    /// Returns the tensor with its symmetry tag replaced by `sym`.
    pub(crate) fn with_symmetry(mut self, sym: Symmetry) -> Tensor {
        self.sym = sym;
        self
    }

    /// Elements an elementwise op on this tensor bills: `U` if tagged, else numel.
    pub(crate) fn billed_elements(&self) -> u64 {
        self.sym.unique(&self.shape)
    }

    /// Builds a tensor from row-major data (numpy `array(data).reshape(shape)`).
    ///
    /// Shape contract: `data.len()` equals the product of `shape`.
    /// FLOPs: `array`, numel × rate (the copy numpy makes).
    ///
    /// # Panics
    /// If the length does not match the shape.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        assert_eq!(
            data.len(),
            shape.numel(),
            "from_vec: {} elements cannot fill shape {shape}",
            data.len()
        );
        counted(clamped(Op::Array, shape.numel() as u64, T::DTYPE), |r| {
            Tensor::from_elems(r, data, shape)
        })
    }

    /// Wraps elements `range` of memory shared with its owner, without copying (numpy
    /// `asarray` of an existing array). The tensor, its clones and every tensor that reuses its
    /// buffer keep `owner` alive; the last one to go drops it. Ops never write to `owner`.
    /// The owner is a [`SharedElements`], which only flopscope makes and whose slice is fixed
    /// when it is made, so no code of the caller's runs when kernels read the tensor.
    ///
    /// Shape contract: `range.len()` equals the product of `shape`.
    /// FLOPs: none (like `asarray` without a copy, which flopscope bills 0).
    ///
    /// # Panics
    /// If `range` is outside `owner`'s elements or its length does not match the shape.
    pub fn from_shared<T: Element>(
        owner: SharedElements<T>,
        range: std::ops::Range<usize>,
        shape: impl Into<Shape>,
    ) -> Tensor {
        let shape = shape.into();
        assert_eq!(
            range.len(),
            shape.numel(),
            "from_shared: {} elements cannot fill shape {shape}",
            range.len()
        );
        without_kernel(|r| Tensor::from_buffer(r, T::wrap(Storage::shared(owner, range)), shape))
    }

    /// Whether the elements are memory shared with an outside owner ([`Tensor::from_shared`])
    /// rather than owned by the tensor.
    pub fn is_shared_memory(&self) -> bool {
        self.buf.is_shared()
    }

    /// A 0-d tensor holding `value` (numpy `array(value)`). FLOPs: `array`, 1 × rate.
    pub fn scalar<T: Element>(value: T) -> Tensor {
        Tensor::from_vec(vec![value], Shape::SCALAR)
    }

    /// The shape (axis lengths).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The shape as a [`Shape`] value.
    pub fn shape_value(&self) -> Shape {
        self.shape
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.buf.dtype()
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.ndim()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    /// Whether flopscope would treat this tensor as symmetric (carries a symmetry tag).
    pub fn is_symmetric(&self) -> bool {
        self.sym.is_tagged()
    }

    /// Number of elements flopscope bills for this tensor in elementwise ops: the unique
    /// elements under its symmetry tag (numel when untagged).
    pub fn unique_elements(&self) -> u64 {
        self.billed_elements()
    }

    /// Row-major elements as `T` (a free read-out, like `np.asarray` on the host side).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        self.buf.to_vec::<T>()
    }

    /// Borrows the elements if the tensor's dtype is `T` (free).
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        T::slice(&self.buf)
    }

    /// The single element of a one-element tensor as `f64` (free, like Python's `float(x)`).
    ///
    /// # Panics
    /// If the tensor does not have exactly one element.
    pub fn item(&self) -> f64 {
        assert_eq!(
            self.numel(),
            1,
            "item() needs a one-element tensor, got shape {}",
            self.shape
        );
        self.buf.get_f64(0)
    }

    /// Element at a multi-index, as `f64` (free).
    ///
    /// # Panics
    /// If the index has the wrong length or is out of bounds.
    pub fn at(&self, index: &[usize]) -> f64 {
        assert_eq!(
            index.len(),
            self.ndim(),
            "at(): index {index:?} has the wrong length for shape {}",
            self.shape
        );
        let st = self.shape.strides();
        let mut off = 0;
        for (ax, &i) in index.iter().enumerate() {
            assert!(
                i < self.shape[ax],
                "at(): index {i} is out of bounds for axis {ax} with size {}",
                self.shape[ax]
            );
            off += i * st[ax];
        }
        self.buf.get_f64(off)
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor(shape={}, dtype={}, ", self.shape, self.dtype())?;
        fmt::Display::fmt(self, f)?;
        write!(f, ")")
    }
}

impl fmt::Display for Tensor {
    /// numpy-like nested brackets; long axes are elided with `...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn rec(t: &Tensor, f: &mut fmt::Formatter<'_>, axis: usize, off: usize) -> fmt::Result {
            if axis == t.ndim() {
                return match &*t.buf {
                    Buffer::Bool(v) => write!(f, "{}", v[off]),
                    Buffer::I64(v) => write!(f, "{}", v[off]),
                    Buffer::F32(v) => write!(f, "{}", v[off]),
                    Buffer::F64(v) => write!(f, "{}", v[off]),
                };
            }
            let st = t.shape.strides();
            let n = t.shape[axis];
            write!(f, "[")?;
            for i in 0..n {
                if n > 8 && i == 3 {
                    write!(f, ", ...")?;
                }
                if n > 8 && (3..n - 3).contains(&i) {
                    continue;
                }
                if i > 0 {
                    write!(f, ", ")?;
                }
                rec(t, f, axis + 1, off + i * st[axis])?;
            }
            write!(f, "]")
        }
        rec(self, f, 0, 0)
    }
}
