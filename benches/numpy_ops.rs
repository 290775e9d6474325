//! Every estimator-path op against numpy, measured side by side in one invocation, plus two
//! Monte-Carlo `predict` workloads against the same work in Python flopscope.
//!
//! Run: `cargo bench -p whest-benches --bench numpy_ops [-- FILTER…]`; with filters, only the
//! rows whose name contains one of them run (`-- sort matmul`, `-- monte-carlo`).
//!
//! The numpy side runs in a Python child process started by this benchmark:
//! `$WHEST_BENCH_PYTHON` if set, else `python3`; it needs numpy (and flopscope for the
//! Monte-Carlo rows). Without them the benchmark prints why and exits successfully. The two
//! sides take turns, trial by trial (the child times one trial of a case when asked on its
//! stdin), and each reports its best time per call (the VM is shared and noisy; the minimum is
//! the most repeatable statistic). Each side makes 20 ms of untimed calls right before each of
//! its trials, so no trial times the machine waking up from the pause between them. Inputs are the same values on both sides (`default_rng(0)`
//! normal draws, which flopscope reproduces bit for bit).
//!
//! Products: the Monte-Carlo layer `(k×w)·(w×w)` for k in 256 / 4,096 / 16,384 and w in
//! 256 / 1,024, f32 and f64, and the `w×w` mat-vecs; the 1024-wide products with k ≥ 4,096 run
//! fewer trials.
//! `whest_run` compares whole Monte-Carlo estimators under `whest-runner run` / `whest run`.
//!
//! Monte-Carlo rows: a `(depth, width)` f32 MLP with He-scaled normal weights; `plain` is the
//! `examples/monte-carlo` predict at a fixed sample count (normal draws cast to f32, per layer
//! `maximum(x·W, 0)` and a column mean, then `stack`); `whitened` first whitens the draws with
//! their Gram matrix (`xᵀx / n`, `eigh`, `x · V diag(λ^-½) Vᵀ`), then does the same. Both sides
//! run inside a budget context (`flopscope.BudgetContext` in Python) and must charge the same
//! FLOPs.

use std::hint::black_box;
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};

use flopscope::random::default_rng;
use flopscope::{linalg, BudgetContext, DType, Tensor};
use whest_benches::{best_secs_per_call, fmt_secs, row_selected};

/// Trials per op and side, taking turns; each trial times `iters` calls (kept short, so a
/// trial often runs without being preempted on a loaded machine).
const TRIALS: usize = 15;

/// Samples and shape of the Monte-Carlo workloads (the issue's: 16,384 samples at 256×8).
const MC_SAMPLES: usize = 16_384;
const MC_WIDTH: usize = 256;
const MC_DEPTH: usize = 8;

/// One benchmarked op: a name, its Rust call, and the numpy statement timed against it.
struct Case {
    name: String,
    /// Calls per trial (so one trial lasts a few milliseconds or more).
    iters: usize,
    /// Trials per side ([`TRIALS`], fewer for the biggest products).
    trials: usize,
    /// Python: statements run once before timing (names `x`, `y`, `rng` …), `; `-separated.
    py_setup: String,
    /// Python: the expression timed.
    py_stmt: String,
    rust: Box<dyn FnMut()>,
}

/// `default_rng(seed).standard_normal(shape)` cast to `dtype`, as numpy draws it.
fn normal(seed: u64, shape: &[usize], dtype: DType) -> Tensor {
    default_rng(seed)
        .standard_normal(shape, DType::F64)
        .astype(dtype)
}

fn case(
    name: &str,
    iters: usize,
    py_setup: &str,
    py_stmt: &str,
    mut f: impl FnMut() -> Tensor + 'static,
) -> Case {
    Case {
        name: name.to_owned(),
        iters,
        trials: TRIALS,
        py_setup: py_setup.to_owned(),
        py_stmt: py_stmt.to_owned(),
        rust: Box::new(move || {
            black_box(f());
        }),
    }
}

/// The short name of a float dtype in row names (`f32`, `f64`).
fn short(dtype: DType) -> &'static str {
    if dtype == DType::F32 {
        "f32"
    } else {
        "f64"
    }
}

