//! A tensor's element handle: a shared row-major buffer, or the transpose of another matrix's
//! buffer that is copied only when something first reads it row-major. Matrix products read
//! the pending transpose in place (as a strided view), so `x.t().matmul(&x)` copies nothing.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use crate::dtype::DType;
use crate::element::Buffer;
use crate::kernels::transpose_2d;
use crate::ops::movement::map_buffer;

/// A cheaply cloned handle to a tensor's elements; clones are the same handle (flopscope's
/// "same object"). Dereferences to the row-major [`Buffer`], copying a pending transpose once.
#[derive(Clone)]
pub(crate) struct Elements(Arc<Inner>);

/// What a handle holds. A kernel's result is `Ready` from the start, so making one runs no
/// synchronisation (a `OnceLock` would run its `Once` on every new tensor).
enum Inner {
    /// Row-major elements.
    Ready(Buffer),
    /// The transpose of the row-major `rows × cols` matrix held by `source` (a ready handle),
    /// copied into `copy` when something first reads it row-major.
    Transposed {
        copy: OnceLock<Buffer>,
        source: Elements,
        rows: usize,
        cols: usize,
    },
}

impl Elements {
    /// A handle owning `buf`.
    #[inline]
    pub(crate) fn new(buf: Buffer) -> Elements {
        Elements(Arc::new(Inner::Ready(buf)))
    }

    /// A new handle to the transpose of the row-major `rows × cols` matrix in `source`; the
    /// copy is deferred until something reads the elements row-major.
    pub(crate) fn transpose_of(source: &Elements, rows: usize, cols: usize) -> Elements {
        // Reading `source` makes it ready, so a transpose of a transpose copies once.
        let _ready: &Buffer = source;
        Elements(Arc::new(Inner::Transposed {
            copy: OnceLock::new(),
            source: source.clone(),
            rows,
            cols,
        }))
    }

    /// If these elements are a transpose not copied yet: the row-major `rows × cols` source
    /// buffer they transpose, with `rows` and `cols`.
    pub(crate) fn pending_transpose(&self) -> Option<(&Buffer, usize, usize)> {
        match &*self.0 {
            Inner::Transposed {
                copy,
                source,
                rows,
                cols,
            } if copy.get().is_none() => Some((source, *rows, *cols)),
            _ => None,
        }
    }

    /// The elements' dtype, read without copying a pending transpose (so `x.t().matmul(&x)`
    /// still reads `x` in place).
    pub(crate) fn dtype(&self) -> DType {
        match &*self.0 {
            Inner::Ready(buf) => buf.dtype(),
            Inner::Transposed { source, .. } => source.dtype(),
        }
    }

    /// Whether two handles are the same object.
    pub(crate) fn ptr_eq(a: &Elements, b: &Elements) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for Elements {
    type Target = Buffer;

    #[inline]
    fn deref(&self) -> &Buffer {
        match &*self.0 {
            Inner::Ready(buf) => buf,
            Inner::Transposed {
                copy,
                source,
                rows,
                cols,
            } => copy.get_or_init(|| map_buffer!(&**source, |v| transpose_2d(v, *rows, *cols))),
        }
    }
}
