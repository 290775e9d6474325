//! `manifest.json`: what a submission archive declares about itself.
//!
//! ```json
//! {
//!   "schema_version": "1.0",
//!   "kind": "rust-cdylib-crate",
//!   "entrypoint": {"crate": "zeros-estimator", "lib": "zeros_estimator",
//!                  "crate_type": "cdylib", "abi_version": 1, "api_version": "1.0"},
//!   "files": [{"name": "Cargo.lock", "sha256": "…", "size": 1234}, …],
//!   "file_count": 3, "total_bytes": 5678,
//!   "created_at_utc": "2026-11-23T20:04:36.640196+00:00",
//!   "whest_runner_version": "0.1.0", "flopscope_version": "0.1.0",
//!   "estimator_api_version": "0.1.0", "rustc_version": "rustc 1.95.0 (…)"
//! }
//! ```
//!
//! Unlike whestbench's, the entry point is a crate and its library (loaded through
//! the estimator ABI), not a Python module and class; `files` lists every shipped file, sorted
//! by name, `manifest.json` itself excluded.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Issue, Member, MANIFEST_NAME};

/// The manifest schema this runner writes and accepts.
pub const SCHEMA_VERSION: &str = "1.0";
/// The submission kind: one Rust `cdylib` crate.
pub const KIND: &str = "rust-cdylib-crate";

/// The manifest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Manifest {
    /// [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// [`KIND`].
    pub kind: String,
    /// What the grader loads.
    pub entrypoint: Entrypoint,
    /// Every shipped file with its hash and size.
    pub files: Vec<FileEntry>,
    /// `files.len()`.
    pub file_count: usize,
    /// Sum of `files[].size`.
    pub total_bytes: u64,
    /// When the archive was made (Python `isoformat()` style).
    pub created_at_utc: String,
    /// The packaging `whest-runner`'s version.
    pub whest_runner_version: String,
    /// The `flopscope` version the crate is built against.
    pub flopscope_version: String,
    /// The `estimator-api` version the crate is built against.
    pub estimator_api_version: String,
    /// `rustc -V` on the packaging machine.
    pub rustc_version: String,
}

/// The crate and library the grader builds and loads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entrypoint {
    /// `package.name`.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The library target name (the built file is `lib<lib>.so`).
    pub lib: String,
    /// Always `cdylib`.
    pub crate_type: String,
    /// The estimator plugin ABI version (`estimator_api::ABI_VERSION`).
    pub abi_version: u32,
    /// The estimator contract version (`estimator_api::API_VERSION`).
    pub api_version: String,
}

/// One shipped file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Path inside the archive (`/`-separated, relative).
    pub name: String,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `files` entries of `members`, sorted by name.
pub fn file_entries(members: &[Member]) -> Vec<FileEntry> {
    let mut files: Vec<FileEntry> = members
        .iter()
        .map(|m| FileEntry {
            name: m.name.clone(),
            sha256: sha256_hex(&m.bytes),
            size: m.bytes.len() as u64,
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

impl Manifest {
    /// The manifest as shipped: pretty JSON with a trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s.into_bytes()
    }
}

/// A manifest as read back from an archive: the fields `validate-package` and `build` use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredManifest {
    /// `entrypoint.crate`.
    pub crate_name: String,
    /// `entrypoint.lib`.
    pub lib: String,
    /// `files[]` as (name, sha256).
    pub files: Vec<(String, String)>,
    /// `flopscope_version`.
    pub flopscope_version: String,
}

fn manifest_issue(code: &'static str, message: impl Into<String>) -> Issue {
    Issue::new(code, MANIFEST_NAME, message)
}

/// Reads `manifest.json` bytes, checking its schema, kind and entry point against what this
/// runner loads (`abi_version`, `api_version`).
///
/// # Errors
/// Every problem found: unreadable JSON, unsupported schema or kind, a missing or incompatible
/// entry point, a malformed `files` list.
pub fn parse(
    bytes: &[u8],
    abi_version: u32,
    api_version: &str,
) -> Result<DeclaredManifest, Vec<Issue>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![manifest_issue(
            "invalid_manifest_json",
            format!("manifest.json is not valid JSON: {e}"),
        )]
    })?;
    if !value.is_object() {
        return Err(vec![manifest_issue(
            "invalid_manifest_json",
            "manifest.json must be a JSON object: build the archive with `whest-runner package`",
        )]);
    }
    let mut issues = Vec::new();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    if value["schema_version"] != SCHEMA_VERSION {
        issues.push(manifest_issue(
            "unsupported_schema_version",
            format!(
                "manifest schema_version {} is not supported (expected {SCHEMA_VERSION:?})",
                value["schema_version"]
            ),
        ));
    }
    if value["kind"] != KIND {
        issues.push(manifest_issue(
            "unsupported_kind",
            format!(
                "manifest kind {} is not {KIND:?}: this is not a whest-rs submission (a Python \
                 whestbench archive?)",
                value["kind"]
            ),
        ));
    }
    let entry = &value["entrypoint"];
    let (crate_name, lib) = (text(&entry["crate"]), text(&entry["lib"]));
    if crate_name.is_empty() || lib.is_empty() || entry["crate_type"] != "cdylib" {
        issues.push(manifest_issue(
            "missing_entrypoint",
            "manifest entrypoint needs crate, lib and crate_type \"cdylib\"",
        ));
    }
    if entry["abi_version"].as_u64() != Some(u64::from(abi_version)) {
        issues.push(manifest_issue(
            "unsupported_abi_version",
            format!(
                "manifest entrypoint.abi_version {} is not this runner's estimator ABI \
                 v{abi_version}: re-package with this whest-runner",
                entry["abi_version"]
            ),
        ));
    }
    if entry["api_version"] != api_version {
        issues.push(manifest_issue(
            "unsupported_api_version",
            format!(
                "manifest entrypoint.api_version {} is not this runner's estimator contract \
                 {api_version:?}: re-package with this whest-runner",
                entry["api_version"]
            ),
        ));
    }
    let files = parse_files(&value["files"], &mut issues);
    if issues.is_empty() {
        Ok(DeclaredManifest {
            crate_name,
            lib,
            files,
            flopscope_version: text(&value["flopscope_version"]),
        })
    } else {
        Err(issues)
    }
}

