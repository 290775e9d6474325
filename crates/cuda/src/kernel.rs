//! The fused kernel's source and its compile-time shape: which tile sizes a width gets, and the
//! NVRTC options that build it.

use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions, Ptx};

use crate::error::CudaError;

/// The CUDA C source of the `mlp_stats` kernel (see the file's header for its contract).
pub const KERNEL_SOURCE: &str = include_str!("mlp_stats.cu");
/// The kernel's entry point.
pub const KERNEL_NAME: &str = "mlp_stats";
/// Rows per thread (`TM` in the source).
pub const ROWS_PER_THREAD: usize = 8;
/// Columns per thread (`TN` in the source); the padded width is a multiple of it.
pub const COLS_PER_THREAD: usize = 8;
/// Most threads per block the shape selection uses.
pub const MAX_THREADS: usize = 512;
/// Shared memory a block's activation tile may take (one block per SM, room for the weights).
pub const ACTIVATION_BYTES: usize = 128 * 1024;
/// Most row groups per block (a tile of 1024 samples at small widths).
pub const MAX_GROUPS: usize = 128;
/// Widest MLP the kernel takes: one block must hold 8 rows and 4 weight rows of floats.
pub const MAX_WIDTH: usize = 4096;

/// The compile-time shape of one kernel build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelShape {
    /// The MLP's width `w`.
    pub width: usize,
    /// `w` rounded up to a multiple of [`COLS_PER_THREAD`].
    pub padded: usize,
    /// Row groups per block; a block holds `groups · ROWS_PER_THREAD` samples.
    pub groups: usize,
    /// Weight rows staged in shared memory per step (divides `padded`).
    pub k_tile: usize,
}

impl KernelShape {
    /// The shape for width `w` with at most `smem_limit` bytes of shared memory per block:
    /// as many row groups (up to [`MAX_GROUPS`]) as fit in [`MAX_THREADS`] threads and
    /// [`ACTIVATION_BYTES`] of activations beside the weight tile, weight tiles of 8 rows (4
    /// when 8 leave no room for one row group).
    ///
    /// # Errors
    /// [`CudaError::WidthTooLarge`] when not even one row group fits.
    pub fn for_width(width: usize, smem_limit: usize) -> Result<KernelShape, CudaError> {
        let too_large = || CudaError::WidthTooLarge {
            width,
            max: MAX_WIDTH,
        };
        if width == 0 || width > MAX_WIDTH {
            return Err(too_large());
        }
        let padded = width.div_ceil(COLS_PER_THREAD) * COLS_PER_THREAD;
        let col_groups = padded / COLS_PER_THREAD;
        let row_bytes = padded * 4;
        for k_tile in [8, 4] {
            if !padded.is_multiple_of(k_tile) {
                continue;
            }
            let by_threads = MAX_THREADS / col_groups;
            let activations = ACTIVATION_BYTES.min(smem_limit.saturating_sub(k_tile * row_bytes));
            let by_smem = activations / (ROWS_PER_THREAD * row_bytes);
            let groups = by_threads.min(by_smem).min(MAX_GROUPS);
            if groups >= 1 && col_groups * groups <= 1024 {
                return Ok(KernelShape {
                    width,
                    padded,
                    groups,
                    k_tile,
                });
            }
        }
        Err(too_large())
    }

    /// Samples per block tile.
    pub fn tile_rows(&self) -> usize {
        self.groups * ROWS_PER_THREAD
    }

    /// Threads per block.
    pub fn threads(&self) -> usize {
        self.groups * self.padded / COLS_PER_THREAD
    }

    /// Dynamic shared memory per block, in bytes (the tile's activations and a weight tile).
    pub fn shared_bytes(&self) -> usize {
        (self.tile_rows() + self.k_tile) * self.padded * 4
    }

    /// NVRTC options for this shape and virtual architecture `arch` (e.g. `compute_90`):
    /// the shape constants, IEEE division and square root, no flush to zero.
    pub fn compile_options(&self, arch: &str) -> CompileOptions {
        CompileOptions {
            ftz: Some(false),
            prec_div: Some(true),
            prec_sqrt: Some(true),
            options: vec![
                format!("--gpu-architecture={arch}"),
                format!("-DWP={}", self.padded),
                format!("-DW={}", self.width),
                format!("-DG={}", self.groups),
                format!("-DKT={}", self.k_tile),
            ],
            name: Some("mlp_stats.cu".to_string()),
            ..CompileOptions::default()
        }
    }

