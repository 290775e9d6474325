//! Monte-Carlo ground truth and the closed-form FLOP breakdown of sampling.
//!
//! [`sample_layer_statistics`] is the CPU algorithm of the Python reference: `N` f32 standard
//! normal inputs, drawn in chunks from one stream (numpy-exact PCG64, or the counter-based
//! Philox stream of [`crate::philox`]), go through the MLP with f32
//! matmuls and f32 ReLU; per-neuron sums (every layer) and sums of squares (last layer)
//! accumulate in f64. Chunks are independent once their inputs are drawn: one thread draws
//! chunk after chunk (the stream is serial) while rayon tasks push the drawn chunks through the
//! MLP; each chunk's partial sums are added to the totals in chunk order, so the result does not
//! depend on the thread count.
//!
//! [`sampling_breakdown`] gives the FLOPs flopscope would bill the Python reference for the
//! same work, as the JSON a report or dataset row stores.

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::numeric::pairwise_sum_f64;
use flopscope::gemm::{self, MatRef, Parallelism};
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::mlp_gen::GeneratedMlp;
use crate::stream::{inputs_for, DrawInputs, InputStream};

mod relu_sums;

#[cfg(test)]
use relu_sums::relu;
use relu_sums::relu_and_accumulate;

/// Smallest Monte-Carlo chunk, in samples.
pub const MIN_CHUNK_SIZE: usize = 1024;
/// Largest Monte-Carlo chunk, in samples.
pub const MAX_CHUNK_SIZE: usize = 16384;
/// Target elements per chunk (`chunk ≈ 2^20 / w`, about 4 MB of f32 activations).
pub const CHUNK_ELEMENTS: usize = 1 << 20;
/// The namespace of the sampling FLOP breakdown.
pub const SAMPLING_NAMESPACE: &str = "sampling.sample_layer_statistics";

/// Rows per Monte-Carlo chunk at width `w`: `max(1024, min(16384, floor(2^20 / w)))`
/// (16384 at w=64, 4096 at w=256, 1024 at w=1024). `w = 0` gives 16384.
pub fn chunk_size(width: usize) -> usize {
    let per_width = CHUNK_ELEMENTS.checked_div(width).unwrap_or(usize::MAX);
    MIN_CHUNK_SIZE.max(MAX_CHUNK_SIZE.min(per_width))
}

/// Number of chunks the sampler runs for `n_samples` at width `w`: `ceil(N / chunk_size(w))`.
pub fn chunk_count(width: usize, n_samples: usize) -> usize {
    n_samples.div_ceil(chunk_size(width))
}

pub use crate::truth::{GroundTruth, GroundTruthError, SampleJob};

/// Rows a chunk pushes through all layers at a time, so a block's activations stay in L2.
///
/// Blocking changes no result: every row's dot products are the same whatever `m` the GEMM
/// sees (its k-blocking depends on `k` only), and column sums still add rows in order. A block
/// of exactly one row is avoided (the GEMM would take its mat-vec path, which sums differently).
const BLOCK_ROWS: usize = 512;

/// One chunk's working memory: its input rows, a block-sized scratch buffer and its partial
/// sums.
struct ChunkSlot {
    /// `(chunk, width, depth)` the buffers were sized for.
    dims: (usize, usize, usize),
    /// Rows drawn into this chunk.
    rows: usize,
    /// Inputs, `rows × w` row-major (capacity `chunk × w`); overwritten block by block.
    x: Vec<f32>,
    /// Scratch for a block's activations, `(BLOCK_ROWS + 1) × w`.
    scratch: Vec<f32>,
    /// Column sums of every layer over this chunk, `d × w`.
    sums: Vec<f64>,
    /// Column sums of squares of the last layer over this chunk, `w`.
    sumsq: Vec<f64>,
}

impl ChunkSlot {
    fn new(chunk: usize, width: usize, depth: usize) -> Self {
        ChunkSlot {
            dims: (chunk, width, depth),
            rows: 0,
            x: vec![0.0; chunk * width],
            scratch: vec![0.0; (BLOCK_ROWS.min(chunk) + 1) * width],
            sums: vec![0.0; depth * width],
            sumsq: vec![0.0; width],
        }
    }

    /// Draws this chunk's `rows × w` inputs: samples `first_row ..` of the stream.
    fn draw<R: DrawInputs + ?Sized>(
        &mut self,
        inputs: &mut R,
        first_row: usize,
        rows: usize,
        width: usize,
    ) {
        self.rows = rows;
        inputs.draw(first_row as u64, width, &mut self.x[..rows * width]);
    }

