//! The isolated runner (`--runner subprocess`): the estimator runs in a worker process (this
//! binary re-executed as `whest-runner __worker`) with `RLIMIT_AS` from `--memory-limit-mb`, a
//! setup timeout, and a hard wall-time kill from the parent. A crashed or killed worker scores
//! that MLP as a failure and a fresh worker (re-running setup) takes the next one.
//!
//! Weights reach the worker through a shared-memory arena ([`WeightArena`]) that every worker
//! maps once: per MLP the runner copies the weights into it and sends only a header. When the
//! arena is unavailable, or the plugin still holds tensors over the previous MLP's weights, the
//! weights travel in the request frame instead.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use whest_score::ErrorCode;

use estimator_api::SetupContext;

use super::{EstimatorRunner, MlpRequest, RunnerFailure};
use crate::isolation::arena::WeightArena;
use crate::isolation::ipc::{read_frame, write_frame};
use crate::isolation::protocol::{PredictReply, Request, StatusReply};
use crate::isolation::worker::MEMORY_LIMIT_ENV;
use crate::plugin_host::PluginPrediction;

/// Lines of worker stderr kept for error reports.
const STDERR_TAIL_LINES: usize = 200;
/// Longest wait for a dead worker's stderr to reach end of file.
const STDERR_DRAIN_DEADLINE: Duration = Duration::from_secs(2);

type Frame = std::io::Result<Option<(serde_json::Value, Vec<f32>)>>;

/// A live worker process.
struct Worker {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    replies: Receiver<Frame>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Disconnects when the stderr reader has read the worker's last line (end of file).
    stderr_done: Receiver<()>,
    /// The worker mapped the weights arena.
    maps_arena: bool,
    /// The worker's plugin still holds tensors over the arena (per its last reply).
    arena_lent: bool,
}

impl Worker {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stderr_text(&self) -> String {
        self.stderr_tail
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

/// Runs the estimator in worker processes.
pub struct SubprocessRunner {
    library: PathBuf,
    memory_limit_mb: u64,
    setup_timeout_s: f64,
    wall_time_limit_s: Option<f64>,
    predict_timeout_floor_s: f64,
    ctx: Option<SetupContext>,
    worker: Option<Worker>,
    arena: Option<WeightArena>,
}

impl SubprocessRunner {
    /// A runner for the plugin at `library`. The host waits `max(predict_timeout_floor_s,
    /// wall cap + 5 s)` for each prediction before killing the worker.
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
            ctx: None,
            worker: None,
            arena: None,
        }
    }

    fn spawn(&self) -> Result<Worker, RunnerFailure> {
        let exe = std::env::current_exe().map_err(|e| {
            failure(
                "setup",
                ErrorCode::RunnerNotStarted,
                format!("cannot find the whest-runner executable: {e}"),
            )
        })?;
        let mut cmd = Command::new(exe);
        if let Some(arena) = &self.arena {
            arena.inherit_into(&mut cmd);
        }
        let mut child = cmd
            .arg("__worker")
            .env(MEMORY_LIMIT_ENV, self.memory_limit_mb.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                failure(
                    "setup",
                    ErrorCode::RunnerNotStarted,
                    format!("cannot start a worker process: {e}"),
                )
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err(failure(
                "setup",
                ErrorCode::RunnerNotStarted,
                "worker pipes unavailable".into(),
            ));
        };
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let frame: Frame = read_frame(&mut r);
                let done = !matches!(frame, Ok(Some(_)));
                if tx.send(frame).is_err() || done {
                    break;
                }
            }
        });
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = stderr_tail.clone();
        let (stderr_done_tx, stderr_done) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            // Dropped when this thread ends, which disconnects `stderr_done`.
            let _done = stderr_done_tx;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut t) = tail.lock() {
                    if t.len() == STDERR_TAIL_LINES {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            }
        });
        Ok(Worker {
            child,
            stdin: BufWriter::new(stdin),
            replies,
            stderr_tail,
            stderr_done,
            maps_arena: false,
            arena_lent: false,
        })
    }

    /// Spawns a worker, loads the plugin and runs setup within the setup timeout.
    fn start_worker(&mut self, ctx: &SetupContext) -> Result<Worker, RunnerFailure> {
        let mut w = self.spawn()?;
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
        };
        if write_frame(&mut w.stdin, &req, &[]).is_err() {
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
                        Ok(w)
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

/// Waits for a dead worker and explains its death (out of memory, signal, exit code).
fn death_message(w: &mut Worker, what: &str) -> String {
    let status = w.child.wait().ok();
    // Wait until the stderr reader has drained the dead worker's last lines (it ends at end of
    // file). A process the worker left behind may hold the pipe open: never wait past the
    // deadline for it.
    let _ = w.stderr_done.recv_timeout(STDERR_DRAIN_DEADLINE);
    let stderr = w.stderr_text();
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
        if write_frame(&mut w.stdin, &header, payload).is_err() {
            let msg = death_message(w, "the worker died before the predict request was sent");
            self.worker = None;
            return Err(failure("predict", ErrorCode::WorkerBrokenPipe, msg));
        }
        let outcome = match w.replies.recv_timeout(timeout) {
            Ok(Ok(Some((header, payload)))) => match serde_json::from_value::<PredictReply>(header)
            {
                Ok(reply) => {
                    w.arena_lent = reply.weights_retained;
                    let mut p = reply.prediction;
                    p.predictions = payload;
                    return Ok(p);
                }
                Err(e) => Err(failure(
                    "predict",
                    ErrorCode::WorkerProtocolError,
                    format!("unreadable predict reply: {e}"),
                )),
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
            if write_frame(&mut w.stdin, &Request::Close, &[]).is_ok() {
                let _ = w.replies.recv_timeout(Duration::from_millis(500));
            }
            let _ = w.stdin.flush();
            w.kill();
        }
    }

    fn in_process(&self) -> bool {
        false
    }
}

impl Drop for SubprocessRunner {
    fn drop(&mut self) {
        if let Some(mut w) = self.worker.take() {
            w.kill();
        }
    }
}
