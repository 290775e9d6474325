//! The grader against untrusted code: every attack of the fault estimators `fault-escaping`,
//! `fault-forging` and `fault-exiting` is contained (the run finishes and its JSON is valid,
//! or, where the local runner cannot contain it, the run fails loudly), normal estimators
//! score exactly the same inside the sandbox, and a runner killed from outside leaves no worker
//! behind.

use std::path::Path;

use crate::support::lib;
use crate::support::{runner_command, scratch, workspace};
use serde_json::Value;

/// Runs an `n_mlps`-MLP contest on `estimator` with `extra` flags, in the working directory
/// `cwd` (this process's when `None`): (exit code, stdout, stderr).
fn run_in(
    cwd: Option<&Path>,
    estimator: &Path,
    n_mlps: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let est = estimator.to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        "--estimator",
        &est,
        "--width",
        "8",
        "--depth",
        "2",
        "--n-mlps",
        n_mlps,
        "--n-samples",
        "1000",
        "--seed",
        "7",
        "--json",
    ];
    args.extend_from_slice(extra);
    let mut cmd = runner_command();
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = cmd.args(&args).output().expect("run whest-runner");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`run_in`] this process's working directory.
fn run(estimator: &Path, n_mlps: &str, extra: &[&str]) -> (i32, String, String) {
    run_in(None, estimator, n_mlps, extra)
}

/// Runs 2 MLPs on `estimator` under `--sandbox require`, asserts that both scored (exit 0, no
/// failed MLP), and returns the report.
fn scores_inside_the_sandbox(estimator: &Path) -> Value {
    let (code, out, err) = run(
        estimator,
        "2",
        &["--runner", "subprocess", "--sandbox", "require"],
    );
    let r = report(&out, &err);
    assert_eq!(code, 0, "{r}\n{err}");
    assert_eq!(r["results"]["n_failed_mlps"], 0, "{r}");
    r
}

fn report(stdout: &str, stderr: &str) -> Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("report is not JSON ({e}): {stdout}\nstderr: {stderr}"))
}

fn per_mlp(r: &Value) -> &Vec<Value> {
    r["results"]["per_mlp"].as_array().expect("per_mlp")
}