    /// Compiles the kernel for this shape to PTX for `arch`.
    ///
    /// Call only after [`crate::libraries::require_nvrtc`]: cudarc panics when libnvrtc
    /// cannot be loaded.
    ///
    /// # Errors
    /// [`CudaError::Compile`] with NVRTC's log.
    pub fn compile(&self, arch: &str) -> Result<Ptx, CudaError> {
        compile_ptx_with_opts(KERNEL_SOURCE, self.compile_options(arch)).map_err(|e| {
            CudaError::Compile {
                arch: arch.to_string(),
                shape: format!("{self:?}"),
                log: e.to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H100_SMEM: usize = 227 * 1024;

    #[test]
    fn shapes_fit_threads_and_shared_memory() {
        for w in [1, 4, 7, 8, 64, 100, 256, 1000, 1024, 2048, 4096] {
            let s = KernelShape::for_width(w, H100_SMEM).expect("fits");
            assert_eq!(s.padded % COLS_PER_THREAD, 0);
            assert!(s.padded >= w && s.padded < w + COLS_PER_THREAD);
            assert_eq!(s.padded % s.k_tile, 0);
            assert!(s.threads() <= 1024 && s.threads() >= 1, "{s:?}");
            assert!(s.shared_bytes() <= H100_SMEM, "{s:?}");
        }
        let s = KernelShape::for_width(1024, H100_SMEM).expect("fits");
        assert_eq!(
            (s.groups, s.k_tile, s.tile_rows(), s.threads()),
            (4, 8, 32, 512)
        );
        let s = KernelShape::for_width(256, H100_SMEM).expect("fits");
        assert_eq!((s.groups, s.tile_rows(), s.threads()), (16, 128, 512));
        assert_eq!(
            KernelShape::for_width(4096, H100_SMEM)
                .expect("fits")
                .k_tile,
            4
        );
    }

    #[test]
    fn too_wide_is_an_error() {
        let err = KernelShape::for_width(MAX_WIDTH + 1, H100_SMEM).unwrap_err();
        assert!(err.to_string().contains("4096"), "{err}");
        assert!(KernelShape::for_width(4096, 64 * 1024).is_err());
    }

    /// Compiles the kernel source for every shape the widths 1..=4096 select (one per distinct
    /// row-group/tile choice, plus odd padding) for the H100/H200 and A100 architectures,
    /// when libnvrtc loads (CI puts the `nvidia-cuda-nvrtc-cu12` wheel's library on
    /// `LD_LIBRARY_PATH`); otherwise says that it skipped.
    #[test]
    fn kernel_source_compiles_with_nvrtc() {
        if let Err(e) = crate::libraries::require_nvrtc() {
            eprintln!("skipped: NVRTC is not loadable here ({e})");
            return;
        }
        let mut shapes: Vec<KernelShape> = Vec::new();
        for w in [4, 100, 256, 1024, 2048, 4096] {
            let s = KernelShape::for_width(w, H100_SMEM).expect("fits");
            if !shapes
                .iter()
                .any(|t| (t.groups, t.k_tile) == (s.groups, s.k_tile))
                || w == 100
            {
                shapes.push(s);
            }
        }
        for arch in ["compute_80", "compute_90"] {
            for s in &shapes {
                let ptx = s.compile(arch).unwrap_or_else(|e| panic!("{e}"));
                assert!(ptx.to_src().contains(".entry mlp_stats"), "{arch} {s:?}");
            }
        }
        eprintln!(
            "compiled {} kernel shapes for compute_80 and compute_90",
            shapes.len()
        );
    }

    #[test]
    fn options_define_the_shape() {
        let s = KernelShape::for_width(100, H100_SMEM).expect("fits");
        let o = s.compile_options("compute_90");
        assert!(o.options.contains(&"-DWP=104".to_string()));
        assert!(o.options.contains(&"-DW=100".to_string()));
        assert!(o
            .options
            .contains(&"--gpu-architecture=compute_90".to_string()));
    }
}
