//! A cgroup v2 leaf per worker (Linux), made by the runner when it may create one: `memory.max`
//! (the run's memory limit), `memory.swap.max = 0` (where swap is accounted), `pids.max`, and
//! the worker's CPU time from `cpu.stat`. Unlike the worker's rlimits these hold for the whole
//! leaf, so neither `fork` nor the page cache escapes them, and removing the leaf kills whatever
//! is left in it.
//!
//! **When the runner may create leaves.** The runner's own cgroup (the `0::/…` line of
//! `/proc/self/cgroup`, under the cgroup2 mount found in `/proc/self/mountinfo`) must offer the
//! `memory` and `pids` controllers (`cgroup.controllers`) and be writable by the runner: a
//! delegated subtree, such as `systemd-run --user --scope -p Delegate=yes whest-runner …` or a
//! container with its own cgroup namespace. Nothing outside that cgroup's subtree is touched.
//!
//! **Layout.** cgroup v2 lets a (non-root) cgroup enable controllers for its children
//! (`cgroup.subtree_control`) only while it holds no process of its own, and the runner starts
//! inside its cgroup. So, once per process, the runner moves itself into a child leaf
//! `runner`, then enables `+memory +pids` for the children, and each worker gets a
//! sibling leaf `worker-<runner pid>-<n>`:
//!
//! ```text
//! <runner's cgroup>/            cgroup.subtree_control: memory pids
//! ├── runner/                   the runner (it stays there when it exits)
//! ├── worker-<pid>-0/           memory.max, memory.swap.max, pids.max; one worker
//! └── worker-<pid>-1/           …
//! ```
//!
//! When the cgroup already enables both controllers for its children (only possible for the
//! root cgroup, which may hold processes), the runner stays where it is. When other processes
//! share the runner's cgroup, moving only the runner would not empty it, so no leaf is made.
//!
//! **A worker's leaf** is created and limited before the worker is started, the worker is moved
//! into it before the runner sends `Start` (so the plugin never runs outside it), and dropping
//! the `WorkerLeaf` (on every path that ends a worker) kills what is left in it
//! (`cgroup.kill`, or `SIGKILL` to each process in `cgroup.procs` where the kernel lacks it),
//! adds its `cpu.stat` `usage_usec` to the run's total, and removes it.
//!
//! The limits hold against the plugin while Landlock is in force (it leaves `/sys/fs/cgroup`
//! read-only to the worker); without Landlock a worker running as the runner's user could
//! rewrite its own leaf's files.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The child cgroup the runner moves itself into, so that its cgroup holds no process and may
/// enable controllers for the worker leaves.
const RUNNER_LEAF: &str = "runner";
/// The controllers a worker leaf needs.
const REQUIRED_CONTROLLERS: [&str; 2] = ["memory", "pids"];
/// Leaf numbers a runner passes over when leaves of an earlier runner with its process id
/// still exist.
const STALE_LEAVES_SKIPPED: u64 = 1024;
/// How long removing a leaf waits for its killed processes to leave it.
const REMOVE_DEADLINE: Duration = Duration::from_secs(2);

