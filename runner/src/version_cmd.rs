//! `whest-runner version`: the runner's version and the versions of everything it must agree
//! with (the flopscope it meters with, the estimator contract and plugin ABI it loads, and the
//! Python releases whose behaviour it reproduces).

use serde_json::{json, Value};

use whest_score::report::{to_python_json, WHEST_RS_VERSION};

/// The binary's name, as `version` prints it.
pub const RUNNER_NAME: &str = "whest-runner";
/// The Python whestbench release whose scores, reports and datasets whest-rs reproduces.
pub const REFERENCE_WHESTBENCH_VERSION: &str = "0.16.2";
/// The Python flopscope release whose FLOP prices flopscope-rs charges.
pub const REFERENCE_FLOPSCOPE_VERSION: &str = "0.12.4";

/// The `version --json` payload: `{ok: true, command: "version", name, version, …}`.
pub fn version_json() -> Value {
    json!({
        "ok": true,
        "command": "version",
        "name": RUNNER_NAME,
        "version": WHEST_RS_VERSION,
        "flopscope_version": flopscope::VERSION,
        "estimator_api_version": estimator_api::API_VERSION,
        "estimator_abi_version": estimator_api::ABI_VERSION,
        "reference": {
            "whestbench": REFERENCE_WHESTBENCH_VERSION,
            "flopscope": REFERENCE_FLOPSCOPE_VERSION,
        },
        "whestbench_version": WHEST_RS_VERSION,
    })
}

/// The human-readable version text: first line `whest-runner X.Y.Z`, then one line per
/// component.
pub fn version_text() -> String {
    format!(
        "{RUNNER_NAME} {WHEST_RS_VERSION}\n\
         flopscope {}\n\
         estimator-api contract {} (plugin ABI {})\n\
         reproduces whestbench {REFERENCE_WHESTBENCH_VERSION} with flopscope \
         {REFERENCE_FLOPSCOPE_VERSION} prices\n",
        flopscope::VERSION,
        estimator_api::API_VERSION,
        estimator_api::ABI_VERSION,
    )
}

/// Runs `whest-runner version` and returns the exit code (always 0).
pub fn version(json: bool) -> i32 {
    if json {
        println!("{}", to_python_json(&version_json()));
    } else {
        print!("{}", version_text());
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_starts_with_name_and_version() {
        let text = version_text();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(first, format!("whest-runner {WHEST_RS_VERSION}"));
        assert!(text.contains(&format!("flopscope {}", flopscope::VERSION)));
        assert!(text.contains(estimator_api::API_VERSION));
    }

    #[test]
    fn the_json_has_the_whestbench_keys_first() {
        let v = version_json();
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).take(4).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["ok", "command", "name", "version"]);
        assert_eq!(v["ok"], true);
        assert_eq!(v["name"], "whest-runner");
        assert_eq!(v["estimator_abi_version"], estimator_api::ABI_VERSION);
    }
}
