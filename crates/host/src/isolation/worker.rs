//! The worker process: `whest-runner __worker` loads one estimator and serves requests until
//! `Close` or end of input. Requests arrive on descriptor [`REQUEST_FD`] and replies leave on
//! [`REPLY_FD`], never on stdio: the runner points the worker's stdout and stderr at the same
//! captured pipe, so a `print!` in the plugin cannot touch the protocol. Before anything else
//! the worker closes every other descriptor and sets its limits (`RLIMIT_AS`, `RLIMIT_NOFILE`,
//! `RLIMIT_CORE = 0`); on `Start` it applies the sandbox ([`super::sandbox`]) and only then
//! loads the plugin. The runner's weights arena, when it passed one (descriptor
//! [`ARENA_FD`]), is mapped once and lent to the plugin for every predict.

use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::sync::Arc;

use estimator_api::SetupContext;

use super::arena::{ArenaView, WEIGHTS_ARENA_ENV};
use super::ipc::{read_frame, write_frame, FrameLimits};
use super::protocol::{PredictReply, Request, StatusReply};
use super::sandbox::{self, SandboxPaths};
use crate::plugin_host::{LoadedEstimator, PredictRequest, SharedWeights};

/// Environment variable carrying the worker's memory limit in MiB (0 or unset: none).
pub const MEMORY_LIMIT_ENV: &str = "WHEST_WORKER_MEMORY_LIMIT_MB";
/// The worker's descriptor for requests from the runner (read end of a pipe).
pub const REQUEST_FD: i32 = 3;
/// The worker's descriptor for replies to the runner (write end of a pipe).
pub const REPLY_FD: i32 = 4;
/// The worker's descriptor for the weights arena, when the runner passes one.
pub const ARENA_FD: i32 = 5;
/// Open descriptors a worker may hold (`RLIMIT_NOFILE`).
const MAX_OPEN_FILES: u64 = 256;

