//! Process isolation: the worker protocol, the worker process, and the framing they share.

pub mod ipc;
pub mod protocol;
pub mod worker;
