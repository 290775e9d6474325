//! Matrix–vector products: `M·v` (a dot product per row of `M`) and `v·M` (a scaled sum of the
//! rows of `M`), for `f32` and `f64`, on every thread of the kernel pool for large matrices.
//!
//! The `gemm` crate runs these on one thread, and its `M·v` sums a row in another order when
//! the matrix is split, so it cannot be split across threads without changing the result.
//! Here every output element is computed by the same arithmetic wherever it falls, so the
//! result does not depend on the thread count or on how the output is split:
//!
//! * `M·v`, `out[i] = Σ_k M[i,k]·v[k]`: [`LANES`] running sums per row (sum `l` takes
//!   `k ≡ l mod LANES`, fused multiply-adds in `k` order), added pairwise
//!   (`(s0+s8)+(s4+s12)`, …), then the last `k mod LANES` products in `k` order.
//! * `v·M`, `out[j] = Σ_i v[i]·M[i,j]`: one running sum per column, fused multiply-adds in `i`
//!   order (as a naive loop would, starting from `v[0]·M[0,j]`).
//!
//! Both are compiled for AVX-512 and AVX2 + FMA with the same logical lanes (so both give the
//! same bits) and for the portable path, which rounds each multiply-add twice (see
//! [`super::transcendental::Separate`]). Error: at most `k` roundings per output, like any
//! summation in a fixed order (the `M·v` order is pairwise across lanes, so typically less).

use std::mem::MaybeUninit;
use std::sync::{Mutex, PoisonError};

use super::transcendental::{Fused, MulAdd, Path, Separate};
use crate::cpu_time::kernel_pool;
use crate::parts::run_parts;

/// Logical lanes of the `M·v` running sums (one AVX-512 register of `f32`).
const LANES: usize = 16;

/// Columns of `v·M` whose running sums are kept together (8 KiB of `f32`, in L1 while the
/// rows stream past).
const COLUMN_BLOCK: usize = 2048;

/// Products with at least this many multiply-adds run on every thread of the kernel pool
/// (below it the hand-off costs more than the second thread saves).
const PARALLEL_MIN: usize = 1 << 18;

/// `f32` or `f64`, with its fused or separate multiply-add and its SIMD registers. Public in
/// a private module (it cannot be named outside flopscope), so that the public
/// [`crate::gemm::GemmFloat`] can require it.
pub trait MvFloat: Copy + Send + Sync + std::ops::Add<Output = Self> {
    /// Zero.
    const ZERO: Self;
    /// An AVX-512 register of this type.
    #[cfg(target_arch = "x86_64")]
    type Wide: regs::Reg<T = Self>;
    /// An AVX2 register of this type.
    #[cfg(target_arch = "x86_64")]
    type Narrow: regs::Reg<T = Self>;
    /// `a·b + c`, evaluated as `M` does.
    fn mul_add<M: MulAdd>(a: Self, b: Self, c: Self) -> Self;
    /// [`crate::kernels::matrix_vector_product`] for this type, compiled once inside
    /// flopscope, so `Tensor::matmul` and [`crate::gemm::matrix_vector_to_vec`] callers in
    /// other crates run the very same machine code.
    fn matrix_vector_product(
        a: crate::gemm::MatRef<'_, Self>,
        b: crate::gemm::MatRef<'_, Self>,
    ) -> Option<Vec<Self>>;
}

impl MvFloat for f32 {
    const ZERO: f32 = 0.0;
    #[inline(never)]
    fn matrix_vector_product(
        a: crate::gemm::MatRef<'_, f32>,
        b: crate::gemm::MatRef<'_, f32>,
    ) -> Option<Vec<f32>> {
        crate::kernels::matrix_vector_product(a, b)
    }
    #[cfg(target_arch = "x86_64")]
    type Wide = std::arch::x86_64::__m512;
    #[cfg(target_arch = "x86_64")]
    type Narrow = std::arch::x86_64::__m256;
    #[inline(always)]
    fn mul_add<M: MulAdd>(a: f32, b: f32, c: f32) -> f32 {
        M::f32(a, b, c)
    }
}

impl MvFloat for f64 {
    const ZERO: f64 = 0.0;
    #[inline(never)]
    fn matrix_vector_product(
        a: crate::gemm::MatRef<'_, f64>,
        b: crate::gemm::MatRef<'_, f64>,
    ) -> Option<Vec<f64>> {
        crate::kernels::matrix_vector_product(a, b)
    }
    #[cfg(target_arch = "x86_64")]
    type Wide = std::arch::x86_64::__m512d;
    #[cfg(target_arch = "x86_64")]
    type Narrow = std::arch::x86_64::__m256d;
    #[inline(always)]
    fn mul_add<M: MulAdd>(a: f64, b: f64, c: f64) -> f64 {
        M::f64(a, b, c)
    }
}

