//! The isolated runner (`--runner subprocess`): the estimator runs in a worker process (this
//! binary re-executed as `whest-runner __worker`) with `RLIMIT_AS` from `--memory-limit-mb`, a
//! setup timeout, and a hard wall-time kill from the parent. A crashed or killed worker scores
//! that MLP as a failure and a fresh worker (re-running setup) takes the next one.
//!
//! Weights reach the worker through a shared-memory arena ([`WeightArena`]) that every worker
//! maps once: per MLP the runner copies the weights into it and sends only a header. When the
//! arena is unavailable, or the plugin still holds tensors over the previous MLP's weights, the
//! weights travel in the request frame instead.
//!
//! Workers are started by [`crate::isolation::launch`] (own pipes, cleared environment, own
//! process group, death with the runner) and sandbox themselves before loading the plugin
//! ([`crate::isolation::sandbox`], `--sandbox`). Unless the sandbox is off, each worker also
//! runs in a cgroup v2 leaf of its own when the runner may create one
//! ([`crate::isolation::cgroup`]): `memory.max` from `--memory-limit-mb`, `pids.max` 64 plus
//! four per kernel-pool thread; the worker is moved in before it is sent `Start`, and the leaf (with whatever
//! is left in it) is removed when the worker ends. Replies are read within
//! [`FrameLimits::worker_replies`]; a malformed one fails the MLP and kills the worker. Every
//! reply's timings are checked against the runner's own clock ([`host_clock::check`]).