/// `x · w` for `x` of `rows × width` and `w` of `width × width` (the Monte-Carlo layer
/// product), normal inputs from seeds 0 and 1. Trials and calls per trial shrink with the
/// product's size, so every row takes a few seconds at most.
fn matmul_case(dtype: DType, rows: usize, width: usize) -> Case {
    let macs = rows * width * width;
    let name = if rows == width && width == 1024 {
        format!("matmul {} 1024³", short(dtype))
    } else {
        format!("matmul {} {rows}×{width}·{width}×{width}", short(dtype))
    };
    let dt = dtype.name();
    let setup = format!(
        "x = np.random.default_rng(0).standard_normal(({rows}, {width})).astype(np.{dt}); \
         w = np.random.default_rng(1).standard_normal(({width}, {width})).astype(np.{dt})"
    );
    let (x, w) = (
        normal(0, &[rows, width], dtype),
        normal(1, &[width, width], dtype),
    );
    Case {
        iters: (1 << 26) / macs + 1,
        // 2^30 multiply-adds (16384×256²) and below: all trials; 4096×1024²: 9;
        // 16384×1024²: 5 (a few seconds a row on each side).
        trials: match macs {
            0..=0x4000_0000 => TRIALS,
            0x4000_0001..=0x1_0000_0000 => 9,
            _ => 5,
        },
        ..case(&name, 1, &setup, "x @ w", move || x.matmul(&w))
    }
}

/// `w · v` for `w` of `width × width` and `v` of `width` (seeds 1 and 2).
fn matvec_case(dtype: DType, width: usize) -> Case {
    let dt = dtype.name();
    let setup = format!(
        "w = np.random.default_rng(1).standard_normal(({width}, {width})).astype(np.{dt}); \
         v = np.random.default_rng(2).standard_normal({width}).astype(np.{dt})"
    );
    let (w, v) = (
        normal(1, &[width, width], dtype),
        normal(2, &[width], dtype),
    );
    case(
        &format!("mat-vec {} {width}×{width}·{width}", short(dtype)),
        (1 << 27) / (width * width),
        &setup,
        "w @ v",
        move || w.matmul(&v),
    )
}

const X4096: &str = "x = np.random.default_rng(0).standard_normal((4096, 256)).astype(np.float32)";
const X16384: &str =
    "x = np.random.default_rng(0).standard_normal((16384, 256)).astype(np.float32)";
const V20: &str = "x = np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32)";
const V20_ABS: &str =
    "x = np.abs(np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32))";

fn cases() -> Vec<Case> {
    let x4096 = normal(0, &[4096, 256], DType::F32);
    let x16384 = normal(0, &[16384, 256], DType::F32);
    let bt = normal(1, &[1024, 1024], DType::F64);
    let v20 = normal(0, &[1 << 20], DType::F32);
    let v20_abs = v20.abs();
    let (a, b, c, d, e, f, g, h) = (
        x4096.clone(),
        x4096.clone(),
        x4096.clone(),
        x4096.clone(),
        x4096.clone(),
        x4096.clone(),
        x4096.clone(),
        x4096,
    );
    let (s1, s2) = (x16384.clone(), x16384.clone());
    let vp = v20_abs.clone();
    let (ve, vl, vt, vs, vo, va) = (
        v20.clone(),
        v20_abs.clone(),
        v20.clone(),
        v20_abs,
        v20.clone(),
        v20,
    );
    let mut all = vec![
        case(
            "sum axis 0 f32 4096×256",
            10,
            X4096,
            "x.sum(axis=0)",
            move || a.sum_axis(0),
        ),
        case(
            "sum axis 0 f32 16384×256",
            5,
            X16384,
            "x.sum(axis=0)",
            move || s1.sum_axis(0),
        ),
        case(
            "mean axis 0 f32 4096×256",
            10,
            X4096,
            "x.mean(axis=0)",
            move || b.mean_axis(0),
        ),
        case(
            "max axis 0 f32 4096×256",
            10,
            X4096,
            "x.max(axis=0)",
            move || c.max_axis(0),
        ),
        case(
            "var axis 0 f32 4096×256",
            5,
            X4096,
            "x.var(axis=0)",
            move || d.var_axis(0),
        ),
        case(
            "argmax axis 0 f32 4096×256",
            5,
            X4096,
            "x.argmax(axis=0)",
            move || e.argmax_axis(0),
        ),
        case(
            "sum axis 1 f32 4096×256",
            10,
            X4096,
            "x.sum(axis=1)",
            move || f.sum_axis(1),
        ),
        case(
            "maximum(x, 0) f32 4096×256",
            10,
            X4096,
            "np.maximum(x, 0)",
            move || g.maximum(0.0),
        ),
        case("add f32 4096×256", 10, X4096, "x + x", move || &h + &h),
        case("xᵀx f32 16384×256", 2, X16384, "x.T @ x", move || {
            s2.t().matmul(&s2)
        }),
        case(
            "transpose copy f64 1024²",
            3,
            "x = np.random.default_rng(1).standard_normal((1024, 1024))",
            "np.ascontiguousarray(x.T)",
            move || bt.transpose(&[]),
        ),
        case("exp f32 2^20", 3, V20, "np.exp(x)", move || ve.exp()),
        case("log f32 2^20", 3, V20_ABS, "np.log(x)", move || vl.log()),
        case("tanh f32 2^20", 3, V20, "np.tanh(x)", move || vt.tanh()),
        case("sqrt f32 2^20", 3, V20_ABS, "np.sqrt(x)", move || vs.sqrt()),
        case("power f32 2^20", 2, V20_ABS, "x ** 1.5", move || {
            vp.power(1.5)
        }),
        case("sort f32 2^20", 2, V20, "np.sort(x)", move || vo.sort(-1)),
        case("argsort f32 2^20", 2, V20, "np.argsort(x)", move || {
            va.argsort(-1)
        }),
        case(
            "standard_normal f32 4096×256",
            3,
            "rng = np.random.default_rng(0)",
            "rng.standard_normal((4096, 256), dtype=np.float32)",
            {
                let mut rng = default_rng(0);
                move || rng.standard_normal([4096, 256], DType::F32)
            },
        ),
    ];
    // The Monte-Carlo layer product `(k×w)·(w×w)` and mat-vecs, f32 and f64.
    for dtype in [DType::F32, DType::F64] {
        for width in [256, 1024] {
            for rows in [256, 4096, 16384] {
                all.push(matmul_case(dtype, rows, width));
            }
            all.push(matvec_case(dtype, width));
        }
    }
    all
}

