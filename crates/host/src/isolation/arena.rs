//! Shared memory for MLP weights between the runner and its worker processes.
//!
//! The runner creates one anonymous memory file (`memfd`) sized for one MLP's weights, maps it
//! read-write ([`WeightArena`]) and passes the descriptor to every worker it spawns (see
//! [`WeightArena::env_value`]). A worker maps it once, read-only and pre-faulted
//! ([`ArenaView`]), and lends it to the plugin for each predict, so no weights cross the pipe
//! and the worker's page tables are built once. The runner writes the next MLP's weights only
//! while the worker's plugin holds no tensor over the arena (the worker reports that in every
//! predict reply); otherwise the weights travel in the frame as before.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use rayon::prelude::*;

/// Environment variable telling a worker where the arena is: `"<fd>,<number of f32>"`.
pub const WEIGHTS_ARENA_ENV: &str = "WHEST_WORKER_WEIGHTS_ARENA";

/// Bytes of `len` f32 values, or an error if that overflows.
fn byte_len(len: usize) -> io::Result<usize> {
    len.checked_mul(std::mem::size_of::<f32>())
        .filter(|&b| b > 0)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad arena size"))
}

/// The runner's side: a writable shared mapping of `len` f32 values backed by a memfd.
pub struct WeightArena {
    fd: OwnedFd,
    ptr: *mut f32,
    len: usize,
}

// SAFETY: the mapping is owned by this value alone (the raw pointer is not shared), so moving
// it to another thread is as safe as moving a `Vec<f32>`.
unsafe impl Send for WeightArena {}

impl WeightArena {
    /// Creates a zero-filled arena of `len` f32 values.
    ///
    /// # Errors
    /// The OS error if the memfd cannot be created, sized or mapped (or `len` is 0).
    pub fn create(len: usize) -> io::Result<WeightArena> {
        let bytes = byte_len(len)?;
        // SAFETY: `memfd_create` takes a NUL-terminated name and flags; no memory is shared.
        let raw = unsafe {
            libc::memfd_create(
                c"whest-weights".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let size = libc::off_t::try_from(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "arena too large"))?;
        // SAFETY: `fd` is a valid memfd; `ftruncate` only resizes it.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // Fixed size from here on: a worker that reopened the file (e.g. through
        // `/proc/self/map_files` with `O_TRUNC`) cannot shrink it under the runner's mapping,
        // where the runner's next copy would die of SIGBUS.
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: `fd` is a valid memfd made with `MFD_ALLOW_SEALING`; sealing changes no memory.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let ptr = map(&fd, bytes, libc::PROT_READ | libc::PROT_WRITE, 0)?;
        Ok(WeightArena {
            fd,
            ptr: ptr.cast::<f32>(),
            len,
        })
    }

    /// Number of f32 values the arena holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the arena is empty (never: `create` refuses 0).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies `weights` into the arena with streaming stores, split across the current rayon
    /// pool's threads (one core alone does not saturate memory bandwidth; the pool is idle
    /// between predicts). The caller makes sure no worker is reading it.
    ///
    /// # Panics
    /// If `weights.len()` differs from [`WeightArena::len`].
    pub fn write(&mut self, weights: &[f32]) {
        assert_eq!(weights.len(), self.len, "weights do not fit the arena");
        // SAFETY: the mapping holds `len` writable f32 values and is owned by `self`, borrowed
        // mutably here; other processes only read it while the runner waits for them.
        let dst = unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) };
        parallel_copy(dst, weights);
    }

    /// The arena's descriptor in this process (a worker inherits it, see
    /// [`crate::isolation::launch`]).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The [`WEIGHTS_ARENA_ENV`] value telling a worker the arena is its descriptor `child_fd`.
    pub fn env_value(&self, child_fd: RawFd) -> String {
        format!("{child_fd},{}", self.len)
    }
}

impl Drop for WeightArena {
    fn drop(&mut self) {
        // SAFETY: `ptr` is this arena's mapping of `len` floats, unmapped once, here.
        unsafe { libc::munmap(self.ptr.cast(), self.len * std::mem::size_of::<f32>()) };
    }
}

