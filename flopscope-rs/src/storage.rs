//! Element storage behind a tensor's buffer: an owned vector, or a range of memory shared with
//! whoever owns it (e.g. MLP weights the runner keeps alive), never copied to be read.

use std::fmt;
use std::ops::{Deref, DerefMut, Range};
use std::panic::RefUnwindSafe;
use std::sync::Arc;

/// Memory a tensor can borrow without copying: anything that reads as a slice of `T` and can be
/// shared between threads (and, like every tensor, across `catch_unwind`). Dropping the last
/// tensor that uses it drops the owner.
pub type SharedElements<T> = Arc<dyn AsRef<[T]> + Send + Sync + RefUnwindSafe>;

/// Row-major elements of a tensor: owned, or a range of shared memory.
///
/// Reads go through `Deref<Target = [T]>`. Writing through `DerefMut` on shared storage first
/// copies the range into an owned vector (copy on write), so shared memory is never modified.
#[derive(Clone)]
pub struct Storage<T: 'static> {
    repr: Repr<T>,
}

#[derive(Clone)]
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
        let len = (*owner).as_ref().len();
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
            Repr::Shared { owner, range } => &(**owner).as_ref()[range.clone()],
        }
    }

    /// Whether the elements live in shared memory (not yet copied by a write).
    pub fn is_shared(&self) -> bool {
        matches!(self.repr, Repr::Shared { .. })
    }

    /// The elements as an owned vector, copying shared memory into it first.
    pub fn make_mut(&mut self) -> &mut Vec<T> {
        if let Repr::Shared { .. } = self.repr {
            self.repr = Repr::Owned(self.as_slice().to_vec());
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

impl<T: 'static> FromIterator<T> for Storage<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Storage<T> {
        Vec::from_iter(iter).into()
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
        let owner: SharedElements<f32> = Arc::new(vec![1.0f32, 2.0, 3.0, 4.0]);
        let s = Storage::shared(owner.clone(), 1..3);
        assert!(s.is_shared());
        assert_eq!(&*s, &[2.0, 3.0]);
        assert_eq!(s.as_ptr(), (*owner).as_ref()[1..].as_ptr());
    }

    #[test]
    fn writing_copies_shared_storage_first() {
        let owner: SharedElements<f32> = Arc::new(vec![1.0f32, 2.0, 3.0]);
        let mut s = Storage::shared(owner.clone(), 0..3);
        s[0] = 9.0;
        assert!(!s.is_shared());
        assert_eq!(&*s, &[9.0, 2.0, 3.0]);
        assert_eq!((*owner).as_ref(), &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn the_owner_lives_as_long_as_the_last_storage() {
        let owner: Arc<Vec<f32>> = Arc::new(vec![0.0; 8]);
        let weak = Arc::downgrade(&owner);
        let s = Storage::shared(owner, 0..8);
        let t = s.clone();
        drop(s);
        assert!(weak.upgrade().is_some());
        drop(t);
        assert!(weak.upgrade().is_none());
    }

    #[test]
    #[should_panic(expected = "outside the 2 elements")]
    fn out_of_range_shares_are_refused() {
        let owner: SharedElements<f32> = Arc::new(vec![0.0f32; 2]);
        let _ = Storage::shared(owner, 1..3);
    }
}
