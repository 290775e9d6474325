//! A small, thread-safe progress reporter for long phases (ground truth, scoring, bakes).
//!
//! A [`Progress`] counts units of work (`inc`/`set` from any thread, e.g. rayon workers) and
//! reports on stderr in one of three [`ProgressMode`]s:
//!
//! - [`ProgressMode::Live`]: one line redrawn in place with `\r`:
//!   `Scoring  [#####-----]  5/10 MLPs  2.50 MLPs/s  elapsed 0:02  ETA 0:02`.
//! - [`ProgressMode::Plain`]: whole lines, `[run] Scoring: 5/10 MLPs` (the tag comes from
//!   [`Progress::tagged`]; without one, `[Scoring] 5/10 MLPs`), for logs and pipes.
//! - [`ProgressMode::Off`]: nothing (JSON output, `--quiet`).
//!
//! Redraws are throttled: at most one per [`LIVE_INTERVAL`] (live) or [`PLAIN_INTERVAL`]
//! (plain). The first report is drawn when the reporter is created and the last one by
//! [`Progress::finish`] (or on drop), so a short phase still shows `0/n` and `n/n`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Minimum time between two live redraws (at most 10 per second).
pub const LIVE_INTERVAL: Duration = Duration::from_millis(100);
/// Minimum time between two plain progress lines.
pub const PLAIN_INTERVAL: Duration = Duration::from_secs(1);
/// Width of the live bar, in characters.
const BAR_WIDTH: usize = 20;
/// `last_draw_ns` before anything was drawn.
const NEVER: u64 = u64::MAX;

/// How a [`Progress`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// One line on stderr, redrawn in place (for a terminal).
    Live,
    /// Whole `[tag] phase: i/n` lines on stderr, throttled (for logs and pipes).
    Plain,
    /// No output.
    Off,
}

impl ProgressMode {
    /// The mode for this process: [`Off`](Self::Off) for JSON output or when quiet,
    /// [`Live`](Self::Live) when stderr is a terminal, else [`Plain`](Self::Plain).
    pub fn auto(json: bool, quiet: bool) -> ProgressMode {
        Self::choose(json, quiet, std::io::stderr().is_terminal())
    }

    /// The rule behind [`auto`](Self::auto), with the terminal test given.
    pub fn choose(json: bool, quiet: bool, stderr_is_terminal: bool) -> ProgressMode {
        if json || quiet {
            ProgressMode::Off
        } else if stderr_is_terminal {
            ProgressMode::Live
        } else {
            ProgressMode::Plain
        }
    }
}

/// A monotonic clock: time since the reporter started. Injected so tests are deterministic.
pub trait Clock: Send + Sync {
    /// Time elapsed since the clock was created.
    fn elapsed(&self) -> Duration;
}

/// The real clock ([`Instant`]).
#[derive(Debug)]
pub struct SystemClock(Instant);

impl SystemClock {
    /// A clock starting now.
    pub fn start() -> SystemClock {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// Reports the progress of one phase. All methods take `&self` and may be called from any
/// thread; share it by reference (rayon closures) or in an `Arc`.
pub struct Progress {
    label: String,
    tag: Option<String>,
    unit: String,
    total: u64,
    mode: ProgressMode,
    done: AtomicU64,
    /// Clock time (ns) of the last draw, or [`NEVER`].
    last_draw_ns: AtomicU64,
    finished: AtomicBool,
    clock: Arc<dyn Clock>,
    sink: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("label", &self.label)
            .field("total", &self.total)
            .field("done", &self.done())
            .field("mode", &self.mode)
            .finish()
    }
}

impl Progress {
    /// A reporter for `total` units named `unit` (plural, e.g. `"MLPs"`) of the phase `label`,
    /// writing to stderr with the real clock. Draws `0/total` at once unless `mode` is `Off`.
    pub fn new(label: &str, total: u64, unit: &str, mode: ProgressMode) -> Progress {
        Progress::with_output(None, label, total, unit, mode, real_clock(), stderr_sink())
    }

