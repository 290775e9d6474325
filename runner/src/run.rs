//! `whest-runner run`: score an estimator on an on-the-fly contest.
//!
//! Pipeline: settings (round + flags) → estimator library → MLPs, names and Monte-Carlo ground
//! truth → runner start (setup) → predict and score each MLP → aggregate → report.

use std::fmt;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};
use whest_score::ErrorCode;

use estimator_api::{SetupContext, API_VERSION};

use crate::output::fail;
use crate::threads::apply_max_threads;

use crate::cli::{Format, RunArgs, RunnerKind, SandboxKind};
use crate::progress::{Progress, ProgressMode};
use whest_contest::mlp_gen::{generate_live, GeneratedMlp};
use whest_contest::names::assign_unique_names;
use whest_contest::rounds::{self as contest, ContestSpec};
use whest_contest::{GroundTruthError, SampleJob, Sampled, Sampler};
use whest_dataset::contest::{contest_from_dataset, ContestMlp};
use whest_host::estimator_path;
use whest_host::isolation::sandbox::{SandboxMode, SandboxStatus};
use whest_host::runners::local::LocalRunner;
use whest_host::runners::subprocess::SubprocessRunner;
use whest_host::runners::{to_outcome, EstimatorRunner, MlpRequest};
use whest_score::plot::{estimator_label, write_per_layer_mse_plot, NamedReport};
use whest_score::report::meta::{HostFingerprint, RunMeta};
use whest_score::report::text::render_text;
use whest_score::report::{
    raised_during_predict_message, DatasetInfo, ErrorPayload, Report, RunConfig, EXIT_FAILURE,
    EXIT_USAGE,
};
use whest_score::scoring::breakdown::{
    aggregate_breakdowns, normalize_sampling_breakdown, Breakdown,
};
use whest_score::scoring::{aggregate, score_mlp, Targets};

/// Settings of one run after the round and the flags are combined.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// Scoring limits.
    pub spec: ContestSpec,
    /// MLPs to score.
    pub n_mlps: usize,
    /// Monte-Carlo samples per MLP.
    pub n_samples: usize,
    /// Run seed.
    pub seed: Option<u64>,
    /// Worker memory limit (subprocess runner).
    pub memory_limit_mb: u64,
    /// Host read timeout floor per predict (subprocess runner).
    pub predict_timeout_s: f64,
}

/// Why the round and the flags do not make a run (a usage error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// `--round` names no known round: pick one of the tags listed.
    UnknownRound {
        /// The tag given.
        tag: String,
    },
    /// `--width` or `--depth` is 0: every MLP needs at least one neuron and one layer.
    EmptyMlp,
    /// `--n-samples` is 0: the ground truth needs at least one sample.
    NoSamples,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::UnknownRound { tag } => {
                let known: Vec<_> = contest::ROUNDS.iter().map(|r| r.tag).collect();
                write!(f, "unknown round {tag:?}: use one of {}", known.join(", "))
            }
            SettingsError::EmptyMlp => f.write_str("--width and --depth must be at least 1"),
            SettingsError::NoSamples => f.write_str("--n-samples must be at least 1"),
        }
    }
}

impl std::error::Error for SettingsError {}

