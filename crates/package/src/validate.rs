//! Checking a submission (the members of an archive or unpacked folder) the way the grader
//! must before building it. Stricter than whestbench's validator: besides the manifest's
//! hashes it refuses members the manifest does not list, duplicated names, files `package`
//! would refuse or never ship, a `Cargo.toml` that breaks [`cargo_toml::check`], and a
//! `Cargo.lock` that takes the grader crates from anywhere but the grader.

use std::collections::{BTreeMap, BTreeSet};

use estimator_api::{ABI_VERSION, API_VERSION};
use toml_edit::Item;

use super::cargo_toml::{self, CrateFacts, GRADER_CRATES};
use super::dependencies::{self, DependencyPolicy};
use super::ignore::IgnoreRules;
use super::manifest::{self, sha256_hex, DeclaredManifest};
use super::policy;
use super::{Issue, Member, MANIFEST_NAME};

/// What validation found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The manifest, when it could be read.
    pub manifest: Option<DeclaredManifest>,
    /// The crate, when its `Cargo.toml` passed the checks.
    pub facts: Option<CrateFacts>,
    /// Every problem; empty means the submission is valid.
    pub issues: Vec<Issue>,
}

/// Validates `members` (`manifest.json` included) against this runner (`flopscope` version,
/// estimator ABI and contract versions) and the grader's dependency allow-list `policy`.
pub fn validate(members: &[Member], policy: &DependencyPolicy) -> Verdict {
    let mut verdict = Verdict::default();
    let issues = &mut verdict.issues;
    let mut by_name: BTreeMap<&str, &Member> = BTreeMap::new();
    for m in members {
        if by_name.insert(m.name.as_str(), m).is_some() {
            issues.push(Issue::new(
                "duplicate_entry",
                m.name.clone(),
                format!("the archive holds {} more than once", m.name),
            ));
        }
    }
    let Some(manifest_member) = by_name.remove(MANIFEST_NAME) else {
        issues.push(Issue::new(
            "missing_manifest",
            MANIFEST_NAME,
            "the archive has no manifest.json: build it with `whest-runner package`",
        ));
        return verdict;
    };
    let declared = match manifest::parse(&manifest_member.bytes, ABI_VERSION, API_VERSION) {
        Ok(d) => d,
        Err(found) => {
            issues.extend(found);
            return verdict;
        }
    };
    if declared.flopscope_version != flopscope::VERSION {
        issues.push(Issue::new(
            "flopscope_version_mismatch",
            MANIFEST_NAME,
            format!(
                "the submission is built against flopscope {:?}, but this grader provides {}: \
                 re-package it with this whest-runner",
                declared.flopscope_version,
                flopscope::VERSION
            ),
        ));
    }
    check_files(&declared, &by_name, issues);
    let facts = check_crate(&declared, &by_name, policy, issues);
    verdict.manifest = Some(declared);
    verdict.facts = facts;
    verdict
}

/// Hashes, coverage, caps and per-file policy.
fn check_files(
    declared: &DeclaredManifest,
    members: &BTreeMap<&str, &Member>,
    issues: &mut Vec<Issue>,
) {
    let mut listed = BTreeSet::new();
    for (name, sha) in &declared.files {
        if !listed.insert(name.as_str()) {
            issues.push(Issue::new(
                "duplicate_entry",
                name.clone(),
                format!("manifest files[] lists {name} more than once"),
            ));
            continue;
        }
        let Some(member) = members.get(name.as_str()) else {
            issues.push(Issue::new(
                "file_not_in_archive",
                name.clone(),
                format!("manifest lists {name} but the archive does not contain it"),
            ));
            continue;
        };
        let actual = sha256_hex(&member.bytes);
        if &actual != sha {
            issues.push(Issue::new(
                "sha256_mismatch",
                name.clone(),
                format!(
                    "sha256 mismatch for {name}: manifest says {sha}, archive bytes hash to \
                     {actual}; the file changed after packaging: re-run `whest-runner package`"
                ),
            ));
        }
    }
    for name in members.keys() {
        if !listed.contains(name) {
            issues.push(Issue::new(
                "unlisted_file",
                *name,
                format!("{name} is in the archive but not in manifest files[]: re-run `whest-runner package`"),
            ));
        }
    }
    let total: u64 = members.values().map(|m| m.bytes.len() as u64).sum();
    issues.extend(policy::cap_issues(members.len(), total));
    let builtin = IgnoreRules::builtin();
    for m in members.values() {
        issues.extend(policy::file_issues(&m.name, &m.bytes));
        if m.name != "Cargo.lock" && builtin.is_ignored(&m.name) {
            issues.push(Issue::new(
                "ignored_file",
                m.name.clone(),
                format!(
                    "{} is a build output, archive or VCS file that never ships: remove it",
                    m.name
                ),
            ));
        }
    }
}

