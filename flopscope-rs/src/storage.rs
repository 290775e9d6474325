//! Element storage behind a tensor's buffer: an owned vector, or a range of memory shared with
//! whoever owns it (e.g. MLP weights the runner keeps alive), never copied to be read.

use std::any::Any;
use std::fmt;
use std::ops::{Deref, DerefMut, Range};
use std::panic::RefUnwindSafe;
use std::sync::Arc;

use crate::buffer::{collected_vec, copied_vec};

/// Memory a tensor can borrow without copying ([`crate::Tensor::from_shared`]); cloning it
/// shares the same memory, and dropping the last clone (and the last tensor over it) frees it.
///
/// Only flopscope makes one: from a `Vec<T>` or `Box<[T]>` it takes over, or from foreign
/// memory through the `unsafe` [`SharedElements::from_foreign`] (how a runner lends MLP
/// weights). The slice is fixed when the value is made, so reading a shared tensor runs no
/// code of the owner's: an estimator cannot hide work in an owner's accessor (which would run
/// inside kernel timing).
///
/// ```
/// use flopscope::{SharedElements, Tensor};
/// let owner = SharedElements::from(vec![1.0f32, 2.0, 3.0, 4.0]);
/// let t = Tensor::from_shared(owner, 0..4, [2, 2]);
/// assert!(t.is_shared_memory());
/// ```
///
/// A type of one's own does not convert:
///
/// ```compile_fail
/// use std::sync::Arc;
/// struct Lazy;
/// impl AsRef<[f32]> for Lazy {
///     fn as_ref(&self) -> &[f32] { &[] }
/// }
/// let _ = flopscope::Tensor::from_shared::<f32>(Arc::new(Lazy), 0..0, [0]);
/// ```
pub struct SharedElements<T: 'static> {
    owner: Arc<Owner<T>>,
}

impl<T: 'static> Clone for SharedElements<T> {
    fn clone(&self) -> SharedElements<T> {
        SharedElements {
            owner: self.owner.clone(),
        }
    }
}

/// What keeps shared elements alive.
enum Owner<T: 'static> {
    /// Elements flopscope owns.
    Elements(Box<[T]>),
    /// `len` elements at `ptr`, valid until `_keeper` is dropped.
    Foreign {
        ptr: *const T,
        len: usize,
        _keeper: Box<dyn Any + Send + Sync + RefUnwindSafe>,
    },
}

// SAFETY: `Elements` is a `Box<[T]>`, `Send` for `T: Send`. `Foreign` memory is only read, and
// the contract of `from_foreign` makes it valid and unchanged on any thread until the keeper
// (itself `Send + Sync`) is dropped; sharing it across threads needs `T: Sync`, moving the
// last owner needs `T: Send`.
unsafe impl<T: Send + Sync + 'static> Send for Owner<T> {}
// SAFETY: see `Send`: shared access only reads memory that nobody changes.
unsafe impl<T: Send + Sync + 'static> Sync for Owner<T> {}

impl<T: 'static> SharedElements<T> {
    /// Shares `len` elements at `ptr` owned by someone else; `keeper` is dropped when the last
    /// clone and tensor over them are gone (dropping it may release the memory).
    ///
    /// # Safety
    /// Unless `len` is 0, `ptr` points to `len` initialised, aligned values of `T` that stay
    /// valid and unchanged, readable from any thread, until `keeper` is dropped.
    pub unsafe fn from_foreign(
        ptr: *const T,
        len: usize,
        keeper: Box<dyn Any + Send + Sync + RefUnwindSafe>,
    ) -> SharedElements<T> {
        SharedElements {
            owner: Arc::new(Owner::Foreign {
                ptr,
                len,
                _keeper: keeper,
            }),
        }
    }

    /// The shared elements.
    pub fn as_slice(&self) -> &[T] {
        match &*self.owner {
            Owner::Elements(b) => b,
            Owner::Foreign { len: 0, .. } => &[],
            // SAFETY: per `from_foreign`, `ptr` points to `len` valid values that stay
            // unchanged while the keeper, owned by `self.owner`, is alive.
            Owner::Foreign { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }

    /// Number of shared elements.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are no shared elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: 'static> From<Vec<T>> for SharedElements<T> {
    fn from(v: Vec<T>) -> SharedElements<T> {
        SharedElements::from(v.into_boxed_slice())
    }
}

impl<T: 'static> From<Box<[T]>> for SharedElements<T> {
    fn from(b: Box<[T]>) -> SharedElements<T> {
        SharedElements {
            owner: Arc::new(Owner::Elements(b)),
        }
    }
}

