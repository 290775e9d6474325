//! The `package`, `validate-package` and `build` commands: run the library functions and print
//! their results (human lines, or JSON on stdout with `--json`). Exit codes: 0 success, 1 a
//! refused, invalid or failed submission.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::json;

use crate::cli::{AllowArgs, BuildArgs, PackageArgs, ValidatePackageArgs};
use whest_package::create::{package_crate, Packaged};
use whest_package::dependencies::DependencyPolicy;
use whest_package::grader_build::{self, BuildRequest};
use whest_package::{archive, validate, Issue};
use whest_score::report::{
    to_python_json, utc_isoformat, ErrorPayload, EXIT_FAILURE, EXIT_OK, WHEST_RS_VERSION,
};
use whest_score::ErrorCode;

/// Prints `issues` (human: one `<title> [code] message` line each on stderr; JSON: an error
/// payload with stage `stage` and the issues as details) and returns the failure exit code.
fn report_issues(json: bool, stage: &str, title: &str, issues: &[Issue]) -> i32 {
    if json {
        let first = issues
            .first()
            .map_or_else(String::new, |i| i.message.clone());
        let payload = ErrorPayload::new(stage, ErrorCode::PackagingValidationError, first)
            .with_details(json!({ "issues": issues }));
        print!("{}", payload.to_json_string());
    } else {
        for i in issues {
            eprintln!("{title} [{}] {}", i.code, i.message);
        }
    }
    EXIT_FAILURE
}

/// The default allow-list plus `--allow-crate` and `--allow-list` entries; `Err` is the
/// `allow_list` issue for a bad entry or unreadable file.
fn dependency_policy(allow: &AllowArgs) -> Result<DependencyPolicy, Issue> {
    let mut policy = DependencyPolicy::default();
    let added = allow
        .crates
        .iter()
        .try_for_each(|c| policy.allow(c))
        .and_then(|()| allow.files.iter().try_for_each(|f| policy.allow_file(f)));
    added.map_err(|e| Issue::new("allow_list", "", e.to_string()))?;
    Ok(policy)
}

/// `submission-YYYYmmdd-HHMMSS.tar.gz` for `now` (UTC), as whestbench names it.
pub fn default_artifact_name(now: SystemTime) -> String {
    let iso = utc_isoformat(now); // 2026-11-23T20:04:36[.ffffff]+00:00
    let digits: String = iso.chars().take(19).filter(char::is_ascii_digit).collect();
    format!("submission-{}-{}.tar.gz", &digits[..8], &digits[8..])
}

/// `whest-runner package`: returns the exit code.
pub fn package(args: &PackageArgs) -> i32 {
    let now = SystemTime::now();
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(default_artifact_name(now)));
    let refuse = |issue: Issue| report_issues(args.json, "package", "Packaging refused", &[issue]);
    if output.exists() && !args.yes {
        return refuse(Issue::new(
            "output_exists",
            output.display().to_string(),
            format!(
                "{} already exists: pass --yes to overwrite it, or choose another --output",
                output.display()
            ),
        ));
    }
    if !args.json {
        eprintln!(
            "Packaging crate {} -> {}",
            args.estimator.display(),
            output.display()
        );
    }
    let policy = match dependency_policy(&args.allow) {
        Ok(p) => p,
        Err(issue) => return refuse(issue),
    };
    let packaged = match package_crate(&args.estimator, now, &policy) {
        Ok(p) => p,
        Err(issues) => return report_issues(args.json, "package", "Packaging refused", &issues),
    };
    if let Err(e) = write_atomically(&packaged, &output, args.yes, now) {
        return refuse(Issue::new(
            "write_failed",
            output.display().to_string(),
            e.to_string(),
        ));
    }
    print_packaged(args.json, &packaged, &output);
    EXIT_OK
}

