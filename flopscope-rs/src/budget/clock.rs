//! A cheap monotonic clock in nanoseconds since a process-wide epoch.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the first call in this process (monotonic).
#[inline]
pub(crate) fn now_ns() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    Instant::now().duration_since(epoch).as_nanos() as u64
}

/// Nanoseconds to seconds.
#[inline]
pub(crate) fn secs(ns: u64) -> f64 {
    ns as f64 * 1e-9
}
