//! What the runner measures itself around every predict, so that the timings an estimator
//! reports are checked against a clock it cannot touch:
//!
//! - the wall time of the call on the runner's monotonic clock (both runners);
//! - the worker process's CPU time over all its threads (subprocess runner; Linux), read from
//!   its process CPU clock before and after.
//!
//! [`check`] then applies the runner's verdicts: a reported wall time that disagrees with the
//! runner's by more than [`tolerance_s`] fails the MLP (`HOST_TIMING_MISMATCH`); a call that
//! ran past the wall-time limit on the runner's clock is time-exhausted whatever the estimator
//! reported; and residual time is at least the worker's CPU time that no kernel of flopscope's
//! can explain: CPU seconds minus the reported kernel seconds times the threads kernels may
//! use, minus the reported overhead and [`tolerance_s`] (for the thread pool's idle spinning
//! and the wrapper's own work), a bound that never charges honest kernel work.

use std::time::Instant;

use estimator_api::OutcomeCode;
use whest_score::ErrorCode;

use super::RunnerFailure;
use crate::plugin_host::PluginPrediction;

/// A measurement in progress.
pub struct HostClock {
    started: Instant,
    cpu: Option<(libc::clockid_t, f64)>,
}

/// What the runner measured around one predict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostReading {
    /// Wall seconds on the runner's monotonic clock.
    pub wall_s: f64,
    /// CPU seconds of the worker process over all its threads (`None` in process or where
    /// the clock cannot be read).
    pub cpu_s: Option<f64>,
}

impl HostClock {
    /// Starts measuring; `worker` is the worker's process id (`None` for the local runner,
    /// whose process CPU also holds the runner's own threads).
    pub fn start(worker: Option<u32>) -> HostClock {
        let cpu = worker
            .and_then(process_clock)
            .and_then(|c| Some((c, read(c)?)));
        HostClock {
            started: Instant::now(),
            cpu,
        }
    }

    /// Stops measuring.
    pub fn stop(self) -> HostReading {
        let wall_s = self.started.elapsed().as_secs_f64();
        let cpu_s = self
            .cpu
            .and_then(|(c, before)| Some((read(c)? - before).max(0.0)));
        HostReading { wall_s, cpu_s }
    }
}

/// How far a reported wall time may be from the runner's: 0.25 s plus 10 % of the runner's
/// reading (the runner's window also holds the request's transfer and the plugin wrapper's
/// own work, and a loaded machine delays either side).
pub fn tolerance_s(host_wall_s: f64) -> f64 {
    0.25 + 0.1 * host_wall_s
}

/// Applies the runner's measurement to what the plugin reported (see the module docs).
/// `kernel_threads` is how many threads flopscope's kernels may use at once.
///
/// # Errors
/// [`ErrorCode::HostTimingMismatch`] when the reported wall time is off by more than
/// [`tolerance_s`].
pub fn check(
    mut p: PluginPrediction,
    host: HostReading,
    wall_time_limit_s: Option<f64>,
    kernel_threads: usize,
) -> Result<PluginPrediction, RunnerFailure> {
    if p.outcome == OutcomeCode::Error {
        return Ok(p); // failed anyway; an error may come before any timing exists
    }
    if (p.wall_time_s - host.wall_s).abs() > tolerance_s(host.wall_s) {
        return Err(RunnerFailure {
            stage: "predict",
            code: ErrorCode::HostTimingMismatch,
            message: format!(
                "the estimator reported {:.3} s of wall time, the runner measured {:.3} s: \
                 its timings cannot be trusted",
                p.wall_time_s, host.wall_s
            ),
            traceback: None,
        });
    }
    if let Some(cpu) = host.cpu_s {
        let kernels = p.backend_time_s * kernel_threads.max(1) as f64;
        let unexplained = cpu - kernels - p.overhead_time_s - tolerance_s(host.wall_s);
        p.residual_wall_time_s = p.residual_wall_time_s.max(unexplained);
    }
    if let Some(limit) = wall_time_limit_s {
        if p.outcome == OutcomeCode::Ok && host.wall_s > limit + tolerance_s(limit) {
            p.outcome = OutcomeCode::TimeExhausted;
            p.predictions = Vec::new();
            p.message = Some(format!(
                "predict took {:.3} s on the runner's clock, over the {limit} s wall-time limit",
                host.wall_s
            ));
        }
    }
    Ok(p)
}

