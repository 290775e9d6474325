//! The worker's kernel-enforced sandbox (Linux), applied by the worker to itself after it read
//! the `Start` request and before it loads the plugin:
//!
//! - **Landlock** (file system, network, scopes): read/execute the plugin, read its submission
//!   folder and the system paths the dynamic loader and Rust's runtime need, read the worker's
//!   own `/proc/<pid>`, read/write the scratch folder when there is one; nothing else (no
//!   dataset, working directory, home or other process's `/proc`). No TCP bind/connect; no
//!   signals or abstract UNIX sockets out of the sandbox (where the kernel's Landlock ABI has
//!   them).
//! - **seccomp**: `EPERM` for process creation other than threads, `execve`/`execveat`,
//!   `ptrace`, `process_vm_*`, every socket (`socket`, `socketpair`), namespace and mount
//!   calls, `io_uring`, `bpf`, `perf_event_open`, session/group changes and signals to other
//!   processes, changes to any file's metadata (`chmod`, `chown`, `utime*`, `*setxattr*`,
//!   `*removexattr*`) and `truncate`, and (without a scratch folder) every `open`/`openat` that
//!   writes, truncates or creates, and `creat`; `clone3` and `openat2` get `ENOSYS` so the C
//!   library falls back to `clone` and `openat`, whose flags the filter can see.
//!
//! Why opens for writing: Landlock cannot restrict a pipe reopened through `/proc/self/fd/N`
//! (pipes live on an internal file system it does not govern), so without this rule the
//! plugin, in safe Rust, could reopen the worker's reply pipe (descriptor 4) for writing and
//! send the runner a reply of its own making (0 FLOPs, any predictions). Why sockets: Landlock
//! does not govern `connect` to a UNIX socket by path, so an `AF_UNIX` socket could reach any
//! listening socket on the host; the worker needs none. Why metadata: Landlock does not
//! govern `chmod`/`chown`/timestamps/extended attributes, so a worker running as root could
//! make the dataset unreadable for the next run or any host file world-writable. Why
//! truncation: a read-only open with `O_TRUNC` of the runner's weights memfd (reachable as root
//! through `/proc/self/map_files`) would shrink it under the runner's mapping (the arena is
//! also sealed against that, see `arena`).
//!
//! Both need a single-threaded process (they restrict the calling thread; threads created
//! later inherit them), which the worker is at that point.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use landlock::{
    path_beneath_rules, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, ABI,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use serde::{Deserialize, Serialize};

use super::cgroup::CgroupStatus;

/// How strictly workers are sandboxed (`--sandbox`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    /// Landlock and seccomp must both apply, or the run is refused (what a grader uses).
    Require,
    /// Apply what the kernel offers; the runner prints one line for what it could not apply.
    #[default]
    Auto,
    /// No sandbox (descriptors, environment, limits and lifetime control still apply).
    Off,
}

impl SandboxMode {
    /// The command-line spelling: `require`, `auto` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::Require => "require",
            SandboxMode::Auto => "auto",
            SandboxMode::Off => "off",
        }
    }
}

/// How much of the Landlock ruleset the kernel enforces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LandlockLevel {
    /// Every requested restriction.
    Full,
    /// The file-system rules, without some newer restrictions (older kernel ABI).
    Partial,
    /// None (no Landlock in this kernel, or `--sandbox off`).
    #[default]
    None,
}

/// What a worker's sandbox enforced; the report's `run_meta.sandbox`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SandboxStatus {
    /// The `--sandbox` mode asked for.
    pub mode: SandboxMode,
    /// Landlock enforcement.
    pub landlock: LandlockLevel,
    /// Whether the seccomp filter is installed.
    pub seccomp: bool,
    /// What could not be applied, one phrase each (empty when everything applied).
    pub not_applied: Vec<String>,
    /// The workers' cgroup v2 leaves, when the runner made them (set by the runner, never by
    /// a worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<CgroupStatus>,
}

