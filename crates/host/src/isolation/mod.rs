//! Process isolation: the worker protocol, the worker process, the framing they share, and the
//! shared-memory arena that carries the weights.

pub mod arena;
pub mod ipc;
pub mod launch;
pub mod output_tail;
pub mod protocol;
pub mod sandbox;
pub mod worker;
