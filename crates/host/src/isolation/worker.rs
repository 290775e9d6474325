//! The worker process: `whest-runner __worker` loads one estimator and serves requests on
//! stdin/stdout until `Close` or end of input. Memory is capped with `RLIMIT_AS` before the
//! estimator is loaded, and core dumps are disabled. The runner's weights arena, when it passed
//! one, is mapped once (after the memory cap) and lent to the plugin for every predict.

use std::io::{self, BufReader, BufWriter};
use std::path::PathBuf;
use std::sync::Arc;

use estimator_api::SetupContext;

use super::arena::ArenaView;
use super::ipc::{read_frame, write_frame};
use super::protocol::{PredictReply, Request, StatusReply};
use crate::plugin_host::{LoadedEstimator, PredictRequest, SharedWeights};

/// Environment variable carrying the worker's memory limit in MiB (0 or unset: none).
pub const MEMORY_LIMIT_ENV: &str = "WHEST_WORKER_MEMORY_LIMIT_MB";

/// Applies `RLIMIT_AS = mb MiB` (soft and hard) and `RLIMIT_CORE = 0` to this process.
///
/// # Errors
/// The OS error if a limit cannot be set.
pub fn apply_memory_limit(mb: u64) -> io::Result<()> {
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
    if mb > 0 {
        set(libc::RLIMIT_AS, mb.saturating_mul(1 << 20))?;
    }
    Ok(())
}

/// Runs the worker loop on stdin/stdout. Returns the process exit code.
pub fn serve() -> i32 {
    if let Some(mb) = std::env::var(MEMORY_LIMIT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        if let Err(e) = apply_memory_limit(mb) {
            eprintln!("whest-runner worker: cannot set the memory limit: {e}");
        }
    }
    let arena = match ArenaView::from_env() {
        Ok(a) => a.map(Arc::new),
        Err(e) => {
            eprintln!("whest-runner worker: weights arrive through the pipe (no arena: {e})");
            None
        }
    };
    let mut input = BufReader::new(io::stdin().lock());
    let mut output = BufWriter::new(io::stdout().lock());
    let mut estimator: Option<LoadedEstimator> = None;
    loop {
        let frame = match read_frame::<_, Request>(&mut input) {
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
                },
                _,
            ) => {
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
                        status: "runtime_error".into(),
                        error_message: Some(e.message),
                        traceback: e.traceback,
                        weights_arena: false,
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
        Err(e) => {
            return StatusReply {
                status: "load_error".into(),
                error_message: Some(e.to_string()),
                traceback: None,
                weights_arena: false,
            }
        }
    };
    match est.setup(ctx) {
        Ok(()) => {
            *slot = Some(est);
            StatusReply::ok()
        }
        Err(e) => StatusReply {
            status: "runtime_error".into(),
            error_message: Some(e.message),
            traceback: e.traceback,
            weights_arena: false,
        },
    }
}