/// The SIMD registers the `M·v` lane sums run in: each register holds `W` consecutive
/// logical lanes, so every path computes the same [`LANES`] sums.
#[cfg(target_arch = "x86_64")]
mod regs {
    use std::arch::x86_64::*;

    /// A register of `W` lanes of `T`. Every method needs the register's instruction set:
    /// call them only from code compiled for it (`kernel_avx512`, `kernel_avx2`).
    pub trait Reg: Copy {
        /// The lane type.
        type T;
        /// Lanes per register.
        const W: usize;
        /// All lanes zero.
        ///
        /// # Safety
        /// The CPU must support the register's instruction set.
        unsafe fn zero() -> Self;
        /// `W` lanes read from `p` (unaligned).
        ///
        /// # Safety
        /// As [`Reg::zero`], and `p` must be valid for reading `W` values.
        unsafe fn load(p: *const Self::T) -> Self;
        /// `a·b + c` lane by lane, rounded once.
        ///
        /// # Safety
        /// As [`Reg::zero`].
        unsafe fn fma(a: Self, b: Self, c: Self) -> Self;
        /// The lanes written to `p` (unaligned).
        ///
        /// # Safety
        /// As [`Reg::zero`], and `p` must be valid for writing `W` values.
        unsafe fn store(self, p: *mut Self::T);
    }

    macro_rules! reg {
        ($v:ty, $t:ty, $w:expr, $zero:ident, $load:ident, $fma:ident, $store:ident) => {
            impl Reg for $v {
                type T = $t;
                const W: usize = $w;
                #[inline(always)]
                unsafe fn zero() -> Self {
                    // SAFETY: the caller runs on a CPU with this instruction set.
                    unsafe { $zero() }
                }
                #[inline(always)]
                unsafe fn load(p: *const $t) -> Self {
                    // SAFETY: the caller guarantees the instruction set and `W` readable values.
                    unsafe { $load(p) }
                }
                #[inline(always)]
                unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this instruction set.
                    unsafe { $fma(a, b, c) }
                }
                #[inline(always)]
                unsafe fn store(self, p: *mut $t) {
                    // SAFETY: the caller guarantees the instruction set and `W` writable values.
                    unsafe { $store(p, self) }
                }
            }
        };
    }
    reg!(
        __m512,
        f32,
        16,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_fmadd_ps,
        _mm512_storeu_ps
    );
    reg!(
        __m256,
        f32,
        8,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_fmadd_ps,
        _mm256_storeu_ps
    );
    reg!(
        __m512d,
        f64,
        8,
        _mm512_setzero_pd,
        _mm512_loadu_pd,
        _mm512_fmadd_pd,
        _mm512_storeu_pd
    );
    reg!(
        __m256d,
        f64,
        4,
        _mm256_setzero_pd,
        _mm256_loadu_pd,
        _mm256_fmadd_pd,
        _mm256_storeu_pd
    );
}

/// How the lane sums of `G` rows are accumulated: `sums[g][l] = Σ_c rows[g][c·LANES + l] ·
/// v[c·LANES + l]` over the first `body` elements (a multiple of [`LANES`]), one fused (or
/// separate, as the path rounds) multiply-add per term in `c` order, from zero.
trait LaneSums<T> {
    /// The sums.
    ///
    /// # Safety
    /// The CPU must support the instructions the implementation uses.
    ///
    /// # Panics
    /// If `body` is not a multiple of [`LANES`] or exceeds a row or `v`.
    unsafe fn sums<const G: usize>(rows: [&[T]; G], v: &[T], body: usize) -> [[T; LANES]; G];
}

/// [`LaneSums`] in plain code, multiply-adds as `M` evaluates them.
struct ScalarSums<M>(std::marker::PhantomData<M>);

impl<T: MvFloat, M: MulAdd> LaneSums<T> for ScalarSums<M> {
    #[inline(always)]
    unsafe fn sums<const G: usize>(rows: [&[T]; G], v: &[T], body: usize) -> [[T; LANES]; G] {
        assert!(body.is_multiple_of(LANES));
        let mut acc = [[T::ZERO; LANES]; G];
        for c in (0..body).step_by(LANES) {
            for (g, row) in rows.iter().enumerate() {
                for l in 0..LANES {
                    acc[g][l] = T::mul_add::<M>(row[c + l], v[c + l], acc[g][l]);
                }
            }
        }
        acc
    }
}

