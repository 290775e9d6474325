//! `run_meta`: timestamps and the host fingerprint.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::json::py_f64;

/// Environment switch that skips the sysfs fallback probes, as in the Python reference.
pub const SKIP_FALLBACK_PROBES_ENV: &str = "WHEST_SKIP_HARDWARE_FALLBACK_PROBES";

/// The machine a run happened on. Field order and names are whestbench's; `python_version` is
/// always null, `numpy_version` carries the whest-rs runner version and `flopscope_version`
/// the flopscope-rs version. Unknown values are null.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HostFingerprint {
    /// Host name (the kernel's nodename).
    pub hostname: Option<String>,
    /// OS name as Python's `platform.system()` spells it (`Linux`, `Darwin`, `Windows`).
    pub os: Option<String>,
    /// Kernel release (`uname -r`).
    pub os_release: Option<String>,
    /// `"{os}-{os_release}-{machine}"` (Python appends a libc tag we do not know).
    pub platform: Option<String>,
    /// CPU architecture (`x86_64`, `aarch64`).
    pub machine: Option<String>,
    /// Always null: there is no Python in a whest-rs run.
    pub python_version: Option<String>,
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu_brand: Option<String>,
    /// Logical CPUs.
    pub cpu_count_logical: Option<u64>,
    /// Physical cores.
    pub cpu_count_physical: Option<u64>,
    /// Total RAM, bytes.
    pub ram_total_bytes: Option<u64>,
    /// Available RAM, bytes.
    pub ram_available_bytes: Option<u64>,
    /// The whest-rs runner version (in the slot where Python reports numpy's).
    pub numpy_version: Option<String>,
    /// The flopscope-rs version.
    pub flopscope_version: Option<String>,
}

/// What `/proc/cpuinfo` says about the CPUs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuInfo {
    /// First `model name` (or `Model` / `Hardware` / `cpu model`) value.
    pub brand: Option<String>,
    /// Number of `processor` entries.
    pub logical: Option<u64>,
    /// Distinct `(physical id, core id)` pairs.
    pub physical: Option<u64>,
}

/// Parses `/proc/cpuinfo` text.
pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut brand = None;
    let mut logical = 0u64;
    let mut cores: Vec<(String, String)> = Vec::new();
    let (mut package, mut core): (Option<String>, Option<String>) = (None, None);
    let mut flush = |package: &mut Option<String>, core: &mut Option<String>| {
        if let Some(c) = core.take() {
            let key = (package.take().unwrap_or_default(), c);
            if !cores.contains(&key) {
                cores.push(key);
            }
        }
        *package = None;
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            if line.trim().is_empty() {
                flush(&mut package, &mut core);
            }
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => logical += 1,
            "model name" | "Model" | "Hardware" | "cpu model"
                if brand.is_none() && !value.is_empty() =>
            {
                brand = Some(value.to_string());
            }
            "physical id" => package = Some(value.to_string()),
            "core id" => core = Some(value.to_string()),
            _ => {}
        }
    }
    flush(&mut package, &mut core);
    CpuInfo {
        brand,
        logical: (logical > 0).then_some(logical),
        physical: (!cores.is_empty()).then_some(cores.len() as u64),
    }
}

/// Parses `/proc/meminfo` text into `(MemTotal, MemAvailable)` in bytes.
pub fn parse_meminfo(text: &str) -> (Option<u64>, Option<u64>) {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let kb: u64 = rest.split_whitespace().next()?.parse().ok()?;
            kb.checked_mul(1024)
        })
    };
    (field("MemTotal"), field("MemAvailable"))
}

fn read_trimmed(path: &str) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Physical cores from sysfs: distinct `(physical_package_id, core_id)` pairs.
fn sysfs_physical_cores() -> Option<u64> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir("/sys/devices/system/cpu").ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_cpu = name
            .strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !is_cpu {
            continue;
        }
        let topo = entry.path().join("topology");
        let read = |f: &str| {
            std::fs::read_to_string(topo.join(f))
                .ok()
                .map(|s| s.trim().to_string())
        };
        if let Some(core) = read("core_id") {
            let key = (read("physical_package_id").unwrap_or_default(), core);
            if !seen.contains(&key) {
                seen.push(key);
            }
        }
    }
    (!seen.is_empty()).then_some(seen.len() as u64)
}

/// Python's `platform.system()` name of the OS we were built for.
fn os_name() -> String {
    match std::env::consts::OS {
        "linux" => "Linux".to_string(),
        "macos" => "Darwin".to_string(),
        "windows" => "Windows".to_string(),
        "freebsd" => "FreeBSD".to_string(),
        other => other.to_string(),
    }
}

