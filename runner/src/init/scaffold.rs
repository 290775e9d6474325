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

/// The `Cargo.toml` lines of a standalone crate: whest-rs's own profiles.
const STANDALONE_PROFILE: &str = "
# whest-rs's own release profile: `whest-runner` builds estimators with `cargo build --release`.
[profile.release]
opt-level = 3
codegen-units = 16
debug = \"line-tables-only\"

# whest-rs's own debug profile: your crate keeps line tables (backtraces name file and line);
# its dependencies (flopscope's kernels) are optimised and carry no debug info, so `cargo test`
# runs at full speed and a debug build compiles the dependencies the way whest-rs does.
[profile.dev]
debug = \"line-tables-only\"

[profile.dev.package.\"*\"]
opt-level = 3
debug = false
";

/// The scaffold's files for crate `name` depending on whest-rs through `source`:
/// `Cargo.toml`, `src/lib.rs`, `README.md`, `.gitignore`, in that order. A standalone crate
/// (`member_of = None`) gets an empty `[workspace]` table and whest-rs's profiles; a member of
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
            .replace("{{profiles}}", profile)
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

    /// `profile.<name>` of a manifest, as TOML text (empty when absent).
    fn profile(manifest: &str, path: &[&str]) -> String {
        let doc: toml_edit::DocumentMut = manifest.parse().expect("valid TOML");
        let mut item = doc.as_item();
        for key in ["profile"].iter().chain(path) {
            match item.get(key) {
                Some(next) => item = next,
                None => return String::new(),
            }
        }
        let table = item.as_table().expect("a profile table");
        table
            .iter()
            .filter(|(_, v)| !v.is_table())
            .map(|(k, v)| {
                let mut value = v.as_value().expect("a value").clone();
                value.decor_mut().clear();
                format!("{k}={value}")
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn a_standalone_scaffold_has_the_workspaces_release_and_dev_profiles() {
        // Same settings as whest-rs's own manifest: a debug build of the estimator then
        // compiles its dependencies exactly as whest-rs's tests do (and, in a shared target
        // folder, reuses them), and `cargo test` runs flopscope's kernels optimised.
        let source = DependencySource::Git("https://g.example/whest-rs".into());
        let files = render("est", &source, None);
        let ours = &files[0].content;
        let workspace = include_str!("../../../Cargo.toml");
        for path in [&["release"][..], &["dev"], &["dev", "package", "*"]] {
            let want = profile(workspace, path);
            assert!(!want.is_empty(), "whest-rs has no profile.{path:?}");
            assert_eq!(profile(ours, path), want, "profile.{path:?}");
        }
    }

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
