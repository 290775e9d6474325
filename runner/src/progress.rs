//! Progress reporting for long phases (ground truth, scoring, bakes) on stderr.
//!
//! A [`Progress`] counts units of work (`inc`/`set` from any thread, e.g. rayon workers) and
//! reports in one of three [`ProgressMode`]s:
//!
//! - [`ProgressMode::Live`]: an [`indicatif`] bar redrawn in place, at most [`LIVE_HZ`] times a
//!   second: `Scoring [########--------] 5/10 MLPs, ETA 2s, 2s elapsed, 2.5000/s`.
//! - [`ProgressMode::Plain`]: whole lines, `[run] Scoring: 5/10 MLPs` (the tag comes from
//!   [`Progress::tagged`]; without one, `[Scoring] 5/10 MLPs`), at most one per
//!   [`PLAIN_INTERVAL`], for logs and pipes. indicatif draws nothing when stderr is not a
//!   terminal, so these lines are written here.
//! - [`ProgressMode::Off`]: nothing (JSON output, `--quiet`).
//!
//! The first report is drawn when the reporter is created and the last one by
//! [`Progress::finish`] (or on drop), so a short phase still shows `0/n` and `n/n`.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Most live redraws per second.
pub const LIVE_HZ: u8 = 10;
/// Minimum time between two plain progress lines.
pub const PLAIN_INTERVAL: Duration = Duration::from_secs(1);
/// The live line: label, a 16-character bar, counts, ETA, elapsed time and rate.
const LIVE_TEMPLATE: &str =
    "{msg} [{bar:16}] {pos}/{len} {unit}, ETA {eta}, {elapsed} elapsed, {per_sec}";
/// Live bar characters: done, then still to do.
const LIVE_BAR_CHARS: &str = "#-";

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

/// Reports the progress of one phase. All methods take `&self` and may be called from any
/// thread; share it by reference (rayon closures) or in an `Arc`.
#[derive(Debug)]
pub struct Progress {
    /// Counts the units in every mode; draws only in [`ProgressMode::Live`].
    bar: ProgressBar,
    /// The lines of [`ProgressMode::Plain`].
    plain: Option<PlainLines>,
    started: Instant,
}

impl Progress {
    /// A reporter for `total` units named `unit` (plural, e.g. `"MLPs"`) of the phase `label`,
    /// writing to stderr. Draws `0/total` at once unless `mode` is `Off`.
    pub fn new(label: &str, total: u64, unit: &str, mode: ProgressMode) -> Progress {
        Progress::build(None, label, total, unit, mode)
    }

    /// Like [`new`](Self::new), with plain lines prefixed by `[tag]`:
    /// `[run] Scoring: 3/10 MLPs`.
    pub fn tagged(tag: &str, label: &str, total: u64, unit: &str, mode: ProgressMode) -> Progress {
        Progress::build(Some(tag), label, total, unit, mode)
    }

    fn build(
        tag: Option<&str>,
        label: &str,
        total: u64,
        unit: &str,
        mode: ProgressMode,
    ) -> Progress {
        match mode {
            ProgressMode::Live => Progress::live(
                label,
                total,
                unit,
                ProgressDrawTarget::stderr_with_hz(LIVE_HZ),
            ),
            ProgressMode::Plain => Progress::plain(PlainLines::new(
                tag,
                label,
                total,
                unit,
                Box::new(std::io::stderr()),
            )),
            ProgressMode::Off => Progress {
                bar: ProgressBar::hidden(),
                plain: None,
                started: Instant::now(),
            },
        }
    }