fn parse_files(files: &Value, issues: &mut Vec<Issue>) -> Vec<(String, String)> {
    let Some(list) = files.as_array() else {
        issues.push(manifest_issue(
            "invalid_files",
            "manifest files[] is missing or not a list",
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in list {
        let name = entry["name"].as_str().unwrap_or_default();
        let sha = entry["sha256"].as_str().unwrap_or_default();
        if name.is_empty() || sha.is_empty() {
            issues.push(manifest_issue(
                "invalid_files_entry",
                format!("manifest files[] has an entry without name or sha256: {entry}"),
            ));
            continue;
        }
        out.push((name.to_string(), sha.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn sample() -> Manifest {
        let members = vec![
            Member::new("src/lib.rs", b"fn x() {}".to_vec()),
            Member::new("Cargo.toml", b"[package]".to_vec()),
        ];
        let files = file_entries(&members);
        Manifest {
            schema_version: SCHEMA_VERSION.into(),
            kind: KIND.into(),
            entrypoint: Entrypoint {
                crate_name: "e".into(),
                lib: "e".into(),
                crate_type: "cdylib".into(),
                abi_version: 1,
                api_version: "1.0".into(),
            },
            file_count: files.len(),
            total_bytes: files.iter().map(|f| f.size).sum(),
            files,
            created_at_utc: "2026-01-01T00:00:00+00:00".into(),
            whest_runner_version: "0.1.0".into(),
            flopscope_version: "0.1.0".into(),
            estimator_api_version: "0.1.0".into(),
            rustc_version: "rustc 1.95.0".into(),
        }
    }

    #[test]
    fn a_written_manifest_reads_back() {
        let m = sample();
        let declared = parse(&m.to_bytes(), 1, "1.0").expect("valid");
        assert_eq!(declared.crate_name, "e");
        assert_eq!(declared.files[0].0, "Cargo.toml", "sorted by name");
        let v: Value = serde_json::from_slice(&m.to_bytes()).expect("json");
        assert_eq!(v["entrypoint"]["crate"], "e");
    }

    #[test]
    fn incompatible_manifests_are_reported() {
        let bytes = sample().to_bytes();
        let codes = |r: Result<DeclaredManifest, Vec<Issue>>| -> Vec<&'static str> {
            r.err().unwrap_or_default().iter().map(|i| i.code).collect()
        };
        assert_eq!(codes(parse(&bytes, 2, "1.0")), ["unsupported_abi_version"]);
        assert_eq!(codes(parse(&bytes, 1, "2.0")), ["unsupported_api_version"]);
        assert_eq!(codes(parse(b"[1]", 1, "1.0")), ["invalid_manifest_json"]);
        let python = br#"{"schema_version": "1.0", "api_version": "2.0", "entrypoint": {"module": "estimator", "class": "E"}, "files": []}"#;
        assert_eq!(
            codes(parse(python, 1, "1.0")),
            [
                "unsupported_kind",
                "missing_entrypoint",
                "unsupported_abi_version",
                "unsupported_api_version"
            ]
        );
    }
}
