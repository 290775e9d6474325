//! Shared timing helpers for the whest-rs benchmarks.
//!
//! Every benchmark measures the contender and its baseline in the same process, interleaved,
//! and reports the best of several trials (the VM has CPU steal, so the minimum is the most
//! repeatable statistic).

use std::time::Instant;

pub mod whitened_monte_carlo;

/// Whether the row named `name` runs under the command-line words `filters` (cargo's own
/// `--bench` flag and any other `--` flag excluded): every row when there are none, else the
/// rows whose name contains one of them.
pub fn row_selected(filters: &[String], name: &str) -> bool {
    let mut words = filters.iter().filter(|f| !f.starts_with("--")).peekable();
    words.peek().is_none() || words.any(|f| name.contains(f.as_str()))
}

/// Best (minimum) seconds per call of `f` over `trials` trials of `iters` calls each.
pub fn best_secs_per_call(trials: usize, iters: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..trials {
        let t0 = Instant::now();
        for _ in 0..iters {
            f();
        }
        best = best.min(t0.elapsed().as_secs_f64() / iters as f64);
    }
    best
}

/// Runs `a` and `b` interleaved, trial by trial, and returns their best seconds per call.
pub fn paired(trials: usize, iters: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let (mut ba, mut bb) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..trials {
        ba = ba.min(best_secs_per_call(1, iters, &mut a));
        bb = bb.min(best_secs_per_call(1, iters, &mut b));
    }
    (ba, bb)
}

/// Formats seconds with a unit that keeps three significant figures readable.
pub fn fmt_secs(s: f64) -> String {
    if s < 1e-6 {
        format!("{:.1} ns", s * 1e9)
    } else if s < 1e-3 {
        format!("{:.2} µs", s * 1e6)
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::row_selected;

    #[test]
    fn rows_are_selected_by_any_word_they_contain() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(row_selected(&args(&[]), "sort f32 2^20"));
        assert!(row_selected(&args(&["--bench"]), "sort f32 2^20"));
        let words = args(&["--bench", "sort", "monte-carlo"]);
        assert!(row_selected(&words, "argsort f32 2^20"));
        assert!(row_selected(&words, "monte-carlo plain"));
        assert!(!row_selected(&words, "exp f32 2^20"));
    }
}