impl HostFingerprint {
    /// Collects the fingerprint of this machine from `/proc` (and sysfs for physical cores,
    /// unless `WHEST_SKIP_HARDWARE_FALLBACK_PROBES` is set to a true value).
    pub fn collect() -> HostFingerprint {
        let skip_fallbacks = std::env::var(SKIP_FALLBACK_PROBES_ENV).is_ok_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            !matches!(v.as_str(), "" | "0" | "false" | "no")
        });
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .map(|t| parse_cpuinfo(&t))
            .unwrap_or_default();
        let (ram_total, ram_available) = std::fs::read_to_string("/proc/meminfo")
            .map(|t| parse_meminfo(&t))
            .unwrap_or((None, None));
        let os = os_name();
        let os_release = read_trimmed("/proc/sys/kernel/osrelease");
        let machine = std::env::consts::ARCH.to_string();
        let platform = match &os_release {
            Some(rel) => format!("{os}-{rel}-{machine}"),
            None => format!("{os}-{machine}"),
        };
        let logical = cpu.logical.or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(|n| n.get() as u64)
        });
        let physical = match cpu.physical {
            Some(p) => Some(p),
            None if !skip_fallbacks => sysfs_physical_cores(),
            None => None,
        };
        HostFingerprint {
            hostname: read_trimmed("/proc/sys/kernel/hostname")
                .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty())),
            os: Some(os),
            os_release,
            platform: Some(platform),
            machine: Some(machine),
            python_version: None,
            cpu_brand: cpu.brand,
            cpu_count_logical: logical,
            cpu_count_physical: physical,
            ram_total_bytes: ram_total,
            ram_available_bytes: ram_available,
            numpy_version: Some(super::WHEST_RS_VERSION.to_string()),
            flopscope_version: Some(flopscope::VERSION.to_string()),
        }
    }
}

/// `run_meta` of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunMeta {
    /// Start, ISO-8601 UTC (Python `datetime.isoformat()` form).
    pub run_started_at_utc: String,
    /// End, ISO-8601 UTC.
    pub run_finished_at_utc: String,
    /// Runner start → runner close, seconds (setup + predicts + scoring).
    #[serde(serialize_with = "py_f64")]
    pub run_duration_s: f64,
    /// The machine.
    pub host: HostFingerprint,
    /// The worker sandbox the run was scored under (`--runner subprocess`; absent in process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMeta>,
}

/// `run_meta.sandbox`: what the worker sandbox enforced.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SandboxMeta {
    /// `--sandbox`: `require`, `auto` or `off`.
    pub mode: String,
    /// Landlock enforcement: `full`, `partial` or `none`.
    pub landlock: String,
    /// Whether the seccomp filter was installed.
    pub seccomp: bool,
    /// What could not be applied, one phrase each.
    pub not_applied: Vec<String>,
    /// The workers' cgroup v2 leaves (absent when the runner could not make them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<CgroupMeta>,
}

/// `run_meta.sandbox.cgroup`: the cgroup v2 leaf each worker ran in.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CgroupMeta {
    /// Each leaf's `memory.max` in MiB (`null`: no limit).
    pub memory_max_mb: Option<u64>,
    /// Each leaf's `pids.max` (tasks, threads included).
    pub pids_max: u64,
    /// CPU seconds all workers' leaves used together (`cpu.stat` `usage_usec`).
    #[serde(serialize_with = "py_f64")]
    pub worker_cpu_s: f64,
}

impl RunMeta {
    /// Run metadata from the start and end instants, the measured duration and a fingerprint.
    pub fn new(
        started: SystemTime,
        finished: SystemTime,
        run_duration_s: f64,
        host: HostFingerprint,
    ) -> RunMeta {
        RunMeta {
            run_started_at_utc: utc_isoformat(started),
            run_finished_at_utc: utc_isoformat(finished),
            run_duration_s,
            host,
            sandbox: None,
        }
    }
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `t` as Python's `datetime.now(timezone.utc).isoformat()` writes it:
/// `2026-11-23T20:04:36.640196+00:00` (the fraction omitted when it is zero microseconds).
pub fn utc_isoformat(t: SystemTime) -> String {
    let (secs, micros) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_micros()),
        Err(e) => {
            // Before the epoch: borrow a second so the fraction stays non-negative.
            let d = e.duration();
            let (s, us) = (d.as_secs() as i64, d.subsec_micros());
            if us == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000 - us)
            }
        }
    };
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    let frac = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{frac}+00:00")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn isoformat_like_python() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_464_276_640_196);
        assert_eq!(utc_isoformat(t), "2026-11-23T20:04:36.640196+00:00");
        assert_eq!(utc_isoformat(UNIX_EPOCH), "1970-01-01T00:00:00+00:00");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(utc_isoformat(leap), "2000-02-29T00:00:00+00:00");
        let before = UNIX_EPOCH - Duration::from_micros(1);
        assert_eq!(utc_isoformat(before), "1969-12-31T23:59:59.999999+00:00");
    }

    #[test]
    fn cpuinfo_and_meminfo_parsing() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 9654\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 1\nmodel name\t: AMD EPYC 9654\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 2\nmodel name\t: AMD EPYC 9654\nphysical id\t: 0\ncore id\t: 1\n\n\
                       processor\t: 3\nmodel name\t: AMD EPYC 9654\nphysical id\t: 1\ncore id\t: 1\n";
        let info = parse_cpuinfo(cpuinfo);
        assert_eq!(info.brand.as_deref(), Some("AMD EPYC 9654"));
        assert_eq!((info.logical, info.physical), (Some(4), Some(3)));
        assert_eq!(parse_cpuinfo(""), CpuInfo::default());
        let mem = "MemTotal:       24684092 kB\nMemFree:  1 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(
            parse_meminfo(mem),
            (Some(24_684_092 * 1024), Some(20_000_000 * 1024))
        );
        assert_eq!(parse_meminfo("garbage"), (None, None));
    }

    #[test]
    fn collect_fills_versions_and_leaves_python_null() {
        let h = HostFingerprint::collect();
        assert_eq!(h.python_version, None);
        assert_eq!(
            h.numpy_version.as_deref(),
            Some(super::super::WHEST_RS_VERSION)
        );
        assert_eq!(h.flopscope_version.as_deref(), Some(flopscope::VERSION));
        assert!(h.os.is_some() && h.machine.is_some() && h.cpu_count_logical.is_some());
    }
}
