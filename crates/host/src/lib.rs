//! # whest-host
//!
//! Runs estimator plugins: finds or builds the `cdylib`, loads it through the C ABI of
//! `estimator-api`, and calls it in this process or in isolated worker processes. This is the
//! only crate of the workspace with FFI and IPC `unsafe`.
//!
//! | module | job |
//! |---|---|
//! | [`estimator_path`] | `--estimator PATH` → a built `.so` (runs `cargo build --release` for a crate folder) |
//! | [`plugin_host`] | loading a plugin, ABI checks, `setup` / `predict` across the C boundary |
//! | [`isolation`] | the worker process, its launch, sandbox and cgroup leaf, its framed protocol, the shared-memory weight arena |
//! | [`runners`] | the local and subprocess runners behind one [`runners::EstimatorRunner`] trait, the runner's own timing checks |
//! | [`system`] | machine facts that need a system call (free disk space) |
//!
//! `isolation` uses `plugin_host`; `runners` uses both; `estimator_path` and `system` use
//! neither.

pub mod estimator_path;
pub mod isolation;
pub mod plugin_host;
pub mod runners;
pub mod system;
