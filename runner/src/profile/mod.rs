//! `whest-runner profile-simulation`: times the MLP forward pass and the ground-truth sampler
//! over a preset grid of sizes and reports the medians, as a table or as the
//! whestbench profile JSON (`--json`, `--output FILE`).
//!
//! JSON: `{hardware: {host fingerprint…, max_threads?}, backend_versions: {flopscope, numpy:
//! null, whest_runner}, skipped_backends: {}, correctness: [{backend, passed, error}], timing:
//! [{backend: "flopscope", implementation, operation, width, depth, n_samples, times,
//! median_time, speedup_vs_numpy, warmup_time?, error?}]}`; `implementation` names the Rust
//! code timed. Exit 0, or 1 when the correctness pre-check fails (nothing is timed then), 2 for
//! an `--output` that already exists.

pub mod forward;
pub mod sweep;

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use whest_score::ErrorCode;

use serde_json::{json, Map, Value};

use crate::cli::ProfileArgs;
use crate::threads::apply_max_threads;
use sweep::{SweepError, Timing, BACKEND};
use whest_score::report::meta::HostFingerprint;
use whest_score::report::{
    to_python_json, ErrorPayload, EXIT_FAILURE, EXIT_USAGE, WHEST_RS_VERSION,
};

/// The `hardware` object: the host fingerprint plus `max_threads` when `--max-threads` was set.
pub fn hardware_json(max_threads: Option<usize>) -> Value {
    let mut hw = serde_json::to_value(HostFingerprint::collect()).unwrap_or_default();
    if let (Some(n), Some(map)) = (max_threads, hw.as_object_mut()) {
        map.insert("max_threads".into(), json!(n));
    }
    hw
}

/// One `timing` entry.
pub fn timing_json(t: &Timing) -> Value {
    let mut m = Map::new();
    m.insert("backend".into(), json!(BACKEND));
    m.insert("implementation".into(), json!(t.operation.implementation()));
    m.insert("operation".into(), json!(t.operation.name()));
    m.insert("width".into(), json!(t.width));
    m.insert("depth".into(), json!(t.depth));
    m.insert("n_samples".into(), json!(t.n_samples));
    m.insert("times".into(), json!(t.times));
    m.insert("median_time".into(), json!(t.median_time));
    let speedup = if t.error.is_some() { 0.0 } else { 1.0 };
    m.insert("speedup_vs_numpy".into(), json!(speedup));
    if let Some(w) = t.warmup_time {
        m.insert("warmup_time".into(), json!(w));
    }
    if let Some(e) = &t.error {
        m.insert("error".into(), json!(e));
    }
    Value::Object(m)
}

/// The whole report (the `--output` file; `--json` adds `whestbench_version`).
pub fn report_json(
    hardware: Value,
    correctness: &Result<(), SweepError>,
    timings: &[Timing],
) -> Value {
    json!({
        "hardware": hardware,
        "backend_versions": {
            "flopscope": flopscope::VERSION,
            "numpy": null,
            "whest_runner": WHEST_RS_VERSION,
        },
        "skipped_backends": {},
        "correctness": [{
            "backend": BACKEND,
            "passed": correctness.is_ok(),
            "error": correctness.as_ref().err().map(ToString::to_string).unwrap_or_default(),
        }],
        "timing": timings.iter().map(timing_json).collect::<Vec<_>>(),
    })
}

/// Python's compact size label: `256×4×10k`, `64×32×1M`, `8×2×1.5k`.
pub fn format_dims(width: usize, depth: usize, n: usize) -> String {
    let n_str = if n >= 1_000_000 {
        if n.is_multiple_of(1_000_000) {
            format!("{}M", n / 1_000_000)
        } else {
            format!("{:.1}M", n as f64 / 1e6)
        }
    } else if n >= 1_000 {
        if n.is_multiple_of(1_000) {
            format!("{}k", n / 1_000)
        } else {
            format!("{:.1}k", n as f64 / 1e3)
        }
    } else {
        n.to_string()
    };
    format!("{width}×{depth}×{n_str}")
}

