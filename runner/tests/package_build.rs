//! `whest-runner build --locked`: the grader's build of a packaged crate gives a library that
//! `whest-runner validate` accepts; a tampered archive is refused before anything is unpacked.
//!
//! Built with `--profile dev` (`cargo rustc --profile test` would build a test harness, not
//! the cdylib) into the workspace's target folder; grading uses the default `release`. The
//! build is the hermetic one (vendored sources, fresh `CARGO_HOME`, cleared environment,
//! `-F unsafe-code`), so this also shows the examples' code and `export_estimator!` pass
//! under it.

use std::process::Command;

use crate::package_support::*;
use crate::support::target_dir;
use serde_json::Value;

#[test]
fn the_packaged_zeros_builds_locked_into_a_library_that_validates() {
    let dir = fresh_dir("build-zeros");
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

    let out = Command::new(env!("CARGO_BIN_EXE_whest-runner"))
        .current_dir(&dir)
        .args([
            "build",
            "--locked",
            "zeros.tar.gz",
            "--profile",
            "dev",
            "--json",
        ])
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("run whest-runner build");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let reply: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(reply["locked"], true);
    let library = reply["library"].as_str().expect("library path").to_string();
    assert!(
        library.ends_with("zeros-build/libzeros_estimator.so"),
        "{library}"
    );
    let crate_dir = dir.join("zeros-build");
    let built_toml = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        built_toml.contains(&format!(
            "path = \"{}",
            workspace().canonicalize().expect("ws").display()
        )),
        "the grader's own sources are used: {built_toml}"
    );

    let out = runner(&dir, &["validate", "--estimator", &library]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Validation passed"), "{stdout}");

    let again = runner(&dir, &["build", "--locked", "zeros.tar.gz"]);
    let (_, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr.contains("already exists"),
        "the output folder must be fresh: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tampered_archive_is_refused_before_unpacking() {
    let dir = fresh_dir("build-tampered");
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
    let mut files: Vec<(String, Vec<u8>)> = read_archive(&dir.join("zeros.tar.gz"))
        .into_iter()
        .collect();
    files.push(("../escape.rs".into(), b"fn main() {}".to_vec()));
    for (name, bytes) in files.iter_mut() {
        if name == "src/lib.rs" {
            bytes.extend_from_slice(b"// changed\n");
        }
    }
    let borrowed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    write_bad_archive(&dir.join("bad.tar.gz"), &borrowed);

    let out = runner(&dir, &["build", "--locked", "bad.tar.gz"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("[unsafe_path]"), "{stderr}");
    assert!(!dir.join("bad-build").exists(), "nothing unpacked");
    assert!(
        !dir.join("escape.rs").exists()
            && !dir.parent().is_some_and(|p| p.join("escape.rs").exists())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Like `write_archive`, but writes names raw so `../` survives (tar's builder refuses it).
fn write_bad_archive(path: &std::path::Path, files: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).expect("create");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        tar.append(&h, *bytes).expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gzip");
}