use std::io::{BufReader, BufWriter, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;
use whest_score::ErrorCode;

use estimator_api::SetupContext;

use super::host_clock::{self, HostClock};
use super::{EstimatorRunner, MlpRequest, RunnerFailure};
use crate::isolation::arena::WeightArena;
use crate::isolation::cgroup::{CgroupError, CgroupStatus, LeafLimits, WorkerCgroups, WorkerLeaf};
use crate::isolation::ipc::{read_frame, write_frame, FrameLimits};
use crate::isolation::launch::{self, LaunchedWorker};
use crate::isolation::output_tail::OutputTail;
use crate::isolation::protocol::{PredictReply, Request, StatusReply};
use crate::isolation::sandbox::{SandboxMode, SandboxStatus};
use crate::plugin_host::PluginPrediction;

/// Longest wait for a dead worker's output to reach end of file.
const OUTPUT_DRAIN_DEADLINE: Duration = Duration::from_secs(2);
/// How long a worker whose pipe closed gets to exit on its own before its group is killed
/// (long enough to learn the signal that killed it).
const DEATH_GRACE: Duration = Duration::from_millis(500);

type Frame = std::io::Result<Option<(serde_json::Value, Vec<f32>)>>;

/// Tasks (threads included) a worker's cgroup leaf may hold beyond four per kernel-pool slot.
const PIDS_BASE: u64 = 64;

/// `pids.max` of a worker's leaf: [`PIDS_BASE`] plus four tasks per kernel-pool thread
/// ([`host_clock::kernel_threads`]), room for flopscope's pool, `thread::scope` workers and the
/// plugin's own threads, while a thread bomb stops there.
fn pids_cap() -> u64 {
    PIDS_BASE + 4 * host_clock::kernel_threads() as u64
}

/// A live worker process. Dropping it kills its process group, then its cgroup leaf (if any).
struct Worker {
    child: Child,
    requests: BufWriter<std::fs::File>,
    replies: Receiver<Frame>,
    output: OutputTail,
    /// The worker mapped the weights arena.
    maps_arena: bool,
    /// The worker's plugin still holds tensors over the arena (per its last reply).
    arena_lent: bool,
    /// The worker's cgroup leaf; dropped after the worker is killed (field order).
    leaf: Option<WorkerLeaf>,
}

impl Worker {
    fn kill(&mut self) {
        launch::kill_group(&mut self.child);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs the estimator in worker processes.
pub struct SubprocessRunner {
    library: PathBuf,
    memory_limit_mb: u64,
    setup_timeout_s: f64,
    wall_time_limit_s: Option<f64>,
    predict_timeout_floor_s: f64,
    sandbox: SandboxMode,
    /// What the first worker's sandbox enforced.
    sandbox_status: Option<SandboxStatus>,
    /// The workers' cgroup leaves (`None` with `--sandbox off` or before `start`).
    cgroups: Option<Result<&'static WorkerCgroups, &'static CgroupError>>,
    /// CPU microseconds of the removed worker leaves.
    leaf_cpu_usec: Arc<AtomicU64>,
    ctx: Option<SetupContext>,
    worker: Option<Worker>,
    arena: Option<WeightArena>,
}

impl SubprocessRunner {
    /// A runner for the plugin at `library` with the default sandbox (`auto`). The host waits
    /// `max(predict_timeout_floor_s, wall cap + 5 s)` for each prediction before killing the
    /// worker.
    pub fn new(
        library: PathBuf,
        memory_limit_mb: u64,
        setup_timeout_s: f64,
        wall_time_limit_s: Option<f64>,
        predict_timeout_floor_s: f64,
    ) -> Self {
        SubprocessRunner {
            library,
            memory_limit_mb,
            setup_timeout_s,
            wall_time_limit_s,
            predict_timeout_floor_s,
            sandbox: SandboxMode::default(),
            sandbox_status: None,
            cgroups: None,
            leaf_cpu_usec: Arc::new(AtomicU64::new(0)),
            ctx: None,
            worker: None,
            arena: None,
        }
    }

    /// Sets the workers' sandbox mode (`--sandbox`).
    pub fn with_sandbox(mut self, mode: SandboxMode) -> Self {
        self.sandbox = mode;
        self
    }

    /// The limits of each worker's cgroup leaf.
    fn leaf_limits(&self) -> LeafLimits {
        LeafLimits {
            memory_max_mb: (self.memory_limit_mb > 0).then_some(self.memory_limit_mb),
            pids_max: pids_cap(),
        }
    }

    fn spawn(&self, limits: FrameLimits) -> Result<Worker, RunnerFailure> {
        let exe = std::env::current_exe().map_err(|e| {
            failure(
                "setup",
                ErrorCode::RunnerNotStarted,
                format!("cannot find the whest-runner executable: {e}"),
            )
        })?;
        let leaf_failure = |e: CgroupError| {
            failure(
                "setup",
                ErrorCode::RunnerNotStarted,
                format!("cannot confine a worker to its cgroup leaf: {e}"),
            )
        };
        let leaf = match self.cgroups {
            Some(Ok(cgroups)) => Some(
                cgroups
                    .create_leaf(self.leaf_limits(), &self.leaf_cpu_usec)
                    .map_err(leaf_failure)?,
            ),
            _ => None,
        };
        let LaunchedWorker {
            mut child,
            requests,
            replies,
            output,
        } = launch::launch(&exe, self.memory_limit_mb, self.arena.as_ref()).map_err(|e| {
            failure(
                "setup",
                ErrorCode::RunnerNotStarted,
                format!("cannot start a worker process: {e}"),
            )
        })?;
        // Before `Start`: the plugin is loaded only once the worker is in its leaf.
        if let Some(Err(e)) = leaf.as_ref().map(|l| l.attach(child.id())) {
            launch::kill_group(&mut child);
            return Err(leaf_failure(e));
        }
        let (tx, frames) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(replies);
            loop {
                let frame: Frame = read_frame(&mut r, limits);
                let done = !matches!(frame, Ok(Some(_)));
                if tx.send(frame).is_err() || done {
                    break;
                }
            }
        });
        Ok(Worker {
            child,
            requests: BufWriter::new(requests),
            replies: frames,
            output: OutputTail::start(output),
            maps_arena: false,
            arena_lent: false,
            leaf,
        })
    }

    /// Spawns a worker, loads the plugin and runs setup within the setup timeout.
    fn start_worker(&mut self, ctx: &SetupContext) -> Result<Worker, RunnerFailure> {
        let mut w = self.spawn(FrameLimits::worker_replies(ctx.depth, ctx.width))?;
        let req = Request::Start {
            library: self.library.to_string_lossy().into_owned(),
            width: ctx.width,
            depth: ctx.depth,
            flop_budget: ctx.flop_budget,
            api_version: ctx.api_version.clone(),
            scratch_dir: ctx
                .scratch_dir
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            submission_dir: ctx
                .submission_dir
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            seed: ctx.seed,
            sandbox: self.sandbox,
        };
        if write_frame(&mut w.requests, &req, &[]).is_err() {
            let msg = death_message(&mut w, "the worker exited before setup");
            return Err(failure("setup", ErrorCode::SetupProtocolError, msg));
        }
        match w.replies.recv_timeout(duration(self.setup_timeout_s)) {
            Ok(Ok(Some((header, _)))) => {
                let reply: StatusReply = serde_json::from_value(header).map_err(|e| {
                    failure(
                        "setup",
                        ErrorCode::SetupProtocolError,
                        format!("unreadable setup reply: {e}"),
                    )
                })?;
                match reply.status.as_str() {
                    "ok" => {
                        w.maps_arena = reply.weights_arena;
                        if self.sandbox_status.is_none() {
                            self.sandbox_status = reply.sandbox;
                        }
                        Ok(w)
                    }
                    "sandbox_error" => {
                        w.kill();
                        Err(failure(
                            "setup",
                            ErrorCode::SandboxUnavailable,
                            reply.error_message.unwrap_or_default(),
                        ))
                    }
                    "load_error" => {
                        w.kill();
                        Err(failure(
                            "load",
                            ErrorCode::EstimatorLoadError,
                            reply.error_message.unwrap_or_default(),
                        ))
                    }
                    _ => {
                        w.kill();
                        Err(RunnerFailure {
                            stage: "setup",
                            code: ErrorCode::SetupError,
                            message: reply.error_message.unwrap_or_else(|| "setup failed".into()),
                            traceback: reply.traceback,
                        })
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                w.kill();
                Err(failure(
                    "setup",
                    ErrorCode::SetupTimeout,
                    format!("setup did not finish within {:.1} s", self.setup_timeout_s),
                ))
            }
            _ => {
                let msg = death_message(&mut w, "the worker died during setup");
                Err(failure("setup", ErrorCode::SetupProtocolError, msg))
            }
        }
    }

    fn predict_timeout(&self) -> Duration {
        let secs = match self.wall_time_limit_s {
            Some(cap) => self.predict_timeout_floor_s.max(cap + 5.0),
            None => self.predict_timeout_floor_s,
        };
        duration(secs)
    }
}

/// Seconds to a `Duration`, saturating (infinite or huge values wait "forever").
fn duration(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX)
}

fn failure(stage: &'static str, code: ErrorCode, message: String) -> RunnerFailure {
    RunnerFailure {
        stage,
        code,
        message,
        traceback: None,
    }
}

/// Reaps a worker whose pipe failed (killing its group if it does not exit on its own) and
/// explains its death (out of memory, signal, exit code).
fn death_message(w: &mut Worker, what: &str) -> String {
    let status = launch::reap(&mut w.child, DEATH_GRACE);
    w.output.wait_drained(OUTPUT_DRAIN_DEADLINE);
    if w.leaf.as_ref().is_some_and(|l| l.oom_kills() > 0) {
        return format!(
            "{what}: out of memory under the worker's memory limit (its cgroup's memory.max \
             killed it)"
        );
    }
    let stderr = w.output.text();
    let oom = stderr
        .lines()
        .rev()
        .find(|l| l.contains("memory allocation of") && l.contains("failed"));
    if let Some(line) = oom {
        return format!("{what}: out of memory under the worker's memory limit ({line})");
    }
    let how = match status {
        Some(s) => match (s.code(), s.signal()) {
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(sig)) => format!("killed by signal {sig}{}", signal_name(sig)),
            _ => "unknown status".to_string(),
        },
        None => "unknown status".to_string(),
    };
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    if last.is_empty() {
        format!("{what} ({how})")
    } else {
        format!("{what} ({how}): {last}")
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGBUS => " (SIGBUS)",
        libc::SIGILL => " (SIGILL)",
        _ => "",
    }
}

impl EstimatorRunner for SubprocessRunner {
    fn start(&mut self, ctx: &SetupContext) -> Result<(), RunnerFailure> {
        // Without an arena (no memfd here), weights go through the pipe.
        self.arena = WeightArena::create(ctx.depth * ctx.width * ctx.width).ok();
        if self.sandbox != SandboxMode::Off {
            self.cgroups = Some(WorkerCgroups::for_this_process());
        }
        let w = self.start_worker(ctx)?;
        self.worker = Some(w);
        self.ctx = Some(ctx.clone());
        Ok(())
    }

    fn predict(&mut self, req: &MlpRequest<'_>) -> Result<PluginPrediction, RunnerFailure> {
        if self.worker.is_none() {
            let ctx = self.ctx.clone().ok_or_else(|| {
                failure(
                    "predict",
                    ErrorCode::RunnerNotStarted,
                    "predict called before start".into(),
                )
            })?;
            let w = self.start_worker(&ctx).map_err(|mut e| {
                if e.code == ErrorCode::SetupProtocolError || e.code == ErrorCode::RunnerNotStarted
                {
                    e.code = ErrorCode::WorkerRestartFailed;
                }
                e
            })?;
            self.worker = Some(w);
        }
        let timeout = self.predict_timeout();
        let Some(w) = self.worker.as_mut() else {
            return Err(failure(
                "predict",
                ErrorCode::RunnerNotStarted,
                "no worker".into(),
            ));
        };
        let arena = match &mut self.arena {
            Some(a) if w.maps_arena && !w.arena_lent && a.len() == req.weights.len() => {
                a.write(req.weights);
                true
            }
            _ => false,
        };
        let header = Request::Predict {
            weights_in_arena: arena,
            width: req.width,
            depth: req.depth,
            seed: req.seed,
            name: req.name.to_string(),
            budget: req.budget,
            wall_time_limit_s: self.wall_time_limit_s,
        };
        let payload: &[f32] = if arena { &[] } else { req.weights };
        // A large payload can fill the pipe: a worker that stops reading must not block the
        // runner past the predict timeout.
        let watchdog = (!payload.is_empty()).then(|| launch::Watchdog::arm(&w.child, timeout));
        let clock = HostClock::start(Some(w.child.id()));
        let sent = write_frame(&mut w.requests, &header, payload);
        drop(watchdog);
        if sent.is_err() {
            let msg = death_message(w, "the worker died before the predict request was sent");
            self.worker = None;
            return Err(failure("predict", ErrorCode::WorkerBrokenPipe, msg));
        }
        let outcome = match w.replies.recv_timeout(timeout) {
            Ok(Ok(Some((header, payload)))) => match serde_json::from_value::<PredictReply>(header)
            {
                Ok(reply) => {
                    let reading = clock.stop();
                    w.arena_lent = reply.weights_retained;
                    let mut p = reply.prediction;
                    p.predictions = payload;
                    return host_clock::check(
                        p,
                        reading,
                        self.wall_time_limit_s,
                        host_clock::kernel_threads(),
                    );
                }
                Err(e) => {
                    w.kill();
                    Err(failure(
                        "predict",
                        ErrorCode::WorkerProtocolError,
                        format!("unreadable predict reply: {e}; the worker was killed"),
                    ))
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                w.kill();
                Err(failure(
                    "predict",
                    ErrorCode::PredictTimeout,
                    format!(
                        "predict did not return within {:.0} s; the worker was killed",
                        timeout.as_secs_f64()
                    ),
                ))
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                w.kill();
                Err(failure(
                    "predict",
                    ErrorCode::WorkerProtocolError,
                    format!(
                        "the worker sent a malformed reply ({e}); it was killed and the next \
                         MLP gets a fresh one"
                    ),
                ))
            }
            Ok(Err(e)) => {
                let msg = death_message(w, &format!("the worker connection failed ({e})"));
                Err(failure("predict", ErrorCode::WorkerIoError, msg))
            }
            _ => {
                let msg = death_message(w, "the worker died during predict");
                Err(failure("predict", ErrorCode::WorkerEof, msg))
            }
        };
        self.worker = None;
        outcome
    }

    fn close(&mut self) {
        if let Some(mut w) = self.worker.take() {
            if write_frame(&mut w.requests, &Request::Close, &[]).is_ok() {
                let _ = w.replies.recv_timeout(Duration::from_millis(500));
            }
            let _ = w.requests.flush();
            w.kill();
        }
    }

    fn in_process(&self) -> bool {
        false
    }

    /// The first worker's sandbox, with the cgroup leaves: their limits and the CPU time of
    /// those removed so far, or the `not_applied` phrase saying why there were none.
    fn sandbox(&self) -> Option<SandboxStatus> {
        let mut status = self.sandbox_status.clone()?;
        match self.cgroups {
            Some(Ok(_)) => {
                let limits = self.leaf_limits();
                status.cgroup = Some(CgroupStatus {
                    memory_max_mb: limits.memory_max_mb,
                    pids_max: limits.pids_max,
                    worker_cpu_s: self.leaf_cpu_usec.load(Ordering::Relaxed) as f64 * 1e-6,
                });
            }
            Some(Err(e)) => status.not_applied.push(e.not_applied()),
            None => {}
        }
        Some(status)
    }
}

impl Drop for SubprocessRunner {
    fn drop(&mut self) {
        if let Some(mut w) = self.worker.take() {
            w.kill();
        }
    }
}
