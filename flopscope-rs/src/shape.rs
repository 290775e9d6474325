//! Inline, allocation-free tensor shapes and numpy broadcasting.

use std::fmt;
use std::ops::Deref;

/// Most axes a [`crate::Tensor`] may have.
pub const MAX_NDIM: usize = 8;

/// A tensor shape stored inline (no heap allocation), up to [`MAX_NDIM`] axes.
#[derive(Clone, Copy)]
pub struct Shape {
    dims: [usize; MAX_NDIM],
    /// A full word, so copying a shape right after setting it never stalls on store forwarding.
    ndim: usize,
}

impl PartialEq for Shape {
    /// Same number of axes and the same lengths. Compares all [`MAX_NDIM`] slots without
    /// branching (axes past `ndim` masked out): every op compares shapes, and a `memcmp` call
    /// costs more than the comparison.
    #[inline]
    fn eq(&self, other: &Shape) -> bool {
        let n = self.ndim;
        let diff = (0..MAX_NDIM).fold(0, |d, i| {
            let live = if i < n { usize::MAX } else { 0 };
            d | ((self.dims[i] ^ other.dims[i]) & live)
        });
        self.ndim == other.ndim && diff == 0
    }
}

impl Eq for Shape {}

impl std::hash::Hash for Shape {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.dims[..self.ndim].hash(state);
    }
}

impl Shape {
    /// The 0-d (scalar) shape `()`.
    pub const SCALAR: Shape = Shape {
        dims: [0; MAX_NDIM],
        ndim: 0,
    };

    /// Builds a shape from its axis lengths.
    ///
    /// # Panics
    /// If `dims.len() > MAX_NDIM`.
    pub fn new(dims: &[usize]) -> Shape {
        assert!(
            dims.len() <= MAX_NDIM,
            "tensors support at most {MAX_NDIM} axes, got a shape with {}",
            dims.len()
        );
        let mut s = Shape::SCALAR;
        s.dims[..dims.len()].copy_from_slice(dims);
        s.ndim = dims.len();
        s
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.ndim
    }

    /// Number of elements (1 for a 0-d shape).
    pub fn numel(&self) -> usize {
        self.iter().product()
    }

    /// Row-major (C-order) strides in elements.
    pub fn strides(&self) -> [usize; MAX_NDIM] {
        let mut st = [0usize; MAX_NDIM];
        let mut acc = 1;
        for ax in (0..self.ndim()).rev() {
            st[ax] = acc;
            acc *= self.dims[ax];
        }
        st
    }

    /// numpy broadcasting of two shapes, or `None` when they are incompatible.
    pub fn broadcast(a: &Shape, b: &Shape) -> Option<Shape> {
        if a == b {
            return Some(*a);
        }
        let n = a.ndim().max(b.ndim());
        let mut out = [0usize; MAX_NDIM];
        for i in 0..n {
            let da = if i < a.ndim() {
                a.dims[a.ndim() - 1 - i]
            } else {
                1
            };
            let db = if i < b.ndim() {
                b.dims[b.ndim() - 1 - i]
            } else {
                1
            };
            out[n - 1 - i] = match (da, db) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return None,
            };
        }
        Some(Shape::new(&out[..n]))
    }

    /// Strides (in elements) that read a tensor of shape `self` as if it had shape `target`:
    /// broadcast axes get stride 0. `target` must be a broadcast of `self`.
    pub fn broadcast_strides(&self, target: &Shape) -> [usize; MAX_NDIM] {
        let own = self.strides();
        let mut out = [0usize; MAX_NDIM];
        let off = target.ndim() - self.ndim();
        for ax in 0..self.ndim() {
            out[ax + off] = if self.dims[ax] == 1 { 0 } else { own[ax] };
        }
        out
    }

    /// Normalises a possibly negative axis index (numpy style) into `0..ndim`.
    ///
    /// # Panics
    /// If the axis is out of range.
    pub fn axis(&self, axis: isize) -> usize {
        let n = self.ndim() as isize;
        let a = if axis < 0 { axis + n } else { axis };
        assert!(
            (0..n).contains(&a),
            "axis {axis} is out of bounds for a tensor of dimension {n}"
        );
        a as usize
    }

    /// The shape with axis `axis` removed.
    pub fn remove_axis(&self, axis: usize) -> Shape {
        let mut v = [0usize; MAX_NDIM];
        let mut k = 0;
        for (i, &d) in self.iter().enumerate() {
            if i != axis {
                v[k] = d;
                k += 1;
            }
        }
        Shape::new(&v[..k])
    }

    /// The shape with axis `axis` set to length 1.
    pub fn keep_axis(&self, axis: usize) -> Shape {
        let mut s = *self;
        s.dims[axis] = 1;
        s
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.dims[..self.ndim]
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(")?;
        for (i, d) in self.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        if self.ndim() == 1 {
            write!(f, ",")?;
        }
        write!(f, ")")
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Shape {
        Shape::new(d)
    }
}
impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Shape {
        Shape::new(&d)
    }
}
impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(d: &[usize; N]) -> Shape {
        Shape::new(d)
    }
}
impl From<&Vec<usize>> for Shape {
    fn from(d: &Vec<usize>) -> Shape {
        Shape::new(d)
    }
}
impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Shape {
        Shape::new(&d)
    }
}
impl From<usize> for Shape {
    fn from(n: usize) -> Shape {
        Shape::new(&[n])
    }
}
impl From<()> for Shape {
    fn from(_: ()) -> Shape {
        Shape::SCALAR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        let a = Shape::new(&[4, 1, 3]);
        let b = Shape::new(&[5, 3]);
        assert_eq!(&*Shape::broadcast(&a, &b).unwrap(), &[4, 5, 3]);
        assert!(Shape::broadcast(&Shape::new(&[3]), &Shape::new(&[4])).is_none());
        assert_eq!(&*Shape::broadcast(&Shape::SCALAR, &b).unwrap(), &[5, 3]);
    }

    #[test]
    fn broadcast_strides_zero_out_stretched_axes() {
        let a = Shape::new(&[1, 3]);
        let t = Shape::new(&[2, 4, 3]);
        assert_eq!(&a.broadcast_strides(&t)[..3], &[0, 0, 1]);
    }

    #[test]
    fn debug_prints_like_numpy() {
        assert_eq!(format!("{:?}", Shape::new(&[3])), "(3,)");
        assert_eq!(format!("{:?}", Shape::new(&[2, 3])), "(2, 3)");
        assert_eq!(format!("{:?}", Shape::SCALAR), "()");
    }
}
