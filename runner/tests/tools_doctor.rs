//! `whest-runner doctor`: JSON shape, statuses and exit codes.

use std::path::PathBuf;
use std::process::Command;

use crate::support::scratch as scratch_in;
use serde_json::Value;

/// Runs `doctor --json` in `cwd` with `env` changes; returns (exit code, report).
fn doctor(cwd: &PathBuf, extra: &[&str], env: &[(&str, Option<&str>)]) -> (i32, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_whest-runner"));
    cmd.current_dir(cwd).args(["doctor", "--json"]).args(extra);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("run whest-runner");
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (out.status.code().unwrap_or(-1), v)
}

fn status<'a>(report: &'a Value, name: &str) -> &'a str {
    report["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no check {name} in {report}"))
}

#[test]
fn the_report_has_the_whestbench_shape() {
    let dir = scratch("shape");
    let (code, r) = doctor(&dir, &[], &[("RAYON_NUM_THREADS", None)]);
    let checks = r["checks"].as_array().cloned().unwrap_or_default();
    assert_eq!(r["schema_version"], "1.0");
    assert!(checks.len() >= 8, "{r}");
    for c in &checks {
        let keys: Vec<&str> = c
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["name", "label", "status", "detail", "fix_hint"]);
        let st = c["status"].as_str().unwrap_or_default();
        assert!(["ok", "warn", "fail"].contains(&st), "{c}");
        assert_eq!(c["fix_hint"].is_null(), st == "ok", "{c}");
    }
    let count = |s: &str| checks.iter().filter(|c| c["status"] == s).count();
    assert_eq!(r["counts"]["ok"], count("ok"));
    assert_eq!(r["counts"]["warn"], count("warn"));
    assert_eq!(r["counts"]["fail"], count("fail"));
    let overall = if count("fail") > 0 {
        "fail"
    } else if count("warn") > 0 {
        "warn"
    } else {
        "ok"
    };
    assert_eq!(r["overall"], overall);
    assert_eq!(code, i32::from(overall == "fail"));
    assert_eq!(status(&r, "rustc"), "ok");
    assert_eq!(status(&r, "cwd_writable"), "ok");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_toolchain_fails() {
    let dir = scratch("no-toolchain");
    let env = [
        ("PATH", Some("/definitely/not/a/bin")),
        ("CARGO", None),
        ("RUSTC", None),
    ];
    let (code, r) = doctor(&dir, &[], &env);
    assert_eq!(status(&r, "rustc"), "fail");
    assert_eq!(status(&r, "cargo"), "fail");
    assert_eq!(r["overall"], "fail");
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn strict_turns_a_warning_into_exit_1() {
    let dir = scratch("strict");
    let env = [("RAYON_NUM_THREADS", Some("lots"))];
    let (code, r) = doctor(&dir, &[], &env);
    assert_eq!(status(&r, "threads"), "warn");
    assert_eq!(code, i32::from(r["counts"]["fail"] != 0));
    let (strict_code, _) = doctor(&dir, &["--strict"], &env);
    assert_eq!(strict_code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh scratch folder for this file's test `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("doctor", name)
}
