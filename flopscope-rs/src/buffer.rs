//! Kernel output buffers: large ones are backed by transparent huge pages, as numpy's are.
//!
//! A fresh buffer of tens of megabytes comes straight from the kernel (`mmap`), and every
//! 4 KiB page of it faults the first time a kernel writes it: on the 2-vCPU dev VM, filling a
//! new 32 MiB buffer took 24 ms that way and 4 ms with 2 MiB pages. numpy asks for huge
//! pages (`madvise(MADV_HUGEPAGE)`) on every array of at least 4 MiB; so does this module,
//! with numpy's threshold. Where the system does not back `madvise`d memory with huge pages
//! (or off Linux) nothing changes.

/// Buffers of at least this many bytes ask for huge pages (numpy's threshold).
const HUGE_PAGE_MIN_BYTES: usize = 1 << 22;

/// An empty vector with room for `len` elements. From [`HUGE_PAGE_MIN_BYTES`] up, its memory
/// is marked for transparent huge pages before anything touches it.
pub(crate) fn output_vec<T>(len: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(len);
    advise_if_large(&mut v, len);
    v
}

/// Marks the memory of `len` elements at the start of `v` for huge pages when it reaches
/// [`HUGE_PAGE_MIN_BYTES`].
fn advise_if_large<T>(v: &mut Vec<T>, len: usize) {
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(v.as_mut_ptr().cast::<u8>(), bytes);
    }
}

/// A vector of `len` copies of `value`, allocated as [`output_vec`] does (for kernels that
/// fill a buffer in place).
pub(crate) fn filled_vec<T: Clone>(len: usize, value: T) -> Vec<T> {
    let mut v = output_vec(len);
    v.resize(len, value);
    v
}

/// A vector of `len` zeros (`T::default()` of a number or `bool`, all bits zero) that, like
/// numpy's `zeros` (`calloc`), writes nothing up front: large ones come as untouched zero
/// pages from the kernel, and from [`HUGE_PAGE_MIN_BYTES`] up they are marked for huge pages
/// before anything touches them.
pub(crate) fn zeroed_vec<T: Clone + Default>(len: usize) -> Vec<T> {
    // `vec!` of a primitive's zero allocates with `calloc`, which writes nothing to fresh pages.
    let mut v = vec![T::default(); len];
    advise_if_large(&mut v, len);
    v
}

/// A copy of `src`, allocated as [`output_vec`] does (clones of tensor data).
pub(crate) fn copied_vec<T: Copy>(src: &[T]) -> Vec<T> {
    let mut v = output_vec(src.len());
    v.extend_from_slice(src);
    v
}

/// The items of `items` in a vector allocated as [`output_vec`] does for as many elements as
/// the iterator's lower size bound (exact for the slice and range iterators the kernels
/// collect); it grows as a plain vector does if more come.
pub(crate) fn collected_vec<T>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let items = items.into_iter();
    let mut v = output_vec(items.size_hint().0);
    v.extend(items);
    v
}

/// Asks the kernel to back the whole pages inside `bytes` bytes at `start` with huge pages.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    const PAGE: usize = 4096;
    let offset = start.align_offset(PAGE);
    if offset >= bytes {
        return;
    }
    // SAFETY: `[start + offset, start + bytes)` lies inside the allocation of `bytes` bytes
    // just made at `start` and starts on a page boundary. `MADV_HUGEPAGE` only changes how
    // the kernel backs those pages (contents and validity are unaffected); an error (e.g. no
    // huge page support) leaves them as they were, so it is ignored.
    unsafe {
        libc::madvise(
            start.add(offset).cast::<libc::c_void>(),
            bytes - offset,
            libc::MADV_HUGEPAGE,
        );
    }
}