    /// Like [`new`](Self::new), with plain lines prefixed by `[tag]`:
    /// `[run] Scoring: 3/10 MLPs` (spec §9's `[run] phase: i/n`).
    pub fn tagged(tag: &str, label: &str, total: u64, unit: &str, mode: ProgressMode) -> Progress {
        Progress::with_output(
            Some(tag),
            label,
            total,
            unit,
            mode,
            real_clock(),
            stderr_sink(),
        )
    }

    /// The general constructor: an optional plain-line tag, an injected clock and output (for
    /// tests and embedding). Draws `0/total` at once unless `mode` is `Off`.
    pub fn with_output(
        tag: Option<&str>,
        label: &str,
        total: u64,
        unit: &str,
        mode: ProgressMode,
        clock: Arc<dyn Clock>,
        sink: Box<dyn Write + Send>,
    ) -> Progress {
        let progress = Progress {
            label: label.to_string(),
            tag: tag.map(str::to_string),
            unit: unit.to_string(),
            total,
            mode,
            done: AtomicU64::new(0),
            last_draw_ns: AtomicU64::new(NEVER),
            finished: AtomicBool::new(false),
            clock,
            sink: Mutex::new(sink),
        };
        progress.maybe_draw();
        progress
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Adds `n` units done; redraws if the throttle allows.
    pub fn inc(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        self.maybe_draw();
    }

    /// Sets the units done to `n`; redraws if the throttle allows.
    pub fn set(&self, n: u64) {
        self.done.store(n, Ordering::Relaxed);
        self.maybe_draw();
    }

    /// Draws the final state (whatever the throttle) and, in live mode, ends the line. Later
    /// calls (and the drop) do nothing.
    pub fn finish(&self) {
        if self.mode == ProgressMode::Off || self.finished.swap(true, Ordering::AcqRel) {
            return;
        }
        let now = self.now_ns();
        self.last_draw_ns.store(now, Ordering::Release);
        self.draw(now, true);
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.clock.elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
    }

    fn interval(&self) -> Duration {
        match self.mode {
            ProgressMode::Live => LIVE_INTERVAL,
            _ => PLAIN_INTERVAL,
        }
    }

    /// Draws if nothing was drawn yet or the last draw is at least one interval old; of
    /// several threads racing for a draw, one wins.
    fn maybe_draw(&self) {
        if self.mode == ProgressMode::Off || self.finished.load(Ordering::Acquire) {
            return;
        }
        let now = self.now_ns();
        let last = self.last_draw_ns.load(Ordering::Acquire);
        if !throttle_allows(last, now, self.interval()) {
            return;
        }
        if self
            .last_draw_ns
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.draw(now, false);
        }
    }

    fn draw(&self, now_ns: u64, last: bool) {
        let done = self.done();
        let elapsed = Duration::from_nanos(now_ns);
        let text = match self.mode {
            ProgressMode::Off => return,
            ProgressMode::Plain => format!(
                "{}\n",
                plain_line(
                    self.tag.as_deref(),
                    &self.label,
                    done,
                    self.total,
                    &self.unit
                )
            ),
            ProgressMode::Live => {
                let line = live_line(&self.label, done, self.total, &self.unit, elapsed);
                // `\x1b[K` clears what a longer previous line left behind.
                format!("\r{line}\x1b[K{}", if last { "\n" } else { "" })
            }
        };
        if let Ok(mut sink) = self.sink.lock() {
            // Progress is best effort: a closed stderr must not fail the run.
            let _ = sink.write_all(text.as_bytes());
            let _ = sink.flush();
        }
    }
}

fn real_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock::start())
}

