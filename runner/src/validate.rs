//! `whest-runner validate`: loads an estimator, runs setup and one predict on a tiny 4×2 MLP,
//! and checks the shape and finiteness of the result. It runs the estimator in a
//! worker process, so even a crashing estimator gets a clear verdict. Unlike the Python CLI, a
//! setup over the time cap fails validation (non-zero exit).

use std::time::Instant;
use whest_score::ErrorCode;

use estimator_api::{OutcomeCode, SetupContext, API_VERSION};
use serde_json::json;

use crate::cli::ValidateArgs;
use whest_contest::mlp_gen::generate_live;
use whest_contest::rounds::{
    DEFAULT_FLOP_BUDGET, DEFAULT_MEMORY_LIMIT_MB, DEFAULT_SETUP_TIMEOUT_S, PREDICT_TIMEOUT_FLOOR_S,
};
use whest_host::estimator_path;
use whest_host::runners::subprocess::SubprocessRunner;
use whest_host::runners::{EstimatorRunner, MlpRequest};
use whest_score::report::{ErrorPayload, WHEST_RS_VERSION};

/// Width of the validation MLP.
pub const VALIDATE_WIDTH: usize = 4;
/// Depth of the validation MLP.
pub const VALIDATE_DEPTH: usize = 2;

fn fail(
    args: &ValidateArgs,
    stage: &str,
    code: impl Into<String>,
    message: String,
    tb: Option<String>,
) -> i32 {
    let mut p = ErrorPayload::new(stage, code, message);
    if let (true, Some(t)) = (args.debug, tb) {
        p = p.with_traceback(t);
    }
    if args.json {
        print!("{}", p.to_json_string());
    } else {
        eprintln!("Validation failed [{}] {}", p.error.code, p.error.message);
        if let Some(t) = &p.error.traceback {
            eprintln!("{t}");
        }
    }
    1
}

/// Runs `whest-runner validate` and returns the exit code (0 pass, 1 fail).
pub fn validate(args: &ValidateArgs) -> i32 {
    let est = match estimator_path::resolve(&args.estimator) {
        Ok(e) => e,
        Err(e) => {
            return fail(
                args,
                "load",
                ErrorCode::EstimatorMissingModule,
                e.to_string(),
                None,
            )
        }
    };
    let seed = args.seed.unwrap_or(0);
    let ctx = SetupContext {
        width: VALIDATE_WIDTH,
        depth: VALIDATE_DEPTH,
        flop_budget: DEFAULT_FLOP_BUDGET,
        api_version: API_VERSION.to_string(),
        scratch_dir: None,
        submission_dir: Some(est.submission_dir.clone()),
        seed,
    };
    let mut runner = SubprocessRunner::new(
        est.library.clone(),
        DEFAULT_MEMORY_LIMIT_MB,
        f64::INFINITY,
        None,
        PREDICT_TIMEOUT_FLOOR_S,
    );
    let t0 = Instant::now();
    if let Err(f) = runner.start(&ctx) {
        return fail(args, f.stage, f.code, f.message, f.traceback);
    }
    let setup_s = t0.elapsed().as_secs_f64();
    if setup_s > DEFAULT_SETUP_TIMEOUT_S {
        runner.close();
        let msg = format!("setup took {setup_s:.2} s, over the {DEFAULT_SETUP_TIMEOUT_S:.0} s cap");
        return fail(args, "setup", ErrorCode::SetupTimeout, msg, None);
    }
    let mlp = &generate_live(args.seed, 1, VALIDATE_WIDTH, VALIDATE_DEPTH)[0];
    let result = runner.predict(&MlpRequest {
        weights: &mlp.weights,
        width: mlp.width,
        depth: mlp.depth,
        seed: mlp.mlp_seed,
        name: "validate",
        budget: DEFAULT_FLOP_BUDGET,
    });
    runner.close();
    let p = match result {
        Ok(p) => p,
        Err(f) => return fail(args, f.stage, f.code, f.message, f.traceback),
    };
    match p.outcome {
        OutcomeCode::Ok => {}
        OutcomeCode::Error => {
            let code = p
                .error_code
                .unwrap_or_else(|| ErrorCode::PredictError.into());
            let msg = p.message.unwrap_or_default();
            return fail(args, "predict", code, msg, p.traceback);
        }
        other => {
            let msg = format!("predict stopped on a {DEFAULT_FLOP_BUDGET}-FLOP budget: {other:?}");
            return fail(args, "predict", ErrorCode::PredictError, msg, p.message);
        }
    }
    if let Some(i) = p.predictions.iter().position(|v| !v.is_finite()) {
        let msg = format!(
            "predictions must be finite; element {i} is {}",
            p.predictions[i]
        );
        return fail(args, "predict", ErrorCode::EstimatorNonFinite, msg, None);
    }
    if args.json {
        let out = json!({
            "ok": true,
            "class_name": runner_name(&est.library),
            "module_name": est.library.display().to_string(),
            "output_shape": [VALIDATE_DEPTH, VALIDATE_WIDTH],
            "whestbench_version": WHEST_RS_VERSION,
        });
        println!("{out}");
    } else {
        println!("Validation passed: {}", est.library.display());
        println!("  setup: {setup_s:.3} s (cap {DEFAULT_SETUP_TIMEOUT_S:.0} s)");
        println!(
            "  predict: shape ({VALIDATE_DEPTH}, {VALIDATE_WIDTH}), all finite, {} FLOPs",
            p.flops_used
        );
    }
    0
}

/// The library's crate name (`libfoo.so` → `foo`), used as `class_name`.
fn runner_name(lib: &std::path::Path) -> String {
    lib.file_stem()
        .and_then(|s| s.to_str())
        .map(|s| s.trim_start_matches("lib").to_string())
        .unwrap_or_default()
}