/// [`LaneSums`] in registers `V` (fused multiply-adds).
#[cfg(target_arch = "x86_64")]
struct SimdSums<V>(std::marker::PhantomData<V>);

#[cfg(target_arch = "x86_64")]
impl<V: regs::Reg> LaneSums<V::T> for SimdSums<V>
where
    V::T: MvFloat,
{
    #[inline(always)]
    unsafe fn sums<const G: usize>(
        rows: [&[V::T]; G],
        v: &[V::T],
        body: usize,
    ) -> [[V::T; LANES]; G] {
        assert!(
            body.is_multiple_of(LANES) && body <= v.len() && rows.iter().all(|r| body <= r.len())
        );
        // Registers per set of LANES lanes (1, 2 or 4).
        let per = LANES / V::W;
        // SAFETY: the caller runs on a CPU with `V`'s instruction set. Every load reads
        // `W` values at `c + j·W` with `c + LANES <= body` and `j·W + W <= LANES`, inside
        // `v` and each row (asserted above); every store writes `W` values inside a
        // `LANES`-element array.
        unsafe {
            let mut acc = [[V::zero(); 4]; G];
            let mut c = 0;
            while c < body {
                for j in 0..per {
                    let at = c + j * V::W;
                    let x = V::load(v.as_ptr().add(at));
                    for (acc, row) in acc.iter_mut().zip(rows) {
                        acc[j] = V::fma(V::load(row.as_ptr().add(at)), x, acc[j]);
                    }
                }
                c += LANES;
            }
            let mut out = [[V::T::ZERO; LANES]; G];
            for (out, acc) in out.iter_mut().zip(&acc) {
                for (j, reg) in acc.iter().take(per).enumerate() {
                    reg.store(out.as_mut_ptr().add(j * V::W));
                }
            }
            out
        }
    }
}

/// A row-major matrix: `rows × cols` elements, row `r` starting at `data[r·row_stride]`,
/// each row contiguous.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns (the length of each row).
    pub cols: usize,
    /// Elements between the starts of consecutive rows.
    pub row_stride: usize,
}

impl<T> Rows<'_, T> {
    /// Row `r`.
    #[inline(always)]
    fn row(&self, r: usize) -> &[T] {
        &self.data[r * self.row_stride..][..self.cols]
    }

    /// Whether every row lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1)
                .checked_mul(self.row_stride)
                .and_then(|s| s.checked_add(self.cols))
                .is_some_and(|end| end <= self.data.len())
    }
}

/// The finished dot product of one row: the lanes added pairwise, then the tail products.
#[inline(always)]
fn finish_row<T: MvFloat, M: MulAdd>(acc: &[T; LANES], row_tail: &[T], v_tail: &[T]) -> T {
    let mut s = *acc;
    let mut half = LANES / 2;
    while half > 0 {
        for l in 0..half {
            s[l] = s[l] + s[l + half];
        }
        half /= 2;
    }
    row_tail
        .iter()
        .zip(v_tail)
        .fold(s[0], |sum, (&a, &b)| T::mul_add::<M>(a, b, sum))
}

/// `out[r] = m.row(first + r) · v` for every `r` (serial), the lane sums by `S`, the
/// finishing multiply-adds as `M` evaluates them.
///
/// # Safety
/// The CPU must support the instructions `S` uses.
#[inline(always)]
unsafe fn dot_rows<T: MvFloat, S: LaneSums<T>, M: MulAdd>(
    m: Rows<'_, T>,
    first: usize,
    v: &[T],
    out: &mut [MaybeUninit<T>],
) {
    let body = v.len() / LANES * LANES;
    let v_tail = &v[body..];
    let mut groups = out.chunks_exact_mut(4);
    let mut r = first;
    for dst in &mut groups {
        let rows = [m.row(r), m.row(r + 1), m.row(r + 2), m.row(r + 3)];
        // SAFETY: forwarded from the caller.
        let sums = unsafe { S::sums(rows, v, body) };
        for ((d, sums), row) in dst.iter_mut().zip(&sums).zip(rows) {
            d.write(finish_row::<T, M>(sums, &row[body..], v_tail));
        }
        r += 4;
    }
    for dst in groups.into_remainder() {
        let row = m.row(r);
        // SAFETY: forwarded from the caller.
        let [sums] = unsafe { S::sums([row], v, body) };
        dst.write(finish_row::<T, M>(&sums, &row[body..], v_tail));
        r += 1;
    }
}

