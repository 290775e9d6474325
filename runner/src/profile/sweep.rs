//! The profiling sweep of the Python reference: a correctness pre-check, then, for every
//! (width, depth, n_samples) of a preset and both operations, one untimed warm-up at
//! `min(n, 1000)` samples and [`TIMED_RUNS`] timed runs whose median is reported. A run that
//! fails is recorded (median −1 and the error) instead of aborting the sweep.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use flopscope::random::{Pcg64, SeedSequence};
use flopscope::{BudgetContext, BudgetError, DType};

use super::forward::{normal_inputs, run_mlp, weight_tensors};
use crate::cli::Preset;
use whest_contest::ground_truth::sample_layer_statistics;
use whest_contest::mlp_gen::sample_weights;
use whest_contest::GroundTruthError;

/// Timed runs per measurement.
pub const TIMED_RUNS: usize = 3;
/// Samples of the untimed warm-up run (fewer if the measurement itself uses fewer).
pub const WARMUP_SAMPLES: usize = 1000;
/// Largest input block of one timed forward pass (rows), bounding memory as in Python.
pub const FORWARD_CHUNK_ROWS: usize = 500_000;
/// Seed of the profiled MLPs' weights (`default_rng(42)`, as in Python).
pub const MLP_SEED: u64 = 42;
/// Seed of the inputs and Monte-Carlo samples.
pub const INPUT_SEED: u64 = 123;
/// The budget of the context each timed forward pass runs in (flopscope's default, 1e15).
pub const PROFILE_BUDGET: u64 = 1_000_000_000_000_000;
/// Name of the backend in the report (Python's).
pub const BACKEND: &str = "flopscope";
/// Shape of the correctness pre-check MLP (width, depth) and its input count.
pub const CHECK_SHAPE: (usize, usize, usize) = (8, 4, 1000);

/// The two operations timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// The forward pass (`run_mlp`).
    RunMlp,
    /// The ground-truth sampler (`sample_layer_statistics`).
    SampleLayerStatistics,
}

impl Operation {
    /// Both operations, in report order.
    pub const ALL: [Operation; 2] = [Operation::RunMlp, Operation::SampleLayerStatistics];

    /// The operation's name in the report (Python's function name).
    pub fn name(self) -> &'static str {
        match self {
            Operation::RunMlp => "run_mlp",
            Operation::SampleLayerStatistics => "sample_layer_statistics",
        }
    }

    /// The Rust code that implements it.
    pub fn implementation(self) -> &'static str {
        match self {
            Operation::RunMlp => {
                "whest_runner::profile::forward::run_mlp (flopscope Tensor::matmul + maximum, f32)"
            }
            Operation::SampleLayerStatistics => {
                "whest_runner::ground_truth::sample_layer_statistics"
            }
        }
    }
}

/// A preset's grid: widths × depths × sample counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    /// Widths.
    pub widths: &'static [usize],
    /// Depths.
    pub depths: &'static [usize],
    /// Sample counts.
    pub n_samples: &'static [usize],
}

/// The grid of a preset.
pub fn grid(preset: Preset) -> Grid {
    match preset {
        Preset::SuperQuick => Grid {
            widths: &[256],
            depths: &[4],
            n_samples: &[10_000],
        },
        Preset::Quick => Grid {
            widths: &[256],
            depths: &[4, 128],
            n_samples: &[10_000, 100_000],
        },
        Preset::Standard => Grid {
            widths: &[64, 256],
            depths: &[4, 32, 128],
            n_samples: &[10_000, 100_000],
        },
        Preset::Exhaustive => Grid {
            widths: &[64, 256],
            depths: &[4, 32, 128],
            n_samples: &[10_000, 100_000, 1_000_000],
        },
    }
}

impl Grid {
    /// Number of measurements (both operations at every point).
    pub fn measurements(&self) -> usize {
        self.widths.len() * self.depths.len() * self.n_samples.len() * Operation::ALL.len()
    }
}

