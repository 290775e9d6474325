//! `metadata.json`: reading, validation exactly as whestbench's
//! `validate_metadata`, the split projection of multi-split metadata, and typed accessors.
//!
//! Metadata stays a JSON object (key order preserved) so that fields this port does not
//! interpret (torch provenance, `hardware_fingerprints`, …) survive merge and combine intact.

use std::path::Path;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::error::{invalid, DatasetError};
use super::kdf_v4::to_hex;
use super::seed_protocol::{known_version, NAME_V2, NAME_V3, NAME_V4};
use super::split_name::{check_config_name, check_split_name, NameError};

/// The only schema version this port reads and writes.
pub const SCHEMA_VERSION: &str = "3.0";
/// The `format` field of every dataset.
pub const SCHEMA_FORMAT: &str = "hf-datasets-parquet";
/// File name of the metadata sidecar.
pub const METADATA_FILE: &str = "metadata.json";

/// A dataset's metadata object.
pub type Metadata = Map<String, Value>;

/// `metadata.json` of `dataset_dir`, parsed, plus its raw bytes (for the SHA-256 that reports
/// record). Not validated: call [`validate_metadata`].
///
/// # Errors
/// [`DatasetError::Invalid`] when the file is missing, not JSON, or not a JSON object.
pub fn read_metadata(dataset_dir: &Path) -> Result<(Metadata, Vec<u8>), DatasetError> {
    let path = dataset_dir.join(METADATA_FILE);
    if !path.is_file() {
        return invalid(format!(
            "missing metadata.json at {}: not a whestbench dataset directory (bake one with \
             `whest-runner dataset bake`)",
            path.display()
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| DatasetError::io("reading", &path, &e))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(md)) => Ok((md, bytes)),
        Ok(_) => invalid(format!(
            "metadata.json at {} is not a JSON object",
            path.display()
        )),
        Err(e) => invalid(format!(
            "metadata.json at {} is not valid JSON: {e}",
            path.display()
        )),
    }
}

/// Lowercase hex SHA-256 of `bytes` (`run_config.dataset.sha256` hashes `metadata.json`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Validates metadata like whestbench 0.16.2's `validate_metadata`: schema version,
/// seed protocol (and 4.0 salt declaration), split/config names, then the single- or
/// multi-split shape (decided by the presence of `splits`). A partial single-split dataset is
/// refused unless `allow_partial`.
///
/// # Errors
/// [`DatasetError::Invalid`] naming the first violated rule.
pub fn validate_metadata(md: &Metadata, allow_partial: bool) -> Result<(), DatasetError> {
    let Some(schema) = md.get("schema_version") else {
        return invalid(
            "metadata is missing 'schema_version'; if this is a legacy .npz dataset, re-bake it \
             with `whest-runner dataset bake`",
        );
    };
    if schema != SCHEMA_VERSION {
        return invalid(format!(
            "schema_version is {schema}, this runner requires \"{SCHEMA_VERSION}\"; re-bake the \
             dataset with `whest-runner dataset bake`"
        ));
    }
    let proto = md.get("seed_protocol").cloned().unwrap_or(Value::Null);
    let Some(version) = known_version(&proto) else {
        return invalid(format!(
            "unknown seed_protocol {proto}; known protocols: '{NAME_V2}'@'2.0', \
             '{NAME_V3}'@'3.0', '{NAME_V4}'@'4.0'"
        ));
    };
    let explicit_seeds = version != "2.0";
    if version == "4.0" {
        validate_v4_salt_declaration(&proto)?;
    }
    for (key, check) in [
        (
            "split",
            check_split_name as fn(&str) -> Result<(), NameError>,
        ),
        ("config", check_config_name),
    ] {
        if let Some(v) = md.get(key) {
            let Some(s) = v.as_str() else {
                return invalid(format!("'{key}' must be a string; got {v}"));
            };
            check(s).map_err(|e| DatasetError::Invalid(format!("invalid {key} field: {e}")))?;
        }
    }
    if md.contains_key("splits") {
        return validate_multi_split(md, version, explicit_seeds);
    }
    if !md.contains_key("n_mlps") {
        return invalid("single-split metadata missing required field 'n_mlps'");
    }
    match (explicit_seeds, md.contains_key("seed")) {
        (true, true) => {
            return invalid(format!(
                "seed_protocol {version}: single-split metadata must not have a top-level \
                 'seed' field; the parquet mlp_seed column is the canonical per-MLP seed record"
            ))
        }
        (false, false) => {
            return invalid(
                "seed_protocol 2.0: single-split metadata missing required top-level 'seed' \
                 field",
            )
        }
        _ => {}
    }
    if is_partial(md) && !allow_partial {
        return invalid(format!(
            "this is a partial dataset (mlp_range={}, total_n_mlps={}); merge the partials \
             first: `whest-runner dataset merge <partials…> --output <dir>`",
            md.get("mlp_range").unwrap_or(&Value::Null),
            md.get("total_n_mlps").unwrap_or(&Value::Null)
        ));
    }
    Ok(())
}