/// Why the runner cannot create (or fill) a worker's cgroup v2 leaf.
#[derive(Debug)]
pub(crate) enum CgroupError {
    /// `/proc/self/mountinfo` lists no `cgroup2` file system.
    NoCgroup2Mount,
    /// `/proc/self/cgroup` has no cgroup v2 (`0::`) line.
    NoUnifiedCgroup,
    /// The runner's cgroup is not visible under the cgroup2 mount.
    OutsideMount {
        /// The runner's cgroup path (from `/proc/self/cgroup`).
        cgroup: String,
        /// The cgroup2 mount point.
        mount: PathBuf,
    },
    /// The runner's cgroup does not offer every controller a leaf needs.
    MissingControllers {
        /// The runner's cgroup directory.
        dir: PathBuf,
        /// The controllers it lacks.
        missing: Vec<&'static str>,
    },
    /// Other processes share the runner's cgroup, so it cannot enable controllers for children.
    SharedCgroup {
        /// The runner's cgroup directory.
        dir: PathBuf,
    },
    /// A cgroup file could not be read or written, or a directory made.
    Io {
        /// What was attempted (`read`, `write`, `create`).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

impl CgroupError {
    /// The problem in a few words (no fix), as `run_meta.sandbox.not_applied` records it.
    pub(crate) fn problem(&self) -> String {
        match self {
            CgroupError::NoCgroup2Mount => "no cgroup2 file system is mounted".into(),
            CgroupError::NoUnifiedCgroup => "the runner is in no cgroup v2 cgroup".into(),
            CgroupError::OutsideMount { cgroup, mount } => format!(
                "the runner's cgroup {cgroup} is outside the cgroup2 mount {}",
                mount.display()
            ),
            CgroupError::MissingControllers { dir, missing } => format!(
                "no delegated {} controller{} in {}",
                missing.join("+"),
                if missing.len() == 1 { "" } else { "s" },
                dir.display()
            ),
            CgroupError::SharedCgroup { dir } => format!(
                "other processes share the runner's cgroup {}",
                dir.display()
            ),
            CgroupError::Io {
                action,
                path,
                source,
            } => format!("cannot {action} {}: {source}", path.display()),
        }
    }

    /// The phrase `run_meta.sandbox.not_applied` records: `cgroup v2 leaf (<problem>)`.
    pub(crate) fn not_applied(&self) -> String {
        format!("cgroup v2 leaf ({})", self.problem())
    }
}

impl std::fmt::Display for CgroupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no cgroup v2 leaf for the workers: {}; start the runner alone in a cgroup v2 \
             subtree delegated to it with the memory and pids controllers (e.g. `systemd-run \
             --user --scope -p Delegate=yes whest-runner …`); without one the workers' rlimits \
             and sandbox still apply",
            self.problem()
        )
    }
}

impl std::error::Error for CgroupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CgroupError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// How cgroup directories are made and removed: on the cgroup file system `mkdir` fills a new
/// directory with its interface files and `rmdir` removes one that still shows them, which a
/// test's stand-in directory tree needs done by hand.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DirOps {
    /// Creates a cgroup directory (`mkdir`).
    pub make: fn(&Path) -> io::Result<()>,
    /// Removes an empty cgroup directory (`rmdir`).
    pub remove: fn(&Path) -> io::Result<()>,
}

impl DirOps {
    /// The kernel's cgroup file system: plain `mkdir` and `rmdir`.
    pub(crate) const KERNEL: DirOps = DirOps {
        make: |p| fs::create_dir(p),
        remove: |p| fs::remove_dir(p),
    };
}

/// The limits written into each worker's leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LeafLimits {
    /// `memory.max` in MiB (`None`: left at `max`).
    pub memory_max_mb: Option<u64>,
    /// `pids.max`: tasks (threads count) the worker may hold.
    pub pids_max: u64,
}

/// What the workers' leaves applied and used; the report's `run_meta.sandbox.cgroup`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CgroupStatus {
    /// The limits each leaf had.
    pub memory_max_mb: Option<u64>,
    /// `pids.max` of each leaf.
    pub pids_max: u64,
    /// CPU seconds of all removed leaves together (`cpu.stat` `usage_usec`).
    pub worker_cpu_s: f64,
}

/// The runner's cgroup, prepared for worker leaves (see the module docs).
#[derive(Debug)]
pub(crate) struct WorkerCgroups {
    /// The runner's original cgroup: the leaves' parent.
    dir: PathBuf,
    runner_pid: u32,
    ops: DirOps,
    /// The next leaf's number.
    next_leaf: AtomicU64,
}