    /// Runs the chunk through the MLP, filling `sums` and `sumsq`: per
    /// layer `X = max(X · W_l, 0)` in f32, then column sums of `f64(X)` row by row; squares of
    /// the last layer likewise. `par` is the GEMMs' parallelism (it never changes a result).
    fn forward(&mut self, weights: &[f32], width: usize, depth: usize, par: Parallelism) {
        self.sums.fill(0.0);
        self.sumsq.fill(0.0);
        let mut start = 0;
        while start < self.rows {
            let mut m = BLOCK_ROWS.min(self.rows - start);
            if self.rows - start - m == 1 {
                m += 1;
            }
            let mut src = &mut self.x[start * width..(start + m) * width];
            let mut dst = &mut self.scratch[..m * width];
            for l in 0..depth {
                let w_l = &weights[l * width * width..(l + 1) * width * width];
                matmul_f32(src, w_l, dst, m, width, par);
                std::mem::swap(&mut src, &mut dst);
                let sums = &mut self.sums[l * width..(l + 1) * width];
                let sumsq = (l + 1 == depth).then_some(&mut self.sumsq[..]);
                relu_and_accumulate(src, sums, sumsq);
            }
            start += m;
        }
    }
}

/// `out = x · w` for a row-major `rows × width` block `x` and a row-major `width × width`
/// matrix `w`. Chunks run side by side, so `par` is `None` except for the last chunks, whose
/// GEMMs let idle threads help; the split is over rows and columns, never over `k`, so every
/// dot product sums in the same order.
///
/// # Panics
/// If a slice length does not match `rows` and `width`.
pub fn matmul_f32(
    x: &[f32],
    w: &[f32],
    out: &mut [f32],
    rows: usize,
    width: usize,
    par: Parallelism,
) {
    assert_eq!(x.len(), rows * width, "matmul: lhs length");
    assert_eq!(w.len(), width * width, "matmul: rhs length");
    assert_eq!(out.len(), rows * width, "matmul: out length");
    // The shared checked wrapper: flopscope's packed AVX2 product on x86-64 without AVX-512
    // (each element the in-order FMA chain), the `gemm` crate elsewhere; dst is overwritten,
    // never read, and the result does not depend on `par`.
    gemm::matmul(
        MatRef::row_major(x, rows, width),
        MatRef::row_major(w, width, width),
        out,
        par,
    )
    .unwrap_or_else(|e| panic!("matmul: {e}"));
}

/// The Monte-Carlo ground truth of the Python reference for one MLP, with all rayon threads.
///
/// `weights` is the flat layer-major, row-major buffer of [`GeneratedMlp::weights`]
/// (`depth · width²` values, `W_l[i][j]` at `l·w² + i·w + j`). The inputs are samples
/// `0 .. n_samples` of `rng` (for a [`flopscope::random::Pcg64`], its next `n_samples · width` f32 normals, numpy's
/// f32 ziggurat, and `rng` is left just past them), drawn in chunks of [`chunk_size`]`(width)`
/// rows.
///
/// The means are bit-identical to numpy's whenever the f32 matmul sums in the same order as
/// numpy's BLAS (true at the widths tested up to 64); at w=1024 they differ from numpy by the
/// matmul's f32 rounding only. Results never depend on the number of threads.
///
/// Memory: [`default_chunks_in_flight`] chunk buffers of `chunk_size(w) · w` f32 values each.
///
/// # Errors
/// [`GroundTruthError::NoSamples`] for `n_samples == 0`, [`GroundTruthError::EmptyShape`] for a
/// zero width or depth, [`GroundTruthError::WeightLength`] if `weights` has the wrong length.
pub fn sample_layer_statistics<R: DrawInputs + ?Sized>(
    weights: &[f32],
    width: usize,
    depth: usize,
    n_samples: usize,
    rng: &mut R,
) -> Result<GroundTruth, GroundTruthError> {
    let in_flight = default_chunks_in_flight();
    sample_layer_statistics_with(weights, width, depth, n_samples, rng, in_flight)
}

/// Chunk buffers the sampler keeps by default: `2 · threads + 2` (rayon threads of the current
/// pool), enough that the drawing thread rarely waits for a slot.
pub fn default_chunks_in_flight() -> usize {
    2 * rayon::current_num_threads().max(1) + 2
}