/// The 4.0 salt declaration rules: `salt_source` is `metadata` (the default; a non-empty hex
/// `salt` must be present) or `env` (no `salt` field may ship, and a non-empty `salt_digest` is
/// required); a `salt_digest`, when given, is a string. The salt itself is resolved when used.
fn validate_v4_salt_declaration(proto: &Value) -> Result<(), DatasetError> {
    let source = proto.get("salt_source").unwrap_or(&Value::Null);
    let source = if source.is_null() {
        "metadata"
    } else {
        match source.as_str() {
            Some(s @ ("metadata" | "env")) => s,
            _ => {
                return invalid(format!(
                    "seed_protocol 4.0: salt_source must be 'metadata' or 'env'; got {source}"
                ))
            }
        }
    };
    let salt = proto.get("salt");
    if source == "metadata" {
        match salt {
            None | Some(Value::Null) => {
                return invalid(
                    "seed_protocol 4.0: metadata is missing the 'salt' field; the \
                     participant-facing seeds and MLP names cannot be derived without it",
                )
            }
            Some(Value::String(s)) if s.is_empty() => {
                return invalid("seed_protocol 4.0: metadata has an empty 'salt' field")
            }
            Some(Value::String(s)) => {
                super::kdf_v4::decode_hex(s, "seed_protocol 4.0: 'salt'")?;
            }
            Some(other) => {
                return invalid(format!(
                    "seed_protocol 4.0: 'salt' must be a hex string; got {other}"
                ))
            }
        }
    } else if salt.is_some() {
        return invalid(
            "seed_protocol 4.0: salt_source='env' but a 'salt' field is also present; remove \
             it (shipping the salt defeats withholding it)",
        );
    }
    let digest = proto.get("salt_digest");
    if let Some(d) = digest {
        if !d.is_string() && !d.is_null() {
            return invalid(format!(
                "seed_protocol 4.0: 'salt_digest' must be a string; got {d}"
            ));
        }
    }
    let has_digest = digest
        .and_then(Value::as_str)
        .is_some_and(|d| !d.is_empty());
    if source == "env" && !has_digest {
        return invalid(
            "seed_protocol 4.0: salt_source='env' requires 'salt_digest' so that a wrong salt \
             is caught instead of silently deriving different seeds and names",
        );
    }
    Ok(())
}

