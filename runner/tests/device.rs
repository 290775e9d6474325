//! `--device`: which sampler computes the ground truth of `run` and `dataset bake`. This build
//! has the CPU sampler only: `cuda` must fail in one line with exit 1, `auto` must say it fell
//! back to the CPU and give the same numbers as `cpu`.

use std::path::Path;

use crate::support::lib;
use crate::support::{runner, scratch};
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `run` on a small seeded live contest with the zeros estimator and `--device device`.
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
    let out = out.to_string_lossy().into_owned();
    runner(&[
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
        "--device",
        device,
    ])
}

#[test]
fn run_with_cuda_in_a_cpu_build_fails_in_one_line() {
    let out = run_on("cuda");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let payload: Value = serde_json::from_slice(&out.stdout).expect("error payload is JSON");
    let message = payload["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("no CUDA support"), "{payload}");
    assert!(!message.contains('\n'), "one line: {message}");
}

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
