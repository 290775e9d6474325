//! Weights lent by the runner: the plugin wraps them in tensors without copying and hands them
//! back through the runner's [`ReleaseFn`] when its last tensor over them is dropped.

use std::ffi::c_void;

use flopscope::{SharedElements, Tensor};

use crate::abi::ReleaseFn;

/// The runner's weights, valid until this value is dropped, which releases them (exactly once).
pub(crate) struct LentWeights {
    ptr: *const f32,
    len: usize,
    owner: *mut c_void,
    release: ReleaseFn,
}

// SAFETY: per the ABI (`PredictArgs`), the lent memory stays valid and unchanged until
// `release(owner)` is called, and the runner's release function may be called from any thread.
// `LentWeights` only reads the memory and calls `release` once, from `Drop`.
unsafe impl Send for LentWeights {}
// SAFETY: shared access only reads immutable memory (see `Send` above).
unsafe impl Sync for LentWeights {}

impl LentWeights {
    /// Takes charge of the weights described by a `predict` call's arguments.
    ///
    /// # Safety
    /// `ptr` points to `len` f32 values (or is null with `len == 0`) that stay valid and
    /// unchanged until `release(owner)` is called, and nobody else releases `owner`.
    pub(crate) unsafe fn new(
        ptr: *const f32,
        len: usize,
        owner: *mut c_void,
        release: ReleaseFn,
    ) -> LentWeights {
        LentWeights {
            ptr,
            len,
            owner,
            release,
        }
    }

    /// Number of lent floats.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the runner lent no memory at all (a null pointer).
    pub(crate) fn is_null(&self) -> bool {
        self.ptr.is_null()
    }

    /// `depth` `(width, width)` f32 tensors over consecutive `width²` blocks of the weights,
    /// without copying. The tensors keep the weights lent until the last of them is dropped.
    ///
    /// # Panics
    /// If the weights hold fewer than `depth · width²` floats.
    pub(crate) fn into_layers(self, width: usize, depth: usize) -> Vec<Tensor> {
        let (ptr, len) = (self.ptr, self.len);
        // SAFETY: per `LentWeights::new`, `ptr` points to `len` valid floats (or is null with
        // `len == 0`) that stay unchanged, readable from any thread, until `release` runs,
        // which happens only when `self`, the keeper, is dropped.
        let shared: SharedElements<f32> =
            unsafe { SharedElements::from_foreign(ptr, len, Box::new(self)) };
        let w2 = width * width;
        (0..depth)
            .map(|l| Tensor::from_shared(shared.clone(), l * w2..(l + 1) * w2, [width, width]))
            .collect()
    }
}

impl Drop for LentWeights {
    fn drop(&mut self) {
        // SAFETY: `owner` came with these weights and is released exactly once, here.
        unsafe { (self.release)(self.owner) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static RELEASED: AtomicUsize = AtomicUsize::new(0);

    unsafe extern "C" fn count_release(owner: *mut c_void) {
        // SAFETY: the test passes a pointer to a live `Vec<f32>` it boxed for this purpose.
        drop(unsafe { Box::from_raw(owner.cast::<Vec<f32>>()) });
        RELEASED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn layers_share_the_lent_memory_and_release_it_once() {
        let data = Box::new((0..8).map(|i| i as f32).collect::<Vec<f32>>());
        let ptr = data.as_ptr();
        let owner = Box::into_raw(data).cast::<c_void>();
        // SAFETY: `owner` is a boxed Vec whose buffer `ptr` lives until `count_release` frees it.
        let lent = unsafe { LentWeights::new(ptr, 8, owner, count_release) };
        let layers = lent.into_layers(2, 2);
        assert_eq!(layers[1].to_vec::<f32>(), vec![4.0, 5.0, 6.0, 7.0]);
        assert_eq!(layers[0].as_slice::<f32>().map(<[f32]>::as_ptr), Some(ptr));
        assert!(layers[0].is_shared_memory());
        let kept = layers[1].clone();
        drop(layers);
        assert_eq!(RELEASED.load(Ordering::SeqCst), 0);
        drop(kept);
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
    }
}
