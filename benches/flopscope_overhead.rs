//! flopscope accounting overhead and matmul throughput, each against its raw baseline.
//!
//! Run: `cargo bench -p whest-benches --bench flopscope_overhead`
//!
//! * Small ops: a size-256 f32 add and a 256×256 f32 mat-vec through `Tensor` (charge, record,
//!   time, allocate) against the same arithmetic on raw slices (same kernel, same allocation;
//!   the mat-vec through `flopscope::gemm::matrix_vector_to_vec`).
//!   Reports overhead per op = tensor − raw; target ≤ 100 ns.
//! * Large matmul: 1024×1024·1024×1024 f64 and 4096×256·256×256 f32 through `Tensor::matmul`
//!   against a direct call of the raw product (`flopscope::gemm::matmul_to_vec`: the `gemm`
//!   crate, or the packed AVX2 product on machines without AVX-512; it adds only shape checks)
//!   with the same split over threads. Reports GFLOP/s and the ratio; target
//!   ≥ 0.90.

use std::hint::black_box;

use flopscope::gemm::{matmul_to_vec, matrix_vector_to_vec, GemmFloat, MatRef};
use flopscope::{BudgetContext, DType, Tensor};
use whest_benches::{fmt_secs, paired};

/// `a · b` for contiguous row-major `a` (m×k) and `b` (k×n) through flopscope's uncounted
/// GEMM wrapper, with the split `Tensor::matmul` picks for that size (rows over every thread
/// from 2^18 multiply-adds up).
fn raw_gemm<T: GemmFloat>(m: usize, k: usize, n: usize, a: &[T], b: &[T]) -> Vec<T> {
    let threads = if m * n * k >= 1 << 18 {
        rayon::current_num_threads()
    } else {
        1
    };
    matmul_to_vec(
        MatRef::row_major(a, m, k),
        MatRef::row_major(b, k, n),
        threads,
    )
    .unwrap_or_else(|e| panic!("bench operands are sized by construction: {e}"))
}

/// `w · x` for a row-major 256×256 `w` through flopscope's uncounted matrix–vector kernel,
/// the one `Tensor::matmul` runs for a mat-vec.
fn raw_matrix_vector(w: &[f32], x: &[f32]) -> Vec<f32> {
    matrix_vector_to_vec(MatRef::row_major(w, 256, 256), MatRef::row_major(x, 256, 1))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("bench operands are a 256×256 matrix and a vector"))
}

fn data(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

fn small_ops() {
    let _ctx = BudgetContext::new(u64::MAX / 2).expect("open bench context");
    let av: Vec<f32> = data(256, 1).iter().map(|&x| x as f32).collect();
    let bv: Vec<f32> = data(256, 2).iter().map(|&x| x as f32).collect();
    let a = Tensor::from_vec(av, [256]);
    let b = Tensor::from_vec(bv, [256]);
    // The raw baseline reads the tensors' own buffers, so only accounting and dispatch differ.
    let (av, bv) = (
        a.as_slice::<f32>().unwrap_or(&[]),
        b.as_slice::<f32>().unwrap_or(&[]),
    );
    let (t_tensor, t_raw) = paired(
        15,
        20_000,
        || {
            black_box(black_box(&a) + black_box(&b));
        },
        || {
            let v: Vec<f32> = black_box(av)
                .iter()
                .zip(black_box(bv))
                .map(|(x, y)| x + y)
                .collect();
            black_box(v);
        },
    );
    report_overhead("add, 256 f32", t_tensor, t_raw);

    let wv: Vec<f32> = data(256 * 256, 3).iter().map(|&x| x as f32).collect();
    let w = Tensor::from_vec(wv, [256, 256]);
    let x = Tensor::from_vec(av.to_vec(), [256]);
    let (wv, xv) = (
        w.as_slice::<f32>().unwrap_or(&[]),
        x.as_slice::<f32>().unwrap_or(&[]),
    );
    let (t_tensor, t_raw) = paired(
        15,
        2_000,
        || {
            black_box(black_box(&w).matmul(black_box(&x)));
        },
        || {
            black_box(raw_matrix_vector(black_box(wv), black_box(xv)));
        },
    );
    report_overhead("mat-vec 256x256 f32", t_tensor, t_raw);
    let gflops = 2.0 * 256.0 * 256.0 / t_tensor / 1e9;
    println!("    mat-vec throughput through Tensor: {gflops:.1} GFLOP/s");
}

fn report_overhead(what: &str, t_tensor: f64, t_raw: f64) {
    let over = t_tensor - t_raw;
    let verdict = if over <= 100e-9 { "ok" } else { "ABOVE TARGET" };
    println!(
        "{what:<24} tensor {:>10}  raw {:>10}  overhead/op {:>9}  ratio {:.2}  (target <= 100 ns: {verdict})",
        fmt_secs(t_tensor),
        fmt_secs(t_raw),
        fmt_secs(over),
        t_tensor / t_raw
    );
}

fn large(what: &str, m: usize, k: usize, n: usize, dtype: DType) {
    let _ctx = BudgetContext::new(u64::MAX / 2).expect("open bench context");
    let a64 = data(m * k, 4);
    let b64 = data(k * n, 5);
    let iters = if m * n * k > 1 << 28 { 3 } else { 10 };
    let (t_tensor, t_raw) = match dtype {
        DType::F32 => {
            let a32: Vec<f32> = a64.iter().map(|&x| x as f32).collect();
            let b32: Vec<f32> = b64.iter().map(|&x| x as f32).collect();
            let a = Tensor::from_vec(a32, [m, k]);
            let b = Tensor::from_vec(b32, [k, n]);
            let (a32, b32) = (
                a.as_slice::<f32>().unwrap_or(&[]),
                b.as_slice::<f32>().unwrap_or(&[]),
            );
            paired(
                7,
                iters,
                || {
                    black_box(a.matmul(&b));
                },
                || {
                    black_box(raw_gemm(m, k, n, a32, b32));
                },
            )
        }
        _ => {
            let a = Tensor::from_vec(a64, [m, k]);
            let b = Tensor::from_vec(b64, [k, n]);
            let (a64, b64) = (
                a.as_slice::<f64>().unwrap_or(&[]),
                b.as_slice::<f64>().unwrap_or(&[]),
            );
            paired(
                7,
                iters,
                || {
                    black_box(a.matmul(&b));
                },
                || {
                    black_box(raw_gemm(m, k, n, a64, b64));
                },
            )
        }
    };
    let flop = 2.0 * (m * n * k) as f64;
    let ratio = t_raw / t_tensor;
    let verdict = if ratio >= 0.90 { "ok" } else { "BELOW TARGET" };
    println!(
        "{what:<24} tensor {:>7.1} GFLOP/s  raw gemm {:>7.1} GFLOP/s  ratio {ratio:.3}  (target >= 0.90: {verdict})",
        flop / t_tensor / 1e9,
        flop / t_raw / 1e9,
    );
}

fn main() {
    println!(
        "flopscope overhead bench ({} rayon threads)",
        rayon::current_num_threads()
    );
    small_ops();
    large("matmul 1024^3 f64", 1024, 1024, 1024, DType::F64);
    large("matmul 4096x256x256 f32", 4096, 256, 256, DType::F32);
}
