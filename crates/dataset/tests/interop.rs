//! Interchange with Python whestbench 0.16.2: datasets it baked (committed under
//! `tests/fixtures/datasets/`) load here with the reference fixture numbers, their weights and ground
//! truth are regenerated bit for bit from the seeds, seed protocols 3.0/4.0 derive the same
//! seeds and names, and Rust bakes/merges reproduce Python's rows.

use std::path::{Path, PathBuf};

use crate::support::scratch as scratch_in;
use whest_contest::ground_truth::ground_truth;
use whest_contest::mlp_gen::generate_from_input_seed;
use whest_contest::names::name_for_seed;
use whest_contest::{CpuSampler, InputStream, SampleJob, Sampler};
use whest_dataset::bake::{bake, BakeSpec};
use whest_dataset::contest::contest_from_dataset;
use whest_dataset::load::load_split;
use whest_dataset::merge::merge;
use whest_dataset::metadata::{read_metadata, sha256_hex};
use whest_dataset::seed_protocol::SeedProtocol;
use whest_dataset::slice::MlpRange;
use whest_dataset::{DatasetError, DatasetRow};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/datasets")
        .join(name)
}

fn wide(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// Every column but the sampling breakdown (whose wall times differ between any two bakes).
fn without_breakdown(rows: &[DatasetRow]) -> Vec<DatasetRow> {
    rows.iter()
        .cloned()
        .map(|mut r| {
            r.sampling_budget_breakdown.clear();
            r
        })
        .collect()
}

#[test]
fn python_fixture_has_the_section_12_numbers() {
    let ds = load_split(&fixture("python_v3_fixture"), None).expect("loads");
    assert_eq!(ds.split, "public");
    assert_eq!(ds.protocol, SeedProtocol::V3);
    let names: Vec<&str> = ds.rows.iter().map(|r| r.mlp_name.as_str()).collect();
    assert_eq!(
        names,
        ["emily-hart", "elizabeth-rice", "mary-rivera", "ann-andrews"]
    );
    let seeds: Vec<u64> = ds.rows.iter().map(|r| r.mlp_seed).collect();
    assert_eq!(seeds, [1001, 2002, 3003, 4004]);
    let est: Vec<u64> = seeds
        .iter()
        .map(|&s| ds.protocol.estimator_seed(s).expect("3.0"))
        .collect();
    assert_eq!(est, [3_622_263_192, 3_259_458_125, 4_076_086_378, 755_867]);
    let m0 = &ds.rows[0];
    assert_eq!(
        wide(&m0.weights[..4]),
        [
            -0.5708025693893433,
            1.291426420211792,
            -0.4143601953983307,
            0.12275725603103638
        ]
    );
    assert_eq!(
        wide(&m0.all_layer_means),
        [
            0.5987451076507568,
            0.8463906049728394,
            0.2450989931821823,
            0.5222322344779968,
            0.35644301772117615,
            0.00011175523832207546,
            0.005849281791597605,
            1.1584041118621826
        ]
    );
    assert_eq!(m0.final_means, m0.all_layer_means[4..]);
    assert_eq!(m0.avg_variance, 1.074743449815292);
    let m1 = &ds.rows[1];
    assert_eq!(
        wide(&m1.weights[..4]),
        [
            1.1822022199630737,
            -0.9812465310096741,
            -0.017285212874412537,
            0.967278778553009
        ]
    );
    assert_eq!(
        wide(&m1.all_layer_means[4..]),
        [
            0.0003778654499910772,
            0.2968333661556244,
            0.24015043675899506,
            0.0
        ]
    );
    assert_eq!(m1.avg_variance, 0.10508618762833832);
}

/// Weights and Monte-Carlo ground truth of every Python-baked row are regenerated bit for bit
/// from its `mlp_seed` (protocols 3.0 and 4.0 share the streams).
#[test]
fn weights_and_ground_truth_regenerate_bit_for_bit() {
    for (name, split) in [
        ("python_v3_fixture", None),
        ("python_v4_metadata_salt", None),
        ("python_multi_split", Some("mini")),
        ("python_multi_split", Some("full")),
    ] {
        let ds = load_split(&fixture(name), split).expect("loads");
        let n = ds.metadata["n_samples"].as_u64().expect("n_samples") as usize;
        for row in &ds.rows {
            let mlp = generate_from_input_seed(row.mlp_seed, ds.shape.width, ds.shape.depth);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&mlp.weights), bits(&row.weights), "{name} weights");
            let truth = ground_truth(&mlp, n).expect("ground truth");
            assert_eq!(
                bits(&truth.all_layer_means),
                bits(&row.all_layer_means),
                "{name}"
            );
            assert_eq!(bits(&truth.final_means), bits(&row.final_means), "{name}");
            assert_eq!(truth.avg_variance, row.avg_variance, "{name} avg_variance");
        }
    }
}

