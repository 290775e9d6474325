//! The CPU implementation of [`Sampler`]: the Python reference's algorithm on every rayon
//! thread, with numpy's PCG64 f32 normal stream or the Philox stream the CUDA sampler uses
//! (see [`crate::ground_truth`] and [`crate::philox`]).

use std::time::Instant;

use crate::ground_truth::{chunk_count, ground_truth_many};
use crate::sampler::{Device, Sampled, Sampler};
use crate::stream::InputStream;
use crate::truth::{GroundTruthError, SampleJob};

/// Ground truth on this machine's CPU. With [`InputStream::NumpyPcg64`] (the default) it is
/// bit-identical to numpy's stream and chunking; with [`InputStream::Philox`] it draws the
/// CUDA sampler's inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuSampler {
    /// The input stream.
    pub stream: InputStream,
}

impl CpuSampler {
    /// A CPU sampler drawing `stream`.
    pub fn new(stream: InputStream) -> CpuSampler {
        CpuSampler { stream }
    }
}

impl Sampler for CpuSampler {
    fn device(&self) -> Device {
        Device::Cpu
    }

    fn stream(&self) -> InputStream {
        self.stream
    }

    fn describe(&self) -> String {
        let threads = rayon::current_num_threads();
        let stream = match self.stream {
            InputStream::NumpyPcg64 => "numpy PCG64",
            InputStream::Philox => "Philox4x32-10",
        };
        format!("cpu: {threads} thread(s), {stream} normal stream")
    }

    /// One MLP at a time when its chunks alone keep every thread busy, otherwise one per thread.
    fn mlps_per_batch(&self, width: usize, _depth: usize, n_samples: usize) -> usize {
        let threads = rayon::current_num_threads().max(1);
        if chunk_count(width, n_samples) >= threads {
            1
        } else {
            threads
        }
    }

    fn sample(
        &self,
        jobs: &[SampleJob<'_>],
        n_samples: usize,
    ) -> Vec<Result<Sampled, GroundTruthError>> {
        let started = Instant::now();
        let truths = ground_truth_many(jobs, n_samples, self.stream);
        Sampled::batch(jobs, truths, n_samples, started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground_truth::ground_truth;
    use crate::mlp_gen::generate_from_input_seed;
    use crate::stream::InputStream;

    #[test]
    fn batch_results_equal_one_by_one_and_carry_the_record() {
        let mlps: Vec<_> = (0..3).map(|s| generate_from_input_seed(s, 8, 2)).collect();
        let jobs: Vec<SampleJob<'_>> = mlps.iter().map(SampleJob::of).collect();
        let got = CpuSampler::default().sample(&jobs, 500);
        for (mlp, r) in mlps.iter().zip(got) {
            let s = r.expect("valid job");
            assert_eq!(Ok(s.truth), ground_truth(mlp, 500));
            assert_eq!(s.sampling["provenance"]["chunk_size"], 16384);
            assert_eq!(s.sampling["time_source"], "bake");
        }
    }

    #[test]
    fn a_bad_job_fails_alone() {
        let good = generate_from_input_seed(1, 4, 1);
        let mut bad = SampleJob::of(&good);
        bad.weights = &good.weights[..3];
        let got = CpuSampler::default().sample(&[SampleJob::of(&good), bad], 10);
        assert!(got[0].is_ok());
        assert!(matches!(
            got[1],
            Err(GroundTruthError::WeightLength {
                expected: 16,
                got: 3
            })
        ));
    }

    /// The per-sample algorithm of the CUDA kernel, written out plainly: Philox inputs, f32
    /// dot products summed over `k` in order with fused multiply-adds, ReLU, and per-neuron
    /// sums of every sample widened to f64.
    fn kernel_order_reference(
        mlp: &crate::mlp_gen::GeneratedMlp,
        n: usize,
    ) -> (Vec<f64>, Vec<f64>) {
        let (w, d) = (mlp.width, mlp.depth);
        let stream = crate::philox::PhiloxNormals::for_seed(&mlp.sample_seed);
        let mut sums = vec![0.0f64; d * w];
        let mut sumsq = vec![0.0f64; w];
        let mut x = vec![0.0f32; w];
        for s in 0..n {
            stream.fill_rows(s as u64, w, &mut x);
            for l in 0..d {
                let wl = &mlp.weights[l * w * w..(l + 1) * w * w];
                let y: Vec<f32> = (0..w)
                    .map(|j| {
                        let v = (0..w).fold(0.0f32, |acc, k| x[k].mul_add(wl[k * w + j], acc));
                        if v >= 0.0 || v.is_nan() {
                            v
                        } else {
                            0.0
                        }
                    })
                    .collect();
                x = y;
                for j in 0..w {
                    sums[l * w + j] += f64::from(x[j]);
                    if l + 1 == d {
                        sumsq[j] += f64::from(x[j]) * f64::from(x[j]);
                    }
                }
            }
        }
        (sums, sumsq)
    }

    #[test]
    fn philox_means_match_the_kernel_order_to_f32_rounding() {
        let mlp = generate_from_input_seed(77, 24, 3);
        let n = 3000;
        let got = CpuSampler::new(InputStream::Philox)
            .sample(&[SampleJob::of(&mlp)], n)
            .remove(0)
            .expect("valid job")
            .truth;
        let (sums, sumsq) = kernel_order_reference(&mlp, n);
        let scale = got
            .all_layer_means
            .iter()
            .fold(0.0f64, |m, &v| m.max(f64::from(v)));
        for (i, (&g, &s)) in got.all_layer_means.iter().zip(&sums).enumerate() {
            let want = s / n as f64;
            assert!(
                (f64::from(g) - want).abs() <= 1e-6 * scale,
                "neuron {i}: {g} vs {want}"
            );
        }
        let w = mlp.width;
        let var: f64 = (0..w)
            .map(|j| sumsq[j] / n as f64 - f64::from(got.final_means[j]).powi(2))
            .sum::<f64>()
            / w as f64;
        assert!(
            (got.avg_variance - var).abs() <= 1e-5 * var.max(1e-12),
            "{var}"
        );
        // And it is not the numpy stream's answer.
        assert_ne!(Ok(got), ground_truth(&mlp, n));
    }

    #[test]
    fn philox_results_do_not_depend_on_batch_threads_or_buffers() {
        let mlps: Vec<_> = (0..3).map(|s| generate_from_input_seed(s, 16, 2)).collect();
        let jobs: Vec<SampleJob<'_>> = mlps.iter().map(SampleJob::of).collect();
        let sampler = CpuSampler::new(InputStream::Philox);
        let batch: Vec<_> = sampler
            .sample(&jobs, 40_000)
            .into_iter()
            .map(|r| r.expect("ok").truth)
            .collect();
        let alone = sampler
            .sample(&jobs[1..2], 40_000)
            .remove(0)
            .expect("ok")
            .truth;
        assert_eq!(batch[1], alone);
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let serial = one_thread.install(|| {
            let mut inputs = crate::philox::PhiloxNormals::for_seed(&mlps[2].sample_seed);
            crate::ground_truth::sample_layer_statistics_with(
                &mlps[2].weights,
                16,
                2,
                40_000,
                &mut inputs,
                1,
            )
        });
        assert_eq!(serial, Ok(batch[2].clone()));
    }
}