/// One measurement of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// What was timed.
    pub operation: Operation,
    /// MLP width.
    pub width: usize,
    /// MLP depth.
    pub depth: usize,
    /// Samples (forward-pass rows or Monte-Carlo samples).
    pub n_samples: usize,
    /// Seconds of each timed run (empty on error).
    pub times: Vec<f64>,
    /// Median of `times`, or −1 on error.
    pub median_time: f64,
    /// Seconds of the warm-up run (None on error).
    pub warmup_time: Option<f64>,
    /// What went wrong (None on success).
    pub error: Option<String>,
}

/// The median (mean of the two middle values for an even count; NaN for none), as numpy's.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The MLP of a sweep point: `sample_mlp(width, depth, default_rng(42))`, flat weights.
pub fn profiled_weights(width: usize, depth: usize) -> std::sync::Arc<[f32]> {
    let mut rng = Pcg64::from_seed_sequence(&SeedSequence::new(u128::from(MLP_SEED)));
    sample_weights(&mut rng, width, depth)
}

fn input_rng() -> Pcg64 {
    Pcg64::from_seed_sequence(&SeedSequence::new(u128::from(INPUT_SEED)))
}

/// Why a measurement or the correctness pre-check failed; `Display` is the `error` text of the
/// report.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepError {
    /// The timed code panicked (out of memory, a flopscope refusal).
    Panicked {
        /// The panic message.
        message: String,
    },
    /// flopscope refused to open the budget context a run needs.
    Budget(BudgetError),
    /// The ground-truth sampler refused a timed run's input.
    Sampler(GroundTruthError),
    /// Pre-check: the forward pass returned the wrong dtype or shape.
    ForwardShape {
        /// Inputs (expected rows).
        n: usize,
        /// MLP width (expected columns).
        width: usize,
        /// The dtype returned.
        dtype: DType,
        /// The shape returned.
        shape: Vec<usize>,
    },
    /// Pre-check: the forward pass returned a negative or NaN activation.
    NegativeActivation,
    /// Pre-check: the ground-truth sampler refused the check MLP.
    CheckSampler(GroundTruthError),
    /// Pre-check: the sampler returned the wrong number of means.
    SamplerShape {
        /// MLP depth.
        depth: usize,
        /// MLP width.
        width: usize,
        /// Per-layer means returned (expected `depth * width`).
        layer_means: usize,
        /// Final means returned (expected `width`).
        final_means: usize,
    },
    /// Pre-check: the sampler's average variance is negative or NaN.
    NegativeVariance {
        /// The average variance returned.
        avg_variance: f64,
    },
    /// Pre-check: a final mean of the sampler differs from the forward pass's column mean by
    /// more than 1e-5.
    MeanMismatch {
        /// The neuron.
        neuron: usize,
        /// The sampler's mean.
        sampler: f32,
        /// The forward pass's column mean.
        forward: f64,
    },
}

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SweepError::Panicked { message } => write!(f, "panic: {message}"),
            SweepError::Budget(e) => write!(f, "{e}"),
            SweepError::Sampler(e) => write!(f, "{e}"),
            SweepError::ForwardShape {
                n,
                width,
                dtype,
                shape,
            } => write!(
                f,
                "run_mlp: expected float32 shape ({n}, {width}), got {dtype} {shape:?}"
            ),
            SweepError::NegativeActivation => {
                f.write_str("run_mlp: ReLU outputs must be non-negative")
            }
            SweepError::CheckSampler(e) => write!(f, "sample_layer_statistics: {e}"),
            SweepError::SamplerShape {
                depth,
                width,
                layer_means,
                final_means,
            } => write!(
                f,
                "sample_layer_statistics: expected means ({depth}, {width}) and ({width},), got \
                 {layer_means} and {final_means} values"
            ),
            SweepError::NegativeVariance { avg_variance } => write!(
                f,
                "sample_layer_statistics: negative average variance {avg_variance}"
            ),
            SweepError::MeanMismatch {
                neuron,
                sampler,
                forward,
            } => write!(
                f,
                "neuron {neuron}: sampler mean {sampler} differs from the forward pass's {forward}"
            ),
        }
    }
}

impl std::error::Error for SweepError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SweepError::Budget(e) => Some(e),
            SweepError::Sampler(e) | SweepError::CheckSampler(e) => Some(e),
            _ => None,
        }
    }
}