/// Combines `--round` (default: the current round) with the explicit flags.
///
/// # Errors
/// An unknown round tag, or a zero width/depth/sample count.
pub fn settings(args: &RunArgs) -> Result<RunSettings, SettingsError> {
    let tag = args.round.as_deref().unwrap_or(contest::CURRENT_ROUND);
    let round =
        contest::round(tag).ok_or_else(|| SettingsError::UnknownRound { tag: tag.into() })?;
    let mut spec = ContestSpec::from_round(round);
    if let Some(w) = args.width {
        spec.width = w;
    }
    if let Some(d) = args.depth {
        spec.depth = d;
    }
    if let Some(b) = args.flop_budget {
        spec.flop_budget = b;
    }
    if let Some(l) = args.lambda_flops_per_second {
        spec.lambda_flops_per_second = l;
    }
    if let Some(c) = args.wall_time_limit {
        spec.wall_time_limit_s = Some(c);
    }
    if let Some(c) = args.residual_wall_time_limit {
        spec.residual_wall_time_limit_s = Some(c);
    }
    if args.no_residual_wall_time_limit {
        spec.residual_wall_time_limit_s = None;
    }
    if let Some(s) = args.setup_timeout {
        spec.setup_timeout_s = s;
    }
    let n_samples = args.n_samples.unwrap_or(contest::DEFAULT_N_SAMPLES);
    if spec.width == 0 || spec.depth == 0 {
        return Err(SettingsError::EmptyMlp);
    }
    if n_samples == 0 {
        return Err(SettingsError::NoSamples);
    }
    Ok(RunSettings {
        spec,
        n_mlps: args.n_mlps.unwrap_or(contest::DEFAULT_N_MLPS),
        n_samples,
        seed: args.seed,
        memory_limit_mb: args
            .memory_limit_mb
            .unwrap_or(contest::DEFAULT_MEMORY_LIMIT_MB),
        predict_timeout_s: args
            .predict_timeout
            .unwrap_or(contest::PREDICT_TIMEOUT_FLOOR_S),
    })
}

/// The output format: `--json` wins, then `--format`, then rich on a terminal, else plain.
pub fn output_format(args: &RunArgs) -> Format {
    if args.json {
        return Format::Json;
    }
    args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Rich
    } else {
        Format::Plain
    })
}

/// The contest a run scores: its limits (width and depth included), the MLPs with their
/// targets, the sampling breakdown aggregate and, for `--dataset`, `run_config.dataset`.
pub struct Prepared {
    /// Limits, with the contest's width and depth.
    pub spec: ContestSpec,
    /// The MLPs with their seeds, names and targets.
    pub mlps: Vec<ContestMlp>,
    /// Aggregate sampling breakdown (`results.breakdowns.sampling`).
    pub sampling: Option<Breakdown>,
    /// `run_config.dataset` (None for a live contest).
    pub dataset: Option<DatasetInfo>,
}

/// The live contest: MLPs from the run seed, names from their seeds, Monte-Carlo
/// ground truth computed now.
pub fn prepare_live(
    s: &RunSettings,
    sampler: &dyn Sampler,
    plain_progress: bool,
    progress_mode: ProgressMode,
) -> Result<Prepared, Box<ErrorPayload>> {
    let spec = s.spec.clone();
    if plain_progress {
        eprintln!(
            "[run] ground truth for {} MLPs of {}x{}, {} samples each",
            s.n_mlps, spec.width, spec.depth, s.n_samples
        );
    }
    let generated = generate_live(s.seed, s.n_mlps, spec.width, spec.depth);
    let names = assign_unique_names(&generated.iter().map(|m| m.mlp_seed).collect::<Vec<_>>());
    let sampled = ground_truth_with_progress(sampler, &generated, s.n_samples, progress_mode);
    let mut mlps = Vec::with_capacity(sampled.len());
    let mut sampling = Vec::with_capacity(sampled.len());
    for ((mlp, name), result) in generated.into_iter().zip(names).zip(sampled) {
        let result = result.map_err(|e| {
            ErrorPayload::new("run", ErrorCode::ScoringValidationError, e.to_string())
        })?;
        sampling.extend(normalize_sampling_breakdown(&result.sampling));
        mlps.push(ContestMlp {
            seed: mlp.mlp_seed,
            name,
            weights: mlp.weights,
            targets: Targets::from_all_layer_means(result.truth.all_layer_means, spec.width),
        });
    }
    Ok(Prepared {
        spec,
        mlps,
        sampling: aggregate_breakdowns(&sampling),
        dataset: None,
    })
}

