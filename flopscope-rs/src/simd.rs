//! Which SIMD instruction set this CPU runs, for kernels compiled once per path (the
//! `#[target_feature]` functions in [`crate::kernels::transcendental`] and
//! [`crate::gemm`]'s mat-vec): detected at run time, once.

/// A kernel path: which instruction set a kernel's loop is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// AVX-512F, with AVX2 and FMA (16 `f32` / 8 `f64` lanes per instruction).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX2 + FMA (8 `f32` / 4 `f64` lanes per instruction).
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// The target's baseline instructions only.
    Portable,
}

/// Whether this CPU runs the [`Path::Avx512`] functions: AVX-512F, AVX2 and FMA, each checked
/// (a virtual machine may hide one without the others).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
}

impl Path {
    /// Every path this CPU can run, fastest first.
    pub(crate) fn available() -> Vec<Path> {
        let mut paths = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx512() {
                paths.push(Path::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                paths.push(Path::Avx2Fma);
            }
        }
        paths.push(Path::Portable);
        paths
    }

    /// The fastest path this CPU can run (detected once).
    pub(crate) fn best() -> Path {
        static BEST: std::sync::OnceLock<Path> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| Path::available()[0])
    }
}