/// [`sample_layer_statistics`] with an explicit bound on the chunks held in memory.
///
/// The calling thread draws chunk after chunk from `rng` (the serial part) and hands each to a
/// rayon task that runs it through the MLP; with no free chunk buffer left, it runs pending
/// tasks itself, oldest first (a FIFO scope: buffers are freed in chunk order, so finished
/// chunks rarely wait for an older one while holding their buffer). Finished chunks' partial sums are folded into the totals strictly in chunk
/// order, so the result is the same for every `chunks_in_flight` and thread count.
/// `chunks_in_flight` buffers of about `chunk_size(w) · w` f32 values each are allocated
/// (0 is treated as 1; never more than the number of chunks).
///
/// # Errors
/// As [`sample_layer_statistics`].
pub fn sample_layer_statistics_with<R: DrawInputs + ?Sized>(
    weights: &[f32],
    width: usize,
    depth: usize,
    n_samples: usize,
    rng: &mut R,
    chunks_in_flight: usize,
) -> Result<GroundTruth, GroundTruthError> {
    if width == 0 || depth == 0 {
        return Err(GroundTruthError::EmptyShape { width, depth });
    }
    let expected = width
        .checked_mul(width)
        .and_then(|w2| w2.checked_mul(depth))
        .unwrap_or(usize::MAX);
    if weights.len() != expected {
        return Err(GroundTruthError::WeightLength {
            expected,
            got: weights.len(),
        });
    }
    if n_samples == 0 {
        return Err(GroundTruthError::NoSamples);
    }

    let chunk = chunk_size(width);
    let n_chunks = chunk_count(width, n_samples);
    let mut totals = Totals {
        layer_sums: vec![0.0; depth * width],
        final_sum_sq: vec![0.0; width],
        next_chunk: 0,
        finished: BTreeMap::new(),
        free: take_slots(chunks_in_flight.clamp(1, n_chunks), (chunk, width, depth)),
    };
    let threads = rayon::current_num_threads();

    rayon::scope_fifo(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<ChunkDone>();
        for c in 0..n_chunks {
            let mut slot = loop {
                totals.collect(&done_rx);
                if let Some(slot) = totals.free.pop() {
                    break slot;
                }
                wait_for_a_chunk(&done_rx, &mut totals);
            };
            slot.draw(rng, c * chunk, chunk.min(n_samples - c * chunk), width);
            // The last chunks split their GEMMs, so threads that run out of chunks help.
            let par = if threads > 1 && n_chunks - c <= threads {
                Parallelism::Rayon(threads)
            } else {
                Parallelism::None
            };
            let done_tx = done_tx.clone();
            scope.spawn_fifo(move |_| {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    slot.forward(weights, width, depth, par)
                }));
                // The receiver outlives every task of this scope; a failed send cannot happen.
                let _ = done_tx.send((c, slot, outcome.err()));
            });
        }
        while totals.next_chunk < n_chunks {
            totals.collect(&done_rx);
            if totals.next_chunk < n_chunks {
                wait_for_a_chunk(&done_rx, &mut totals);
            }
        }
    });
    keep_slots(totals.free);

    let n = n_samples as f64;
    let all_layer_means: Vec<f32> = totals.layer_sums.iter().map(|&s| (s / n) as f32).collect();
    let final_means = all_layer_means[(depth - 1) * width..].to_vec();
    let variances: Vec<f64> = totals
        .final_sum_sq
        .iter()
        .zip(&final_means)
        .map(|(&sq, &m)| {
            let m = f64::from(m);
            sq / n - m * m
        })
        .collect();
    let avg_variance = pairwise_sum_f64(&variances) / width as f64;
    Ok(GroundTruth {
        all_layer_means,
        final_means,
        avg_variance,
    })
}

/// Chunk buffers kept between sampler calls (those of the last shape sampled), so a run does
/// not page-fault fresh buffers for every MLP — on a VM that costs more than drawing them.
static SLOT_POOL: Mutex<Vec<ChunkSlot>> = Mutex::new(Vec::new());

/// `n` chunk buffers for `dims = (chunk, width, depth)`, reused from the pool when it has them.
fn take_slots(n: usize, dims: (usize, usize, usize)) -> Vec<ChunkSlot> {
    let mut slots: Vec<ChunkSlot> = match SLOT_POOL.lock() {
        Ok(mut pool) => {
            pool.retain(|s| s.dims == dims);
            let keep = pool.len().saturating_sub(n);
            pool.split_off(keep)
        }
        Err(_) => Vec::new(),
    };
    let (chunk, width, depth) = dims;
    slots.extend((slots.len()..n).map(|_| ChunkSlot::new(chunk, width, depth)));
    slots
}

/// Returns a finished call's buffers to the pool (replacing buffers of other shapes).
fn keep_slots(slots: Vec<ChunkSlot>) {
    if let Ok(mut pool) = SLOT_POOL.lock() {
        let dims = slots.first().map(|s| s.dims);
        pool.retain(|s| Some(s.dims) == dims);
        pool.extend(slots);
    }
}

/// A chunk's index, its slot with partial sums, and the panic its task raised, if any.
type ChunkDone = (usize, ChunkSlot, Option<Box<dyn Any + Send>>);

