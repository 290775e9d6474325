//! `dataset verify`: re-sample a dataset's first rows on this machine and measure how far the
//! recorded ground truth is from the re-sampled one, in Monte-Carlo standard errors.
//!
//! The recorded stream (`whest_rs_stream`) says how to re-derive a row: with the same stream
//! and sample count the two answers differ only by f32 rounding (a GPU's GEMM sums in another
//! order than this CPU's), far below one standard error; with fewer samples on the same stream
//! the re-sampled mean is a prefix mean of the recorded one; without a stream we can draw
//! (torch bakes) the two are independent estimates. Per-neuron standard deviations come from a
//! pilot of [`PILOT_SAMPLES`] inputs pushed through the MLP here.

use flopscope::gemm::Parallelism;
use whest_contest::ground_truth::matmul_f32;
use whest_contest::mlp_gen::generate_from_input_seed;
use whest_contest::philox::PhiloxNormals;
use whest_contest::{InputStream, SampleJob, Sampler};

use super::bake::{BACKEND, STREAM_KEY};
use super::error::DatasetError;
use super::load::LoadedSplit;

/// Inputs of the pilot that estimates each neuron's standard deviation (about 2% relative
/// error).
pub const PILOT_SAMPLES: usize = 2048;
/// Largest accepted difference, in standard errors, when stream and sample count are the same
/// (the answers differ by f32 rounding only).
pub const SAME_STREAM_THRESHOLD: f64 = 0.5;
/// Largest accepted difference, in standard errors of the difference, for a statistical
/// comparison (prefix or independent); the maximum of 10^5 standard normals stays below 6 with
/// probability about 0.9998.
pub const STATISTICAL_THRESHOLD: f64 = 6.0;

/// The least standard deviation a neuron is judged by, as a fraction of its layer's largest
/// pilot standard deviation: a neuron active once in 10^5 samples has a spread the pilot
/// cannot see, and a difference below this floor's standard error is far below anything a
/// score can notice.
pub const SIGMA_FLOOR: f64 = 1e-2;

/// How the re-sampled means relate to the recorded ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Same stream, same sample count: equal up to f32 rounding. Unit: `σ/√N`.
    SameStream,
    /// Same stream, `M < N` samples: the first `M` of the recorded `N`. Unit: `σ·√(1/M − 1/N)`.
    Prefix,
    /// Different streams (the recorded one is not ours). Unit: `σ·√(1/M + 1/N)`.
    Independent,
}

impl Comparison {
    /// The threshold this comparison is held to.
    pub fn threshold(self) -> f64 {
        match self {
            Comparison::SameStream => SAME_STREAM_THRESHOLD,
            Comparison::Prefix | Comparison::Independent => STATISTICAL_THRESHOLD,
        }
    }

    /// The standard error unit of a neuron with standard deviation `sigma`.
    fn unit(self, sigma: f64, recorded_n: usize, resampled_n: usize) -> f64 {
        let (n, m) = (recorded_n as f64, resampled_n as f64);
        match self {
            Comparison::SameStream => sigma / n.sqrt(),
            Comparison::Prefix => sigma * (1.0 / m - 1.0 / n).max(0.0).sqrt(),
            Comparison::Independent => sigma * (1.0 / m + 1.0 / n).sqrt(),
        }
    }

    /// A few words for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Comparison::SameStream => "same stream and sample count: f32 rounding only",
            Comparison::Prefix => "same stream, fewer samples: a prefix of the recorded mean",
            Comparison::Independent => {
                "recorded stream not reproducible here: independent estimates"
            }
        }
    }
}

/// The stream a dataset's ground truth was drawn from, when whest-rs can draw it: the recorded
/// `whest_rs_stream`, or numpy for an unmarked bake with backend `flopscope` (Python's CPU
/// bake); `None` for anything else (torch bakes).
///
/// # Errors
/// [`DatasetError::Invalid`] for a `whest_rs_stream` this build does not know.
pub fn recorded_stream(split: &LoadedSplit) -> Result<Option<InputStream>, DatasetError> {
    match split.metadata.get(STREAM_KEY).and_then(|v| v.as_str()) {
        Some(id) => InputStream::from_id(id).map(Some).ok_or_else(|| {
            DatasetError::Invalid(format!(
                "{STREAM_KEY} = {id:?} is not a stream this whest-runner knows; \
                 update whest-runner"
            ))
        }),
        None => Ok(
            (split.metadata.get("backend").and_then(|v| v.as_str()) == Some(BACKEND))
                .then_some(InputStream::NumpyPcg64),
        ),
    }
}

