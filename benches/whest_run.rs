//! Two Monte-Carlo estimators scored by `whest-runner run` next to their Python ports scored by
//! whestbench's `whest run`, on the same baked dataset in the same invocation; prints each
//! side's `predict` wall time per MLP (the reports' `per_mlp[].wall_time_s`) and the ratio.
//!
//! Run: `WHEST_BENCH_PYTHON=/path/to/venv/bin/python cargo bench -p whest-benches --bench whest_run`
//!
//! Workloads, 256×8 MLPs at a fixed 16,384 samples each:
//! - `plain`: `examples/monte-carlo` under a FLOP budget that buys exactly 16,384 samples
//!   (its `sample_count`), against the same estimator in Python (`flopscope.numpy`);
//! - `whitened`: [`whest_benches::whitened_monte_carlo`] (Gram matrix, `eigh`, whitened
//!   draws, then the same layers), built as a plugin from a crate this benchmark writes to
//!   `<target dir>/whest-run-bench/` (a fixed path, so later runs reuse its build), against
//!   its Python port.
//!
//! Both sides charge the same FLOPs (checked from the reports). `whest-runner` runs through
//! `cargo run --release -p whest-runner` (built on first use, like the estimators); the
//! Python side is `$WHEST_BENCH_PYTHON` (else `python3`) with whestbench installed, and without
//! one the benchmark prints why and exits successfully. The two sides take turns, round by
//! round; each MLP's time is its best over the rounds.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use monte_carlo_estimator::flops_per_sample;
use serde_json::Value;
use whest_benches::fmt_secs;
use whest_benches::whitened_monte_carlo::SAMPLES;

/// MLP shape, count, ground-truth samples of the baked dataset, and rounds per side.
const WIDTH: usize = 256;
const DEPTH: usize = 8;
const N_MLPS: usize = 4;
const TRUTH_SAMPLES: usize = 2_000;
const ROUNDS: usize = 3;

/// `examples/monte-carlo` in Python: the same sample count from the same op prices.
const PLAIN_PY: &str = r#"import flopscope.numpy as fnp
from whestbench import BaseEstimator

MAX_INPUT_ELEMENTS = 1 << 26

