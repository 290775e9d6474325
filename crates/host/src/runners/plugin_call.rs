//! The local runner's guard around every plugin call (`setup`, `predict`, `teardown`).
//!
//! The local runner cannot contain native crashes (it says so in the README); what it does:
//!
//! - while the plugin runs, descriptor 1 points at stderr, so a `print!` in the plugin cannot
//!   corrupt the report `--json` writes to stdout; stdout is restored afterwards (also when
//!   the plugin closed descriptor 1);
//! - if the plugin ends the process (`exit`) or destroys the runner's stdout, the run stops
//!   with exit code 1 and one line naming the call and suggesting `--runner subprocess`,
//!   instead of ending with status 0 and no report.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Mutex, Once};

/// The call in progress (`predict on MLP 'x'`), read by the exit handler.
static CURRENT: Mutex<Option<String>> = Mutex::new(None);

/// Runs `f` (a plugin call described by `what`, e.g. `predict on MLP 'jason-rivers'`) with
/// stdout pointed at stderr; see the module docs.
pub fn guarded<R>(what: &str, f: impl FnOnce() -> R) -> R {
    static HANDLER: Once = Once::new();
    HANDLER.call_once(|| {
        // SAFETY: registers a plain `extern "C"` function with no arguments.
        unsafe { libc::atexit(on_exit) };
    });
    let _ = std::io::stdout().flush();
    let saved = redirect_stdout();
    set_current(Some(what.to_string()));
    let out = f();
    set_current(None);
    if let Some((fd, identity)) = saved {
        // SAFETY: `dup2` onto descriptor 1 only replaces this process's stdout.
        let restored = unsafe { libc::dup2(fd.as_raw_fd(), 1) } == 1;
        if !restored || file_identity(1) != Some(identity) {
            ended_by_plugin(what);
        }
    }
    out
}

/// Points descriptor 1 at stderr; returns the saved stdout and its identity, or `None` when
/// stdout cannot be saved (then nothing is redirected).
fn redirect_stdout() -> Option<(OwnedFd, (u64, u64))> {
    let identity = file_identity(1)?;
    // SAFETY: duplicating descriptor 1 to a fresh close-on-exec descriptor; the result is
    // owned by the `OwnedFd` below.
    let raw = unsafe { libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 10) };
    if raw < 0 {
        return None;
    }
    // SAFETY: `raw` is a fresh descriptor nothing else owns.
    let saved = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: `dup2` of stderr onto stdout only changes this process's descriptor table.
    if unsafe { libc::dup2(2, 1) } != 1 {
        return None;
    }
    Some((saved, identity))
}

/// (device, inode) of the file behind descriptor `fd`.
fn file_identity(fd: i32) -> Option<(u64, u64)> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `st` is writable memory for one `stat`, filled on success.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: `fstat` returned 0, so `st` is initialised.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::useless_conversion)] // the field widths differ between platforms
    Some((u64::from(st.st_dev), u64::from(st.st_ino)))
}

fn set_current(what: Option<String>) {
    if let Ok(mut c) = CURRENT.lock() {
        *c = what;
    }
}

/// The line printed when the plugin ended the process during `what`.
fn ended_message(what: &str) -> String {
    format!(
        "error: the estimator ended the process during {what} (exit or closed descriptors); \
         the local runner cannot contain that: score it with --runner subprocess\n"
    )
}

/// Writes [`ended_message`] to stderr and ends the process with status 1 (no exit handlers:
/// the process is already ending, or its stdout is gone).
fn ended_by_plugin(what: &str) -> ! {
    let msg = ended_message(what);
    // SAFETY: `write` of a valid buffer to descriptor 2, then `_exit`; both are
    // async-signal-safe and need no other state.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::_exit(1)
    }
}

/// `atexit` handler: an `exit` during a plugin call becomes exit status 1 with a line.
extern "C" fn on_exit() {
    let what = CURRENT.try_lock().ok().and_then(|c| c.clone());
    if let Some(what) = what {
        ended_by_plugin(&what);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_call_and_the_fix() {
        let m = ended_message("predict on MLP 'jason-rivers'");
        assert!(m.contains("predict on MLP 'jason-rivers'"));
        assert!(m.contains("--runner subprocess"));
    }
}
