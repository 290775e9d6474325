//! `dataset bake`: MLPs from per-MLP input seeds (protocol 3.0), Monte-Carlo ground
//! truth from the runner's sampler, written as a schema-3.0 dataset.
//!
//! MLPs are processed in batches: a batch's weights are generated in parallel, its ground truth
//! comes from the [`Sampler`] the caller chose (one call per batch), and
//! its rows are streamed into the parquet file, so memory holds one batch, never the dataset.
//! Output goes through [`Staging`]: nothing appears at `--output` until the bake is complete.

use std::path::PathBuf;
use std::time::SystemTime;

use rayon::prelude::*;
use serde_json::{json, Map, Value};

use super::card::render_card;
use super::error::DatasetError;
use super::layout::{DATA_DIR, README_FILE};
use super::metadata::{validate_metadata, Metadata, METADATA_FILE, SCHEMA_FORMAT, SCHEMA_VERSION};
use super::parquet_write::ParquetSink;
use super::row::{DatasetRow, RowShape};
use super::seed_protocol::v3_metadata;
use super::slice::{check_range, MlpRange};
use super::split_name::{check_config_name, check_split_name, single_shard_file_name};
use super::staging::Staging;
use whest_contest::mlp_gen::{estimator_seed_v3, generate_from_input_seed, GeneratedMlp};
use whest_contest::names::assign_unique_names;
use whest_contest::{GroundTruth, InputStream, SampleJob, Sampler};
use whest_score::report::meta::{utc_isoformat, HostFingerprint};
use whest_score::report::to_python_json_line;
use whest_score::report::{to_python_json, WHEST_RS_VERSION};

/// The backend a whest-rs bake with the numpy stream records: its rows are what the Python
/// reference's flopscope bake computes.
pub const BACKEND: &str = "flopscope";
/// The backend a whest-rs bake with the Philox stream records (any device): a name of ours,
/// since no Python backend draws that stream.
pub const PHILOX_BACKEND: &str = "whest-rs-philox";
/// Metadata key naming the input stream ([`whest_contest::InputStream::id`]); absent from
/// Python bakes.
pub const STREAM_KEY: &str = "whest_rs_stream";
/// Metadata key with one sentence on how the stream draws `x[s][j]`.
pub const STREAM_DESCRIPTION_KEY: &str = "whest_rs_stream_description";
/// Metadata key naming the device (`cpu`, `cuda`), as torch bakes record `device`.
pub const DEVICE_KEY: &str = "device";
/// Metadata key with the sampler's one-line description (device, GPU name, threads).
pub const SAMPLER_KEY: &str = "whest_rs_sampler";
/// Upper bound on the weights a batch holds in memory when the batch size is automatic.
pub const BATCH_WEIGHT_BYTES: usize = 1 << 30;

/// Everything a bake needs.
#[derive(Clone, Debug, PartialEq)]
pub struct BakeSpec {
    /// MLPs in the logical dataset.
    pub n_mlps: usize,
    /// Monte-Carlo samples per MLP.
    pub n_samples: usize,
    /// Width `w`.
    pub width: usize,
    /// Depth `d`.
    pub depth: usize,
    /// Input seeds of all `n_mlps` MLPs (distinct, `< 2^63`).
    pub seeds: Vec<u64>,
    /// The MLPs to bake (`[0, n_mlps)` for a whole bake; anything else is a partial).
    pub range: MlpRange,
    /// Split name (file name and metadata).
    pub split: String,
    /// HF config name.
    pub config: String,
    /// Output folder (must not exist).
    pub output: PathBuf,
    /// MLPs generated and sampled together (`None`: automatic, see [`auto_batch_size`]).
    pub mlps_per_batch: Option<usize>,
}

/// Progress of a running bake, reported after every batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BakeTick {
    /// MLPs finished.
    pub mlps_done: usize,
    /// MLPs in this bake.
    pub mlps_total: usize,
    /// Monte-Carlo samples drawn so far (`mlps_done · n_samples`).
    pub samples_done: u128,
    /// Samples the bake will draw.
    pub samples_total: u128,
}

/// What a finished bake wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct BakeSummary {
    /// The dataset folder.
    pub output: PathBuf,
    /// Rows written.
    pub rows: usize,
    /// Whether it is a partial (sliced) bake.
    pub partial: bool,
}