/// Why the archive could not be written to `--output` (nothing is left behind).
#[derive(Debug)]
enum WriteError {
    /// `--output` names no file (it ends in `..` or is a root): pass a file name.
    NotAFilePath {
        /// The `--output` path.
        output: PathBuf,
    },
    /// The temporary archive beside `--output` could not be written (no permission, disk
    /// full): choose a writable folder.
    WritePartial {
        /// The temporary file.
        partial: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The finished archive could not be moved to `--output` (it appeared meanwhile, or the
    /// folder refuses links): retry, or choose another `--output`.
    Place {
        /// The `--output` path.
        output: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::NotAFilePath { output } => {
                write!(f, "{} is not a file path", output.display())
            }
            WriteError::WritePartial { partial, source } => {
                write!(f, "cannot write {}: {source}", partial.display())
            }
            WriteError::Place { output, source } => {
                write!(f, "cannot create {}: {source}", output.display())
            }
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::NotAFilePath { .. } => None,
            WriteError::WritePartial { source, .. } | WriteError::Place { source, .. } => {
                Some(source)
            }
        }
    }
}

/// Writes the archive to a temporary file beside `output`, then moves it into place (replacing
/// an existing file only with `overwrite`), so a failure never leaves a partial archive.
fn write_atomically(
    packaged: &Packaged,
    output: &Path,
    overwrite: bool,
    now: SystemTime,
) -> Result<(), WriteError> {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| WriteError::NotAFilePath {
            output: output.to_path_buf(),
        })?;
    let partial = output.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let mtime = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let result = archive::write(&partial, &packaged.members, mtime)
        .map_err(|source| WriteError::WritePartial {
            partial: partial.clone(),
            source,
        })
        .and_then(|()| {
            if overwrite {
                std::fs::rename(&partial, output)
            } else {
                std::fs::hard_link(&partial, output)
            }
            .map_err(|source| WriteError::Place {
                output: output.to_path_buf(),
                source,
            })
        });
    let _ = std::fs::remove_file(&partial);
    result
}

fn print_packaged(json: bool, packaged: &Packaged, output: &Path) {
    let m = &packaged.manifest;
    if json {
        let out = json!({
            "ok": true,
            "artifact_path": output.display().to_string(),
            "file_count": m.file_count,
            "total_bytes": m.total_bytes,
            "entrypoint": m.entrypoint,
            "whestbench_version": WHEST_RS_VERSION,
        });
        println!("{}", to_python_json(&out));
        return;
    }
    for f in &m.files {
        eprintln!("  {}  ({} bytes)", f.name, f.size);
    }
    let size = std::fs::metadata(output).map_or(0, |md| md.len());
    println!(
        "Wrote {} ({} files, {} bytes of sources; archive {} bytes)",
        output.display(),
        m.file_count,
        m.total_bytes,
        size
    );
    println!(
        "Next: `whest-runner build --locked {}` builds it as the grader will; then upload it by \
         hand on the challenge's AIcrowd submission page (whest-runner has no `submit`).",
        output.display()
    );
}

/// `whest-runner validate-package`: returns 0 when the archive is valid, else 1.
pub fn validate_package(args: &ValidatePackageArgs) -> i32 {
    let policy = match dependency_policy(&args.allow) {
        Ok(p) => p,
        Err(issue) => return report_issues(args.json, "validate", "Validation refused", &[issue]),
    };
    let (members, mut issues) = archive::read(&args.artifact);
    let readable = !issues
        .iter()
        .any(|i| matches!(i.code, "archive_missing" | "archive_unreadable"));
    if readable {
        issues.extend(validate::validate(&members, &policy).issues);
    }
    let shown = args.artifact.display().to_string();
    if args.json {
        let out = json!({
            "ok": issues.is_empty(),
            "artifact": shown,
            "issues": issues,
            "whestbench_version": WHEST_RS_VERSION,
        });
        println!("{}", to_python_json(&out));
    } else if issues.is_empty() {
        println!("{shown} is a valid submission archive.");
    } else {
        eprintln!("{shown} is not a valid submission archive:");
        for i in &issues {
            let name = if i.name.is_empty() {
                "archive"
            } else {
                &i.name
            };
            eprintln!("  [{}] {name}: {}", i.code, i.message);
        }
    }
    if issues.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    }
}

/// `whest-runner build`: prints the built library's path (alone on stdout, so
/// `whest-runner run --estimator "$(whest-runner build --locked FILE)"` works) and returns the
/// exit code.
pub fn build(args: &BuildArgs) -> i32 {
    let policy = match dependency_policy(&args.allow) {
        Ok(p) => p,
        Err(issue) => return report_issues(args.json, "build", "Build refused", &[issue]),
    };
    let req = BuildRequest {
        source: args.source.clone(),
        output: args
            .output
            .clone()
            .unwrap_or_else(|| grader_build::default_output(&args.source)),
        locked: args.locked,
        profile: args.profile.clone(),
        policy,
    };
    match grader_build::build(&req) {
        Ok(built) => {
            if args.json {
                let out = json!({
                    "ok": true,
                    "artifact": args.source.display().to_string(),
                    "crate_dir": built.crate_dir.display().to_string(),
                    "library": built.library.display().to_string(),
                    "locked": args.locked,
                    "whestbench_version": WHEST_RS_VERSION,
                });
                println!("{}", to_python_json(&out));
            } else {
                println!("{}", built.library.display());
            }
            EXIT_OK
        }
        Err(issues) => report_issues(args.json, "build", "Build refused", &issues),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn artifact_names_use_the_utc_timestamp() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_micros(1_795_464_276_640_196);
        assert_eq!(
            default_artifact_name(t),
            "submission-20261123-200436.tar.gz"
        );
    }
}
