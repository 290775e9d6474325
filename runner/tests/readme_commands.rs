//! Every `whest-runner` command shown in README.md runs and succeeds.
//!
//! The README's fenced `bash` blocks are the participant's ladder: their `whest-runner …` lines
//! (and `cargo run --release -p whest-runner -- …`, the same binary) are collected in order,
//! `\`-continuations joined, and run one after another in one scratch directory, each expected
//! to exit 0. Paths under `examples/` are resolved against the repository root, since the README
//! is read from there. Blocks fenced as `sh` (cluster scripts that need Slurm or Kubernetes) and
//! `cargo test` / `cargo bench` lines are not run here: CI runs the tests, and the benches are
//! compiled by `cargo clippy --all-targets`. `build` commands without `--profile` run with
//! `--profile dev`, as the package_build test does, so the grader's dependencies compile once.

use crate::support::{runner_command, workspace};

/// The `whest-runner` argument lists of README.md's `bash` blocks, in order.
fn readme_commands(readme: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut in_bash = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let trimmed = line.trim();
        if let Some(fence) = trimmed.strip_prefix("```") {
            in_bash = !in_bash && fence.trim() == "bash";
            pending.clear();
            continue;
        }
        if !in_bash {
            continue;
        }
        // Drop a trailing shell comment (`  # …`) before joining continuations.
        let code = line.split("  #").next().unwrap_or_default().trim_end();
        if let Some(head) = code.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(code);
        let full = std::mem::take(&mut pending);
        let words: Vec<String> = full.split_whitespace().map(str::to_string).collect();
        let args = match words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["whest-runner", ..] => words[1..].to_vec(),
            ["cargo", "run", "--release", "-p", "whest-runner", "--", ..] => words[6..].to_vec(),
            _ => continue,
        };
        commands.push(args);
    }
    commands
}

#[test]
fn the_readme_parser_finds_commands_and_skips_others() {
    let md = "text\n```bash\nwhest-runner init my-est   # scaffold\ncargo test --workspace\n\
              cargo run --release -p whest-runner -- run --estimator examples/zeros \\\n    \
              --n-mlps 2\n```\n```sh\nwhest-runner dataset bake --slice auto\n```\n";
    assert_eq!(
        readme_commands(md),
        vec![
            vec!["init".to_string(), "my-est".to_string()],
            ["run", "--estimator", "examples/zeros", "--n-mlps", "2"]
                .map(String::from)
                .to_vec(),
        ]
    );
}

#[test]
fn every_readme_command_succeeds() {
    let root = workspace();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let commands = readme_commands(&readme);
    assert!(
        commands.len() >= 10,
        "README lost its commands: {commands:?}"
    );
    let scratch = std::env::temp_dir().join(format!("whest-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("create scratch dir");
    for args in &commands {
        let mut resolved: Vec<String> = args
            .iter()
            .map(|a| {
                if a.starts_with("examples/") {
                    root.join(a).to_string_lossy().into_owned()
                } else {
                    a.clone()
                }
            })
            .collect();
        if resolved.first().is_some_and(|c| c == "build")
            && !resolved.iter().any(|a| a == "--profile")
        {
            // The grader's build defaults to `release`; `dev` shares the dependencies the
            // package_build test compiles (same vendored path, same grader target folder).
            resolved.extend(["--profile".to_string(), "dev".to_string()]);
        }
        let out = runner_command()
            .args(&resolved)
            .current_dir(&scratch)
            .output()
            .expect("run whest-runner");
        assert!(
            out.status.success(),
            "README command `whest-runner {}` exited {:?}\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