/// Rows of `m` that `v·m` adds into the running sums at a time (each sum still takes them
/// in row order).
const ROW_GROUP: usize = 4;

/// `out[c] = Σ_i v[i]·m[i, first + c]` for every `c` (serial): for each block of
/// [`COLUMN_BLOCK`] columns, the rows in order, [`ROW_GROUP`] at a time, streamed through the
/// block's running sums.
#[inline(always)]
fn sum_rows<T: MvFloat, M: MulAdd>(
    m: Rows<'_, T>,
    first: usize,
    v: &[T],
    out: &mut [MaybeUninit<T>],
) {
    let mut col = first;
    for dst in out.chunks_mut(COLUMN_BLOCK) {
        let w = dst.len();
        let mut acc = [T::ZERO; COLUMN_BLOCK];
        let acc = &mut acc[..w];
        let (v_groups, v_rest) = v.as_chunks::<ROW_GROUP>();
        for (g, vg) in v_groups.iter().enumerate() {
            let i = g * ROW_GROUP;
            let (r0, r1, r2, r3) = (
                &m.row(i)[col..col + w],
                &m.row(i + 1)[col..col + w],
                &m.row(i + 2)[col..col + w],
                &m.row(i + 3)[col..col + w],
            );
            for ((((a, &x0), &x1), &x2), &x3) in acc.iter_mut().zip(r0).zip(r1).zip(r2).zip(r3) {
                let s = T::mul_add::<M>(vg[0], x0, *a);
                let s = T::mul_add::<M>(vg[1], x1, s);
                let s = T::mul_add::<M>(vg[2], x2, s);
                *a = T::mul_add::<M>(vg[3], x3, s);
            }
        }
        for (j, &vi) in v_rest.iter().enumerate() {
            let row = &m.row(v_groups.len() * ROW_GROUP + j)[col..col + w];
            for (a, &x) in acc.iter_mut().zip(row) {
                *a = T::mul_add::<M>(vi, x, *a);
            }
        }
        for (d, &a) in dst.iter_mut().zip(acc.iter()) {
            d.write(a);
        }
        col += w;
    }
}

/// Which product a kernel computes.
#[derive(Clone, Copy)]
enum Kind {
    /// `M·v`: output element `r` is row `r`'s dot product with `v`.
    DotRows,
    /// `v·M`: output element `c` is column `c`'s combination with weights `v`.
    SumRows,
}

/// Defines one kernel body compiled for a target feature set, its `M·v` lane sums in the
/// registers `$reg` of `T`.
macro_rules! compiled_for {
    ($name:ident, $features:literal, $reg:ident) => {
        /// The kernel of `kind` compiled for these target features.
        ///
        /// # Safety
        /// The CPU must support the target features.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name<T: MvFloat>(
            kind: Kind,
            m: Rows<'_, T>,
            first: usize,
            v: &[T],
            out: &mut [MaybeUninit<T>],
        ) {
            match kind {
                // SAFETY: this function only runs on a CPU with the target features, which
                // include `T::$reg`'s instruction set.
                Kind::DotRows => unsafe {
                    dot_rows::<T, SimdSums<T::$reg>, Fused>(m, first, v, out)
                },
                Kind::SumRows => sum_rows::<T, Fused>(m, first, v, out),
            }
        }
    };
}
compiled_for!(kernel_avx512, "avx512f,avx2,fma", Wide);
compiled_for!(kernel_avx2, "avx2,fma", Narrow);

