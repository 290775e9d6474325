//! What `package` leaves out silently: built-in ignores (VCS folders, build outputs, archives,
//! the ignore files themselves) plus the crate's `.gitignore` and `.whestignore` patterns.
//!
//! Matching follows whestbench (Python `fnmatch`): a pattern (trailing `/` stripped) ignores a
//! path when it matches any path segment, the file name, or the whole relative path. `*`
//! matches any run of characters (including `/` when matched against the whole path), `?` one
//! character, `[abc]`/`[a-z]`/`[!abc]` a class. Two extensions over whestbench: a leading `/`
//! anchors a pattern at the crate root (as in git: it matches the relative path or one of its
//! parent folders, so `/data` ignores `data/x` but not `src/data`), and `!negation` lines, which
//! whestbench treats as literal names that never match, are skipped. Only the crate root's
//! `.gitignore`/`.whestignore` are read; blank lines and `#` comments are skipped.

use std::path::Path;

use super::PackageError;

/// Ignored whatever the crate's ignore files say: whestbench's built-in list without `env` (a
/// plausible Rust module folder), plus Rust build outputs (the crate's `target` folder, compiled
/// libraries and objects). The root `Cargo.lock` is ignored here because `package` ships the
/// lock it resolves itself (see [`super::lockfile`]).
pub const BUILTIN_IGNORES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".DS_Store",
    "*.tar.gz",
    "*.tgz",
    "*.zip",
    ".whestignore",
    ".gitignore",
    "manifest.json",
    "/target",
    "/Cargo.lock",
    "*.so",
    "*.dylib",
    "*.dll",
    "*.rlib",
    "*.rmeta",
    "*.o",
    "*.a",
    "*.pdb",
];

/// The crate's ignore files, read from its root in this order.
pub const IGNORE_FILES: [&str; 2] = [".gitignore", ".whestignore"];

/// A compiled ignore list.
#[derive(Clone, Debug)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Clone, Debug)]
struct Pattern {
    glob: String,
    anchored: bool,
}

impl IgnoreRules {
    /// The built-in rules only (used by `validate-package` to spot build outputs in archives).
    pub fn builtin() -> IgnoreRules {
        IgnoreRules::from_lines(BUILTIN_IGNORES.iter().copied())
    }

    /// No rules: every path counts (for reading an unpacked submission as it is).
    pub fn none() -> IgnoreRules {
        IgnoreRules {
            patterns: Vec::new(),
        }
    }

    /// Built-in rules plus the patterns of `root/.gitignore` and `root/.whestignore`.
    ///
    /// # Errors
    /// [`PackageError::UnreadableIgnoreFile`] naming an ignore file that exists but cannot be
    /// read as UTF-8 text.
    pub fn for_crate(root: &Path) -> Result<IgnoreRules, PackageError> {
        let mut lines: Vec<String> = BUILTIN_IGNORES.iter().map(|s| s.to_string()).collect();
        for name in IGNORE_FILES {
            let path = root.join(name);
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|source| PackageError::UnreadableIgnoreFile { path, source })?;
            lines.extend(text.lines().map(str::to_string));
        }
        Ok(IgnoreRules::from_lines(lines.iter().map(String::as_str)))
    }

    fn from_lines<'a>(lines: impl Iterator<Item = &'a str>) -> IgnoreRules {
        let patterns = lines
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .filter_map(|l| {
                let l = l.trim_end_matches('/');
                let (glob, anchored) = match l.strip_prefix('/') {
                    Some(rest) => (rest, true),
                    None => (l, false),
                };
                (!glob.is_empty()).then(|| Pattern {
                    glob: glob.to_string(),
                    anchored,
                })
            })
            .collect();
        IgnoreRules { patterns }
    }

    /// Whether `rel` (a `/`-separated path relative to the crate root) is ignored.
    pub fn is_ignored(&self, rel: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(rel))
    }
}

impl Pattern {
    fn matches(&self, rel: &str) -> bool {
        if self.anchored {
            // A matching folder ignores everything below it.
            return rel
                .match_indices('/')
                .map(|(i, _)| &rel[..i])
                .chain(std::iter::once(rel))
                .any(|prefix| fnmatch(&self.glob, prefix));
        }
        rel.split('/').any(|seg| fnmatch(&self.glob, seg)) || fnmatch(&self.glob, rel)
    }
}

/// Python's `fnmatch.fnmatchcase`: `*` any run (including `/`), `?` one character, `[...]` a
/// class (`!` or `^` negates, `a-z` ranges); an unclosed `[` is a literal.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with single-star backtracking.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class opening at `p[start] == '['`; `None` when the class is not
/// closed (then `[` is a literal), else `(matched, index after the closing ']')`.
fn match_class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_python() {
        assert!(fnmatch("*.tar.gz", "submission-1.tar.gz"));
        assert!(fnmatch("id_rsa*", "id_rsa.pub"));
        assert!(fnmatch("*", "a/b"));
        assert!(fnmatch("src/*.rs", "src/deep/x.rs"));
        assert!(fnmatch("?.txt", "a.txt"));
        assert!(!fnmatch("?.txt", "ab.txt"));
        assert!(fnmatch("[ab]*", "beta"));
        assert!(!fnmatch("[!ab]*", "beta"));
        assert!(fnmatch("w[0-9].bin", "w7.bin"));
        assert!(fnmatch("[x", "[x"));
        assert!(!fnmatch("target", "targets"));
        assert!(fnmatch("", ""));
    }

    #[test]
    fn patterns_match_segments_names_and_paths() {
        let rules = IgnoreRules::from_lines(
            [
                "# comment",
                "",
                "data/",
                "*.bin",
                "/top.txt",
                "!keep.bin",
                "weights/big.npy",
            ]
            .into_iter(),
        );
        assert!(rules.is_ignored("data/x.txt"));
        assert!(rules.is_ignored("src/data"));
        assert!(rules.is_ignored("w/deep.bin"));
        assert!(rules.is_ignored("top.txt"));
        assert!(
            !rules.is_ignored("src/top.txt"),
            "a leading / anchors at the root"
        );
        assert!(
            rules.is_ignored("top.txt/inner"),
            "an anchored folder ignores its contents"
        );
        assert!(rules.is_ignored("weights/big.npy"));
        assert!(rules.is_ignored("keep.bin"), "negation is not supported");
        assert!(!rules.is_ignored("src/lib.rs"));
    }

    #[test]
    fn builtins_cover_build_outputs_and_vcs() {
        let rules = IgnoreRules::builtin();
        for p in [
            "target/release/libx.so",
            ".git/HEAD",
            "libx.so",
            "deps/x.rlib",
            "old.tar.gz",
            "Cargo.lock",
            "manifest.json",
        ] {
            assert!(rules.is_ignored(p), "{p}");
        }
        assert!(rules.is_ignored("target/debug/build/x/out.txt"));
        for p in [
            "Cargo.toml",
            "src/lib.rs",
            "weights.npy",
            "src/target.rs",
            "src/target/mod.rs",
            "src/env/mod.rs",
        ] {
            assert!(!rules.is_ignored(p), "{p}");
        }
    }
}
