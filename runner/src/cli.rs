//! Command-line interface: argument definitions only. Each command calls into the library.

use std::path::PathBuf;

use crate::sampler_args::SamplerArgs;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::parsers::{positive_f64, strict_u64, strict_usize};

/// Scores WhestBench estimators written in Rust.
#[derive(Debug, Parser)]
#[command(
    name = "whest-runner",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// The command (default: `run`, so `whest-runner --estimator PATH` scores PATH).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `run`'s flags when no command is given.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score an estimator on generated MLPs with Monte-Carlo ground truth.
    Run(Box<RunArgs>),
    /// Check that an estimator loads, sets up and returns a valid prediction on a tiny MLP.
    Validate(ValidateArgs),
    /// Package an estimator crate into a submission tarball with a manifest.
    #[command(after_help = PACKAGE_AFTER_HELP)]
    Package(PackageArgs),
    /// Check a submission tarball against its manifest (hashes, caps, forbidden files, paths).
    ValidatePackage(ValidatePackageArgs),
    /// Build a submission as the grader does (safe unpack, the grader's flopscope and
    /// estimator-api, cargo --locked); prints the built .so's path.
    Build(BuildArgs),
    /// Show report JSONs written by `run --json` (whest-rs or Python whestbench) and plot them.
    Report(ReportArgs),
    /// Bake, inspect, merge and combine schema-3.0 datasets (Python whestbench compatible).
    Dataset(crate::dataset_cmd::args::DatasetArgs),
    /// Internal: serve one estimator as an isolated worker process.
    #[command(name = "__worker", hide = true)]
    Worker,
    /// Print the runner's version and the flopscope / estimator-API versions it was built with.
    Version(VersionArgs),
    /// Create a new estimator crate (Cargo.toml, src/lib.rs, README.md, .gitignore) in PATH.
    Init(InitArgs),
    /// Score the built-in CombinedEstimator on a small contest, then print the next steps.
    SmokeTest(SmokeTestArgs),
    /// Check that this machine can build and score estimators (toolchain, CPU, disk, threads).
    Doctor(DoctorArgs),
    /// Time the MLP forward pass and the ground-truth sampler over a grid of sizes.
    ProfileSimulation(ProfileArgs),
}

/// Where the estimator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RunnerKind {
    /// In this process (fastest; panics are caught, the wall limit is cooperative).
    #[value(alias = "inprocess")]
    #[default]
    Local,
    /// In worker processes with a memory limit and a hard wall-time kill.
    #[value(alias = "server")]
    Subprocess,
}

/// How workers are sandboxed (`--runner subprocess`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SandboxKind {
    /// Landlock and seccomp must both apply, or the run is refused (for graders).
    Require,
    /// What the kernel offers; one line on stderr names what could not be applied.
    #[default]
    Auto,
    /// No Landlock or seccomp (descriptors, environment and limits still apply).
    Off,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable (the default on a terminal).
    Rich,
    /// Human-readable without colour or live updates.
    Plain,
    /// The whestbench report JSON (schema 1.1) on stdout.
    Json,
}

