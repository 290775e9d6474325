//! Facts about this machine that need a system call: free disk space (for `doctor`).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Free bytes available to this (unprivileged) user on the file system holding `path`
/// (`f_bavail × f_frsize` of `statvfs(2)`, saturating at `u64::MAX`).
///
/// # Errors
/// [`io::ErrorKind::InvalidInput`] when `path` contains a NUL byte; otherwise the OS error of
/// `statvfs` (a missing path, no permission, …), whose text starts with `statvfs: `.
// `statvfs` field widths differ between platforms (u32 or u64), so the widening is needed
// on some and a no-op on others.
#[allow(clippy::useless_conversion)]
pub fn free_disk_bytes(path: &Path) -> io::Result<u64> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c_path` is a valid NUL-terminated path and `stats` points to writable memory
    // large enough for a `statvfs`, which the call fills on success.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) };
    if rc != 0 {
        let os = io::Error::last_os_error();
        return Err(io::Error::new(os.kind(), format!("statvfs: {os}")));
    }
    // SAFETY: statvfs returned 0, so it initialised `stats`.
    let stats = unsafe { stats.assume_init() };
    Ok(u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temp_dir_has_free_space_and_a_missing_path_is_an_error() {
        assert!(free_disk_bytes(&std::env::temp_dir()).is_ok_and(|b| b > 0));
        let err = free_disk_bytes(Path::new("/definitely/missing")).expect_err("missing");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().starts_with("statvfs: "), "{err}");
        let err = free_disk_bytes(Path::new("a\0b")).expect_err("NUL byte");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