/// The largest difference found in one row.
#[derive(Clone, Debug, PartialEq)]
pub struct RowCheck {
    /// Row index in the split.
    pub row: usize,
    /// The row's `mlp_name`.
    pub name: String,
    /// Largest `|recorded − resampled| / unit` over all layers and neurons.
    pub max_z: f64,
    /// Layer and neuron of `max_z`.
    pub at: (usize, usize),
    /// Largest `|recorded − resampled|` divided by the layer's largest `|recorded|` mean.
    pub max_relative: f64,
}

/// What `dataset verify` found.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyReport {
    /// How the means were compared.
    pub comparison: Comparison,
    /// Samples per MLP in the dataset.
    pub recorded_samples: usize,
    /// Samples per MLP re-drawn here.
    pub resampled_samples: usize,
    /// One entry per checked row.
    pub rows: Vec<RowCheck>,
}

impl VerifyReport {
    /// The largest difference over all rows, in standard errors.
    pub fn max_z(&self) -> f64 {
        self.rows.iter().map(|r| r.max_z).fold(0.0, f64::max)
    }

    /// Whether every difference is within [`Comparison::threshold`].
    pub fn passed(&self) -> bool {
        self.max_z() <= self.comparison.threshold()
    }
}

/// What the pilot says about one neuron's spread.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Spread {
    /// Standard deviation over the pilot.
    sigma: f64,
    /// An upper bound (about 95%) on the probability that the neuron is active:
    /// `(k + 3) / n` for `k` of `n` pilot samples active, at most 1.
    active_upper: f64,
}

impl Spread {
    /// The standard deviation to judge a neuron by when the larger of its two estimated means
    /// is `mean`: the pilot's, or, when larger, the least that a nonnegative variable with
    /// that mean and an activation probability of at most `active_upper` can have
    /// (Cauchy-Schwarz: `E[X²] ≥ E[X]² / P(X > 0)`). A neuron the pilot rarely or never saw
    /// active is then not held to a spread it cannot have.
    fn sigma_for(self, mean: f64) -> f64 {
        let floor = mean * (1.0 / self.active_upper - 1.0).max(0.0).sqrt();
        self.sigma.max(floor)
    }
}

/// Per-neuron spreads (`d × w`) of the MLP's activations from a pilot of [`PILOT_SAMPLES`]
/// standard normal inputs (a fixed Philox key; any N(0, I) inputs will do).
fn pilot_spreads(weights: &[f32], width: usize, depth: usize) -> Vec<Spread> {
    let n = PILOT_SAMPLES;
    let mut x = vec![0.0f32; n * width];
    PhiloxNormals {
        key: [0x5eed, 0x9110],
    }
    .fill_rows(0, width, &mut x);
    let mut y = vec![0.0f32; n * width];
    let mut spreads = Vec::with_capacity(depth * width);
    for l in 0..depth {
        let w_l = &weights[l * width * width..(l + 1) * width * width];
        matmul_f32(&x, w_l, &mut y, n, width, Parallelism::Rayon(0));
        let mut sum = vec![0.0f64; width];
        let mut sq = vec![0.0f64; width];
        let mut active = vec![0usize; width];
        for row in y.chunks_exact_mut(width) {
            for (j, v) in row.iter_mut().enumerate() {
                *v = v.max(0.0);
                sum[j] += f64::from(*v);
                sq[j] += f64::from(*v) * f64::from(*v);
                active[j] += usize::from(*v > 0.0);
            }
        }
        let n_f = n as f64;
        spreads.extend((0..width).map(|j| {
            let mean = sum[j] / n_f;
            Spread {
                sigma: (sq[j] / n_f - mean * mean).max(0.0).sqrt(),
                active_upper: ((active[j] + 3) as f64 / n_f).min(1.0),
            }
        }));
        std::mem::swap(&mut x, &mut y);
    }
    spreads
}

