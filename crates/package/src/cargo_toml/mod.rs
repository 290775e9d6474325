//! The submission's `Cargo.toml`.
//!
//! A shipped manifest is *normalised* ([`normalize`]): it builds on its own (workspace
//! inheritance inlined, an empty `[workspace]` table so it is its own root), has no
//! dev-dependencies, and names the two crates the grader provides, `flopscope` and
//! `estimator-api`, by exact version only (`flopscope = { version = "=0.1.0" }`, features
//! kept). [`check`] holds the rules every shipped manifest must follow (shared by `package` and
//! `validate-package`), and [`point_at_pinned`] is the grader's rewrite that adds
//! `path = "<grader's copy>"` to those two entries before building.

mod check;
mod normalize;

pub use check::{check, CrateFacts};
pub use normalize::{find_workspace_root, normalize};

use std::collections::BTreeMap;
use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::Issue;

/// The crate providing the FLOP-counted tensors.
pub const FLOPSCOPE: &str = "flopscope";
/// The crate providing the estimator contract and the plugin ABI.
pub const ESTIMATOR_API: &str = "estimator-api";
/// The crates the grader provides from its own pinned sources.
pub const GRADER_CRATES: [&str; 2] = [FLOPSCOPE, ESTIMATOR_API];

/// Which kind of dependency table an entry sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepKind {
    /// `[dependencies]` (and `[target.*.dependencies]`).
    Normal,
    /// `[dev-dependencies]`.
    Dev,
    /// `[build-dependencies]`.
    Build,
}

const DEP_TABLES: [(&str, DepKind); 5] = [
    ("dependencies", DepKind::Normal),
    ("dev-dependencies", DepKind::Dev),
    ("dev_dependencies", DepKind::Dev),
    ("build-dependencies", DepKind::Build),
    ("build_dependencies", DepKind::Build),
];

/// Parses manifest text.
///
/// # Errors
/// A `cargo_toml_invalid` issue naming `name` and the TOML error.
pub fn parse(text: &str, name: &str) -> Result<DocumentMut, Issue> {
    text.parse::<DocumentMut>().map_err(|e| {
        let first = e.to_string();
        let first = first.lines().next().unwrap_or_default().to_string();
        Issue::new(
            "cargo_toml_invalid",
            name,
            format!("{name} is not valid TOML: {first}"),
        )
    })
}

/// Calls `f(kind, table name, table)` for every dependency table, target-specific ones
/// included (their name is `target.<cfg>.<table>`).
fn visit_dep_tables(doc: &DocumentMut, f: &mut dyn FnMut(DepKind, &str, &dyn TableLike)) {
    let root = doc.as_table();
    for (key, kind) in DEP_TABLES {
        if let Some(t) = root.get(key).and_then(Item::as_table_like) {
            f(kind, key, t);
        }
    }
    if let Some(targets) = root.get("target").and_then(Item::as_table_like) {
        for (cfg, item) in targets.iter() {
            let Some(target) = item.as_table_like() else {
                continue;
            };
            for (key, kind) in DEP_TABLES {
                if let Some(t) = target.get(key).and_then(Item::as_table_like) {
                    f(kind, &format!("target.{cfg}.{key}"), t);
                }
            }
        }
    }
}

/// Mutable twin of [`visit_dep_tables`].
fn visit_dep_tables_mut(doc: &mut DocumentMut, f: &mut dyn FnMut(DepKind, &mut dyn TableLike)) {
    let root = doc.as_table_mut();
    for (key, kind) in DEP_TABLES {
        if let Some(t) = root.get_mut(key).and_then(Item::as_table_like_mut) {
            f(kind, t);
        }
    }
    if let Some(targets) = root.get_mut("target").and_then(Item::as_table_like_mut) {
        for (_, item) in targets.iter_mut() {
            let Some(target) = item.as_table_like_mut() else {
                continue;
            };
            for (key, kind) in DEP_TABLES {
                if let Some(t) = target.get_mut(key).and_then(Item::as_table_like_mut) {
                    f(kind, t);
                }
            }
        }
    }
}

/// The package a dependency entry resolves to: its `package` key, else the entry's key.
fn effective_name(key: &str, entry: &Item) -> String {
    entry
        .as_table_like()
        .and_then(|t| t.get("package"))
        .and_then(Item::as_str)
        .unwrap_or(key)
        .to_string()
}