/// He-scaled normal weights of a `(depth, width)` MLP, f32, the same on both sides.
fn mc_weights() -> Vec<Tensor> {
    let scale = (2.0 / MC_WIDTH as f64).sqrt();
    (0..MC_DEPTH)
        .map(|l| {
            (normal(100 + l as u64, &[MC_WIDTH, MC_WIDTH], DType::F64) * scale).astype(DType::F32)
        })
        .collect()
}

/// The Monte-Carlo layers: per layer `maximum(x·W, 0)` and its column mean, then `stack`.
fn mc_layers(mut x: Tensor, weights: &[Tensor]) -> Tensor {
    let mut rows = Vec::with_capacity(weights.len());
    for w in weights {
        x = x.matmul(w).maximum(0.0);
        rows.push(x.mean_axis(0));
    }
    let rows: Vec<&Tensor> = rows.iter().collect();
    Tensor::stack(&rows, 0)
}

/// `examples/monte-carlo`'s predict at [`MC_SAMPLES`] samples.
fn mc_plain(weights: &[Tensor]) -> Tensor {
    let x = default_rng(7)
        .standard_normal([MC_SAMPLES, MC_WIDTH], DType::F64)
        .astype(DType::F32);
    mc_layers(x, weights)
}

/// The whitened variant: draws whitened by their Gram matrix before the layers.
fn mc_whitened(weights: &[Tensor]) -> Tensor {
    let x = default_rng(7)
        .standard_normal([MC_SAMPLES, MC_WIDTH], DType::F64)
        .astype(DType::F32);
    let gram = x.t().matmul(&x) / MC_SAMPLES as f64;
    let (lam, v) = linalg::eigh(&gram).expect("a Gram matrix of normal draws is symmetric");
    let whiten = (&v * &lam.power(-0.5)).matmul(&v.t());
    mc_layers(x.matmul(&whiten), weights)
}