#[test]
fn the_sandbox_contains_every_escape_and_they_work_without_it() {
    let est = lib("fault-escaping");
    let r = scores_inside_the_sandbox(&est);
    let sandbox = &r["run_meta"]["sandbox"];
    assert_eq!(sandbox["mode"], "require");
    assert_eq!(sandbox["seccomp"], true);
    assert_ne!(sandbox["landlock"], "none");

    // The same attacks without the sandbox: each MLP fails naming what escaped (so the
    // attacks are real), and the print to stdout still leaves the protocol and report intact.
    let (code, out, err) = run(&est, "2", &["--runner", "subprocess", "--sandbox", "off"]);
    let r = report(&out, &err);
    assert_eq!(code, 1);
    for e in per_mlp(&r) {
        let msg = e["error"].as_str().unwrap_or("");
        for escape in [
            "read the runner's command line",
            "spawned a child process",
            "forked",
            "opened a UDP socket",
            "reopened the reply pipe for writing",
            "opened its own memory for writing",
            "made a UNIX socket",
            "opened a file with O_TRUNC",
        ] {
            assert!(msg.contains(escape), "{escape}: {msg}");
        }
    }
    assert_eq!(r["run_meta"]["sandbox"]["mode"], "off");
    assert!(r["run_meta"]["sandbox"].get("cgroup").is_none(), "{r}");
    assert_eq!(
        r["run_meta"]["sandbox"]["not_applied"],
        serde_json::json!([])
    );

    // In process nothing contains the escapes, but the print still cannot corrupt `--json`,
    // and the estimator's `set_current_dir` does not move a relative `--plot` path.
    let dir = scratch("sandbox", "plot");
    let (_, out, err) = run_in(
        Some(&dir),
        &est,
        "2",
        &["--runner", "local", "--plot", "escaping-plot.svg"],
    );
    let r = report(&out, &err);
    assert!(r["run_meta"]["sandbox"].is_null(), "{r}");
    assert!(
        err.contains("report line printed by the estimator"),
        "{err}"
    );
    assert!(dir.join("escaping-plot.svg").is_file(), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_forged_frame_fails_that_mlp_and_a_fresh_worker_takes_the_next() {
    let est = lib("fault-forging");
    // Inside the sandbox the reply pipe cannot be reopened for writing: nothing is forged and
    // the MLPs score like `zeros`.
    scores_inside_the_sandbox(&est);
    // Without it the frame reaches the runner, which checks it before allocating anything.
    let (code, out, err) = run(&est, "2", &["--runner", "subprocess", "--sandbox", "off"]);
    let r = report(&out, &err);
    assert_eq!(code, 1);
    for e in per_mlp(&r) {
        assert_eq!(e["error_code"], "WORKER_PROTOCOL_ERROR", "{e}");
        let msg = e["error"].as_str().unwrap_or("");
        assert!(
            msg.contains("malformed reply") && msg.contains("fresh"),
            "{msg}"
        );
    }
}

#[test]
fn the_local_runner_keeps_its_stdout_and_fails_loudly_when_a_plugin_exits() {
    let est = lib("fault-exiting");
    // First predict closes descriptor 1: the report still reaches stdout.
    let (code, out, err) = run(&est, "1", &["--runner", "local"]);
    let r = report(&out, &err);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["results"]["n_failed_mlps"], 0);
    // Second predict calls exit(0): a non-zero exit naming the MLP and the fix.
    let (code, out, err) = run(&est, "2", &["--runner", "local"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("MLP 'benjamin-jones'"), "{err}");
    assert!(err.contains("--runner subprocess"), "{err}");
    // The subprocess runner contains it: a scored failure and a valid report.
    let (code, out, err) = run(&est, "2", &["--runner", "subprocess"]);
    let r = report(&out, &err);
    assert_eq!(code, 1);
    assert_eq!(per_mlp(&r)[1]["error_code"], "WORKER_EOF");
}

#[test]
fn sandbox_require_needs_the_subprocess_runner() {
    let (code, out, err) = run(&lib("zeros-estimator"), "1", &["--sandbox", "require"]);
    assert_eq!(code, 2);
    // `--json`: the error payload is the JSON document on stdout.
    let payload = report(&out, &err);
    assert_eq!(payload["error"]["code"], "USAGE_ERROR", "{payload}");
    assert!(out.contains("--runner subprocess"), "{out}");
}

/// `run_meta.sandbox` records the workers' cgroup v2 leaf: its limits and CPU time where the
/// runner could make one, else a `not_applied` phrase that the stderr line names too (on a
/// machine without a delegated cgroup, where `--sandbox require` must still run).
fn assert_cgroup_recorded(r: &Value, stderr: &str) {
    let sandbox = &r["run_meta"]["sandbox"];
    let not_applied: Vec<&str> = sandbox["not_applied"]
        .as_array()
        .expect("not_applied")
        .iter()
        .filter_map(Value::as_str)
        .filter(|p| p.starts_with("cgroup v2 leaf ("))
        .collect();
    match sandbox.get("cgroup") {
        Some(cgroup) => {
            assert!(not_applied.is_empty(), "{sandbox}");
            assert!(
                cgroup["pids_max"].as_u64().is_some_and(|n| n > 64),
                "{cgroup}"
            );
            assert!(
                cgroup["worker_cpu_s"].as_f64().is_some_and(|s| s > 0.0),
                "{cgroup}"
            );
        }
        None => {
            assert_eq!(not_applied.len(), 1, "{sandbox}");
            assert!(
                stderr.contains("worker sandbox without") && stderr.contains(not_applied[0]),
                "{stderr}"
            );
        }
    }
}

#[test]
fn sandbox_auto_scores_and_records_the_cgroup_leaf_or_why_there_is_none() {
    let (code, out, err) = run(
        &workspace().join("examples").join("zeros"),
        "2",
        &["--runner", "subprocess", "--sandbox", "auto"],
    );
    let r = report(&out, &err);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["results"]["n_failed_mlps"], 0, "{r}");
    assert_eq!(r["run_meta"]["sandbox"]["mode"], "auto");
    assert_cgroup_recorded(&r, &err);
}

#[test]
fn the_examples_score_exactly_the_same_inside_the_sandbox() {
    for name in [
        "zeros",
        "random",
        "mean-propagation",
        "covariance-propagation",
        "combined",
        "monte-carlo",
    ] {
        let dir = workspace().join("examples").join(name);
        // A small budget keeps Monte Carlo's sample (and the test) short; without the
        // residual wall-time cap nothing compared depends on how busy the machine is (a
        // loaded machine once stretched a 4 s predict's time between kernels past 0.4 s).
        let same = [
            "--flop-budget",
            "100000000",
            "--no-residual-wall-time-limit",
        ];
        let (_, out, err) = run(&dir, "2", &[&["--runner", "local"], &same[..]].concat());
        let local = report(&out, &err);
        let sandboxed = ["--runner", "subprocess", "--sandbox", "require"];
        let (code, out, err) = run(&dir, "2", &[&sandboxed[..], &same[..]].concat());
        let sandboxed = report(&out, &err);
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(
            sandboxed["results"]["n_failed_mlps"], 0,
            "{name}: {sandboxed}"
        );
        assert_cgroup_recorded(&sandboxed, &err);
        for (a, b) in per_mlp(&local).iter().zip(per_mlp(&sandboxed)) {
            for key in [
                "final_layer_mse",
                "flops_used",
                "adjusted_final_layer_score",
            ] {
                assert_eq!(a[key], b[key], "{name}: {key}\nlocal: {a}\nsandboxed: {b}");
            }
        }
    }
}

/// The process ids whose parent is `parent`, read from `/proc/<pid>/stat`.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Fields after the command name (which may hold spaces) close with ") ".
            let fields: Vec<&str> = stat
                .rsplit_once(") ")
                .map(|(_, rest)| rest.split(' ').collect())
                .unwrap_or_default();
            fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent)
        })
        .collect()
}

