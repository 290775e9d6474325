//! `dataset merge`: partial bakes → one dataset, bit-identical in every row to a
//! single-host bake with the same seeds.
//!
//! Inputs must all be partials with exactly one parquet file, the same split, schema version,
//! `seed, n_samples, width, depth, backend`, `total_n_mlps` and (stricter than Python, which
//! ignores it) the same `seed_protocol`; sorted by `mlp_range.start` they must tile
//! `[0, total)` exactly and each file's `mlp_id`s must equal its declared range.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{json, Map, Value};

use super::bake::write_sidecars;
use super::error::DatasetError;
use super::layout::{parquet_files, split_of_path, DATA_DIR};
use super::metadata::{
    is_partial, mlp_range, positive_field, read_metadata, uint_field, validate_metadata, Metadata,
};
use super::parquet_read::read_parquet_file;
use super::parquet_write::{rows_per_group, ParquetSink};
use super::row::RowShape;
use super::split_name::single_shard_file_name;
use super::staging::{refuse_existing, Staging};
use whest_score::report::meta::utc_isoformat;

/// Fields every partial must agree on (besides schema version and `total_n_mlps`).
const COMMON_FIELDS: [&str; 7] = [
    "seed",
    "n_samples",
    "width",
    "depth",
    "backend",
    "seed_protocol",
    // The input stream (absent from Python bakes): partials of one stream only.
    "whest_rs_stream",
];

/// One partial after validation.
#[derive(Clone)]
struct Partial {
    dir: PathBuf,
    md: Metadata,
    split: String,
    parquet: PathBuf,
    range: (u64, u64),
}

fn incompatible<T>(msg: String) -> Result<T, DatasetError> {
    Err(DatasetError::MergeIncompatible(msg))
}

/// Reads and checks one partial's metadata and file list.
fn open_partial(dir: &Path) -> Result<Partial, DatasetError> {
    let (md, _) = read_metadata(dir)?;
    validate_metadata(&md, true)?;
    if !is_partial(&md) {
        return incompatible(format!(
            "{} is a complete (non-partial) dataset; merge only accepts partial bakes \
             (is_partial=true, from `dataset bake --slice`/`--mlp-range`)",
            dir.display()
        ));
    }
    let files = parquet_files(dir)?;
    let [parquet] = files.as_slice() else {
        return incompatible(format!(
            "{} has {} parquet files in {DATA_DIR}/; a partial has exactly 1",
            dir.display(),
            files.len()
        ));
    };
    let split = split_of_path(parquet).unwrap_or_default();
    let range = mlp_range(&md)?;
    Ok(Partial {
        dir: dir.to_path_buf(),
        split,
        parquet: parquet.clone(),
        range,
        md,
    })
}

/// The partials' hardware grouped by determinism-relevant signature (whestbench's
/// `_collapse_hardware_fingerprints`), null and empty entries dropped.
fn hardware_fingerprints(partials: &[Partial]) -> Vec<Value> {
    let get = |v: &Value, path: &[&str]| {
        path.iter()
            .try_fold(v, |v, k| v.get(*k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let signature = |md: &Value| {
        json!([
            get(md, &["cuda_device_name"]),
            get(md, &["cuda_device_capability"]),
            get(md, &["torch_version"]),
            get(md, &["device"]),
            get(md, &["hardware", "python_version"]),
            get(md, &["hardware", "numpy_version"]),
            get(md, &["whestbench_version"]),
            get(md, &["flopscope_version"]),
            get(md, &["bake_config", "torch_use_deterministic_algorithms"]),
            get(md, &["bake_config", "cudnn_deterministic"]),
            get(md, &["bake_config", "cublas_workspace_config"]),
        ])
    };
    let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
    for p in partials {
        let md = Value::Object(p.md.clone());
        let sig = signature(&md);
        match groups.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, members)) => members.push(md),
            None => groups.push((sig, vec![md])),
        }
    }
    groups
        .into_iter()
        .map(|(_, mds)| {
            let rep = &mds[0];
            let strings = |path: &[&str]| {
                let mut seen: Vec<String> = mds
                    .iter()
                    .filter_map(|m| get(m, path).as_str().map(str::to_string))
                    .collect();
                seen.sort();
                seen.dedup();
                seen
            };
            let drivers = strings(&["cuda_driver_version"]);
            let kernels = strings(&["hardware", "os_release"]);
            let mut hostnames: Vec<String> = Vec::new();
            for m in &mds {
                if let Some(h) = get(m, &["hardware", "hostname"]).as_str() {
                    if !hostnames.iter().any(|x| x == h) {
                        hostnames.push(h.to_string());
                    }
                }
                if hostnames.len() >= 3 {
                    break;
                }
            }
            let bake_config = match get(rep, &["bake_config"]) {
                Value::Object(o) if !o.is_empty() => Value::Object(o),
                _ => Value::Null,
            };
            let fields = [
                ("cuda_device_name", get(rep, &["cuda_device_name"])),
                (
                    "cuda_device_capability",
                    get(rep, &["cuda_device_capability"]),
                ),
                ("torch_version", get(rep, &["torch_version"])),
                ("device", get(rep, &["device"])),
                ("cpu_brand", get(rep, &["hardware", "cpu_brand"])),
                (
                    "cpu_count_logical",
                    get(rep, &["hardware", "cpu_count_logical"]),
                ),
                (
                    "ram_total_bytes",
                    get(rep, &["hardware", "ram_total_bytes"]),
                ),
                ("python_version", get(rep, &["hardware", "python_version"])),
                ("numpy_version", get(rep, &["hardware", "numpy_version"])),
                ("os", get(rep, &["hardware", "os"])),
                ("whestbench_version", get(rep, &["whestbench_version"])),
                ("flopscope_version", get(rep, &["flopscope_version"])),
                ("bake_config", bake_config),
                ("mlp_count", json!(mds.len())),
                ("drivers_seen", json!(drivers)),
                ("kernels_seen", json!(kernels)),
                ("representative_hostnames", json!(hostnames)),
            ];
            Value::Object(
                fields
                    .into_iter()
                    .filter(|(_, v)| !v.is_null() && *v != json!([]))
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>(),
            )
        })
        .collect()
}