/// How many threads flopscope's kernels may use at once: its kernel pool's size
/// (`RAYON_NUM_THREADS`, or one per core) plus the estimator's own thread.
pub fn kernel_threads() -> usize {
    let pool = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    pool + 1
}

/// The CPU clock of process `pid` (all its threads).
fn process_clock(pid: u32) -> Option<libc::clockid_t> {
    let pid = libc::pid_t::try_from(pid).ok()?;
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid out-pointer; an unknown pid only makes the call fail.
    (unsafe { libc::clock_getcpuclockid(pid, &mut clock) } == 0).then_some(clock)
}

/// Seconds on `clock`.
fn read(clock: libc::clockid_t) -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; an invalid clock only makes the call fail.
    let ok = unsafe { libc::clock_gettime(clock, &mut ts) } == 0;
    ok.then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(wall: f64) -> PluginPrediction {
        PluginPrediction {
            outcome: OutcomeCode::Ok,
            predictions: vec![0.0; 4],
            flops_used: 1,
            wall_time_s: wall,
            backend_time_s: 0.1,
            overhead_time_s: 0.0,
            residual_wall_time_s: 0.05,
            summary_json: None,
            error_code: None,
            message: None,
            traceback: None,
            details_json: None,
        }
    }

    fn host(wall_s: f64, cpu_s: Option<f64>) -> HostReading {
        HostReading { wall_s, cpu_s }
    }

    #[test]
    fn a_reported_wall_far_from_the_runners_fails_the_mlp() {
        let e = check(reported(0.0), host(3.0, None), None, 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::HostTimingMismatch);
        assert!(check(reported(2.9), host(3.0, None), None, 1).is_ok());
        // Errors carry no trustworthy timing and are left alone.
        let mut err = reported(0.0);
        err.outcome = OutcomeCode::Error;
        assert!(check(err, host(3.0, None), None, 1).is_ok());
    }

    #[test]
    fn cpu_no_kernel_explains_is_residual() {
        // 2 s of worker CPU, 0.1 s of kernels on up to 4 threads, 0.45 s of tolerance: at
        // least 1.15 s is residual.
        let p = check(reported(2.0), host(2.0, Some(2.0)), None, 4).unwrap();
        assert!((p.residual_wall_time_s - 1.15).abs() < 1e-9, "{p:?}");
        // Never lowers what the estimator's own context charged.
        let p = check(reported(2.0), host(2.0, Some(0.1)), None, 4).unwrap();
        assert_eq!(p.residual_wall_time_s, 0.05);
    }

    #[test]
    fn the_runners_clock_enforces_the_wall_time_limit() {
        let p = check(reported(2.0), host(2.0, None), Some(1.0), 1).unwrap();
        assert_eq!(p.outcome, OutcomeCode::TimeExhausted);
        assert!(p.predictions.is_empty());
        let p = check(reported(1.0), host(1.0, None), Some(1.0), 1).unwrap();
        assert_eq!(p.outcome, OutcomeCode::Ok);
    }

    #[test]
    fn a_worker_cpu_clock_is_read() {
        let clock = HostClock::start(Some(std::process::id()));
        let spin = Instant::now();
        while spin.elapsed().as_millis() < 20 {}
        let r = clock.stop();
        assert!(r.cpu_s.is_some_and(|c| c > 0.0), "{r:?}");
        assert!(r.wall_s > 0.0);
    }
}
