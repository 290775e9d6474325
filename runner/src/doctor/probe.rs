//! Facts about this machine for the doctor: tool versions, writability, free disk, CPU
//! features, GPU presence. Each probe reports failure as a one-line reason.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::checks::CpuFeatures;

/// How long a probed tool (`rustc --version`, `nvidia-smi`) may take before it is killed.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a probe failed; `Display` is the one-line reason a check shows.
#[derive(Debug)]
pub enum ProbeError {
    /// The tool is not installed (or not on `PATH`): install it, or fix `PATH`.
    NotOnPath {
        /// The program as it was looked up.
        program: PathBuf,
    },
    /// The tool exists but could not be started (not executable, no permission).
    CannotRun {
        /// The program.
        program: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The tool ran longer than [`TOOL_TIMEOUT`] and was killed: it may hang (a stuck driver).
    TimedOut {
        /// The program.
        program: PathBuf,
    },
    /// Waiting for the started tool failed.
    Wait {
        /// The program.
        program: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The tool's output could not be read.
    ReadOutput {
        /// The program.
        program: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The tool exited unsuccessfully: run the same command by hand to see why.
    Exited {
        /// The program.
        program: PathBuf,
        /// Its arguments.
        args: Vec<String>,
        /// How it exited.
        status: ExitStatus,
    },
    /// A test file could not be created in the folder (no permission, read-only, missing);
    /// the check names the folder.
    CreateTestFile(io::Error),
    /// The test file was created but could not be removed again: delete the
    /// `.whest-doctor-*` file by hand.
    RemoveTestFile(io::Error),
    /// The free space of the folder's file system could not be read (the error's text starts
    /// with `statvfs: `).
    FreeSpace(io::Error),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::NotOnPath { program } => {
                write!(f, "{} is not on PATH", program.display())
            }
            ProbeError::CannotRun { program, source } => {
                write!(f, "cannot run {}: {source}", program.display())
            }
            ProbeError::TimedOut { program } => write!(
                f,
                "{} did not answer within {TOOL_TIMEOUT:?}",
                program.display()
            ),
            ProbeError::Wait { program, source } => {
                write!(f, "waiting for {} failed: {source}", program.display())
            }
            ProbeError::ReadOutput { program, source } => {
                write!(f, "reading {}'s output failed: {source}", program.display())
            }
            ProbeError::Exited {
                program,
                args,
                status,
            } => write!(
                f,
                "{} {} exited with {status}",
                program.display(),
                args.join(" ")
            ),
            ProbeError::CreateTestFile(e) | ProbeError::FreeSpace(e) => write!(f, "{e}"),
            ProbeError::RemoveTestFile(e) => {
                write!(f, "created a test file but cannot remove it: {e}")
            }
        }
    }
}

impl std::error::Error for ProbeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProbeError::CannotRun { source, .. }
            | ProbeError::Wait { source, .. }
            | ProbeError::ReadOutput { source, .. }
            | ProbeError::CreateTestFile(source)
            | ProbeError::RemoveTestFile(source)
            | ProbeError::FreeSpace(source) => Some(source),
            ProbeError::NotOnPath { .. }
            | ProbeError::TimedOut { .. }
            | ProbeError::Exited { .. } => None,
        }
    }
}