/// The contest of `--dataset`: width and depth from the dataset's
/// metadata, `--n-samples` ignored, `--n-mlps` keeping the first rows (clamped with a warning),
/// `mlp.seed` per seed protocol, names and targets from the file.
fn prepare_dataset(
    args: &RunArgs,
    s: &RunSettings,
    source: &str,
    plain_progress: bool,
) -> Result<Prepared, Box<ErrorPayload>> {
    if plain_progress {
        eprintln!("[run] loading dataset {source}");
    }
    let contest = contest_from_dataset(source, args.split.as_deref(), args.n_mlps)
        .map_err(|e| Box::new(ErrorPayload::new("dataset", e.class_name(), e.to_string())))?;
    for notice in &contest.notices {
        eprintln!("{notice}");
    }
    let mut spec = s.spec.clone();
    spec.width = contest.width;
    spec.depth = contest.depth;
    Ok(Prepared {
        spec,
        mlps: contest.mlps,
        sampling: contest.sampling_breakdown,
        dataset: Some(contest.info),
    })
}

/// Runs `whest-runner run` and returns the process exit code.
pub fn run(args: &RunArgs) -> i32 {
    if let Some(n) = args.max_threads {
        apply_max_threads(n);
    }
    let format = output_format(args);
    let plain_progress = format != Format::Json;
    let progress_mode = progress_mode(format);
    let s = match settings(args) {
        Ok(s) => s,
        Err(e) => {
            let p = ErrorPayload::new("run", ErrorCode::UsageError, e.to_string());
            return fail(format, p).max(EXIT_USAGE);
        }
    };
    let Some(path) = args.estimator.as_deref() else {
        let msg = "missing --estimator PATH (a built .so or an estimator crate directory)";
        return fail(format, ErrorPayload::new("run", ErrorCode::UsageError, msg)).max(EXIT_USAGE);
    };
    if args.sandbox == SandboxKind::Require && args.runner == RunnerKind::Local {
        let msg = "--sandbox require needs --runner subprocess (the local runner runs the \
                   estimator inside whest-runner itself)";
        return fail(format, ErrorPayload::new("run", ErrorCode::UsageError, msg)).max(EXIT_USAGE);
    }
    // Resolved before the estimator runs: in the local runner it shares this process, and a
    // `set_current_dir` in its code would otherwise move a relative `--plot` path.
    let plot = match args.plot.as_deref().map(std::path::absolute).transpose() {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("--plot: cannot resolve the path ({e}); pass another path");
            return fail(format, ErrorPayload::new("run", ErrorCode::UsageError, msg))
                .max(EXIT_USAGE);
        }
    };
    let est = match estimator_path::resolve(path) {
        Ok(e) => e,
        Err(e) => {
            return fail(
                format,
                ErrorPayload::new("load", ErrorCode::EstimatorMissingModule, e.to_string()),
            )
        }
    };
    let prepared = match args.dataset.as_deref() {
        Some(source) => prepare_dataset(args, &s, source, plain_progress),
        None => match args.sampler.open() {
            Ok(opened) => {
                if let Some(notice) = &opened.notice {
                    eprintln!("{notice}");
                }
                prepare_live(&s, opened.sampler.as_ref(), plain_progress, progress_mode)
            }
            Err(e) => Err(Box::new(ErrorPayload::new(
                "run",
                ErrorCode::UsageError,
                e.to_string(),
            ))),
        },
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(payload) => return fail(format, *payload),
    };
    let spec = &prepared.spec;
    let mut runner: Box<dyn EstimatorRunner> = match args.runner {
        RunnerKind::Local => Box::new(LocalRunner::new(
            est.library.clone(),
            spec.wall_time_limit_s,
            spec.setup_timeout_s,
        )),
        RunnerKind::Subprocess => Box::new(
            SubprocessRunner::new(
                est.library.clone(),
                s.memory_limit_mb,
                spec.setup_timeout_s,
                spec.wall_time_limit_s,
                s.predict_timeout_s,
            )
            .with_sandbox(match args.sandbox {
                SandboxKind::Require => SandboxMode::Require,
                SandboxKind::Auto => SandboxMode::Auto,
                SandboxKind::Off => SandboxMode::Off,
            }),
        ),
    };
    let options = ScoringOptions {
        seed: s.seed,
        submission_dir: Some(est.submission_dir.clone()),
        debug: args.debug,
        fail_fast: args.fail_fast,
        progress_mode,
    };
    let report = match score_contest(runner.as_mut(), prepared, &options) {
        Ok(r) => r,
        Err(payload) => return fail(format, payload),
    };
    match format {
        Format::Json => print!("{}", report.to_json_string()),
        _ => print!("{}", render_text(&report)),
    }
    if let Some(msg) = raised_during_predict_message(&report.results, args.debug) {
        eprintln!("{msg}");
    }
    if let Some(plot) = &plot {
        let name = estimator_label(path);
        let named = NamedReport {
            name: &name,
            report: &report,
        };
        if let Err(e) = write_per_layer_mse_plot(plot, &[named]) {
            eprintln!("error: --plot: {e}");
            return EXIT_FAILURE;
        }
    }
    report.exit_code()
}