    /// A live bar drawn on `target`.
    fn live(label: &str, total: u64, unit: &str, target: ProgressDrawTarget) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), target)
            .with_style(live_style(unit))
            .with_message(label.to_string());
        bar.tick();
        Progress {
            bar,
            plain: None,
            started: Instant::now(),
        }
    }

    /// Plain `lines`; prints the `0/total` line.
    fn plain(lines: PlainLines) -> Progress {
        let started = Instant::now();
        lines.update(0, Duration::ZERO);
        Progress {
            bar: ProgressBar::hidden(),
            plain: Some(lines),
            started,
        }
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.bar.position()
    }

    /// Adds `n` units done; redraws if the throttle allows.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
        self.report_plain();
    }

    /// Sets the units done to `n`; redraws if the throttle allows.
    pub fn set(&self, n: u64) {
        self.bar.set_position(n);
        self.report_plain();
    }

    /// Draws the final state (whatever the throttle; plain mode skips a line it already
    /// printed) and, in live mode, leaves the line on screen. Later calls (and the drop) do
    /// nothing.
    pub fn finish(&self) {
        if let Some(plain) = &self.plain {
            plain.finish(self.done());
        }
        if !self.bar.is_finished() {
            self.bar.finish();
        }
    }

    fn report_plain(&self) {
        if let Some(plain) = &self.plain {
            plain.update(self.done(), self.started.elapsed());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The live bar's style: [`LIVE_TEMPLATE`] with `unit` after the counts.
fn live_style(unit: &str) -> ProgressStyle {
    let unit = unit.to_string();
    ProgressStyle::with_template(LIVE_TEMPLATE)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars(LIVE_BAR_CHARS)
        .with_key(
            "unit",
            move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&unit);
            },
        )
}

/// The `[tag] label: i/n unit` lines of [`ProgressMode::Plain`]: the first at once, then at
/// most one per [`PLAIN_INTERVAL`], and the last at [`finish`](Self::finish).
struct PlainLines {
    tag: Option<String>,
    label: String,
    total: u64,
    unit: String,
    state: Mutex<PlainState>,
}

/// What [`PlainLines`] printed so far, and where.
struct PlainState {
    /// Time (since the start) of the last line, `None` before the first.
    last_at: Option<Duration>,
    /// Units done in the last line (a finish does not repeat it).
    last_done: Option<u64>,
    finished: bool,
    sink: Box<dyn Write + Send>,
}

impl std::fmt::Debug for PlainLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainLines")
            .field("tag", &self.tag)
            .field("label", &self.label)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl PlainLines {
    fn new(
        tag: Option<&str>,
        label: &str,
        total: u64,
        unit: &str,
        sink: Box<dyn Write + Send>,
    ) -> PlainLines {
        PlainLines {
            tag: tag.map(str::to_string),
            label: label.to_string(),
            total,
            unit: unit.to_string(),
            state: Mutex::new(PlainState {
                last_at: None,
                last_done: None,
                finished: false,
                sink,
            }),
        }
    }

    /// Prints `done` if nothing was printed yet or the last line is at least one
    /// [`PLAIN_INTERVAL`] older than `now` (time since the start).
    fn update(&self, done: u64, now: Duration) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let due = state
            .last_at
            .is_none_or(|last| now.saturating_sub(last) >= PLAIN_INTERVAL);
        if !state.finished && due {
            state.last_at = Some(now);
            self.print(&mut state, done);
        }
    }

    /// Prints `done` unless the last line already showed it; later calls do nothing.
    fn finish(&self, done: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if std::mem::replace(&mut state.finished, true) || state.last_done == Some(done) {
            return;
        }
        self.print(&mut state, done);
    }

    fn print(&self, state: &mut PlainState, done: u64) {
        state.last_done = Some(done);
        let line = plain_line(
            self.tag.as_deref(),
            &self.label,
            done,
            self.total,
            &self.unit,
        );
        // Progress is best effort: a closed stderr must not fail the run.
        let _ = writeln!(state.sink, "{line}");
        let _ = state.sink.flush();
    }
}