/// A `flopscope`/`estimator-api` entry reduced to what a submission may choose: how it is
/// renamed, which features it enables, and whether it is optional. The source (version pin and,
/// on the grader, the path) is added by [`pin_grader_versions`] and [`point_at_pinned`].
#[derive(Clone, Debug, Default)]
struct GraderDep {
    version: Option<String>,
    path: Option<String>,
    package: Option<String>,
    features: Option<Array>,
    default_features: Option<bool>,
    optional: Option<bool>,
}

/// Keys a grader-crate entry may carry in a shipped manifest.
const GRADER_DEP_KEYS: [&str; 6] = [
    "version",
    "package",
    "features",
    "default-features",
    "default_features",
    "optional",
];

impl GraderDep {
    /// Reads the choices of an entry; source keys (`path`, `git`, …) are dropped.
    fn from_item(item: &Item) -> GraderDep {
        let Some(t) = item.as_table_like() else {
            return GraderDep {
                version: item.as_str().map(str::to_string),
                ..GraderDep::default()
            };
        };
        let get = |k: &str| t.get(k);
        GraderDep {
            version: get("version").and_then(Item::as_str).map(str::to_string),
            path: get("path").and_then(Item::as_str).map(str::to_string),
            package: get("package").and_then(Item::as_str).map(str::to_string),
            features: get("features").and_then(Item::as_array).cloned(),
            default_features: get("default-features")
                .or_else(|| get("default_features"))
                .and_then(Item::as_bool),
            optional: get("optional").and_then(Item::as_bool),
        }
    }

    fn to_item(&self) -> Item {
        let mut t = InlineTable::new();
        if let Some(v) = &self.version {
            t.insert("version", v.as_str().into());
        }
        if let Some(p) = &self.path {
            t.insert("path", p.as_str().into());
        }
        if let Some(p) = &self.package {
            t.insert("package", p.as_str().into());
        }
        if let Some(f) = &self.features {
            let mut f = f.clone();
            f.fmt();
            t.insert("features", Value::Array(f));
        }
        if let Some(d) = self.default_features {
            t.insert("default-features", d.into());
        }
        if let Some(o) = self.optional {
            t.insert("optional", o.into());
        }
        t.fmt();
        Item::Value(Value::InlineTable(t))
    }
}

/// Rewrites every `flopscope`/`estimator-api` entry of `doc` with `edit`.
fn edit_grader_deps(doc: &mut DocumentMut, edit: &dyn Fn(&str, &mut GraderDep)) {
    visit_dep_tables_mut(doc, &mut |_, table| {
        let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
        for key in keys {
            let Some(item) = table.get_mut(&key) else {
                continue;
            };
            let name = effective_name(&key, item);
            if !GRADER_CRATES.contains(&name.as_str()) {
                continue;
            }
            let mut dep = GraderDep::from_item(item);
            edit(&name, &mut dep);
            *item = dep.to_item();
        }
    });
}

/// Sets `version = "=X"` on the grader crates, `X` from `versions` (crate name → version).
pub fn pin_grader_versions(doc: &mut DocumentMut, versions: &BTreeMap<String, String>) {
    edit_grader_deps(doc, &|name, dep| {
        dep.version = versions.get(name).map(|v| format!("={v}"));
    });
}

/// The grader's rewrite: adds `path = "<dir>"` to every grader-crate entry, `dir` from
/// `path_of(crate name)`, and makes sure the crate is its own workspace root so it builds
/// wherever it is unpacked.
pub fn point_at_pinned<'a>(doc: &mut DocumentMut, path_of: &dyn Fn(&str) -> Option<&'a Path>) {
    edit_grader_deps(doc, &|name, dep| {
        dep.path = path_of(name).map(|p| p.to_string_lossy().into_owned());
    });
    ensure_own_workspace(doc);
}

/// Gives `doc` an empty `[workspace]` table (replacing any other), placed last.
fn ensure_own_workspace(doc: &mut DocumentMut) {
    doc.as_table_mut().remove("workspace");
    let mut ws = Table::new();
    ws.set_implicit(false);
    doc.as_table_mut().insert("workspace", Item::Table(ws));
}

#[cfg(test)]
mod tests;
