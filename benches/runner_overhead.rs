//! Runner cost per MLP, excluding the estimator's own `predict`, at 1024×16 (64 MiB of f32
//! weights per MLP), for the local and the subprocess runner.
//!
//! Run: `cargo bench -p whest-benches --bench runner_overhead`
//!
//! The estimator is `examples/zeros` (built in release mode first), whose `predict` allocates one
//! `(16, 1024)` zero tensor. For each MLP the bench times what `whest-runner run` does per MLP:
//! `EstimatorRunner::predict` (plugin call, building the `Mlp`, IPC for the subprocess runner,
//! shape check and f32 cast) plus `to_outcome` and `score_mlp`, and subtracts the wall time the
//! plugin's budget context measured around the estimator's `predict`. Side by side, in the same
//! run, it times one 64 MiB `copy_from_slice` into already-touched memory: the cost of a single
//! pass over the weights on this machine. Target: ≤ 5 ms per MLP for both runners.
//!
//! The subprocess runner re-executes the current binary as its worker, so this bench answers
//! `__worker` like `whest-runner` does.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use estimator_api::{SetupContext, API_VERSION};
use whest_benches::fmt_secs;
use whest_contest::mlp_gen::{generate_from_input_seed, GeneratedMlp};
use whest_contest::rounds::{self as contest, ContestSpec};
use whest_host::estimator_path;
use whest_host::runners::local::LocalRunner;
use whest_host::runners::subprocess::SubprocessRunner;
use whest_host::runners::{to_outcome, EstimatorRunner, MlpRequest};
use whest_score::scoring::{score_mlp, Targets};

const WIDTH: usize = 1024;
const DEPTH: usize = 16;
/// MLPs timed per runner (after one untimed warm-up MLP).
const MLPS: usize = 12;
/// The per-MLP target, seconds.
const TARGET_S: f64 = 5e-3;

/// Per-MLP runner costs (seconds): total time of predict + outcome + scoring minus the time
/// the plugin's budget context measured.
fn runner_costs(
    runner: &mut dyn EstimatorRunner,
    mlps: &[GeneratedMlp],
    spec: &ContestSpec,
) -> Vec<f64> {
    let targets = Targets::from_all_layer_means(vec![0.0; DEPTH * WIDTH], WIDTH);
    let mut costs = Vec::with_capacity(MLPS);
    for i in 0..=MLPS {
        let mlp = &mlps[i % mlps.len()];
        let t0 = Instant::now();
        let result = runner.predict(&MlpRequest {
            weights: &mlp.weights,
            width: mlp.width,
            depth: mlp.depth,
            seed: mlp.mlp_seed,
            name: "bench",
            budget: spec.flop_budget,
        });
        let inside = result.as_ref().map_or(0.0, |p| p.wall_time_s);
        if let Err(f) = &result {
            panic!("predict failed: {f}");
        }
        let entry = score_mlp(
            i,
            "bench",
            to_outcome(result),
            &targets,
            spec,
            runner.in_process(),
        );
        let total = t0.elapsed().as_secs_f64();
        assert!(!entry.failed(), "the zeros estimator must not fail");
        black_box(entry);
        if i > 0 {
            costs.push(total - inside);
        }
    }
    costs
}

/// Best and median of a sample.
fn best_and_median(v: &[f64]) -> (f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (s[0], s[s.len() / 2])
}

/// Best seconds of one 64 MiB copy between two already-touched buffers.
fn copy_baseline(weights: &[f32]) -> f64 {
    let mut dst = vec![0.0f32; weights.len()];
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t0 = Instant::now();
        dst.copy_from_slice(weights);
        black_box(&dst);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    best
}

fn report(name: &str, costs: &[f64], copy_s: f64) {
    let (best, median) = best_and_median(costs);
    println!(
        "{name:<10} runner cost per MLP: median {} (best {}); {:.2}× one 64 MiB copy; \
         target ≤ {} → {}",
        fmt_secs(median),
        fmt_secs(best),
        median / copy_s,
        fmt_secs(TARGET_S),
        if median <= TARGET_S { "met" } else { "NOT met" },
    );
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("__worker") {
        std::process::exit(whest_host::isolation::worker::serve());
    }
    let zeros = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/zeros");
    let est = estimator_path::resolve(&zeros).expect("build examples/zeros");
    let mlps: Vec<GeneratedMlp> = (0..2)
        .map(|s| generate_from_input_seed(s, WIDTH, DEPTH))
        .collect();
    let mut spec = ContestSpec::from_round(
        contest::round(contest::CURRENT_ROUND).expect("the current round exists"),
    );
    spec.width = WIDTH;
    spec.depth = DEPTH;
    let ctx = SetupContext {
        width: WIDTH,
        depth: DEPTH,
        flop_budget: spec.flop_budget,
        api_version: API_VERSION.to_string(),
        scratch_dir: None,
        submission_dir: Some(est.submission_dir.clone()),
        seed: 0,
    };

    let copy_s = copy_baseline(&mlps[0].weights);
    println!(
        "runner cost per MLP at {WIDTH}×{DEPTH} ({} MiB of f32 weights), zeros estimator, \
         {MLPS} MLPs each; one 64 MiB copy here: {}",
        (mlps[0].weights.len() * 4) >> 20,
        fmt_secs(copy_s)
    );

    let mut local = LocalRunner::new(
        est.library.clone(),
        spec.wall_time_limit_s,
        spec.setup_timeout_s,
    );
    local.start(&ctx).expect("local start");
    let local_costs = runner_costs(&mut local, &mlps, &spec);
    local.close();
    report("local", &local_costs, copy_s);

    let mut sub = SubprocessRunner::new(
        est.library.clone(),
        contest::DEFAULT_MEMORY_LIMIT_MB,
        spec.setup_timeout_s,
        spec.wall_time_limit_s,
        contest::PREDICT_TIMEOUT_FLOOR_S,
    );
    sub.start(&ctx).expect("subprocess start");
    let sub_costs = runner_costs(&mut sub, &mlps, &spec);
    sub.close();
    report("subprocess", &sub_costs, copy_s);
}
