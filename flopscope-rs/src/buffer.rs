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
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(v.as_mut_ptr().cast::<u8>(), bytes);
    }
    v
}

/// A vector of `len` copies of `value`, allocated as [`output_vec`] does (for kernels that
/// fill a buffer in place).
pub(crate) fn filled_vec<T: Clone>(len: usize, value: T) -> Vec<T> {
    let mut v = output_vec(len);
    v.resize(len, value);
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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_large_buffer_is_marked_for_huge_pages() {
        // /proc/self/smaps lists the mapping holding the buffer with the `hg` flag ("huge page
        // advise") once it is marked; a kernel built without huge pages has nothing to mark.
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
            return;
        }
        let len = 8 << 20;
        let v = output_vec::<u8>(len);
        let addr = v.as_ptr() as usize + len / 2;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut inside = false;
        let mut flags = None;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((lo, hi)) = range.split_once('-') {
                    if let (Ok(lo), Ok(hi)) =
                        (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                    {
                        inside = lo <= addr && addr < hi;
                        continue;
                    }
                }
            }
            if inside {
                if let Some(f) = line.strip_prefix("VmFlags:") {
                    flags = Some(f.to_owned());
                }
            }
        }
        let flags = flags.expect("the buffer's mapping is in /proc/self/smaps");
        assert!(
            flags.split_whitespace().any(|f| f == "hg"),
            "VmFlags:{flags}"
        );
    }
}