/// The running totals of one sampler call and its pool of chunk buffers.
struct Totals {
    /// Column sums of every layer, `d × w`.
    layer_sums: Vec<f64>,
    /// Column sums of squares of the last layer, `w`.
    final_sum_sq: Vec<f64>,
    /// The next chunk to fold into the totals.
    next_chunk: usize,
    /// Finished chunks waiting for an earlier one.
    finished: BTreeMap<usize, ChunkSlot>,
    /// Chunk buffers ready for drawing.
    free: Vec<ChunkSlot>,
}

impl Totals {
    /// Takes in one finished chunk (re-raising its task's panic) and folds every chunk that is
    /// now next in order, like numpy's `layer_sums + sum(chunk)`, chunk after chunk.
    fn accept(&mut self, (c, slot, panic_payload): ChunkDone) {
        if let Some(payload) = panic_payload {
            panic::resume_unwind(payload);
        }
        self.finished.insert(c, slot);
        while let Some(slot) = self.finished.remove(&self.next_chunk) {
            for (acc, &s) in self.layer_sums.iter_mut().zip(&slot.sums) {
                *acc += s;
            }
            for (acc, &s) in self.final_sum_sq.iter_mut().zip(&slot.sumsq) {
                *acc += s;
            }
            self.free.push(slot);
            self.next_chunk += 1;
        }
    }

    /// Accepts every chunk that has finished so far.
    fn collect(&mut self, done: &mpsc::Receiver<ChunkDone>) {
        while let Ok(item) = done.try_recv() {
            self.accept(item);
        }
    }
}

/// Waits for a chunk task to finish while keeping this thread useful: runs a pending rayon task
/// if there is one, otherwise blocks briefly on the completion channel.
fn wait_for_a_chunk(done: &mpsc::Receiver<ChunkDone>, totals: &mut Totals) {
    if let Some(rayon::Yield::Executed) = rayon::yield_now() {
        return;
    }
    if let Ok(item) = done.recv_timeout(Duration::from_millis(1)) {
        totals.accept(item);
    }
}

/// The ground truth of one generated MLP: [`sample_layer_statistics`] with a fresh generator
/// seeded from the MLP's `sample_seed` (what a bake and a live run do).
///
/// # Errors
/// As [`sample_layer_statistics`].
pub fn ground_truth(mlp: &GeneratedMlp, n_samples: usize) -> Result<GroundTruth, GroundTruthError> {
    let mut rng = mlp.sample_rng();
    sample_layer_statistics(&mlp.weights, mlp.width, mlp.depth, n_samples, &mut rng)
}

/// Ground truth for many MLPs, in order, using every rayon thread.
///
/// When an MLP has at least as many chunks as there are threads, MLPs run one after another
/// with their chunks in parallel; otherwise MLPs also run side by side, each with a share of
/// the chunk buffers. Memory stays at [`default_chunks_in_flight`] chunks either way. Each
/// result is identical to sampling that MLP alone (each job's inputs come from a fresh source of
/// `stream` seeded with its `sample_seed`; for the numpy stream, [`ground_truth`]).
///
/// # Errors
/// Each entry carries its MLP's error (see [`sample_layer_statistics`]).
pub fn ground_truth_many(
    jobs: &[SampleJob<'_>],
    n_samples: usize,
    stream: InputStream,
) -> Vec<Result<GroundTruth, GroundTruthError>> {
    let threads = rayon::current_num_threads().max(1);
    let one = |job: &SampleJob<'_>, in_flight: usize| {
        let mut inputs = inputs_for(stream, job.sample_seed);
        sample_layer_statistics_with(
            job.weights,
            job.width,
            job.depth,
            n_samples,
            inputs.as_mut(),
            in_flight,
        )
    };
    let max_chunks = jobs
        .iter()
        .map(|m| chunk_count(m.width, n_samples))
        .max()
        .unwrap_or(0);
    let buffers = default_chunks_in_flight();
    if max_chunks >= threads || jobs.len() <= 1 {
        jobs.iter().map(|m| one(m, buffers)).collect()
    } else {
        let share = (buffers / jobs.len()).max(1);
        jobs.par_iter().map(|m| one(m, share)).collect()
    }
}

/// The closed-form FLOP breakdown of [`sample_layer_statistics`] under flopscope's billing,
/// as the normalized-breakdown JSON a report or dataset row stores; wall times 0.
///
/// See [`sampling_breakdown_timed`].
pub fn sampling_breakdown(n_samples: u64, width: u64, depth: u64, chunk: u64) -> Value {
    sampling_breakdown_timed(n_samples, width, depth, chunk, 0.0)
}

