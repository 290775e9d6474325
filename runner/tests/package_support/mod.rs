//! Helpers for the `package_*` tests: run the binary, make scratch crates, and read or forge
//! archives with `tar`/`flate2` directly (independently of the runner's own reader).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

/// The whest-rs checkout.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A fresh, empty scratch folder named `tag`.
pub fn fresh_dir(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("package-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// Runs `whest-runner args` in `cwd`.
pub fn runner(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whest-runner"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run whest-runner")
}

/// stdout and stderr of `out` as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Lower-case hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The regular files of a gzip tarball, by name.
pub fn read_archive(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).expect("open archive");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read entry");
        out.insert(name, bytes);
    }
    out
}

/// Writes `files` as a gzip tarball (regular files, in order).
pub fn write_archive(path: &Path, files: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).expect("create archive");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        tar.append_data(&mut h, name, *bytes).expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gzip");
}

/// A standalone estimator crate (outside the workspace) at `dir`: the zeros estimator with
/// path dependencies on this checkout's flopscope and estimator-api, the workspace's lock as
/// its own `Cargo.lock` (so resolving it needs no network), and `extra_toml` appended.
pub fn standalone_crate(dir: &Path, extra_toml: &str) {
    let ws = workspace();
    std::fs::create_dir_all(dir.join("src")).expect("mkdir src");
    std::fs::copy(ws.join("examples/zeros/src/lib.rs"), dir.join("src/lib.rs"))
        .expect("copy lib.rs");
    std::fs::copy(ws.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy lock");
    let toml = format!(
        "[package]\nname = \"my-estimator\"\nversion = \"0.2.0\"\nedition = \"2021\"\n\n\
         [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\n\
         estimator-api = {{ path = \"{}\" }}\nflopscope = {{ path = \"{}\" }}\n{extra_toml}",
        ws.join("estimator-api").display(),
        ws.join("flopscope-rs").display(),
    );
    std::fs::write(dir.join("Cargo.toml"), toml).expect("write Cargo.toml");
}

/// The `.tar.gz` files in `dir`.
pub fn archives_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .collect();
    found.sort();
    found
}
