//! `whest-runner package` refuses what may not ship: each case exits 1 with its one-line message
//! and writes nothing.

use std::path::Path;

use crate::package_support::*;

/// Packages the crate at `dir/est` and asserts the refusal: exit 1, `code` and `needle` on
/// stderr, no archive written.
fn assert_refused(dir: &Path, code: &str, needle: &str) {
    let out = runner(
        dir,
        &["package", "--estimator", "est", "--output", "out.tar.gz"],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains(&format!("[{code}]")))
        .unwrap_or_else(|| panic!("no [{code}] line in:\n{stderr}"));
    assert!(line.contains(needle), "{line}");
    assert!(archives_in(dir).is_empty(), "nothing written");
    let partial = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("partial"));
    assert!(!partial, "no partial file");
}

fn scratch(tag: &str, extra_toml: &str) -> std::path::PathBuf {
    let dir = fresh_dir(tag);
    standalone_crate(&dir.join("est"), extra_toml);
    dir
}

#[test]
fn a_credential_file_is_refused() {
    let dir = scratch("refuse-secret", "");
    std::fs::write(dir.join("est/deploy.PEM"), b"x").expect("write");
    assert_refused(
        &dir,
        "secret_file",
        "deploy.PEM looks like a credential file",
    );
}

#[test]
fn a_private_key_inside_any_file_is_refused() {
    let dir = scratch("refuse-key-content", "");
    std::fs::write(
        dir.join("est/notes.md"),
        b"-----BEGIN RSA PRIVATE KEY-----\nMII...\n",
    )
    .expect("write");
    assert_refused(&dir, "secret_file", "notes.md contains a private key");
}

#[test]
fn more_than_fifty_files_are_refused() {
    let dir = scratch("refuse-count", "");
    std::fs::create_dir_all(dir.join("est/data")).expect("mkdir");
    for i in 0..50 {
        std::fs::write(dir.join(format!("est/data/{i}.bin")), [0u8]).expect("write");
    }
    assert_refused(&dir, "too_many_files", "over the 50-file cap");
}

#[test]
fn more_than_fifty_mib_is_refused() {
    let dir = scratch("refuse-size", "");
    let big = std::fs::File::create(dir.join("est/weights.bin")).expect("create");
    big.set_len(51 * 1024 * 1024).expect("sparse 51 MiB file");
    assert_refused(&dir, "too_large", "over the 50 MiB cap");
}

#[test]
fn a_symlink_is_refused() {
    let dir = scratch("refuse-symlink", "");
    std::os::unix::fs::symlink("/etc/hostname", dir.join("est/src/host.txt")).expect("symlink");
    assert_refused(&dir, "symlink", "src/host.txt is a symlink");
}

#[test]
fn a_patch_of_flopscope_is_refused() {
    let dir = scratch(
        "refuse-patch",
        "\n[patch.crates-io]\nflopscope = { path = \"../my-flopscope\" }\n",
    );
    assert_refused(&dir, "patch_section", "[patch] section");
}

#[test]
fn a_cargo_config_is_refused() {
    let dir = scratch("refuse-cargo-config", "");
    std::fs::create_dir_all(dir.join("est/.cargo")).expect("mkdir");
    std::fs::write(
        dir.join("est/.cargo/config.toml"),
        "paths = [\"../my-flopscope\"]\n",
    )
    .expect("write");
    assert_refused(
        &dir,
        "cargo_config",
        ".cargo/config.toml is cargo configuration",
    );
}

#[test]
fn a_vendored_flopscope_and_a_build_script_are_refused() {
    let dir = scratch("refuse-vendored", "");
    std::fs::create_dir_all(dir.join("est/vendor/flopscope")).expect("mkdir");
    std::fs::write(
        dir.join("est/vendor/flopscope/Cargo.toml"),
        "[package]\nname = \"flopscope\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("est/build.rs"), "fn main() {}\n").expect("write");
    assert_refused(
        &dir,
        "nested_crate",
        "vendor/flopscope/Cargo.toml is a second crate",
    );
    assert_refused(&dir, "build_script", "build.rs runs arbitrary code");
}

#[test]
fn a_dependency_posing_as_flopscope_is_refused() {
    let toml_dir = fresh_dir("refuse-rename");
    standalone_crate(&toml_dir.join("est"), "");
    let path = toml_dir.join("est/Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    let text = text.replace(
        "flopscope = {",
        "flopscope = { package = \"fast-flopscope\",",
    );
    std::fs::write(&path, text).expect("write");
    assert_refused(
        &toml_dir,
        "grader_crate_replaced",
        "the grader provides flopscope itself",
    );
}

#[test]
fn a_crate_that_is_not_an_estimator_is_refused() {
    let dir = scratch("refuse-not-cdylib", "");
    let path = dir.join("est/Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace("crate-type = [\"cdylib\"]", "crate-type = [\"rlib\"]"),
    )
    .expect("write");
    assert_refused(&dir, "not_cdylib", "builds no cdylib");
}

#[test]
fn a_crate_with_unsafe_code_is_refused() {
    let dir = scratch("refuse-unsafe", "");
    let lib = dir.join("est/src/lib.rs");
    let mut src = std::fs::read_to_string(&lib).expect("read");
    let line = src.lines().count() + 1;
    src.push_str("pub fn peek() -> u8 { unsafe { *(8 as *const u8) } }\n");
    std::fs::write(&lib, src).expect("write");
    assert_refused(
        &dir,
        "unsafe_code",
        &format!("src/lib.rs:{line} uses `unsafe`"),
    );
}

#[test]
fn a_panic_abort_profile_is_refused() {
    let dir = scratch(
        "refuse-panic-abort",
        "\n[profile.release]\npanic = \"abort\"\n",
    );
    assert_refused(
        &dir,
        "panic_strategy",
        "[profile.release] sets panic = \"abort\"",
    );
}
