//! The CUDA kernel run on the CPU: `emulator/harness.cpp` compiles `mlp_stats.cu` with a C++
//! shim (a thread per CUDA thread, a barrier per `__syncthreads`) and checks every partial sum
//! bit for bit against a plain reference. This checks the kernel's indexing, tiling,
//! double-buffering and barriers for each shape the host selects, on machines without a GPU.
//! Needs a C++20 compiler (`CXX`, else `c++`); says it skipped when there is none.

use std::path::{Path, PathBuf};
use std::process::Command;

use whest_cuda::kernel::{KernelShape, KERNEL_SOURCE};

/// An H100/H200's opt-in shared memory per block.
const H100_SMEM: usize = 227 * 1024;
/// The declaration the shim replaces with its host buffer.
const SHARED_DECLARATION: &str = "extern __shared__ float4 smem4[];";

fn compiler() -> Option<String> {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    let found = Command::new(&cxx).arg("--version").output();
    found.is_ok_and(|o| o.status.success()).then_some(cxx)
}

fn emulator_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/emulator")
}

/// Builds the harness for `shape` in `dir` and returns its path.
fn build(cxx: &str, shape: &KernelShape, dir: &Path) -> PathBuf {
    assert!(
        KERNEL_SOURCE.contains(SHARED_DECLARATION),
        "mlp_stats.cu no longer declares `{SHARED_DECLARATION}`; update the emulator's shim"
    );
    let source = KERNEL_SOURCE.replace(SHARED_DECLARATION, "float4* smem4 = g_smem;");
    std::fs::write(dir.join("kernel_emu.cu"), source).expect("write the kernel copy");
    let exe = dir.join(format!("harness-{}-{}", shape.width, shape.threads()));
    let defines = shape
        .compile_options("compute_90")
        .options
        .into_iter()
        .filter(|o| o.starts_with("-D"));
    let out = Command::new(cxx)
        .args(["-std=c++20", "-O2", "-ffp-contract=off", "-pthread"])
        .arg(format!("-I{}", dir.display()))
        .arg(format!("-I{}", emulator_dir().display()))
        .args(defines)
        .arg(emulator_dir().join("harness.cpp"))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run the C++ compiler");
    assert!(
        out.status.success(),
        "compiling the emulated kernel for {shape:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Each case: width, depth, samples, MLPs, blocks per MLP. Together they cover both warp
/// layouts' extremes (32×1 at odd and tiny widths, 4×8), paired and single blocks, padding
/// (5 → 8, 100 → 104, 1000 → 1024), a ragged last tile, several tiles per block (the weight
/// stream wrapping to the next tile) and several MLPs per launch.
const CASES: [(usize, usize, usize, usize, usize); 6] = [
    (5, 3, 2500, 2, 3),
    (64, 3, 1000, 2, 2),
    (100, 2, 700, 2, 2),
    (256, 3, 1000, 2, 3),
    (1000, 2, 100, 1, 2),
    (1024, 1, 70, 1, 1),
];

#[test]
fn every_selected_shape_matches_the_reference_bit_for_bit() {
    let Some(cxx) = compiler() else {
        eprintln!("skipped: no C++ compiler (set CXX or install c++)");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("emulated-kernel");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for (width, depth, n, mlps, blocks) in CASES {
        let shape = KernelShape::for_width(width, H100_SMEM).expect("fits");
        let exe = build(&cxx, &shape, &dir);
        let out = Command::new(&exe)
            .args([depth, n, mlps, blocks].map(|v| v.to_string()))
            .output()
            .expect("run the emulated kernel");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{shape:?}:\n{text}");
        assert!(text.contains(" 0/"), "{shape:?}:\n{text}");
        eprintln!("{}", text.trim());
    }
}
