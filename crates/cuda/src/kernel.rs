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
/// Threads per block when two blocks share an SM (each takes at most [`PAIRED_SMEM`]).
pub const PAIRED_THREADS: usize = 256;
/// Shared memory of one of two blocks on an SM (an H100/H200 SM has 228 KiB, 1 KiB of it
/// reserved per block).
pub const PAIRED_SMEM: usize = 112 * 1024;
/// Fewest samples a paired block's tile may hold (fewer re-read the weights too often).
pub const PAIRED_MIN_ROWS: usize = 64;
/// Shared memory a block's activation tile may take (one block per SM, room for the weights).
pub const ACTIVATION_BYTES: usize = 128 * 1024;
/// Most row groups per block (a tile of 1024 samples at small widths).
pub const MAX_GROUPS: usize = 128;
/// Widest MLP the kernel takes: one block must hold 8 rows and two 2-row weight tiles.
pub const MAX_WIDTH: usize = 4096;
/// Weight rows per shared-memory tile, most preferred first.
const K_TILES: [usize; 4] = [16, 8, 4, 2];
/// A warp's threads as (row groups, column groups), most preferred first: 4×8 reads the
/// fewest distinct shared-memory bytes per step.
const WARP_LAYOUTS: [(usize, usize); 6] = [(4, 8), (8, 4), (2, 16), (16, 2), (1, 32), (32, 1)];

/// The compile-time shape of one kernel build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelShape {
    /// The MLP's width `w`.
    pub width: usize,
    /// `w` rounded up to a multiple of [`COLS_PER_THREAD`] (further when no warp layout fits
    /// that many column groups: 1000 pads to 1024).
    pub padded: usize,
    /// Row groups per block; a block holds `groups · ROWS_PER_THREAD` samples.
    pub groups: usize,
    /// Weight rows staged in shared memory per step (divides `padded`; two such tiles).
    pub k_tile: usize,
    /// A warp's threads as `warp_rows` row groups by `32 / warp_rows` column groups.
    pub warp_rows: usize,
}

impl KernelShape {
    /// The shape for width `w` with at most `smem_limit` bytes of shared memory per block.
    ///
    /// Two blocks of [`PAIRED_THREADS`] per SM when each still holds [`PAIRED_MIN_ROWS`]
    /// samples without extra padding (one block's barriers and input draws then overlap the
    /// other's FMAs), else one block of up to [`MAX_THREADS`]. Within that: the most samples per block first (the
    /// fewest weight reads per sample): as many row groups (up to [`MAX_GROUPS`]) as fit in
    /// the threads and [`ACTIVATION_BYTES`] of activations beside two weight tiles, rounded
    /// down to whole warps of the warp layout; then the preferred warp layout, then the
    /// deepest weight tile.
    ///
    /// # Errors
    /// [`CudaError::WidthTooLarge`] when not even one row group fits.
    pub fn for_width(width: usize, smem_limit: usize) -> Result<KernelShape, CudaError> {
        let too_large = CudaError::WidthTooLarge {
            width,
            max: MAX_WIDTH,
        };
        if width == 0 || width > MAX_WIDTH {
            return Err(too_large);
        }
        let unpadded = width.div_ceil(COLS_PER_THREAD) * COLS_PER_THREAD;
        let paired = Self::search(width, smem_limit.min(PAIRED_SMEM), PAIRED_THREADS)
            .filter(|s| s.tile_rows() >= PAIRED_MIN_ROWS && s.padded == unpadded);
        paired
            .or_else(|| Self::search(width, smem_limit, MAX_THREADS))
            .ok_or(too_large)
    }

    /// The best shape of at most `max_threads` threads and `smem_limit` bytes (see
    /// [`KernelShape::for_width`]) at the narrowest padding that some warp layout fits (an odd
    /// number of column groups only takes 32 row groups per warp, too many threads at wide
    /// widths), if any.
    fn search(width: usize, smem_limit: usize, max_threads: usize) -> Option<KernelShape> {
        let first = width.div_ceil(COLS_PER_THREAD) * COLS_PER_THREAD;
        (first..=MAX_WIDTH)
            .step_by(COLS_PER_THREAD)
            .find_map(|padded| Self::best_at(width, padded, smem_limit, max_threads))
    }