/// Re-samples the first `n_mlps` rows of `split` with `sampler` (`n_samples` each, default the
/// dataset's) and compares them with the recorded means.
///
/// `sampler` must draw the recorded stream for a [`Comparison::SameStream`] or
/// [`Comparison::Prefix`] check; with another stream the comparison is
/// [`Comparison::Independent`].
///
/// # Errors
/// [`DatasetError::BadArgument`] for `n_mlps = 0`, more rows than the split has, more samples
/// than recorded, or a row whose weights do not derive from its `mlp_seed` (so its sample
/// stream cannot be re-derived); [`DatasetError::Invalid`] for an unknown recorded stream.
pub fn verify(
    split: &LoadedSplit,
    sampler: &dyn Sampler,
    n_mlps: usize,
    n_samples: Option<usize>,
) -> Result<VerifyReport, DatasetError> {
    let bad = |m: String| Err(DatasetError::BadArgument(m));
    let recorded_samples = split
        .metadata
        .get("n_samples")
        .and_then(|v| v.as_u64())
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| DatasetError::Invalid("metadata has no integer n_samples".into()))?;
    let resampled = n_samples.unwrap_or(recorded_samples);
    if n_mlps == 0 || n_mlps > split.rows.len() {
        return bad(format!(
            "--n-mlps {n_mlps}: choose 1 to {} (the rows of split {:?})",
            split.rows.len(),
            split.split
        ));
    }
    if resampled == 0 || resampled > recorded_samples {
        return bad(format!(
            "--n-samples {resampled}: choose 1 to {recorded_samples} (the dataset's n_samples)"
        ));
    }
    let comparison = match recorded_stream(split)? {
        Some(s) if s == sampler.stream() && resampled == recorded_samples => Comparison::SameStream,
        Some(s) if s == sampler.stream() => Comparison::Prefix,
        _ => Comparison::Independent,
    };
    let (width, depth) = (split.shape.width, split.shape.depth);
    let mut rows = Vec::with_capacity(n_mlps);
    for (i, row) in split.rows.iter().take(n_mlps).enumerate() {
        let mlp = generate_from_input_seed(row.mlp_seed, width, depth);
        if mlp.weights[..] != row.weights[..] {
            return bad(format!(
                "row {i} ({}): its weights do not derive from mlp_seed {} by seed protocol 3.0, \
                 so its sample stream cannot be re-derived",
                row.mlp_name, row.mlp_seed
            ));
        }
        let sampled = sampler
            .sample(&[SampleJob::of(&mlp)], resampled)
            .remove(0)
            .map_err(|e| DatasetError::BadArgument(format!("re-sampling row {i}: {e}")))?;
        let spreads = pilot_spreads(&mlp.weights, width, depth);
        rows.push(compare_row(
            i,
            &row.mlp_name,
            &row.all_layer_means,
            &sampled.truth.all_layer_means,
            &spreads,
            width,
            |sigma| comparison.unit(sigma, recorded_samples, resampled),
        ));
    }
    Ok(VerifyReport {
        comparison,
        recorded_samples,
        resampled_samples: resampled,
        rows,
    })
}