/// Whether `pid` has ended (gone, or a zombie waiting for init to reap it).
fn has_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

/// Polls `done` every 10 ms until it holds or `limit` passes; whether it held.
fn eventually(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    done()
}

#[test]
fn a_killed_runner_takes_its_spinning_worker_with_it() {
    use std::process::Stdio;
    use std::time::Duration;

    let est = lib("fault-looping").to_string_lossy().into_owned();
    let mut child = crate::support::runner_command()
        .args([
            "run",
            "--estimator",
            &est,
            "--runner",
            "subprocess",
            "--width",
            "4",
            "--depth",
            "2",
            "--n-mlps",
            "1",
            "--n-samples",
            "100",
            "--predict-timeout",
            "600",
            "--json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start whest-runner");
    let runner_pid = child.id();
    let mut workers = Vec::new();
    let found = eventually(Duration::from_secs(60), || {
        workers = children_of(runner_pid);
        !workers.is_empty()
    });
    // Kill the runner the hard way (no cleanup code of its own runs), as an outside timeout or
    // the OOM killer would; the worker, spinning in `predict`, must die with it.
    child.kill().expect("SIGKILL the runner");
    child.wait().expect("reap the runner");
    assert!(found, "the runner never started a worker");
    for worker in workers {
        assert!(
            eventually(Duration::from_secs(30), || has_ended(worker)),
            "worker {worker} outlived the runner that started it"
        );
    }
}
