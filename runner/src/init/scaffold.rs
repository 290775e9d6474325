//! The files of a new estimator crate, rendered from the templates in `runner/templates/init/`.

use std::path::PathBuf;

use super::source::DependencySource;
use super::workspace::ClaimingWorkspace;

const CARGO_TOML: &str = include_str!("../../templates/init/Cargo.toml.tmpl");
const LIB_RS: &str = include_str!("../../templates/init/lib.rs.tmpl");
const README_MD: &str = include_str!("../../templates/init/README.md.tmpl");
const GITIGNORE: &str = include_str!("../../templates/init/gitignore.tmpl");

/// Crate name used when the folder name cannot be turned into one.
pub const FALLBACK_CRATE_NAME: &str = "my-estimator";

/// Names a new crate cannot take: its own dependencies and Rust's built-in crates.
const TAKEN_NAMES: [&str; 9] = [
    "flopscope",
    "estimator-api",
    "estimator_api",
    "whest-runner",
    "std",
    "core",
    "alloc",
    "test",
    "proc_macro",
];

/// One file of the scaffold: its path relative to the crate folder and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaffoldFile {
    /// Path relative to the crate folder.
    pub relative: PathBuf,
    /// File content.
    pub content: String,
}

/// A cargo package name derived from a folder name: lowercase ASCII letters, digits, `-` and
/// `_`, starting with a letter (other characters become `-`); [`FALLBACK_CRATE_NAME`] when
/// nothing usable is left; `-estimator` appended to a name a dependency or built-in crate owns.
pub fn crate_name(folder: &str) -> String {
    let mapped: String = folder
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    let trimmed = mapped
        .trim_start_matches(|c: char| !c.is_ascii_lowercase())
        .trim_end_matches(['-', '_']);
    if trimmed.is_empty() {
        FALLBACK_CRATE_NAME.to_string()
    } else if TAKEN_NAMES.contains(&trimmed) {
        format!("{trimmed}-estimator")
    } else {
        trimmed.to_string()
    }
}

/// The `Cargo.toml` lines of a standalone crate: an empty workspace table.
const STANDALONE_WORKSPACE: &str = "\
# An empty workspace table: this crate builds on its own, wherever it lives.
[workspace]
";

/// The `Cargo.toml` lines of a standalone crate: whest-rs's release profile.
const STANDALONE_PROFILE: &str = "
# whest-rs's own release profile: `whest-runner` builds estimators with `cargo build --release`.
[profile.release]
opt-level = 3
codegen-units = 16
debug = \"line-tables-only\"
";

/// The scaffold's files for crate `name` depending on whest-rs through `source`:
/// `Cargo.toml`, `src/lib.rs`, `README.md`, `.gitignore`, in that order. A standalone crate
/// (`member_of = None`) gets an empty `[workspace]` table and a release profile; a member of
/// the workspace that claims its folder gets neither (that workspace's profile applies).
pub fn render(
    name: &str,
    source: &DependencySource,
    member_of: Option<&ClaimingWorkspace>,
) -> Vec<ScaffoldFile> {
    let (workspace, profile) = match member_of {
        None => (STANDALONE_WORKSPACE.to_string(), STANDALONE_PROFILE),
        Some(w) => (
            format!(
                "# A member of the workspace at {} (its `members` entry `{}` includes this folder).\n",
                w.root.display(),
                w.pattern
            ),
            "",
        ),
    };
    let fill = |template: &str| {
        template
            .replace("{{crate_name}}", name)
            .replace("{{workspace}}", &workspace)
            .replace("{{release_profile}}", profile)
            .replace("{{dependencies}}", &source.dependency_lines())
            .replace("{{dependency_note}}", &source.readme_note())
    };
    [
        ("Cargo.toml", CARGO_TOML),
        ("src/lib.rs", LIB_RS),
        ("README.md", README_MD),
        (".gitignore", GITIGNORE),
    ]
    .into_iter()
    .map(|(relative, template)| ScaffoldFile {
        relative: PathBuf::from(relative),
        content: fill(template),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_become_crate_names() {
        assert_eq!(crate_name("my-est"), "my-est");
        assert_eq!(crate_name("My Estimator!"), "my-estimator");
        assert_eq!(crate_name("2fast"), "fast");
        assert_eq!(crate_name("..."), FALLBACK_CRATE_NAME);
        assert_eq!(crate_name("flopscope"), "flopscope-estimator");
        assert_eq!(crate_name("Test"), "test-estimator");
    }

    #[test]
    fn templates_are_filled_completely() {
        let files = render(
            "demo",
            &DependencySource::Git("https://g.example/w".into()),
            None,
        );
        let names: Vec<_> = files.iter().map(|f| f.relative.clone()).collect();
        assert_eq!(
            names,
            ["Cargo.toml", "src/lib.rs", "README.md", ".gitignore"].map(PathBuf::from)
        );
        for f in &files {
            assert!(
                !f.content.contains("{{"),
                "{:?} left a placeholder",
                f.relative
            );
        }
        let manifest = &files[0].content;
        assert!(manifest.contains("name = \"demo\""));
        assert!(manifest.contains("crate-type = [\"cdylib\"]"));
        assert!(manifest.contains("\n[workspace]\n"));
        assert!(manifest.contains("[profile.release]"));
        assert!(files[1].content.contains("export_estimator!(MyEstimator);"));
        assert_eq!(files[3].content, "target/\n");
    }

    #[test]
    fn a_workspace_member_has_no_workspace_table_or_profile() {
        let claim = ClaimingWorkspace {
            root: PathBuf::from("/ws"),
            pattern: "examples/*".into(),
        };
        let files = render(
            "demo",
            &DependencySource::Git("https://g.example/w".into()),
            Some(&claim),
        );
        let manifest = &files[0].content;
        assert!(!manifest.contains("[workspace]"), "{manifest}");
        assert!(!manifest.contains("[profile"), "{manifest}");
        assert!(manifest.contains("`examples/*`"));
        assert!(manifest.contains("[dependencies]\n"));
    }
}
