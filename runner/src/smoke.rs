//! `whest-runner smoke-test`: a small unseeded contest — 3 MLPs of 1024×16 with
//! 5,000 ground-truth samples by default — scored in process with the built-in reference
//! `CombinedEstimator`, through the same contest generation, in-process runner and scoring as
//! `run`. Prints the report (the schema-1.1 JSON with `--json`) and, in text mode, the commands
//! to run next. No estimator needs to be built, so it checks an installation end to end.

use std::path::PathBuf;
use whest_score::ErrorCode;

use combined_estimator::CombinedEstimator;
use estimator_api::EstimatorTable;

use crate::cli::{Format, RunArgs, SmokeTestArgs};
use crate::output::fail;
use crate::run::{prepare_live, progress_mode, score_contest, settings, ScoringOptions};
use crate::threads::apply_max_threads;
use whest_contest::CpuSampler;
use whest_host::runners::local::LocalRunner;
use whest_score::report::text::render_text;
use whest_score::report::{raised_during_predict_message, ErrorPayload, EXIT_USAGE};

/// MLPs scored by default.
pub const SMOKE_N_MLPS: usize = 3;
/// Monte-Carlo samples per MLP by default.
pub const SMOKE_N_SAMPLES: usize = 5_000;
/// How the built-in estimator is named where a path would be.
pub const BUILTIN_ESTIMATOR: &str = "<built-in CombinedEstimator>";

/// The steps printed after the report: (purpose, command).
pub const NEXT_STEPS: [(&str, &str); 3] = [
    (
        "Create an estimator crate you can edit.",
        "whest-runner init ./my-estimator",
    ),
    (
        "Validate it (build, load, setup, one predict).",
        "whest-runner validate --estimator ./my-estimator",
    ),
    (
        "Score it on generated MLPs.",
        "whest-runner run --estimator ./my-estimator --runner local",
    ),
];

/// The entry table of the linked `CombinedEstimator`: what its plugin build exports.
extern "C" fn combined_entry() -> *const EstimatorTable {
    estimator_api::estimator_table!(CombinedEstimator)
}

/// The "Next steps" block printed after a text report.
pub fn next_steps_text() -> String {
    let mut out = String::from("\nSmoke test passed: whest-runner works. Next steps:\n");
    for (i, (purpose, command)) in NEXT_STEPS.iter().enumerate() {
        out.push_str(&format!("  {}. {purpose}\n       {command}\n", i + 1));
    }
    out
}

/// The `run` flags a smoke test stands for (the current round's limits, smoke-test sizes).
pub fn run_args(args: &SmokeTestArgs) -> RunArgs {
    RunArgs {
        width: args.width,
        depth: args.depth,
        n_mlps: Some(args.n_mlps.unwrap_or(SMOKE_N_MLPS)),
        n_samples: Some(args.n_samples.unwrap_or(SMOKE_N_SAMPLES)),
        seed: args.seed,
        json: args.json,
        debug: args.debug,
        ..RunArgs::default()
    }
}

/// Runs `whest-runner smoke-test` and returns its exit code (0 when every MLP was scored
/// without an error, 1 otherwise, 2 for bad sizes).
pub fn smoke_test(args: &SmokeTestArgs) -> i32 {
    if let Some(n) = args.max_threads {
        apply_max_threads(n);
    }
    let format = if args.json {
        Format::Json
    } else {
        Format::Plain
    };
    let progress = progress_mode(format);
    let s = match settings(&run_args(args)) {
        Ok(s) => s,
        Err(e) => {
            let p = ErrorPayload::new("smoke-test", ErrorCode::UsageError, e.to_string());
            return fail(format, p).max(EXIT_USAGE);
        }
    };
    let prepared = match prepare_live(&s, &CpuSampler::default(), format != Format::Json, progress)
    {
        Ok(p) => p,
        Err(payload) => return fail(format, *payload),
    };
    // SAFETY: `combined_entry` returns `estimator_table!`'s static table, valid for good.
    let mut runner = unsafe {
        LocalRunner::linked(
            combined_entry,
            PathBuf::from(BUILTIN_ESTIMATOR),
            prepared.spec.wall_time_limit_s,
            prepared.spec.setup_timeout_s,
        )
    };
    let options = ScoringOptions {
        seed: s.seed,
        submission_dir: None,
        debug: args.debug,
        fail_fast: false,
        progress_mode: progress,
    };
    let report = match score_contest(&mut runner, prepared, &options) {
        Ok(r) => r,
        Err(payload) => return fail(format, payload),
    };
    if format == Format::Json {
        print!("{}", report.to_json_string());
    } else {
        print!("{}", render_text(&report));
    }
    if let Some(msg) = raised_during_predict_message(&report.results, args.debug) {
        eprintln!("{msg}");
    } else if format != Format::Json {
        print!("{}", next_steps_text());
    }
    report.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_python_smoke_test() {
        let args = SmokeTestArgs {
            width: None,
            depth: None,
            n_mlps: None,
            n_samples: None,
            seed: None,
            max_threads: None,
            json: true,
            debug: false,
        };
        let s = settings(&run_args(&args)).expect("defaults are valid");
        assert_eq!((s.spec.width, s.spec.depth), (1024, 16));
        assert_eq!((s.n_mlps, s.n_samples, s.seed), (3, 5_000, None));
        assert_eq!(s.spec.flop_budget, 1 << 41);
        assert_eq!(s.spec.residual_wall_time_limit_s, Some(0.4));
    }

    #[test]
    fn next_steps_name_init_validate_and_run() {
        let text = next_steps_text();
        for cmd in [
            "whest-runner init",
            "whest-runner validate",
            "whest-runner run",
        ] {
            assert!(text.contains(cmd), "{text}");
        }
    }
}
