//! Walking a folder into submission files: a crate folder for `package` (ignore rules applied,
//! ignored folders not entered), or an unpacked submission for `build DIR` (nothing ignored).
//! Paths are visited in sorted order; a symlink or special file that is not ignored is an issue,
//! never followed or dropped.

use std::path::{Path, PathBuf};

use super::ignore::IgnoreRules;
use super::{Issue, Member};

/// A file found in a folder, not yet read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    /// `/`-separated path relative to the folder.
    pub rel: String,
    /// Where it is on disk.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// The regular files under `root` that `rules` does not ignore, and an issue for each
/// non-ignored symlink, special file, non-UTF-8 name or unreadable folder.
pub fn walk(root: &Path, rules: &IgnoreRules) -> (Vec<FoundFile>, Vec<Issue>) {
    let mut files = Vec::new();
    let mut issues = Vec::new();
    visit(root, "", rules, &mut files, &mut issues);
    (files, issues)
}

fn visit(
    dir: &Path,
    prefix: &str,
    rules: &IgnoreRules,
    files: &mut Vec<FoundFile>,
    issues: &mut Vec<Issue>,
) {
    let mut entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).collect::<Vec<_>>(),
        Err(e) => {
            issues.push(Issue::new(
                "unreadable",
                prefix,
                format!("cannot list {}: {e}", dir.display()),
            ));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            issues.push(Issue::new(
                "bad_name",
                path.display().to_string(),
                format!(
                    "{} has a name that is not UTF-8: rename it or list it in .whestignore",
                    path.display()
                ),
            ));
            continue;
        };
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if rules.is_ignored(&rel) {
            continue;
        }
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                issues.push(Issue::new(
                    "unreadable",
                    rel.clone(),
                    format!("cannot stat {rel}: {e}"),
                ));
                continue;
            }
        };
        if meta.file_type().is_symlink() {
            issues.push(Issue::new(
                "symlink",
                rel.clone(),
                format!(
                    "{rel} is a symlink, and submissions hold regular files only: replace it \
                     with the file it points to, or list it in .whestignore"
                ),
            ));
        } else if meta.is_dir() {
            visit(&path, &rel, rules, files, issues);
        } else if meta.is_file() {
            files.push(FoundFile {
                rel,
                path,
                size: meta.len(),
            });
        } else {
            issues.push(Issue::new(
                "not_a_regular_file",
                rel.clone(),
                format!("{rel} is not a regular file (a socket or device?): remove it or list it in .whestignore"),
            ));
        }
    }
}

/// Reads `files` into members.
///
/// # Errors
/// An `unreadable` issue for each file that cannot be read.
pub fn read_all(files: &[FoundFile]) -> Result<Vec<Member>, Vec<Issue>> {
    let mut members = Vec::with_capacity(files.len());
    let mut issues = Vec::new();
    for f in files {
        match std::fs::read(&f.path) {
            Ok(bytes) => members.push(Member::new(f.rel.clone(), bytes)),
            Err(e) => issues.push(Issue::new(
                "unreadable",
                f.rel.clone(),
                format!("cannot read {}: {e}", f.path.display()),
            )),
        }
    }
    if issues.is_empty() {
        Ok(members)
    } else {
        Err(issues)
    }
}

/// Reads an unpacked submission folder (everything in it, nothing ignored) into members, like
/// [`super::archive::read`] reads a tarball.
pub fn read_unpacked(dir: &Path) -> (Vec<Member>, Vec<Issue>) {
    if !dir.is_dir() {
        let label = dir.display().to_string();
        return (
            Vec::new(),
            vec![Issue::new(
                "archive_missing",
                label.clone(),
                format!("no such submission archive or folder: {label}"),
            )],
        );
    }
    let nothing_ignored = IgnoreRules::none();
    let (files, mut issues) = walk(dir, &nothing_ignored);
    let total: u64 = files.iter().map(|f| f.size).sum();
    if total > super::MAX_BYTES || files.len() > super::MAX_FILES * 4 {
        issues.extend(super::policy::cap_issues(files.len(), total));
        return (Vec::new(), issues);
    }
    match read_all(&files) {
        Ok(members) => (members, issues),
        Err(more) => {
            issues.extend(more);
            (Vec::new(), issues)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_skipping_ignored_folders_and_flagging_symlinks() {
        let dir = std::env::temp_dir().join(format!("whest-collect-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["src", "target/release", "data"] {
            std::fs::create_dir_all(dir.join(d)).expect("mkdir");
        }
        for f in [
            "Cargo.toml",
            "src/lib.rs",
            "target/release/libx.so",
            "data/w.bin",
        ] {
            std::fs::write(dir.join(f), b"x").expect("write");
        }
        std::os::unix::fs::symlink("/etc/hostname", dir.join("src/link.rs")).expect("symlink");
        let (files, issues) = walk(&dir, &IgnoreRules::builtin());
        let rels: Vec<&str> = files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["Cargo.toml", "data/w.bin", "src/lib.rs"]);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].code, "symlink");
        assert_eq!(issues[0].name, "src/link.rs");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
