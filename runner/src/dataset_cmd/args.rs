//! Command-line flags of `whest-runner dataset …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::parsers::{strict_u64, strict_usize};
use crate::sampler_args::SamplerArgs;
use whest_contest::{DeviceChoice, InputStream};

/// `whest-runner dataset <verb>`.
#[derive(Debug, Clone, Args)]
pub struct DatasetArgs {
    /// The dataset verb.
    #[command(subcommand)]
    pub command: DatasetCommand,
}

/// The dataset verbs.
#[derive(Debug, Clone, Subcommand)]
pub enum DatasetCommand {
    /// Bake a schema-3.0 dataset: MLPs from per-MLP seeds plus Monte-Carlo ground truth.
    Bake(BakeArgs),
    /// Print a dataset's metadata summary.
    Info(InfoArgs),
    /// Merge partial (sliced) bakes into one dataset.
    Merge(MergeArgs),
    /// Combine complete single-split datasets into one multi-split dataset.
    CombineSplits(CombineArgs),
    /// Print a JSON array of N distinct random per-MLP seeds (for --mlp-seeds).
    GenerateSeeds(GenerateSeedsArgs),
    /// Re-sample a dataset's first rows here with its recorded stream and report the largest
    /// difference in Monte-Carlo standard errors (exit 1 beyond the threshold).
    Verify(VerifyArgs),
}

/// Flags of `dataset verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Dataset folder.
    pub source: PathBuf,
    /// Split of a multi-split dataset (default: its default_split).
    #[arg(long, value_name = "NAME")]
    pub split: Option<String>,
    /// Rows to re-sample (the first K).
    #[arg(long, value_name = "K", default_value = "1", value_parser = strict_usize)]
    pub n_mlps: usize,
    /// Samples per row (default: the dataset's n_samples; fewer gives a statistical check).
    #[arg(long, value_parser = strict_usize)]
    pub n_samples: Option<usize>,
    /// Where to re-sample: `cpu` (default), `cuda` or `auto`.
    #[arg(long, value_name = "cpu|cuda|auto", default_value = "cpu")]
    pub device: DeviceChoice,
    /// Re-sample with this stream instead of the recorded one (`numpy` or `philox`); a
    /// different stream makes the check statistical (independent estimates).
    #[arg(long, value_name = "numpy|philox")]
    pub stream: Option<InputStream>,
    /// CUDA device ordinal for `--device cuda|auto`.
    #[arg(long, value_name = "N", default_value = "0", value_parser = strict_usize)]
    pub gpu_index: usize,
}

/// Flags of `dataset bake`.
#[derive(Debug, Clone, Args)]
pub struct BakeArgs {
    /// MLPs in the (logical) dataset.
    #[arg(long, value_parser = strict_usize)]
    pub n_mlps: usize,
    /// Monte-Carlo samples per MLP.
    #[arg(long, value_parser = strict_usize)]
    pub n_samples: usize,
    /// Neurons per layer.
    #[arg(long, value_parser = strict_usize)]
    pub width: usize,
    /// Number of weight matrices.
    #[arg(long, value_parser = strict_usize)]
    pub depth: usize,
    /// Output folder (must not exist).
    #[arg(long)]
    pub output: PathBuf,
    /// JSON array of exactly --n-mlps distinct seeds in [0, 2^63) (default: random; required
    /// with --slice/--mlp-range so every worker bakes the same logical dataset).
    #[arg(long, value_name = "FILE")]
    pub mlp_seeds: Option<PathBuf>,
    /// Split name.
    #[arg(long, default_value = "public")]
    pub split: String,
    /// HF config name.
    #[arg(long, default_value = "default")]
    pub config: String,
    /// Bake slice K of N (`K/N`), or `auto` to read K and N from SLURM_ARRAY_TASK_ID /
    /// SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX + --slice-count/WHEST_SLICE_COUNT.
    #[arg(long = "slice", value_name = "K/N|auto", conflicts_with = "mlp_range")]
    pub slice: Option<String>,
    /// Slice count for `--slice auto` under a Kubernetes indexed Job (else WHEST_SLICE_COUNT).
    #[arg(long, value_parser = strict_usize)]
    pub slice_count: Option<usize>,
    /// Bake MLPs A to B inclusive (`A-B`).
    #[arg(long, value_name = "A-B")]
    pub mlp_range: Option<String>,
    /// MLPs generated and sampled together (default: automatic, bounded to 1 GiB of weights).
    #[arg(long, value_parser = strict_usize)]
    pub mlps_per_batch: Option<usize>,
    /// Threads for generation and ground truth (default: all cores).
    #[arg(long, value_parser = strict_usize)]
    pub threads: Option<usize>,
    /// `--device`, `--stream`, `--gpu-index`.
    #[command(flatten)]
    pub sampler: SamplerArgs,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
    /// Removed legacy flag (protocol 2.0); rejected with a pointer to --mlp-seeds.
    #[arg(long, hide = true, value_parser = strict_u64)]
    pub seed: Option<u64>,
}

/// Flags of `dataset info`.
#[derive(Debug, Clone, Args)]
pub struct InfoArgs {
    /// Dataset folder.
    pub source: String,
}

/// Flags of `dataset merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Partial dataset folders.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output folder (must not exist).
    #[arg(long)]
    pub output: PathBuf,
}

/// Flags of `dataset combine-splits`.
#[derive(Debug, Clone, Args)]
pub struct CombineArgs {
    /// Complete single-split dataset folders, one per split.
    #[arg(required = true)]
    pub input_dirs: Vec<PathBuf>,
    /// Output folder (must not exist).
    #[arg(long)]
    pub output: PathBuf,
    /// Split that `run --dataset` uses when --split is omitted.
    #[arg(long)]
    pub default_split: Option<String>,
    /// Accepted for compatibility with Python scripts: whest-runner never writes the HF-only
    /// `prepared/` Arrow copies.
    #[arg(long)]
    pub skip_prepared_arrow: bool,
}

/// Flags of `dataset generate-seeds`.
#[derive(Debug, Clone, Args)]
pub struct GenerateSeedsArgs {
    /// How many seeds.
    #[arg(long, value_parser = strict_usize)]
    pub n_mlps: usize,
}
