//! The doctor's verdicts: each function turns facts about the machine (gathered by
//! [`super::probe`]) into one [`Check`]. They are pure, so every status can be tested.

use std::path::Path;

use super::probe::ProbeError;
use super::Check;

/// Free space below which `disk_space` warns: 1 GiB.
pub const MIN_FREE_DISK_BYTES: u64 = 1 << 30;

const RUSTUP_HINT: &str = "install Rust with rustup (https://rustup.rs), then open a new shell";

/// `(major, minor, patch)` from `rustc 1.93.0 (…)`, `cargo 1.93.0 (…)` or a bare `1.85`
/// (missing parts are 0; a `-nightly`/`-beta` suffix is ignored).
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let token = text
        .split_whitespace()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))?;
    let core = token.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

/// `rustc`: fails when it is missing, unreadable, or older than `min_version` (the workspace's
/// `rust-version`).
pub fn rustc(version_output: Result<String, ProbeError>, min_version: &str) -> Check {
    let label = "Rust compiler";
    let text = match version_output {
        Ok(t) => t.trim().to_string(),
        Err(why) => return Check::fail("rustc", label, why.to_string(), RUSTUP_HINT),
    };
    let (Some(have), Some(need)) = (parse_version(&text), parse_version(min_version)) else {
        return Check::fail(
            "rustc",
            label,
            format!("cannot read the version in {text:?}"),
            "reinstall the toolchain: rustup toolchain install stable",
        );
    };
    if have < need {
        Check::fail(
            "rustc",
            label,
            format!("{text} is older than the required {min_version}"),
            "update the toolchain: rustup update stable",
        )
    } else {
        Check::ok("rustc", label, format!("{text} satisfies >={min_version}"))
    }
}

/// `cargo`: fails when it is missing (the runner builds estimator crates with it).
pub fn cargo(version_output: Result<String, ProbeError>) -> Check {
    let label = "Cargo";
    match version_output {
        Ok(t) => Check::ok("cargo", label, t.trim().to_string()),
        Err(why) => Check::fail(
            "cargo",
            label,
            format!("{why}; whest-runner builds estimator crates with cargo"),
            RUSTUP_HINT,
        ),
    }
}

/// A folder's writability: `Ok(())` or why a test file could not be created.
pub fn writable(name: &str, label: &str, dir: &Path, probe: Result<(), ProbeError>) -> Check {
    match probe {
        Ok(()) => Check::ok(name, label, dir.display().to_string()),
        Err(why) => Check::fail(
            name,
            label,
            format!("{}: {why}", dir.display()),
            "run from a folder you can write to, or fix its permissions",
        ),
    }
}

/// Bytes as `24.7 GiB` (one decimal, binary units).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `disk_space`: warns below [`MIN_FREE_DISK_BYTES`] free (release builds and datasets need
/// room) or when the free space cannot be read.
pub fn disk_space(free: Result<u64, ProbeError>) -> Check {
    let label = "Free disk in CWD";
    match free {
        Ok(b) if b >= MIN_FREE_DISK_BYTES => {
            Check::ok("disk_space", label, format!("{} free", human_bytes(b)))
        }
        Ok(b) => Check::warn(
            "disk_space",
            label,
            format!("only {} free", human_bytes(b)),
            "free at least 1 GiB: an estimator's release build needs several hundred MiB",
        ),
        Err(why) => Check::warn(
            "disk_space",
            label,
            format!("cannot read free space: {why}"),
            "check the free space yourself (df -h .)",
        ),
    }
}

/// SIMD features the GEMM kernels can use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuFeatures {
    /// AVX2.
    pub avx2: bool,
    /// FMA3.
    pub fma: bool,
    /// AVX-512 Foundation.
    pub avx512f: bool,
}

