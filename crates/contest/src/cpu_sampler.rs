//! The CPU implementation of [`Sampler`]: the Python reference's algorithm on every rayon
//! thread, with numpy's PCG64 f32 normal stream (see [`crate::ground_truth`]).

use std::time::Instant;

use crate::ground_truth::{chunk_count, chunk_size, ground_truth_many, sampling_breakdown_timed};
use crate::sampler::{Device, Sampled, Sampler};
use crate::truth::{GroundTruthError, SampleJob};

/// Ground truth on this machine's CPU, bit-identical to numpy's stream and chunking.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuSampler;

impl Sampler for CpuSampler {
    fn device(&self) -> Device {
        Device::Cpu
    }

    fn describe(&self) -> String {
        let threads = rayon::current_num_threads();
        format!("cpu: {threads} thread(s), numpy PCG64 normal stream")
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
        let truths = ground_truth_many(jobs, n_samples);
        let wall = started.elapsed().as_secs_f64() / jobs.len().max(1) as f64;
        jobs.iter()
            .zip(truths)
            .map(|(job, truth)| {
                let sampling = sampling_breakdown_timed(
                    n_samples as u64,
                    job.width as u64,
                    job.depth as u64,
                    chunk_size(job.width) as u64,
                    wall,
                );
                truth.map(|truth| Sampled { truth, sampling })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground_truth::ground_truth;
    use crate::mlp_gen::generate_from_input_seed;

    #[test]
    fn batch_results_equal_one_by_one_and_carry_the_record() {
        let mlps: Vec<_> = (0..3).map(|s| generate_from_input_seed(s, 8, 2)).collect();
        let jobs: Vec<SampleJob<'_>> = mlps.iter().map(SampleJob::of).collect();
        let got = CpuSampler.sample(&jobs, 500);
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
        let got = CpuSampler.sample(&[SampleJob::of(&good), bad], 10);
        assert!(got[0].is_ok());
        assert!(matches!(
            got[1],
            Err(GroundTruthError::WeightLength {
                expected: 16,
                got: 3
            })
        ));
    }
}
