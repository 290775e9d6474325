//! flopscope's integration tests, one test binary with a module per area (one link instead of
//! one per file).
//!
//! Every test here opens its own `BudgetContext` before it runs a tensor op: tests run on
//! parallel threads of one process, and while any explicit context is open, ops on a thread
//! without one are refused (`UnaccountedThread`). Two tests that need a process of their own
//! live in their own binaries: `default_context.rs` (ops outside every context) and
//! `thread_cpu.rs` (charges the CPU time of every thread of the process).

mod budget;
mod kernel_paths;
mod numerics;
mod parity;
mod reduce_order;
mod transcendental;
