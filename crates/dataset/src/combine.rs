//! `dataset combine-splits`: complete single-split datasets → one multi-split
//! dataset. Parquet files are copied byte for byte; the HF-only `prepared/` Arrow copies are
//! not produced (readers of this port and of Python fall back to the parquet files).

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::bake::write_sidecars;
use super::error::DatasetError;
use super::layout::{parquet_files, split_of_path, DATA_DIR};
use super::metadata::{is_multi_split, is_partial, read_metadata, validate_metadata, Metadata};
use super::split_name::{check_config_name, check_split_name};
use super::staging::{refuse_existing, Staging};
use whest_score::report::meta::HostFingerprint;

/// Fields every input must agree on (plus the whole `seed_protocol` object).
const INVARIANTS: [&str; 6] = [
    "schema_version",
    "format",
    "backend",
    "n_samples",
    "width",
    "depth",
];
/// Top-level fields the combined metadata takes from the first input.
const COMMON: [&str; 7] = [
    "schema_version",
    "format",
    "backend",
    "seed_protocol",
    "n_samples",
    "width",
    "depth",
];

/// One validated input.
struct Input {
    dir: PathBuf,
    md: Metadata,
    split: String,
    config: String,
    parquet: PathBuf,
}

fn incompatible<T>(msg: String) -> Result<T, DatasetError> {
    Err(DatasetError::MergeIncompatible(msg))
}

fn open_input(dir: &Path) -> Result<Input, DatasetError> {
    let (md, _) = read_metadata(dir)?;
    validate_metadata(&md, true)?;
    if is_partial(&md) {
        return incompatible(format!(
            "{} is a partial dataset; combine-splits needs complete single-split inputs (run \
             `whest-runner dataset merge` on the partials first)",
            dir.display()
        ));
    }
    if is_multi_split(&md) {
        return incompatible(format!(
            "{} is already a multi-split dataset; combine-splits only accepts single-split inputs",
            dir.display()
        ));
    }
    let files = parquet_files(dir)?;
    let [parquet] = files.as_slice() else {
        return incompatible(format!(
            "{}: expected exactly one parquet file in {DATA_DIR}/, found {}",
            dir.display(),
            files.len()
        ));
    };
    let split = split_of_path(parquet).unwrap_or_default();
    check_split_name(&split).map_err(|e| {
        DatasetError::MergeIncompatible(format!(
            "{}: split name from the parquet file name is invalid: {e}",
            dir.display()
        ))
    })?;
    let config = match md.get("config") {
        None => "default".to_string(),
        Some(Value::String(c)) => c.clone(),
        Some(other) => {
            return incompatible(format!(
                "{}: config must be a string; got {other}",
                dir.display()
            ))
        }
    };
    check_config_name(&config)
        .map_err(|e| DatasetError::MergeIncompatible(format!("{}: {e}", dir.display())))?;
    Ok(Input {
        dir: dir.to_path_buf(),
        md,
        split,
        config,
        parquet: parquet.clone(),
    })
}

/// Combines `inputs` into the multi-split dataset `output`; `default_split` (or, when absent,
/// the only input whose config is `default`) becomes `default_split`.
///
/// # Errors
/// [`DatasetError::MergeIncompatible`] for no inputs, a partial or multi-split input, not
/// exactly one parquet file, an invalid or duplicate split name, an unknown `default_split`,
/// or inputs that disagree on the invariants; [`DatasetError::OutputExists`];
/// [`DatasetError::Invalid`]/[`DatasetError::Io`] for unreadable inputs. Nothing is written
/// on error.
pub fn combine_splits(
    inputs: &[PathBuf],
    output: &Path,
    default_split: Option<&str>,
) -> Result<(PathBuf, Metadata), DatasetError> {
    refuse_existing(output)?;
    if inputs.is_empty() {
        return incompatible("combine-splits needs at least one dataset folder".into());
    }
    let entries = inputs
        .iter()
        .map(|d| open_input(d))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, e) in entries.iter().enumerate() {
        if entries[..i].iter().any(|o| o.split == e.split) {
            return incompatible(format!(
                "duplicate split name {:?} across inputs; each input must contribute a distinct \
                 split",
                e.split
            ));
        }
    }
    let names: Vec<&str> = entries.iter().map(|e| e.split.as_str()).collect();
    if let Some(d) = default_split {
        if !names.contains(&d) {
            return incompatible(format!(
                "--default-split {d:?} is not one of the input splits {names:?}"
            ));
        }
    }
    let first = &entries[0];
    for e in &entries[1..] {
        for key in INVARIANTS.iter().chain(std::iter::once(&"seed_protocol")) {
            if e.md.get(*key) != first.md.get(*key) {
                return incompatible(format!(
                    "{}: {key}={} != {} (from {})",
                    e.dir.display(),
                    e.md.get(*key).unwrap_or(&Value::Null),
                    first.md.get(*key).unwrap_or(&Value::Null),
                    first.dir.display()
                ));
            }
        }
    }
    let mut md: Metadata = COMMON
        .iter()
        .filter_map(|k| first.md.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    let earliest = entries
        .iter()
        .filter_map(|e| e.md.get("created_at_utc").and_then(Value::as_str))
        .min()
        .map(str::to_string);
    md.insert("created_at_utc".into(), json!(earliest));
    let hardware = serde_json::to_value(HostFingerprint::collect())
        .map_err(|e| DatasetError::Io(format!("host fingerprint: {e}")))?;
    md.insert("hardware".into(), hardware);
    let mut splits = Map::new();
    for e in &entries {
        let mut entry = Map::new();
        entry.insert(
            "n_mlps".into(),
            e.md.get("n_mlps").cloned().unwrap_or(Value::Null),
        );
        entry.insert(
            "created_at_utc".into(),
            e.md.get("created_at_utc").cloned().unwrap_or(Value::Null),
        );
        entry.insert("config".into(), json!(e.config));
        if let Some(seed) = e.md.get("seed") {
            entry.insert("seed".into(), seed.clone());
        }
        if let Some(fps) = e.md.get("hardware_fingerprints") {
            entry.insert("hardware_fingerprints".into(), fps.clone());
        } else if let Some(hw) = e.md.get("hardware") {
            entry.insert("hardware_fingerprints".into(), json!([hw]));
        }
        splits.insert(e.split.clone(), Value::Object(entry));
    }
    md.insert("splits".into(), Value::Object(splits));
    let defaults: Vec<&Input> = entries.iter().filter(|e| e.config == "default").collect();
    let chosen = match (default_split, defaults.as_slice()) {
        (Some(d), _) => Some(d.to_string()),
        (None, [only]) => Some(only.split.clone()),
        _ => None,
    };
    if let Some(d) = chosen {
        md.insert("default_split".into(), json!(d));
    }
    validate_metadata(&md, false)?;
    let staging = Staging::begin(output)?;
    let data = staging.path().join(DATA_DIR);
    std::fs::create_dir(&data).map_err(|e| DatasetError::io("creating", &data, &e))?;
    for e in &entries {
        let name = e.parquet.file_name().unwrap_or_default();
        std::fs::copy(&e.parquet, data.join(name))
            .map_err(|err| DatasetError::io("copying", &e.parquet, &err))?;
    }
    write_sidecars(staging.path(), &md, "")?;
    Ok((staging.commit()?, md))
}
