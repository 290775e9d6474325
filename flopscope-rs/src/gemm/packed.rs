//! A packed, cache-blocked matrix product with AVX2/FMA register tiles (the loop nest of BLIS:
//! column blocks of `b`, depth blocks, row blocks of `a`, then `MR × NR` tiles), used on x86-64
//! machines that have AVX2 and FMA but not AVX-512, where it outruns the `gemm` crate's AVX2
//! kernels.
//!
//! Summation order: every element of the product is one fused multiply-add chain over the
//! inner dimension in order, `c = fma(a[i][k-1], b[k-1][j], … fma(a[i][1], b[1][j],
//! a[i][0]·b[0][j]))`: a depth block continues the chain of the block before it (the register
//! tile starts from the partial sums already in the destination). The result therefore depends
//! on nothing but the inputs: not on the blocking, not on how the work is split between
//! threads, not on where a tile falls at an edge.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::MatRef;
use crate::cpu_time::in_kernel_pool;
use crate::parts::run_parts;

/// Depth (inner-dimension) block: a packed `KC × NR` strip of `b` (64 KiB) stays in L2 while a
/// row block's tiles sweep it. Deep blocks keep the destination's round trips (each depth block
/// after the first reloads its tiles) few: on a Zen 3 core a 1024-deep block ran products of
/// depth 1024 6–9% faster than 256-deep ones, at the speed of OpenBLAS's kernels.
const KC: usize = 1024;

/// Depth block of a Gram block ([`upper_product`]): its first row strip packs all of the
/// block's columns as it reads them, and at 512 deep that packed block (512 KiB at f32 for
/// 256 columns) stays in L2 for the tiles after it. A 16384 × 256 f32 `xᵀx` on two threads
/// of a Zen 3 VM ran 282–291 GFLOP/s (full-product rate) at 1024 deep, 292–298 at 512,
/// 291–294 at 384, 283–287 at 256.
const GRAM_KC: usize = 512;

/// Rows of the register tile (both float types).
const MR: usize = 6;

/// Most bytes of `a` one sweep of a row block covers: half of a Zen 3 core's 512 KiB L2, so
/// the rows stay in L2 beside the strip of `b` (64 KiB) while the tiles go across the strips.
/// On that core's VM, two-thread products of depth 1024 ran 3–8% faster than with 576 KiB
/// sweeps (f32 16384×1024·1024×1024: 187 → 193 GFLOP/s); sweeps of 192 or 320 KiB ran
/// within noise of 256.
const SWEEP_BYTES: usize = 256 << 10;

/// Rows of `a` per sweep of a row block over `kc`-deep strips: `T::MC`, or fewer (whole
/// tiles, at least one) when that many rows of depth `kc` exceed [`SWEEP_BYTES`].
fn rows_per_sweep<T: PackedFloat>(kc: usize) -> usize {
    let fit = SWEEP_BYTES / (kc * std::mem::size_of::<T>());
    T::MC.min(fit / MR * MR).max(MR)
}

/// A float the packed product multiplies: its register tile and cache blocks.
pub trait PackedFloat: Copy + Default + Send + Sync + 'static {
    /// Columns of the register tile.
    const NR: usize;
    /// Most rows of `a` a row block's tiles sweep against each strip of `b` before the next
    /// rows (packed at a time when `a` is not read in place); a multiple of `MR`. Deep blocks
    /// take fewer, see [`rows_per_sweep`].
    const MC: usize;
    /// Columns of `b` packed at a time (`KC × NC` elements stay in L3); a multiple of `NR`.
    const NC: usize;

    /// The register tile: for `i < MR`, `j < NR`, continues (`load`) or starts the chain
    /// `c[i·ldc + j] = fma(a[i][p·step], b(p)[j], c[i·ldc + j])` for `p = 0 .. kc`, where
    /// `b(p)` is step `p` of `b` ([`BSteps`]). With `COPY`, each step of `b` is also written
    /// to `b.copy_to[p·NR ..]` (the tile packs its strip of `b` as it reads it).
    ///
    /// # Safety
    /// AVX2 and FMA must be available; each row pointer `a[i]` must be valid for reads at
    /// every `p·step` (`p < kc`), `b` as [`BSteps`] says, and `c` for reads (when `load`)
    /// and writes of `MR` rows of `NR` elements, `ldc` apart. When `load` is false `c` may be
    /// uninitialised.
    unsafe fn tile<const COPY: bool>(
        kc: usize,
        a: &[*const Self; MR],
        step: usize,
        b: BSteps<Self>,
        c: *mut Self,
        ldc: usize,
        load: bool,
    );
}

/// Where the register tile reads its strip of `b`: step `p` is the `NR` elements at
/// `at + p·step` (`step` is `NR` for a packed strip, the row stride for rows of `b` read in
/// place). Must be valid for those reads for every `p < kc`; when the tile copies the
/// strip, `copy_to` must be valid for writes of `kc·NR` elements that overlap nothing the
/// tile reads.
#[derive(Clone, Copy)]
pub struct BSteps<T> {
    at: *const T,
    step: usize,
    copy_to: *mut T,
}

impl<T: PackedFloat> BSteps<T> {
    /// A packed strip (`kc·NR` elements, step `p` at `p·NR`).
    fn packed(strip: &[T]) -> Self {
        BSteps {
            at: strip.as_ptr(),
            step: T::NR,
            copy_to: std::ptr::null_mut(),
        }
    }
}

/// How many steps ahead a tile that packs `b` as it reads it (rows a stride apart)
/// prefetches: without prefetching, such tiles ran depth-1024 products 5–8% slower than
/// packing first; 8 steps ahead 1–2% slower, 16 and 32 as fast or faster; for Gram blocks
/// (rows of `b` 1 KiB apart) 32 and 64 ran 1–2% faster than 16 and 128.
const COPY_PREFETCH_STEPS: usize = 32;

