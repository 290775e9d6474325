//! Plots of reports: per-layer MSE (the report's `results.per_layer_mse`, the mean over MLPs
//! of each layer's MSE) on a log y axis, one line per report, written as SVG.
//!
//! Used by `run --plot FILE.svg` (one report) and `report --plot FILE.svg` (several).

pub mod scale;
pub mod svg;
pub mod write;

use std::path::Path;

use crate::report::Report;
use svg::{render_svg, Chart, Series};
pub use write::PlotError;

/// A report to draw and the name its line carries in the legend (estimator or file name).
#[derive(Clone, Copy, Debug)]
pub struct NamedReport<'a> {
    /// Legend name.
    pub name: &'a str,
    /// The report.
    pub report: &'a Report,
}

/// The legend name of an estimator given as `--estimator PATH`: a crate directory's name, or a
/// library's file stem without the `lib` prefix (`libzeros_estimator.so` → `zeros_estimator`).
pub fn estimator_label(path: &Path) -> String {
    let is_dir = path.is_dir();
    let stem = if is_dir {
        path.file_name()
    } else {
        path.file_stem()
    };
    let stem = stem.map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    match stem.strip_prefix("lib") {
        Some(rest) if !rest.is_empty() && !is_dir => rest.to_string(),
        _ => stem,
    }
}

/// A score as the plot shows it: 4 significant digits, scientific outside `[0.001, 10^4)`.
pub fn format_score(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a == 0.0 || (1e-3..1e4).contains(&a) {
        let decimals = if a == 0.0 {
            3
        } else {
            (3 - a.log10().floor() as i32).max(0) as usize
        };
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

/// The per-layer MSE chart of `reports`: one series per report, named `"NAME (score S)"`.
/// The title names the estimator and its score when there is one report.
pub fn per_layer_mse_chart(reports: &[NamedReport<'_>]) -> Chart {
    let score = |r: &Report| format_score(r.results.adjusted_final_layer_score);
    let title = match reports {
        [one] => format!(
            "Per-layer MSE of {} (adjusted score {})",
            one.name,
            score(one.report)
        ),
        _ => format!("Per-layer MSE of {} reports", reports.len()),
    };
    Chart {
        title,
        x_label: "layer".to_string(),
        y_label: "MSE, mean over MLPs (log scale)".to_string(),
        series: reports
            .iter()
            .map(|r| Series {
                name: format!("{} (score {})", r.name, score(r.report)),
                values: r.report.results.per_layer_mse.clone(),
            })
            .collect(),
    }
}

/// Renders [`per_layer_mse_chart`] of `reports` and writes it to `path` atomically.
///
/// # Errors
/// A [`PlotError`] naming `path` when it cannot be written (see [`write::write_atomic`]).
pub fn write_per_layer_mse_plot(path: &Path, reports: &[NamedReport<'_>]) -> Result<(), PlotError> {
    let svg = render_svg(&per_layer_mse_chart(reports));
    write::write_atomic(path, svg.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimators_are_named_by_crate_folder_or_library_stem() {
        assert_eq!(
            estimator_label(Path::new("target/release/libzeros_estimator.so")),
            "zeros_estimator"
        );
        let dir = std::env::temp_dir();
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        assert_eq!(Some(estimator_label(&dir)), name);
    }

    #[test]
    fn scores_keep_four_significant_digits() {
        assert_eq!(format_score(0.6636174619197845), "0.6636");
        assert_eq!(format_score(12.3456), "12.35");
        assert_eq!(format_score(0.0), "0.000");
        assert_eq!(format_score(2.5e-5), "2.500e-5");
        assert_eq!(format_score(f64::INFINITY), "inf");
    }
}