/// `cpu_features`: ok when the GEMM kernels have a SIMD fast path (AVX2+FMA or AVX-512 on
/// x86-64, NEON on aarch64); warns otherwise (matmuls run on the generic kernels: slower,
/// scores unchanged).
pub fn cpu_features(arch: &str, f: CpuFeatures) -> Check {
    let label = "CPU features (GEMM kernels)";
    let slow_hint = "matmuls and ground truth will be several times slower (scores are \
                     unaffected); use an x86-64 CPU with AVX2+FMA (ideally AVX-512) for timing";
    match arch {
        "x86_64" => {
            let mut have: Vec<&str> = Vec::new();
            for (on, name) in [(f.avx2, "avx2"), (f.fma, "fma"), (f.avx512f, "avx512f")] {
                if on {
                    have.push(name);
                }
            }
            let list = if have.is_empty() {
                "none of avx2/fma/avx512f".to_string()
            } else {
                have.join(" ")
            };
            if f.avx512f {
                Check::ok("cpu_features", label, format!("{list}: AVX-512 kernels"))
            } else if f.avx2 && f.fma {
                Check::ok(
                    "cpu_features",
                    label,
                    format!("{list}: AVX2+FMA kernels (no AVX-512)"),
                )
            } else {
                Check::warn(
                    "cpu_features",
                    label,
                    format!("{list}: no SIMD GEMM fast path"),
                    slow_hint,
                )
            }
        }
        "aarch64" => Check::ok("cpu_features", label, "aarch64: NEON kernels"),
        other => Check::warn(
            "cpu_features",
            label,
            format!("{other}: no SIMD GEMM fast path"),
            slow_hint,
        ),
    }
}

/// `threads`: the rayon pool size against the CPUs available. Warns when `RAYON_NUM_THREADS`
/// is set but not a positive integer, or asks for more threads than CPUs (oversubscription
/// makes timings noisy).
pub fn threads(available: usize, rayon_env: Option<&str>, pool: usize) -> Check {
    let label = "Thread pool";
    let fix = "unset RAYON_NUM_THREADS or set it to at most the CPU count (or pass --max-threads)";
    let env = rayon_env.map(str::trim);
    let detail = format!(
        "{pool} rayon threads · {available} CPUs available · RAYON_NUM_THREADS={}",
        env.unwrap_or("unset")
    );
    match env.map(str::parse::<usize>) {
        Some(Err(_)) | Some(Ok(0)) => Check::warn(
            "threads",
            label,
            format!("{detail} (not a positive integer: ignored)"),
            fix,
        ),
        _ if pool > available => Check::warn(
            "threads",
            label,
            format!("{detail} (more threads than CPUs)"),
            fix,
        ),
        _ => Check::ok("threads", label, detail),
    }
}

