//! Whether the CUDA libraries can be loaded, asked before any cudarc call that would panic
//! without them (cudarc resolves libcuda and libnvrtc on first use and panics if it cannot).

use crate::error::CudaError;

/// Succeeds when the NVIDIA driver library can be loaded.
///
/// # Errors
/// [`CudaError::NoDriver`] otherwise.
pub fn require_driver() -> Result<(), CudaError> {
    // SAFETY: tries to dlopen each candidate name of libcuda and closes it again; no symbol is
    // called.
    if unsafe { cudarc::driver::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(CudaError::NoDriver)
    }
}

/// Succeeds when the NVRTC library can be loaded.
///
/// # Errors
/// [`CudaError::NoNvrtc`] otherwise.
pub fn require_nvrtc() -> Result<(), CudaError> {
    // SAFETY: as in `require_driver`, for libnvrtc.
    if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(CudaError::NoNvrtc)
    }
}
