//! Whether a new crate folder lies inside a Cargo workspace that will claim it as a member.
//!
//! A crate with its own `[workspace]` table inside another workspace's `members` glob breaks
//! that workspace ("multiple workspace roots found"). `init` therefore asks
//! [`claiming_workspace`] first and, when a workspace claims the folder, writes a plain member
//! (no `[workspace]`, no release profile, no lockfile) instead of a standalone crate.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// A workspace whose `members` include the new crate's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimingWorkspace {
    /// The workspace root folder (where its `Cargo.toml` is).
    pub root: PathBuf,
    /// The `members` entry that matches, e.g. `examples/*`.
    pub pattern: String,
}

/// The nearest workspace above `dir` (an absolute, canonical path), if its `members` match
/// `dir` and its `exclude` does not. As cargo does, only the first ancestor whose `Cargo.toml`
/// has a `[workspace]` table is considered; an unreadable or unparsable manifest claims nothing.
pub fn claiming_workspace(dir: &Path) -> Option<ClaimingWorkspace> {
    let (root, table) = dir.ancestors().skip(1).find_map(workspace_table)?;
    let relative = dir.strip_prefix(&root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let entries = |key: &str| -> Vec<String> {
        table
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let excluded = entries("exclude").iter().any(|e| {
        let prefix: Vec<&str> = e
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        parts.len() >= prefix.len() && prefix.iter().zip(&parts).all(|(a, b)| a == b)
    });
    if excluded {
        return None;
    }
    entries("members")
        .into_iter()
        .find(|pattern| path_matches(pattern, &parts))
        .map(|pattern| ClaimingWorkspace { root, pattern })
}

/// `(folder, [workspace] table)` when `folder/Cargo.toml` declares a workspace.
fn workspace_table(folder: &Path) -> Option<(PathBuf, toml_edit::Table)> {
    let text = fs::read_to_string(folder.join("Cargo.toml")).ok()?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    let table = doc.get("workspace")?.as_table()?.clone();
    Some((folder.to_path_buf(), table))
}

/// Whether the folder components `parts` match a `members` glob: `/`-separated components,
/// each with `*` (any run of characters) and `?` (one character); `**` matches any number of
/// components.
fn path_matches(pattern: &str, parts: &[String]) -> bool {
    let pats: Vec<&str> = pattern
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    components_match(&pats, parts)
}

fn components_match(pats: &[&str], parts: &[String]) -> bool {
    match (pats.first(), parts.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            components_match(&pats[1..], parts)
                || (!parts.is_empty() && components_match(pats, &parts[1..]))
        }
        (Some(p), Some(s)) => {
            wildcard_match(p.as_bytes(), s.as_bytes()) && components_match(&pats[1..], &parts[1..])
        }
        _ => false,
    }
}

/// `*` / `?` matching of one path component.
fn wildcard_match(pat: &[u8], s: &[u8]) -> bool {
    match (pat.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard_match(&pat[1..], s) || (!s.is_empty() && wildcard_match(pat, &s[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard_match(&pat[1..], &s[1..]),
        (Some(a), Some(b)) => a == b && wildcard_match(&pat[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<String> {
        p.split('/').map(str::to_string).collect()
    }

    #[test]
    fn member_globs_match_like_cargo() {
        assert!(path_matches("examples/*", &parts("examples/my-est")));
        assert!(!path_matches("examples/*", &parts("examples/a/b")));
        assert!(!path_matches("examples/*", &parts("other/my-est")));
        assert!(path_matches("crates/est-?", &parts("crates/est-1")));
        assert!(path_matches("crates/*-est", &parts("crates/fast-est")));
        assert!(path_matches("runner", &parts("runner")));
        assert!(path_matches("./tools/**", &parts("tools/a/b")));
        assert!(!path_matches("runner", &parts("runner2")));
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("whest-ws-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("mkdir");
        dir.canonicalize().expect("canonical")
    }

    #[test]
    fn the_nearest_workspace_claims_folders_its_members_match() {
        let root = scratch("claims");
        fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"examples/*\", \"core\"]\nexclude = [\"examples/skip\"]\n",
        )
        .expect("manifest");
        let claim = claiming_workspace(&root.join("examples/new-est")).expect("claimed");
        assert_eq!(claim.root, root);
        assert_eq!(claim.pattern, "examples/*");
        assert_eq!(claiming_workspace(&root.join("examples/skip")), None);
        assert_eq!(claiming_workspace(&root.join("elsewhere/est")), None);
        // A nearer crate without a workspace table does not stop the search…
        fs::create_dir_all(root.join("examples")).expect("mkdir");
        fs::write(
            root.join("examples/Cargo.toml"),
            "[package]\nname = \"x\"\n",
        )
        .expect("w");
        assert!(claiming_workspace(&root.join("examples/new-est")).is_some());
        // …but a nearer workspace root does, and it does not list the folder.
        fs::write(
            root.join("examples/Cargo.toml"),
            "[workspace]\nmembers = []\n",
        )
        .expect("w");
        assert_eq!(claiming_workspace(&root.join("examples/new-est")), None);
        let _ = fs::remove_dir_all(&root);
    }
}
