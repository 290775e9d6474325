//! Starting and stopping a worker process.
//!
//! A worker (`whest-runner __worker`) starts with: requests on [`REQUEST_FD`], replies on
//! [`REPLY_FD`], the weights arena (if any) on [`ARENA_FD`], stdin on `/dev/null`, stdout and
//! stderr on one captured pipe, every other descriptor closed at `exec`; an environment
//! cleared to [`ENV_ALLOW_LIST`] plus the worker's own variables (so no dataset path or setting
//! reaches it); its own process group; `PR_SET_PDEATHSIG(SIGKILL)`, so it dies with the runner
//! (even one killed by a scheduler). The runner marks itself non-dumpable first, so a worker
//! cannot open its memory, environment or descriptors through `/proc`.
//!
//! Stopping is always "kill the group, then wait with a deadline": no wait here can block on a
//! worker that refuses to die or a stray process holding a pipe.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::arena::{WeightArena, WEIGHTS_ARENA_ENV};
use super::worker::{ARENA_FD, MEMORY_LIMIT_ENV, REPLY_FD, REQUEST_FD};

/// The runner's environment variables a worker keeps (thread caps, the flopscope charge
/// switch, Rust runtime settings); everything else is cleared.
pub const ENV_ALLOW_LIST: [&str; 9] = [
    "RAYON_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    estimator_api::CHARGE_OTHER_THREADS_ENV,
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "RUST_MIN_STACK",
];

/// A started worker: the process and the runner's ends of its pipes.
pub struct LaunchedWorker {
    /// The worker process (leader of its own process group).
    pub child: Child,
    /// Where requests are written.
    pub requests: File,
    /// Where replies are read.
    pub replies: File,
    /// The worker's stdout and stderr.
    pub output: File,
}

/// Starts `exe __worker` as described in the module docs.
///
/// # Errors
/// The OS error of creating a pipe or spawning the process.
pub fn launch(
    exe: &Path,
    memory_limit_mb: u64,
    arena: Option<&WeightArena>,
) -> io::Result<LaunchedWorker> {
    mark_runner_undumpable();
    let (req_r, req_w) = pipe()?;
    let (rep_r, rep_w) = pipe()?;
    let (out_r, out_w) = pipe()?;
    let out_w2 = out_w.try_clone()?;
    let mut cmd = Command::new(exe);
    cmd.arg("__worker")
        .env_clear()
        .envs(
            ENV_ALLOW_LIST
                .iter()
                .filter_map(|k| Some((k, std::env::var_os(k)?))),
        )
        .env(MEMORY_LIMIT_ENV, memory_limit_mb.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(out_w))
        .stderr(Stdio::from(out_w2))
        .process_group(0);
    if let Some(a) = arena {
        cmd.env(WEIGHTS_ARENA_ENV, a.env_value(ARENA_FD));
    }
    // SAFETY: `getpid` has no preconditions.
    let runner = unsafe { libc::getpid() };
    let sources = [
        (req_r.as_raw_fd(), REQUEST_FD),
        (rep_w.as_raw_fd(), REPLY_FD),
        (arena.map_or(-1, WeightArena::raw_fd), ARENA_FD),
    ];
    // SAFETY: the closure runs in the forked child before `exec` and calls only
    // async-signal-safe functions (`prctl`, `getppid`, `fcntl`, `dup2`, `syscall`) on
    // descriptor numbers; it allocates nothing and touches no state shared with the parent's
    // other threads.
    unsafe {
        cmd.pre_exec(move || child_setup(runner, sources));
    }
    let child = cmd.spawn()?;
    drop(cmd); // closes the runner's copies of the output pipe's write end
    Ok(LaunchedWorker {
        child,
        requests: File::from(req_w),
        replies: File::from(rep_r),
        output: File::from(out_r),
    })
}

/// In the forked child: die with the runner, move the inherited pipes (and arena) to their
/// fixed numbers, mark everything above them close-on-exec.
fn child_setup(runner: libc::pid_t, sources: [(RawFd, RawFd); 3]) -> io::Result<()> {
    // SAFETY (whole function): only async-signal-safe calls on plain integers.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::getppid() != runner {
            // The runner died between `fork` and `prctl`.
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        // First to high numbers (close-on-exec), so a source already sitting on a target
        // number is not overwritten, then onto the targets (which `dup2` leaves inheritable).
        let mut high = [-1; 3];
        for (i, &(src, _)) in sources.iter().enumerate() {
            if src >= 0 {
                high[i] = libc::fcntl(src, libc::F_DUPFD_CLOEXEC, 16);
                if high[i] < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        for (i, &(_, dst)) in sources.iter().enumerate() {
            if high[i] >= 0 && libc::dup2(high[i], dst) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        // Older kernels lack the flag; the worker closes the rest itself first thing.
        libc::syscall(
            libc::SYS_close_range,
            (ARENA_FD + 1) as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
    }
    Ok(())
}

/// `PR_SET_DUMPABLE(0)` on the runner: its `/proc` files (memory, environment, descriptors)
/// become unreadable to its workers.
fn mark_runner_undumpable() {
    // SAFETY: `prctl(PR_SET_DUMPABLE, 0)` only changes this process's dumpable flag.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0) };
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid two-element out-array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pipe2` returned two fresh descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// How long a killed worker gets to be reaped.
const REAP_DEADLINE: Duration = Duration::from_secs(2);

/// SIGKILLs the worker's process group (the worker and anything it started), then reaps the
/// worker within a deadline. Returns its exit status when it was reaped.
pub fn kill_group(child: &mut Child) -> Option<ExitStatus> {
    // The worker is not reaped yet (only this module waits for it), so its id still names
    // its group.
    kill_pgid(child.id());
    let _ = child.kill();
    wait_until(child, Instant::now() + REAP_DEADLINE)
}

/// Waits up to `grace` for a worker to exit on its own (to learn how it died), kills its
/// group, and reaps it (see [`kill_group`]).
pub fn reap(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + grace;
    while !has_exited(child.id()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    kill_group(child)
}

/// Whether `pid` (a child of this process) has exited, without reaping it.
fn has_exited(pid: u32) -> bool {
    let id: libc::id_t = pid;
    // SAFETY: `info` is a zeroed, writable `siginfo_t`; WNOWAIT leaves the child unreaped.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let rc = libc::waitid(
            libc::P_PID,
            id,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        rc != 0 || info.si_pid() != 0
    }
}

fn kill_pgid(pid: u32) {
    if let Ok(pgid) = libc::pid_t::try_from(pid) {
        // SAFETY: `kill` with a negative id signals that process group; the worker leads its
        // own group (`process_group(0)`) and is not reaped yet, so nothing else is hit.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}

/// Kills a worker's group unless disarmed (dropped) within a deadline: bounds a blocking
/// write to a worker that stopped reading.
pub struct Watchdog {
    _disarm: std::sync::mpsc::Sender<()>,
}

impl Watchdog {
    /// Arms a watchdog for `child` that fires after `deadline`.
    pub fn arm(child: &Child, deadline: Duration) -> Watchdog {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let pid = child.id();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(deadline) {
                // The runner is still blocked writing: the worker is not reaped, its id is
                // still its group's.
                kill_pgid(pid);
            }
        });
        Watchdog { _disarm: tx }
    }
}

/// Polls `child` until it exits or `deadline` passes.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            _ => return None,
        }
    }
}
