//! Loading one split of a local dataset for scoring: metadata validated (partials refused),
//! the split chosen (multi-split: `--split`, else `default_split`, else an error listing the
//! splits), rows read and checked against the metadata's shape and count, and the seed
//! protocol resolved.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::{invalid, DatasetError};
use super::layout::read_split_rows;
use super::metadata::{
    is_multi_split, positive_field, project_split, read_metadata, sha256_hex, split_names,
    uint_field, validate_metadata, Metadata,
};
use super::row::{DatasetRow, RowShape};
use super::seed_protocol::SeedProtocol;

/// The split a single-split dataset has when its metadata names none.
pub const DEFAULT_SPLIT: &str = "public";

/// One loaded split.
#[derive(Clone, Debug)]
pub struct LoadedSplit {
    /// The dataset folder.
    pub root: PathBuf,
    /// The split loaded.
    pub split: String,
    /// Single-split-shaped metadata (a multi-split dataset's projection for `split`).
    pub metadata: Metadata,
    /// SHA-256 (hex) of the raw `metadata.json`.
    pub metadata_sha256: String,
    /// The resolved seed protocol.
    pub protocol: SeedProtocol,
    /// Width and depth from the metadata (every row checked against them).
    pub shape: RowShape,
    /// The rows, in file order.
    pub rows: Vec<DatasetRow>,
    /// Set when the split was chosen from `default_split` (for a notice).
    pub used_default_split: bool,
}

/// Loads `split` (or the default one) of the local dataset at `root`.
///
/// # Errors
/// [`DatasetError::Invalid`] for invalid metadata, a partial dataset (with the merge hint), a
/// multi-split dataset without `--split` or `default_split` (listing the splits), an unknown
/// split, unreadable rows, or rows that disagree with the metadata's width, depth or n_mlps.
pub fn load_split(root: &Path, split: Option<&str>) -> Result<LoadedSplit, DatasetError> {
    let (md, raw) = read_metadata(root)?;
    validate_metadata(&md, false)?;
    let mut used_default_split = false;
    let (split, metadata) = if is_multi_split(&md) {
        let chosen = match split {
            Some(s) => s.to_string(),
            None => match md.get("default_split").and_then(Value::as_str) {
                Some(d) => {
                    used_default_split = true;
                    d.to_string()
                }
                None => {
                    return invalid(format!(
                        "dataset {} is multi-split with splits {:?}; pass --split <name> to \
                         select one",
                        root.display(),
                        split_names(&md)
                    ))
                }
            },
        };
        let projected = project_split(&md, &chosen)?;
        (chosen, projected)
    } else {
        let own = md
            .get("split")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_SPLIT)
            .to_string();
        if let Some(s) = split {
            if s != own {
                return invalid(format!(
                    "dataset {} has the single split {own:?}; --split {s:?} does not exist",
                    root.display()
                ));
            }
        }
        (own, md.clone())
    };
    let shape = RowShape {
        width: positive_field(&metadata, "width")?,
        depth: positive_field(&metadata, "depth")?,
    };
    let n_mlps = uint_field(&metadata, "n_mlps")?;
    let protocol = SeedProtocol::resolve(metadata.get("seed_protocol").unwrap_or(&Value::Null))?;
    let rows = read_split_rows(root, &split)?;
    if let Some(s) = rows.shape {
        if s != shape {
            return invalid(format!(
                "dataset {} split {split:?}: rows have width={}, depth={} but metadata says \
                 width={}, depth={}",
                root.display(),
                s.width,
                s.depth,
                shape.width,
                shape.depth
            ));
        }
    }
    if rows.rows.len() as u64 != n_mlps {
        return invalid(format!(
            "dataset {} split {split:?}: metadata says n_mlps={n_mlps} but the parquet files \
             hold {} rows",
            root.display(),
            rows.rows.len()
        ));
    }
    Ok(LoadedSplit {
        root: root.to_path_buf(),
        split,
        metadata,
        metadata_sha256: sha256_hex(&raw),
        protocol,
        shape,
        rows: rows.rows,
        used_default_split,
    })
}
