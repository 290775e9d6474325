//! `whest-runner version`: text and JSON forms.

use std::process::Command;

use serde_json::Value;

fn version(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_whest-runner"))
        .arg("version")
        .args(args)
        .output()
        .expect("run whest-runner");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn text_names_the_runner_and_its_components() {
    let (code, text) = version(&[]);
    assert_eq!(code, 0);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(first, format!("whest-runner {}", env!("CARGO_PKG_VERSION")));
    assert!(text.contains("flopscope "), "{text}");
    assert!(text.contains("estimator-api contract 1.0"), "{text}");
}

#[test]
fn json_is_the_whestbench_version_payload() {
    let (code, text) = version(&["--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&text).expect("version --json prints JSON");
    assert_eq!(v["ok"], true);
    assert_eq!(v["command"], "version");
    assert_eq!(v["name"], "whest-runner");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["estimator_api_version"], "1.0");
    assert!(v["flopscope_version"].is_string());
    assert!(v["estimator_abi_version"].is_u64());
    assert_eq!(v["whestbench_version"], env!("CARGO_PKG_VERSION"));
}