/// Automatic batch size: what `sampler` asks for at this shape (for the CPU sampler, one MLP at
/// a time when its chunks alone keep every thread busy, otherwise one MLP per thread), never
/// more than [`BATCH_WEIGHT_BYTES`] of weights.
pub fn auto_batch_size(
    sampler: &dyn Sampler,
    width: usize,
    depth: usize,
    n_samples: usize,
) -> usize {
    let wanted = sampler.mlps_per_batch(width, depth, n_samples).max(1);
    let per_mlp = 4usize
        .saturating_mul(depth)
        .saturating_mul(width)
        .saturating_mul(width)
        .max(1);
    wanted.min(BATCH_WEIGHT_BYTES / per_mlp).max(1)
}

/// Checks the shape, names, seeds and range of a bake.
fn check_spec(spec: &BakeSpec) -> Result<MlpRange, DatasetError> {
    let bad = |m: String| Err(DatasetError::BadArgument(m));
    if spec.n_mlps == 0 || spec.n_samples == 0 || spec.width == 0 || spec.depth == 0 {
        return bad("--n-mlps, --n-samples, --width and --depth must all be at least 1".into());
    }
    if spec
        .depth
        .checked_mul(spec.width)
        .and_then(|x| x.checked_mul(spec.width))
        .and_then(|x| x.checked_mul(4))
        .is_none_or(|b| b > i32::MAX as usize)
    {
        return bad(format!(
            "width={} depth={} gives more weights per MLP than a parquet list can hold",
            spec.width, spec.depth
        ));
    }
    if spec.n_mlps > i32::MAX as usize {
        return bad(format!(
            "--n-mlps {} exceeds the int32 mlp_id column",
            spec.n_mlps
        ));
    }
    check_split_name(&spec.split).map_err(|e| DatasetError::BadArgument(e.to_string()))?;
    check_config_name(&spec.config).map_err(|e| DatasetError::BadArgument(e.to_string()))?;
    if spec.seeds.len() != spec.n_mlps {
        return bad(format!(
            "mlp_seeds has length {}, expected n_mlps={}",
            spec.seeds.len(),
            spec.n_mlps
        ));
    }
    check_range(spec.range, spec.n_mlps)
}

/// The metadata of a 3.0 bake (key order as whestbench writes it).
///
/// Besides whestbench's keys it records the ground truth's stream and device
/// ([`STREAM_KEY`], [`STREAM_DESCRIPTION_KEY`], [`DEVICE_KEY`], [`SAMPLER_KEY`]); whestbench
/// ignores keys it does not know, and the seed protocol is unchanged.
fn bake_metadata(
    spec: &BakeSpec,
    created: SystemTime,
    rows: usize,
    sampler: &dyn Sampler,
) -> Result<Metadata, DatasetError> {
    let hardware = serde_json::to_value(HostFingerprint::collect())
        .map_err(|e| DatasetError::Io(format!("host fingerprint: {e}")))?;
    let mut md = Map::new();
    md.insert("schema_version".into(), json!(SCHEMA_VERSION));
    md.insert("format".into(), json!(SCHEMA_FORMAT));
    let stream = sampler.stream();
    let backend = match stream {
        InputStream::NumpyPcg64 => BACKEND,
        InputStream::Philox => PHILOX_BACKEND,
    };
    md.insert("backend".into(), json!(backend));
    md.insert("seed_protocol".into(), v3_metadata());
    md.insert("created_at_utc".into(), json!(utc_isoformat(created)));
    md.insert("split".into(), json!(spec.split));
    md.insert("config".into(), json!(spec.config));
    md.insert("n_mlps".into(), json!(rows));
    md.insert("n_samples".into(), json!(spec.n_samples));
    md.insert("width".into(), json!(spec.width));
    md.insert("depth".into(), json!(spec.depth));
    md.insert("hardware".into(), hardware);
    md.insert("whestbench_version".into(), json!(WHEST_RS_VERSION));
    md.insert("flopscope_version".into(), json!(flopscope::VERSION));
    md.insert(STREAM_KEY.into(), json!(stream.id()));
    md.insert(STREAM_DESCRIPTION_KEY.into(), json!(stream.description()));
    md.insert(DEVICE_KEY.into(), json!(sampler.device().name()));
    md.insert(SAMPLER_KEY.into(), json!(sampler.describe()));
    if (spec.range.start, spec.range.end) != (0, spec.n_mlps) {
        md.insert("is_partial".into(), json!(true));
        md.insert(
            "mlp_range".into(),
            json!([spec.range.start, spec.range.end]),
        );
        md.insert("total_n_mlps".into(), json!(spec.n_mlps));
    }
    validate_metadata(&md, true)?;
    Ok(md)
}