/// How [`score_contest`] runs: `SetupContext` inputs, error detail, fail-fast and progress.
#[derive(Clone, Debug)]
pub struct ScoringOptions {
    /// Run seed (`SetupContext.seed` is this or 0; echoed as `run_config.seed`).
    pub seed: Option<u64>,
    /// `SetupContext.submission_dir`.
    pub submission_dir: Option<PathBuf>,
    /// Attach tracebacks to a setup failure.
    pub debug: bool,
    /// Stop at the first failing MLP (exhaustions included).
    pub fail_fast: bool,
    /// How the "Scoring" progress is shown.
    pub progress_mode: ProgressMode,
}

/// Starts `runner` (load + setup), predicts and scores every MLP of `prepared` exactly as the
/// Python grader does, closes the runner and returns the report (schema 1.1).
///
/// # Errors
/// The error payload of a failed start, or with `fail_fast` of the first failing MLP.
// The payload is returned by value like `prepare_live`'s: it is built once per failed run.
#[allow(clippy::result_large_err)]
pub fn score_contest(
    runner: &mut dyn EstimatorRunner,
    prepared: Prepared,
    options: &ScoringOptions,
) -> Result<Report, ErrorPayload> {
    let Prepared {
        spec,
        mlps,
        sampling,
        dataset,
    } = prepared;
    let n_mlps = mlps.len();
    let ctx = SetupContext {
        width: spec.width,
        depth: spec.depth,
        flop_budget: spec.flop_budget,
        api_version: API_VERSION.to_string(),
        scratch_dir: None,
        submission_dir: options.submission_dir.clone(),
        seed: options.seed.unwrap_or(0),
    };
    let started = SystemTime::now();
    let t_run = Instant::now();
    if let Err(f) = runner.start(&ctx) {
        let mut p = ErrorPayload::new(f.stage, f.code, f.message);
        if let (true, Some(tb)) = (options.debug, f.traceback) {
            p = p.with_traceback(tb);
        }
        return Err(p);
    }
    if let Some(missing) = runner.sandbox().filter(|s| !s.not_applied.is_empty()) {
        let hint = match missing.mode {
            SandboxMode::Require => "--sandbox require needs only Landlock and seccomp",
            _ => "pass --sandbox require to refuse runs without Landlock or seccomp",
        };
        eprintln!(
            "whest-runner: worker sandbox without {} ({hint})",
            missing.not_applied.join(", ")
        );
    }
    let mut entries = Vec::with_capacity(n_mlps);
    let scoring = Progress::tagged(
        "run",
        "Scoring",
        n_mlps as u64,
        "MLPs",
        options.progress_mode,
    );
    for (i, mlp) in mlps.iter().enumerate() {
        let name = &mlp.name;
        let result = runner.predict(&MlpRequest {
            weights: &mlp.weights,
            width: spec.width,
            depth: spec.depth,
            seed: mlp.seed,
            name,
            budget: spec.flop_budget,
        });
        let entry = score_mlp(
            i,
            name,
            to_outcome(result),
            &mlp.targets,
            &spec,
            runner.in_process(),
        );
        if options.fail_fast && entry.failed() {
            runner.close();
            let (code, message) = match &entry.error {
                Some(e) => (e.error_code.clone(), e.message.clone()),
                None => (
                    ErrorCode::PredictError.to_string(),
                    format!("MLP {i} ({name}) failed a budget or time check"),
                ),
            };
            return Err(ErrorPayload::new("predict", code, message));
        }
        entries.push(entry);
        scoring.inc(1);
    }
    scoring.finish();
    runner.close();
    let duration = t_run.elapsed().as_secs_f64();
    let mut results = aggregate(entries, &spec);
    results.sampling_breakdown = sampling;
    let mut meta = RunMeta::new(
        started,
        SystemTime::now(),
        duration,
        HostFingerprint::collect(),
    );
    // Read after `close`, so that the workers' cgroup CPU time is complete.
    meta.sandbox = runner.sandbox().as_ref().map(SandboxStatus::to_meta);
    let mut run_config = RunConfig::new(&spec, n_mlps, options.seed);
    run_config.dataset = dataset;
    Ok(Report::new(results, meta, run_config))
}

