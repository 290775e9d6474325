//! Report tests: key order of both entry shapes, and a comparison against a real
//! `whest run --json` report captured from whestbench 0.16.2 (`runner/tests/fixtures/`).

use crate::ErrorCode;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::*;
use crate::scoring::{
    aggregate, normalize_sampling_breakdown, score_mlp, EstimatorStats, MlpEntry, PredictOutcome,
    Targets,
};

/// Captured with `whest run --estimator <4-outcome estimator> --json --n-mlps 4 --n-samples 2000
/// --seed 7 --flop-budget 1000000000` (hostname and tracebacks trimmed).
const FIXTURE: &str = include_str!("../../tests/fixtures/whestbench_report_example.json");
/// `whest run --json` of an estimator whose `setup` raises.
const ERROR_FIXTURE: &str = include_str!("../../tests/fixtures/whestbench_error_example.json");

const ENTRY_KEYS_OK: [&str; 18] = [
    "mlp_index",
    "mlp_name",
    "final_layer_mse",
    "all_layers_mse",
    "per_layer_mse",
    "adjusted_final_layer_score",
    "flops_used",
    "effective_compute",
    "budget_exhausted",
    "time_exhausted",
    "residual_wall_time_exhausted",
    "combined_budget_exhausted",
    "wall_time_s",
    "flopscope_backend_time_s",
    "flopscope_overhead_time_s",
    "residual_wall_time_s",
    "breakdowns",
    "traceback",
];

const ENTRY_KEYS_ERROR: [&str; 20] = [
    "mlp_index",
    "mlp_name",
    "error",
    "error_code",
    "traceback",
    "final_layer_mse",
    "all_layers_mse",
    "per_layer_mse",
    "adjusted_final_layer_score",
    "flops_used",
    "effective_compute",
    "budget_exhausted",
    "time_exhausted",
    "residual_wall_time_exhausted",
    "combined_budget_exhausted",
    "wall_time_s",
    "flopscope_backend_time_s",
    "flopscope_overhead_time_s",
    "residual_wall_time_s",
    "breakdowns",
];

fn fixture() -> Value {
    parse_exact(FIXTURE)
}

