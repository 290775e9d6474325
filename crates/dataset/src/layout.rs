//! The on-disk layout of a dataset: `data/<split>-*.parquet`, `metadata.json`,
//! `README.md`, and an optional `prepared/` tree this port tolerates but never reads.

use std::path::{Path, PathBuf};

use super::error::{invalid, DatasetError};
use super::parquet_read::{read_parquet_file, ParquetRows};
use super::split_name::split_of_parquet_file;

/// The folder holding the parquet shards.
pub const DATA_DIR: &str = "data";
/// The dataset card.
pub const README_FILE: &str = "README.md";

/// Every `*.parquet` file in `root/data`, sorted by file name.
///
/// # Errors
/// [`DatasetError::Invalid`] when `data/` is missing or unreadable.
pub fn parquet_files(root: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let data = root.join(DATA_DIR);
    let entries = std::fs::read_dir(&data).map_err(|e| {
        DatasetError::Invalid(format!(
            "{}: cannot list the dataset's data folder ({e}); a dataset keeps its parquet files \
             in data/",
            data.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files)
}

/// The split a parquet path belongs to (see [`split_of_parquet_file`]).
pub fn split_of_path(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    split_of_parquet_file(name).map(str::to_string)
}

/// The shards of `split`, sorted (`data/<split>-NNNNN-of-MMMMM.parquet`, or
/// `data/<split>.parquet`).
///
/// # Errors
/// [`DatasetError::Invalid`] when the split has no parquet file (the message lists the splits
/// that do).
pub fn shards_for_split(root: &Path, split: &str) -> Result<Vec<PathBuf>, DatasetError> {
    let all = parquet_files(root)?;
    let shards: Vec<PathBuf> = all
        .iter()
        .filter(|p| split_of_path(p).as_deref() == Some(split))
        .cloned()
        .collect();
    if shards.is_empty() {
        let mut present: Vec<String> = all.iter().filter_map(|p| split_of_path(p)).collect();
        present.dedup();
        return invalid(format!(
            "{}: no parquet file for split {split:?} in data/ (found splits: {present:?})",
            root.display()
        ));
    }
    Ok(shards)
}

/// The rows of `split`: its shards read in sorted order and concatenated.
///
/// # Errors
/// As [`shards_for_split`] and [`read_parquet_file`]; also when shards disagree on shape.
pub fn read_split_rows(root: &Path, split: &str) -> Result<ParquetRows, DatasetError> {
    let mut out = ParquetRows {
        rows: Vec::new(),
        shape: None,
    };
    for shard in shards_for_split(root, split)? {
        let part = read_parquet_file(&shard)?;
        match (out.shape, part.shape) {
            (Some(a), Some(b)) if a != b => {
                return invalid(format!(
                    "{}: shard has width={}, depth={} but earlier shards of split {split:?} \
                     have width={}, depth={}",
                    shard.display(),
                    b.width,
                    b.depth,
                    a.width,
                    a.depth
                ))
            }
            (None, s) => out.shape = s,
            _ => {}
        }
        out.rows.extend(part.rows);
    }
    Ok(out)
}
