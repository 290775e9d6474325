//! The rules every shipped `Cargo.toml` follows; `package` refuses a crate that breaks one and
//! `validate-package` reports them. What a grader needs to build the crate offline against its
//! own `flopscope`/`estimator-api`, and nothing that could swap them out:
//!
//! - an estimator: a `[package]` whose `[lib]` has `crate-type` `cdylib`, depending on
//!   `estimator-api` in `[dependencies]`;
//! - no `[patch]`, no `[replace]`, no `cargo-features`, no build script (`package.build`), no
//!   workspace inheritance or `package.workspace` left, no workspace `members`;
//! - `flopscope`/`estimator-api` only as normal dependencies, pinned by exact version
//!   (`=X.Y.Z`) with no source key, and no other dependency renamed to either name;
//! - every other dependency from crates.io by version: no `path`, `git` or other registry
//!   (the grader builds offline from its crates.io cache, and a submission is one crate);
//! - no `[profile.*]` with a `panic` strategy other than `unwind` (with `abort`, every budget
//!   exhaustion, which flopscope raises as a panic the plugin catches, would crash the worker).

use toml_edit::{DocumentMut, Item, TableLike};

use super::{
    effective_name, visit_dep_tables, DepKind, ESTIMATOR_API, GRADER_CRATES, GRADER_DEP_KEYS,
};
use crate::policy::unsafe_path_reason;
use crate::Issue;

/// What the checks learned about a valid crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrateFacts {
    /// `package.name`.
    pub name: String,
    /// The library target's name (`lib.name`, else the package name with `-` → `_`); the built
    /// file is `lib<lib_name>.so`.
    pub lib_name: String,
    /// The library's root source file (`lib.path`, else `src/lib.rs`).
    pub lib_path: String,
}

const FORBIDDEN_TOP_LEVEL: [(&str, &str, &str); 3] = [
    (
        "patch",
        "patch_section",
        "Cargo.toml has a [patch] section, which could replace flopscope or estimator-api: \
         remove it (the grader provides both crates)",
    ),
    (
        "replace",
        "replace_section",
        "Cargo.toml has a [replace] section, which could replace flopscope or estimator-api: \
         remove it (the grader provides both crates)",
    ),
    (
        "cargo-features",
        "cargo_features",
        "Cargo.toml enables unstable cargo-features, which the grader's stable toolchain \
         refuses: remove them",
    ),
];

fn issue(code: &'static str, message: impl Into<String>) -> Issue {
    Issue::new(code, "Cargo.toml", message)
}

/// Checks a shipped manifest; returns what it learned, or every rule it breaks.
///
/// # Errors
/// One issue per broken rule.
pub fn check(doc: &DocumentMut) -> Result<CrateFacts, Vec<Issue>> {
    let mut issues = Vec::new();
    for (key, code, message) in FORBIDDEN_TOP_LEVEL {
        if doc.contains_key(key) {
            issues.push(issue(code, message));
        }
    }
    if let Some(members) = doc.get("workspace").and_then(|w| w.get("members")) {
        if members.as_array().is_some_and(|a| !a.is_empty()) {
            issues.push(issue(
                "workspace_members",
                "Cargo.toml declares workspace members, but a submission is one crate: remove \
                 `members` from [workspace]",
            ));
        }
    }
    let facts = check_package_and_lib(doc, &mut issues);
    check_dependencies(doc, &mut issues);
    check_profiles(doc, &mut issues);
    if issues.is_empty() {
        facts.ok_or(issues)
    } else {
        Err(issues)
    }
}

fn check_package_and_lib(doc: &DocumentMut, issues: &mut Vec<Issue>) -> Option<CrateFacts> {
    let Some(pkg) = doc.get("package").and_then(Item::as_table_like) else {
        issues.push(issue(
            "not_a_crate",
            "Cargo.toml has no [package]: pass an estimator crate (a cdylib depending on \
             estimator-api)",
        ));
        return None;
    };
    let name = pkg.get("name").and_then(Item::as_str);
    if name.is_none() {
        issues.push(issue(
            "not_a_crate",
            "Cargo.toml has no package.name: add one",
        ));
    }
    for (key, value) in pkg.iter() {
        if is_inherited(value) {
            issues.push(issue(
                "workspace_inheritance",
                format!(
                    "package.{key} is inherited from a workspace, which does not ship: package \
                     with `whest-runner package`, which inlines it"
                ),
            ));
        }
    }
    if pkg.contains_key("workspace") {
        issues.push(issue(
            "workspace_inheritance",
            "package.workspace points at a workspace outside the submission: remove it",
        ));
    }
    match pkg.get("build") {
        None => {}
        Some(b) if b.as_bool() == Some(false) => {}
        Some(_) => issues.push(issue(
            "build_script",
            "package.build enables a build script, which runs arbitrary code on the grader (it \
             could alter flopscope or estimator-api): remove it",
        )),
    }
    let lib = doc.get("lib").and_then(Item::as_table_like);
    let is_cdylib = lib
        .and_then(|l| l.get("crate-type").or_else(|| l.get("crate_type")))
        .and_then(Item::as_array)
        .is_some_and(|a| a.iter().any(|t| t.as_str() == Some("cdylib")));
    if !is_cdylib {
        issues.push(issue(
            "not_cdylib",
            "Cargo.toml builds no cdylib, so the runner cannot load it: add \
             `[lib] crate-type = [\"cdylib\"]`",
        ));
    }
    let lib_path = lib
        .and_then(|l| l.get("path"))
        .and_then(Item::as_str)
        .unwrap_or("src/lib.rs")
        .to_string();
    if let Some(reason) = unsafe_path_reason(&lib_path) {
        issues.push(issue(
            "lib_path",
            format!("lib.path {lib_path:?} {reason}: point it at a file inside the crate"),
        ));
    }
    let name = name?.to_string();
    let lib_name = lib
        .and_then(|l| l.get("name"))
        .and_then(Item::as_str)
        .map_or_else(|| name.replace('-', "_"), str::to_string);
    Some(CrateFacts {
        name,
        lib_name,
        lib_path,
    })
}

