//! `whest-runner package`: what a packaged crate contains, and how the output file is handled.

use crate::package_support::*;
use serde_json::Value;

#[test]
fn packaging_zeros_ships_the_crate_a_lock_and_a_manifest_whose_hashes_match() {
    let dir = fresh_dir("create-zeros");
    let zeros = workspace().join("examples/zeros");
    let out = runner(&dir, &["package", "--estimator", &zeros.to_string_lossy()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let archives = archives_in(&dir);
    assert_eq!(archives.len(), 1, "one archive in the current folder");
    let name = archives[0]
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        name.starts_with("submission-") && name.len() == "submission-20261123-200436.tar.gz".len(),
        "{name}"
    );

    let files = read_archive(&archives[0]);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["Cargo.lock", "Cargo.toml", "manifest.json", "src/lib.rs"]
    );
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest JSON");
    assert_eq!(manifest["schema_version"], "1.0");
    assert_eq!(manifest["entrypoint"]["crate"], "zeros-estimator");
    assert_eq!(manifest["entrypoint"]["lib"], "zeros_estimator");
    assert_eq!(manifest["entrypoint"]["crate_type"], "cdylib");
    assert_eq!(
        manifest["entrypoint"]["abi_version"],
        estimator_api::ABI_VERSION
    );
    assert_eq!(manifest["flopscope_version"], "0.1.0");
    assert!(manifest["rustc_version"]
        .as_str()
        .is_some_and(|v| v.starts_with("rustc ")));
    let listed = manifest["files"].as_array().expect("files");
    assert_eq!(listed.len(), 3);
    assert_eq!(manifest["file_count"], 3);
    for f in listed {
        let name = f["name"].as_str().expect("name");
        assert_eq!(
            f["sha256"].as_str(),
            Some(sha256(&files[name]).as_str()),
            "{name}"
        );
        assert_eq!(f["size"].as_u64(), Some(files[name].len() as u64), "{name}");
    }
    let lib = std::fs::read(zeros.join("src/lib.rs")).expect("lib.rs");
    assert_eq!(files["src/lib.rs"], lib, "sources ship unchanged");

    let toml = String::from_utf8_lossy(&files["Cargo.toml"]).into_owned();
    assert!(
        !toml.contains("workspace = true") && !toml.contains(".workspace"),
        "{toml}"
    );
    assert!(
        toml.contains("flopscope = { version = \"=0.1.0\" }"),
        "{toml}"
    );
    assert!(
        toml.contains("estimator-api = { version = \"=0.1.0\" }"),
        "{toml}"
    );
    assert!(toml.contains("[workspace]"), "{toml}");
    let lock = String::from_utf8_lossy(&files["Cargo.lock"]).into_owned();
    assert!(
        lock.contains("name = \"zeros-estimator\""),
        "the lock is the crate's own"
    );
    assert!(
        !lock.contains("name = \"whest-runner\""),
        "the workspace's other crates are pruned"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_standalone_crate_ships_data_files_and_skips_ignored_ones() {
    let dir = fresh_dir("create-standalone");
    let krate = dir.join("est");
    standalone_crate(&krate, "");
    std::fs::create_dir_all(krate.join("weights")).expect("mkdir");
    std::fs::write(krate.join("weights/w.bin"), [1u8, 2, 3]).expect("weights");
    std::fs::create_dir_all(krate.join("target/release")).expect("mkdir target");
    std::fs::write(krate.join("target/release/libmy_estimator.so"), b"elf").expect("so");
    std::fs::write(krate.join("notes.txt"), b"scratch").expect("notes");
    std::fs::write(krate.join(".env"), b"TOKEN=1").expect(".env");
    std::fs::write(krate.join(".whestignore"), "notes.txt\n.env\n").expect("ignore file");
    let out_path = dir.join("sub.tar.gz");
    let out = runner(
        &dir,
        &[
            "package",
            "--estimator",
            "est",
            "--output",
            "sub.tar.gz",
            "--json",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let reply: Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(reply["ok"], true);
    assert_eq!(reply["file_count"], 4);
    assert!(reply["artifact_path"]
        .as_str()
        .is_some_and(|p| p.ends_with("sub.tar.gz")));
    let names: Vec<String> = read_archive(&out_path).into_keys().collect();
    assert_eq!(
        names,
        [
            "Cargo.lock",
            "Cargo.toml",
            "manifest.json",
            "src/lib.rs",
            "weights/w.bin"
        ]
    );
    let toml = String::from_utf8_lossy(&read_archive(&out_path)["Cargo.toml"]).into_owned();
    assert!(
        !toml.contains(&workspace().to_string_lossy().into_owned()),
        "no local paths ship: {toml}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_existing_output_is_kept_unless_yes_is_given() {
    let dir = fresh_dir("create-overwrite");
    let zeros = workspace().join("examples/zeros");
    let zeros = zeros.to_string_lossy();
    std::fs::write(dir.join("mine.tar.gz"), b"precious").expect("existing file");
    let out = runner(
        &dir,
        &["package", "--estimator", &zeros, "--output", "mine.tar.gz"],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("already exists") && stderr.contains("--yes"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(dir.join("mine.tar.gz")).expect("kept"),
        b"precious"
    );

    let out = runner(
        &dir,
        &[
            "package",
            "--estimator",
            &zeros,
            "--output",
            "mine.tar.gz",
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(read_archive(&dir.join("mine.tar.gz")).contains_key("manifest.json"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "no partial files left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_says_submitting_is_done_by_hand() {
    let out = runner(&workspace(), &["package", "--help"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("whest submit") && stdout.contains("by hand"),
        "{stdout}"
    );
}
