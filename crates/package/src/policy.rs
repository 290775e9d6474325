//! What a submission may not contain, judged by file name, content and totals. `package` refuses
//! a crate that breaks a rule (it never drops such a file silently), and `validate-package`
//! reports the same rules as issues.
//!
//! - **Credentials** ([`SECRET_PATTERNS`], whestbench's list plus a few token files, matched
//!   case-insensitively against every path segment) and any file holding a PEM private key.
//!   whestbench drops these with a warning; whest-rs refuses, so nothing disappears behind the
//!   user's back. A file the crate's `.gitignore`/`.whestignore` already excludes is never
//!   looked at.
//! - **Files that change how the grader builds**: anything under a `.cargo` folder (a cargo
//!   config can patch dependencies, override `paths`, replace sources or wrap `rustc`), a
//!   `build.rs` (arbitrary code at build time that could rewrite the grader's `flopscope`), a
//!   second `Cargo.toml` (a vendored crate, e.g. a private copy of `flopscope`), and a
//!   `rust-toolchain` file (the grader builds with its own toolchain).
//! - **Caps**: [`super::MAX_FILES`] files and [`super::MAX_BYTES`] bytes.
//! - **Archive member names**: relative, `/`-separated, no `.`/`..`/empty segments, no `\`.

use super::ignore::fnmatch;
use super::source_scan;
use super::{Issue, MAX_BYTES, MAX_FILES};

/// Credential file patterns (lower case; matched against each lower-cased path segment).
pub const SECRET_PATTERNS: &[&str] = &[
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "*.ppk",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
    ".aws",
    ".ssh",
    ".gnupg",
    "credentials",
    "credentials.*",
    "token",
    "token.*",
    "*.token",
];

/// The marker every PEM private key carries (`-----BEGIN RSA PRIVATE KEY-----`, …).
const PRIVATE_KEY_MARKER: &[u8] = b"PRIVATE KEY-----";

/// Whether `rel` names a credential file or lies in a credential folder.
pub fn is_secret_name(rel: &str) -> bool {
    rel.split('/').any(|seg| {
        let seg = seg.to_lowercase();
        SECRET_PATTERNS.iter().any(|p| fnmatch(p, &seg))
    })
}

/// The issues of one file that would ship as `rel` with content `bytes`: credentials, files
/// that change how the grader builds, and what a Rust source may not do
/// ([`crate::source_scan`]). Empty when the file may ship.
pub fn file_issues(rel: &str, bytes: &[u8]) -> Vec<Issue> {
    let mut issues = Vec::new();
    if is_secret_name(rel) {
        issues.push(Issue::new(
            "secret_file",
            rel,
            format!(
                "{rel} looks like a credential file, and credentials must never ship in a \
                 submission: delete it, move it out of the crate, or list it in .whestignore"
            ),
        ));
    } else if holds_private_key(bytes) {
        issues.push(Issue::new(
            "secret_file",
            rel,
            format!(
                "{rel} contains a private key (\"PRIVATE KEY-----\"), and credentials must \
                 never ship in a submission: remove the key or list the file in .whestignore"
            ),
        ));
    }
    if let Some(issue) = build_control_issue(rel) {
        issues.push(issue);
    }
    if rel.ends_with(".rs") {
        issues.extend(source_scan::source_issues(
            rel,
            &String::from_utf8_lossy(bytes),
        ));
    }
    issues
}

fn holds_private_key(bytes: &[u8]) -> bool {
    bytes
        .windows(PRIVATE_KEY_MARKER.len())
        .any(|w| w == PRIVATE_KEY_MARKER)
}

/// A file that would change how the grader builds the crate, if `rel` is one.
fn build_control_issue(rel: &str) -> Option<Issue> {
    let segments: Vec<&str> = rel.split('/').collect();
    if segments.contains(&".cargo") {
        return Some(Issue::new(
            "cargo_config",
            rel,
            format!(
                "{rel} is cargo configuration, which could patch or replace flopscope or \
                 estimator-api, redirect sources or wrap rustc on the grader: remove the .cargo \
                 folder (put dependency settings in Cargo.toml)"
            ),
        ));
    }
    let file = segments.last().copied().unwrap_or_default();
    if segments.len() > 1 && file == "Cargo.toml" {
        return Some(Issue::new(
            "nested_crate",
            rel,
            format!(
                "{rel} is a second crate inside the submission (a vendored copy of a dependency \
                 such as flopscope?): a submission is one crate; move the code into src/ or \
                 depend on a crates.io release"
            ),
        ));
    }
    if segments.len() == 1 && file == "build.rs" {
        return Some(Issue::new(
            "build_script",
            rel,
            "build.rs runs arbitrary code on the grader at build time (it could alter flopscope \
             or estimator-api), so submissions may not have one: remove it (include_bytes! \
             embeds data files without a build script)",
        ));
    }
    if segments.len() == 1 && matches!(file, "rust-toolchain" | "rust-toolchain.toml") {
        return Some(Issue::new(
            "toolchain_file",
            rel,
            format!("{rel} pins a toolchain, but the grader builds with its own: remove it"),
        ));
    }
    None
}

