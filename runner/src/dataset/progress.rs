//! Live bake progress on stderr: MLPs done, samples/s and ETA, redrawn in place at most every
//! 200 ms. Silent with `--quiet` or when stderr is not a terminal (logs and CI stay clean).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::bake::BakeTick;

/// Minimum time between two redraws.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

/// The progress line of a running bake.
pub struct BakeProgress {
    enabled: bool,
    started: Instant,
    last_draw: Option<Instant>,
}

impl BakeProgress {
    /// A progress line that draws only when `!quiet` and stderr is a terminal.
    pub fn new(quiet: bool) -> BakeProgress {
        BakeProgress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_draw: None,
        }
    }

    /// Redraws the line for `tick` (throttled; the final tick always draws and ends the line).
    pub fn update(&mut self, tick: &BakeTick) {
        if !self.enabled {
            return;
        }
        let done = tick.mlps_done == tick.mlps_total;
        let now = Instant::now();
        if !done && self.last_draw.is_some_and(|t| now - t < REDRAW_EVERY) {
            return;
        }
        self.last_draw = Some(now);
        let line = progress_line(tick, now - self.started);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        if done {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

/// `Baking 3/10 MLPs [30%]  1.25e6 samples/s  ETA 0:42` for a tick after `elapsed`.
pub fn progress_line(tick: &BakeTick, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        tick.samples_done as f64 / secs
    } else {
        0.0
    };
    let pct = if tick.samples_total == 0 {
        100.0
    } else {
        100.0 * tick.samples_done as f64 / tick.samples_total as f64
    };
    let eta = if tick.samples_done == 0 || rate <= 0.0 {
        "--:--".to_string()
    } else {
        clock((tick.samples_total - tick.samples_done) as f64 / rate)
    };
    format!(
        "Baking {}/{} MLPs [{pct:.0}%]  {rate:.3e} samples/s  elapsed {}  ETA {eta}",
        tick.mlps_done,
        tick.mlps_total,
        clock(secs)
    )
}

/// Seconds as `H:MM:SS` (or `M:SS` under an hour).
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_rate_and_eta() {
        let tick = BakeTick {
            mlps_done: 1,
            mlps_total: 4,
            samples_done: 1000,
            samples_total: 4000,
        };
        let line = progress_line(&tick, Duration::from_secs(2));
        assert_eq!(
            line,
            "Baking 1/4 MLPs [25%]  5.000e2 samples/s  elapsed 0:02  ETA 0:06"
        );
        assert_eq!(clock(3725.0), "1:02:05");
        let start = BakeTick {
            samples_done: 0,
            ..tick
        };
        assert!(progress_line(&start, Duration::ZERO).ends_with("ETA --:--"));
    }
}
