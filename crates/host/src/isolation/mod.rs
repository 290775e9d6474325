//! Process isolation: the worker protocol, the worker process and how it is launched,
//! sandboxed and confined to a cgroup v2 leaf, the framing they share, the capture of its
//! output, and the shared-memory arena that carries the weights.

pub mod arena;
pub mod cgroup;
pub mod ipc;
pub mod launch;
pub mod output_tail;
pub mod protocol;
pub mod sandbox;
pub mod worker;