fn stderr_sink() -> Box<dyn Write + Send> {
    Box::new(std::io::stderr())
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Whether a draw at `now_ns` is due when the last one was at `last_ns` ([`NEVER`]: none yet).
pub fn throttle_allows(last_ns: u64, now_ns: u64, interval: Duration) -> bool {
    last_ns == NEVER || u128::from(now_ns.saturating_sub(last_ns)) >= interval.as_nanos()
}

/// A plain progress line: `[tag] label: done/total unit`, or `[label] done/total unit`.
pub fn plain_line(tag: Option<&str>, label: &str, done: u64, total: u64, unit: &str) -> String {
    match tag {
        Some(tag) => format!("[{tag}] {label}: {done}/{total} {unit}"),
        None => format!("[{label}] {done}/{total} {unit}"),
    }
}

/// A live progress line: label, bar, counts, rate, elapsed time and ETA.
pub fn live_line(label: &str, done: u64, total: u64, unit: &str, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = rate_per_s(done, secs);
    let rate_text = rate.map_or_else(|| "-".to_string(), format_rate);
    let eta_text = eta_s(done, total, secs).map_or_else(|| "?".to_string(), format_duration);
    format!(
        "{label}  [{}]  {done}/{total} {unit}  {rate_text} {unit}/s  elapsed {}  ETA {eta_text}",
        bar(done, total, BAR_WIDTH),
        format_duration(secs)
    )
}

/// Units per second, `None` before any time has passed.
pub fn rate_per_s(done: u64, elapsed_s: f64) -> Option<f64> {
    (elapsed_s > 0.0).then(|| done as f64 / elapsed_s)
}

/// Seconds left at the average rate so far: 0 when done, `None` before the first unit.
pub fn eta_s(done: u64, total: u64, elapsed_s: f64) -> Option<f64> {
    if done >= total {
        return Some(0.0);
    }
    let rate = rate_per_s(done, elapsed_s).filter(|r| *r > 0.0)?;
    Some((total - done) as f64 / rate)
}

/// A rate with three significant digits (`1234`, `123`, `12.3`, `1.23`, `0.123`).
pub fn format_rate(rate: f64) -> String {
    if !rate.is_finite() {
        return "-".to_string();
    }
    if rate >= 100.0 {
        format!("{rate:.0}")
    } else if rate >= 10.0 {
        format!("{rate:.1}")
    } else if rate >= 1.0 {
        format!("{rate:.2}")
    } else {
        format!("{rate:.3}")
    }
}

/// Whole seconds as `m:ss`, or `h:mm:ss` from one hour (rounded down).
pub fn format_duration(secs: f64) -> String {
    let total = if secs.is_finite() && secs > 0.0 {
        secs as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A `width`-character bar, `#` for the done fraction, `-` for the rest.
fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        ((done.min(total) as f64 / total as f64) * width as f64).floor() as usize
    };
    format!("{}{}", "#".repeat(filled), "-".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock the test moves by hand.
    struct ManualClock(AtomicU64);

    impl ManualClock {
        fn advance(&self, d: Duration) {
            self.0.fetch_add(d.as_nanos() as u64, Ordering::SeqCst);
        }
    }

    impl Clock for ManualClock {
        fn elapsed(&self) -> Duration {
            Duration::from_nanos(self.0.load(Ordering::SeqCst))
        }
    }

    /// An output buffer the test can read after the reporter wrote to it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().expect("buffer")).into_owned()
        }
    }

    fn reporter(mode: ProgressMode, total: u64) -> (Progress, Arc<ManualClock>, Shared) {
        tagged_reporter(None, mode, total)
    }

    fn tagged_reporter(
        tag: Option<&str>,
        mode: ProgressMode,
        total: u64,
    ) -> (Progress, Arc<ManualClock>, Shared) {
        let clock = Arc::new(ManualClock(AtomicU64::new(0)));
        let out = Shared::default();
        let p = Progress::with_output(
            tag,
            "Scoring",
            total,
            "MLPs",
            mode,
            clock.clone(),
            Box::new(out.clone()),
        );
        (p, clock, out)
    }

    #[test]
    fn the_mode_follows_json_quiet_and_the_terminal() {
        assert_eq!(ProgressMode::choose(true, false, true), ProgressMode::Off);
        assert_eq!(ProgressMode::choose(false, true, true), ProgressMode::Off);
        assert_eq!(ProgressMode::choose(false, false, true), ProgressMode::Live);
        assert_eq!(
            ProgressMode::choose(false, false, false),
            ProgressMode::Plain
        );
    }

    #[test]
    fn rates_keep_three_significant_digits() {
        assert_eq!(format_rate(1234.4), "1234");
        assert_eq!(format_rate(12.345), "12.3");
        assert_eq!(format_rate(2.5), "2.50");
        assert_eq!(format_rate(0.25), "0.250");
        assert_eq!(rate_per_s(10, 4.0), Some(2.5));
        assert_eq!(rate_per_s(10, 0.0), None);
    }

    #[test]
    fn eta_is_the_remaining_work_at_the_average_rate() {
        assert_eq!(eta_s(5, 10, 10.0), Some(10.0));
        assert_eq!(eta_s(1, 4, 2.0), Some(6.0));
        assert_eq!(eta_s(0, 10, 3.0), None);
        assert_eq!(eta_s(10, 10, 3.0), Some(0.0));
        assert_eq!(format_duration(0.0), "0:00");
        assert_eq!(format_duration(65.9), "1:05");
        assert_eq!(format_duration(3725.0), "1:02:05");
        assert_eq!(format_duration(f64::NAN), "0:00");
    }

    #[test]
    fn lines_show_counts_rate_elapsed_and_eta() {
        assert_eq!(
            plain_line(Some("run"), "Scoring", 3, 10, "MLPs"),
            "[run] Scoring: 3/10 MLPs"
        );
        assert_eq!(plain_line(None, "bake", 3, 10, "MLPs"), "[bake] 3/10 MLPs");
        assert_eq!(
            live_line("Scoring", 5, 10, "MLPs", Duration::from_secs(2)),
            "Scoring  [##########----------]  5/10 MLPs  2.50 MLPs/s  elapsed 0:02  ETA 0:02"
        );
        assert_eq!(
            live_line("Scoring", 0, 10, "MLPs", Duration::ZERO),
            "Scoring  [--------------------]  0/10 MLPs  - MLPs/s  elapsed 0:00  ETA ?"
        );
    }

    #[test]
    fn live_redraws_at_most_once_per_interval() {
        let (p, clock, out) = reporter(ProgressMode::Live, 100);
        assert_eq!(out.text().matches('\r').count(), 1, "0/100 drawn at start");
        for _ in 0..50 {
            clock.advance(Duration::from_millis(10));
            p.inc(1);
        }
        // 500 ms after the first draw at 0: redraws at 100, 200, 300, 400 and 500 ms.
        assert_eq!(out.text().matches('\r').count(), 6, "{:?}", out.text());
        p.finish();
        let text = out.text();
        assert_eq!(text.matches('\r').count(), 7);
        assert!(text.ends_with("\x1b[K\n"), "{text:?}");
        assert!(
            text.contains("50/100 MLPs  100 MLPs/s  elapsed 0:00  ETA 0:00"),
            "{text:?}"
        );
    }

    #[test]
    fn plain_prints_tagged_lines_throttled_and_the_last_at_finish() {
        let (p, clock, out) = tagged_reporter(Some("run"), ProgressMode::Plain, 4);
        p.inc(1);
        clock.advance(PLAIN_INTERVAL);
        p.inc(1);
        p.inc(1);
        p.set(4);
        p.finish();
        p.finish();
        drop(p);
        assert_eq!(
            out.text(),
            "[run] Scoring: 0/4 MLPs\n[run] Scoring: 2/4 MLPs\n[run] Scoring: 4/4 MLPs\n"
        );
    }

    #[test]
    fn off_prints_nothing_and_drop_finishes_a_live_line() {
        let (p, _clock, out) = reporter(ProgressMode::Off, 3);
        p.inc(3);
        drop(p);
        assert_eq!(out.text(), "");
        let (p, _clock, out) = reporter(ProgressMode::Live, 3);
        p.inc(1);
        drop(p);
        assert!(out.text().ends_with('\n'));
    }

    #[test]
    fn workers_on_many_threads_count_every_unit() {
        let (p, _clock, _out) = reporter(ProgressMode::Live, 4000);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| p.inc(1)));
            }
        });
        assert_eq!(p.done(), 4000);
    }
}