/// Issues for a submission of `files` files totalling `bytes` bytes, `manifest.json` excluded.
pub fn cap_issues(files: usize, bytes: u64) -> Vec<Issue> {
    let mut issues = Vec::new();
    if files > MAX_FILES {
        issues.push(Issue::new(
            "too_many_files",
            "",
            format!(
                "the submission has {files} files, over the {MAX_FILES}-file cap: exclude files \
                 you don't need via .whestignore"
            ),
        ));
    }
    if bytes > MAX_BYTES {
        issues.push(Issue::new(
            "too_large",
            "",
            format!(
                "the submission is {:.1} MiB, over the {} MiB cap: exclude large files via \
                 .whestignore",
                bytes as f64 / (1024.0 * 1024.0),
                MAX_BYTES / (1024 * 1024)
            ),
        ));
    }
    issues
}

/// Why `name` is not a safe archive member path (absolute, `..`, `.`, empty segments,
/// backslashes, NUL), if it is not.
pub fn unsafe_path_reason(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.starts_with('/') {
        return Some("is absolute");
    }
    if name.contains('\\') || name.contains('\0') {
        return Some("contains a backslash or NUL");
    }
    for seg in name.trim_end_matches('/').split('/') {
        match seg {
            ".." => return Some("climbs out of the archive with .."),
            "" | "." => return Some("has an empty or '.' segment"),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_matched_case_insensitively_in_any_segment() {
        for p in [
            ".env",
            ".ENV.local",
            "keys/deploy.PEM",
            "id_rsa.pub",
            ".aws/config",
            ".ssh/known_hosts",
            "cfg/Credentials.json",
            "api.token",
        ] {
            assert!(is_secret_name(p), "{p}");
        }
        for p in [
            "src/lib.rs",
            "environment.rs",
            "src/tokenizer.rs",
            "keyframes.bin",
        ] {
            assert!(!is_secret_name(p), "{p}");
        }
    }

    #[test]
    fn private_keys_are_found_by_content() {
        let pem = b"x\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n";
        assert_eq!(file_issues("notes.txt", pem)[0].code, "secret_file");
        assert!(file_issues("notes.txt", b"public notes").is_empty());
    }

    #[test]
    fn files_that_steer_the_build_are_refused() {
        let code = |p: &str| file_issues(p, b"").first().map(|i| i.code);
        assert_eq!(code(".cargo/config.toml"), Some("cargo_config"));
        assert_eq!(code("vendor/flopscope/Cargo.toml"), Some("nested_crate"));
        assert_eq!(code("build.rs"), Some("build_script"));
        assert_eq!(code("rust-toolchain.toml"), Some("toolchain_file"));
        assert_eq!(code("Cargo.toml"), None);
        assert_eq!(code("src/build.rs"), None);
    }

    #[test]
    fn caps_are_inclusive() {
        assert!(cap_issues(MAX_FILES, MAX_BYTES).is_empty());
        assert_eq!(cap_issues(MAX_FILES + 1, 0)[0].code, "too_many_files");
        assert_eq!(cap_issues(1, MAX_BYTES + 1)[0].code, "too_large");
    }

    #[test]
    fn member_paths_must_stay_inside() {
        assert_eq!(unsafe_path_reason("src/lib.rs"), None);
        assert!(unsafe_path_reason("/etc/passwd").is_some());
        assert!(unsafe_path_reason("../x").is_some());
        assert!(unsafe_path_reason("a/../../x").is_some());
        assert!(unsafe_path_reason("./x").is_some());
        assert!(unsafe_path_reason("a\\..\\x").is_some());
        assert!(unsafe_path_reason("").is_some());
    }
}