/// Runs `f`, turning a panic into its message.
fn catch<T>(f: impl FnOnce() -> Result<T, SweepError>) -> Result<T, SweepError> {
    panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        Err(SweepError::Panicked { message: msg })
    })
}

/// Seconds to push `n` fresh standard-normal rows through the MLP in blocks of at most
/// [`FORWARD_CHUNK_ROWS`], each inside its own [`PROFILE_BUDGET`] context. Drawing the inputs is
/// not timed.
fn time_forward(weights: &[f32], width: usize, depth: usize, n: usize) -> Result<f64, SweepError> {
    // Tensors are only ever built inside a context: with none open, flopscope refuses tensor
    // work on a thread while another thread has a context open.
    let untimed = || BudgetContext::new(PROFILE_BUDGET).map_err(SweepError::Budget);
    let layers = {
        let _setup = untimed()?;
        weight_tensors(weights, width, depth)
    };
    let mut rng = input_rng();
    let mut total = 0.0;
    let mut done = 0;
    while done < n {
        let rows = FORWARD_CHUNK_ROWS.min(n - done);
        let inputs = {
            let _setup = untimed()?;
            normal_inputs(&mut rng, rows, width)
        };
        let t0 = Instant::now();
        let ctx = BudgetContext::new(PROFILE_BUDGET).map_err(SweepError::Budget)?;
        drop(run_mlp(&layers, &inputs));
        drop(ctx);
        total += t0.elapsed().as_secs_f64();
        done += rows;
    }
    Ok(total)
}

/// Seconds of one ground-truth sampler call with `n` samples.
fn time_sampler(weights: &[f32], width: usize, depth: usize, n: usize) -> Result<f64, SweepError> {
    let mut rng = input_rng();
    let t0 = Instant::now();
    sample_layer_statistics(weights, width, depth, n, &mut rng).map_err(SweepError::Sampler)?;
    Ok(t0.elapsed().as_secs_f64())
}

/// Times `op` at one sweep point: a warm-up, then [`TIMED_RUNS`] runs.
pub fn measure(op: Operation, weights: &[f32], width: usize, depth: usize, n: usize) -> Timing {
    let time_once = |samples: usize| {
        catch(|| match op {
            Operation::RunMlp => time_forward(weights, width, depth, samples),
            Operation::SampleLayerStatistics => time_sampler(weights, width, depth, samples),
        })
    };
    let result = time_once(n.min(WARMUP_SAMPLES)).and_then(|warmup| {
        let times = (0..TIMED_RUNS)
            .map(|_| time_once(n))
            .collect::<Result<Vec<f64>, SweepError>>()?;
        Ok((warmup, times))
    });
    match result {
        Ok((warmup, times)) => Timing {
            operation: op,
            width,
            depth,
            n_samples: n,
            median_time: median(&times),
            times,
            warmup_time: Some(warmup),
            error: None,
        },
        Err(e) => Timing {
            operation: op,
            width,
            depth,
            n_samples: n,
            times: Vec::new(),
            median_time: -1.0,
            warmup_time: None,
            error: Some(e.to_string()),
        },
    }
}

/// Runs the sweep over `grid`, calling `progress(done, total, &timing)` after each measurement.
pub fn sweep(grid: &Grid, mut progress: impl FnMut(usize, usize, &Timing)) -> Vec<Timing> {
    let total = grid.measurements();
    let mut out = Vec::with_capacity(total);
    for &width in grid.widths {
        for &depth in grid.depths {
            let weights = profiled_weights(width, depth);
            for &n in grid.n_samples {
                for op in Operation::ALL {
                    let t = measure(op, &weights, width, depth, n);
                    progress(out.len() + 1, total, &t);
                    out.push(t);
                }
            }
        }
    }
    out
}

