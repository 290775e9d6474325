//! `whest-runner dataset …` and `run --dataset` driven like a user: bake, slice + merge
//! (bit-identical to a one-host bake), `--slice auto`, merge and combine errors, generate-seeds,
//! an interrupted bake, and scoring a dataset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{lib, scratch as scratch_in};
use serde_json::Value;
use whest_dataset::load::load_split;
use whest_dataset::DatasetRow;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_whest-runner"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run whest-runner")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/dataset/tests/fixtures/datasets")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The zeros estimator, built once with the other test estimators.
fn zeros_estimator() -> PathBuf {
    lib("zeros-estimator")
}

/// Rows with the wall-time fields of their sampling breakdown zeroed: everything a bake
/// computes, nothing it measures.
fn deterministic(rows: &[DatasetRow]) -> Vec<DatasetRow> {
    rows.iter()
        .cloned()
        .map(|mut r| {
            let mut b: Value = serde_json::from_str(&r.sampling_budget_breakdown).expect("JSON");
            for k in ["wall_time_s", "residual_wall_time_s"] {
                b[k] = Value::from(0.0);
            }
            r.sampling_budget_breakdown = b.to_string();
            r
        })
        .collect()
}

fn bake_args<'a>(seeds: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "dataset",
        "bake",
        "--n-mlps",
        "7",
        "--n-samples",
        "300",
        "--width",
        "5",
        "--depth",
        "3",
        "--mlp-seeds",
        seeds,
        "--output",
        out,
        "--quiet",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn sliced_bakes_merge_to_the_one_host_bake_bit_for_bit() {
    let dir = scratch("slices");
    let seeds = dir.join("seeds.json");
    let o = run(&["dataset", "generate-seeds", "--n-mlps", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).expect("utf-8");
    let parsed: Vec<u64> = serde_json::from_str(text.trim()).expect("a JSON array");
    assert_eq!(parsed.len(), 7);
    std::fs::write(&seeds, &text).expect("seeds");
    let whole = dir.join("whole");
    // One bake thread: the thread count must not change a single bit.
    let o = run(&bake_args(s(&seeds), s(&whole), &["--threads", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // Slice 0 explicitly, slice 1 from a Slurm array (ids 1..3), slice 2 from a Kubernetes
    // indexed Job.
    let parts: Vec<PathBuf> = (0..3).map(|k| dir.join(format!("part{k}"))).collect();
    let o = run(&bake_args(s(&seeds), s(&parts[0]), &["--slice", "0/3"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bin()
        .args(bake_args(s(&seeds), s(&parts[1]), &["--slice", "auto"]))
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bin()
        .args(bake_args(
            s(&seeds),
            s(&parts[2]),
            &[
                "--slice",
                "auto",
                "--slice-count",
                "3",
                "--mlps-per-batch",
                "1",
            ],
        ))
        .env("JOB_COMPLETION_INDEX", "2")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let merged = dir.join("merged");
    let o = run(&[
        "dataset",
        "merge",
        s(&parts[2]),
        s(&parts[0]),
        s(&parts[1]),
        "--output",
        s(&merged),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a = load_split(&whole, None).expect("whole");
    let b = load_split(&merged, None).expect("merged");
    assert_eq!(a.rows.len(), 7);
    assert_eq!(deterministic(&a.rows), deterministic(&b.rows));
    let ids: Vec<u64> = b.rows.iter().map(|r| r.mlp_id).collect();
    assert_eq!(ids, (0..7).collect::<Vec<_>>());
    let info = run(&["dataset", "info", s(&merged)]);
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    assert!(
        info.contains("n_mlps: 7") && info.contains("(version 3.0)"),
        "{info}"
    );
}

#[test]
fn bake_refuses_bad_requests_and_existing_outputs() {
    let dir = scratch("refusals");
    let seeds = dir.join("seeds.json");
    std::fs::write(&seeds, "[1, 2, 3, 4, 5, 6, 7]").expect("seeds");
    let out = dir.join("out");
    std::fs::create_dir(&out).expect("existing");
    let o = run(&bake_args(s(&seeds), s(&out), &[]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    let fresh = dir.join("fresh");
    for (extra, needle) in [
        (vec!["--seed", "3"], "--mlp-seeds"),
        (vec!["--slice", "3/3"], "0 <= K < N"),
        (vec!["--slice", "auto"], "SLURM_ARRAY_TASK_ID"),
        (vec!["--mlp-range", "5-9"], "invalid for n_mlps=7"),
        (vec!["--split", "Bad_Name"], "split name"),
    ] {
        let o = bin()
            .args(bake_args(s(&seeds), s(&fresh), &extra))
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&o).contains(needle), "{extra:?}: {}", stderr(&o));
        assert!(!fresh.exists());
    }
    std::fs::write(&seeds, "[1, 2, 3, 4, 5, 6, 1]").expect("seeds");
    let o = run(&bake_args(s(&seeds), s(&fresh), &[]));
    assert!(
        stderr(&o).contains("duplicate at indices [0, 6]"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "dataset",
        "bake",
        "--n-mlps",
        "4",
        "--n-samples",
        "10",
        "--width",
        "2",
        "--depth",
        "1",
        "--slice",
        "0/2",
        "--output",
        s(&fresh),
    ]);
    assert!(stderr(&o).contains("needs --mlp-seeds"), "{}", stderr(&o));
    assert!(!fresh.exists());
}

#[test]
fn merge_reports_each_failure_class_distinctly() {
    let dir = scratch("merge-errors");
    let out = dir.join("out");
    let p0 = fixture("python_partial_0of2");
    let p1 = fixture("python_partial_1of2");
    let mislabelled = dir.join("mislabelled");
    std::fs::create_dir_all(mislabelled.join("data")).expect("copy");
    std::fs::copy(
        p0.join("data/public-00000-of-00001.parquet"),
        mislabelled.join("data/public-00000-of-00001.parquet"),
    )
    .expect("copy parquet");
    let md = std::fs::read_to_string(p0.join("metadata.json")).expect("metadata");
    let md = md.replacen(
        "\"mlp_range\": [\n    0,\n    2\n  ]",
        "\"mlp_range\": [\n    2,\n    4\n  ]",
        1,
    );
    assert!(md.contains("    2,\n    4"));
    std::fs::write(mislabelled.join("metadata.json"), md).expect("metadata");
    let complete = fixture("python_v3_fixture");
    let cases: [(Vec<&Path>, &str); 5] = [
        (vec![&p0, &p0], "previous partial ends at 2"),
        (vec![&p1], "no partial covers MLPs [0, 2)"),
        (vec![&p0], "no partial covers MLPs [2, 4)"),
        (vec![&p0, &complete], "non-partial"),
        (
            vec![&p0, &mislabelled],
            "don't match the declared range [2, 4)",
        ),
    ];
    for (inputs, needle) in cases {
        let mut args = vec!["dataset", "merge"];
        args.extend(inputs.iter().map(|p| s(p)));
        args.extend(["--output", s(&out)]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{needle}");
        assert!(stderr(&o).contains(needle), "{needle}: {}", stderr(&o));
        assert!(!out.exists());
    }
}

#[test]
fn combine_splits_then_run_picks_the_split() {
    let dir = scratch("combine");
    let seeds_a = dir.join("a.json");
    let seeds_b = dir.join("b.json");
    std::fs::write(&seeds_a, "[5, 6]").expect("seeds");
    std::fs::write(&seeds_b, "[7, 8, 9]").expect("seeds");
    let common = [
        "--n-samples",
        "64",
        "--width",
        "3",
        "--depth",
        "2",
        "--quiet",
    ];
    let (a, b) = (dir.join("a"), dir.join("b"));
    for (seeds, n, split, config, out) in [
        (&seeds_a, "2", "dev", "dev", &a),
        (&seeds_b, "3", "eval", "eval", &b),
    ] {
        let mut args = vec!["dataset", "bake", "--n-mlps", n, "--mlp-seeds", s(seeds)];
        args.extend(common);
        args.extend(["--split", split, "--config", config, "--output", s(out)]);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let multi = dir.join("multi");
    let o = run(&[
        "dataset",
        "combine-splits",
        s(&a),
        s(&b),
        "--output",
        s(&multi),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Combined 2 splits"));
    let md = std::fs::read_to_string(multi.join("metadata.json")).expect("metadata");
    assert!(!md.contains("default_split"), "no input had config default");
    let lib = zeros_estimator();
    let o = run(&[
        "run",
        "--estimator",
        s(&lib),
        "--dataset",
        s(&multi),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("pass --split")
            || String::from_utf8_lossy(&o.stdout).contains("pass --split")
    );
    let o = run(&[
        "run",
        "--estimator",
        s(&lib),
        "--dataset",
        s(&multi),
        "--split",
        "eval",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("report");
    assert_eq!(report["run_config"]["n_mlps"], 3);
    assert_eq!(report["run_config"]["width"], 3);
    let with_default = dir.join("multi-default");
    let o = run(&[
        "dataset",
        "combine-splits",
        s(&a),
        s(&b),
        "--default-split",
        "dev",
        "--output",
        s(&with_default),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md: Value = serde_json::from_str(
        &std::fs::read_to_string(with_default.join("metadata.json")).expect("metadata"),
    )
    .expect("metadata JSON");
    assert_eq!(md["default_split"], "dev");
    let o = run(&[
        "run",
        "--estimator",
        s(&lib),
        "--dataset",
        s(&with_default),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("report");
    assert_eq!(report["run_config"]["n_mlps"], 2, "the default split, dev");
    let (complete, partial) = (fixture("python_v3_fixture"), fixture("python_partial_0of2"));
    for (inputs, needle) in [
        (vec![s(&a), s(&a)], "duplicate split name"),
        (vec![s(&a), s(&complete)], "n_samples="),
        (vec![s(&partial)], "partial"),
    ] {
        let out = dir.join("bad");
        let mut args = vec!["dataset", "combine-splits"];
        args.extend(inputs);
        args.extend(["--output", s(&out)]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{needle}");
        assert!(stderr(&o).contains(needle), "{needle}: {}", stderr(&o));
        assert!(!out.exists());
    }
}

#[test]
fn run_scores_a_python_dataset_like_python() {
    let lib = zeros_estimator();
    let ds = fixture("python_v3_fixture");
    let o = run(&[
        "run",
        "--estimator",
        s(&lib),
        "--dataset",
        s(&ds),
        "--n-samples",
        "5",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).expect("report");
    // whestbench 0.16.2 `whest run --estimator zeros.py --dataset python_v3_fixture --json`.
    assert_eq!(r["results"]["final_layer_mse"], 0.2129296474158764);
    assert_eq!(
        r["results"]["adjusted_final_layer_score"],
        0.021292964741587636
    );
    let names: Vec<&str> = r["results"]["per_mlp"]
        .as_array()
        .expect("per_mlp")
        .iter()
        .map(|m| m["mlp_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["emily-hart", "elizabeth-rice", "mary-rivera", "ann-andrews"]
    );
    assert_eq!(
        r["results"]["per_mlp"][0]["final_layer_mse"],
        0.36724647879600525
    );
    let d = &r["run_config"]["dataset"];
    assert_eq!(
        d["sha256"],
        "ccccb61df49a30870b9de2bf147d499d2a07545404b27aff29d693b5fb7a8192"
    );
    assert_eq!(
        (d["seed"].clone(), d["n_mlps"].clone()),
        (Value::Null, Value::from(4))
    );
    assert_eq!(r["run_config"]["n_mlps"], 4);
    let o = run(&[
        "run",
        "--estimator",
        s(&lib),
        "--dataset",
        s(&ds),
        "--n-mlps",
        "9",
    ]);
    assert!(
        stderr(&o).contains("--n-mlps=9 exceeds dataset size (4); using 4"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "run",
        "--estimator",
        s(&lib),
        "--dataset",
        "hf://aicrowd/x@v1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("network"), "{}", stderr(&o));
    let o = run(&[
        "run",
        "--estimator",
        s(&lib),
        "--dataset",
        s(&fixture("python_partial_1of2")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("dataset merge"), "{}", stderr(&o));
}

#[test]
fn an_interrupted_bake_leaves_nothing_that_loads() {
    let dir = scratch("interrupt");
    let out = dir.join("big");
    let mut child = bin()
        .args([
            "dataset",
            "bake",
            "--n-mlps",
            "3",
            "--n-samples",
            "50000000",
            "--width",
            "64",
            "--depth",
            "4",
            "--output",
            s(&out),
            "--quiet",
        ])
        .spawn()
        .expect("spawn");
    // Kill it only once it has started writing: its staging folder holds the parquet file.
    let data = dir
        .join(format!(".big.staging-{}", child.id()))
        .join("data");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let started_writing = || {
        std::fs::read_dir(&data)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false)
    };
    while !started_writing() {
        assert!(
            std::time::Instant::now() < deadline,
            "the bake never started writing into {}",
            data.display()
        );
        assert!(
            child.try_wait().expect("poll bake").is_none(),
            "the bake ended before it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(!out.exists(), "a killed bake created its output");
    for entry in std::fs::read_dir(&dir).expect("list").flatten() {
        assert!(
            load_split(&entry.path(), None).is_err(),
            "{} loads as a dataset",
            entry.path().display()
        );
        assert!(!entry.path().join("metadata.json").exists());
    }
}

/// A fresh scratch folder for this file's test `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("ds-cli", name)
}