/// A worker's read-only, pre-faulted view of the runner's arena.
pub struct ArenaView {
    ptr: *const f32,
    len: usize,
}

// SAFETY: the view only reads the mapping, which it owns; the runner writes it only while no
// reader exists (see the module docs), so sharing the view between threads is sound.
unsafe impl Send for ArenaView {}
// SAFETY: as above; all access through `&ArenaView` is read-only.
unsafe impl Sync for ArenaView {}

impl ArenaView {
    /// Maps the arena named by [`WEIGHTS_ARENA_ENV`], if the variable is set.
    ///
    /// # Errors
    /// A malformed variable, or the OS error of `mmap` (e.g. over the memory limit).
    pub fn from_env() -> io::Result<Option<ArenaView>> {
        let Ok(spec) = std::env::var(WEIGHTS_ARENA_ENV) else {
            return Ok(None);
        };
        let bad = || io::Error::new(io::ErrorKind::InvalidInput, format!("bad {spec:?}"));
        let (fd, len) = spec.split_once(',').ok_or_else(bad)?;
        let fd: RawFd = fd.parse().map_err(|_| bad())?;
        let len: usize = len.parse().map_err(|_| bad())?;
        // SAFETY: the runner made `fd` this process's inherited memfd, used by nothing else;
        // the `OwnedFd` closes it once mapped (the mapping stays valid without it).
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let ptr = map(&fd, byte_len(len)?, libc::PROT_READ, libc::MAP_POPULATE)?;
        Ok(Some(ArenaView {
            ptr: ptr.cast::<f32>(),
            len,
        }))
    }

    /// Start of the arena's `len` floats.
    pub fn as_ptr(&self) -> *const f32 {
        self.ptr
    }

    /// Number of f32 values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the view is empty (never: a mapping is at least one float).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for ArenaView {
    fn drop(&mut self) {
        // SAFETY: `ptr` is this view's mapping of `len` floats, unmapped once, here.
        unsafe {
            libc::munmap(
                self.ptr.cast_mut().cast(),
                self.len * std::mem::size_of::<f32>(),
            )
        };
    }
}

/// Pieces below this many f32 values (1 MiB) are copied by one thread: splitting them costs
/// more than it saves.
const PARALLEL_COPY_MIN: usize = 1 << 18;

/// `dst.copy_from_slice(src)` in one contiguous piece per rayon thread, each streamed.
fn parallel_copy(dst: &mut [f32], src: &[f32]) {
    let threads = rayon::current_num_threads().max(1);
    // Pieces are whole 64-byte lines, so every piece after the first starts aligned.
    let piece = src
        .len()
        .div_ceil(threads)
        .max(PARALLEL_COPY_MIN)
        .next_multiple_of(16);
    dst.par_chunks_mut(piece)
        .zip(src.par_chunks(piece))
        .for_each(|(d, s)| stream_copy(d, s));
}

/// `dst.copy_from_slice(src)` with non-temporal stores: the weights are read by another
/// process, so writing them past this core's caches saves loading every destination line
/// first (64 MiB on the dev VM, one core: 5.7 ms with `memcpy`, 3.7 ms streamed).
#[cfg(target_arch = "x86_64")]
fn stream_copy(dst: &mut [f32], src: &[f32]) {
    use std::arch::x86_64::{_mm_loadu_ps, _mm_sfence, _mm_stream_ps};
    assert_eq!(dst.len(), src.len(), "stream_copy: lengths");
    let head = dst.as_ptr().align_offset(16).min(dst.len());
    dst[..head].copy_from_slice(&src[..head]);
    let body = (dst.len() - head) / 4 * 4;
    // SAFETY: `head + body <= len` for both slices (equal lengths, asserted), so every 4-float
    // load and store below is in bounds; `dst + head` is 16-byte aligned as `_mm_stream_ps`
    // requires (`align_offset`, and `i` advances by 16 bytes). SSE is part of x86-64. The
    // `sfence` orders the streamed stores before anything this thread does next (the join
    // that precedes the predict request).
    unsafe {
        let (d, s) = (dst.as_mut_ptr().add(head), src.as_ptr().add(head));
        let mut i = 0;
        while i < body {
            _mm_stream_ps(d.add(i), _mm_loadu_ps(s.add(i)));
            i += 4;
        }
        _mm_sfence();
    }
    dst[head + body..].copy_from_slice(&src[head + body..]);
}

