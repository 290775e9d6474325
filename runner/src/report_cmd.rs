//! `whest-runner report`: shows report JSONs written by `run --json` (whest-rs or Python
//! whestbench, schema 1.x) as the human report, and with `--plot` draws their per-layer MSE on
//! one chart.

use std::fmt;
use std::path::{Path, PathBuf};
use whest_score::ErrorCode;

use crate::cli::{Format, ReportArgs};
use crate::output::fail;
use whest_score::plot::{write_per_layer_mse_plot, NamedReport};
use whest_score::report::read::{parse_report, ReportReadError};
use whest_score::report::text::render_text;
use whest_score::report::{to_python_json, ErrorPayload, Report, EXIT_FAILURE, EXIT_OK};

/// A report read from a file and the name its plot line carries.
struct LoadedReport {
    name: String,
    report: Report,
}

/// Why a report file could not be loaded; `Display` is one line naming the file.
#[derive(Debug)]
enum LoadError {
    /// The file could not be read (missing, a folder, no permission): pass a report JSON
    /// that exists.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not a report JSON `run --json` writes (whest-rs or whestbench, schema 1.x).
    NotAReport {
        /// The file.
        path: PathBuf,
        /// What is wrong with its contents.
        source: ReportReadError,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Unreadable { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            LoadError::NotAReport { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Unreadable { source, .. } => Some(source),
            LoadError::NotAReport { source, .. } => Some(source),
        }
    }
}

/// The output format: `--json` wins, then `--format`, else the human report.
fn output_format(args: &ReportArgs) -> Format {
    if args.json {
        Format::Json
    } else {
        args.format.unwrap_or(Format::Plain)
    }
}

/// Reads and parses one report file; the legend name is the human report's estimator class,
/// else the file's stem.
///
/// # Errors
/// One line naming `path` and what is wrong with it.
fn load(path: &Path) -> Result<LoadedReport, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let read = parse_report(&text).map_err(|source| LoadError::NotAReport {
        path: path.to_path_buf(),
        source,
    })?;
    let name = read.estimator_class.unwrap_or_else(|| {
        path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    });
    Ok(LoadedReport {
        name,
        report: read.report,
    })
}

/// Runs `whest-runner report` and returns the exit code: 0, or 1 when a file is not a
/// readable report (nothing is printed or plotted then) or the plot cannot be written (the
/// reports are printed first).
pub fn report(args: &ReportArgs) -> i32 {
    let format = output_format(args);
    let mut loaded = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        match load(path) {
            Ok(r) => loaded.push(r),
            Err(e) => {
                return fail(
                    format,
                    ErrorPayload::new("report", ErrorCode::InvalidReport, e.to_string()),
                )
            }
        }
    }
    print!("{}", render(&loaded, &args.reports, format));
    if let Some(out) = &args.plot {
        let named: Vec<NamedReport<'_>> = loaded
            .iter()
            .map(|r| NamedReport {
                name: &r.name,
                report: &r.report,
            })
            .collect();
        if let Err(e) = write_per_layer_mse_plot(out, &named) {
            eprintln!("error: --plot: {e}");
            return EXIT_FAILURE;
        }
    }
    EXIT_OK
}

/// The reports in `format`: each human report (under a `==> FILE <==` header when there are
/// several), or the JSON of the one report, or a JSON list of several.
fn render(loaded: &[LoadedReport], paths: &[PathBuf], format: Format) -> String {
    match (format, loaded) {
        (Format::Json, [one]) => one.report.to_json_string(),
        (Format::Json, _) => {
            let reports: Vec<&Report> = loaded.iter().map(|r| &r.report).collect();
            let mut s = to_python_json(&reports);
            s.push('\n');
            s
        }
        (_, [one]) => render_text(&one.report),
        _ => loaded
            .iter()
            .zip(paths)
            .map(|(r, p)| format!("==> {} <==\n{}", p.display(), render_text(&r.report)))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
