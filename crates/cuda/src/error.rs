//! Why the CUDA sampler could not start or finish.

use std::fmt;

/// A CUDA sampler failure; every message says what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CudaError {
    /// `libcuda` (the NVIDIA driver) could not be loaded.
    NoDriver,
    /// `libnvrtc` (the CUDA runtime compiler) could not be loaded.
    NoNvrtc,
    /// Fewer GPUs than `--gpu-index` asks for.
    NoDevice {
        /// The requested ordinal.
        index: usize,
        /// GPUs the driver reports.
        count: usize,
    },
    /// A driver call failed.
    Driver {
        /// What was being done.
        during: &'static str,
        /// The driver's error.
        message: String,
    },
    /// NVRTC rejected the kernel.
    Compile {
        /// The virtual architecture compiled for.
        arch: String,
        /// The kernel shape.
        shape: String,
        /// NVRTC's error and log.
        log: String,
    },
    /// The MLP is wider than the kernel supports.
    WidthTooLarge {
        /// The width asked for.
        width: usize,
        /// The widest supported.
        max: usize,
    },
}

impl fmt::Display for CudaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CudaError::NoDriver => write!(
                f,
                "the NVIDIA driver library (libcuda.so.1) is not found; install the driver or \
                 add its folder to LD_LIBRARY_PATH"
            ),
            CudaError::NoNvrtc => write!(
                f,
                "the CUDA runtime compiler (libnvrtc.so or libnvrtc.so.12) is not found; install \
                 CUDA's NVRTC (e.g. `pip install nvidia-cuda-nvrtc-cu12`) and add its lib folder \
                 to LD_LIBRARY_PATH (CUDA 13 has only libnvrtc.so.13: link it as libnvrtc.so in \
                 a folder on LD_LIBRARY_PATH)"
            ),
            CudaError::NoDevice { index, count } => write!(
                f,
                "no CUDA device {index} ({count} visible; check --gpu-index and \
                 CUDA_VISIBLE_DEVICES)"
            ),
            CudaError::Driver { during, message } => {
                write!(f, "CUDA driver error while {during}: {message}")
            }
            CudaError::Compile { arch, shape, log } => write!(
                f,
                "NVRTC could not compile the kernel for {arch} ({shape}): {}",
                log.replace('\n', " | ")
            ),
            CudaError::WidthTooLarge { width, max } => write!(
                f,
                "width {width} is outside the CUDA sampler's range 1..={max}; use --device cpu"
            ),
        }
    }
}

impl std::error::Error for CudaError {}

/// Wraps a driver error with what was being done.
pub(crate) fn driver(during: &'static str) -> impl Fn(cudarc::driver::DriverError) -> CudaError {
    move |e| CudaError::Driver {
        during,
        message: e.to_string(),
    }
}