/// Off Linux there is nothing to ask.
#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_vectors_have_the_room_asked_for_and_hold_what_is_written() {
        for len in [0, 1, 1000, (HUGE_PAGE_MIN_BYTES / 8) + 3] {
            let mut v = output_vec::<f64>(len);
            assert!(v.is_empty() && v.capacity() >= len);
            v.extend((0..len).map(|i| i as f64));
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as f64));
        }
    }

    /// The value of `field` (e.g. `VmFlags:`, `Rss:`) of the mapping holding address `addr` in
    /// `/proc/self/smaps`.
    #[cfg(target_os = "linux")]
    fn mapping_field(addr: usize, field: &str) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((lo, hi)) = line.split_once(' ').and_then(|(r, _)| r.split_once('-')) {
                if let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                {
                    inside = lo <= addr && addr < hi;
                    continue;
                }
            }
            if let Some(value) = line.strip_prefix(field).filter(|_| inside) {
                return value.to_owned();
            }
        }
        panic!("no mapping in /proc/self/smaps holds {addr:#x}")
    }

    /// The `VmFlags` of the mapping holding address `addr`.
    #[cfg(target_os = "linux")]
    fn mapping_flags(addr: usize) -> String {
        mapping_field(addr, "VmFlags:")
    }

    /// Whether this system can mark memory for huge pages (a kernel built without transparent
    /// huge pages has nothing to mark).
    #[cfg(target_os = "linux")]
    fn huge_pages_exist() -> bool {
        std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists()
    }

    /// Why the middle of `elements` is not in memory marked for huge pages, if it is not.
    #[cfg(target_os = "linux")]
    fn unmarked<T>(what: &str, elements: &[T]) -> Option<String> {
        let middle = elements.as_ptr() as usize + std::mem::size_of_val(elements) / 2;
        let flags = mapping_flags(middle);
        (!flags.split_whitespace().any(|f| f == "hg")).then(|| {
            format!(
                "{what}: {} bytes not marked for huge pages (VmFlags:{flags})",
                std::mem::size_of_val(elements)
            )
        })
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_large_buffer_is_marked_for_huge_pages() {
        if !huge_pages_exist() {
            return;
        }
        let mut v = output_vec::<u8>(8 << 20);
        assert_eq!(unmarked("output_vec", v.spare_capacity_mut()), None);
    }

    /// numpy's `zeros` writes nothing up front (`calloc`): a large zero tensor costs no time
    /// until it is used, and its pages, marked for huge pages, are zero-filled as they are
    /// first touched.
    #[cfg(target_os = "linux")]
    #[test]
    fn large_zeros_are_not_written_up_front_and_are_marked_for_huge_pages() {
        use crate::{BudgetContext, DType, Tensor};
        let _ctx = BudgetContext::new(1 << 50).expect("no context is open");
        // 64 MiB: above glibc's largest `mmap` threshold, so always fresh pages from the kernel.
        let z = Tensor::zeros([8192, 1024], DType::F64);
        let elements = z.as_slice::<f64>().expect("f64");
        let middle = elements.as_ptr() as usize + std::mem::size_of_val(elements) / 2;
        let rss_kib: usize = mapping_field(middle, "Rss:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .expect("Rss in kB");
        assert!(
            rss_kib < 8 << 10,
            "{rss_kib} KiB of 64 MiB of zeros written up front"
        );
        if huge_pages_exist() {
            assert_eq!(unmarked("zeros", elements), None);
        }
        assert!(elements.iter().all(|&x| x.to_bits() == 0));
        // `-0.0` is not all-zero bits: filled as asked.
        let negative = Tensor::full([4], -0.0, DType::F32);
        assert!(negative
            .as_slice::<f32>()
            .expect("f32")
            .iter()
            .all(|x| x.to_bits() == 1 << 31));
    }

    /// numpy marks every array of 4 MiB or more, whatever made it; so must every op here that
    /// makes a new tensor, copies included (before this test, `copy`, `astype` to the same
    /// dtype, `concatenate`, `where`, `clip`, gathers, creation ops and transposes made
    /// contiguous were not marked).
    #[cfg(target_os = "linux")]
    #[test]
    fn every_large_tensor_an_op_makes_is_marked_for_huge_pages() {
        use crate::{random::default_rng, where_, BudgetContext, DType, Tensor};
        if !huge_pages_exist() {
            return;
        }
        let _ctx = BudgetContext::new(1 << 50).expect("no context is open");
        // 8 MiB of f64, and 8 MiB of f32.
        let x = default_rng(0).standard_normal([1024, 1024], DType::F64);
        let y = default_rng(1).standard_normal([2048, 1024], DType::F32);
        let rows = Tensor::arange(0.0, 1024.0, 1.0, DType::I64);
        let mask = y.gt(0.0);
        let shared = Tensor::from_shared(
            crate::SharedElements::from(vec![0.5f64; 1 << 20]),
            0..1 << 20,
            [1024, 1024],
        );
        let ops: Vec<(&str, Tensor)> = vec![
            ("standard_normal", x.clone()),
            ("copy", x.copy()),
            ("astype to the same dtype", x.astype(DType::F64)),
            ("astype f64 to f32", x.astype(DType::F32)),
            ("astype f32 to f64", y.astype(DType::F64)),
            ("transpose, copied", x.t().copy()),
            ("transpose, read", x.t()),
            ("swapaxes, flattened", y.swapaxes(0, 1).flatten()),
            ("reshape of a transpose", x.t().reshape(&[-1])),
            ("add", &x + &x),
            ("add a scalar", &y + 1.0),
            ("exp", y.exp()),
            ("sqrt", x.sqrt()),
            ("maximum with a scalar", y.maximum_scalar(0.0)),
            ("clip", x.clip(-1.0, 1.0)),
            ("power", x.power(2.0)),
            ("compare", Tensor::concatenate(&[&y, &y], 0).gt(0.0)),
            ("where", where_(&mask, &y, 0.0)),
            ("concatenate", Tensor::concatenate(&[&x, &x], 0)),
            ("stack", Tensor::stack(&[&x, &x], 0)),
            ("zeros", Tensor::zeros([1024, 1024], DType::F64)),
            ("full", Tensor::full([1024, 1024], 2.0, DType::F64)),
            ("ones_like", x.ones_like()),
            ("eye", Tensor::eye(1024, DType::F64)),
            (
                "arange",
                Tensor::arange(0.0, (1 << 20) as f64, 1.0, DType::F64),
            ),
            ("linspace", Tensor::linspace(0.0, 1.0, 1 << 20, DType::F64)),
            ("matmul", x.matmul(&x)),
            (
                "outer",
                x.reshape(&[-1])
                    .slice(0, 0, 1024)
                    .outer(&x.reshape(&[-1]).slice(0, 0, 1024)),
            ),
            ("sort", y.sort(1)),
            ("argsort", y.argsort(1)),
            ("take_rows", x.take_rows(&rows)),
            ("slice", x.slice(0, 1, 1023)),
            ("fill_diagonal", x.fill_diagonal(1.0)),
            ("fill_diagonal of shared memory", shared.fill_diagonal(1.0)),
            ("abs", x.abs()),
            ("negate", -&x),
            ("square", x.square()),
            ("norm cdf", crate::stats::norm::cdf(&x)),
            ("einsum", Tensor::einsum("ij,jk->ik", &[&x, &x])),
            ("diag", x.reshape(&[-1]).slice(0, 0, 1024).diag()),
            ("uniform", default_rng(2).uniform(0.0, 1.0, [1024, 1024])),
            ("normal", default_rng(3).normal(0.0, 1.0, [1024, 1024])),
            ("random", default_rng(4).random([1024, 1024], DType::F64)),
            ("integers", default_rng(5).integers(0, 9, [1024, 1024])),
        ];
        let failed: Vec<String> = ops
            .iter()
            .filter_map(|(what, t)| match t.dtype() {
                DType::F64 => unmarked(what, t.as_slice::<f64>().expect("f64")),
                DType::F32 => unmarked(what, t.as_slice::<f32>().expect("f32")),
                DType::I64 => unmarked(what, t.as_slice::<i64>().expect("i64")),
                DType::Bool => unmarked(what, t.as_slice::<bool>().expect("bool")),
            })
            .collect();
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }
}