impl SandboxStatus {
    /// Whether both layers `--sandbox require` insists on are in force.
    pub fn meets_require(&self) -> bool {
        self.landlock != LandlockLevel::None && self.seccomp
    }

    /// The report's `run_meta.sandbox`.
    pub fn to_meta(&self) -> whest_score::report::SandboxMeta {
        whest_score::report::SandboxMeta {
            mode: self.mode.as_str().to_string(),
            landlock: match self.landlock {
                LandlockLevel::Full => "full",
                LandlockLevel::Partial => "partial",
                LandlockLevel::None => "none",
            }
            .to_string(),
            seccomp: self.seccomp,
            not_applied: self.not_applied.clone(),
            cgroup: self
                .cgroup
                .as_ref()
                .map(|c| whest_score::report::CgroupMeta {
                    memory_max_mb: c.memory_max_mb,
                    pids_max: c.pids_max,
                    worker_cpu_s: c.worker_cpu_s,
                }),
        }
    }
}

/// Paths a sandboxed worker may use besides the system's.
#[derive(Clone, Debug)]
pub struct SandboxPaths {
    /// The plugin `cdylib` (read and execute).
    pub plugin: PathBuf,
    /// The submission folder (read).
    pub submission_dir: Option<PathBuf>,
    /// The scratch folder (read and write).
    pub scratch_dir: Option<PathBuf>,
}

/// System paths the dynamic loader, the C library and Rust's runtime read (those missing on
/// this machine are skipped).
const SYSTEM_READ_PATHS: [&str; 11] = [
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/etc/ld.so.preload",
    "/dev/urandom",
    "/dev/null",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
];

/// `--sandbox require` on a machine where a layer could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxIncomplete {
    /// What could not be applied, one phrase each.
    pub not_applied: Vec<String>,
}

impl std::fmt::Display for SandboxIncomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--sandbox require: the worker sandbox is incomplete: {}; run on a Linux kernel \
             with Landlock and seccomp enabled, or pass --sandbox auto",
            self.not_applied.join(", ")
        )
    }
}

impl std::error::Error for SandboxIncomplete {}

/// Applies the sandbox `mode` asks for to this (single-threaded) process.
///
/// Never fails in `auto` or `off` mode: what could not be applied is listed in the status.
///
/// # Errors
/// [`SandboxIncomplete`] in `require` mode when Landlock or seccomp could not be applied.
pub fn apply(mode: SandboxMode, paths: &SandboxPaths) -> Result<SandboxStatus, SandboxIncomplete> {
    let mut status = SandboxStatus {
        mode,
        ..SandboxStatus::default()
    };
    if mode == SandboxMode::Off {
        return Ok(status);
    }
    match apply_landlock(paths) {
        Ok(level) => status.landlock = level,
        Err(e) => status.not_applied.push(format!("Landlock ({e})")),
    }
    if status.landlock == LandlockLevel::None && status.not_applied.is_empty() {
        status
            .not_applied
            .push("Landlock (this kernel does not enforce it)".into());
    }
    match apply_seccomp(paths.scratch_dir.is_none()) {
        Ok(()) => status.seccomp = true,
        Err(e) => status.not_applied.push(format!("seccomp ({e})")),
    }
    if mode == SandboxMode::Require && !status.meets_require() {
        return Err(SandboxIncomplete {
            not_applied: status.not_applied,
        });
    }
    Ok(status)
}

