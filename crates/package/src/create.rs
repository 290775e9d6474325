//! The packaging pipeline behind `whest-runner package`: walk the crate folder, refuse what may
//! not ship, normalise `Cargo.toml`, resolve the `Cargo.lock` against the grader's sources,
//! write the manifest, and check the result with the same validator the grader uses. Nothing is
//! written to the output here; the caller writes [`Packaged::members`] as the archive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use estimator_api::{ABI_VERSION, API_VERSION};
use toml_edit::DocumentMut;

use super::cargo_toml::{self, CrateFacts, ESTIMATOR_API, FLOPSCOPE};
use super::collect;
use super::dependencies::DependencyPolicy;
use super::ignore::IgnoreRules;
use super::lockfile::{self, Resolution};
use super::manifest::{self, Entrypoint, Manifest};
use super::pinned::PinnedSources;
use super::{policy, validate, Issue, Member, PackageError, MANIFEST_NAME};
use whest_score::report::{utc_isoformat, WHEST_RS_VERSION};

/// A packaged submission, ready to be written as an archive.
#[derive(Clone, Debug, PartialEq)]
pub struct Packaged {
    /// The archive's members in writing order: files sorted by name, `manifest.json` last.
    pub members: Vec<Member>,
    /// The manifest (also the last member).
    pub manifest: Manifest,
}

/// Packages the crate at `dir`, stamping the manifest with `now`; its dependencies must be on
/// `policy` (the allow-list the grader will use).
///
/// # Errors
/// Every reason the crate cannot ship (see [`super::policy`], [`super::cargo_toml::check`],
/// [`super::dependencies`]), or why its lock could not be resolved.
pub fn package_crate(
    dir: &Path,
    now: SystemTime,
    policy: &DependencyPolicy,
) -> Result<Packaged, Vec<Issue>> {
    let shown = dir.display().to_string();
    let one = |code, e: PackageError| vec![Issue::new(code, shown.clone(), e.to_string())];
    let dir = match dir.canonicalize() {
        Ok(d) if d.join("Cargo.toml").is_file() => d,
        _ => {
            return Err(vec![Issue::new(
                "not_a_crate",
                shown.clone(),
                format!(
                    "{shown} is not a crate folder (no Cargo.toml): pass the folder of your \
                     estimator crate"
                ),
            )])
        }
    };
    let dir = dir.as_path();
    let rules = IgnoreRules::for_crate(dir).map_err(|e| one("unreadable", e))?;
    let (found, mut issues) = collect::walk(dir, &rules);
    let bytes: u64 = found.iter().map(|f| f.size).sum();
    // The resolved Cargo.lock ships too: count it before reading anything.
    let caps = policy::cap_issues(found.len() + 1, bytes);
    if !caps.is_empty() {
        issues.extend(caps);
        return Err(issues);
    }
    let files = collect::read_all(&found)?;
    for m in &files {
        issues.extend(policy::file_issues(&m.name, &m.bytes));
    }
    let crate_doc = read_crate_manifest(dir, &files);
    let (doc, ws_dir, facts) = match crate_doc.and_then(|doc| normalize_and_check(dir, &doc)) {
        Ok(ok) => ok,
        Err(found) => {
            issues.extend(found);
            return Err(issues);
        }
    };
    if !files.iter().any(|m| m.name == facts.lib_path) {
        issues.push(Issue::new(
            "missing_entrypoint_file",
            facts.lib_path.clone(),
            format!(
                "the library root {} is missing or ignored: it must ship",
                facts.lib_path
            ),
        ));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let pinned = PinnedSources::locate().map_err(|e| one("grader_sources_missing", e))?;
    let seed = [Some(dir), ws_dir.as_deref()]
        .into_iter()
        .flatten()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file());
    let resolution = resolve_staged(&doc, &files, &pinned, seed.as_deref())
        .map_err(|e| one("lock_resolution_failed", e))?;
    check_grader_versions(&resolution, &pinned).map_err(|e| one("grader_sources_mismatch", e))?;
    let mut shipped = doc;
    cargo_toml::pin_grader_versions(&mut shipped, &resolution.grader_versions);
    let packaged = assemble(files, &shipped, resolution, &facts, now);
    let verdict = validate::validate(&packaged.members, policy);
    if verdict.issues.is_empty() {
        Ok(packaged)
    } else {
        Err(verdict.issues)
    }
}

/// The crate's own `Cargo.toml`, parsed.
fn read_crate_manifest(dir: &Path, files: &[Member]) -> Result<DocumentMut, Vec<Issue>> {
    let Some(member) = files.iter().find(|m| m.name == "Cargo.toml") else {
        return Err(vec![Issue::new(
            "missing_cargo_toml",
            "Cargo.toml",
            format!(
                "{}/Cargo.toml is excluded by a .gitignore/.whestignore pattern, but it must ship: \
                 remove the pattern that matches it",
                dir.display()
            ),
        )]);
    };
    let text = std::str::from_utf8(&member.bytes).map_err(|_| {
        vec![Issue::new(
            "cargo_toml_invalid",
            "Cargo.toml",
            "Cargo.toml is not UTF-8",
        )]
    })?;
    cargo_toml::parse(text, "Cargo.toml").map_err(|i| vec![i])
}