    /// The best shape with `padded` columns: the most row groups, then the earliest warp
    /// layout of [`WARP_LAYOUTS`], then the earliest weight tile of [`K_TILES`].
    fn best_at(
        width: usize,
        padded: usize,
        smem_limit: usize,
        max_threads: usize,
    ) -> Option<KernelShape> {
        let col_groups = padded / COLS_PER_THREAD;
        let row_bytes = padded * 4;
        let mut best: Option<(KernelShape, (usize, usize, usize))> = None;
        for (layout, &(warp_rows, warp_cols)) in WARP_LAYOUTS.iter().enumerate() {
            if !col_groups.is_multiple_of(warp_cols) {
                continue;
            }
            for (depth_rank, &k_tile) in K_TILES.iter().enumerate() {
                if !padded.is_multiple_of(k_tile) {
                    continue;
                }
                let by_threads = max_threads / col_groups;
                let activations =
                    ACTIVATION_BYTES.min(smem_limit.saturating_sub(2 * k_tile * row_bytes));
                let by_smem = activations / (ROWS_PER_THREAD * row_bytes);
                let most = by_threads.min(by_smem).min(MAX_GROUPS);
                let groups = most / warp_rows * warp_rows;
                if groups == 0 || col_groups * groups > 1024 {
                    continue;
                }
                let rank = (groups, usize::MAX - layout, usize::MAX - depth_rank);
                if best.as_ref().is_none_or(|(_, r)| rank > *r) {
                    let shape = KernelShape {
                        width,
                        padded,
                        groups,
                        k_tile,
                        warp_rows,
                    };
                    best = Some((shape, rank));
                }
            }
        }
        best.map(|(shape, _)| shape)
    }

    /// Samples per block tile.
    pub fn tile_rows(&self) -> usize {
        self.groups * ROWS_PER_THREAD
    }

    /// Threads per block.
    pub fn threads(&self) -> usize {
        self.groups * self.padded / COLS_PER_THREAD
    }

    /// Dynamic shared memory per block, in bytes (the tile's activations and two weight
    /// tiles).
    pub fn shared_bytes(&self) -> usize {
        (self.tile_rows() + 2 * self.k_tile) * self.padded * 4
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
                format!("-DWR={}", self.warp_rows),
                format!("-DWC={}", 32 / self.warp_rows),
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
            assert!(
                s.padded >= w && s.padded <= w.next_multiple_of(256),
                "{s:?}"
            );
            assert_eq!(s.padded % s.k_tile, 0);
            assert!(
                s.threads() <= 1024 && s.threads().is_multiple_of(32),
                "{s:?}"
            );
            assert!(s.groups.is_multiple_of(s.warp_rows), "{s:?}");
            assert!((s.padded / COLS_PER_THREAD).is_multiple_of(32 / s.warp_rows));
            assert!(s.shared_bytes() <= H100_SMEM, "{s:?}");
        }
        let s = KernelShape::for_width(1024, H100_SMEM).expect("fits");
        assert_eq!(
            (s.groups, s.k_tile, s.tile_rows(), s.threads(), s.warp_rows),
            (4, 8, 32, 512, 4)
        );
        // Narrow widths pair two blocks of 256 threads on an SM.
        let s = KernelShape::for_width(256, H100_SMEM).expect("fits");
        assert_eq!(
            (s.groups, s.k_tile, s.tile_rows(), s.threads(), s.warp_rows),
            (8, 16, 64, 256, 4)
        );
        assert!(2 * s.shared_bytes() + 2048 <= 228 * 1024);
        let s = KernelShape::for_width(4096, H100_SMEM).expect("fits");
        assert_eq!((s.groups, s.k_tile, s.warp_rows), (1, 2, 1));
        // Odd column-group counts take one column group per warp (32 row groups).
        let s = KernelShape::for_width(100, H100_SMEM).expect("fits");
        assert_eq!((s.padded, s.groups, s.warp_rows), (104, 32, 32));
        let s = KernelShape::for_width(1000, H100_SMEM).expect("fits");
        assert_eq!((s.padded, s.groups, s.warp_rows), (1024, 4, 4));
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
                .any(|t| (t.groups, t.k_tile, t.warp_rows) == (s.groups, s.k_tile, s.warp_rows))
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