/// Installs the Landlock ruleset (best effort across kernel ABIs).
fn apply_landlock(paths: &SandboxPaths) -> Result<LandlockLevel, landlock::RulesetError> {
    // ABI 6: file-system rights up to ioctl on devices (5), TCP (4), signal and abstract UNIX
    // socket scopes (6). Older kernels enforce the subset they know.
    let abi = ABI::V6;
    let read = AccessFs::from_read(abi);
    let own_proc = PathBuf::from(format!("/proc/{}", std::process::id()));
    let mut readable: Vec<&Path> = SYSTEM_READ_PATHS.iter().map(Path::new).collect();
    readable.push(&paths.plugin);
    readable.push(&own_proc);
    readable.extend(paths.submission_dir.as_deref());
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))?
        .handle_access(AccessNet::from_all(abi))?
        .scope(Scope::from_all(abi))?
        .create()?
        .add_rules(path_beneath_rules(readable, read))?
        .add_rules(path_beneath_rules(
            paths.scratch_dir.as_deref(),
            AccessFs::from_all(abi),
        ))?
        .restrict_self()?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => LandlockLevel::Full,
        RulesetStatus::PartiallyEnforced => LandlockLevel::Partial,
        RulesetStatus::NotEnforced => LandlockLevel::None,
    })
}

/// Why the seccomp filter could not be installed.
#[derive(Debug)]
enum SeccompFailure {
    /// This CPU architecture has no filter.
    Arch,
    /// Building or installing the filter failed.
    Filter(String),
}

impl std::fmt::Display for SeccompFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeccompFailure::Arch => write!(f, "no filter for this CPU architecture"),
            SeccompFailure::Filter(e) => write!(f, "{e}"),
        }
    }
}

/// `fchmodat2` (Linux 6.6), `setxattrat` and `removexattrat` (Linux 6.13): numbered alike
/// on every architecture, newer than some `libc` crate releases.
const SYS_FCHMODAT2: i64 = 452;
/// See [`SYS_FCHMODAT2`].
const SYS_SETXATTRAT: i64 = 463;
/// See [`SYS_FCHMODAT2`].
const SYS_REMOVEXATTRAT: i64 = 466;

/// Installs the two seccomp filters (the `EPERM` list, and `ENOSYS` for `clone3` and
/// `openat2`). With `read_only`, opening anything for writing is refused too (see the module
/// docs); a scratch folder the plugin may write into needs it off.
fn apply_seccomp(read_only: bool) -> Result<(), SeccompFailure> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|_| SeccompFailure::Arch)?;
    let filter = |rules, errno: i32| -> Result<BpfProgram, SeccompFailure> {
        SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(errno as u32),
            arch,
        )
        .and_then(BpfProgram::try_from)
        .map_err(|e| SeccompFailure::Filter(e.to_string()))
    };
    let refused = filter(
        refused_rules(read_only).map_err(SeccompFailure::Filter)?,
        libc::EPERM,
    )?;
    let unknown = filter(
        BTreeMap::from([
            (libc::SYS_clone3, Vec::new()),
            (libc::SYS_openat2, Vec::new()),
        ]),
        libc::ENOSYS,
    )?;
    for program in [&refused, &unknown] {
        seccompiler::apply_filter_all_threads(program)
            .map_err(|e| SeccompFailure::Filter(e.to_string()))?;
    }
    Ok(())
}