/// Per-op FLOP charges `(op, flops, calls)` the Python reference is billed for sampling
/// `n_samples` inputs through a `width × depth` MLP in chunks of `chunk` rows (flopscope's
/// dtype-aware billing, f32 rate 1, f64 rate 2). Every chunk of exactly one row adds the
/// 1-FLOP minimum (× rate 2) for each of its `depth + 1` column sums, as live flopscope bills
/// it. `chunk = 0` is treated as 1. Arithmetic saturates at `u64::MAX`.
pub fn sampling_operations(
    n_samples: u64,
    width: u64,
    depth: u64,
    chunk: u64,
) -> Vec<(&'static str, u64, u64)> {
    let (n, w, d) = (n_samples, width, depth);
    let chunk = chunk.max(1);
    let k = n.div_ceil(chunk);
    let one_row_chunks = if chunk == 1 {
        n
    } else {
        u64::from(n % chunk == 1)
    };
    let m = |xs: &[u64]| xs.iter().fold(1u64, |acc, &x| acc.saturating_mul(x));
    let d1 = d.saturating_add(1);
    let n1 = n.saturating_add(1);
    vec![
        ("random.Generator.standard_normal", m(&[16, n, w]), k),
        ("array", m(&[n, w]), k),
        (
            "matmul",
            m(&[d, n, w, w.saturating_mul(2).saturating_sub(1)]),
            m(&[d, k]),
        ),
        ("maximum", m(&[d, n, w]), m(&[d, k])),
        ("asarray", m(&[2, w, d1, n1]), m(&[d1, k]).saturating_add(2)),
        (
            "sum",
            m(&[2, d1, n - k, w]).saturating_add(m(&[2, d1, one_row_chunks])),
            m(&[d1, k]),
        ),
        ("add", m(&[2, d1, k, w]), m(&[d1, k])),
        ("power", m(&[32, w, n1]), k.saturating_add(1)),
        ("zeros", 0, d1),
        ("stack", m(&[2, d, w]), 1),
        ("true_divide", m(&[2, w, d1]), 2),
        ("subtract", m(&[2, w]), 1),
        ("mean", m(&[2, w]), 1),
        ("copy", w, 1),
    ]
}