/// Flags of `run`.
#[derive(Debug, Clone, Args, Default)]
pub struct RunArgs {
    /// The estimator: a built `.so` or an estimator crate directory (built with cargo).
    #[arg(long, value_name = "PATH")]
    pub estimator: Option<PathBuf>,
    /// Restore every setting of a round: v1-warmup, v1-phase1 or v2-phase2 (current).
    #[arg(long, value_name = "TAG")]
    pub round: Option<String>,
    /// Number of MLPs to score.
    #[arg(long, value_parser = strict_usize)]
    pub n_mlps: Option<usize>,
    /// Monte-Carlo samples per MLP for the ground truth.
    #[arg(long, value_parser = strict_usize)]
    pub n_samples: Option<usize>,
    /// MLP width (default: the round's).
    #[arg(long, value_parser = strict_usize)]
    pub width: Option<usize>,
    /// MLP depth (default: the round's).
    #[arg(long, value_parser = strict_usize)]
    pub depth: Option<usize>,
    /// FLOP budget per MLP.
    #[arg(long, value_parser = strict_u64)]
    pub flop_budget: Option<u64>,
    /// Per-predict wall-time cap in seconds.
    #[arg(long, value_parser = positive_f64)]
    pub wall_time_limit: Option<f64>,
    /// Residual wall-time cap in seconds.
    #[arg(long, value_parser = positive_f64)]
    pub residual_wall_time_limit: Option<f64>,
    /// Disable the residual wall-time cap.
    #[arg(long)]
    pub no_residual_wall_time_limit: bool,
    /// Residual price λ in FLOPs per second.
    #[arg(long, value_parser = positive_f64)]
    pub lambda_flops_per_second: Option<f64>,
    /// Setup cap in seconds.
    #[arg(long, value_parser = positive_f64)]
    pub setup_timeout: Option<f64>,
    /// Host timeout per predict in seconds for `--runner subprocess` (the worker is killed
    /// after `max(this, wall cap + 5)`; default 30).
    #[arg(long, value_parser = positive_f64)]
    pub predict_timeout: Option<f64>,
    /// Memory limit of a worker process in MiB (enforced by `--runner subprocess`).
    #[arg(long, value_parser = strict_u64)]
    pub memory_limit_mb: Option<u64>,
    /// Run seed: makes the MLPs, samples and `mlp.seed`s reproducible.
    #[arg(long, value_parser = strict_u64)]
    pub seed: Option<u64>,
    /// Where the estimator runs.
    #[arg(long, value_enum, default_value_t = RunnerKind::Local)]
    pub runner: RunnerKind,
    /// Worker sandbox of `--runner subprocess` (README "Security model").
    #[arg(long, value_enum, default_value_t = SandboxKind::Auto)]
    pub sandbox: SandboxKind,
    /// Output format (default: rich on a terminal, else plain).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
    /// Show tracebacks and error details.
    #[arg(long)]
    pub debug: bool,
    /// Stop at the first failing MLP (including exhaustion) with exit code 1.
    #[arg(long)]
    pub fail_fast: bool,
    /// Score on a baked dataset folder instead of generating MLPs (width, depth and targets
    /// come from the dataset; --n-samples is ignored; --n-mlps keeps the first N rows).
    #[arg(long, value_name = "PATH")]
    pub dataset: Option<String>,
    /// Split of a multi-split --dataset (default: its default_split).
    #[arg(long, value_name = "NAME")]
    pub split: Option<String>,
    /// Threads for ground truth and estimator kernels (sets RAYON_NUM_THREADS and the BLAS
    /// thread variables for the run and its workers).
    #[arg(long, value_parser = strict_usize)]
    pub max_threads: Option<usize>,
    /// Where and with which stream the live contest's ground truth is sampled (`--device`,
    /// `--stream`, `--gpu-index`). Ignored with `--dataset`.
    #[command(flatten)]
    pub sampler: SamplerArgs,
    /// After the run, write an SVG chart of the per-layer MSE (mean over MLPs, log scale).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

/// Flags of `validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The estimator: a built `.so` or an estimator crate directory.
    #[arg(long, value_name = "PATH")]
    pub estimator: PathBuf,
    /// Seed for `SetupContext.seed` and the test MLP.
    #[arg(long, value_parser = strict_u64)]
    pub seed: Option<u64>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Show tracebacks.
    #[arg(long)]
    pub debug: bool,
}

/// Flags of `version`.
#[derive(Debug, Clone, Args)]
pub struct VersionArgs {
    /// Print `{ok, command, name, version, ...}` as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Directory of the new estimator crate (created if missing; existing files are kept).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// A whest-rs checkout to depend on by path (default: the runner's own source tree when it
    /// still exists, else the git repository).
    #[arg(long, value_name = "DIR")]
    pub whest_path: Option<PathBuf>,
    /// Print `{ok, created: [...]}` as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `smoke-test`.
#[derive(Debug, Clone, Args)]
pub struct SmokeTestArgs {
    /// MLP width (default 1024).
    #[arg(long, value_parser = strict_usize)]
    pub width: Option<usize>,
    /// MLP depth (default 16).
    #[arg(long, value_parser = strict_usize)]
    pub depth: Option<usize>,
    /// Number of MLPs (default 3).
    #[arg(long, value_parser = strict_usize)]
    pub n_mlps: Option<usize>,
    /// Monte-Carlo samples per MLP (default 5,000).
    #[arg(long, value_parser = strict_usize)]
    pub n_samples: Option<usize>,
    /// Run seed (default: none, as in the Python smoke-test).
    #[arg(long, value_parser = strict_u64)]
    pub seed: Option<u64>,
    /// Threads for ground truth and the estimator's kernels.
    #[arg(long, value_parser = strict_usize)]
    pub max_threads: Option<usize>,
    /// Print the report JSON (schema 1.1) instead of the table and next steps.
    #[arg(long)]
    pub json: bool,
    /// Show tracebacks of failing MLPs.
    #[arg(long)]
    pub debug: bool,
}

/// Flags of `doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Exit 1 on any warning too, not only on failures.
    #[arg(long)]
    pub strict: bool,
    /// Print `{schema_version, checks, counts, overall}` as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A `profile-simulation` size grid (widths × depths × sample counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// 256 × 4 × 10k: a sub-second sanity check.
    SuperQuick,
    /// Width 256, depths 4 and 128, 10k and 100k samples.
    Quick,
    /// Widths 64 and 256, depths 4, 32 and 128, 10k and 100k samples.
    Standard,
    /// As standard, plus 1M samples.
    Exhaustive,
}