/// `Cargo.toml` rules, the entry point, and `Cargo.lock`.
fn check_crate(
    declared: &DeclaredManifest,
    members: &BTreeMap<&str, &Member>,
    policy: &DependencyPolicy,
    issues: &mut Vec<Issue>,
) -> Option<CrateFacts> {
    let Some(toml) = members.get("Cargo.toml") else {
        issues.push(Issue::new(
            "missing_cargo_toml",
            "Cargo.toml",
            "the archive has no Cargo.toml at its root: package a crate folder",
        ));
        return None;
    };
    let facts = match std::str::from_utf8(&toml.bytes)
        .map_err(|_| {
            Issue::new(
                "cargo_toml_invalid",
                "Cargo.toml",
                "Cargo.toml is not UTF-8",
            )
        })
        .and_then(|text| cargo_toml::parse(text, "Cargo.toml"))
    {
        Ok(doc) => match cargo_toml::check(&doc) {
            Ok(f) => Some(f),
            Err(found) => {
                issues.extend(found);
                None
            }
        },
        Err(issue) => {
            issues.push(issue);
            None
        }
    };
    if let Some(f) = &facts {
        if f.name != declared.crate_name || f.lib_name != declared.lib {
            issues.push(Issue::new(
                "entrypoint_mismatch",
                MANIFEST_NAME,
                format!(
                    "manifest entrypoint is crate {:?} lib {:?}, but Cargo.toml builds crate {:?} \
                     lib {:?}: re-run `whest-runner package`",
                    declared.crate_name, declared.lib, f.name, f.lib_name
                ),
            ));
        }
        if !members.contains_key(f.lib_path.as_str()) {
            issues.push(Issue::new(
                "missing_entrypoint_file",
                f.lib_path.clone(),
                format!("the library root {} is not in the archive", f.lib_path),
            ));
        }
    }
    match members.get("Cargo.lock") {
        None => issues.push(Issue::new(
            "missing_lockfile",
            "Cargo.lock",
            "the archive has no Cargo.lock, so the grader cannot build it --locked: re-run \
             `whest-runner package`",
        )),
        Some(lock) => check_lock(&lock.bytes, policy, issues),
    }
    facts
}

/// The lock must parse, must not take a grader crate from a registry or git, and may pull in
/// only crates on the allow-list ([`dependencies::lock_issues`]).
fn check_lock(bytes: &[u8], policy: &DependencyPolicy, issues: &mut Vec<Issue>) {
    let parsed = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok());
    let Some(lock) = parsed else {
        issues.push(Issue::new(
            "lockfile_invalid",
            "Cargo.lock",
            "Cargo.lock is not valid TOML: re-run `whest-runner package`",
        ));
        return;
    };
    let packages = lock.get("package").and_then(Item::as_array_of_tables);
    for pkg in packages.into_iter().flatten() {
        let name = pkg.get("name").and_then(Item::as_str).unwrap_or_default();
        if GRADER_CRATES.contains(&name) && pkg.contains_key("source") {
            issues.push(Issue::new(
                "lockfile_grader_source",
                "Cargo.lock",
                format!(
                    "Cargo.lock takes {name} from {}, but the grader provides it: re-run \
                     `whest-runner package`",
                    pkg.get("source")
                        .and_then(Item::as_str)
                        .unwrap_or("elsewhere")
                ),
            ));
        }
    }
    issues.extend(dependencies::lock_issues(&lock, policy));
}