/// How `run` shows progress on stderr: off with `--json` (stdout stays pure JSON), `[run]
/// phase: i/n` lines with `--format plain`, and otherwise a live line on a terminal and plain
/// lines when stderr is redirected.
pub fn progress_mode(format: Format) -> ProgressMode {
    match format {
        Format::Json => ProgressMode::Off,
        Format::Plain => ProgressMode::Plain,
        Format::Rich => ProgressMode::auto(false, false),
    }
}

/// The sampler's results for `mlps` with a "Sampling ground truth" progress in MLPs, in
/// batches of the size the sampler asks for. Each result is the same as alone.
fn ground_truth_with_progress(
    sampler: &dyn Sampler,
    mlps: &[GeneratedMlp],
    n_samples: usize,
    mode: ProgressMode,
) -> Vec<Result<Sampled, GroundTruthError>> {
    let progress = Progress::tagged(
        "run",
        "Sampling ground truth",
        mlps.len() as u64,
        "MLPs",
        mode,
    );
    let group = mlps.first().map_or(1, |m| {
        sampler.mlps_per_batch(m.width, m.depth, n_samples).max(1)
    });
    let mut results = Vec::with_capacity(mlps.len());
    for batch in mlps.chunks(group) {
        let jobs: Vec<SampleJob<'_>> = batch.iter().map(SampleJob::of).collect();
        results.extend(sampler.sample(&jobs, n_samples));
        progress.inc(batch.len() as u64);
    }
    progress.finish();
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn settings_error(flags: &[&str]) -> String {
        let cli = Cli::try_parse_from([&["whest-runner"], flags].concat()).expect("flags parse");
        settings(&cli.run)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn bad_settings_are_named() {
        let known: Vec<_> = contest::ROUNDS.iter().map(|r| r.tag).collect();
        assert_eq!(
            settings_error(&["--round", "r0"]),
            format!("unknown round \"r0\": use one of {}", known.join(", "))
        );
        assert_eq!(
            settings_error(&["--depth", "0"]),
            "--width and --depth must be at least 1"
        );
        assert_eq!(
            settings_error(&["--n-samples", "0"]),
            "--n-samples must be at least 1"
        );
        assert_eq!(settings_error(&[]), "");
    }
}
