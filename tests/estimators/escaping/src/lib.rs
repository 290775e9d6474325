//! Fault-injection estimator: tries every escape a participant would try from a worker and
//! panics naming the ones that worked (so an unsandboxed run fails with the list, and a
//! sandboxed one scores like `zeros`). It also prints to stdout, which must not touch the
//! worker protocol. The last attempt, `exec`, replaces the process if it works.

use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{DType, Tensor};

/// Tries the escapes in `predict`.
#[derive(Default)]
pub struct Fault;

/// Every escape that worked, by name.
fn escapes() -> Vec<String> {
    let mut worked = Vec::new();
    let parent = std::os::unix::process::parent_id();
    // The runner's command line names the dataset (`--dataset DIR`): with it, the answers.
    if let Ok(cmdline) = std::fs::read(format!("/proc/{parent}/cmdline")) {
        worked.push("read the runner's command line".to_string());
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        if let Some(dir) = args.windows(2).find(|w| w[0] == b"--dataset").map(|w| w[1]) {
            let dir = String::from_utf8_lossy(dir).into_owned();
            if std::fs::read_dir(format!("{dir}/data")).is_ok() {
                worked.push(format!("listed the dataset at {dir}"));
            }
        }
    }
    for file in ["status", "environ", "maps"] {
        if std::fs::read(format!("/proc/{parent}/{file}")).is_ok() {
            worked.push(format!("read the runner's /proc/{parent}/{file}"));
        }
    }
    if std::fs::read_dir(".").is_ok() {
        worked.push("listed the working directory".into());
    }
    if std::fs::read("/etc/passwd").is_ok() {
        worked.push("read /etc/passwd".into());
    }
    if let Ok(mut child) = Command::new("/bin/sh").args(["-c", "exit 0"]).spawn() {
        let _ = child.wait();
        worked.push("spawned a child process".into());
    }
    // SAFETY: `fork` in a test estimator; the child only calls `_exit`.
    match unsafe { libc::fork() } {
        // SAFETY: the forked child leaves at once, touching nothing of the parent's state.
        0 => unsafe { libc::_exit(0) },
        pid if pid > 0 => {
            // SAFETY: reaping the child just forked.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            worked.push("forked".into());
        }
        _ => {}
    }
    // Landlock cannot restrict a pipe reopened through `/proc`: the worker's reply pipe
    // (descriptor 4) open for writing would let the plugin send the runner replies of its own
    // (0 FLOPs, any predictions). Opened and closed at once, nothing written.
    if std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/fd/4")
        .is_ok()
    {
        worked.push("reopened the reply pipe for writing".into());
    }
    if std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/mem")
        .is_ok()
    {
        worked.push("opened its own memory for writing".into());
    }
    // A read-only open that truncates (here of `/dev/null`, harmless): as root, the runner's
    // weights file reopened this way through `/proc/self/map_files` would shrink under it.
    if std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_TRUNC)
        .open("/proc/self/fd/0")
        .is_ok()
    {
        worked.push("opened a file with O_TRUNC".into());
    }
    // Landlock does not govern metadata: as root, any host file's mode and owner. Set to what
    // it already is, so nothing changes when it works.
    if let Ok(meta) = std::fs::metadata("/etc/passwd") {
        if std::fs::set_permissions("/etc/passwd", meta.permissions()).is_ok() {
            worked.push("changed a host file's permissions".into());
        }
    }
    // A UNIX socket can connect to any listening socket on the host by its path.
    if std::os::unix::net::UnixDatagram::unbound().is_ok() {
        worked.push("made a UNIX socket".into());
    }
    if std::net::UdpSocket::bind("127.0.0.1:0").is_ok() {
        worked.push("opened a UDP socket".into());
    }
    if std::net::TcpListener::bind("127.0.0.1:0").is_ok() {
        worked.push("opened a TCP socket".into());
    }
    let runner = libc::pid_t::try_from(parent).unwrap_or(1);
    // SAFETY: signal 0 only checks whether the runner may be signalled.
    if unsafe { libc::kill(runner, 0) } == 0 {
        worked.push("may signal the runner".into());
    }
    worked
}

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        println!("{{\"forged\": \"report line printed by the estimator\"}}");
        // In the local runner this moves whest-runner's own working directory, which a relative
        // `--plot` path must not follow.
        let _ = std::env::set_current_dir(std::env::temp_dir());
        let worked = escapes();
        if !worked.is_empty() {
            panic!("escaped the sandbox: {}", worked.join("; "));
        }
        // Replaces the worker with `sh` if exec is allowed (the MLP then fails: WORKER_EOF).
        let _ = Command::new("/bin/sh").args(["-c", "exit 0"]).exec();
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