impl WorkerCgroups {
    /// This process's worker cgroups, detected from `/proc/self` and prepared on the first
    /// call (the runner moves itself at most once); later calls return the same outcome.
    ///
    /// # Errors
    /// The [`CgroupError`] that kept the runner from preparing its cgroup.
    pub(crate) fn for_this_process() -> Result<&'static WorkerCgroups, &'static CgroupError> {
        static PREPARED: OnceLock<Result<WorkerCgroups, CgroupError>> = OnceLock::new();
        PREPARED
            .get_or_init(|| {
                let dir = runner_cgroup_dir(
                    &read(Path::new("/proc/self/mountinfo"))?,
                    &read(Path::new("/proc/self/cgroup"))?,
                )?;
                WorkerCgroups::prepare(dir, std::process::id(), DirOps::KERNEL)
            })
            .as_ref()
    }

    /// Prepares cgroup `dir`, which holds the runner (`runner_pid`), for worker leaves: checks
    /// its controllers and, unless it already enables `memory` and `pids` for its children,
    /// checks that it holds no other process, moves the runner into [`RUNNER_LEAF`] and enables
    /// them. A failed step undoes the ones before it.
    ///
    /// # Errors
    /// [`CgroupError::MissingControllers`], [`CgroupError::SharedCgroup`], or
    /// [`CgroupError::Io`] for a file that could not be read or written.
    pub(crate) fn prepare(
        dir: PathBuf,
        runner_pid: u32,
        ops: DirOps,
    ) -> Result<WorkerCgroups, CgroupError> {
        let offered = read(&dir.join("cgroup.controllers"))?;
        let missing: Vec<&'static str> = REQUIRED_CONTROLLERS
            .into_iter()
            .filter(|c| !has_word(&offered, c))
            .collect();
        if !missing.is_empty() {
            return Err(CgroupError::MissingControllers { dir, missing });
        }
        let prepared = WorkerCgroups {
            dir,
            runner_pid,
            ops,
            next_leaf: AtomicU64::new(0),
        };
        let enabled = read(&prepared.dir.join("cgroup.subtree_control"))?;
        if REQUIRED_CONTROLLERS.iter().all(|c| has_word(&enabled, c)) {
            return Ok(prepared);
        }
        let procs = read(&prepared.dir.join("cgroup.procs"))?;
        let runner = runner_pid.to_string();
        if procs.split_whitespace().any(|p| p != runner) {
            return Err(CgroupError::SharedCgroup { dir: prepared.dir });
        }
        prepared.move_runner_out()?;
        Ok(prepared)
    }

    /// Moves the runner into [`RUNNER_LEAF`] and enables the controllers for the children;
    /// on failure puts the runner back and removes a leaf it made.
    fn move_runner_out(&self) -> Result<(), CgroupError> {
        let leaf = self.dir.join(RUNNER_LEAF);
        let made = match (self.ops.make)(&leaf) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(source) => {
                return Err(CgroupError::Io {
                    action: "create",
                    path: leaf,
                    source,
                })
            }
        };
        let pid = self.runner_pid.to_string();
        let moved = write(&leaf.join("cgroup.procs"), &pid);
        let enabled = moved.and_then(|()| {
            let control = REQUIRED_CONTROLLERS.map(|c| format!("+{c}")).join(" ");
            write(&self.dir.join("cgroup.subtree_control"), &control).inspect_err(|_| {
                let _ = write(&self.dir.join("cgroup.procs"), &pid);
            })
        });
        if enabled.is_err() && made {
            let _ = (self.ops.remove)(&leaf);
        }
        enabled
    }

    /// Creates the next worker leaf with `limits`; its CPU time is added to `cpu_total_usec`
    /// when it is removed. Move the worker in with [`WorkerLeaf::attach`].
    ///
    /// # Errors
    /// [`CgroupError::Io`] when the leaf cannot be made or a limit written (the leaf is removed
    /// again).
    pub(crate) fn create_leaf(
        &self,
        limits: LeafLimits,
        cpu_total_usec: &Arc<AtomicU64>,
    ) -> Result<WorkerLeaf, CgroupError> {
        let path = loop {
            let n = self.next_leaf.fetch_add(1, Ordering::Relaxed);
            let path = self.dir.join(format!("worker-{}-{n}", self.runner_pid));
            match (self.ops.make)(&path) {
                Ok(()) => break path,
                // Left by a killed runner that had this process id: skip it.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < STALE_LEAVES_SKIPPED => {}
                Err(source) => {
                    return Err(CgroupError::Io {
                        action: "create",
                        path,
                        source,
                    })
                }
            }
        };
        let leaf = WorkerLeaf {
            path,
            ops: self.ops,
            cpu_total_usec: Arc::clone(cpu_total_usec),
        };
        if let Some(mb) = limits.memory_max_mb {
            write(
                &leaf.path.join("memory.max"),
                &mb.saturating_mul(1 << 20).to_string(),
            )?;
        }
        let swap = leaf.path.join("memory.swap.max");
        if swap.exists() {
            write(&swap, "0")?;
        }
        write(&leaf.path.join("pids.max"), &limits.pids_max.to_string())?;
        Ok(leaf)
    }
}

