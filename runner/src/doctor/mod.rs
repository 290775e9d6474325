//! `whest-runner doctor`: checks that this machine can build and score estimators — toolchain,
//! writable folders, free disk, CPU features for the GEMM kernels, thread settings — and reports
//! GPU presence for information.
//!
//! JSON (`--json`): `{schema_version: "1.0", checks: [{name, label, status, detail, fix_hint}],
//! counts: {ok, warn, fail}, overall, whestbench_version}`. Exit 1 if any check fails (with
//! `--strict`: if any is not ok), else 0.

pub mod checks;
pub mod probe;

use serde::Serialize;
use serde_json::json;

use crate::cli::DoctorArgs;
use whest_score::report::{to_python_json, WHEST_RS_VERSION};

/// Schema version of the doctor's JSON.
pub const DOCTOR_SCHEMA_VERSION: &str = "1.0";
/// The minimum Rust version (the workspace's `rust-version`).
pub const MIN_RUST_VERSION: &str = env!("CARGO_PKG_RUST_VERSION");

/// A check's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something is worth fixing.
    Warn,
    /// Building or scoring estimators will not work.
    Fail,
}

/// One check: `{name, label, status, detail, fix_hint}` (`fix_hint` null when ok).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `rustc`.
    pub name: String,
    /// What is checked, for people.
    pub label: String,
    /// The verdict.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// How to fix a warning or failure.
    pub fix_hint: Option<String>,
}

impl Check {
    /// A passing check.
    pub fn ok(name: &str, label: &str, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            label: label.into(),
            status: Status::Ok,
            detail: detail.into(),
            fix_hint: None,
        }
    }

    /// A warning with its fix.
    pub fn warn(name: &str, label: &str, detail: impl Into<String>, fix: &str) -> Check {
        Check {
            status: Status::Warn,
            fix_hint: Some(fix.into()),
            ..Check::ok(name, label, detail)
        }
    }

    /// A failure with its fix.
    pub fn fail(name: &str, label: &str, detail: impl Into<String>, fix: &str) -> Check {
        Check {
            status: Status::Fail,
            fix_hint: Some(fix.into()),
            ..Check::ok(name, label, detail)
        }
    }
}

/// Runs every check on this machine, in report order.
pub fn run_checks() -> Vec<Check> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let (target, testable) = probe::target_dir(&cwd);
    let rustc = probe::program("RUSTC", "rustc");
    let cargo = probe::program("CARGO", "cargo");
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rayon_env = std::env::var("RAYON_NUM_THREADS").ok();
    vec![
        checks::rustc(probe::tool_output(&rustc, &["--version"]), MIN_RUST_VERSION),
        checks::cargo(probe::tool_output(&cargo, &["--version"])),
        checks::writable("cwd_writable", "CWD writable", &cwd, probe::try_write(&cwd)),
        checks::writable(
            "target_dir_writable",
            "Cargo target dir writable",
            &target,
            probe::try_write(&testable),
        ),
        checks::disk_space(probe::free_disk_bytes(&cwd)),
        checks::cpu_features(std::env::consts::ARCH, probe::cpu_features()),
        checks::threads(
            available,
            rayon_env.as_deref(),
            rayon::current_num_threads(),
        ),
        checks::gpu(probe::nvidia_smi(), probe::libcuda().as_deref()),
    ]
}

/// How many checks have each status.
pub fn counts(checks: &[Check]) -> [(Status, usize); 3] {
    [Status::Ok, Status::Warn, Status::Fail]
        .map(|s| (s, checks.iter().filter(|c| c.status == s).count()))
}

/// The worst status (ok for no checks).
pub fn overall(checks: &[Check]) -> Status {
    checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok)
}

/// The exit code: 1 if any check failed, or with `strict` if any is not ok; else 0.
pub fn exit_code(checks: &[Check], strict: bool) -> i32 {
    let worst = overall(checks);
    i32::from(worst == Status::Fail || (strict && worst != Status::Ok))
}

/// The `--json` payload.
pub fn report_json(checks: &[Check]) -> serde_json::Value {
    let [(_, ok), (_, warn), (_, fail)] = counts(checks);
    json!({
        "schema_version": DOCTOR_SCHEMA_VERSION,
        "checks": checks,
        "counts": {"ok": ok, "warn": warn, "fail": fail},
        "overall": overall(checks),
        "whestbench_version": WHEST_RS_VERSION,
    })
}

/// The human-readable report: one line per check, the fix under each warning or failure, and a
/// count line.
pub fn report_text(checks: &[Check]) -> String {
    let label_width = checks
        .iter()
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::from("whest-runner doctor\n-------------------\n");
    for c in checks {
        let tag = match c.status {
            Status::Ok => "[OK]",
            Status::Warn => "[WARN]",
            Status::Fail => "[FAIL]",
        };
        out.push_str(&format!(
            "  {tag:<7} {:<label_width$}  {}\n",
            c.label, c.detail
        ));
        if let Some(hint) = &c.fix_hint {
            out.push_str(&format!("  {:<7} {:<label_width$}  {hint}\n", "", ""));
        }
    }
    let [(_, ok), (_, warn), (_, fail)] = counts(checks);
    out.push_str(&format!(
        "\n  {} checks · {ok} ok · {warn} warn · {fail} fail\n",
        checks.len()
    ));
    out
}

/// Runs `whest-runner doctor` and returns its exit code.
pub fn doctor(args: &DoctorArgs) -> i32 {
    let checks = run_checks();
    if args.json {
        println!("{}", to_python_json(&report_json(&checks)));
    } else {
        print!("{}", report_text(&checks));
    }
    exit_code(&checks, args.strict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Check> {
        vec![
            Check::ok("a", "A", "fine"),
            Check::warn("b", "B", "meh", "do b"),
        ]
    }

    #[test]
    fn exit_codes_follow_strictness() {
        let mut c = sample();
        assert_eq!(exit_code(&c, false), 0);
        assert_eq!(exit_code(&c, true), 1);
        assert_eq!(exit_code(&c[..1], true), 0);
        c.push(Check::fail("c", "C", "broken", "do c"));
        assert_eq!(exit_code(&c, false), 1);
        assert_eq!(overall(&c), Status::Fail);
    }

    #[test]
    fn json_has_the_whestbench_shape() {
        let v = report_json(&sample());
        assert_eq!(v["schema_version"], "1.0");
        assert_eq!(v["counts"], json!({"ok": 1, "warn": 1, "fail": 0}));
        assert_eq!(v["overall"], "warn");
        assert_eq!(
            v["checks"][0],
            json!({"name": "a", "label": "A", "status": "ok", "detail": "fine", "fix_hint": null})
        );
        assert_eq!(v["checks"][1]["fix_hint"], "do b");
    }

    #[test]
    fn text_lists_hints_and_counts() {
        let t = report_text(&sample());
        assert!(t.contains("[WARN]  B  meh\n"), "{t}");
        assert!(t.contains("do b"));
        assert!(t.ends_with("2 checks · 1 ok · 1 warn · 0 fail\n"), "{t}");
    }

    #[test]
    fn this_machine_can_build_estimators() {
        let checks = run_checks();
        let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "rustc",
                "cargo",
                "cwd_writable",
                "target_dir_writable",
                "disk_space",
                "cpu_features",
                "threads",
                "gpu"
            ]
        );
        for c in &checks[..2] {
            assert_eq!(c.status, Status::Ok, "{c:?}");
        }
    }
}