/// Applies `RLIMIT_AS = mb MiB` (soft and hard; 0 = none), `RLIMIT_NOFILE` and
/// `RLIMIT_CORE = 0` to this process.
///
/// # Errors
/// The OS error if a limit cannot be set.
pub fn apply_limits(mb: u64) -> io::Result<()> {
    let set = |res, v: u64| -> io::Result<()> {
        let lim = libc::rlimit {
            rlim_cur: v as libc::rlim_t,
            rlim_max: v as libc::rlim_t,
        };
        // SAFETY: `setrlimit` reads a valid `rlimit` struct; it has no other preconditions.
        if unsafe { libc::setrlimit(res, &lim) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    set(libc::RLIMIT_CORE, 0)?;
    set(libc::RLIMIT_NOFILE, MAX_OPEN_FILES)?;
    if mb > 0 {
        set(libc::RLIMIT_AS, mb.saturating_mul(1 << 20))?;
    }
    Ok(())
}

/// Closes every descriptor from `first` up (`close_range`, or one by one where the kernel
/// lacks it).
fn close_descriptors_from(first: i32) {
    // SAFETY: `close_range` only closes this process's descriptors; nothing in the worker
    // holds any of them yet (it runs before any are opened).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first as u32, u32::MAX, 0u32) };
    if rc != 0 {
        let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        let fds: Vec<i32> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|&fd| fd >= first)
            .collect();
        for fd in fds {
            // SAFETY: as above; closing an already closed descriptor (the directory's own)
            // only fails.
            unsafe { libc::close(fd) };
        }
    }
}

/// Runs the worker loop on [`REQUEST_FD`] / [`REPLY_FD`]. Returns the process exit code.
pub fn serve() -> i32 {
    let keep = if std::env::var_os(WEIGHTS_ARENA_ENV).is_some() {
        ARENA_FD + 1
    } else {
        ARENA_FD
    };
    close_descriptors_from(keep);
    let mb = std::env::var(MEMORY_LIMIT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if let Err(e) = apply_limits(mb) {
        eprintln!("whest-runner worker: cannot set the resource limits: {e}");
    }
    let arena = match ArenaView::from_env() {
        Ok(a) => a.map(Arc::new),
        Err(e) => {
            eprintln!("whest-runner worker: weights arrive through the pipe (no arena: {e})");
            None
        }
    };
    // SAFETY: the runner made these this process's pipe ends, owned by nothing else here.
    let (input, output) = unsafe { (File::from_raw_fd(REQUEST_FD), File::from_raw_fd(REPLY_FD)) };
    let mut input = BufReader::new(input);
    let mut output = BufWriter::new(output);
    let mut estimator: Option<LoadedEstimator> = None;
    loop {
        let frame = match read_frame::<_, Request>(&mut input, FrameLimits::FROM_RUNNER) {
            Ok(Some(f)) => f,
            Ok(None) => return 0,
            Err(e) => {
                eprintln!("whest-runner worker: bad request: {e}");
                return 2;
            }
        };
        let sent = match frame {
            (
                Request::Start {
                    library,
                    width,
                    depth,
                    flop_budget,
                    api_version,
                    scratch_dir,
                    submission_dir,
                    seed,
                    sandbox: mode,
                },
                _,
            ) => {
                let paths = SandboxPaths {
                    plugin: PathBuf::from(&library),
                    submission_dir: submission_dir.as_ref().map(PathBuf::from),
                    scratch_dir: scratch_dir.as_ref().map(PathBuf::from),
                };
                let applied = match sandbox::apply(mode, &paths) {
                    Ok(s) => s,
                    Err(e) => {
                        let reply = StatusReply::failed("sandbox_error", e.to_string());
                        let _ = write_frame(&mut output, &reply, &[]);
                        return 2;
                    }
                };
                let ctx = SetupContext {
                    width,
                    depth,
                    flop_budget,
                    api_version,
                    scratch_dir: scratch_dir.map(PathBuf::from),
                    submission_dir: submission_dir.map(PathBuf::from),
                    seed,
                };
                let mut reply = start(&library, &ctx, &mut estimator);
                reply.weights_arena = arena.is_some();
                reply.sandbox = Some(applied);
                write_frame(&mut output, &reply, &[])
            }
            (
                Request::Predict {
                    weights_in_arena,
                    width,
                    depth,
                    seed,
                    name,
                    budget,
                    wall_time_limit_s,
                },
                payload,
            ) => {
                let Some(est) = estimator.as_mut() else {
                    eprintln!("whest-runner worker: predict before start");
                    return 2;
                };
                let weights = match (weights_in_arena, &arena) {
                    (true, Some(view)) => lend_arena(view),
                    (true, None) => {
                        eprintln!("whest-runner worker: weights in an arena it never mapped");
                        return 2;
                    }
                    (false, _) => SharedWeights::from_vec(payload),
                };
                let mut prediction = est.predict(PredictRequest {
                    weights,
                    width,
                    depth,
                    seed,
                    name: &name,
                    budget,
                    wall_time_limit_s,
                });
                let predictions = std::mem::take(&mut prediction.predictions);
                let reply = PredictReply {
                    prediction,
                    weights_retained: arena.as_ref().is_some_and(|v| Arc::strong_count(v) > 1),
                };
                write_frame(&mut output, &reply, &predictions)
            }
            (Request::Close, _) => {
                let reply = match estimator.as_mut().map(LoadedEstimator::teardown) {
                    Some(Err(e)) => StatusReply {
                        traceback: e.traceback,
                        ..StatusReply::failed("runtime_error", e.message)
                    },
                    _ => StatusReply::ok(),
                };
                let _ = write_frame(&mut output, &reply, &[]);
                return 0;
            }
        };
        if sent.is_err() {
            return 3; // the runner went away
        }
    }
}

/// Lends the whole arena to the plugin; the plugin's release drops the extra `Arc` reference,
/// so `Arc::strong_count(view) > 1` after `predict` means the plugin still holds tensors over it.
fn lend_arena(view: &Arc<ArenaView>) -> SharedWeights {
    // SAFETY: the view maps `len` floats for as long as an `Arc` to it lives (the owner below),
    // and the runner writes the arena only after a reply reporting no plugin reference.
    unsafe { SharedWeights::from_raw_parts(view.as_ptr(), view.len(), Box::new(Arc::clone(view))) }
}

fn start(library: &str, ctx: &SetupContext, slot: &mut Option<LoadedEstimator>) -> StatusReply {
    let mut est = match LoadedEstimator::load(std::path::Path::new(library)) {
        Ok(e) => e,
        Err(e) => return StatusReply::failed("load_error", e.to_string()),
    };
    match est.setup(ctx) {
        Ok(()) => {
            *slot = Some(est);
            StatusReply::ok()
        }
        Err(e) => StatusReply {
            traceback: e.traceback,
            ..StatusReply::failed("runtime_error", e.message)
        },
    }
}