/// The table: one row per size with both medians; with `verbose`, every run and warm-up too.
pub fn report_text(
    correctness: &Result<(), SweepError>,
    timings: &[Timing],
    verbose: bool,
) -> String {
    let mut out = match correctness {
        Ok(()) => format!("Correctness: {BACKEND} ✓\n"),
        Err(e) => return format!("Correctness: {BACKEND} FAILED: {e}\n"),
    };
    let cell = |t: Option<&Timing>| match t {
        Some(t) if t.error.is_none() => format!("{:.4}s", t.median_time),
        Some(_) => "error".to_string(),
        None => "—".to_string(),
    };
    out.push_str(&format!(
        "{:<10} {:<12} {:>10} {:>24}\n",
        "Backend", "Dims", "run_mlp", "sample_layer_statistics"
    ));
    for pair in timings.chunks(2) {
        let dims = format_dims(pair[0].width, pair[0].depth, pair[0].n_samples);
        let find = |name: &str| pair.iter().find(|t| t.operation.name() == name);
        out.push_str(&format!(
            "{BACKEND:<10} {dims:<12} {:>10} {:>24}\n",
            cell(find("run_mlp")),
            cell(find("sample_layer_statistics"))
        ));
    }
    for t in timings.iter().filter(|t| t.error.is_some()) {
        out.push_str(&format!(
            "[warning] {BACKEND} {} w={} d={} n={} skipped: {}\n",
            t.operation.name(),
            t.width,
            t.depth,
            t.n_samples,
            t.error.as_deref().unwrap_or_default()
        ));
    }
    if verbose {
        out.push_str("\nAll runs (seconds):\n");
        for t in timings.iter().filter(|t| t.error.is_none()) {
            let runs: Vec<String> = t.times.iter().map(|s| format!("{s:.4}")).collect();
            out.push_str(&format!(
                "  {:<24} {:<12} warm-up {:.4}  runs [{}]  median {:.4}\n  {:<24} {}\n",
                t.operation.name(),
                format_dims(t.width, t.depth, t.n_samples),
                t.warmup_time.unwrap_or_default(),
                runs.join(", "),
                t.median_time,
                "",
                t.operation.implementation()
            ));
        }
    } else {
        out.push_str("Use --verbose for every timed run\n");
    }
    out
}

/// Why the `--output` file could not be written.
#[derive(Debug)]
pub enum ProfileError {
    /// The file could not be created (it appeared meanwhile, no permission, missing folder):
    /// choose another `--output`.
    CreateOutput {
        /// The `--output` file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The report could not be written into the new file (disk full); it was removed again.
    WriteOutput {
        /// The `--output` file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileError::CreateOutput { path, source } => {
                write!(f, "cannot create {}: {source}", path.display())
            }
            ProfileError::WriteOutput { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ProfileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProfileError::CreateOutput { source, .. }
            | ProfileError::WriteOutput { source, .. } => Some(source),
        }
    }
}