/// Normalises the manifest and checks it (with the grader crates provisionally pinned to this
/// runner's flopscope version; the resolved versions replace the pins later).
fn normalize_and_check(
    dir: &Path,
    doc: &DocumentMut,
) -> Result<(DocumentMut, Option<PathBuf>, CrateFacts), Vec<Issue>> {
    let ws = cargo_toml::find_workspace_root(dir, doc).map_err(|i| vec![i])?;
    let normalized = cargo_toml::normalize(doc, ws.as_ref())?;
    let mut provisional = normalized.clone();
    let runner_versions: BTreeMap<String, String> = [FLOPSCOPE, ESTIMATOR_API]
        .into_iter()
        .map(|c| (c.to_string(), flopscope::VERSION.to_string()))
        .collect();
    cargo_toml::pin_grader_versions(&mut provisional, &runner_versions);
    let facts = cargo_toml::check(&provisional)?;
    Ok((normalized, ws.map(|w| w.dir), facts))
}

/// Stages `files` with the grader's rewrite of `doc` in a temporary folder and resolves its lock.
fn resolve_staged(
    doc: &DocumentMut,
    files: &[Member],
    pinned: &PinnedSources,
    seed: Option<&Path>,
) -> Result<Resolution, PackageError> {
    let stage = StagingDir::new()?;
    for m in files.iter().filter(|m| m.name != "Cargo.toml") {
        let path = stage.path.join(&m.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| PackageError::io("cannot stage", m.name.as_str(), e))?;
        }
        std::fs::write(&path, &m.bytes)
            .map_err(|e| PackageError::io("cannot stage", m.name.as_str(), e))?;
    }
    let mut staged = doc.clone();
    cargo_toml::point_at_pinned(&mut staged, &|name| pinned.crate_dir(name));
    std::fs::write(stage.path.join("Cargo.toml"), staged.to_string())
        .map_err(|e| PackageError::io("cannot stage", "Cargo.toml", e))?;
    lockfile::resolve(&stage.path, seed)
}

/// The resolution must pin both grader crates, and `flopscope` at this runner's version.
fn check_grader_versions(
    resolution: &Resolution,
    pinned: &PinnedSources,
) -> Result<(), PackageError> {
    let v = &resolution.grader_versions;
    if !v.contains_key(ESTIMATOR_API) {
        return Err(PackageError::NoEstimatorApi);
    }
    match v.get(FLOPSCOPE) {
        Some(found) if found != flopscope::VERSION => Err(PackageError::FlopscopeMismatch {
            root: pinned.root.clone(),
            found: found.clone(),
            built_with: flopscope::VERSION,
        }),
        _ => Ok(()),
    }
}

/// The final members (normalised `Cargo.toml`, resolved `Cargo.lock`, manifest last) and the
/// manifest.
fn assemble(
    files: Vec<Member>,
    shipped: &DocumentMut,
    resolution: Resolution,
    facts: &CrateFacts,
    now: SystemTime,
) -> Packaged {
    let mut members: Vec<Member> = files
        .into_iter()
        .filter(|m| m.name != "Cargo.toml")
        .collect();
    members.push(Member::new("Cargo.toml", shipped.to_string().into_bytes()));
    members.push(Member::new("Cargo.lock", resolution.lock));
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let files = manifest::file_entries(&members);
    let version = |c: &str| {
        resolution
            .grader_versions
            .get(c)
            .cloned()
            .unwrap_or_default()
    };
    let manifest = Manifest {
        schema_version: manifest::SCHEMA_VERSION.into(),
        kind: manifest::KIND.into(),
        entrypoint: Entrypoint {
            crate_name: facts.name.clone(),
            lib: facts.lib_name.clone(),
            crate_type: "cdylib".into(),
            abi_version: ABI_VERSION,
            api_version: API_VERSION.into(),
        },
        file_count: files.len(),
        total_bytes: files.iter().map(|f| f.size).sum(),
        files,
        created_at_utc: utc_isoformat(now),
        whest_runner_version: WHEST_RS_VERSION.into(),
        flopscope_version: version(FLOPSCOPE),
        estimator_api_version: version(ESTIMATOR_API),
        rustc_version: rustc_version(),
    };
    members.push(Member::new(MANIFEST_NAME, manifest.to_bytes()));
    Packaged { members, manifest }
}

/// `rustc -V` (or `$RUSTC -V`), `"unknown"` when it cannot run.
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// A temporary folder removed on drop.
struct StagingDir {
    path: PathBuf,
}

impl StagingDir {
    fn new() -> Result<StagingDir, PackageError> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("whest-package-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| {
            PackageError::io(
                "cannot create a staging folder",
                path.display().to_string(),
                e,
            )
        })?;
        Ok(StagingDir { path })
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