class Estimator(BaseEstimator):
    def predict(self, mlp, budget):
        w, d = mlp.width, mlp.depth
        per_sample = 34 * w + d * (2 * w * w + w)
        n = max(1, min((budget - d * w) // per_sample, max(1, MAX_INPUT_ELEMENTS // w)))
        x = fnp.random.default_rng(mlp.seed).standard_normal((n, w)).astype(fnp.float32)
        rows = []
        for W in mlp.weights:
            x = fnp.maximum(fnp.matmul(x, W), 0.0)
            rows.append(fnp.mean(x, axis=0))
        return fnp.stack(rows)
"#;

/// `whest_benches::whitened_monte_carlo` in Python (`N` is filled in).
const WHITENED_PY: &str = r#"import flopscope.numpy as fnp
from whestbench import BaseEstimator

N = {samples}

class Estimator(BaseEstimator):
    def predict(self, mlp, budget):
        x = fnp.random.default_rng(mlp.seed).standard_normal((N, mlp.width)).astype(fnp.float32)
        g = fnp.matmul(x.T, x) / N
        lam, v = fnp.linalg.eigh(g)
        x = fnp.matmul(x, fnp.matmul(v * lam ** -0.5, v.T))
        rows = []
        for W in mlp.weights:
            x = fnp.maximum(fnp.matmul(x, W), 0.0)
            rows.append(fnp.mean(x, axis=0))
        return fnp.stack(rows)
"#;

/// Runs `whest` (whestbench's CLI) with these arguments.
const WHEST_MAIN: &str =
    "import sys; from whestbench.cli import main; sys.argv[0] = 'whest'; sys.exit(main())";

/// A folder removed when the benchmark ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one side reported for one run: per MLP, `predict`'s wall time and the FLOPs charged.
struct Report {
    seconds: Vec<f64>,
    flops: Vec<u64>,
    failed: u64,
}

impl Report {
    /// Reads a schema-1.x report (`--json` of either runner).
    fn parse(json: &str) -> Result<Report, String> {
        let start = json.find('{').ok_or("no JSON report on stdout")?;
        let v: Value = serde_json::from_str(&json[start..])
            .map_err(|e| format!("the report is not JSON: {e}"))?;
        let per_mlp = v["results"]["per_mlp"]
            .as_array()
            .ok_or("the report has no results.per_mlp")?;
        let seconds = per_mlp
            .iter()
            .map(|m| m["wall_time_s"].as_f64().ok_or("an MLP has no wall_time_s"))
            .collect::<Result<_, _>>()?;
        let flops = per_mlp
            .iter()
            .map(|m| m["flops_used"].as_u64().ok_or("an MLP has no flops_used"))
            .collect::<Result<_, _>>()?;
        let failed = v["results"]["n_failed_mlps"].as_u64().unwrap_or(0);
        Ok(Report {
            seconds,
            flops,
            failed,
        })
    }
}

/// Runs `command`, returning its stdout, or its last stderr line on failure.
fn output_of(mut command: Command, what: &str) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().rev().find(|l| !l.trim().is_empty());
    Err(format!(
        "{what} failed ({}): {}",
        out.status,
        last.unwrap_or("no error output")
    ))
}

/// `whest-runner <args>`, built and run by cargo from the workspace root.
fn whest_runner(root: &Path, args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut c = Command::new(cargo);
    c.current_dir(root)
        .args(["run", "--release", "--quiet", "-p", "whest-runner", "--"])
        .args(args);
    c
}

/// Writes the crate that builds [`whest_benches::whitened_monte_carlo`] as a plugin, with
/// path dependencies on this checkout and its lockfile.
fn write_whitened_crate(root: &Path, dir: &Path) -> Result<(), String> {
    let manifest = format!(
        "[package]\nname = \"whitened-monte-carlo-bench\"\nversion = \"0.1.0\"\n\
         edition = \"2021\"\npublish = false\n\n[lib]\ncrate-type = [\"cdylib\"]\n\
         path = \"lib.rs\"\n\n[dependencies]\nestimator-api = {{ path = {:?} }}\n\
         flopscope = {{ path = {:?} }}\n\n[workspace]\n",
        root.join("estimator-api"),
        root.join("flopscope-rs"),
    );
    let lib = format!(
        "#[path = {:?}]\nmod whitened_monte_carlo;\n\
         estimator_api::export_estimator!(whitened_monte_carlo::WhitenedMonteCarloEstimator);\n",
        root.join("benches/whitened_monte_carlo.rs"),
    );
    // Unchanged files are left alone, so cargo does not rebuild the crate.
    let write = |name: &str, text: &str| {
        if std::fs::read_to_string(dir.join(name)).is_ok_and(|old| old == text) {
            return Ok(());
        }
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write("Cargo.toml", &manifest)?;
    write("lib.rs", &lib)?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    write("Cargo.lock", &lock)
}

/// One workload: its name, the Rust estimator folder, the Python estimator file and budget.
struct Workload {
    name: &'static str,
    rust: PathBuf,
    python: PathBuf,
    budget: u64,
}

/// Best time per MLP over the rounds, and the FLOPs of the last round.
#[derive(Default)]
struct Side {
    best: Vec<f64>,
    flops: Vec<u64>,
    failed: u64,
}

impl Side {
    fn add(&mut self, r: Report) {
        if self.best.is_empty() {
            self.best = r.seconds;
        } else {
            for (b, s) in self.best.iter_mut().zip(r.seconds) {
                *b = b.min(s);
            }
        }
        self.flops = r.flops;
        self.failed = self.failed.max(r.failed);
    }

    fn mean(&self) -> f64 {
        self.best.iter().sum::<f64>() / self.best.len().max(1) as f64
    }
}

/// Scores `w` on both sides, round by round in turn.
fn measure(
    root: &Path,
    python: &str,
    dataset: &Path,
    w: &Workload,
) -> Result<(Side, Side), String> {
    let (budget, dataset) = (w.budget.to_string(), dataset.to_string_lossy().into_owned());
    let (mut rust, mut py) = (Side::default(), Side::default());
    for _ in 0..ROUNDS {
        let estimator = w.rust.to_string_lossy().into_owned();
        let args = [
            "run",
            "--estimator",
            &estimator,
            "--dataset",
            &dataset,
            "--flop-budget",
            &budget,
            "--json",
        ];
        rust.add(Report::parse(&output_of(
            whest_runner(root, &args),
            "whest-runner run",
        )?)?);
        let mut c = Command::new(python);
        c.args(["-c", WHEST_MAIN, "run", "--estimator"])
            .arg(&w.python)
            .args(["--dataset", &dataset, "--flop-budget", &budget, "--json"]);
        py.add(Report::parse(&output_of(c, "whest run")?)?);
    }
    Ok((rust, py))
}

fn run(python: &str) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the benches crate has no parent folder")?
        .to_path_buf();
    let tmp = TempDir(std::env::temp_dir().join(format!("whest-run-bench-{}", std::process::id())));
    std::fs::create_dir_all(&tmp.0).map_err(|e| format!("cannot create a temp folder: {e}"))?;
    let write = |name: &str, text: &str| {
        let path = tmp.0.join(name);
        std::fs::write(&path, text)
            .map(|()| path)
            .map_err(|e| format!("cannot write {name}: {e}"))
    };
    let plain_py = write("plain.py", PLAIN_PY)?;
    let whitened_py = write(
        "whitened.py",
        &WHITENED_PY.replace("{samples}", &SAMPLES.to_string()),
    )?;
    // In the target folder, at a fixed path, so later runs reuse its build of flopscope.
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let whitened_rs = std::path::absolute(target.join("whest-run-bench/whitened-monte-carlo"))
        .map_err(|e| format!("cannot resolve the target folder: {e}"))?;
    write_whitened_crate(&root, &whitened_rs)?;

    let dataset = tmp.0.join("dataset");
    eprintln!("building whest-runner and baking {N_MLPS} MLPs of {WIDTH}×{DEPTH}…");
    let (n, s, wd, d) = (
        N_MLPS.to_string(),
        TRUTH_SAMPLES.to_string(),
        WIDTH.to_string(),
        DEPTH.to_string(),
    );
    let bake = [
        "dataset",
        "bake",
        "--n-mlps",
        &n,
        "--n-samples",
        &s,
        "--width",
        &wd,
        "--depth",
        &d,
        "--quiet",
        "--output",
    ];
    let mut c = whest_runner(&root, &bake);
    c.arg(&dataset);
    output_of(c, "whest-runner dataset bake")?;

    // The budget that buys `examples/monte-carlo` exactly SAMPLES samples.
    let (w, d) = (WIDTH as u64, DEPTH as u64);
    let plain_budget = SAMPLES as u64 * flops_per_sample(w, d) + d * w;
    let workloads = [
        Workload {
            name: "monte-carlo plain",
            rust: root.join("examples/monte-carlo"),
            python: plain_py,
            budget: plain_budget,
        },
        Workload {
            name: "monte-carlo whitened",
            rust: whitened_rs,
            python: whitened_py,
            budget: 1 << 41,
        },
    ];
    println!(
        "Monte-Carlo predict per MLP, {SAMPLES} samples at {WIDTH}×{DEPTH}, {N_MLPS} MLPs: \
         whest-runner run vs whest run on one dataset (mean over MLPs of each MLP's best of \
         {ROUNDS} rounds)"
    );
    println!(
        "{:<22} {:>11} {:>11} {:>8} {:>14}",
        "workload", "whest-rs", "whest run", "speed", "FLOPs per MLP"
    );
    for wl in &workloads {
        eprintln!("{}: building and scoring…", wl.name);
        let (rust, py) = measure(&root, python, &dataset, wl)?;
        let mut note = String::new();
        if rust.flops != py.flops {
            note += " (the two sides charged different FLOPs!)";
        }
        if rust.failed + py.failed > 0 {
            note += &format!(" ({} / {} MLPs failed)", rust.failed, py.failed);
        }
        println!(
            "{:<22} {:>11} {:>11} {:>7.2}× {:>14}{note}",
            wl.name,
            fmt_secs(rust.mean()),
            fmt_secs(py.mean()),
            py.mean() / rust.mean(),
            rust.flops.first().copied().unwrap_or(0),
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let python = std::env::var("WHEST_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let probe = Command::new(&python)
        .args(["-c", "import whestbench, flopscope"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        println!(
            "whest_run skipped: {python} cannot import whestbench and flopscope (set \
             WHEST_BENCH_PYTHON to a Python with whestbench installed)"
        );
        return ExitCode::SUCCESS;
    }
    match run(&python) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("whest_run: {e}");
            ExitCode::FAILURE
        }
    }
}