/// `dst.copy_from_slice(src)` (no streaming stores off x86-64).
#[cfg(not(target_arch = "x86_64"))]
fn stream_copy(dst: &mut [f32], src: &[f32]) {
    dst.copy_from_slice(src);
}

/// `mmap`s `bytes` of `fd` shared with `prot` and extra `flags`.
fn map(fd: &OwnedFd, bytes: usize, prot: libc::c_int, flags: libc::c_int) -> io::Result<*mut u8> {
    // SAFETY: a fresh shared mapping of a valid descriptor at an address the kernel picks; no
    // existing memory is affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            prot,
            libc::MAP_SHARED | flags,
            fd.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(p.cast::<u8>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_mapping_sees_what_the_runner_wrote() {
        let mut arena = WeightArena::create(1000).unwrap();
        let w: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5).collect();
        arena.write(&w);
        // SAFETY: `dup` of a valid descriptor; the copy is owned by the `OwnedFd` below.
        let dup = unsafe { libc::dup(arena.fd.as_raw_fd()) };
        assert!(dup >= 0);
        // SAFETY: `dup` is a fresh descriptor owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(dup) };
        let p = map(&fd, 4000, libc::PROT_READ, libc::MAP_POPULATE).unwrap();
        let view = ArenaView {
            ptr: p.cast::<f32>(),
            len: 1000,
        };
        // SAFETY: the view maps 1000 floats that nothing writes during the read.
        let seen = unsafe { std::slice::from_raw_parts(view.as_ptr(), view.len()) };
        assert_eq!(seen, &w[..]);
        arena.write(&vec![1.0; 1000]);
        // SAFETY: as above.
        let seen = unsafe { std::slice::from_raw_parts(view.as_ptr(), view.len()) };
        assert!(seen.iter().all(|&x| x == 1.0));
    }

    #[test]
    fn the_arena_cannot_be_resized_once_made() {
        let arena = WeightArena::create(1000).unwrap();
        // Through a descriptor opened anew, as a worker would reach it through `/proc`.
        let path = format!("/proc/self/fd/{}", arena.fd.as_raw_fd());
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        for len in [0, 2000, 8000] {
            let err = file.set_len(len).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{len}: {err}");
        }
        assert_eq!(file.metadata().unwrap().len(), 4000);
    }

    #[test]
    fn a_multi_piece_write_copies_every_value() {
        let len = 3 * PARALLEL_COPY_MIN + 17;
        let mut arena = WeightArena::create(len).unwrap();
        let w: Vec<f32> = (0..len).map(|i| i as f32).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        pool.install(|| arena.write(&w));
        // SAFETY: the arena maps `len` floats that nothing else writes during the read.
        let seen = unsafe { std::slice::from_raw_parts(arena.ptr, arena.len) };
        assert_eq!(seen, &w[..]);
    }

    #[test]
    fn streamed_copies_handle_unaligned_heads_and_tails() {
        let src: Vec<f32> = (0..103).map(|i| i as f32 - 50.0).collect();
        for start in 0..4 {
            for len in [0, 1, 3, 4, 5, 17, 64, 99] {
                let mut dst = vec![0.0f32; 103];
                stream_copy(&mut dst[start..start + len], &src[start..start + len]);
                assert_eq!(&dst[start..start + len], &src[start..start + len]);
                assert!(dst[..start]
                    .iter()
                    .chain(&dst[start + len..])
                    .all(|&v| v == 0.0));
            }
        }
    }

    #[test]
    fn empty_arenas_are_refused() {
        assert!(WeightArena::create(0).is_err());
    }
}