/// Parses JSON with correctly rounded floats. serde_json without its `float_roundtrip` feature
/// may be 1 ULP off, which would spoil bit-exact comparisons with Python's numbers, so every
/// float is re-parsed from its token with `str::parse` (numbers appear in the text in the same
/// depth-first order as in the order-preserving `Value`).
fn parse_exact(text: &str) -> Value {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    _ => {}
                }
            }
        } else if c == '-' || c.is_ascii_digit() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-') {
                    end = j + 1;
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(&text[i..end]);
        }
    }
    fn fix<'a>(v: &mut Value, tokens: &mut impl Iterator<Item = &'a str>) {
        match v {
            Value::Number(n) => {
                let token = tokens.next().unwrap_or("");
                if n.is_f64() {
                    if let Some(x) = token
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                    {
                        *n = x;
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| fix(x, tokens)),
            Value::Object(o) => o.values_mut().for_each(|x| fix(x, tokens)),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_str(text).expect("fixture parses");
    fix(&mut v, &mut tokens.into_iter());
    v
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Same keys in the same order and the same value kinds (ints vs floats distinguished), all
/// the way down; `null` on either side matches anything (host fields we cannot know, or that
/// Python could not).
fn same_shape(ours: &Value, theirs: &Value, path: &str) -> Result<(), String> {
    match (ours, theirs) {
        (Value::Null, _) | (_, Value::Null) => Ok(()),
        (Value::Object(a), Value::Object(b)) => {
            let (ka, kb): (Vec<&String>, Vec<&String>) = (a.keys().collect(), b.keys().collect());
            if ka != kb {
                return Err(format!("{path}: keys {ka:?} != {kb:?}"));
            }
            for (k, v) in a {
                same_shape(v, &b[k], &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Err(format!("{path}: length {} != {}", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_shape(x, y, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(a), Value::Number(b)) if a.is_f64() == b.is_f64() => Ok(()),
        (Value::Bool(_), Value::Bool(_)) | (Value::String(_), Value::String(_)) => Ok(()),
        _ => Err(format!("{path}: {ours} vs {theirs}")),
    }
}

/// A normalized breakdown turned back into what flopscope would have reported: namespace
/// prefixes stripped (the root as `"null"`), plus the flat `operations` object.
fn denormalize(b: &Value, prefix: &str, root: &str) -> Value {
    let mut raw = b.clone();
    let mut namespaces = Map::new();
    if let Some(obj) = b["by_namespace"].as_object() {
        for (k, v) in obj {
            let key = if k == root {
                "null".to_string()
            } else {
                k.strip_prefix(prefix).unwrap_or(k).to_string()
            };
            namespaces.insert(key, v.clone());
        }
    }
    raw["by_namespace"] = Value::Object(namespaces);
    raw["operations"] = json!({});
    raw
}

fn stats_from(entry: &Value) -> EstimatorStats {
    let f = |k: &str| entry[k].as_f64().unwrap_or(f64::NAN);
    let breakdown = &entry["breakdowns"]["estimator"];
    EstimatorStats {
        flops_used: breakdown["flops_used"].as_u64().unwrap_or(0),
        timing: crate::Timing {
            wall_time_s: f("wall_time_s"),
            flopscope_backend_time_s: f("flopscope_backend_time_s"),
            flopscope_overhead_time_s: f("flopscope_overhead_time_s"),
            residual_wall_time_s: f("residual_wall_time_s"),
        },
        breakdown: Some(denormalize(
            breakdown,
            "estimator.",
            "estimator.estimator-client",
        )),
    }
}

fn fixture_spec() -> ContestSpec {
    ContestSpec {
        width: 1024,
        depth: 16,
        flop_budget: 1_000_000_000,
        lambda_flops_per_second: 0.0,
        wall_time_limit_s: Some(120.0),
        residual_wall_time_limit_s: Some(0.4),
        setup_timeout_s: 5.0,
    }
}

/// Our report for the fixture's four outcomes (success, predict error, non-finite, budget
/// exhaustion), in process, with synthetic targets.
fn equivalent_report(fx: &Value) -> Report {
    let spec = fixture_spec();
    let per = &fx["results"]["per_mlp"];
    let name = |i: usize| per[i]["mlp_name"].as_str().unwrap_or("").to_string();
    let targets = Targets::from_all_layer_means(vec![0.5; 16 * 1024], 1024);
    let mut nan = vec![0.25f32; 16 * 1024];
    nan[5] = f32::NAN;
    let outcomes = [
        PredictOutcome::Ok {
            predictions: vec![0.25; 16 * 1024],
            stats: stats_from(&per[0]),
        },
        PredictOutcome::Error {
            message: "boom on purpose".into(),
            error_code: ErrorCode::PredictError.into(),
            traceback: per[1]["traceback"].as_str().map(str::to_string),
            details: None,
        },
        PredictOutcome::Ok {
            predictions: nan,
            stats: stats_from(&per[0]),
        },
        PredictOutcome::BudgetExhausted {
            stats: Some(stats_from(&per[3])),
            traceback: per[3]["traceback"].as_str().map(str::to_string),
        },
    ];
    let entries: Vec<MlpEntry> = outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| score_mlp(i, &name(i), o, &targets, &spec, true))
        .collect();
    let mut results = aggregate(entries, &spec);
    let sampling = denormalize(&fx["results"]["breakdowns"]["sampling"], "sampling.", "");
    results.sampling_breakdown = normalize_sampling_breakdown(&sampling);
    let t0 = UNIX_EPOCH + Duration::from_secs(1_795_464_276);
    let meta = RunMeta::new(t0, t0, 0.135, HostFingerprint::collect());
    Report::new(results, meta, RunConfig::new(&spec, 4, Some(7)))
}

#[test]
fn entry_key_order_of_both_shapes() {
    let fx = fixture();
    let ours = equivalent_report(&fx).to_json_value();
    let per = &ours["results"]["per_mlp"];
    for i in [0, 3] {
        assert_eq!(keys(&per[i]), ENTRY_KEYS_OK, "entry {i}");
        assert_eq!(keys(&fx["results"]["per_mlp"][i]), ENTRY_KEYS_OK);
    }
    for i in [1, 2] {
        assert_eq!(keys(&per[i]), ENTRY_KEYS_ERROR, "entry {i}");
        assert_eq!(keys(&fx["results"]["per_mlp"][i]), ENTRY_KEYS_ERROR);
    }
    assert!(per[1]["error"].is_string());
    assert_eq!(keys(&per[2]["error"]), ["message", "details"]);
    assert_eq!(
        keys(&per[2]["error"]["details"]),
        ["expected_shape", "got_shape", "cause_hints", "hint"]
    );
    assert_eq!(per[2]["error_code"], "ESTIMATOR_NON_FINITE");
    assert_eq!(per[1]["breakdowns"], json!({"estimator": null}));
    assert_eq!(per[0]["traceback"], Value::Null);
    assert_eq!(
        keys(&ours),
        [
            "schema_version",
            "mode",
            "results",
            "run_meta",
            "run_config",
            "whestbench_version"
        ]
    );
}

#[test]
fn report_matches_whestbench_structure_recursively() {
    let fx = fixture();
    let report = equivalent_report(&fx);
    let text = report.to_json_string();
    assert!(text.ends_with("}\n"));
    let ours = parse_exact(&text);
    same_shape(&ours, &fx, "$").expect("same structure");
    assert_eq!(ours["schema_version"], "1.1");
    assert_eq!(ours["mode"], "agent");
    assert_eq!(ours["whestbench_version"], WHEST_RS_VERSION);
    assert_eq!(ours["run_config"], fx["run_config"]);
    assert_eq!(ours["run_meta"]["host"]["python_version"], Value::Null);
}

#[test]
fn accounting_matches_whestbench_values() {
    let fx = fixture();
    let ours = equivalent_report(&fx).to_json_value();
    let (o, t) = (&ours["results"], &fx["results"]);
    for i in 0..4 {
        for key in [
            "mlp_index",
            "mlp_name",
            "flops_used",
            "effective_compute",
            "budget_exhausted",
            "time_exhausted",
            "residual_wall_time_exhausted",
            "combined_budget_exhausted",
            "wall_time_s",
            "flopscope_backend_time_s",
            "flopscope_overhead_time_s",
            "residual_wall_time_s",
            "breakdowns",
        ] {
            assert_eq!(
                o["per_mlp"][i][key], t["per_mlp"][i][key],
                "per_mlp[{i}].{key}"
            );
        }
    }
    // In process, budget exhaustion bills B while the breakdown keeps the context's count.
    assert_eq!(o["per_mlp"][3]["flops_used"], 1_000_000_000u64);
    assert_eq!(
        o["per_mlp"][3]["breakdowns"]["estimator"]["flops_used"],
        1_048_576u64
    );
    for key in [
        "n_failed_mlps",
        "mean_effective_compute",
        "mean_compute_utilization",
        "mean_score_multiplier",
        "failure_breakdown",
        "breakdowns",
    ] {
        assert_eq!(o[key], t[key], "results.{key}");
    }
}

#[test]
fn aggregates_reproduce_whestbench_from_its_own_entries() {
    let fx = fixture();
    let mut report = equivalent_report(&fx);
    let theirs = &fx["results"];
    for (e, t) in report
        .results
        .per_mlp
        .iter_mut()
        .zip(theirs["per_mlp"].as_array().expect("per_mlp"))
    {
        e.final_layer_mse = t["final_layer_mse"].as_f64().unwrap_or(f64::NAN);
        e.all_layers_mse = t["all_layers_mse"].as_f64().unwrap_or(f64::NAN);
        e.adjusted_final_layer_score = t["adjusted_final_layer_score"].as_f64().unwrap_or(f64::NAN);
        e.per_layer_mse = t["per_layer_mse"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
    }
    let mut r = aggregate(report.results.per_mlp.clone(), &fixture_spec());
    r.sampling_breakdown = report.results.sampling_breakdown.clone();
    let ours = json::to_value(&r);
    for key in [
        "adjusted_final_layer_score",
        "final_layer_mse",
        "all_layers_mse",
        "per_layer_mse",
        "best_mlp_adjusted_final_layer_score",
        "worst_mlp_adjusted_final_layer_score",
        "mean_score_multiplier",
        "mean_compute_utilization",
        "n_failed_mlps",
        "mean_effective_compute",
        "failure_breakdown",
        "breakdowns",
    ] {
        assert_eq!(ours[key], theirs[key], "results.{key}");
    }
    // The success entry's adjusted score is its MSE at the 0.1 floor, as in the fixture.
    let mse0 = theirs["per_mlp"][0]["final_layer_mse"]
        .as_f64()
        .unwrap_or(0.0);
    assert_eq!(
        mse0 * crate::scoring::score_multiplier(49152.0, 1_000_000_000, false),
        theirs["per_mlp"][0]["adjusted_final_layer_score"]
            .as_f64()
            .unwrap_or(0.0)
    );
}

#[test]
fn python_json_text_is_byte_identical() {
    // Re-emitting the parsed fixture reproduces Python's json.dumps(indent=2) text exactly.
    let fx = fixture();
    assert_eq!(format!("{}\n", to_python_json(&fx)), FIXTURE);
    let err = parse_exact(ERROR_FIXTURE);
    assert_eq!(format!("{}\n", to_python_json(&err)), ERROR_FIXTURE);
}

#[test]
fn error_payload_matches_whestbench() {
    let payload = ErrorPayload::new("setup", ErrorCode::SetupError, "setup failed on purpose");
    let want = ERROR_FIXTURE.replace("\"0.16.2\"", &format!("\"{WHEST_RS_VERSION}\""));
    assert_eq!(payload.to_json_string(), want);
    assert_eq!(payload.exit_code(), EXIT_FAILURE);
    let full = payload
        .clone()
        .with_details(json!({"k": 1}))
        .with_traceback("tb");
    let v = json::to_value(&full);
    assert_eq!(keys(&v), ["ok", "error", "whestbench_version"]);
    assert_eq!(
        keys(&v["error"]),
        ["stage", "code", "message", "details", "traceback"]
    );
    assert_eq!(v["ok"], false);
    // Empty details are omitted, as in Python.
    let empty = payload.with_details(json!({}));
    assert_eq!(
        keys(&json::to_value(&empty)["error"]),
        ["stage", "code", "message"]
    );
}

#[test]
fn exit_code_rule() {
    let fx = fixture();
    let mut report = equivalent_report(&fx);
    assert_eq!(report.exit_code(), EXIT_FAILURE);
    assert_eq!(
        raised_during_predict_message(&report.results, false).as_deref(),
        Some(
            "2 of 4 MLP(s) raised during predict; rerun with --debug for tracebacks. \
             Use --fail-fast to stop on first error."
        )
    );
    // Exhaustions alone exit 0.
    report.results.per_mlp.retain(|e| e.error.is_none());
    assert_eq!(run_exit_code(&report.results), EXIT_OK);
    assert_eq!(raised_during_predict_message(&report.results, true), None);
    // Python truthiness: an empty message without details is not an error for the exit code.
    let mut e = report.results.per_mlp[0].clone();
    e.error = Some(crate::scoring::MlpError {
        message: String::new(),
        error_code: "X".into(),
        details: None,
    });
    report.results.per_mlp = vec![e];
    assert_eq!(run_exit_code(&report.results), EXIT_OK);
    assert_eq!((EXIT_OK, EXIT_FAILURE, EXIT_USAGE), (0, 1, 2));
}

#[test]
fn empty_results_write_infinity_like_python() {
    let spec = fixture_spec();
    let results = aggregate(
        Vec::new(),
        &ContestSpec {
            depth: 2,
            ..spec.clone()
        },
    );
    let report = Report::new(
        results,
        RunMeta::new(UNIX_EPOCH, UNIX_EPOCH, 0.0, HostFingerprint::default()),
        RunConfig::new(&spec, 0, None),
    );
    let text = report.to_json_string();
    assert!(text.contains("\"adjusted_final_layer_score\": Infinity,"));
    assert!(text.contains("\"per_layer_mse\": [\n      Infinity,\n      Infinity\n    ],"));
    assert!(text.contains("\"estimator\": null"));
    assert_eq!(
        report.to_json_value()["results"]["final_layer_mse"],
        Value::Null
    );
    assert_eq!(report.exit_code(), EXIT_OK);
}

#[test]
fn run_config_with_dataset() {
    let mut cfg = RunConfig::new(&fixture_spec(), 3, None);
    cfg.residual_wall_time_limit_s = None;
    cfg.dataset = Some(DatasetInfo {
        path: "/data/eval".into(),
        sha256: "ab".into(),
        seed: None,
        n_mlps: Some(3),
    });
    let v = json::to_value(&cfg);
    assert_eq!(
        keys(&v),
        [
            "n_mlps",
            "width",
            "depth",
            "seed",
            "flop_budget",
            "setup_timeout_s",
            "wall_time_limit_s",
            "residual_wall_time_limit_s",
            "lambda_flops_per_second",
            "dataset"
        ]
    );
    assert_eq!(keys(&v["dataset"]), ["path", "sha256", "seed", "n_mlps"]);
    assert_eq!(v["residual_wall_time_limit_s"], Value::Null);
    assert_eq!(v["seed"], Value::Null);
}

#[test]
fn sampling_time_source_is_written_last() {
    let b = crate::scoring::Breakdown {
        time_source: Some("bake".into()),
        ..Default::default()
    };
    let v = json::to_value(&b);
    assert_eq!(keys(&v).last(), Some(&"time_source"));
    assert_eq!(keys(&v).len(), 9);
}

#[test]
fn text_report_is_readable() {
    let fx = fixture();
    let report = equivalent_report(&fx);
    let text = text::render_text(&report);
    assert!(text.starts_with("Adjusted final-layer score: "));
    for line in text.lines() {
        assert!(line.chars().count() <= text::TEXT_WIDTH, "too wide: {line}");
    }
    for name in ["jason-rivers", "benjamin-jones", "amy-wade", "paul-grant"] {
        assert!(text.contains(name), "{name} missing");
    }
    assert!(text.contains("budget_exhausted"));
    assert!(text.contains("error (see Errors)"));
    assert!(text.contains("[1] benjamin-jones PREDICT_ERROR: boom on purpose"));
    assert!(text.contains("ESTIMATOR_NON_FINITE: Predictions must contain only finite values."));
    assert_eq!(text::human_count(49152.0), "49.15K");
    assert_eq!(text::human_count(2_199_023_255_552.0), "2.20T");
    assert_eq!(text::human_count(12.0), "12");
    assert!(
        text.contains("  failed 3 of 4: budget 1, time 0, residual time 0, combined 0, error 2\n")
    );
    assert!(text.contains("6.2500e-03"));
    let err = ErrorPayload::new("setup", "SETUP_TIMEOUT", "too slow");
    assert_eq!(
        text::render_error_text(&err),
        "error [setup] SETUP_TIMEOUT: too slow\n"
    );
}

#[test]
fn the_sandbox_meta_reads_back_and_its_cgroup_is_written_only_when_there_was_one() {
    let spec = fixture_spec();
    let mut meta = RunMeta::new(UNIX_EPOCH, UNIX_EPOCH, 0.0, HostFingerprint::default());
    meta.sandbox = Some(SandboxMeta {
        mode: "auto".into(),
        landlock: "full".into(),
        seccomp: true,
        not_applied: vec!["cgroup v2 leaf (no delegated memory+pids controllers in /x)".into()],
        cgroup: None,
    });
    let report = |meta: &RunMeta| {
        Report::new(
            aggregate(Vec::new(), &spec),
            meta.clone(),
            RunConfig::new(&spec, 0, None),
        )
    };
    let text = report(&meta).to_json_string();
    assert_eq!(
        keys(&report(&meta).to_json_value()["run_meta"]["sandbox"]),
        ["mode", "landlock", "seccomp", "not_applied"]
    );
    let read = read::parse_report(&text).expect("report");
    assert_eq!(read.report.run_meta.sandbox, meta.sandbox);

    meta.sandbox = meta.sandbox.map(|s| SandboxMeta {
        not_applied: Vec::new(),
        cgroup: Some(CgroupMeta {
            memory_max_mb: Some(4096),
            pids_max: 76,
            worker_cpu_s: 1.25,
        }),
        ..s
    });
    let text = report(&meta).to_json_string();
    assert!(
        text.contains(
            "\"cgroup\": {\n        \"memory_max_mb\": 4096,\n        \"pids_max\": 76,\n        \
             \"worker_cpu_s\": 1.25\n      }"
        ),
        "{text}"
    );
    let read = read::parse_report(&text).expect("report");
    assert_eq!(read.report.run_meta.sandbox, meta.sandbox);
}