/// Merges the partial datasets `inputs` into `output`.
///
/// # Errors
/// [`DatasetError::MergeIncompatible`] (no inputs, a non-partial input, not exactly one
/// parquet file, differing split or bake parameters), [`DatasetError::MergeOverlap`],
/// [`DatasetError::MergeIncomplete`] (a gap or short coverage), [`DatasetError::MergeCorrupt`]
/// (`mlp_id`s that disagree with the declared range), [`DatasetError::Invalid`] for unreadable
/// inputs, [`DatasetError::OutputExists`]. Nothing is written on error.
///
/// Memory: one partial's rows at a time (they are streamed into the output file).
pub fn merge(inputs: &[PathBuf], output: &Path) -> Result<PathBuf, DatasetError> {
    refuse_existing(output)?;
    if inputs.is_empty() {
        return incompatible("merge needs at least one partial dataset folder".into());
    }
    let mut partials = inputs
        .iter()
        .map(|d| open_partial(d))
        .collect::<Result<Vec<_>, _>>()?;
    let first = partials[0].clone();
    let total = uint_field(&first.md, "total_n_mlps")?;
    for p in &partials[1..] {
        if p.split != first.split {
            return incompatible(format!(
                "{} has split {:?}, expected {:?} (from {})",
                p.dir.display(),
                p.split,
                first.split,
                first.dir.display()
            ));
        }
        for key in std::iter::once("schema_version").chain(COMMON_FIELDS) {
            if p.md.get(key) != first.md.get(key) {
                return incompatible(format!(
                    "{}: {key}={} != {} (from {})",
                    p.dir.display(),
                    p.md.get(key).unwrap_or(&Value::Null),
                    first.md.get(key).unwrap_or(&Value::Null),
                    first.dir.display()
                ));
            }
        }
        if uint_field(&p.md, "total_n_mlps")? != total {
            return incompatible(format!(
                "{}: total_n_mlps={} != {total} (from {})",
                p.dir.display(),
                p.md.get("total_n_mlps").unwrap_or(&Value::Null),
                first.dir.display()
            ));
        }
    }
    partials.sort_by_key(|p| p.range.0);
    let mut expected = 0u64;
    for p in &partials {
        let (start, end) = p.range;
        if start < expected {
            return Err(DatasetError::MergeOverlap(format!(
                "{}: mlp_range starts at {start} but the previous partial ends at {expected}",
                p.dir.display()
            )));
        }
        if start > expected {
            return Err(DatasetError::MergeIncomplete(format!(
                "gap: no partial covers MLPs [{expected}, {start}); bake that slice and merge again"
            )));
        }
        expected = end;
    }
    if expected != total {
        return Err(DatasetError::MergeIncomplete(format!(
            "gap: no partial covers MLPs [{expected}, {total}); bake that slice and merge again"
        )));
    }
    let shape = RowShape {
        width: positive_field(&first.md, "width")?,
        depth: positive_field(&first.md, "depth")?,
    };
    let mut md: Metadata = first
        .md
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "is_partial" | "mlp_range" | "total_n_mlps" | "hardware" | "created_at_utc"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    md.insert("n_mlps".into(), json!(total));
    let earliest = partials
        .iter()
        .filter_map(|p| p.md.get("created_at_utc").and_then(Value::as_str))
        .min()
        .map(str::to_string);
    md.insert("created_at_utc".into(), json!(earliest));
    md.insert(
        "merged_at_utc".into(),
        json!(utc_isoformat(SystemTime::now())),
    );
    md.insert(
        "hardware_fingerprints".into(),
        Value::Array(hardware_fingerprints(&partials)),
    );
    md.insert("partials_count".into(), json!(partials.len()));
    validate_metadata(&md, false)?;
    let split = first.split.clone();
    let staging = Staging::begin(output)?;
    let data = staging.path().join(DATA_DIR);
    std::fs::create_dir(&data).map_err(|e| DatasetError::io("creating", &data, &e))?;
    let mut sink = ParquetSink::create(&data.join(single_shard_file_name(&split)), shape)?;
    for p in &partials {
        let part = read_parquet_file(&p.parquet)?;
        let ids: Vec<u64> = part.rows.iter().map(|r| r.mlp_id).collect();
        if ids != (p.range.0..p.range.1).collect::<Vec<_>>() {
            return Err(DatasetError::MergeCorrupt(format!(
                "{}: mlp_id values {:?}… don't match the declared range [{}, {})",
                p.dir.display(),
                &ids[..ids.len().min(5)],
                p.range.0,
                p.range.1
            )));
        }
        if part.shape.is_some_and(|s| s != shape) {
            return Err(DatasetError::MergeCorrupt(format!(
                "{}: rows do not have the metadata's width={}, depth={}",
                p.dir.display(),
                shape.width,
                shape.depth
            )));
        }
        for group in part.rows.chunks(rows_per_group(shape)) {
            sink.write(group)?;
        }
    }
    sink.finish()?;
    write_sidecars(staging.path(), &md, &split)?;
    staging.commit()
}