/// The largest differences of one row. A neuron's standard deviation is
/// [`Spread::sigma_for`] its larger mean, floored at [`SIGMA_FLOOR`] of its layer's largest
/// pilot standard deviation.
fn compare_row(
    row: usize,
    name: &str,
    recorded: &[f32],
    resampled: &[f32],
    spreads: &[Spread],
    width: usize,
    unit: impl Fn(f64) -> f64,
) -> RowCheck {
    let mut check = RowCheck {
        row,
        name: name.to_string(),
        max_z: 0.0,
        at: (0, 0),
        max_relative: 0.0,
    };
    for (l, ((rec, res), sig)) in recorded
        .chunks(width)
        .zip(resampled.chunks(width))
        .zip(spreads.chunks(width))
        .enumerate()
    {
        let layer_sigma = sig.iter().map(|s| s.sigma).fold(0.0, f64::max);
        let layer_mean = rec.iter().map(|&v| f64::from(v).abs()).fold(0.0, f64::max);
        for (j, ((&a, &b), &s)) in rec.iter().zip(res).zip(sig).enumerate() {
            let diff = (f64::from(a) - f64::from(b)).abs();
            if diff == 0.0 {
                continue;
            }
            let mean = f64::from(a).abs().max(f64::from(b).abs());
            let u = unit(s.sigma_for(mean).max(SIGMA_FLOOR * layer_sigma));
            let z = if u > 0.0 { diff / u } else { f64::INFINITY };
            if z > check.max_z {
                check.max_z = z;
                check.at = (l, j);
            }
            if layer_mean > 0.0 {
                check.max_relative = check.max_relative.max(diff / layer_mean);
            }
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_comparison() {
        assert_eq!(Comparison::SameStream.unit(2.0, 100, 100), 0.2);
        let prefix = Comparison::Prefix.unit(1.0, 400, 100);
        assert!((prefix - (0.01f64 - 0.0025).sqrt()).abs() < 1e-15);
        let indep = Comparison::Independent.unit(1.0, 400, 100);
        assert!((indep - (0.0125f64).sqrt()).abs() < 1e-15);
    }

    fn spread(sigma: f64, active_upper: f64) -> Spread {
        Spread {
            sigma,
            active_upper,
        }
    }

    #[test]
    fn rows_report_their_worst_neuron() {
        let recorded = [1.0f32, 2.0, 0.0, 4.0];
        let resampled = [1.0f32, 2.5, 0.0, 4.0];
        let spreads = [
            spread(1.0, 1.0),
            spread(1.0, 1.0),
            spread(0.0, 1.0),
            spread(1.0, 1.0),
        ];
        let c = compare_row(3, "x", &recorded, &resampled, &spreads, 2, |s| s * 0.1);
        assert_eq!(c.at, (0, 1));
        assert!((c.max_z - 5.0).abs() < 1e-12);
        assert!((c.max_relative - 0.25).abs() < 1e-12);
        // A neuron the pilot saw constant that differs counts against the layer's floor.
        let spreads = [spread(0.0, 1.0), spread(1.0, 1.0)];
        let c = compare_row(0, "x", &[0.0, 1.0], &[0.5, 1.0], &spreads, 2, |s| s);
        assert!((c.max_z - 0.5 / SIGMA_FLOOR).abs() < 1e-9, "{}", c.max_z);
    }

    /// A neuron the pilot never saw active (sigma 0 there) whose two estimates differ by 20%
    /// of its mean is judged by the spread such a rare neuron must have (about 3 standard
    /// errors at 10^6 samples; the pilot's 0 would make it 10^4); one active once in 10^5
    /// samples, seen by one estimate only, by the layer's floor; a wrong answer many times
    /// the mean still fails.
    #[test]
    fn rarely_active_neurons_are_judged_by_the_spread_they_must_have() {
        let n: f64 = 1e6;
        let unit = |s: f64| Comparison::Independent.unit(s, 1_000_000, 1_000_000);
        let rare = [spread(0.0, 3.0 / 2048.0), spread(1e-3, 1.0)];
        let c = compare_row(0, "x", &[1.0e-4, 1.0], &[1.2e-4, 1.0], &rare, 2, unit);
        let least_sigma = 1.2e-4 * (2048.0f64 / 3.0 - 1.0).sqrt();
        let want = 2.0e-5 / (least_sigma * (2.0 / n).sqrt());
        assert!(
            (c.max_z - want).abs() < 1e-3 * want,
            "{} vs {want}",
            c.max_z
        );
        assert!(c.max_z < 6.0, "{}", c.max_z);
        let rare = [spread(0.0, 3.0 / 2048.0), spread(1.0, 1.0)];
        let c = compare_row(0, "x", &[0.0, 1.0], &[2.0e-5, 1.0], &rare, 2, unit);
        assert!(c.max_z < 2.0, "{}", c.max_z);
        let c = compare_row(0, "x", &[1.0e-4, 1.0], &[5.0e-2, 1.0], &rare, 2, unit);
        assert!(c.max_z > Comparison::Independent.threshold(), "{}", c.max_z);
    }
}
