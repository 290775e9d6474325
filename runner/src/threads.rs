//! `--max-threads`: one thread count for rayon here, in workers and in plugins.

/// Environment variables `--max-threads` sets (rayon in this process, in workers and in the
/// plugin's own rayon copy; the BLAS variables for parity with the Python CLI).
pub const THREAD_ENV_VARS: [&str; 5] = [
    "RAYON_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
];

/// Caps every thread pool of the run (this process, its workers and the plugin) at `n`.
/// Must run before any parallel work.
pub fn apply_max_threads(n: usize) {
    let n = n.max(1);
    for var in THREAD_ENV_VARS {
        std::env::set_var(var, n.to_string());
    }
    // Fails only if the global pool already exists, in which case RAYON_NUM_THREADS above
    // still governs workers and plugins.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
}