/// The correctness pre-check: on an 8×4 MLP from `default_rng(42)` and the same 1,000 f32
/// standard-normal inputs, the forward pass returns a non-negative f32 `(1000, 8)` array, the
/// sampler returns `(4, 8)` means, `(8,)` final means and a non-negative average variance,
/// and the sampler's final means equal the column means of the forward pass (within 1e-5).
///
/// # Errors
/// The first violated property.
pub fn correctness_check() -> Result<(), SweepError> {
    catch(|| {
        let (width, depth, n) = CHECK_SHAPE;
        let weights = profiled_weights(width, depth);
        // Tensor work only inside a context (see `time_forward`).
        let _ctx = BudgetContext::new(PROFILE_BUDGET).map_err(SweepError::Budget)?;
        let layers = weight_tensors(&weights, width, depth);
        let out = run_mlp(&layers, &normal_inputs(&mut input_rng(), n, width));
        if out.shape() != [n, width] || out.dtype() != DType::F32 {
            return Err(SweepError::ForwardShape {
                n,
                width,
                dtype: out.dtype(),
                shape: out.shape().to_vec(),
            });
        }
        let acts = out.to_vec::<f32>();
        if acts.iter().any(|&v| v.is_nan() || v < 0.0) {
            return Err(SweepError::NegativeActivation);
        }
        let gt = sample_layer_statistics(&weights, width, depth, n, &mut input_rng())
            .map_err(SweepError::CheckSampler)?;
        if gt.all_layer_means.len() != depth * width || gt.final_means.len() != width {
            return Err(SweepError::SamplerShape {
                depth,
                width,
                layer_means: gt.all_layer_means.len(),
                final_means: gt.final_means.len(),
            });
        }
        if gt.avg_variance.is_nan() || gt.avg_variance < 0.0 {
            return Err(SweepError::NegativeVariance {
                avg_variance: gt.avg_variance,
            });
        }
        for (j, &m) in gt.final_means.iter().enumerate() {
            let col: f64 = acts
                .iter()
                .skip(j)
                .step_by(width)
                .map(|&v| f64::from(v))
                .sum();
            let forward_mean = col / n as f64;
            if (forward_mean - f64::from(m)).abs() > 1e-5 {
                return Err(SweepError::MeanMismatch {
                    neuron: j,
                    sampler: m,
                    forward: forward_mean,
                });
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_match_numpy() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn presets_are_the_spec_grids() {
        assert_eq!(grid(Preset::SuperQuick).measurements(), 2);
        assert_eq!(grid(Preset::Quick).measurements(), 8);
        assert_eq!(grid(Preset::Standard).measurements(), 24);
        let e = grid(Preset::Exhaustive);
        assert_eq!(e.n_samples, &[10_000, 100_000, 1_000_000]);
        assert_eq!(e.measurements(), 36);
    }

    #[test]
    fn the_forward_pass_and_the_sampler_agree() {
        assert_eq!(correctness_check(), Ok(()));
    }

    #[test]
    fn check_failures_read_as_one_line() {
        let shape = SweepError::SamplerShape {
            depth: 4,
            width: 8,
            layer_means: 31,
            final_means: 8,
        };
        assert_eq!(
            shape.to_string(),
            "sample_layer_statistics: expected means (4, 8) and (8,), got 31 and 8 values"
        );
        let mismatch = SweepError::MeanMismatch {
            neuron: 3,
            sampler: 0.5,
            forward: 0.25,
        };
        assert_eq!(
            mismatch.to_string(),
            "neuron 3: sampler mean 0.5 differs from the forward pass's 0.25"
        );
    }

    #[test]
    fn a_small_measurement_has_three_runs_and_a_warmup() {
        let w = profiled_weights(16, 2);
        for op in Operation::ALL {
            let t = measure(op, &w, 16, 2, 2000);
            assert_eq!(t.error, None);
            assert_eq!(t.times.len(), TIMED_RUNS);
            assert_eq!(t.median_time, median(&t.times));
            assert!(t.warmup_time.is_some_and(|s| s >= 0.0));
        }
    }

    #[test]
    fn a_failing_measurement_is_recorded_not_raised() {
        // Weights of the wrong length make the sampler refuse.
        let t = measure(Operation::SampleLayerStatistics, &[0.0; 3], 16, 2, 100);
        assert_eq!(t.median_time, -1.0);
        assert!(t.times.is_empty());
        assert!(t.error.is_some_and(|e| !e.is_empty()));
        let t = measure(Operation::RunMlp, &[0.0; 3], 16, 2, 100);
        assert!(t.error.is_some_and(|e| e.starts_with("panic: ")));
    }
}