#[test]
fn protocol_4_seeds_and_names_match_python() {
    let ds = load_split(&fixture("python_v4_metadata_salt"), None).expect("loads");
    let seeds: Vec<u64> = ds
        .rows
        .iter()
        .map(|r| ds.protocol.estimator_seed(r.mlp_seed).expect("salted"))
        .collect();
    assert_eq!(
        seeds,
        [2_910_499_503, 534_264_472, 1_873_183_096, 1_923_171_525]
    );
    for r in &ds.rows {
        let name_seed = ds.protocol.name_seed(r.mlp_seed).expect("salted");
        assert_eq!(name_for_seed(name_seed), r.mlp_name);
    }
    assert_eq!(ds.rows[0].mlp_name, "holly-clements");
}

/// The only test touching `WHEST_SEED_SALT` (environment variables are process-wide).
#[test]
fn env_salted_protocol_4_needs_the_right_salt() {
    let dir = fixture("python_v4_env_salt");
    std::env::remove_var("WHEST_SEED_SALT");
    let err = load_split(&dir, None).unwrap_err();
    assert!(err.to_string().contains("WHEST_SEED_SALT"), "{err}");
    std::env::set_var("WHEST_SEED_SALT", "ff".repeat(32));
    let err = load_split(&dir, None).unwrap_err();
    assert!(err.to_string().contains("salt_digest"), "{err}");
    let salt: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
    std::env::set_var("WHEST_SEED_SALT", salt);
    let ds = load_split(&dir, None).expect("loads with the salt");
    std::env::remove_var("WHEST_SEED_SALT");
    assert_eq!(ds.protocol.estimator_seed(1001), Ok(2_910_499_503));
}

#[test]
fn multi_split_uses_default_split_and_tolerates_prepared() {
    let dir = fixture("python_multi_split");
    assert!(dir.join("prepared").is_dir());
    let ds = load_split(&dir, None).expect("default split");
    assert!(ds.used_default_split);
    assert_eq!((ds.split.as_str(), ds.rows.len()), ("mini", 2));
    assert_eq!(ds.metadata["n_mlps"], 2);
    let full = load_split(&dir, Some("full")).expect("full");
    assert_eq!(
        full.rows.iter().map(|r| r.mlp_seed).collect::<Vec<_>>(),
        [21, 22, 23]
    );
    assert_eq!(full.metadata["config"], "full");
    let err = load_split(&dir, Some("nope")).unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
}

#[test]
fn partials_are_refused_with_the_merge_hint() {
    let err = load_split(&fixture("python_partial_0of2"), None).unwrap_err();
    assert!(matches!(err, DatasetError::Invalid(_)));
    assert!(err.to_string().contains("dataset merge"), "{err}");
}

#[test]
fn merging_python_partials_reproduces_the_python_whole_bake() {
    let out = scratch("merge-python").join("merged");
    merge(
        &[
            fixture("python_partial_1of2"),
            fixture("python_partial_0of2"),
        ],
        &out,
    )
    .expect("merge");
    let merged = load_split(&out, None).expect("merged loads");
    let whole = load_split(&fixture("python_v3_fixture"), None).expect("whole");
    assert_eq!(
        without_breakdown(&merged.rows),
        without_breakdown(&whole.rows)
    );
    let (md, _) = read_metadata(&out).expect("metadata");
    assert_eq!(md["partials_count"], 2);
    assert_eq!(md["n_mlps"], 4);
    assert!(!md.contains_key("is_partial") && !md.contains_key("hardware"));
    assert_eq!(md["hardware_fingerprints"][0]["mlp_count"], 2);
}

#[test]
fn a_rust_bake_reproduces_the_python_bake() {
    let out = scratch("rust-bake").join("ds");
    let spec = BakeSpec {
        n_mlps: 4,
        n_samples: 100,
        width: 4,
        depth: 2,
        seeds: vec![1001, 2002, 3003, 4004],
        range: MlpRange { start: 0, end: 4 },
        split: "public".into(),
        config: "default".into(),
        output: out.clone(),
        mlps_per_batch: Some(3),
    };
    let mut ticks = Vec::new();
    let summary = bake(&spec, &CpuSampler::default(), &mut |t| {
        ticks.push(t.mlps_done)
    })
    .expect("bake");
    assert_eq!((summary.rows, summary.partial), (4, false));
    assert_eq!(ticks, [0, 3, 4]);
    let ours = load_split(&out, None).expect("loads");
    let python = load_split(&fixture("python_v3_fixture"), None).expect("fixture");
    assert_eq!(
        without_breakdown(&ours.rows),
        without_breakdown(&python.rows)
    );
    let breakdown: serde_json::Value =
        serde_json::from_str(&ours.rows[0].sampling_budget_breakdown).expect("JSON");
    assert_eq!(breakdown["provenance"]["chunk_size"], 16384);
    assert!(out.join("README.md").is_file());
    let err = bake(&spec, &CpuSampler::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(err, DatasetError::OutputExists(_)), "{err}");
}