/// Every `[profile.NAME]` must unwind on panic (cargo's default).
fn check_profiles(doc: &DocumentMut, issues: &mut Vec<Issue>) {
    let Some(profiles) = doc.get("profile").and_then(Item::as_table_like) else {
        return;
    };
    for (name, profile) in profiles.iter() {
        let panic = profile
            .as_table_like()
            .and_then(|p| p.get("panic"))
            .map(|v| v.as_str().unwrap_or("a non-string value").to_string());
        if let Some(strategy) = panic.filter(|s| s != "unwind") {
            issues.push(issue(
                "panic_strategy",
                format!(
                    "[profile.{name}] sets panic = {strategy:?}, which turns every budget                      exhaustion into a crash of the worker: remove the `panic` key (the grader                      needs panic = \"unwind\")"
                ),
            ));
        }
    }
}

fn is_inherited(item: &Item) -> bool {
    item.as_table_like()
        .and_then(|t| t.get("workspace"))
        .is_some()
}

fn check_dependencies(doc: &DocumentMut, issues: &mut Vec<Issue>) {
    let mut depends_on_api = false;
    visit_dep_tables(doc, &mut |kind, table_name, table| {
        for (key, entry) in table.iter() {
            let name = effective_name(key, entry);
            if kind == DepKind::Normal && name == ESTIMATOR_API {
                depends_on_api = true;
            }
            let grader = GRADER_CRATES.contains(&name.as_str());
            if GRADER_CRATES.contains(&key) && !grader {
                issues.push(issue(
                    "grader_crate_replaced",
                    format!(
                        "[{table_name}] {key} is package {name:?}, but the grader provides {key} \
                         itself: remove the `package` key"
                    ),
                ));
            } else if grader {
                check_grader_entry(kind, table_name, key, &name, entry, issues);
            } else {
                check_third_party_entry(table_name, key, entry, issues);
            }
        }
    });
    if !depends_on_api {
        issues.push(issue(
            "not_an_estimator",
            "Cargo.toml does not depend on estimator-api, so it exports no estimator: add \
             estimator-api to [dependencies] and call export_estimator!",
        ));
    }
}

fn check_grader_entry(
    kind: DepKind,
    table_name: &str,
    key: &str,
    name: &str,
    entry: &Item,
    issues: &mut Vec<Issue>,
) {
    if kind != DepKind::Normal {
        issues.push(issue(
            "grader_crate_source",
            format!(
                "[{table_name}] lists {name}: the grader provides {name} as a normal dependency \
                 only; move it to [dependencies]"
            ),
        ));
        return;
    }
    let table: Option<&dyn TableLike> = entry.as_table_like();
    let stray: Vec<String> = table
        .map(|t| {
            t.iter()
                .map(|(k, _)| k.to_string())
                .filter(|k| !GRADER_DEP_KEYS.contains(&k.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let version = table.map_or_else(
        || entry.as_str(),
        |t| t.get("version").and_then(Item::as_str),
    );
    let pinned = version.is_some_and(|v| v.starts_with('=') && !v.contains(','));
    if !stray.is_empty() || !pinned {
        let what = if stray.is_empty() {
            "no exact version pin".to_string()
        } else {
            format!("source keys {}", stray.join(", "))
        };
        issues.push(issue(
            "grader_crate_source",
            format!(
                "dependency {key} ({name}) has {what}: the grader provides {name}, so it must be \
                 `{{ version = \"=X.Y.Z\" }}` plus features only (`whest-runner package` writes \
                 this)"
            ),
        ));
    }
}

fn check_third_party_entry(table_name: &str, key: &str, entry: &Item, issues: &mut Vec<Issue>) {
    let Some(t) = entry.as_table_like() else {
        return;
    };
    let rules: [(&str, &'static str, &str); 5] = [
        (
            "path",
            "path_dependency",
            "a submission is one crate: move that code into src/ or depend on a crates.io release",
        ),
        (
            "git",
            "git_dependency",
            "the grader builds offline: depend on a crates.io release",
        ),
        (
            "registry",
            "registry_dependency",
            "the grader has crates.io only: depend on a crates.io release",
        ),
        (
            "registry-index",
            "registry_dependency",
            "the grader has crates.io only: depend on a crates.io release",
        ),
        (
            "workspace",
            "workspace_inheritance",
            "workspaces do not ship: package with `whest-runner package`, which inlines it",
        ),
    ];
    for (field, code, fix) in rules {
        if t.contains_key(field) {
            issues.push(issue(
                code,
                format!("[{table_name}] {key} has `{field}`: {fix}"),
            ));
        }
    }
}
