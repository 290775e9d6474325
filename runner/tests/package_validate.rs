//! `whest-runner validate-package`: a packaged archive passes; tampered or hostile ones fail
//! with the right issue codes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::package_support::*;
use serde_json::Value;

/// The zeros example packaged once for every test here.
fn zeros_archive() -> &'static Path {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let dir = fresh_dir("validate-zeros");
        let zeros = workspace().join("examples/zeros");
        let out = runner(
            &dir,
            &[
                "package",
                "--estimator",
                &zeros.to_string_lossy(),
                "--output",
                "zeros.tar.gz",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        dir.join("zeros.tar.gz")
    })
}

/// `validate-package --json` on `archive`: (exit code, issue codes with names).
fn validate(archive: &Path) -> (i32, Vec<(String, String)>) {
    let out = runner(
        archive.parent().unwrap_or(Path::new(".")),
        &["validate-package", &archive.to_string_lossy(), "--json"],
    );
    let (stdout, stderr) = text(&out);
    let reply: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(reply["ok"], out.status.code() == Some(0));
    assert!(reply["artifact"].as_str().is_some());
    let issues = reply["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            assert!(i["message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                i["code"].as_str().unwrap_or_default().to_string(),
                i["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    (out.status.code().unwrap_or(-1), issues)
}

/// A copy of the zeros archive with `edit` applied to its files.
fn forged(tag: &str, edit: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> PathBuf {
    let mut files: Vec<(String, Vec<u8>)> = read_archive(zeros_archive()).into_iter().collect();
    edit(&mut files);
    let path = fresh_dir(tag).join("forged.tar.gz");
    let borrowed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    write_archive(&path, &borrowed);
    path
}

#[test]
fn a_packaged_archive_is_valid() {
    assert_eq!(validate(zeros_archive()), (0, vec![]));
    let out = runner(
        Path::new("."),
        &["validate-package", &zeros_archive().to_string_lossy()],
    );
    let (stdout, _) = text(&out);
    assert!(stdout.contains("is a valid submission archive"), "{stdout}");
}

#[test]
fn a_tampered_file_is_caught() {
    let path = forged("validate-tampered", |files| {
        for (name, bytes) in files.iter_mut() {
            if name == "src/lib.rs" {
                bytes.extend_from_slice(b"\n// sneaky edit\n");
            }
        }
    });
    let (code, issues) = validate(&path);
    assert_eq!(code, 1);
    assert_eq!(
        issues,
        [("sha256_mismatch".to_string(), "src/lib.rs".to_string())]
    );
    let out = runner(
        Path::new("."),
        &["validate-package", &path.to_string_lossy()],
    );
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("[sha256_mismatch] src/lib.rs: sha256 mismatch"),
        "{stderr}"
    );
}

#[test]
fn unlisted_secret_and_missing_files_are_caught() {
    let path = forged("validate-extra", |files| {
        files.push((".env".into(), b"AICROWD_API_KEY=x".to_vec()));
        files.retain(|(n, _)| n != "Cargo.lock");
    });
    let (code, issues) = validate(&path);
    assert_eq!(code, 1);
    let codes: Vec<&str> = issues.iter().map(|(c, _)| c.as_str()).collect();
    for expected in [
        "file_not_in_archive",
        "unlisted_file",
        "secret_file",
        "missing_lockfile",
    ] {
        assert!(
            codes.contains(&expected),
            "{expected} missing from {codes:?}"
        );
    }
}

#[test]
fn a_missing_or_broken_archive_is_reported() {
    let dir = fresh_dir("validate-broken");
    let (code, issues) = validate(&dir.join("nope.tar.gz"));
    assert_eq!((code, issues[0].0.as_str()), (1, "archive_missing"));
    std::fs::write(dir.join("junk.tar.gz"), b"not an archive").expect("write");
    let (code, issues) = validate(&dir.join("junk.tar.gz"));
    assert_eq!((code, issues[0].0.as_str()), (1, "archive_unreadable"));
    let no_manifest = dir.join("bare.tar.gz");
    write_archive(&no_manifest, &[("src/lib.rs", b"x")]);
    let (code, issues) = validate(&no_manifest);
    assert_eq!((code, issues[0].0.as_str()), (1, "missing_manifest"));
}

#[test]
fn a_patched_cargo_toml_is_caught_even_with_matching_hashes() {
    // A hand-made archive whose manifest was regenerated to match a patched Cargo.toml.
    let path = forged("validate-patch", |files| {
        append(
            files,
            "Cargo.toml",
            "\n[patch.crates-io]\nrayon = { path = \"r\" }\n",
        );
    });
    let (code, issues) = validate(&path);
    assert_eq!(code, 1);
    assert_eq!(
        issues,
        [("patch_section".to_string(), "Cargo.toml".to_string())]
    );
}

/// Appends `text` to member `name` and regenerates the manifest's hashes to match (what a
/// hand-made hostile archive would do).
fn append(files: &mut [(String, Vec<u8>)], name: &str, text: &str) {
    for (n, bytes) in files.iter_mut() {
        if n == name {
            bytes.extend_from_slice(text.as_bytes());
        }
    }
    let hashes: Vec<(String, String)> = files.iter().map(|(n, b)| (n.clone(), sha256(b))).collect();
    for (n, bytes) in files.iter_mut() {
        if n != "manifest.json" {
            continue;
        }
        let mut manifest: Value = serde_json::from_slice(bytes).expect("manifest");
        for entry in manifest["files"].as_array_mut().expect("files") {
            let entry_name = entry["name"].as_str().unwrap_or_default().to_string();
            if let Some((_, h)) = hashes.iter().find(|(hn, _)| *hn == entry_name) {
                entry["sha256"] = Value::String(h.clone());
            }
        }
        *bytes = serde_json::to_vec(&manifest).expect("json");
    }
}

#[test]
fn unsafe_code_and_grader_file_includes_are_pointed_at_by_line() {
    let lines = read_archive(zeros_archive())["src/lib.rs"]
        .split(|b| *b == b'\n')
        .count();
    let path = forged("validate-unsafe", |files| {
        append(
            files,
            "src/lib.rs",
            "pub fn peek() -> u8 { unsafe { *(8 as *const u8) } }\n\
             pub const HOST: &[u8] = include_bytes!(\"/etc/hostname\");\n\
             pub const HOME: &str = env!(\"HOME\");\n",
        );
    });
    let (code, issues) = validate(&path);
    assert_eq!(code, 1);
    let at = |k: usize| format!("src/lib.rs:{}", lines + k);
    assert_eq!(
        issues,
        [
            ("unsafe_code".to_string(), at(0)),
            ("include_outside_crate".to_string(), at(1)),
            ("env_macro".to_string(), at(2)),
        ]
    );
}

#[test]
fn a_dependency_off_the_allow_list_is_caught_unless_the_grader_allows_it() {
    let path = forged("validate-dependency", |files| {
        append(
            files,
            "Cargo.lock",
            "\n[[package]]\nname = \"walkdir\"\nversion = \"2.5.0\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        );
    });
    let (code, issues) = validate(&path);
    assert_eq!(code, 1);
    assert_eq!(
        issues,
        [(
            "dependency_not_allowed".to_string(),
            "Cargo.lock".to_string()
        )]
    );
    let out = runner(
        Path::new("."),
        &["validate-package", &path.to_string_lossy()],
    );
    let (_, stderr) = text(&out);
    assert!(
        stderr
            .contains("pulls in walkdir 2.5.0, which is not on the grader's dependency allow-list"),
        "{stderr}"
    );
    let out = runner(
        Path::new("."),
        &[
            "validate-package",
            &path.to_string_lossy(),
            "--allow-crate",
            "walkdir",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

#[test]
fn a_profile_that_aborts_on_panic_is_caught() {
    let path = forged("validate-panic-abort", |files| {
        append(
            files,
            "Cargo.toml",
            "\n[profile.grading]\ninherits = \"release\"\npanic = \"abort\"\n",
        );
    });
    let (code, issues) = validate(&path);
    assert_eq!(code, 1);
    assert_eq!(
        issues,
        [("panic_strategy".to_string(), "Cargo.toml".to_string())]
    );
}
