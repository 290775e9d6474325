//! Normalising a crate's `Cargo.toml` for shipping, the way `cargo package` does but for a
//! crate whose `flopscope`/`estimator-api` come from the grader:
//!
//! - `field.workspace = true` in `[package]`, in dependency tables and in `[lints]` is replaced
//!   by the workspace root's value (`readme`/`license-file`, which name files outside the crate,
//!   are dropped). A workspace dependency's `path` is made absolute (path dependencies other
//!   than the grader crates are then refused by [`super::check`]).
//! - Dev-dependencies are dropped: the grader builds the library only, never tests.
//! - A workspace member gets its root's `[profile.*]` tables (the ones cargo applied while the
//!   member was developed), replacing its own (which cargo ignored); a crate that is its own
//!   root keeps its profiles.
//! - The `flopscope`/`estimator-api` entries keep only `package`, `features`,
//!   `default-features` and `optional`; their source is left for [`super::pin_grader_versions`].
//! - `[workspace]` becomes an empty table, and `package.workspace` is dropped.
//!
//! `[patch]`, `[replace]` and `cargo-features` are left in place for [`super::check`] to
//! refuse; a workspace root's `[patch]`/`[replace]` never ship.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, TableLike, Value};

use super::{
    edit_grader_deps, ensure_own_workspace, parse, visit_dep_tables_mut, DepKind, DEP_TABLES,
};
use crate::ignore::fnmatch;
use crate::Issue;

/// The workspace a crate belongs to.
#[derive(Debug)]
pub struct WorkspaceRoot {
    /// The root's folder.
    pub dir: PathBuf,
    /// The root's parsed `Cargo.toml`.
    pub doc: DocumentMut,
    /// Whether the crate is the root itself.
    pub is_crate_itself: bool,
}

/// Package fields that name files relative to the workspace root: not inherited.
const PATH_FIELDS: [&str; 2] = ["readme", "license-file"];

/// Finds the workspace root of the crate at `crate_dir` with manifest `doc`: the crate itself
/// when it has a `[workspace]` table, the folder `package.workspace` names, else the nearest
/// ancestor whose `Cargo.toml` has a `[workspace]` table listing the crate in `members`.
///
/// # Errors
/// An issue when a candidate root's `Cargo.toml` cannot be read or parsed.
pub fn find_workspace_root(
    crate_dir: &Path,
    doc: &DocumentMut,
) -> Result<Option<WorkspaceRoot>, Issue> {
    if doc.get("workspace").is_some() {
        return Ok(Some(WorkspaceRoot {
            dir: crate_dir.to_path_buf(),
            doc: doc.clone(),
            is_crate_itself: true,
        }));
    }
    let explicit = doc
        .get("package")
        .and_then(|p| p.get("workspace"))
        .and_then(Item::as_str)
        .map(|p| crate_dir.join(p));
    let is_explicit = explicit.is_some();
    let candidates: Vec<PathBuf> = match explicit {
        Some(dir) => vec![dir],
        None => crate_dir
            .ancestors()
            .skip(1)
            .map(Path::to_path_buf)
            .collect(),
    };
    for dir in candidates {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let label = manifest.display().to_string();
        let text = std::fs::read_to_string(&manifest).map_err(|e| {
            Issue::new(
                "cargo_toml_invalid",
                label.clone(),
                format!("cannot read {label}: {e}"),
            )
        })?;
        let root = parse(&text, &label)?;
        let Some(ws) = root.get("workspace") else {
            continue;
        };
        if !is_explicit && !lists_member(ws, &dir, crate_dir) {
            return Ok(None);
        }
        return Ok(Some(WorkspaceRoot {
            dir,
            doc: root,
            is_crate_itself: false,
        }));
    }
    Ok(None)
}