/// Flags of `profile-simulation`.
#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// The size grid.
    #[arg(long, value_enum, default_value_t = Preset::Standard)]
    pub preset: Preset,
    /// Also write the JSON report to FILE (refused if FILE exists).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print every timed run, not only the medians.
    #[arg(long)]
    pub verbose: bool,
    /// Threads for the forward pass and the sampler.
    #[arg(long, value_parser = strict_usize)]
    pub max_threads: Option<usize>,
    /// Print the JSON report on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Shown after `package --help`: what is and is not automated about submitting.
const PACKAGE_AFTER_HELP: &str = "\
Submitting: `whest submit` and `whest login` (upload to AIcrowd) are not part of whest-runner:
they need the network and an AIcrowd account. Check the tarball with
`whest-runner validate-package FILE` and `whest-runner build --locked FILE`, then upload it by hand
on the challenge's AIcrowd submission page.";

/// Flags of `package`.
#[derive(Debug, Clone, Args)]
pub struct PackageArgs {
    /// The estimator crate folder (a cdylib depending on estimator-api).
    #[arg(long, value_name = "DIR")]
    pub estimator: PathBuf,
    /// Where to write the archive (default: submission-YYYYmmdd-HHMMSS.tar.gz here, UTC).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Dependencies allowed beyond the default list.
    #[command(flatten)]
    pub allow: AllowArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The dependency allow-list flags of `package`, `validate-package` and `build`.
#[derive(Debug, Clone, Default, Args)]
pub struct AllowArgs {
    /// Also allow crates.io crate NAME (repeatable); `NAME+build` also allows its build script
    /// or proc-macro.
    #[arg(long = "allow-crate", value_name = "NAME[+build]")]
    pub crates: Vec<String>,
    /// Also allow the crates listed in FILE (one `NAME[+build]` per line, `#` comments).
    #[arg(long = "allow-list", value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Flags of `validate-package`.
#[derive(Debug, Clone, Args)]
pub struct ValidatePackageArgs {
    /// The submission .tar.gz.
    #[arg(value_name = "ARTIFACT")]
    pub artifact: PathBuf,
    /// Dependencies allowed beyond the default list.
    #[command(flatten)]
    pub allow: AllowArgs,
    /// Print the result as JSON (`{ok, artifact, issues}`).
    #[arg(long)]
    pub json: bool,
}

/// Flags of `build`.
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// A submission .tar.gz, or an unpacked submission folder (with manifest.json).
    #[arg(value_name = "ARTIFACT_OR_DIR")]
    pub source: PathBuf,
    /// Build exactly the shipped Cargo.lock (`cargo build --locked`), as the grader does.
    #[arg(long)]
    pub locked: bool,
    /// Fresh folder to unpack and build in (default: <ARTIFACT without .tar.gz>-build beside it).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Cargo profile to build with.
    #[arg(long, value_name = "NAME", default_value = "release")]
    pub profile: String,
    /// Dependencies allowed beyond the default list.
    #[command(flatten)]
    pub allow: AllowArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Report JSON files written by `run --json` (schema 1.x).
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,
    /// Also draw the per-layer MSE of every report, one line each, on one SVG chart.
    #[arg(long, value_name = "OUT.svg")]
    pub plot: Option<PathBuf>,
    /// Output format: the human report (rich or plain) or the report JSON (a list for several).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_parsed_strictly() {
        assert_eq!(strict_u64("1_000_000"), Ok(1_000_000));
        assert!(strict_u64("1e9").is_err());
        assert!(strict_u64("-3").is_err());
        assert!(strict_u64("").is_err());
    }

    #[test]
    fn the_command_is_optional() {
        let cli = Cli::try_parse_from(["whest-runner", "--estimator", "x.so", "--n-mlps", "2"])
            .expect("shorthand parses");
        assert!(cli.command.is_none());
        assert_eq!(cli.run.n_mlps, Some(2));
        let cli = Cli::try_parse_from([
            "whest-runner",
            "run",
            "--estimator",
            "x.so",
            "--runner",
            "server",
        ])
        .expect("alias parses");
        assert!(
            matches!(cli.command, Some(Command::Run(ref r)) if r.runner == RunnerKind::Subprocess)
        );
    }
}
