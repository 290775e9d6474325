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

struct Inner {
    /// The row-major elements, once they exist.
    ready: OnceLock<Buffer>,
    /// Set when the elements are the transpose of `source` and not copied yet.
    pending: Option<Transposed>,
}

/// The transpose of a row-major `rows × cols` matrix held by `source` (a ready handle).
struct Transposed {
    source: Elements,
    rows: usize,
    cols: usize,
}

impl Elements {
    /// A handle owning `buf`.
    pub(crate) fn new(buf: Buffer) -> Elements {
        Elements(Arc::new(Inner {
            ready: OnceLock::from(buf),
            pending: None,
        }))
    }

    /// A new handle to the transpose of the row-major `rows × cols` matrix in `source`; the
    /// copy is deferred until something reads the elements row-major.
    pub(crate) fn transpose_of(source: &Elements, rows: usize, cols: usize) -> Elements {
        // Reading `source` makes it ready, so a transpose of a transpose copies once.
        let _ready: &Buffer = source;
        Elements(Arc::new(Inner {
            ready: OnceLock::new(),
            pending: Some(Transposed {
                source: source.clone(),
                rows,
                cols,
            }),
        }))
    }

    /// If these elements are a transpose not copied yet: the row-major `rows × cols` source
    /// buffer they transpose, with `rows` and `cols`.
    pub(crate) fn pending_transpose(&self) -> Option<(&Buffer, usize, usize)> {
        if self.0.ready.get().is_some() {
            return None;
        }
        let t = self.0.pending.as_ref()?;
        Some((&t.source, t.rows, t.cols))
    }

    /// The elements' dtype, read without copying a pending transpose (so `x.t().matmul(&x)`
    /// still reads `x` in place).
    pub(crate) fn dtype(&self) -> DType {
        match (self.0.ready.get(), &self.0.pending) {
            (Some(buf), _) => buf.dtype(),
            (None, Some(t)) => t.source.dtype(),
            (None, None) => unreachable!("a handle without a pending transpose is created ready"),
        }
    }

    /// Whether two handles are the same object.
    pub(crate) fn ptr_eq(a: &Elements, b: &Elements) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for Elements {
    type Target = Buffer;

    fn deref(&self) -> &Buffer {
        self.0.ready.get_or_init(|| match &self.0.pending {
            Some(t) => map_buffer!(&*t.source, |v| transpose_2d(v, t.rows, t.cols)),
            None => unreachable!("a handle without a pending transpose is created ready"),
        })
    }
}