/// Whether a `[workspace]` table at `root` has `crate_dir` among its `members` (globs) and not
/// under an `exclude` entry, as cargo decides membership. A crate below a root that does not
/// list it is not a member (cargo refuses to build it in place), so nothing is inherited.
fn lists_member(ws: &Item, root: &Path, crate_dir: &Path) -> bool {
    let Ok(rel) = crate_dir.strip_prefix(root) else {
        return false;
    };
    let rel = rel.to_string_lossy();
    let strings = |key: &str| -> Vec<String> {
        ws.get(key)
            .and_then(Item::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|s| s.trim_start_matches("./").trim_end_matches('/').to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let excluded = strings("exclude")
        .iter()
        .any(|e| crate_dir.starts_with(root.join(e)));
    let listed = strings("members").iter().any(|m| fnmatch(m, &rel));
    listed && !excluded
}

/// Normalises `doc` (the crate's manifest) for shipping; `ws` is its workspace, if any.
///
/// # Errors
/// One issue per field or dependency that inherits from a workspace that does not define it
/// (or when no workspace is found).
pub fn normalize(doc: &DocumentMut, ws: Option<&WorkspaceRoot>) -> Result<DocumentMut, Vec<Issue>> {
    let mut out = doc.clone();
    let mut issues = Vec::new();
    inline_package_fields(&mut out, ws, &mut issues);
    drop_dev_dependencies(&mut out);
    inline_dependencies(&mut out, ws, &mut issues);
    inline_lints(&mut out, ws, &mut issues);
    if let Some(ws) = ws.filter(|w| !w.is_crate_itself) {
        match ws.doc.get("profile") {
            Some(profile) => {
                out.as_table_mut().insert("profile", profile.clone());
            }
            None => {
                out.as_table_mut().remove("profile");
            }
        }
    }
    if let Some(pkg) = out.get_mut("package").and_then(Item::as_table_like_mut) {
        pkg.remove("workspace");
    }
    edit_grader_deps(&mut out, &|_, dep| {
        dep.version = None;
        dep.path = None;
    });
    ensure_own_workspace(&mut out);
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// Whether `item` is `{ workspace = true, … }`.
fn inherits(item: &Item) -> bool {
    item.as_table_like()
        .and_then(|t| t.get("workspace"))
        .and_then(Item::as_bool)
        == Some(true)
}

fn missing(ws: Option<&WorkspaceRoot>, what: &str) -> Issue {
    let message = match ws {
        Some(w) => format!(
            "Cargo.toml inherits {what} from the workspace at {}, which does not define it: \
             set it in the crate's Cargo.toml",
            w.dir.display()
        ),
        None => format!(
            "Cargo.toml inherits {what} from a workspace, but no workspace root was found \
             above the crate: set it in the crate's Cargo.toml"
        ),
    };
    Issue::new("workspace_inheritance", "Cargo.toml", message)
}

/// A table of the workspace root (`workspace.<name>`).
fn ws_table<'a>(ws: Option<&'a WorkspaceRoot>, name: &str) -> Option<&'a dyn TableLike> {
    ws?.doc.get("workspace")?.get(name)?.as_table_like()
}

fn inline_package_fields(
    out: &mut DocumentMut,
    ws: Option<&WorkspaceRoot>,
    issues: &mut Vec<Issue>,
) {
    let Some(pkg) = out.get_mut("package").and_then(Item::as_table_like_mut) else {
        return;
    };
    let inherited: Vec<String> = pkg
        .iter()
        .filter(|(_, v)| inherits(v))
        .map(|(k, _)| k.to_string())
        .collect();
    for key in inherited {
        if PATH_FIELDS.contains(&key.as_str()) {
            pkg.remove(&key);
            continue;
        }
        match ws_table(ws, "package").and_then(|t| t.get(&key)) {
            Some(value) => {
                pkg.insert(&key, value.clone());
            }
            None => issues.push(missing(ws, &format!("package.{key}"))),
        }
    }
}

fn drop_dev_dependencies(out: &mut DocumentMut) {
    let root = out.as_table_mut();
    let dev: Vec<&str> = DEP_TABLES
        .iter()
        .filter(|(_, k)| *k == DepKind::Dev)
        .map(|(name, _)| *name)
        .collect();
    for name in &dev {
        root.remove(name);
    }
    if let Some(targets) = root.get_mut("target").and_then(Item::as_table_like_mut) {
        for (_, target) in targets.iter_mut() {
            if let Some(t) = target.as_table_like_mut() {
                for name in &dev {
                    t.remove(name);
                }
            }
        }
    }
}

fn inline_dependencies(out: &mut DocumentMut, ws: Option<&WorkspaceRoot>, issues: &mut Vec<Issue>) {
    let ws_deps = ws_table(ws, "dependencies");
    visit_dep_tables_mut(out, &mut |_, table| {
        let inherited: Vec<String> = table
            .iter()
            .filter(|(_, v)| inherits(v))
            .map(|(k, _)| k.to_string())
            .collect();
        for key in inherited {
            let Some(base) = ws_deps.and_then(|t| t.get(&key)) else {
                issues.push(missing(ws, &format!("dependency {key}")));
                continue;
            };
            let local = table.get(&key).cloned().unwrap_or_default();
            let dir = ws.map(|w| w.dir.as_path()).unwrap_or(Path::new("."));
            table.insert(&key, merge_inherited(base, &local, dir));
        }
    });
}

/// A workspace dependency `base` merged with a member's `{ workspace = true, features, optional,
/// default-features }` entry `local`, the way cargo merges them; a relative `path` is made
/// absolute against the workspace folder `ws_dir`.
fn merge_inherited(base: &Item, local: &Item, ws_dir: &Path) -> Item {
    let mut merged = match base.clone().into_value() {
        Ok(Value::InlineTable(t)) => t,
        Ok(Value::String(v)) => {
            let mut t = toml_edit::InlineTable::new();
            t.insert("version", Value::String(v));
            t
        }
        _ => toml_edit::InlineTable::new(),
    };
    if let Some(path) = merged.get("path").and_then(Value::as_str) {
        let abs = ws_dir.join(path).to_string_lossy().into_owned();
        merged.insert("path", abs.into());
    }
    if let Some(local) = local.as_table_like() {
        for (key, value) in local.iter() {
            let Some(value) = value.as_value() else {
                continue;
            };
            match key {
                "workspace" => {}
                "features" => {
                    let mut features = merged
                        .get("features")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for f in value.as_array().into_iter().flatten() {
                        if !features.iter().any(|g| g.as_str() == f.as_str()) {
                            features.push(f.clone());
                        }
                    }
                    merged.insert("features", Value::Array(features));
                }
                _ => {
                    merged.insert(key, value.clone());
                }
            }
        }
    }
    merged.fmt();
    Item::Value(Value::InlineTable(merged))
}

fn inline_lints(out: &mut DocumentMut, ws: Option<&WorkspaceRoot>, issues: &mut Vec<Issue>) {
    let Some(lints) = out.get("lints") else {
        return;
    };
    if !inherits(lints) {
        return;
    }
    match ws.and_then(|w| w.doc.get("workspace")?.get("lints")) {
        Some(ws_lints) => {
            out.as_table_mut().insert("lints", ws_lints.clone());
        }
        None => issues.push(missing(ws, "[lints]")),
    }
}