/// Runs `program args…` and returns its trimmed stdout, or why it failed (not found, non-zero
/// exit, timeout after [`TOOL_TIMEOUT`]).
pub fn tool_output(program: &OsStr, args: &[&str]) -> Result<String, ProbeError> {
    let name = PathBuf::from(program);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => ProbeError::NotOnPath {
                program: name.clone(),
            },
            _ => ProbeError::CannotRun {
                program: name.clone(),
                source,
            },
        })?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > TOOL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ProbeError::TimedOut { program: name });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                return Err(ProbeError::Wait {
                    program: name,
                    source,
                })
            }
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|source| ProbeError::ReadOutput {
            program: name.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(ProbeError::Exited {
            program: name,
            args: args.iter().map(|a| (*a).to_string()).collect(),
            status: out.status,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The program an environment variable names (as cargo sets `CARGO`/`RUSTC`), else `default`.
pub fn program(env_var: &str, default: &str) -> OsString {
    std::env::var_os(env_var).unwrap_or_else(|| default.into())
}

/// Creates and removes a uniquely named file in `dir`: `Ok(())` if `dir` is writable.
pub fn try_write(dir: &Path) -> Result<(), ProbeError> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let probe = dir.join(format!(".whest-doctor-{}-{nanos}", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(ProbeError::CreateTestFile)?;
    fs::remove_file(&probe).map_err(ProbeError::RemoveTestFile)
}

/// The cargo target directory a build started in `cwd` would use: `CARGO_TARGET_DIR`, else
/// `cwd/target`. If it does not exist yet, its nearest existing ancestor (where it would be
/// created) is returned as the folder to test.
pub fn target_dir(cwd: &Path) -> (PathBuf, PathBuf) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| cwd.join("target"), |t| cwd.join(t));
    let testable = target
        .ancestors()
        .find(|p| p.is_dir())
        .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
    (target, testable)
}

/// Free bytes available to this user on the file system holding `dir`, or why they cannot be
/// read (see [`whest_host::system::free_disk_bytes`]).
pub fn free_disk_bytes(dir: &Path) -> Result<u64, ProbeError> {
    whest_host::system::free_disk_bytes(dir).map_err(ProbeError::FreeSpace)
}

/// The SIMD features of this CPU that the GEMM kernels use (all false off x86-64).
pub fn cpu_features() -> CpuFeatures {
    #[cfg(target_arch = "x86_64")]
    {
        CpuFeatures {
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            fma: std::arch::is_x86_feature_detected!("fma"),
            avx512f: std::arch::is_x86_feature_detected!("avx512f"),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        CpuFeatures::default()
    }
}

/// Folders searched for `libcuda.so` besides `LD_LIBRARY_PATH`.
const CUDA_LIB_DIRS: [&str; 6] = [
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/cuda/lib64",
    "/usr/lib/wsl/lib",
];

/// The first `libcuda.so` / `libcuda.so.1` on `LD_LIBRARY_PATH` or in the usual folders.
pub fn libcuda() -> Option<PathBuf> {
    let from_env = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect::<Vec<_>>())
        .unwrap_or_default();
    from_env
        .into_iter()
        .chain(CUDA_LIB_DIRS.iter().map(PathBuf::from))
        .flat_map(|d| [d.join("libcuda.so.1"), d.join("libcuda.so")])
        .find(|p| p.exists())
}

/// `nvidia-smi`'s GPU list (`name, driver` per line), `None` if it is not installed.
pub fn nvidia_smi() -> Option<Result<String, ProbeError>> {
    let out = tool_output(
        OsStr::new("nvidia-smi"),
        &["--query-gpu=name,driver_version", "--format=csv,noheader"],
    );
    match out {
        Err(ProbeError::NotOnPath { .. }) => None,
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_reported_not_panicked() {
        let err = tool_output(OsStr::new("/definitely/not/a/tool"), &["--version"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not on PATH"), "{err}");
        let err = tool_output(OsStr::new("false"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("exited with"), "{err}");
    }

    #[test]
    fn reasons_are_one_line() {
        let program = PathBuf::from("nvidia-smi");
        assert_eq!(
            ProbeError::TimedOut {
                program: program.clone()
            }
            .to_string(),
            "nvidia-smi did not answer within 10s"
        );
        let source = std::io::Error::other("busy");
        assert_eq!(
            ProbeError::CannotRun { program, source }.to_string(),
            "cannot run nvidia-smi: busy"
        );
        let source = std::io::Error::other("denied");
        assert_eq!(
            ProbeError::RemoveTestFile(source).to_string(),
            "created a test file but cannot remove it: denied"
        );
    }

    #[test]
    fn temp_dir_is_writable_and_has_free_space() {
        let dir = std::env::temp_dir();
        assert!(try_write(&dir).is_ok());
        assert!(try_write(Path::new("/definitely/missing")).is_err());
        assert!(free_disk_bytes(&dir).is_ok_and(|b| b > 0));
        assert!(free_disk_bytes(Path::new("/definitely/missing")).is_err());
    }

    #[test]
    fn a_missing_target_dir_is_tested_where_it_would_be_created() {
        let cwd = std::env::temp_dir();
        let (target, testable) = target_dir(&cwd);
        assert!(testable.is_dir());
        assert!(target.starts_with(&testable));
    }
}