#[test]
fn the_scoring_contest_clamps_and_records_the_dataset() {
    let dir = fixture("python_v3_fixture");
    let arg = dir.display().to_string();
    let c = contest_from_dataset(&arg, None, Some(10)).expect("contest");
    assert_eq!(c.mlps.len(), 4);
    assert!(c.notices.iter().any(|n| n.contains("--n-mlps=10 exceeds")));
    assert_eq!((c.width, c.depth), (4, 2));
    assert_eq!(c.mlps[0].seed, 3_622_263_192);
    assert_eq!(c.mlps[0].name, "emily-hart");
    let raw = std::fs::read(dir.join("metadata.json")).expect("metadata");
    assert_eq!(c.info.sha256, sha256_hex(&raw));
    assert_eq!((c.info.seed, c.info.n_mlps), (None, Some(4)));
    assert_eq!(
        c.sampling_breakdown
            .as_ref()
            .and_then(|b| b.time_source.clone()),
        Some("bake".to_string())
    );
    let two = contest_from_dataset(&arg, None, Some(2)).expect("two");
    assert_eq!(two.mlps.len(), 2);
    assert!(two.notices.is_empty());
    let err = contest_from_dataset("hf://aicrowd/whatever@v1", None, None).unwrap_err();
    assert!(err.to_string().contains("network"), "{err}");
}

/// A legacy protocol-2.0 dataset (the column is the estimator seed; metadata carries `seed`),
/// made by relabelling a copy of the fixture.
#[test]
fn protocol_2_uses_the_column_as_the_seed() {
    let dir = scratch("legacy").join("v2");
    std::fs::create_dir_all(dir.join("data")).expect("mkdir");
    let src = fixture("python_v3_fixture");
    std::fs::copy(
        src.join("data/public-00000-of-00001.parquet"),
        dir.join("data/public-00000-of-00001.parquet"),
    )
    .expect("copy");
    let (mut md, _) = read_metadata(&src).expect("metadata");
    md.insert(
        "seed_protocol".into(),
        serde_json::json!({"name": "whestbench_seedsequence_hierarchy", "version": "2.0"}),
    );
    let write = |md: &serde_json::Map<String, serde_json::Value>| {
        std::fs::write(
            dir.join("metadata.json"),
            serde_json::to_vec(md).expect("json"),
        )
        .expect("write")
    };
    write(&md);
    let err = load_split(&dir, None).unwrap_err();
    assert!(err.to_string().contains("'seed'"), "{err}");
    md.insert("seed".into(), serde_json::json!(42));
    write(&md);
    let c = contest_from_dataset(dir.to_str().expect("utf-8"), None, None).expect("2.0 loads");
    let seeds: Vec<u64> = c.mlps.iter().map(|m| m.seed).collect();
    assert_eq!(seeds, [1001, 2002, 3003, 4004]);
    assert_eq!(c.info.seed, Some(42));
}

/// A fresh scratch folder for this file's test `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("ds-interop", name)
}

/// `rust_philox_fixture`: a Philox-stream bake (see the fixtures README), which Python
/// whestbench 0.16.2 loads and scores (numbers in the fixtures README). Rust re-derives every
/// row's ground truth on the CPU from its seed, and a fresh bake writes the same rows.
#[test]
fn the_philox_fixture_rederives_and_rebakes() {
    let sampler = CpuSampler::new(InputStream::Philox);
    let out = scratch("rust-philox-bake").join("ds");
    let spec = BakeSpec {
        n_mlps: 3,
        n_samples: 100,
        width: 4,
        depth: 2,
        seeds: vec![1001, 2002, 3003],
        range: MlpRange { start: 0, end: 3 },
        split: "public".into(),
        config: "default".into(),
        output: out.clone(),
        mlps_per_batch: None,
    };
    bake(&spec, &sampler, &mut |_| {}).expect("bake");
    let fx = load_split(&fixture("rust_philox_fixture"), None).expect("loads");
    assert_eq!(fx.metadata["backend"], "whest-rs-philox");
    assert_eq!(fx.metadata["whest_rs_stream"], InputStream::Philox.id());
    assert_eq!(fx.metadata["device"], "cpu");
    assert_eq!(fx.protocol, SeedProtocol::V3);
    for row in &fx.rows {
        let mlp = generate_from_input_seed(row.mlp_seed, 4, 2);
        assert_eq!(mlp.weights[..], row.weights[..]);
        let got = sampler
            .sample(&[SampleJob::of(&mlp)], 100)
            .remove(0)
            .expect("ok");
        assert_eq!(
            got.truth.all_layer_means, row.all_layer_means,
            "{}",
            row.mlp_name
        );
        assert_eq!(got.truth.avg_variance, row.avg_variance, "{}", row.mlp_name);
        // Not the numpy stream's ground truth.
        assert_ne!(
            ground_truth(&mlp, 100).expect("ok").all_layer_means,
            row.all_layer_means
        );
    }
    let ours = load_split(&out, None).expect("loads");
    assert_eq!(without_breakdown(&ours.rows), without_breakdown(&fx.rows));
    assert_eq!(
        ours.metadata["whest_rs_stream_description"],
        InputStream::Philox.description()
    );
}