/// Declares the register tile of one float type: `MR` rows of `NV` registers of `$lanes`.
macro_rules! register_tile {
    ($name:ident, $t:ty, $reg:ty, $lanes:expr, $zero:ident, $load:ident, $store:ident,
     $bcast:ident, $fma:ident, $nv:expr) => {
        /// The register tile of [`PackedFloat::tile`] for this type (6 rows, 2 registers).
        ///
        /// # Safety
        /// As [`PackedFloat::tile`].
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $name<const COPY: bool>(
            kc: usize,
            a: &[*const $t; MR],
            step: usize,
            b: BSteps<$t>,
            c: *mut $t,
            ldc: usize,
            load: bool,
        ) {
            use std::arch::x86_64::*;
            const NV: usize = $nv;
            let mut acc = [[$zero(); NV]; MR];
            if load {
                for (r, row) in acc.iter_mut().enumerate() {
                    for (v, x) in row.iter_mut().enumerate() {
                        *x = $load(c.add(r * ldc + v * $lanes));
                    }
                }
            }
            // One base pointer per row and one shared offset, so every address is base +
            // offset (no chain of pointer additions inside the loop).
            let rows = *a;
            let b_step = if COPY { b.step } else { NV * $lanes };
            let (mut q, mut b, mut copy_to) = (0usize, b.at, b.copy_to);
            for _ in 0..kc {
                let mut bv = [$zero(); NV];
                for (v, x) in bv.iter_mut().enumerate() {
                    *x = $load(b.add(v * $lanes));
                }
                if COPY {
                    // Rows of `b` read in place are a row stride apart: fetch ahead.
                    let ahead = b.wrapping_add(COPY_PREFETCH_STEPS * b_step);
                    _mm_prefetch::<_MM_HINT_T0>(ahead.cast::<i8>());
                    _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(NV * $lanes - 1).cast::<i8>());
                    for (v, x) in bv.iter().enumerate() {
                        $store(copy_to.add(v * $lanes), *x);
                    }
                    copy_to = copy_to.add(NV * $lanes);
                }
                for (row, base) in acc.iter_mut().zip(rows) {
                    let x = $bcast(&*base.add(q));
                    for (v, y) in row.iter_mut().enumerate() {
                        *y = $fma(x, bv[v], *y);
                    }
                }
                q += step;
                b = b.add(b_step);
            }
            for (r, row) in acc.iter().enumerate() {
                for (v, x) in row.iter().enumerate() {
                    $store(c.add(r * ldc + v * $lanes), *x);
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
register_tile!(
    tile_f32,
    f32,
    __m256,
    8,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_broadcast_ss,
    _mm256_fmadd_ps,
    2
);
#[cfg(target_arch = "x86_64")]
register_tile!(
    tile_f64,
    f64,
    __m256d,
    4,
    _mm256_setzero_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_broadcast_sd,
    _mm256_fmadd_pd,
    2
);

impl PackedFloat for f32 {
    const NR: usize = 16;
    const MC: usize = 144;
    const NC: usize = 4080;
    unsafe fn tile<const COPY: bool>(
        kc: usize,
        a: &[*const f32; MR],
        step: usize,
        b: BSteps<f32>,
        c: *mut f32,
        ldc: usize,
        load: bool,
    ) {
        // SAFETY: forwarded; the caller guarantees the contract of `PackedFloat::tile`
        // (which requires AVX2 and FMA, so an x86-64 machine).
        #[cfg(target_arch = "x86_64")]
        unsafe {
            tile_f32::<COPY>(kc, a, step, b, c, ldc, load)
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!(
            "packed gemm needs AVX2 and FMA: {:?}",
            (kc, a, step, b.at, c, ldc, load)
        )
    }
}

impl PackedFloat for f64 {
    const NR: usize = 8;
    const MC: usize = 72;
    const NC: usize = 4080;
    unsafe fn tile<const COPY: bool>(
        kc: usize,
        a: &[*const f64; MR],
        step: usize,
        b: BSteps<f64>,
        c: *mut f64,
        ldc: usize,
        load: bool,
    ) {
        // SAFETY: forwarded; the caller guarantees the contract of `PackedFloat::tile`
        // (which requires AVX2 and FMA, so an x86-64 machine).
        #[cfg(target_arch = "x86_64")]
        unsafe {
            tile_f64::<COPY>(kc, a, step, b, c, ldc, load)
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!(
            "packed gemm needs AVX2 and FMA: {:?}",
            (kc, a, step, b.at, c, ldc, load)
        )
    }
}

/// Whether this machine runs the packed product (AVX2 and FMA present).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The destination of one part of the product: a raw pointer to element `(0, 0)` of a
/// row-major block with rows `ldc` apart.
#[derive(Clone, Copy)]
struct Dst<T> {
    ptr: *mut T,
    ldc: usize,
}

impl<T> Dst<T> {
    /// The destination `offset` elements further on (same row stride).
    ///
    /// # Safety
    /// The offset must stay inside the destination block.
    unsafe fn at(self, offset: usize) -> Self {
        Dst {
            // SAFETY: the caller keeps the offset inside the block.
            ptr: unsafe { self.ptr.add(offset) },
            ldc: self.ldc,
        }
    }
}

// SAFETY: a `Dst` is only handed to one thread per disjoint block of the destination (see
// `product`), so no two threads write the same element, and the borrow it was made from
// outlives the scope the threads run in.
unsafe impl<T: Send> Send for Dst<T> {}
// SAFETY: as for `Send`: shared `Dst`s are only used for disjoint blocks.
unsafe impl<T: Sync> Sync for Dst<T> {}

/// `dst = a · b` (row-major, `a.rows × b.cols`) on up to `threads` threads of flopscope's
/// kernel pool, whatever thread calls. A product taller than it is wide (with at least two
/// register-tile rows per thread) is cut into row blocks that share one packed copy of `b`
/// (packed by all threads together); any other is cut into column blocks, each packing its
/// own columns of `b`, the calling thread computing blocks too (see [`crate::parts`]). The
/// result does not depend on `threads` (see the module docs).
///
/// # Panics
/// If [`available`] is false. The caller has checked the shapes: `a.cols == b.rows`, both views
/// in bounds, `dst.len() == a.rows · b.cols`, and `a.cols > 0`.
pub(crate) fn product<T: PackedFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    dst: &mut [MaybeUninit<T>],
    threads: usize,
) {
    assert!(available(), "packed gemm: AVX2 and FMA are required");
    let (m, n) = (a.rows, b.cols);
    debug_assert!(dst.len() == m * n && a.cols == b.rows && a.cols > 0);
    if m == 0 || n == 0 {
        return;
    }
    let out = Dst {
        ptr: dst.as_mut_ptr().cast::<T>(),
        ldc: n,
    };
    let threads = threads.max(1);
    if threads == 1 {
        by_rows(a, b, out, 1, Tiles::All);
    } else if m > n && m >= 2 * MR * threads {
        in_kernel_pool(|| by_rows(a, b, out, threads, Tiles::All));
    } else {
        by_columns(a, b, out, threads);
    }
}

/// `l · lᵀ` (a symmetric `d × d` product, for a `d × k` view `l`), but only the tiles that
/// reach the diagonal or above it are computed: every element `(i, j)` with `j ≥ i` is written
/// as [`product`]`(l, lᵀ)` writes it, elements below the diagonal may be left unwritten. The
/// lower triangle is the mirror image of the upper one (each `(j, i)` is the same chain of
/// the same products as `(i, j)`), so this is the whole product at about half the
/// multiply-adds.
///
/// Threads as for [`product`]. The rows are cut into one block per thread by
/// [`gram_row_blocks`], each block holding an equal share of tiles plus packing; each block
/// packs its own columns of `lᵀ` (those on or right of its first row), so the threads never
/// wait for each other between depth blocks, which matters for the deep products (`k` in the
/// thousands) that Gram matrices are. The packing
/// is done by the tiles of the block's first row strip as they read `lᵀ` (see
/// [`first_tiles_packing_b`]), [`GRAM_KC`] deep; the other tiles read their rows of `l` from
/// that same packed copy (row `i` of `l` is column `i` of `lᵀ`), so each depth block is
/// read from memory once, not twice.
///
/// # Panics
/// As [`product`].
pub(crate) fn upper_product<T: PackedFloat>(
    l: MatRef<'_, T>,
    dst: &mut [MaybeUninit<T>],
    threads: usize,
) {
    assert!(available(), "packed gemm: AVX2 and FMA are required");
    let (a, b) = (l, l.t());
    let d = a.rows;
    debug_assert!(dst.len() == d * d && a.cols == b.rows && a.cols > 0);
    if d == 0 {
        return;
    }
    let out = Dst {
        ptr: dst.as_mut_ptr().cast::<T>(),
        ldc: d,
    };
    let bounds = gram_row_blocks(d, threads.clamp(1, d.div_ceil(MR)), T::NR);
    run_parts(bounds.len() - 1, |t: usize| {
        let (r0, r1) = (bounds[t], bounds[t + 1]);
        let rows = MatRef {
            data: &a.data[r0 * a.row_stride..],
            rows: r1 - r0,
            ..a
        };
        let cols = MatRef {
            data: &b.data[r0 * b.col_stride..],
            cols: d - r0,
            ..b
        };
        // SAFETY: rows r0..r1, columns r0..d of the destination; row blocks are disjoint.
        let part = unsafe { out.at(r0 * d + r0) };
        by_rows(rows, cols, part, 1, Tiles::Upper { origin: r0 });
    });
}

/// What packing one strip of the depth block costs, in register tiles run over the same
/// depth: 1 puts the cut of a 16384 × 256 `xᵀx` on two threads where it ran fastest on a Zen 3
/// VM (after row 84 of 256; cuts after rows 72, 78 and 90 were slower), its strips read from
/// memory.
const PACK_STRIP_TILES: usize = 1;

/// The row blocks of [`upper_product`] for a `d × d` product on up to `parts` threads, as
/// their bounds `0 = b[0] < b[1] < … < b[last] = d` (whole register-tile rows apart): the
/// cuts that make the costliest block as cheap as possible, a block's cost being the upper
/// tiles it computes plus the strips of `lᵀ` it packs (its columns start at its first row,
/// so the first blocks pack the most). Depends only on `d`, `parts` and the strip width
/// `nr`, never on timing, so the work split is reproducible.
fn gram_row_blocks(d: usize, parts: usize, nr: usize) -> Vec<usize> {
    // Block r0 .. r1 packs ⌈(d − r0)/nr⌉ column strips; its strip of rows `ir` (counted
    // from r0) computes all of them but the ⌊ir/nr⌋ wholly below the diagonal. The blocks a
    // greedy cut makes when no block may cost more than `cap` (a block takes at least one
    // strip of rows even when that alone costs more):
    let cut = |cap: usize| {
        let mut bounds = vec![0];
        while let Some(&r0) = bounds.last().filter(|&&r0| r0 < d) {
            let strips = (d - r0).div_ceil(nr);
            let (mut spent, mut r1) = (PACK_STRIP_TILES * strips, r0);
            while r1 < d {
                let next = spent + strips - (r1 - r0) / nr;
                if r1 > r0 && next > cap {
                    break;
                }
                spent = next;
                r1 = (r1 + MR).min(d);
            }
            bounds.push(r1);
        }
        bounds
    };
    // The smallest cap that needs no more than `parts` blocks (one block costs at most the
    // whole product's tiles and packing).
    let (mut lo, mut hi) = (0, (PACK_STRIP_TILES + d.div_ceil(MR)) * d.div_ceil(nr));
    while lo < hi {
        let mid = (lo + hi) / 2;
        if cut(mid).len() - 1 <= parts {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    cut(lo)
}

/// Which tiles of the destination to compute.
#[derive(Clone, Copy)]
enum Tiles {
    /// Every tile.
    All,
    /// Only tiles with an element on or above the diagonal of a symmetric product `l · lᵀ`
    /// (`a` is this block's rows of `l`, `b` its columns of `lᵀ`), whose row and column
    /// `origin` are this block's row and column 0, so row `i` of `a` is column `i` of `b`.
    Upper {
        /// Where this block starts on the diagonal of the whole product.
        origin: usize,
    },
}

/// `start .. end` of part `i` of `len` elements cut into `parts` runs of whole `unit`s (the
/// last run takes the remainder).
fn part_bounds(len: usize, unit: usize, parts: usize, i: usize) -> (usize, usize) {
    let at = |i: usize| {
        if i >= parts {
            len
        } else {
            len.div_ceil(unit) * i / parts * unit
        }
    };
    (at(i), at(i + 1))
}

/// The row-block split: for each column block and depth block, all threads pack `b` into one
/// shared buffer, then each row block (about [`rows_per_sweep`] rows, at least one per
/// thread) runs its tiles against it. With `threads > 1` it must run on the kernel pool.
fn by_rows<T: PackedFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    out: Dst<T>,
    threads: usize,
    tiles: Tiles,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let depth = match tiles {
        Tiles::All => KC,
        Tiles::Upper { .. } => GRAM_KC,
    };
    let kc_max = k.min(depth);
    // Not zeroed first: every element of a depth block's strips is written by the packing
    // before any is read.
    let mut b_pack: Vec<T> = Vec::with_capacity(kc_max * n.min(T::NC).next_multiple_of(T::NR));
    let tasks = if threads == 1 {
        1
    } else {
        m.div_ceil(rows_per_sweep::<T>(kc_max))
            .next_multiple_of(threads)
    };
    for jc in (0..n).step_by(T::NC) {
        let nc = (n - jc).min(T::NC);
        for pc in (0..k).step_by(depth) {
            let kc = (k - pc).min(depth);
            let b_pack = &mut b_pack.spare_capacity_mut()[..nc.next_multiple_of(T::NR) * kc];
            // With one thread, the tiles of the first row strip pack `b` as they read it.
            let rows_done = if threads == 1 && m >= MR {
                // SAFETY: column jc < n of the destination.
                let at_jc = unsafe { out.at(jc) };
                first_tiles_packing_b(a, b, pc, kc, jc, nc, b_pack, at_jc);
                MR
            } else if threads == 1 {
                pack_b_strips(b, pc, kc, jc, nc, b_pack);
                0
            } else {
                let per_part = nc.div_ceil(T::NR).div_ceil(threads);
                b_pack
                    .par_chunks_mut(per_part * T::NR * kc)
                    .enumerate()
                    .for_each(|(i, part)| {
                        let j0 = i * per_part * T::NR;
                        pack_b_strips(b, pc, kc, jc + j0, nc - j0, part);
                    });
                0
            };
            // SAFETY: the packing wrote every element of the strips (copied or zero padding),
            // and `MaybeUninit<T>` has the layout of `T`.
            let b_pack = unsafe { &*(b_pack as *const [MaybeUninit<T>] as *const [T]) };
            let block = |t: usize| {
                let (start, end) = part_bounds(m, MR, tasks, t);
                // Only with one task (one block from row 0) are any rows done already.
                let start = start.max(rows_done);
                if start >= end {
                    return;
                }
                let rows = MatRef {
                    data: &a.data[start * a.row_stride..],
                    rows: end - start,
                    ..a
                };
                // SAFETY: rows start..end, columns jc.. of the destination; row blocks are
                // disjoint.
                let part = unsafe { out.at(start * out.ldc + jc) };
                let (skip_below, source) = match tiles {
                    Tiles::All => (None, RowSource::of(a)),
                    Tiles::Upper { origin } => (
                        Some((origin + start, origin + jc)),
                        // Row `start + i` of `a` is column `start + i` of `b`, packed when
                        // all of `b` is one column block.
                        if n <= T::NC {
                            RowSource::PackedB { col0: start }
                        } else {
                            RowSource::of(a)
                        },
                    ),
                };
                row_block(rows, pc, kc, b_pack, nc, part, skip_below, source);
            };
            if tasks == 1 {
                block(0);
            } else {
                (0..tasks).into_par_iter().for_each(block);
            }
        }
    }
}

/// The column-block split, for products too short to share out by rows: each of up to
/// `threads` column blocks (whole register tiles) packs its own columns of `b`.
fn by_columns<T: PackedFloat>(a: MatRef<'_, T>, b: MatRef<'_, T>, out: Dst<T>, threads: usize) {
    let n = b.cols;
    let parts = threads.min(n.div_ceil(T::NR));
    run_parts(parts, |i| {
        let (start, end) = part_bounds(n, T::NR, parts, i);
        let cols = MatRef {
            data: &b.data[start * b.col_stride..],
            cols: end - start,
            ..b
        };
        // SAFETY: columns start..end of the destination; column blocks are disjoint.
        let part = unsafe { out.at(start) };
        by_rows(a, cols, part, 1, Tiles::All);
    });
}

/// Packs the strips of a depth block of `b` (`kc` deep from row `pc`, columns `jc .. jc + nc`)
/// into `b_pack` as [`pack_b_strips`] does, and computes the tiles of rows `0 .. MR` of `a`
/// (it has that many) against them: a full strip of `b` with contiguous rows is packed by
/// the register tile that first reads it, in place, so packing costs no pass of its own over
/// `b`; other strips are packed first. `out` is the destination's element `(0, jc)`. On a
/// two-vCPU Zen 3 VM (one thread per half of the columns) this ran 256³ products 1–2% faster
/// (f32 174–180 → 177–183 GFLOP/s, f64 89–90 → 91 GFLOP/s) and 256 × 1024 · 1024 × 1024
/// ones within ±1%; in Gram blocks (with [`GRAM_KC`]) it ran a 16384 × 256 f32 `xᵀx` 7%
/// faster (281–284 → 300–304 GFLOP/s at the full product's rate), f64 3–4%.
#[allow(clippy::too_many_arguments)]
fn first_tiles_packing_b<T: PackedFloat>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    pc: usize,
    kc: usize,
    jc: usize,
    nc: usize,
    b_pack: &mut [MaybeUninit<T>],
    out: Dst<T>,
) {
    let a_strip = Strip::in_place(a, 0, pc, kc);
    let mut edge = vec![T::default(); MR * T::NR];
    let load = pc > 0;
    for (s, strip) in b_pack.chunks_exact_mut(T::NR * kc).enumerate() {
        let jr = s * T::NR;
        let nr = (nc - jr).min(T::NR);
        // SAFETY: (0, jc + jr) is inside the destination (jr < nc).
        let c = unsafe { out.at(jr) };
        if nr == T::NR && b.col_stride == 1 {
            assert!(
                pc + kc <= b.rows && jc + jr + nr <= b.cols,
                "packed gemm: a strip of b outside the view"
            );
            // Rows pc .. pc + kc, columns jc + jr .. + NR of a checked view: this slice
            // (checked) holds them all, row_stride apart.
            let first = pc * b.row_stride + jc + jr;
            let src = &b.data[first..first + (kc - 1) * b.row_stride + nr];
            let steps = BSteps {
                at: src.as_ptr(),
                step: b.row_stride,
                copy_to: strip.as_mut_ptr().cast::<T>(),
            };
            // SAFETY: AVX2/FMA checked in `product`; `a_strip`'s rows are readable for kc
            // steps (see its constructors); `steps` reads kc steps of NR elements inside
            // `src` and writes kc·NR elements into `strip` (the packing buffer, which overlaps
            // neither `b` nor the destination); the MR × NR tile at `c` is inside the
            // destination, and initialised when `load`.
            unsafe { a_strip.tile_copying_b(kc, steps, c.ptr, c.ldc, load) };
        } else {
            pack_b_strips(b, pc, kc, jc + jr, nr, strip);
            // SAFETY: `pack_b_strips` wrote every element of the strip; `MaybeUninit<T>` has
            // the layout of `T`.
            let strip = unsafe { &*(strip as *const [MaybeUninit<T>] as *const [T]) };
            if nr == T::NR {
                // SAFETY: as above, with the packed strip's kc·NR elements.
                unsafe { a_strip.tile(kc, strip, c.ptr, c.ldc, load) };
            } else {
                edge_tile(kc, a_strip, strip, c, MR, nr, load, &mut edge);
            }
        }
    }
}

/// Where a row block's register tiles read their rows of `a`.
#[derive(Clone, Copy)]
enum RowSource {
    /// In place (rows stored contiguously: six row streams); only a strip cut by the last row
    /// is packed, to pad it with zeros.
    InPlace,
    /// Packed one sweep's rows at a time into strips of `MR` rows.
    Packed,
    /// From the packed depth block of `b`, whose column `col0 + i` is row `i` of `a` (a block
    /// of a symmetric product `l · lᵀ`, see [`Tiles::Upper`]).
    PackedB {
        /// The column of `b` that holds the block's row 0.
        col0: usize,
    },
}

impl RowSource {
    /// How a block of an ordinary product reads `a`: in place where rows are contiguous.
    fn of<T>(a: MatRef<'_, T>) -> Self {
        if a.col_stride == 1 {
            RowSource::InPlace
        } else {
            RowSource::Packed
        }
    }
}

/// All tiles of the rows of `a` against one packed depth block of `b` (`kc` deep from `pc`,
/// `nc` columns): [`rows_per_sweep`] rows at a time, read as `source` says and swept across the
/// strips of `b_pack`, then the next rows. `out` is the block's element `(0, 0)`. With
/// `skip_below = Some((row0, col0))` (the block's first row and column in the whole product),
/// tiles whose every element lies below the diagonal are skipped.
#[allow(clippy::too_many_arguments)]
fn row_block<T: PackedFloat>(
    a: MatRef<'_, T>,
    pc: usize,
    kc: usize,
    b_pack: &[T],
    nc: usize,
    out: Dst<T>,
    skip_below: Option<(usize, usize)>,
    source: RowSource,
) {
    let m = a.rows;
    let sweep = rows_per_sweep::<T>(kc);
    let pack_rows = match source {
        RowSource::InPlace => MR,
        RowSource::Packed => m.min(sweep).next_multiple_of(MR),
        RowSource::PackedB { .. } => 0,
    };
    let mut a_pack = vec![T::default(); kc * pack_rows];
    let mut edge = vec![T::default(); MR * T::NR];
    let load = pc > 0;
    for ic in (0..m).step_by(sweep) {
        let mc = (m - ic).min(sweep);
        match source {
            RowSource::Packed => {
                for (s, strip) in a_pack[..mc.next_multiple_of(MR) * kc]
                    .chunks_exact_mut(MR * kc)
                    .enumerate()
                {
                    pack_a_strip(a, ic + s * MR, (mc - s * MR).min(MR), pc, kc, strip);
                }
            }
            RowSource::InPlace if !mc.is_multiple_of(MR) => {
                let last = mc - mc % MR;
                pack_a_strip(a, ic + last, mc % MR, pc, kc, &mut a_pack);
            }
            RowSource::InPlace | RowSource::PackedB { .. } => {}
        }
        for jr in (0..nc).step_by(T::NR) {
            let nr = (nc - jr).min(T::NR);
            let b_strip = &b_pack[jr * kc..(jr + T::NR) * kc];
            for ir in (0..mc).step_by(MR) {
                let mr = (mc - ir).min(MR);
                if skip_below.is_some_and(|(row0, col0)| col0 + jr + nr <= row0 + ic + ir) {
                    continue;
                }
                let a_strip = match source {
                    RowSource::Packed => Strip::packed(&a_pack[ir * kc..(ir + MR) * kc], kc),
                    RowSource::InPlace if mr == MR => Strip::in_place(a, ic + ir, pc, kc),
                    RowSource::InPlace => Strip::packed(&a_pack, kc),
                    RowSource::PackedB { col0 } => {
                        Strip::from_packed_b(b_pack, kc, nc, col0 + ic + ir, mr)
                    }
                };
                // SAFETY: (ic + ir, jr) is inside the block `out` (rows < m, columns < nc).
                let c = unsafe { out.at((ic + ir) * out.ldc + jr) };
                // The next tile's destination: down the strip, else the top of the next one.
                let next = if ir + MR < mc {
                    Some((ic + ir + MR, jr))
                } else if jr + T::NR < nc {
                    Some((ic, jr + T::NR))
                } else {
                    None
                };
                if let Some((row, col)) = next {
                    prefetch_tile::<T>(out.ptr.wrapping_add(row * out.ldc + col), out.ldc);
                }
                if mr == MR && nr == T::NR {
                    // SAFETY: AVX2/FMA checked in `product`; `a_strip`'s rows are readable for
                    // kc steps (see its constructors), `b_strip` holds kc·NR elements; the
                    // whole MR × NR tile at `c` is inside the destination, and initialised
                    // when `load` (an earlier depth block wrote it).
                    unsafe { a_strip.tile(kc, b_strip, c.ptr, c.ldc, load) };
                } else {
                    edge_tile(kc, a_strip, b_strip, c, mr, nr, load, &mut edge);
                }
            }
        }
    }
}

/// Asks the CPU to fetch the destination lines of the register tile at `c` (`MR` rows of `NR`
/// elements, `ldc` apart), so that the tile running before it overlaps the misses (a fresh
/// output is in no cache; each tile writes, or reads and writes, `MR` lines of it). On a Zen 3
/// VM (two threads, old and new builds alternating, best of 7 per run, three runs each) this
/// ran f64 4096 × 256 · 256 × 256 in 5.82–5.93 ms (was 6.18–6.29) and f32 16384 × 256 · 256 ×
/// 256 in 11.9–12.2 ms (was 12.4–12.8); the benchmark's other products within noise. Rows
/// past the destination's end (an edge tile's) are prefetched too: a prefetch reads nothing
/// the program sees and never faults, whatever the address.
#[inline(always)]
fn prefetch_tile<T: PackedFloat>(c: *const T, ldc: usize) {
    #[cfg(target_arch = "x86_64")]
    for i in 0..MR {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let row = c.wrapping_add(i * ldc);
        // SAFETY: `prefetcht0` (SSE, in every x86-64) is only a hint: it accesses nothing
        // the program can observe and does not fault on any address.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(row.cast::<i8>());
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(T::NR - 1).cast::<i8>());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (c, ldc);
}

/// Where the register tile reads its `MR` rows of `a`: row `i`, step `p` at
/// `rows[i][p·step]`. Every constructor checks that those `kc` steps lie inside its slice.
#[derive(Clone, Copy)]
struct Strip<T> {
    rows: [*const T; MR],
    step: usize,
}

impl<T: PackedFloat> Strip<T> {
    /// A packed strip of `kc` steps: step `p` holds the `MR` rows' elements side by side.
    fn packed(strip: &[T], kc: usize) -> Self {
        assert!(strip.len() >= kc * MR, "packed gemm: a short packed strip");
        Strip {
            rows: std::array::from_fn(|i| strip[i..].as_ptr()),
            step: MR,
        }
    }

    /// Rows `i0 .. i0 + MR`, columns `pc .. pc + kc` of a checked view, read in place (a
    /// step is the view's column stride).
    fn in_place(a: MatRef<'_, T>, i0: usize, pc: usize, kc: usize) -> Self {
        assert!(
            i0 + MR <= a.rows && pc + kc <= a.cols,
            "packed gemm: rows read in place outside the view"
        );
        Strip {
            // In bounds: row i0 + i < rows, columns pc .. pc + kc ≤ cols of a checked view.
            rows: std::array::from_fn(|i| {
                a.data[(i0 + i) * a.row_stride + pc * a.col_stride..].as_ptr()
            }),
            step: a.col_stride,
        }
    }

    /// Columns `j0 .. j0 + mr` of a packed depth block of `b` (`kc` deep, `nc` columns in
    /// strips of `NR`) as rows; rows past `mr` repeat column `j0` (the edge tile drops them).
    fn from_packed_b(b_pack: &[T], kc: usize, nc: usize, j0: usize, mr: usize) -> Self {
        assert!(
            j0 + mr <= nc,
            "packed gemm: a row of a outside the packed columns"
        );
        Strip {
            rows: std::array::from_fn(|i| {
                let j = if i < mr { j0 + i } else { j0 };
                // In bounds: column j < nc lies in strip j / NR, whose kc steps of NR elements
                // are all inside `b_pack`.
                b_pack[j / T::NR * T::NR * kc + j % T::NR..].as_ptr()
            }),
            step: T::NR,
        }
    }

    /// Runs the register tile over `kc` steps of this strip and `b_strip`.
    ///
    /// # Safety
    /// As [`PackedFloat::tile`]: the strip's `MR` rows are readable for `kc` steps, `b_strip`
    /// holds `kc·NR` elements.
    unsafe fn tile(self, kc: usize, b_strip: &[T], c: *mut T, ldc: usize, load: bool) {
        debug_assert!(b_strip.len() >= kc * T::NR);
        // SAFETY: forwarded from the caller.
        unsafe {
            T::tile::<false>(
                kc,
                &self.rows,
                self.step,
                BSteps::packed(b_strip),
                c,
                ldc,
                load,
            )
        }
    }

    /// Runs the register tile over `kc` steps of this strip and of `b` read as `steps` says,
    /// writing each step of `b` to `steps.copy_to` (packing it).
    ///
    /// # Safety
    /// As [`PackedFloat::tile`] with `COPY`.
    unsafe fn tile_copying_b(self, kc: usize, steps: BSteps<T>, c: *mut T, ldc: usize, load: bool) {
        // SAFETY: forwarded from the caller.
        unsafe { T::tile::<true>(kc, &self.rows, self.step, steps, c, ldc, load) }
    }
}

/// A tile cut by the edge of the destination (`mr × nr` of the `MR × NR` elements are real):
/// the register tile runs on `edge`, and only the real elements are copied in and out.
#[allow(clippy::too_many_arguments)]
fn edge_tile<T: PackedFloat>(
    kc: usize,
    a_strip: Strip<T>,
    b_strip: &[T],
    c: Dst<T>,
    mr: usize,
    nr: usize,
    load: bool,
    edge: &mut [T],
) {
    for i in 0..mr {
        for j in 0..nr {
            // SAFETY: element (i, j) with i < mr, j < nr is inside the destination, and was
            // written by an earlier depth block when `load`.
            edge[i * T::NR + j] = if load {
                unsafe { *c.ptr.add(i * c.ldc + j) }
            } else {
                T::default()
            };
        }
    }
    // SAFETY: AVX2/FMA checked in `product`; the caller's strips are readable for kc steps;
    // `edge` holds MR × NR initialised elements, NR apart. Always `load`: `edge` holds zeros
    // where a chain starts, and fma(x, y, 0) = x·y exactly rounded, as a fresh chain's first
    // step.
    unsafe { a_strip.tile(kc, b_strip, edge.as_mut_ptr(), T::NR, true) };
    for i in 0..mr {
        for j in 0..nr {
            // SAFETY: as above; (i, j) is inside the destination.
            unsafe { *c.ptr.add(i * c.ldc + j) = edge[i * T::NR + j] };
        }
    }
}

/// Steps [`pack_b_strips`] packs into one strip before moving on to the next strip: `b` is
/// read a few rows at a time, each row across all its strips, rather than down one strip's
/// columns through all `kc` rows (rows 4–8 KiB apart, a new page for every step). A
/// 256 × 1024 · 1024 × 1024 f64 product on two Zen 3 threads ran 84 → 88–90 GFLOP/s.
const PACK_STEPS: usize = 16;

/// Packs columns `j0 ..` of `b`, rows `pc .. pc+kc`, into the `NR`-wide strips that make up
/// `strips` (`strips.len() / (NR·kc)` of them): in strip `s`, step `p` holds the `NR` elements
/// `b[pc+p][j0 + s·NR + j]` side by side (zeros past `width` columns).
fn pack_b_strips<T: PackedFloat>(
    b: MatRef<'_, T>,
    pc: usize,
    kc: usize,
    j0: usize,
    width: usize,
    strips: &mut [MaybeUninit<T>],
) {
    for p0 in (0..kc).step_by(PACK_STEPS) {
        let p1 = (p0 + PACK_STEPS).min(kc);
        for (s, strip) in strips.chunks_exact_mut(T::NR * kc).enumerate() {
            let (col, cols) = (j0 + s * T::NR, width.saturating_sub(s * T::NR).min(T::NR));
            for (p, row) in strip[p0 * T::NR..p1 * T::NR]
                .chunks_exact_mut(T::NR)
                .enumerate()
            {
                let base = (pc + p0 + p) * b.row_stride + col * b.col_stride;
                if b.col_stride == 1 && cols == T::NR {
                    let src = &b.data[base..base + T::NR];
                    // SAFETY: `row` and `src` both hold NR elements, and `row` (the packing
                    // buffer) does not overlap `b`. A copy of a constant length is a few vector
                    // moves, not a call to `memcpy`.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            src.as_ptr(),
                            row.as_mut_ptr().cast::<T>(),
                            T::NR,
                        )
                    };
                    continue;
                } else if b.col_stride == 1 {
                    for (x, &v) in row[..cols].iter_mut().zip(&b.data[base..base + cols]) {
                        x.write(v);
                    }
                } else {
                    for (j, x) in row[..cols].iter_mut().enumerate() {
                        x.write(b.data[base + j * b.col_stride]);
                    }
                }
                for x in &mut row[cols..] {
                    x.write(T::default());
                }
            }
        }
    }
}

/// Packs rows `i0 .. i0+height` (`height ≤ MR`) of `a`, columns `pc .. pc+kc`, into `strip`:
/// step `p` holds the `MR` elements `a[i0 + i][pc + p]` side by side (zeros past `height`).
fn pack_a_strip<T: PackedFloat>(
    a: MatRef<'_, T>,
    i0: usize,
    height: usize,
    pc: usize,
    kc: usize,
    strip: &mut [T],
) {
    let strip = &mut strip[..MR * kc];
    if a.row_stride == 1 {
        // Columns of `a` are contiguous (a transposed row-major matrix).
        for (p, col) in strip.chunks_exact_mut(MR).enumerate() {
            let base = i0 + (pc + p) * a.col_stride;
            if height == MR {
                // One fixed-length copy (a few vector moves, no call to `memcpy`).
                col.copy_from_slice(&a.data[base..base + MR]);
            } else {
                col[..height].copy_from_slice(&a.data[base..base + height]);
                col[height..].fill(T::default());
            }
        }
    } else {
        for i in 0..MR {
            let row = (i0 + i) * a.row_stride + pc * a.col_stride;
            for (p, x) in strip[i..].iter_mut().step_by(MR).enumerate() {
                *x = if i < height {
                    a.data[row + p * a.col_stride]
                } else {
                    T::default()
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::uniform as values;

    /// `a · b` as one fused multiply-add chain per element, in order (the documented result).
    fn chained<T: Copy + Default>(
        a: MatRef<'_, T>,
        b: MatRef<'_, T>,
        fma: fn(T, T, T) -> T,
    ) -> Vec<T> {
        let mut out = vec![T::default(); a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                let mut acc = T::default();
                for p in 0..a.cols {
                    let x = a.data[i * a.row_stride + p * a.col_stride];
                    let y = b.data[p * b.row_stride + j * b.col_stride];
                    acc = fma(x, y, acc);
                }
                out[i * b.cols + j] = acc;
            }
        }
        out
    }

    /// `product(a, b)` called from a worker of another rayon pool (of `threads` threads).
    fn packed<T: PackedFloat>(a: MatRef<'_, T>, b: MatRef<'_, T>, threads: usize) -> Vec<T> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| packed_here(a, b, threads))
    }

    /// `product(a, b)` called on this thread (outside any pool).
    fn packed_here<T: PackedFloat>(a: MatRef<'_, T>, b: MatRef<'_, T>, threads: usize) -> Vec<T> {
        let mut out = vec![T::default(); a.rows * b.cols];
        // SAFETY: `MaybeUninit<T>` has the layout of `T`; `product` writes only `T`s.
        let dst = unsafe { &mut *(out.as_mut_slice() as *mut [T] as *mut [MaybeUninit<T>]) };
        product(a, b, dst, threads);
        out
    }

    /// Every layout and size class against the in-order chain, for one float type.
    fn check_type<T: PackedFloat + std::fmt::Debug + PartialEq>(
        from: fn(f64) -> T,
        fma: fn(T, T, T) -> T,
    ) {
        // (m, k, n): edges in every direction, several depth blocks (k > 1024), several row
        // blocks (m > 144), several shorter sweeps of a deep block (m > 60 rows at depth
        // 1024), more than one column block (n > 4080), one-element products; with m ≥ 6 a
        // single-threaded block's first row strip packs `b` as it reads it (m < 6 packs first).
        let shapes = [
            (1, 1, 1),
            (5, 3, 7),
            (6, 256, 16),
            (13, 513, 33),
            (9, 2100, 20),
            (150, 300, 40),
            (70, 1030, 20),
            (7, 3, 4100),
            (40, 40, 2),
        ];
        for (m, k, n) in shapes {
            let a_rows: Vec<T> = values(m * (k + 3), 1).into_iter().map(from).collect();
            let a_cols: Vec<T> = values(k * m, 2).into_iter().map(from).collect();
            let b_rows: Vec<T> = values(k * n, 3).into_iter().map(from).collect();
            let b_cols: Vec<T> = values(n * k, 4).into_iter().map(from).collect();
            let a_views = [
                // Rows read in place, with a row stride longer than the row.
                MatRef {
                    data: &a_rows,
                    rows: m,
                    cols: k,
                    row_stride: k + 3,
                    col_stride: 1,
                },
                // A transpose: packed from contiguous columns.
                MatRef::row_major(&a_cols, k, m).t(),
            ];
            let b_views = [
                MatRef::row_major(&b_rows, k, n),
                MatRef::row_major(&b_cols, n, k).t(),
            ];
            for a in a_views {
                for b in b_views {
                    let want = chained(a, b, fma);
                    for threads in [1, 2, 3] {
                        assert_eq!(
                            packed(a, b, threads),
                            want,
                            "{m}×{k}×{n}, {threads} threads"
                        );
                        assert_eq!(
                            packed_here(a, b, threads),
                            want,
                            "{m}×{k}×{n}, {threads} threads, called outside a pool"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn deep_blocks_sweep_fewer_rows_so_they_stay_in_l2() {
        assert_eq!(rows_per_sweep::<f32>(256), f32::MC);
        assert_eq!(rows_per_sweep::<f64>(256), f64::MC);
        assert_eq!(rows_per_sweep::<f32>(1024), 60);
        assert_eq!(rows_per_sweep::<f64>(1024), 30);
        assert_eq!(rows_per_sweep::<f64>(1 << 20), MR);
    }

    #[test]
    fn gram_row_blocks_balance_tiles_and_packing_in_whole_tile_rows() {
        // 16384 × 256 xᵀx on two threads: the first block packs all 16 strips and computes
        // 196 tiles; the second packs 11 and computes 179 (rows 72.. would leave it 211).
        assert_eq!(gram_row_blocks(256, 2, 16), vec![0, 84, 256]);
        assert_eq!(gram_row_blocks(256, 1, 16), vec![0, 256]);
        assert_eq!(gram_row_blocks(5, 1, 16), vec![0, 5]);
        for (d, parts) in [(7, 2), (40, 3), (301, 4), (1000, 16), (13, 3)] {
            let b = gram_row_blocks(d, parts, 8);
            assert!(b.len() >= 2 && b.len() - 1 <= parts, "{d} {parts}: {b:?}");
            assert_eq!((b[0], b[b.len() - 1]), (0, d), "{d} {parts}: {b:?}");
            assert!(
                b.windows(2).all(|w| w[0] < w[1] && w[0] % MR == 0),
                "{d} {parts}: {b:?}"
            );
        }
    }

    #[test]
    fn the_upper_product_writes_the_full_products_upper_triangle() {
        if !available() {
            eprintln!("skipped: this machine has no AVX2/FMA, so the packed product never runs");
            return;
        }
        for (d, k) in [(1, 1), (7, 5), (40, 300), (150, 70), (301, 9), (20, 2100)] {
            let x: Vec<f32> = values(d * k, 5).into_iter().map(|v| v as f32).collect();
            let l = MatRef::row_major(&x, k, d).t();
            let full = chained(l, l.t(), f32::mul_add);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut upper = vec![f32::NAN; d * d];
                // SAFETY: `MaybeUninit<f32>` has the layout of `f32`.
                let dst = unsafe {
                    &mut *(upper.as_mut_slice() as *mut [f32] as *mut [MaybeUninit<f32>])
                };
                pool.install(|| upper_product(l, dst, threads));
                let mut here = vec![f32::NAN; d * d];
                // SAFETY: as above.
                let dst =
                    unsafe { &mut *(here.as_mut_slice() as *mut [f32] as *mut [MaybeUninit<f32>]) };
                upper_product(l, dst, threads);
                for i in 0..d {
                    let row = i * d + i..(i + 1) * d;
                    assert_eq!(
                        upper[row.clone()],
                        full[row.clone()],
                        "{d}×{k}, row {i}, {threads} threads"
                    );
                    assert_eq!(
                        here[row.clone()],
                        full[row],
                        "{d}×{k}, row {i}, {threads} threads, called outside a pool"
                    );
                }
            }
        }
    }

    #[test]
    fn every_element_is_the_in_order_fma_chain_whatever_the_layout_split_or_threads() {
        if !available() {
            eprintln!("skipped: this machine has no AVX2/FMA, so the packed product never runs");
            return;
        }
        check_type::<f32>(|x| x as f32, f32::mul_add);
        check_type::<f64>(|x| x, f64::mul_add);
    }
}