/// Runs the kernel of `kind` on `path` for output elements `first ..` (serial).
fn run<T: MvFloat>(
    path: Path,
    kind: Kind,
    m: Rows<'_, T>,
    first: usize,
    v: &[T],
    out: &mut [MaybeUninit<T>],
) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => {
            assert!(
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            );
            // SAFETY: AVX-512F, AVX2 and FMA were detected just above.
            unsafe { kernel_avx512(kind, m, first, v, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2Fma => {
            assert!(
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            );
            // SAFETY: AVX2 and FMA were detected just above.
            unsafe { kernel_avx2(kind, m, first, v, out) }
        }
        Path::Portable => match kind {
            // SAFETY: the plain lane sums use no special instructions.
            Kind::DotRows => unsafe {
                dot_rows::<T, ScalarSums<Separate>, Separate>(m, first, v, out)
            },
            Kind::SumRows => sum_rows::<T, Separate>(m, first, v, out),
        },
    }
}

/// Output elements per task when split across the pool: one task per thread (each streams
/// the longest contiguous pieces of the matrix it can), whole cache lines of output each.
fn chunk_len(len: usize, threads: usize) -> usize {
    const LINE: usize = 64;
    len.div_ceil(threads.max(1)).div_ceil(LINE).max(1) * LINE
}

/// The product of `kind` into `out` (one element per row of `m` for [`Kind::DotRows`], per
/// column for [`Kind::SumRows`]), split over `threads` threads of the kernel pool when
/// `threads > 1`. The result does not depend on `threads`.
fn product_into<T: MvFloat>(
    path: Path,
    kind: Kind,
    m: Rows<'_, T>,
    v: &[T],
    out: &mut [MaybeUninit<T>],
    threads: usize,
) {
    assert!(m.fits(), "matvec: the matrix view overruns its elements");
    let (len, depth) = match kind {
        Kind::DotRows => (m.rows, m.cols),
        Kind::SumRows => (m.cols, m.rows),
    };
    assert_eq!(v.len(), depth, "matvec: vector length");
    assert_eq!(out.len(), len, "matvec: output length");
    if threads > 1 {
        // The calling thread computes pieces itself alongside the pool: a product this small
        // would otherwise spend a good part of its time waiting for the pool to hand control
        // back (see `crate::parts`).
        let chunk = chunk_len(len, threads);
        let pieces: Vec<Mutex<&mut [MaybeUninit<T>]>> =
            out.chunks_mut(chunk).map(Mutex::new).collect();
        run_parts(pieces.len(), |c| {
            let mut dst = pieces[c].lock().unwrap_or_else(PoisonError::into_inner);
            run(path, kind, m, c * chunk, v, &mut dst);
        });
    } else {
        run(path, kind, m, 0, v, out);
    }
}

/// Threads for a product of `macs` multiply-adds: every thread of the kernel pool from
/// [`PARALLEL_MIN`] up, else one.
fn threads_for(macs: usize) -> usize {
    if macs >= PARALLEL_MIN {
        kernel_pool().current_num_threads()
    } else {
        1
    }
}

/// `m·v` (`m.rows` dot products) as a new vector, on the [fastest path](Path::best), on
/// every thread of the kernel pool for large matrices.
///
/// # Panics
/// If `v.len() != m.cols` or the view overruns its elements (a bug in the caller).
pub(crate) fn matrix_vector<T: MvFloat>(m: Rows<'_, T>, v: &[T]) -> Vec<T> {
    to_vec(m.rows, |out| {
        product_into(
            Path::best(),
            Kind::DotRows,
            m,
            v,
            out,
            threads_for(m.rows * m.cols),
        );
    })
}

/// `v·m` (`m.cols` combinations of the rows) as a new vector, on the
/// [fastest path](Path::best), on every thread of the kernel pool for large matrices.
///
/// # Panics
/// If `v.len() != m.rows` or the view overruns its elements (a bug in the caller).
pub(crate) fn vector_matrix<T: MvFloat>(v: &[T], m: Rows<'_, T>) -> Vec<T> {
    to_vec(m.cols, |out| {
        product_into(
            Path::best(),
            Kind::SumRows,
            m,
            v,
            out,
            threads_for(m.rows * m.cols),
        );
    })
}

/// A vector of `len` elements, every one written by `fill`.
fn to_vec<T>(len: usize, fill: impl FnOnce(&mut [MaybeUninit<T>])) -> Vec<T> {
    let mut out = crate::buffer::output_vec(len);
    fill(&mut out.spare_capacity_mut()[..len]);
    // SAFETY: the capacity is at least `len`, and `fill` (`product_into`, which checks that
    // the output has `len` elements) wrote every one of the first `len`.
    unsafe { out.set_len(len) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::uniform as data;

    fn rows<T>(data: &[T], rows: usize, cols: usize) -> Rows<'_, T> {
        Rows {
            data,
            rows,
            cols,
            row_stride: cols,
        }
    }

    fn compute<T: MvFloat>(
        path: Path,
        kind: Kind,
        m: Rows<'_, T>,
        v: &[T],
        threads: usize,
    ) -> Vec<T> {
        let len = match kind {
            Kind::DotRows => m.rows,
            Kind::SumRows => m.cols,
        };
        to_vec(len, |out| product_into(path, kind, m, v, out, threads))
    }

    /// Shapes around the lane and block sizes, with and without tails.
    const SHAPES: [(usize, usize); 9] = [
        (1, 1),
        (3, 5),
        (4, 16),
        (7, 17),
        (16, 255),
        (129, 130),
        (256, 256),
        (300, 1000),
        (1024, 33),
    ];

    #[test]
    fn products_match_an_f64_reference_within_k_roundings() {
        for (r, c) in SHAPES {
            let a = data(r * c, 1);
            let m64 = rows(&a, r, c);
            let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
            let m32 = rows(&a32, r, c);
            let (v, w) = (data(c, 2), data(r, 3));
            let (v32, w32): (Vec<f32>, Vec<f32>) = (
                v.iter().map(|&x| x as f32).collect(),
                w.iter().map(|&x| x as f32).collect(),
            );
            for path in Path::available() {
                let mv = compute(path, Kind::DotRows, m32, &v32, 1);
                let vm = compute(path, Kind::SumRows, m32, &w32, 1);
                for i in 0..r {
                    let exact: f64 = (0..c).map(|k| a32[i * c + k] as f64 * v32[k] as f64).sum();
                    let bound: f64 = (0..c)
                        .map(|k| (a32[i * c + k] * v32[k]).abs() as f64)
                        .sum::<f64>()
                        * c as f64
                        * f32::EPSILON as f64;
                    assert!(
                        (mv[i] as f64 - exact).abs() <= bound,
                        "{path:?} M·v {r}×{c} row {i}"
                    );
                }
                for j in 0..c {
                    let exact: f64 = (0..r).map(|i| w32[i] as f64 * a32[i * c + j] as f64).sum();
                    let bound: f64 = (0..r)
                        .map(|i| (w32[i] * a32[i * c + j]).abs() as f64)
                        .sum::<f64>()
                        * r as f64
                        * f32::EPSILON as f64;
                    assert!(
                        (vm[j] as f64 - exact).abs() <= bound,
                        "{path:?} v·M {r}×{c} col {j}"
                    );
                }
                let mv = compute(path, Kind::DotRows, m64, &v, 1);
                for i in 0..r {
                    let exact: f64 = (0..c).map(|k| a[i * c + k] * v[k]).sum();
                    assert!(
                        (mv[i] - exact).abs() <= 1e-12,
                        "{path:?} f64 M·v {r}×{c} row {i}"
                    );
                }
                let vm = compute(path, Kind::SumRows, m64, &w, 1);
                for j in 0..c {
                    let exact: f64 = (0..r).map(|i| w[i] * a[i * c + j]).sum();
                    assert!(
                        (vm[j] - exact).abs() <= 1e-12,
                        "{path:?} f64 v·M {r}×{c} col {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_result_does_not_depend_on_the_threads_or_on_avx512_versus_avx2() {
        for (r, c) in SHAPES {
            let a: Vec<f32> = data(r * c, 4).iter().map(|&x| x as f32).collect();
            let (v, w): (Vec<f32>, Vec<f32>) = (
                data(c, 5).iter().map(|&x| x as f32).collect(),
                data(r, 6).iter().map(|&x| x as f32).collect(),
            );
            let m = rows(&a, r, c);
            let paths = Path::available();
            let reference = (
                compute(paths[0], Kind::DotRows, m, &v, 1),
                compute(paths[0], Kind::SumRows, m, &w, 1),
            );
            for &path in paths.iter().filter(|p| **p != Path::Portable) {
                for threads in [1, 2, 3, 8] {
                    let got = (
                        compute(path, Kind::DotRows, m, &v, threads),
                        compute(path, Kind::SumRows, m, &w, threads),
                    );
                    let bits = |x: &(Vec<f32>, Vec<f32>)| {
                        (
                            x.0.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
                            x.1.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
                        )
                    };
                    assert_eq!(
                        bits(&got),
                        bits(&reference),
                        "{path:?} {threads} threads {r}×{c}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_strided_view_reads_only_its_rows() {
        // A 3×2 view with row stride 3 over 8 elements (the last element is past the view).
        let data = [1.0f64, 2.0, 99.0, 3.0, 4.0, 99.0, 5.0, 6.0];
        let m = Rows {
            data: &data,
            rows: 3,
            cols: 2,
            row_stride: 3,
        };
        assert_eq!(matrix_vector(m, &[1.0, 10.0]), [21.0, 43.0, 65.0]);
        assert_eq!(vector_matrix(&[1.0, 10.0, 100.0], m), [531.0, 642.0]);
    }
}