/// One worker's leaf. Dropping it kills what is left in it, adds its CPU time to the run's
/// total and removes it.
#[derive(Debug)]
pub(crate) struct WorkerLeaf {
    path: PathBuf,
    ops: DirOps,
    cpu_total_usec: Arc<AtomicU64>,
}

impl WorkerLeaf {
    /// Moves process `pid` (all its threads) into the leaf.
    ///
    /// # Errors
    /// [`CgroupError::Io`] when `cgroup.procs` refuses it.
    pub(crate) fn attach(&self, pid: u32) -> Result<(), CgroupError> {
        write(&self.path.join("cgroup.procs"), &pid.to_string())
    }

    /// How many times the kernel's OOM killer acted on `memory.max` in this leaf (the
    /// `oom_kill` line of `memory.events`; 0 when unreadable).
    pub(crate) fn oom_kills(&self) -> u64 {
        keyed_value(&self.path.join("memory.events"), "oom_kill").unwrap_or(0)
    }

    /// `SIGKILL`s every process in the leaf: `cgroup.kill` where the kernel has it, else each
    /// process `cgroup.procs` lists.
    fn kill_all(&self) {
        let kill = self.path.join("cgroup.kill");
        if kill.exists() && write(&kill, "1").is_ok() {
            return;
        }
        let Ok(procs) = fs::read_to_string(self.path.join("cgroup.procs")) else {
            return;
        };
        for pid in procs.split_whitespace().filter_map(|p| p.parse().ok()) {
            if pid > 0 {
                // SAFETY: `kill` only sends a signal; `pid` is a process listed in this
                // worker's own leaf.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

impl Drop for WorkerLeaf {
    fn drop(&mut self) {
        let deadline = Instant::now() + REMOVE_DEADLINE;
        loop {
            self.kill_all();
            let usage = keyed_value(&self.path.join("cpu.stat"), "usage_usec");
            match (self.ops.remove)(&self.path) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return,
                done => {
                    self.cpu_total_usec
                        .fetch_add(usage.unwrap_or(0), Ordering::Relaxed);
                    if let Err(e) = done {
                        eprintln!(
                            "whest-runner: cannot remove the worker's cgroup leaf {}: {e}",
                            self.path.display()
                        );
                    }
                    return;
                }
            }
        }
    }
}

/// The directory of the runner's cgroup, from `/proc/self/mountinfo` and `/proc/self/cgroup`.
fn runner_cgroup_dir(mountinfo: &str, proc_cgroup: &str) -> Result<PathBuf, CgroupError> {
    let (mount, mount_root) = cgroup2_mount(mountinfo).ok_or(CgroupError::NoCgroup2Mount)?;
    let cgroup = proc_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or(CgroupError::NoUnifiedCgroup)?;
    cgroup_dir(&mount, &mount_root, cgroup).ok_or_else(|| CgroupError::OutsideMount {
        cgroup: cgroup.to_string(),
        mount,
    })
}

/// The mount point and the mounted root of the first `cgroup2` file system in mountinfo text
/// (fields: id, parent, dev, root, mount point, options…, `-`, type, source, options).
fn cgroup2_mount(mountinfo: &str) -> Option<(PathBuf, String)> {
    mountinfo.lines().find_map(|line| {
        let (fields, rest) = line.split_once(" - ")?;
        if rest.split_whitespace().next()? != "cgroup2" {
            return None;
        }
        let mut f = fields.split_whitespace().skip(3);
        let root = unescape(f.next()?);
        let point = unescape(f.next()?);
        Some((PathBuf::from(point), root))
    })
}

/// The directory of cgroup `path` (as `/proc/self/cgroup` names it) under a cgroup2 mount at
/// `mount` whose mounted root is `mount_root`; `None` when it lies outside the mounted part or
/// names `..`.
fn cgroup_dir(mount: &Path, mount_root: &str, path: &str) -> Option<PathBuf> {
    let rel = if mount_root == "/" {
        path
    } else {
        let rest = path.strip_prefix(mount_root)?;
        if !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        rest
    };
    let rel = Path::new(rel.trim_start_matches('/'));
    let parts: Vec<Component<'_>> = rel.components().collect();
    parts
        .iter()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| parts.iter().fold(mount.to_path_buf(), |dir, c| dir.join(c)))
}

/// Undoes mountinfo's octal escapes (`\040` for a space, …).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let code = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .map(|d| d.iter().fold(0u32, |n, b| n * 8 + u32::from(b - b'0')));
        match code.and_then(|c| u8::try_from(c).ok()) {
            Some(c) => {
                out.push(c);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether whitespace-separated `list` holds `word`.
fn has_word(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// The value of the `key value` line for `key` in a flat-keyed cgroup file.
fn keyed_value(path: &Path, key: &str) -> Option<u64> {
    fs::read_to_string(path).ok()?.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok())?
    })
}

fn read(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(|source| CgroupError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `value` to an existing cgroup file (one `write`, as the kernel expects).
fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .and_then(|mut f| io::Write::write_all(&mut f, value.as_bytes()))
        .map_err(|source| CgroupError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Child, Command};

    /// A directory laid out like a cgroup v2 directory (a stand-in for the cgroup file system),
    /// removed when dropped.
    struct FakeCgroup {
        dir: PathBuf,
    }

    impl FakeCgroup {
        fn new(controllers: &str, subtree_control: &str, procs: &str) -> FakeCgroup {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "whest-fake-cgroup-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir(&dir).unwrap();
            for (name, text) in [
                ("cgroup.controllers", controllers),
                ("cgroup.subtree_control", subtree_control),
                ("cgroup.procs", procs),
            ] {
                fs::write(dir.join(name), text).unwrap();
            }
            FakeCgroup { dir }
        }

        fn text(&self, rel: &str) -> String {
            fs::read_to_string(self.dir.join(rel)).unwrap()
        }
    }

    impl Drop for FakeCgroup {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }

    /// The interface files `mkdir` makes on the cgroup file system (this kernel's `cpu.stat`
    /// reports 1500 µs).
    fn make_files(p: &Path) -> io::Result<()> {
        fs::create_dir(p)?;
        for (name, text) in [
            ("cgroup.controllers", "memory pids"),
            ("cgroup.subtree_control", ""),
            ("cgroup.procs", ""),
            ("memory.max", "max"),
            ("memory.swap.max", "max"),
            ("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"),
            ("pids.max", "max"),
            (
                "cpu.stat",
                "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
            ),
        ] {
            fs::write(p.join(name), text)?;
        }
        Ok(())
    }

    /// A kernel with `cgroup.kill` (5.14 and later).
    fn make_files_with_kill(p: &Path) -> io::Result<()> {
        make_files(p)?;
        fs::write(p.join("cgroup.kill"), "")
    }

    /// `rmdir`: refused (`EBUSY`) while a `cgroup.kill` was not written, as for a populated
    /// leaf.
    fn remove_killed(p: &Path) -> io::Result<()> {
        match fs::read_to_string(p.join("cgroup.kill")) {
            Ok(k) if k.trim() != "1" => Err(io::Error::from_raw_os_error(libc::EBUSY)),
            _ => fs::remove_dir_all(p),
        }
    }

    const FAKE_KERNEL: DirOps = DirOps {
        make: make_files,
        remove: remove_killed,
    };
    const RUNNER: u32 = 4242;

    fn sleeper() -> Child {
        Command::new("sleep").arg("30").spawn().unwrap()
    }

    #[test]
    fn the_runner_cgroup_is_found_from_mountinfo_and_proc_cgroup() {
        let mountinfo = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified\\040v2 rw,relatime shared:9 - cgroup2 cgroup2 rw
";
        assert_eq!(
            cgroup2_mount(mountinfo),
            Some((PathBuf::from("/sys/fs/cgroup/unified v2"), "/".to_string()))
        );
        let proc_cgroup = "4:memory:/x\n0::/user.slice/run-1.scope\n";
        assert_eq!(
            runner_cgroup_dir(mountinfo, proc_cgroup).unwrap(),
            Path::new("/sys/fs/cgroup/unified v2/user.slice/run-1.scope")
        );
        assert_eq!(
            runner_cgroup_dir(mountinfo, "0::/\n")
                .unwrap()
                .to_string_lossy(),
            "/sys/fs/cgroup/unified v2"
        );
        // A mount of part of the hierarchy (a bind mount into a container).
        let m = Path::new("/cg");
        assert_eq!(cgroup_dir(m, "/a/b", "/a/b/c"), Some(m.join("c")));
        assert_eq!(
            cgroup_dir(m, "/a/b", "/a/b").map(|d| d.to_string_lossy().into_owned()),
            Some("/cg".into())
        );
        assert_eq!(cgroup_dir(m, "/a/b", "/a/bc"), None);
        assert_eq!(cgroup_dir(m, "/a/b", "/x"), None);
        assert_eq!(cgroup_dir(m, "/", "/a/../../etc"), None);
        assert!(matches!(
            runner_cgroup_dir("41 31 0:38 / /cg rw - cgroup2 cgroup2 rw\n", "0::/x\n"),
            Ok(ref d) if d == Path::new("/cg/x")
        ));
        assert!(matches!(
            runner_cgroup_dir("41 31 0:38 /a /cg rw - cgroup2 cgroup2 rw\n", "0::/b\n"),
            Err(CgroupError::OutsideMount { .. })
        ));
        assert!(matches!(
            runner_cgroup_dir(&mountinfo.replace("cgroup2", "cgroup"), proc_cgroup),
            Err(CgroupError::NoCgroup2Mount)
        ));
        assert!(matches!(
            runner_cgroup_dir(mountinfo, "4:memory:/x\n"),
            Err(CgroupError::NoUnifiedCgroup)
        ));
    }

    #[test]
    fn missing_controllers_or_other_processes_leave_the_cgroup_untouched() {
        let cg = FakeCgroup::new("cpu hugetlb", "", "4242\n");
        let err = WorkerCgroups::prepare(cg.dir.clone(), RUNNER, FAKE_KERNEL).unwrap_err();
        assert_eq!(
            err.not_applied(),
            format!(
                "cgroup v2 leaf (no delegated memory+pids controllers in {})",
                cg.dir.display()
            )
        );
        assert!(err.to_string().contains("Delegate=yes"), "{err}");
        let cg = FakeCgroup::new("memory", "", "4242\n");
        let err = WorkerCgroups::prepare(cg.dir.clone(), RUNNER, FAKE_KERNEL).unwrap_err();
        assert!(
            err.problem().starts_with("no delegated pids controller in"),
            "{err}"
        );
        let cg = FakeCgroup::new("memory pids", "", "1\n4242\n");
        let err = WorkerCgroups::prepare(cg.dir.clone(), RUNNER, FAKE_KERNEL).unwrap_err();
        assert!(matches!(err, CgroupError::SharedCgroup { .. }), "{err}");
        assert!(!cg.dir.join(RUNNER_LEAF).exists());
        assert_eq!(cg.text("cgroup.subtree_control"), "");
    }

    #[test]
    fn the_runner_moves_into_its_own_leaf_before_the_controllers_are_enabled() {
        let cg = FakeCgroup::new("cpu memory pids", "", "4242\n");
        WorkerCgroups::prepare(cg.dir.clone(), RUNNER, FAKE_KERNEL).unwrap();
        assert_eq!(cg.text("runner/cgroup.procs"), "4242");
        assert_eq!(cg.text("cgroup.subtree_control"), "+memory +pids");

        // Enabled already (the root cgroup): the runner stays where it is.
        let cg = FakeCgroup::new("memory pids", "cpu memory pids", "1\n4242\n");
        WorkerCgroups::prepare(cg.dir.clone(), RUNNER, FAKE_KERNEL).unwrap();
        assert!(!cg.dir.join(RUNNER_LEAF).exists());

        // A leaf that cannot take the runner is removed again.
        let bare = DirOps {
            make: |p| fs::create_dir(p),
            remove: |p| fs::remove_dir(p),
        };
        let cg = FakeCgroup::new("memory pids", "", "4242\n");
        let err = WorkerCgroups::prepare(cg.dir.clone(), RUNNER, bare).unwrap_err();
        assert!(
            matches!(err, CgroupError::Io { action: "write", ref path, .. }
                if path.ends_with("runner/cgroup.procs")),
            "{err}"
        );
        assert!(!cg.dir.join(RUNNER_LEAF).exists());
        assert_eq!(cg.text("cgroup.subtree_control"), "");
    }

    #[test]
    fn a_leaf_gets_the_limits_and_the_worker_and_is_killed_and_removed_when_dropped() {
        let cg = FakeCgroup::new("memory pids", "", "4242\n");
        let cgroups = WorkerCgroups::prepare(cg.dir.clone(), RUNNER, FAKE_KERNEL).unwrap();
        let cpu = Arc::new(AtomicU64::new(0));
        let limits = LeafLimits {
            memory_max_mb: Some(512),
            pids_max: 76,
        };
        // No `cgroup.kill` (older kernel): each listed process is killed.
        let leaf = cgroups.create_leaf(limits, &cpu).unwrap();
        let dir = cg.dir.join("worker-4242-0");
        let mut child = sleeper();
        leaf.attach(child.id()).unwrap();
        assert_eq!(cg.text("worker-4242-0/memory.max"), "536870912");
        assert_eq!(cg.text("worker-4242-0/memory.swap.max"), "0");
        assert_eq!(cg.text("worker-4242-0/pids.max"), "76");
        assert_eq!(
            cg.text("worker-4242-0/cgroup.procs"),
            child.id().to_string()
        );
        assert_eq!(leaf.oom_kills(), 0);
        fs::write(dir.join("memory.events"), "oom 1\noom_kill 1\n").unwrap();
        assert_eq!(leaf.oom_kills(), 1);
        drop(leaf);
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
        assert!(!dir.exists());
        assert_eq!(cpu.load(Ordering::Relaxed), 1500);

        // With `cgroup.kill`, no memory limit: `memory.max` stays `max`; the (fake) kernel
        // refuses `rmdir` until the leaf was killed.
        let cgroups = WorkerCgroups {
            ops: DirOps {
                make: make_files_with_kill,
                ..FAKE_KERNEL
            },
            ..cgroups
        };
        let leaf = cgroups
            .create_leaf(
                LeafLimits {
                    memory_max_mb: None,
                    ..limits
                },
                &cpu,
            )
            .unwrap();
        assert_eq!(cg.text("worker-4242-1/memory.max"), "max");
        assert_eq!(cg.text("worker-4242-1/pids.max"), "76");
        drop(leaf);
        assert!(!cg.dir.join("worker-4242-1").exists());
        assert_eq!(cpu.load(Ordering::Relaxed), 3000);

        // A leaf left by an earlier runner with this process id is passed over.
        fs::create_dir(cg.dir.join("worker-4242-2")).unwrap();
        let leaf = cgroups.create_leaf(limits, &cpu).unwrap();
        assert_eq!(cg.text("worker-4242-3/pids.max"), "76");
        drop(leaf);
        assert!(!cg.dir.join("worker-4242-3").exists());
    }
}