/// A plain progress line: `[tag] label: done/total unit`, or `[label] done/total unit`.
pub fn plain_line(tag: Option<&str>, label: &str, done: u64, total: u64, unit: &str) -> String {
    match tag {
        Some(tag) => format!("[{tag}] {label}: {done}/{total} {unit}"),
        None => format!("[{label}] {done}/{total} {unit}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// An output buffer the test can read after the reporter wrote to it.
    #[derive(Clone, Debug, Default)]
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

    /// A terminal for indicatif that records what is written to it.
    #[derive(Debug, Default)]
    struct RecordingTerm(Mutex<Shared>);

    impl indicatif::TermLike for RecordingTerm {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            let mut out = self.0.lock().map_err(|_| std::io::ErrorKind::Other)?;
            out.write_all(s.as_bytes())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.write_str("\r")
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn live_reporter(total: u64) -> (Progress, Shared) {
        let out = Shared::default();
        let term = RecordingTerm(Mutex::new(out.clone()));
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(term), LIVE_HZ);
        (Progress::live("Scoring", total, "MLPs", target), out)
    }

    fn plain_lines(tag: Option<&str>, total: u64) -> (PlainLines, Shared) {
        let out = Shared::default();
        let lines = PlainLines::new(tag, "Scoring", total, "MLPs", Box::new(out.clone()));
        (lines, out)
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
    fn durations_read_as_minutes_and_seconds() {
        assert_eq!(format_duration(0.0), "0:00");
        assert_eq!(format_duration(65.9), "1:05");
        assert_eq!(format_duration(3725.0), "1:02:05");
        assert_eq!(format_duration(f64::NAN), "0:00");
    }

    #[test]
    fn plain_lines_name_the_tag_phase_counts_and_unit() {
        assert_eq!(
            plain_line(Some("run"), "Scoring", 3, 10, "MLPs"),
            "[run] Scoring: 3/10 MLPs"
        );
        assert_eq!(plain_line(None, "bake", 3, 10, "MLPs"), "[bake] 3/10 MLPs");
    }

    #[test]
    fn live_bar_shows_counts_rate_elapsed_and_eta() {
        let (p, out) = live_reporter(10);
        assert!(
            out.text()
                .contains("Scoring [----------------] 0/10 MLPs, ETA "),
            "0/10 drawn at start: {:?}",
            out.text()
        );
        p.inc(5);
        p.finish();
        let text = out.text();
        assert!(
            text.contains("Scoring [########--------] 5/10 MLPs, ETA "),
            "{text:?}"
        );
        assert!(
            text.contains(" elapsed, ") && text.trim_end().ends_with("/s"),
            "{text:?}"
        );
        let before = text.len();
        p.finish();
        drop(p);
        assert_eq!(out.text().len(), before, "finish draws once");
    }

    #[test]
    fn plain_prints_tagged_lines_throttled_and_the_last_at_finish() {
        let (lines, out) = plain_lines(Some("run"), 4);
        lines.update(0, Duration::ZERO);
        lines.update(1, Duration::ZERO);
        lines.update(2, PLAIN_INTERVAL);
        lines.update(3, PLAIN_INTERVAL);
        lines.update(4, PLAIN_INTERVAL * 3 / 2);
        lines.update(4, PLAIN_INTERVAL * 2);
        lines.finish(4);
        lines.finish(4);
        lines.update(4, PLAIN_INTERVAL * 5);
        assert_eq!(
            out.text(),
            "[run] Scoring: 0/4 MLPs\n[run] Scoring: 2/4 MLPs\n[run] Scoring: 4/4 MLPs\n"
        );
    }

    #[test]
    fn plain_finish_prints_a_throttled_last_count() {
        let (lines, out) = plain_lines(Some("bake"), 2);
        lines.update(0, Duration::ZERO);
        lines.update(2, Duration::from_millis(10));
        lines.finish(2);
        assert_eq!(
            out.text(),
            "[bake] Scoring: 0/2 MLPs\n[bake] Scoring: 2/2 MLPs\n"
        );
    }

    #[test]
    fn plain_lines_without_a_tag_use_the_label() {
        let (lines, out) = plain_lines(None, 3);
        lines.update(0, Duration::ZERO);
        lines.finish(3);
        assert_eq!(out.text(), "[Scoring] 0/3 MLPs\n[Scoring] 3/3 MLPs\n");
    }

    #[test]
    fn off_counts_without_drawing() {
        let p = Progress::new("Scoring", 3, "MLPs", ProgressMode::Off);
        p.inc(2);
        p.set(3);
        assert_eq!(p.done(), 3);
        assert!(p.plain.is_none() && p.bar.is_hidden());
    }

    #[test]
    fn workers_on_many_threads_count_every_unit() {
        let (p, _out) = live_reporter(4000);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| p.inc(1)));
            }
        });
        assert_eq!(p.done(), 4000);
    }
}