/// The Python side: defines one timing function per case (and per Monte-Carlo workload when
/// flopscope is importable), prints `ready <names…>`, then for each line `i` on stdin times one
/// trial of function `i` and prints its seconds per call.
fn python_script(cases: &[Case]) -> String {
    let mut s = format!(
        "import sys, time, numpy as np\n\
         def trial(f, iters):\n    w = time.perf_counter()\n    f()\n    \
         while time.perf_counter() - w < {warm_up}:\n        f()\n    \
         t = time.perf_counter()\n    for _ in range(iters):\n        \
         f()\n    return (time.perf_counter() - t) / iters\n\
         fns = []\n",
        warm_up = WARM_UP.as_secs_f64()
    );
    for (i, c) in cases.iter().enumerate() {
        s += &format!(
            "def case_{i}():\n    {}\n    return lambda: {}\nfns.append((case_{i}(), {}))\n",
            c.py_setup.replace("; ", "\n    "),
            c.py_stmt,
            c.iters
        );
    }
    s += &format!(
        "try:\n    import flopscope as flops, flopscope.numpy as fnp\nexcept ImportError:\n    \
         flops = None\n\
         if flops is not None:\n    \
         N, W, D = {MC_SAMPLES}, {MC_WIDTH}, {MC_DEPTH}\n    \
         ws = [(np.random.default_rng(100 + l).standard_normal((W, W)) * np.sqrt(2.0 / W)).astype(np.float32) for l in range(D)]\n    \
         def layers(x, ws):\n        rows = []\n        for w in ws:\n            \
         x = fnp.maximum(fnp.matmul(x, w), 0.0)\n            rows.append(fnp.mean(x, axis=0))\n        \
         return fnp.stack(rows)\n    \
         def plain(ws):\n        x = fnp.random.default_rng(7).standard_normal((N, W)).astype(fnp.float32)\n        \
         return layers(x, ws)\n    \
         def whitened(ws):\n        x = fnp.random.default_rng(7).standard_normal((N, W)).astype(fnp.float32)\n        \
         g = fnp.matmul(x.T, x) / N\n        lam, v = fnp.linalg.eigh(g)\n        \
         a = fnp.matmul(v * lam ** -0.5, v.T)\n        return layers(fnp.matmul(x, a), ws)\n    \
         def in_context(f):\n        def run():\n            \
         with flops.BudgetContext(flop_budget=2**50, quiet=True) as ctx:\n                \
         f([fnp.asarray(w) for w in ws])\n            return ctx.flops_used\n        return run\n    \
         for f in (plain, whitened):\n        fns.append((in_context(f), 1))\n\
         flops_used = [fns[-2][0](), fns[-1][0]()] if flops is not None else []\n\
         print('ready', len(fns), *flops_used, flush=True)\n\
         for line in sys.stdin:\n    f, iters = fns[int(line)]\n    \
         print(repr(trial(f, iters)), flush=True)\n"
    );
    s
}

/// The Python child, serving one timed trial per request.
struct NumpySide {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    /// Timing functions it defined (the cases, then the Monte-Carlo workloads if any).
    functions: usize,
    /// FLOPs each Monte-Carlo workload charged in Python flopscope.
    mc_flops: Vec<u64>,
}

impl NumpySide {
    /// Starts the child and waits until its inputs are built; `Err` says why it could not.
    fn start(python: &str, script: &str) -> Result<NumpySide, String> {
        let path = std::env::temp_dir().join(format!("whest-numpy-ops-{}.py", std::process::id()));
        std::fs::write(&path, script)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut child = Command::new(python)
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {python}: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(format!("{python} has no pipes"));
        };
        let mut stdout = std::io::BufReader::new(stdout).lines();
        let ready = stdout.next().and_then(Result::ok).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        let mut words = ready.split(' ');
        if words.next() != Some("ready") {
            let _ = child.kill();
            let err = child
                .wait_with_output()
                .map(|o| o.stderr)
                .unwrap_or_default();
            let err = String::from_utf8_lossy(&err);
            let last = err.lines().last().unwrap_or("no error output").to_owned();
            return Err(format!("{python} could not run the numpy side: {last}"));
        }
        let functions = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let mc_flops = words.filter_map(|w| w.parse().ok()).collect();
        Ok(NumpySide {
            child,
            stdin,
            stdout,
            functions,
            mc_flops,
        })
    }

    /// Seconds per call of one trial of function `i`.
    fn trial(&mut self, i: usize) -> Option<f64> {
        writeln!(self.stdin, "{i}").ok()?;
        self.stdout.next()?.ok()?.trim().parse().ok()
    }
}