/// `gpu` (informational: whest-rs computes on the CPU). Ok with a GPU or none; warns only when
/// `nvidia-smi` exists but fails (a broken driver).
pub fn gpu(nvidia_smi: Option<Result<String, ProbeError>>, libcuda: Option<&Path>) -> Check {
    let label = "GPU (informational)";
    let unused = "whest-rs computes on the CPU; a GPU is not used";
    match (nvidia_smi, libcuda) {
        (Some(Ok(gpus)), _) => {
            let list: Vec<&str> = gpus
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            Check::ok("gpu", label, format!("{} ({unused})", list.join("; ")))
        }
        (Some(Err(why)), _) => Check::warn(
            "gpu",
            label,
            format!("nvidia-smi failed: {why}"),
            "check the NVIDIA driver (nvidia-smi); whest-rs itself does not need a GPU",
        ),
        (None, Some(lib)) => Check::ok(
            "gpu",
            label,
            format!("CUDA driver library {} ({unused})", lib.display()),
        ),
        (None, None) => Check::ok("gpu", label, format!("none found ({unused})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;
    use std::io;
    use std::path::PathBuf;

    fn not_on_path(program: &str) -> ProbeError {
        ProbeError::NotOnPath {
            program: PathBuf::from(program),
        }
    }

    #[test]
    fn versions_parse_from_tool_output() {
        assert_eq!(
            parse_version("rustc 1.93.0 (254b59607 2026-01-19)"),
            Some((1, 93, 0))
        );
        assert_eq!(
            parse_version("rustc 1.95.0-nightly (abc 2026-02-01)"),
            Some((1, 95, 0))
        );
        assert_eq!(parse_version("1.85"), Some((1, 85, 0)));
        assert_eq!(parse_version("rustc"), None);
    }

    #[test]
    fn rustc_status_follows_the_minimum() {
        let ok = rustc(Ok("rustc 1.93.0 (x y)".into()), "1.85");
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(ok.fix_hint, None);
        let old = rustc(Ok("rustc 1.80.1 (x y)".into()), "1.85");
        assert_eq!(old.status, Status::Fail);
        assert!(old.fix_hint.is_some_and(|h| h.contains("rustup update")));
        let missing = rustc(Err(not_on_path("rustc")), "1.85");
        assert_eq!(missing.status, Status::Fail);
        assert_eq!(rustc(Ok("garbage".into()), "1.85").status, Status::Fail);
    }

    #[test]
    fn cargo_is_required() {
        assert_eq!(cargo(Ok("cargo 1.93.0".into())).status, Status::Ok);
        assert_eq!(cargo(Err(not_on_path("cargo"))).status, Status::Fail);
    }

    #[test]
    fn disk_space_warns_under_one_gib() {
        assert_eq!(disk_space(Ok(2 << 30)).status, Status::Ok);
        assert_eq!(disk_space(Ok(2 << 30)).detail, "2.0 GiB free");
        assert_eq!(disk_space(Ok((1 << 30) - 1)).status, Status::Warn);
        let statvfs_failed = ProbeError::FreeSpace(io::Error::other("statvfs failed"));
        assert_eq!(disk_space(Err(statvfs_failed)).status, Status::Warn);
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn cpu_features_warn_without_a_fast_path() {
        let v3 = CpuFeatures {
            avx2: true,
            fma: true,
            avx512f: false,
        };
        let v4 = CpuFeatures {
            avx512f: true,
            ..v3
        };
        assert_eq!(cpu_features("x86_64", v4).status, Status::Ok);
        assert!(cpu_features("x86_64", v4).detail.contains("AVX-512"));
        assert_eq!(cpu_features("x86_64", v3).status, Status::Ok);
        let old = cpu_features("x86_64", CpuFeatures::default());
        assert_eq!(old.status, Status::Warn);
        assert!(old.fix_hint.is_some());
        assert_eq!(
            cpu_features("aarch64", CpuFeatures::default()).status,
            Status::Ok
        );
        assert_eq!(
            cpu_features("riscv64", CpuFeatures::default()).status,
            Status::Warn
        );
    }

    #[test]
    fn thread_settings_are_checked() {
        assert_eq!(threads(4, None, 4).status, Status::Ok);
        assert_eq!(threads(4, Some("2"), 2).status, Status::Ok);
        assert_eq!(threads(4, Some("lots"), 4).status, Status::Warn);
        assert_eq!(threads(4, Some("0"), 4).status, Status::Warn);
        assert_eq!(threads(2, Some("8"), 8).status, Status::Warn);
    }

    #[test]
    fn gpu_is_informational() {
        assert_eq!(gpu(None, None).status, Status::Ok);
        let found = gpu(Some(Ok("NVIDIA H100, 550.1\n".into())), None);
        assert_eq!(found.status, Status::Ok);
        assert!(found.detail.starts_with("NVIDIA H100, 550.1 ("));
        let hung = ProbeError::TimedOut {
            program: PathBuf::from("nvidia-smi"),
        };
        assert_eq!(gpu(Some(Err(hung)), None).status, Status::Warn);
        let lib = Path::new("/usr/lib64/libcuda.so.1");
        assert_eq!(gpu(None, Some(lib)).status, Status::Ok);
    }

    #[test]
    fn writability_failures_fail() {
        let dir = Path::new("/x");
        let denied = ProbeError::CreateTestFile(io::ErrorKind::PermissionDenied.into());
        assert_eq!(
            writable("cwd_writable", "CWD", dir, Ok(())).status,
            Status::Ok
        );
        assert_eq!(
            writable("cwd_writable", "CWD", dir, Err(denied)).status,
            Status::Fail
        );
    }
}