/// Writes `text` to a new file at `path`; refuses an existing file and removes a partial one.
fn write_new_file(path: &Path, text: &str) -> Result<(), ProfileError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| ProfileError::CreateOutput {
            path: path.to_path_buf(),
            source,
        })?;
    f.write_all(text.as_bytes()).map_err(|source| {
        let _ = std::fs::remove_file(path);
        ProfileError::WriteOutput {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Runs `whest-runner profile-simulation` and returns its exit code.
pub fn profile_simulation(args: &ProfileArgs) -> i32 {
    let fail = |stage: &str, code: ErrorCode, msg: String, exit: i32| {
        let p = ErrorPayload::new(stage, code, msg);
        if args.json {
            print!("{}", p.to_json_string());
        } else {
            eprintln!("profile-simulation: {}", p.error.message);
        }
        exit
    };
    if let Some(out) = &args.output {
        if out.exists() {
            let msg = format!(
                "--output {} already exists: choose a new file name (nothing is overwritten)",
                out.display()
            );
            return fail("profile-simulation", ErrorCode::UsageError, msg, EXIT_USAGE);
        }
    }
    if let Some(n) = args.max_threads {
        apply_max_threads(n);
    }
    let hardware = hardware_json(args.max_threads);
    let grid = sweep::grid(args.preset);
    eprintln!(
        "Profiling the simulation ({} measurements, {} timed runs each)",
        grid.measurements(),
        sweep::TIMED_RUNS
    );
    let started = Instant::now();
    // Failures inside a measurement are recorded in the report; keep their panic messages
    // off the terminal while the sweep runs.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let correctness = sweep::correctness_check();
    let timings = if correctness.is_ok() {
        sweep::sweep(&grid, |done, total, t| {
            eprintln!(
                "[timing] {done}/{total} {BACKEND} {} w={} d={} n={} ({:.0}s elapsed)",
                t.operation.name(),
                t.width,
                t.depth,
                t.n_samples,
                started.elapsed().as_secs_f64()
            );
        })
    } else {
        Vec::new()
    };
    std::panic::set_hook(previous_hook);
    let report = report_json(hardware, &correctness, &timings);
    if let Some(out) = &args.output {
        if let Err(e) = write_new_file(out, &format!("{}\n", to_python_json(&report))) {
            return fail(
                "profile-simulation",
                ErrorCode::OutputWriteError,
                e.to_string(),
                EXIT_FAILURE,
            );
        }
    }
    if args.json {
        let mut payload = report;
        if let Some(m) = payload.as_object_mut() {
            m.insert("whestbench_version".into(), json!(WHEST_RS_VERSION));
        }
        println!("{}", to_python_json(&payload));
    } else {
        print!("{}", report_text(&correctness, &timings, args.verbose));
    }
    eprintln!(
        "Profile completed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    if correctness.is_ok() {
        0
    } else {
        EXIT_FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sweep::Operation;

    fn timing(op: Operation, error: Option<&str>) -> Timing {
        Timing {
            operation: op,
            width: 256,
            depth: 4,
            n_samples: 10_000,
            times: if error.is_some() {
                vec![]
            } else {
                vec![0.3, 0.1, 0.2]
            },
            median_time: if error.is_some() { -1.0 } else { 0.2 },
            warmup_time: error.is_none().then_some(0.01),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn dims_are_labelled_like_python() {
        assert_eq!(format_dims(256, 4, 10_000), "256×4×10k");
        assert_eq!(format_dims(64, 128, 1_000_000), "64×128×1M");
        assert_eq!(format_dims(8, 2, 1_500), "8×2×1.5k");
        assert_eq!(format_dims(8, 2, 999), "8×2×999");
    }

    #[test]
    fn timing_entries_have_the_whestbench_keys() {
        let ok = timing_json(&timing(Operation::RunMlp, None));
        let keys: Vec<&str> = ok
            .as_object()
            .map_or(vec![], |o| o.keys().map(String::as_str).collect());
        assert_eq!(
            keys,
            [
                "backend",
                "implementation",
                "operation",
                "width",
                "depth",
                "n_samples",
                "times",
                "median_time",
                "speedup_vs_numpy",
                "warmup_time"
            ]
        );
        assert_eq!(ok["speedup_vs_numpy"], 1.0);
        let bad = timing_json(&timing(Operation::SampleLayerStatistics, Some("boom")));
        assert_eq!(bad["median_time"], -1.0);
        assert_eq!(bad["speedup_vs_numpy"], 0.0);
        assert_eq!(bad["error"], "boom");
        assert!(bad.get("warmup_time").is_none());
    }

    #[test]
    fn the_report_has_the_whestbench_sections() {
        let r = report_json(
            json!({"os": "Linux"}),
            &Err(SweepError::NegativeActivation),
            &[],
        );
        let keys: Vec<&str> = r
            .as_object()
            .map_or(vec![], |o| o.keys().map(String::as_str).collect());
        assert_eq!(
            keys,
            [
                "hardware",
                "backend_versions",
                "skipped_backends",
                "correctness",
                "timing"
            ]
        );
        assert_eq!(
            r["correctness"],
            json!([{
                "backend": "flopscope",
                "passed": false,
                "error": "run_mlp: ReLU outputs must be non-negative"
            }])
        );
        assert_eq!(hardware_json(Some(3))["max_threads"], 3);
        assert!(hardware_json(None).get("max_threads").is_none());
    }

    #[test]
    fn the_table_shows_medians_and_errors() {
        let t = [
            timing(Operation::RunMlp, None),
            timing(Operation::SampleLayerStatistics, Some("out of memory")),
        ];
        let text = report_text(&Ok(()), &t, true);
        assert!(text.contains("256×4×10k"), "{text}");
        assert!(text.contains("0.2000s"));
        assert!(text.contains("skipped: out of memory"));
        assert!(text.contains("runs [0.3000, 0.1000, 0.2000]"));
        let failed = Err(SweepError::Panicked {
            message: "x".into(),
        });
        assert!(report_text(&failed, &[], false).contains("FAILED: panic: x"));
    }
}