/// [`sampling_breakdown`] with a measured wall time.
///
/// Shape: `{flop_budget, flops_used, flops_remaining, wall_time_s,
/// flopscope_backend_time_s, flopscope_overhead_time_s, residual_wall_time_s, time_source,
/// by_namespace: {"sampling.sample_layer_statistics": {flops_used, calls,
/// flopscope_backend_time_s, flopscope_overhead_time_s, operations: {op: {flop_cost, calls,
/// flopscope_backend_time_s, flopscope_overhead_time_s}}}}, provenance}` with
/// `flop_budget == flops_used` (no 10^15 sampling cap), `flops_remaining = 0`, backend and
/// overhead times 0, `residual_wall_time_s = wall_time_s`, and
/// `provenance.method = "closed-form"`.
pub fn sampling_breakdown_timed(
    n_samples: u64,
    width: u64,
    depth: u64,
    chunk: u64,
    wall_time_s: f64,
) -> Value {
    let ops = sampling_operations(n_samples, width, depth, chunk);
    let total = ops.iter().fold(0u64, |acc, op| acc.saturating_add(op.1));
    let calls = ops.iter().fold(0u64, |acc, op| acc.saturating_add(op.2));
    let mut operations = serde_json::Map::new();
    for (name, flops, c) in &ops {
        operations.insert(
            (*name).to_string(),
            json!({
                "flop_cost": flops,
                "calls": c,
                "flopscope_backend_time_s": 0.0,
                "flopscope_overhead_time_s": 0.0,
            }),
        );
    }
    let chunk = chunk.max(1);
    json!({
        "flop_budget": total,
        "flops_used": total,
        "flops_remaining": 0,
        "wall_time_s": wall_time_s,
        "flopscope_backend_time_s": 0.0,
        "flopscope_overhead_time_s": 0.0,
        "residual_wall_time_s": wall_time_s,
        "time_source": "bake",
        "by_namespace": {
            SAMPLING_NAMESPACE: {
                "flops_used": total,
                "calls": calls,
                "flopscope_backend_time_s": 0.0,
                "flopscope_overhead_time_s": 0.0,
                "operations": operations,
            }
        },
        "provenance": {
            "method": "closed-form",
            "operation_model": "whestbench.simulation.sample_layer_statistics",
            "chunk_size": chunk,
            "n_chunks": n_samples.div_ceil(chunk),
            "note": "whest-rs computes the ground truth natively, outside flopscope's \
                     instrumentation, so these are closed-form FLOP counts for the numpy \
                     reference implementation's operations, evaluated at this chunking. \
                     No 10^15 sampling budget applies: flop_budget equals flops_used.",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlp_gen::generate_from_input_seed;
    use flopscope::random::Pcg64;

    #[test]
    fn chunk_sizes_follow_the_rule() {
        assert_eq!(chunk_size(64), 16384);
        assert_eq!(chunk_size(256), 4096);
        assert_eq!(chunk_size(1024), 1024);
        assert_eq!(chunk_size(4096), 1024);
        assert_eq!(chunk_size(4), 16384);
        assert_eq!(chunk_count(1024, 2049), 3);
        assert_eq!(chunk_count(8, 16384), 1);
    }

    /// Widens an f32 slice so it compares with the f64 digits numpy prints for f32 values.
    fn wide(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| f64::from(x)).collect()
    }

    /// The bit-exact reference fixture (protocol 3.0, w=4, d=2, N=100, one chunk).
    #[test]
    fn fixture_seed_1001_is_bit_exact() {
        let mlp = generate_from_input_seed(1001, 4, 2);
        let gt = ground_truth(&mlp, 100).expect("valid input");
        let want = [
            0.5987451076507568,
            0.8463906049728394,
            0.2450989931821823,
            0.5222322344779968,
            0.35644301772117615,
            0.00011175523832207546,
            0.005849281791597605,
            1.1584041118621826,
        ];
        assert_eq!(wide(&gt.all_layer_means), want);
        assert_eq!(wide(&gt.final_means), want[4..]);
        assert_eq!(gt.avg_variance, 1.074743449815292);
    }

    #[test]
    fn fixture_seed_2002_is_bit_exact() {
        let mlp = generate_from_input_seed(2002, 4, 2);
        let gt = ground_truth(&mlp, 100).expect("valid input");
        let want = [
            0.0003778654499910772,
            0.2968333661556244,
            0.24015043675899506,
            0.0,
        ];
        assert_eq!(wide(&gt.final_means), want);
        assert_eq!(gt.avg_variance, 0.10508618762833832);
    }

    /// whestbench 0.16.2 `sample_layer_statistics` on protocol-3.0 seed 5 at w=8, d=3,
    /// N=20000: two chunks (16384 + 3616), so the chunk-order f64 accumulation is exercised.
    /// Bit-exact: at K=8 the f32 dot products sum in the same order as OpenBLAS.
    #[test]
    fn two_chunks_at_width_8_are_bit_exact() {
        let mlp = generate_from_input_seed(5, 8, 3);
        let gt = ground_truth(&mlp, 20_000).expect("valid input");
        let want = [
            0.6539808511734009,
            0.3681837022304535,
            0.3510529696941376,
            0.47953033447265625,
            0.7080886960029602,
            0.5628122091293335,
            0.3616507947444916,
            0.5930721759796143,
            1.3312079906463623,
            0.32377681136131287,
            1.182403564453125,
            0.13353563845157623,
            0.5705294013023376,
            0.052715010941028595,
            1.2299426794052124,
            0.6145654320716858,
            1.1058242321014404,
            0.1675873100757599,
            2.2787861824035645,
            0.8936685919761658,
            0.0011226508067920804,
            0.25704917311668396,
            0.8110907077789307,
            1.2035177946090698,
        ];
        assert_eq!(wide(&gt.all_layer_means), want);
        assert_eq!(gt.avg_variance, 0.8644598369892309);
    }

    /// whestbench 0.16.2 on seed 8 at w=64, d=3, N=40000 (three chunks of ≤16384). On the
    /// AVX-512 machine this was written on every mean and the variance are bit-identical to
    /// numpy+OpenBLAS; the matmul's summation order is BLAS-specific, so the test
    /// allows 2 f32 ULPs on the first 16 final means and 1e-12 relative on the variance.
    #[test]
    fn three_chunks_at_width_64_match_numpy() {
        let mlp = generate_from_input_seed(8, 64, 3);
        let gt = ground_truth(&mlp, 40_000).expect("valid input");
        let want_bits: [u32; 16] = [
            1_058_970_966,
            1_055_070_941,
            1_065_418_822,
            1_063_236_068,
            1_057_981_894,
            1_057_150_180,
            1_024_694_265,
            1_068_552_875,
            1_054_731_240,
            1_017_068_079,
            1_060_092_786,
            1_054_516_887,
            1_068_790_256,
            1_055_534_994,
            1_052_419_166,
            1_058_041_083,
        ];
        for (got, want) in gt.final_means.iter().zip(want_bits) {
            let ulps = (i64::from(got.to_bits()) - i64::from(want)).abs();
            assert!(ulps <= 2, "{got} vs {}", f32::from_bits(want));
        }
        let want_var = 0.34873129140873615;
        assert!((gt.avg_variance - want_var).abs() <= 1e-12 * want_var);
    }

    #[test]
    fn numpy_mean_uses_pairwise_summation() {
        // np.mean(x[:m]) from numpy 2.4 for x_i = (1 + i·1e-3)·10^((7i mod 13) − 6).
        let x: Vec<f64> = (0..1024)
            .map(|i| (1.0 + i as f64 * 1e-3) * 10f64.powi((i * 7) % 13 - 6))
            .collect();
        for (m, want) in [
            (4, 27.577_502_754_999_994),
            (7, 159.330_159_631_428_56),
            (8, 1_398.163_889_677_499_8),
            (9, 1_242.813_466_38),
            (100, 81_771.347_049_237_64),
            (128, 84_006.743_851_360_43),
            (129, 92_099.714_829_256_86),
            (256, 93_056.920_873_799_1),
            (1000, 128_742.097_877_641_56),
            (1024, 128_127.108_795_434_63),
        ] {
            assert_eq!(pairwise_sum_f64(&x[..m]) / m as f64, want, "m = {m}");
        }
    }

    #[test]
    fn results_do_not_depend_on_chunks_in_flight() {
        let mlp = generate_from_input_seed(5, 1024, 2);
        let runs: Vec<GroundTruth> = [1, 2, 3, 8]
            .iter()
            .map(|&k| {
                let mut rng = mlp.sample_rng();
                sample_layer_statistics_with(&mlp.weights, 1024, 2, 4100, &mut rng, k)
                    .expect("valid input")
            })
            .collect();
        for r in &runs[1..] {
            assert_eq!(r, &runs[0]);
        }
        // One thread, and three (whose last chunks split their GEMMs across threads).
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let got = pool
                .install(|| ground_truth(&mlp, 4100))
                .expect("valid input");
            assert_eq!(got, runs[0], "{threads} threads");
        }
    }

    #[test]
    fn chunking_matches_one_long_stream() {
        // The chunked sampler equals a straight pass over the first N·w normals of the stream
        // up to f64 summation order; check means agree to f32 rounding.
        let (w, d, n) = (8, 2, 20_000);
        let mlp = generate_from_input_seed(9, w, d);
        let gt = ground_truth(&mlp, n).expect("valid input");
        let mut rng = mlp.sample_rng();
        let mut x = vec![0.0f32; n * w];
        rng.fill_standard_normal_f32(&mut x);
        let mut sums = vec![0.0f64; d * w];
        for row in x.chunks_exact(w) {
            let mut h = row.to_vec();
            for l in 0..d {
                let wl = mlp.layer(l);
                let next: Vec<f32> = (0..w)
                    .map(|j| relu((0..w).map(|i| h[i] * wl[i * w + j]).sum::<f32>()))
                    .collect();
                for j in 0..w {
                    sums[l * w + j] += f64::from(next[j]);
                }
                h = next;
            }
        }
        for (got, s) in gt.all_layer_means.iter().zip(&sums) {
            let want = (s / n as f64) as f32;
            assert!(
                (got - want).abs() <= 1e-5 * want.abs().max(1e-3),
                "{got} vs {want}"
            );
        }
    }

    #[test]
    fn many_equals_one_by_one() {
        let mlps: Vec<GeneratedMlp> = (0..3).map(|s| generate_from_input_seed(s, 16, 3)).collect();
        let jobs: Vec<SampleJob<'_>> = mlps.iter().map(SampleJob::of).collect();
        let many = ground_truth_many(&jobs, 3000, InputStream::NumpyPcg64);
        for (m, r) in mlps.iter().zip(&many) {
            assert_eq!(r, &ground_truth(m, 3000));
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut rng = Pcg64::from_seed(0);
        assert_eq!(
            sample_layer_statistics(&[0.0; 4], 2, 1, 0, &mut rng),
            Err(GroundTruthError::NoSamples)
        );
        assert_eq!(
            sample_layer_statistics(&[], 0, 1, 10, &mut rng),
            Err(GroundTruthError::EmptyShape { width: 0, depth: 1 })
        );
        assert_eq!(
            sample_layer_statistics(&[0.0; 5], 2, 1, 10, &mut rng),
            Err(GroundTruthError::WeightLength {
                expected: 4,
                got: 5
            })
        );
    }

    fn op_table(v: &Value) -> Vec<(String, u64, u64)> {
        v["by_namespace"][SAMPLING_NAMESPACE]["operations"]
            .as_object()
            .expect("operations object")
            .iter()
            .map(|(k, o)| {
                (
                    k.clone(),
                    o["flop_cost"].as_u64().expect("flop_cost"),
                    o["calls"].as_u64().expect("calls"),
                )
            })
            .collect()
    }

    #[test]
    fn one_chunk_at_1024x16_costs_the_measured_flops() {
        let b = sampling_breakdown(1024, 1024, 16, 1024);
        assert_eq!(b["flops_used"], 34_482_562_048u64);
        assert_eq!(b["flop_budget"], 34_482_562_048u64);
        assert_eq!(b["flops_remaining"], 0);
        assert_eq!(b["provenance"]["n_chunks"], 1);
    }

    /// Per-op charges measured with whestbench 0.16.2 + flopscope 0.12.4 running
    /// `sample_layer_statistics` inside `BudgetContext` (namespace
    /// `sampling.sample_layer_statistics`).
    #[test]
    fn breakdown_matches_flopscope_measurements() {
        type Ops = [(&'static str, u64, u64); 14];
        let cases: [(u64, u64, u64, u64, Ops); 4] = [
            // w=8, d=3, N=20000: two chunks of 16384 + 3616.
            (
                8,
                3,
                20_000,
                18_080_472,
                [
                    ("random.Generator.standard_normal", 2_560_000, 2),
                    ("array", 160_000, 2),
                    ("matmul", 7_200_000, 6),
                    ("maximum", 480_000, 6),
                    ("asarray", 1_280_064, 10),
                    ("sum", 1_279_872, 8),
                    ("add", 128, 8),
                    ("power", 5_120_256, 3),
                    ("zeros", 0, 4),
                    ("stack", 48, 1),
                    ("true_divide", 64, 2),
                    ("subtract", 16, 1),
                    ("mean", 16, 1),
                    ("copy", 8, 1),
                ],
            ),
            // w=8, d=3, N=16385: a final chunk of exactly one row.
            (
                8,
                3,
                16_385,
                14_812_520,
                [
                    ("random.Generator.standard_normal", 2_097_280, 2),
                    ("array", 131_080, 2),
                    ("matmul", 5_898_600, 6),
                    ("maximum", 393_240, 6),
                    ("asarray", 1_048_704, 10),
                    ("sum", 1_048_520, 8),
                    ("add", 128, 8),
                    ("power", 4_194_816, 3),
                    ("zeros", 0, 4),
                    ("stack", 48, 1),
                    ("true_divide", 64, 2),
                    ("subtract", 16, 1),
                    ("mean", 16, 1),
                    ("copy", 8, 1),
                ],
            ),
            // w=1024, d=2, N=2049: three chunks, the last of one row.
            (
                1024,
                2,
                2049,
                8_722_171_910,
                [
                    ("random.Generator.standard_normal", 33_570_816, 3),
                    ("array", 2_098_176, 3),
                    ("matmul", 8_589_932_544, 6),
                    ("maximum", 4_196_352, 6),
                    ("asarray", 12_595_200, 11),
                    ("sum", 12_570_630, 9),
                    ("add", 18_432, 9),
                    ("power", 67_174_400, 4),
                    ("zeros", 0, 3),
                    ("stack", 4096, 1),
                    ("true_divide", 6144, 2),
                    ("subtract", 2048, 1),
                    ("mean", 2048, 1),
                    ("copy", 1024, 1),
                ],
            ),
            // w=4, d=2, N=100 (the reference fixture).
            (
                4,
                2,
                100,
                31_012,
                [
                    ("random.Generator.standard_normal", 6400, 1),
                    ("array", 400, 1),
                    ("matmul", 5600, 2),
                    ("maximum", 800, 2),
                    ("asarray", 2424, 5),
                    ("sum", 2376, 3),
                    ("add", 24, 3),
                    ("power", 12_928, 2),
                    ("zeros", 0, 3),
                    ("stack", 16, 1),
                    ("true_divide", 24, 2),
                    ("subtract", 8, 1),
                    ("mean", 8, 1),
                    ("copy", 4, 1),
                ],
            ),
        ];
        for (w, d, n, total, ops) in cases {
            let chunk = chunk_size(w as usize) as u64;
            let b = sampling_breakdown(n, w, d, chunk);
            assert_eq!(b["flops_used"], total, "w={w} d={d} n={n}");
            let mut got = op_table(&b);
            let mut want: Vec<(String, u64, u64)> =
                ops.iter().map(|&(k, f, c)| (k.to_string(), f, c)).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "w={w} d={d} n={n}");
            let bucket = &b["by_namespace"][SAMPLING_NAMESPACE];
            assert_eq!(bucket["flops_used"], total);
            let calls: u64 = ops.iter().map(|o| o.2).sum();
            assert_eq!(bucket["calls"], calls);
        }
    }

    #[test]
    fn a_single_one_row_sample_bills_the_minimum_sums() {
        // Measured with flopscope 0.12.4: N=1 at w=4 costs 526 FLOPs at d=2 and 600 at d=3
        // (whestbench's own closed form omits this case and says 520 / 592).
        assert_eq!(sampling_breakdown(1, 4, 2, 16384)["flops_used"], 526);
        assert_eq!(sampling_breakdown(1, 4, 3, 16384)["flops_used"], 600);
        assert_eq!(sampling_breakdown(2, 4, 2, 16384)["flops_used"], 828);
    }
}