/// The system calls refused with `EPERM` (an empty rule list refuses every call; a call with
/// rules is refused when any rule matches). With `read_only`, also every open for writing.
fn refused_rules(read_only: bool) -> Result<BTreeMap<i64, Vec<SeccompRule>>, String> {
    let cond =
        |arg, len, op, value| SeccompCondition::new(arg, len, op, value).map_err(|e| e.to_string());
    let rule = |c: Vec<SeccompCondition>| SeccompRule::new(c).map_err(|e| e.to_string());
    let pid = u64::from(std::process::id());
    let other_process = || {
        rule(vec![
            cond(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, pid)?,
            cond(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, 0)?,
        ])
    };
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = [
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_open_tree,
        libc::SYS_move_mount,
        libc::SYS_fsopen,
        libc::SYS_fsconfig,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_mount_setattr,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_setsid,
        libc::SYS_setpgid,
        libc::SYS_tkill,
        libc::SYS_pidfd_open,
        libc::SYS_pidfd_send_signal,
        libc::SYS_pidfd_getfd,
        libc::SYS_kcmp,
        libc::SYS_socket,
        libc::SYS_socketpair,
        libc::SYS_open_by_handle_at,
        libc::SYS_truncate,
        libc::SYS_fchmod,
        libc::SYS_fchmodat,
        SYS_FCHMODAT2,
        libc::SYS_fchown,
        libc::SYS_fchownat,
        libc::SYS_utimensat,
        libc::SYS_setxattr,
        libc::SYS_lsetxattr,
        libc::SYS_fsetxattr,
        SYS_SETXATTRAT,
        libc::SYS_removexattr,
        libc::SYS_lremovexattr,
        libc::SYS_fremovexattr,
        SYS_REMOVEXATTRAT,
    ]
    .into_iter()
    .map(|nr| (nr, Vec::new()))
    .collect();
    #[cfg(target_arch = "x86_64")]
    for nr in [
        libc::SYS_fork,
        libc::SYS_vfork,
        libc::SYS_chmod,
        libc::SYS_chown,
        libc::SYS_lchown,
        libc::SYS_utime,
        libc::SYS_utimes,
        libc::SYS_futimesat,
    ] {
        rules.insert(nr, Vec::new());
    }
    // A new process: `clone` without CLONE_THREAD.
    rules.insert(
        libc::SYS_clone,
        vec![rule(vec![cond(
            0,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(libc::CLONE_THREAD as u64),
            0,
        )?])?],
    );
    if read_only {
        // Opens whose access mode (flags & O_ACCMODE) is O_WRONLY, O_RDWR or the invalid 3, or
        // that truncate or create whatever the mode: `openat` has its flags in argument 2,
        // `open` in argument 1.
        let writing = |arg: u8| -> Result<Vec<SeccompRule>, String> {
            let flags = |mask: i32, value: u64| {
                rule(vec![cond(
                    arg,
                    SeccompCmpArgLen::Dword,
                    SeccompCmpOp::MaskedEq(mask as u64),
                    value,
                )?])
            };
            let mut writes: Vec<SeccompRule> = (1..=3u64)
                .map(|mode| flags(libc::O_ACCMODE, mode))
                .collect::<Result<_, _>>()?;
            for bit in [libc::O_TRUNC, libc::O_CREAT] {
                writes.push(flags(bit, bit as u64)?);
            }
            Ok(writes)
        };
        rules.insert(libc::SYS_openat, writing(2)?);
        #[cfg(target_arch = "x86_64")]
        {
            rules.insert(libc::SYS_open, writing(1)?);
            rules.insert(libc::SYS_creat, Vec::new());
        }
    }
    // Signals: only to this process (its own id, or 0 = its own process group, which holds it
    // alone since it cannot create processes).
    for nr in [
        libc::SYS_kill,
        libc::SYS_tgkill,
        libc::SYS_rt_sigqueueinfo,
        libc::SYS_rt_tgsigqueueinfo,
    ] {
        rules.insert(nr, vec![other_process()?]);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seccomp_rules_compile_for_this_architecture() {
        let arch = TargetArch::try_from(std::env::consts::ARCH).unwrap();
        for read_only in [true, false] {
            let f = SeccompFilter::new(
                refused_rules(read_only).unwrap(),
                SeccompAction::Allow,
                SeccompAction::Errno(1),
                arch,
            )
            .unwrap();
            assert!(BpfProgram::try_from(f).is_ok_and(|p| !p.is_empty()));
        }
    }

    #[test]
    fn require_needs_both_layers() {
        let mut s = SandboxStatus {
            mode: SandboxMode::Require,
            landlock: LandlockLevel::Partial,
            seccomp: true,
            not_applied: Vec::new(),
            cgroup: None,
        };
        assert!(s.meets_require());
        s.seccomp = false;
        assert!(!s.meets_require());
        s.seccomp = true;
        s.landlock = LandlockLevel::None;
        assert!(!s.meets_require());
    }
}
