//! `--device`, `--stream` and `dataset verify`: which sampler computes the ground truth of
//! `run` and `dataset bake`. Without the `cuda` feature `cuda` must fail in one line with exit
//! 1, `auto` must say it fell back to the CPU and give the same numbers as `cpu`; the Philox
//! stream bakes on the CPU, is recorded in the metadata, and `dataset verify` re-derives it.

use std::path::Path;

#[cfg(not(feature = "cuda"))]
use crate::support::lib;
use crate::support::{runner, scratch};
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `run` on a small seeded live contest with the zeros estimator and `--device device`.
#[cfg(not(feature = "cuda"))]
fn run_on(device: &str) -> std::process::Output {
    let zeros = lib("zeros-estimator");
    let est = zeros.to_string_lossy().into_owned();
    runner(&[
        "run",
        "--estimator",
        &est,
        "--width",
        "8",
        "--depth",
        "2",
        "--n-mlps",
        "2",
        "--n-samples",
        "3000",
        "--seed",
        "11",
        "--json",
        "--device",
        device,
    ])
}

fn bake_into(out: &Path, device: &str) -> std::process::Output {
    bake_with(out, &["--device", device])
}

fn bake_with(out: &Path, flags: &[&str]) -> std::process::Output {
    let out = out.to_string_lossy().into_owned();
    let mut args = vec![
        "dataset",
        "bake",
        "--n-mlps",
        "2",
        "--n-samples",
        "500",
        "--width",
        "4",
        "--depth",
        "2",
        "--output",
        &out,
        "--quiet",
    ];
    args.extend_from_slice(flags);
    runner(&args)
}

#[cfg(not(feature = "cuda"))]
#[test]
fn run_with_cuda_in_a_cpu_build_fails_in_one_line() {
    let out = run_on("cuda");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let payload: Value = serde_json::from_slice(&out.stdout).expect("error payload is JSON");
    let message = payload["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("no CUDA support"), "{payload}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[cfg(not(feature = "cuda"))]
#[test]
fn run_with_auto_says_it_uses_the_cpu_and_scores_like_cpu() {
    let auto = run_on("auto");
    let cpu = run_on("cpu");
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto.stderr));
    assert_eq!(cpu.status.code(), Some(0), "{}", text(&cpu.stderr));
    assert!(text(&auto.stderr).contains("sampling on the CPU"));
    assert!(!text(&cpu.stderr).contains("sampling on the CPU"));
    let score = |o: &std::process::Output| -> Value {
        let v: Value = serde_json::from_slice(&o.stdout).expect("report JSON");
        v["results"]["per_mlp"]
            .as_array()
            .expect("per_mlp")
            .iter()
            .map(|e| e["final_layer_mse"].clone())
            .collect()
    };
    assert_eq!(score(&auto), score(&cpu));
}

#[cfg(not(feature = "cuda"))]
#[test]
fn bake_with_cuda_in_a_cpu_build_fails_and_writes_nothing() {
    let dir = scratch("device", "bake-cuda");
    let out = dir.join("eval");
    let o = bake_into(&out, "cuda");
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("no CUDA support"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!out.exists());
}

#[cfg(not(feature = "cuda"))]
#[test]
fn bake_with_auto_falls_back_to_the_cpu_and_bakes() {
    let dir = scratch("device", "bake-auto");
    let out = dir.join("eval");
    let o = bake_into(&out, "auto");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("sampling on the CPU"));
    assert!(out.join("metadata.json").exists());
}

#[test]
fn an_unknown_device_is_a_usage_error() {
    let dir = scratch("device", "bake-gpu");
    let o = bake_into(&dir.join("eval"), "gpu");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("cpu, cuda or auto"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_philox_bake_records_its_stream_and_verifies_here() {
    let dir = scratch("device", "bake-philox");
    let out = dir.join("eval");
    let o = bake_with(&out, &["--stream", "philox"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let md: Value =
        serde_json::from_slice(&std::fs::read(out.join("metadata.json")).expect("metadata"))
            .expect("JSON");
    assert_eq!(md["backend"], "whest-rs-philox");
    assert_eq!(md["whest_rs_stream"], "philox4x32-10-boxmuller-f64");
    assert_eq!(md["device"], "cpu");
    assert_eq!(md["seed_protocol"]["version"], "3.0");
    let dir_arg = out.to_string_lossy().into_owned();
    let v = runner(&["dataset", "verify", &dir_arg, "--n-mlps", "2"]);
    let report = text(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{report}{}", text(&v.stderr));
    assert!(report.contains("same stream and sample count"), "{report}");
    // The same machine, stream and sample count: identical means.
    assert!(
        report.contains("largest difference: 0.000e0 standard errors (threshold 0.5): OK"),
        "{report}"
    );
    let prefix = runner(&["dataset", "verify", &dir_arg, "--n-samples", "100"]);
    assert_eq!(prefix.status.code(), Some(0), "{}", text(&prefix.stdout));
    assert!(
        text(&prefix.stdout).contains("prefix"),
        "{}",
        text(&prefix.stdout)
    );
}

#[test]
fn verify_catches_wrong_means_and_refuses_more_samples_than_recorded() {
    let dir = scratch("device", "verify-tampered");
    let seeds = dir.join("seeds.json");
    std::fs::write(&seeds, "[11, 22]").expect("seeds");
    let out = dir.join("eval");
    let seeds_arg = seeds.to_string_lossy().into_owned();
    let o = bake_with(&out, &["--stream", "philox", "--mlp-seeds", &seeds_arg]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let dir_arg = out.to_string_lossy().into_owned();
    let too_many = runner(&["dataset", "verify", &dir_arg, "--n-samples", "501"]);
    assert_eq!(too_many.status.code(), Some(1));
    let err = text(&too_many.stderr);
    assert!(err.contains("choose 1 to 500"), "{err}");
    let other = runner(&["dataset", "verify", &dir_arg, "--stream", "numpy"]);
    assert!(
        text(&other.stdout).contains("independent"),
        "{}",
        text(&other.stdout)
    );
    // Claim the 500-sample means came from 50 samples: re-sampling 50 on the same stream
    // misses them by about one standard error of 50 samples, far beyond rounding.
    let md_path = out.join("metadata.json");
    let md = std::fs::read_to_string(&md_path).expect("metadata");
    std::fs::write(
        &md_path,
        md.replace("\"n_samples\": 500", "\"n_samples\": 50"),
    )
    .expect("write");
    let wrong = runner(&["dataset", "verify", &dir_arg, "--n-mlps", "2"]);
    let report = text(&wrong.stdout);
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "{report}{}",
        text(&wrong.stderr)
    );
    assert!(report.contains("FAILED"), "{report}");
}

#[test]
fn the_numpy_stream_is_refused_on_cuda_in_one_line() {
    let dir = scratch("device", "bake-numpy-cuda");
    let out = dir.join("eval");
    let o = bake_with(&out, &["--device", "cuda", "--stream", "numpy"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("Philox stream only"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!out.exists());
}