/// Writes `README.md` and then `metadata.json` (last, so an incomplete folder never loads).
///
/// # Errors
/// [`DatasetError::Io`] on a write failure.
pub fn write_sidecars(
    dir: &std::path::Path,
    md: &Metadata,
    split: &str,
) -> Result<(), DatasetError> {
    let readme = dir.join(README_FILE);
    std::fs::write(&readme, render_card(md, split))
        .map_err(|e| DatasetError::io("writing", &readme, &e))?;
    let path = dir.join(METADATA_FILE);
    std::fs::write(&path, to_python_json(&Value::Object(md.clone())))
        .map_err(|e| DatasetError::io("writing", &path, &e))
}

/// The dataset row of a generated MLP with its ground truth.
fn row_of(
    mlp_id: usize,
    input_seed: u64,
    name: &str,
    mlp: GeneratedMlp,
    truth: GroundTruth,
    breakdown: String,
) -> DatasetRow {
    DatasetRow {
        mlp_id: mlp_id as u64,
        mlp_name: name.to_string(),
        mlp_seed: input_seed,
        weights: mlp.weights.to_vec(),
        all_layer_means: truth.all_layer_means,
        final_means: truth.final_means,
        avg_variance: truth.avg_variance,
        sampling_budget_breakdown: breakdown,
    }
}

/// Bakes `spec` with ground truth from `sampler` and calls `progress` after every batch.
///
/// Names are assigned over all `n_mlps` seeds before slicing, so a slice's names (and their
/// `-2`, `-3` suffixes) equal the same rows of a whole bake.
///
/// # Errors
/// [`DatasetError::BadArgument`] for an invalid spec, [`DatasetError::OutputExists`] for an
/// existing output, [`DatasetError::Io`] for file-system failures. On any error nothing is
/// left at `spec.output`.
pub fn bake(
    spec: &BakeSpec,
    sampler: &dyn Sampler,
    progress: &mut dyn FnMut(&BakeTick),
) -> Result<BakeSummary, DatasetError> {
    let range = check_spec(spec)?;
    let created = SystemTime::now();
    let staging = Staging::begin(&spec.output)?;
    let estimator_seeds: Vec<u64> = spec
        .seeds
        .par_iter()
        .map(|&s| u64::from(estimator_seed_v3(s)))
        .collect();
    let names = assign_unique_names(&estimator_seeds);
    let shape = RowShape {
        width: spec.width,
        depth: spec.depth,
    };
    let data = staging.path().join(DATA_DIR);
    std::fs::create_dir(&data).map_err(|e| DatasetError::io("creating", &data, &e))?;
    let mut sink = ParquetSink::create(&data.join(single_shard_file_name(&spec.split)), shape)?;
    let batch = spec
        .mlps_per_batch
        .unwrap_or_else(|| auto_batch_size(sampler, spec.width, spec.depth, spec.n_samples))
        .max(1);
    let indices: Vec<usize> = (range.start..range.end).collect();
    let mut tick = BakeTick {
        mlps_done: 0,
        mlps_total: indices.len(),
        samples_done: 0,
        samples_total: indices.len() as u128 * spec.n_samples as u128,
    };
    progress(&tick);
    for group in indices.chunks(batch) {
        let mlps: Vec<GeneratedMlp> = group
            .par_iter()
            .map(|&i| generate_from_input_seed(spec.seeds[i], spec.width, spec.depth))
            .collect();
        let jobs: Vec<SampleJob<'_>> = mlps.iter().map(SampleJob::of).collect();
        let sampled = sampler.sample(&jobs, spec.n_samples);
        drop(jobs);
        let mut rows = Vec::with_capacity(group.len());
        for ((&i, mlp), result) in group.iter().zip(mlps).zip(sampled) {
            let sampled = result.map_err(|e| {
                DatasetError::BadArgument(format!("ground truth of MLP {i} failed: {e}"))
            })?;
            rows.push(row_of(
                i,
                spec.seeds[i],
                &names[i],
                mlp,
                sampled.truth,
                to_python_json_line(&sampled.sampling),
            ));
        }
        sink.write(&rows)?;
        tick.mlps_done += group.len();
        tick.samples_done += group.len() as u128 * spec.n_samples as u128;
        progress(&tick);
    }
    sink.finish()?;
    let md = bake_metadata(spec, created, indices.len(), sampler)?;
    write_sidecars(staging.path(), &md, &spec.split)?;
    let output = staging.commit()?;
    Ok(BakeSummary {
        output,
        rows: indices.len(),
        partial: md.contains_key("is_partial"),
    })
}