/// The multi-split rules of `validate_metadata`.
fn validate_multi_split(
    md: &Metadata,
    version: &str,
    explicit_seeds: bool,
) -> Result<(), DatasetError> {
    let splits =
        match md.get("splits") {
            Some(Value::Object(s)) if !s.is_empty() => s,
            _ => return invalid(
                "multi-split metadata requires 'splits' to be a non-empty object with at least \
                 one entry",
            ),
        };
    if is_partial(md) {
        return invalid(
            "multi-split datasets cannot also be partial (is_partial=true alongside 'splits'); \
             merge each split's partials first, then combine them with `whest-runner dataset \
             combine-splits`",
        );
    }
    if md.contains_key("n_mlps") {
        return invalid(
            "multi-split metadata must not have top-level 'n_mlps'; per-split n_mlps live under \
             splits[<name>]",
        );
    }
    let names: Vec<&String> = splits.keys().collect();
    if let Some(d) = md.get("default_split") {
        match d.as_str() {
            Some(s) if splits.contains_key(s) => {}
            Some(s) => {
                return invalid(format!(
                    "'default_split'={s:?} is not one of the dataset's splits {names:?}"
                ))
            }
            None => return invalid(format!("'default_split' must be a string; got {d}")),
        }
    }
    if let Some(prep) = md.get("prepared_splits") {
        let Some(prep) = prep.as_object() else {
            return invalid(format!("'prepared_splits' must be an object; got {prep}"));
        };
        for (name, entry) in prep {
            if !splits.contains_key(name) {
                return invalid(format!(
                    "'prepared_splits[{name:?}]' references a split that is not in this dataset \
                     (have: {names:?})"
                ));
            }
            let Some(entry) = entry.as_object() else {
                return invalid(format!("'prepared_splits[{name:?}]' must be an object"));
            };
            if !entry.get("path").is_some_and(Value::is_string) {
                return invalid(format!("'prepared_splits[{name:?}].path' must be a string"));
            }
            if entry
                .get("format")
                .is_some_and(|f| !f.is_string() && !f.is_null())
            {
                return invalid(format!(
                    "'prepared_splits[{name:?}].format' must be a string if present"
                ));
            }
        }
    }
    if md.contains_key("seed") {
        return invalid(if explicit_seeds {
            format!(
                "seed_protocol {version}: multi-split metadata must not have a top-level 'seed' \
                 field; the parquet mlp_seed column is the canonical per-MLP seed record"
            )
        } else {
            "multi-split metadata must not have top-level 'seed'; per-split seeds live under \
             splits[<name>]"
                .to_string()
        });
    }
    for (name, info) in splits {
        check_split_name(name)
            .map_err(|e| DatasetError::Invalid(format!("invalid split name in splits: {e}")))?;
        let Some(info) = info.as_object() else {
            return invalid(format!("splits[{name:?}] must be an object; got {info}"));
        };
        if !info.contains_key("n_mlps") {
            return invalid(format!(
                "splits[{name:?}] is missing required field 'n_mlps'"
            ));
        }
        if let Some(c) = info.get("config") {
            let Some(c) = c.as_str() else {
                return invalid(format!("splits[{name:?}].config must be a string; got {c}"));
            };
            check_config_name(c).map_err(|e| {
                DatasetError::Invalid(format!("invalid config in splits[{name:?}]: {e}"))
            })?;
        }
        match (explicit_seeds, info.contains_key("seed")) {
            (true, true) => {
                return invalid(format!(
                    "seed_protocol {version}: splits[{name:?}] must not have a 'seed' field; \
                     the parquet mlp_seed column is the canonical per-MLP seed record"
                ))
            }
            (false, false) => {
                return invalid(format!("splits[{name:?}] is missing required field 'seed'"))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether the metadata marks a partial (sliced) bake: `is_partial` is truthy.
pub fn is_partial(md: &Metadata) -> bool {
    match md.get("is_partial") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Null) | None => false,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// Whether the metadata is multi-split (has a `splits` key).
pub fn is_multi_split(md: &Metadata) -> bool {
    md.contains_key("splits")
}

/// The single-split view of split `split` of multi-split metadata: every top-level field but
/// `splits`, overlaid with that split's entry (whestbench's `_merge_metadata_for_split`).
///
/// # Errors
/// [`DatasetError::Invalid`] if `split` is not one of the splits.
pub fn project_split(md: &Metadata, split: &str) -> Result<Metadata, DatasetError> {
    let entry = md
        .get("splits")
        .and_then(|s| s.get(split))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            DatasetError::Invalid(format!(
                "split {split:?} is not one of the dataset's splits {:?}",
                split_names(md)
            ))
        })?;
    let mut out: Metadata = md
        .iter()
        .filter(|(k, _)| k.as_str() != "splits")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in entry {
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

/// The split names of multi-split metadata, in metadata order (empty for single-split).
pub fn split_names(md: &Metadata) -> Vec<String> {
    md.get("splits")
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default()
}

/// A non-negative integer field.
///
/// # Errors
/// [`DatasetError::Invalid`] naming `key` when it is missing or not an integer ≥ 0.
pub fn uint_field(md: &Metadata, key: &str) -> Result<u64, DatasetError> {
    md.get(key).and_then(Value::as_u64).ok_or_else(|| {
        DatasetError::Invalid(format!(
            "metadata field '{key}' must be a non-negative integer; got {}",
            md.get(key).map_or("nothing".to_string(), Value::to_string)
        ))
    })
}

/// A positive integer field that fits `usize` (width, depth, n_samples).
///
/// # Errors
/// [`DatasetError::Invalid`] naming `key` when it is missing, zero or not an integer.
pub fn positive_field(md: &Metadata, key: &str) -> Result<usize, DatasetError> {
    match uint_field(md, key).map(usize::try_from) {
        Ok(Ok(v)) if v > 0 => Ok(v),
        _ => invalid(format!(
            "metadata field '{key}' must be a positive integer; got {}",
            md.get(key).map_or("nothing".to_string(), Value::to_string)
        )),
    }
}

/// The `[start, end)` of a partial's `mlp_range`.
///
/// # Errors
/// [`DatasetError::Invalid`] unless `mlp_range` is a two-integer array with `start < end`.
pub fn mlp_range(md: &Metadata) -> Result<(u64, u64), DatasetError> {
    let pair = md
        .get("mlp_range")
        .and_then(Value::as_array)
        .and_then(|a| match a.as_slice() {
            [s, e] => Some((s.as_u64()?, e.as_u64()?)),
            _ => None,
        });
    match pair {
        Some((s, e)) if s < e => Ok((s, e)),
        _ => invalid(format!(
            "partial metadata needs 'mlp_range': [start, end) with start < end; got {}",
            md.get("mlp_range").unwrap_or(&Value::Null)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn single() -> Metadata {
        json!({
            "schema_version": "3.0", "format": SCHEMA_FORMAT, "backend": "flopscope",
            "seed_protocol": {"name": NAME_V3, "version": "3.0"},
            "split": "public", "config": "default", "n_mlps": 4, "n_samples": 100,
            "width": 4, "depth": 2
        })
        .as_object()
        .cloned()
        .expect("object")
    }

    fn multi() -> Metadata {
        let mut md = single();
        md.remove("n_mlps");
        md.remove("split");
        md.insert(
            "splits".into(),
            json!({"mini": {"n_mlps": 2, "config": "default"}, "full": {"n_mlps": 3}}),
        );
        md
    }

    fn err(md: &Metadata) -> String {
        validate_metadata(md, false).unwrap_err().to_string()
    }

    #[test]
    fn single_split_rules() {
        assert_eq!(validate_metadata(&single(), false), Ok(()));
        let mut md = single();
        md.insert("schema_version".into(), json!("2.0"));
        assert!(err(&md).contains("re-bake"));
        let mut md = single();
        md.remove("schema_version");
        assert!(err(&md).contains("missing 'schema_version'"));
        let mut md = single();
        md.insert("seed".into(), json!(1));
        assert!(err(&md).contains("must not have a top-level 'seed'"));
        let mut md = single();
        md.remove("n_mlps");
        assert!(err(&md).contains("'n_mlps'"));
        let mut md = single();
        md.insert("split".into(), json!("Bad_Split"));
        assert!(err(&md).contains("split"));
        let mut md = single();
        md.insert(
            "seed_protocol".into(),
            json!({"name": NAME_V2, "version": "2.0"}),
        );
        assert!(err(&md).contains("2.0"));
        md.insert("seed".into(), json!(7));
        assert_eq!(validate_metadata(&md, false), Ok(()));
    }

    #[test]
    fn partials_need_permission() {
        let mut md = single();
        md.insert("is_partial".into(), json!(true));
        md.insert("mlp_range".into(), json!([0, 2]));
        md.insert("total_n_mlps".into(), json!(4));
        assert!(err(&md).contains("merge"));
        assert_eq!(validate_metadata(&md, true), Ok(()));
        assert_eq!(mlp_range(&md), Ok((0, 2)));
    }

    #[test]
    fn multi_split_rules_and_projection() {
        assert_eq!(validate_metadata(&multi(), false), Ok(()));
        let mut md = multi();
        md.insert("default_split".into(), json!("nope"));
        assert!(err(&md).contains("default_split"));
        let mut md = multi();
        md.insert("n_mlps".into(), json!(5));
        assert!(err(&md).contains("top-level 'n_mlps'"));
        let mut md = multi();
        md.insert("splits".into(), json!({}));
        assert!(err(&md).contains("non-empty"));
        let mut md = multi();
        md.insert("prepared_splits".into(), json!({"other": {"path": "p"}}));
        assert!(err(&md).contains("prepared_splits"));
        let mut md = multi();
        md.insert("splits".into(), json!({"mini": {"config": "default"}}));
        assert!(err(&md).contains("n_mlps"));
        let p = project_split(&multi(), "full").expect("split exists");
        assert_eq!(p.get("n_mlps"), Some(&json!(3)));
        assert!(!p.contains_key("splits"));
        assert!(project_split(&multi(), "x").is_err());
        assert_eq!(split_names(&multi()), vec!["mini", "full"]);
    }

    #[test]
    fn protocol_4_declarations() {
        let mut md = single();
        md.insert(
            "seed_protocol".into(),
            json!({"name": NAME_V4, "version": "4.0", "salt_source": "env"}),
        );
        assert!(err(&md).contains("salt_digest"));
        md["seed_protocol"]["salt_digest"] = json!("ab");
        assert_eq!(validate_metadata(&md, false), Ok(()));
        md["seed_protocol"]["salt"] = json!("00");
        assert!(err(&md).contains("salt_source='env'"));
        md["seed_protocol"]["salt_source"] = json!("metadata");
        assert_eq!(validate_metadata(&md, false), Ok(()));
        md["seed_protocol"]["salt"] = json!("xyz");
        assert!(err(&md).contains("hex"));
        md["seed_protocol"]["salt_source"] = json!("disk");
        assert!(err(&md).contains("salt_source"));
    }

    #[test]
    fn fields_and_digest() {
        let md = single();
        assert_eq!(positive_field(&md, "width"), Ok(4));
        assert!(positive_field(&md, "missing").is_err());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