/// Row-major elements of a tensor: owned, or a range of shared memory.
///
/// Reads go through `Deref<Target = [T]>`. Writing through `DerefMut` on shared storage first
/// copies the range into an owned vector (copy on write), so shared memory is never modified.
pub struct Storage<T: 'static> {
    repr: Repr<T>,
}

enum Repr<T: 'static> {
    Owned(Vec<T>),
    Shared {
        owner: SharedElements<T>,
        range: Range<usize>,
    },
}

impl<T: Copy + 'static> Storage<T> {
    /// Elements `range` of `owner`, shared (not copied).
    ///
    /// # Panics
    /// If `range` is not within `owner`'s elements.
    pub fn shared(owner: SharedElements<T>, range: Range<usize>) -> Storage<T> {
        let len = owner.len();
        assert!(
            range.start <= range.end && range.end <= len,
            "shared storage range {range:?} is outside the {len} elements of its owner"
        );
        Storage {
            repr: Repr::Shared { owner, range },
        }
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[T] {
        match &self.repr {
            Repr::Owned(v) => v,
            Repr::Shared { owner, range } => &owner.as_slice()[range.clone()],
        }
    }

    /// Whether the elements live in shared memory (not yet copied by a write).
    pub fn is_shared(&self) -> bool {
        matches!(self.repr, Repr::Shared { .. })
    }

    /// The elements as an owned vector, copying shared memory into it first.
    pub fn make_mut(&mut self) -> &mut Vec<T> {
        if let Repr::Shared { .. } = self.repr {
            self.repr = Repr::Owned(copied_vec(self.as_slice()));
        }
        match &mut self.repr {
            Repr::Owned(v) => v,
            Repr::Shared { .. } => unreachable!("shared storage was just copied"),
        }
    }
}

impl<T: 'static> From<Vec<T>> for Storage<T> {
    fn from(v: Vec<T>) -> Storage<T> {
        Storage {
            repr: Repr::Owned(v),
        }
    }
}

/// A clone owns a copy of owned elements (in memory marked for huge pages when large, as
/// every new tensor's; see [`crate::buffer`]) and shares shared ones.
impl<T: Copy + 'static> Clone for Storage<T> {
    fn clone(&self) -> Storage<T> {
        let repr = match &self.repr {
            Repr::Owned(v) => Repr::Owned(copied_vec(v)),
            Repr::Shared { owner, range } => Repr::Shared {
                owner: owner.clone(),
                range: range.clone(),
            },
        };
        Storage { repr }
    }
}

/// Collected as [`collected_vec`] collects (large results marked for huge pages).
impl<T: 'static> FromIterator<T> for Storage<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Storage<T> {
        collected_vec(iter).into()
    }
}

impl<T: Copy + 'static> Deref for Storage<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + 'static> DerefMut for Storage<T> {
    /// Copy on write: shared storage becomes an owned copy before it is written.
    fn deref_mut(&mut self) -> &mut [T] {
        self.make_mut()
    }
}

impl<T: Copy + PartialEq + 'static> PartialEq for Storage<T> {
    fn eq(&self, other: &Storage<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + fmt::Debug + 'static> fmt::Debug for Storage<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_storage_reads_its_range_without_copying() {
        let owner = SharedElements::from(vec![1.0f32, 2.0, 3.0, 4.0]);
        let s = Storage::shared(owner.clone(), 1..3);
        assert!(s.is_shared());
        assert_eq!(&*s, &[2.0, 3.0]);
        assert_eq!(s.as_ptr(), owner.as_slice()[1..].as_ptr());
    }

    #[test]
    fn writing_copies_shared_storage_first() {
        let owner = SharedElements::from(vec![1.0f32, 2.0, 3.0]);
        let mut s = Storage::shared(owner.clone(), 0..3);
        s[0] = 9.0;
        assert!(!s.is_shared());
        assert_eq!(&*s, &[9.0, 2.0, 3.0]);
        assert_eq!(owner.as_slice(), &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn the_owner_lives_as_long_as_the_last_storage() {
        let owner: Arc<Vec<f32>> = Arc::new(vec![0.0; 8]);
        let weak = Arc::downgrade(&owner);
        let ptr = owner.as_ptr();
        // SAFETY: the 8 floats of the `Vec` stay put while the keeper (its `Arc`) lives.
        let shared = unsafe { SharedElements::from_foreign(ptr, 8, Box::new(owner)) };
        let s = Storage::shared(shared, 0..8);
        let t = s.clone();
        drop(s);
        assert!(weak.upgrade().is_some());
        drop(t);
        assert!(weak.upgrade().is_none());
    }

    #[test]
    #[should_panic(expected = "outside the 2 elements")]
    fn out_of_range_shares_are_refused() {
        let owner = SharedElements::from(vec![0.0f32; 2]);
        let _ = Storage::shared(owner, 1..3);
    }
}