impl Drop for NumpySide {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Pause after each numpy trial: longer than OpenBLAS's default busy-wait (2^28 cycles, under
/// 0.1 s at 3 GHz and above).
const BLAS_SPIN_WAIT: std::time::Duration = std::time::Duration::from_millis(150);

/// Untimed calls each side makes right before each of its timed trials (at least one). After
/// the pause above, this 2-vCPU VM runs the next few milliseconds of work up to 2× slower
/// (measured: a 256³ f32 product took 2.3 ms, then ~0.4 ms, and ~0.19 ms only after ~10 ms of
/// calls), so an unwarmed trial measures the machine waking up, not the op.
const WARM_UP: std::time::Duration = std::time::Duration::from_millis(20);

/// Calls `f` until [`WARM_UP`] has passed (at least once).
fn warm_up(f: &mut impl FnMut()) {
    let start = std::time::Instant::now();
    loop {
        f();
        if start.elapsed() >= WARM_UP {
            return;
        }
    }
}

/// Best seconds per call of `rust` and of Python function `i`, trial by trial in turn, each
/// trial after its side's [`WARM_UP`].
fn side_by_side(
    numpy: &mut NumpySide,
    i: usize,
    iters: usize,
    trials: usize,
    mut rust: impl FnMut(),
) -> (f64, Option<f64>) {
    let (mut best_rust, mut best_py) = (f64::INFINITY, None::<f64>);
    for _ in 0..trials {
        warm_up(&mut rust);
        best_rust = best_rust.min(best_secs_per_call(1, iters, &mut rust));
        if i < numpy.functions {
            if let Some(t) = numpy.trial(i) {
                best_py = Some(best_py.map_or(t, |b| b.min(t)));
            }
            // OpenBLAS's worker threads spin for up to 2^28 cycles after a call before they
            // sleep; let them, so they do not share the cores with the next Rust trial.
            std::thread::sleep(BLAS_SPIN_WAIT);
        }
    }
    (best_rust, best_py)
}

/// A Monte-Carlo predict: the MLP's weights in, the `(depth, width)` layer means out.
type Workload = fn(&[Tensor]) -> Tensor;

/// One Monte-Carlo predict in a fresh context; returns the FLOPs it charged.
fn predict_mc(f: Workload, weights: &[Tensor]) -> u64 {
    let ctx = BudgetContext::new(1 << 50).expect("no context is open");
    black_box(f(weights));
    ctx.flops_used()
}

fn main() {
    let python = std::env::var("WHEST_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let mut cases = {
        let _ctx = BudgetContext::new(u64::MAX / 2).expect("open bench context");
        cases()
    };
    cases.retain(|c| row_selected(&filters, &c.name));
    let mut numpy = match NumpySide::start(&python, &python_script(&cases)) {
        Ok(side) => side,
        Err(why) => {
            println!("numpy_ops skipped: {why} (set WHEST_BENCH_PYTHON to a Python with numpy)");
            return;
        }
    };
    println!(
        "estimator-path ops vs numpy (best of {TRIALS} trials per side, 5–9 for the biggest \
         products, taking turns)"
    );
    println!(
        "{:<34} {:>11} {:>11} {:>8}",
        "op", "whest-rs", "numpy", "speed"
    );
    let (mut log_sum, mut compared) = (0.0, 0);
    {
        let _ctx = BudgetContext::new(u64::MAX / 2).expect("open bench context");
        for (i, c) in cases.iter_mut().enumerate() {
            let (rust, py) = side_by_side(&mut numpy, i, c.iters, c.trials, &mut c.rust);
            let Some(py) = py else {
                println!("{:<34} {:>11} (numpy side failed)", c.name, fmt_secs(rust));
                continue;
            };
            log_sum += (py / rust).ln();
            compared += 1;
            println!(
                "{:<34} {:>11} {:>11} {:>7.2}×",
                c.name,
                fmt_secs(rust),
                fmt_secs(py),
                py / rust
            );
        }
    }
    if compared > 0 {
        println!(
            "geometric mean speed: {:.2}×",
            (log_sum / compared as f64).exp()
        );
    }
    let weights = {
        let _ctx = BudgetContext::new(u64::MAX / 2).expect("open bench context");
        mc_weights()
    };
    println!(
        "\nMonte-Carlo predict, {MC_SAMPLES} samples at {MC_WIDTH}×{MC_DEPTH}, each side in a \
         fresh budget context (Python: flopscope)"
    );
    println!(
        "{:<22} {:>11} {:>11} {:>8} {:>14}",
        "workload", "whest-rs", "Python", "speed", "FLOPs"
    );
    let workloads: [(&str, Workload); 2] = [
        ("monte-carlo plain", mc_plain),
        ("monte-carlo whitened", mc_whitened),
    ];
    for (w, (name, f)) in workloads.into_iter().enumerate() {
        if !row_selected(&filters, name) {
            continue;
        }
        let flops = predict_mc(f, &weights);
        let (rust, py) = side_by_side(&mut numpy, cases.len() + w, 1, TRIALS, || {
            predict_mc(f, &weights);
        });
        match (py, numpy.mc_flops.get(w)) {
            (Some(py), Some(&py_flops)) => {
                let note = if flops == py_flops {
                    ""
                } else {
                    " (Python charged differently!)"
                };
                println!(
                    "{name:<22} {:>11} {:>11} {:>7.2}× {flops:>14}{note}",
                    fmt_secs(rust),
                    fmt_secs(py),
                    py / rust
                );
            }
            _ => println!(
                "{name:<22} {:>11} (Python flopscope not importable)",
                fmt_secs(rust)
            ),
        }
    }
}
