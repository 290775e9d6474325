//! [`CudaSampler`]: the [`Sampler`] on one NVIDIA GPU.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cudarc::driver::sys::{CUdevice_attribute, CUfunction_attribute};
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg};
use whest_contest::{
    Device, GroundTruth, GroundTruthError, InputStream, SampleJob, Sampled, Sampler,
};

use crate::batch::{
    blocks_per_mlp, keys, mlps_per_launch, partial_len, push_padded_weights, reduce, tiles,
};
use crate::error::{driver, CudaError};
use crate::kernel::{KernelShape, KERNEL_NAME};
use crate::libraries::{require_driver, require_nvrtc};

/// Ground truth on one GPU with the Philox stream: the fused kernel of `mlp_stats.cu`,
/// compiled by NVRTC for this GPU on first use of each width.
pub struct CudaSampler {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    name: String,
    arch: String,
    sm_count: usize,
    smem_limit: usize,
    kernels: Mutex<HashMap<KernelShape, CudaFunction>>,
}

impl CudaSampler {
    /// Opens GPU `index` (an ordinal after `CUDA_VISIBLE_DEVICES`).
    ///
    /// Checks that libcuda and libnvrtc load before any call that would panic without them.
    ///
    /// # Errors
    /// [`CudaError::NoDriver`], [`CudaError::NoNvrtc`], [`CudaError::NoDevice`], or
    /// [`CudaError::Driver`] when the context cannot be created or queried.
    pub fn open(index: usize) -> Result<CudaSampler, CudaError> {
        require_driver()?;
        require_nvrtc()?;
        let count = CudaContext::device_count().map_err(driver("counting devices"))?;
        let count = usize::try_from(count).unwrap_or(0);
        if index >= count {
            return Err(CudaError::NoDevice { index, count });
        }
        let ctx = CudaContext::new(index).map_err(driver("creating a context"))?;
        let name = ctx.name().map_err(driver("reading the device name"))?;
        let (major, minor) = ctx
            .compute_capability()
            .map_err(driver("reading the compute capability"))?;
        let attribute = |a: CUdevice_attribute, what: &'static str| {
            ctx.attribute(a)
                .map_err(driver(what))
                .map(|v| usize::try_from(v).unwrap_or(0))
        };
        let sm_count = attribute(
            CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
            "reading the SM count",
        )?;
        let smem_limit = attribute(
            CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
            "reading the shared memory limit",
        )?;
        let stream = ctx.default_stream();
        Ok(CudaSampler {
            ctx,
            stream,
            name,
            arch: format!("compute_{major}{minor}"),
            sm_count,
            smem_limit,
            kernels: Mutex::new(HashMap::new()),
        })
    }

    /// The GPU's name as the driver reports it (e.g. `NVIDIA H200`).
    pub fn gpu_name(&self) -> &str {
        &self.name
    }

    /// The kernel for `shape`, compiled and loaded on first use.
    fn kernel(&self, shape: KernelShape) -> Result<CudaFunction, CudaError> {
        let mut cache = self.kernels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = cache.get(&shape) {
            return Ok(f.clone());
        }
        let ptx = shape.compile(&self.arch)?;
        let module = self
            .ctx
            .load_module(ptx)
            .map_err(driver("loading the kernel"))?;
        let f = module
            .load_function(KERNEL_NAME)
            .map_err(driver("finding the kernel"))?;
        let bytes = i32::try_from(shape.shared_bytes()).unwrap_or(i32::MAX);
        f.set_attribute(
            CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
            bytes,
        )
        .map_err(driver("raising the kernel's shared memory limit"))?;
        cache.insert(shape, f.clone());
        Ok(f)
    }

    /// One launch over `jobs` (all of one width and depth, already validated).
    fn launch(
        &self,
        jobs: &[SampleJob<'_>],
        n_samples: usize,
    ) -> Result<Vec<GroundTruth>, CudaError> {
        let (width, depth) = (jobs[0].width, jobs[0].depth);
        let shape = KernelShape::for_width(width, self.smem_limit)?;
        let func = self.kernel(shape)?;
        let blocks = blocks_per_mlp(jobs.len(), tiles(&shape, n_samples), self.sm_count);
        let mut weights = Vec::with_capacity(jobs.len() * depth * shape.padded * shape.padded);
        for job in jobs {
            push_padded_weights(job, &shape, &mut weights);
        }
        let s = &self.stream;
        let weights = s.clone_htod(&weights).map_err(driver("copying weights"))?;
        let keys = s.clone_htod(&keys(jobs)).map_err(driver("copying keys"))?;
        let mut partial = s
            .alloc_zeros::<f64>(partial_len(jobs.len(), blocks, &shape, depth))
            .map_err(driver("allocating the partial sums"))?;
        let n = n_samples as u64;
        let depth_arg = i32::try_from(depth).unwrap_or(i32::MAX);
        let blocks_arg = i32::try_from(blocks).unwrap_or(i32::MAX);
        let config = LaunchConfig {
            grid_dim: (u32::try_from(jobs.len() * blocks).unwrap_or(u32::MAX), 1, 1),
            block_dim: (shape.threads() as u32, 1, 1),
            shared_mem_bytes: shape.shared_bytes() as u32,
        };
        let mut launch = s.launch_builder(&func);
        launch
            .arg(&weights)
            .arg(&keys)
            .arg(&n)
            .arg(&depth_arg)
            .arg(&blocks_arg)
            .arg(&mut partial);
        // SAFETY: the arguments match `mlp_stats`'s parameters in order and type (two device
        // pointers, u64, two i32, a device pointer); `weights` holds `jobs · depth · padded²`
        // floats, `keys` two words per job and `partial` `partial_len` doubles, exactly what
        // the kernel indexes for a grid of `jobs · blocks` blocks of `shape.threads()` threads
        // with `shape.shared_bytes()` of shared memory (allowed by `kernel`).
        unsafe { launch.launch(config) }.map_err(driver("launching the kernel"))?;
        let partial = s
            .clone_dtoh(&partial)
            .map_err(driver("reading the partial sums"))?;
        Ok((0..jobs.len())
            .map(|m| reduce(&partial, m, blocks, &shape, depth, n_samples))
            .collect())
    }
}

/// The CPU sampler's input checks, so both devices refuse the same jobs.
fn check(job: &SampleJob<'_>, n_samples: usize) -> Result<(), GroundTruthError> {
    if job.width == 0 || job.depth == 0 {
        return Err(GroundTruthError::EmptyShape {
            width: job.width,
            depth: job.depth,
        });
    }
    let expected = job
        .depth
        .saturating_mul(job.width)
        .saturating_mul(job.width);
    if job.weights.len() != expected {
        return Err(GroundTruthError::WeightLength {
            expected,
            got: job.weights.len(),
        });
    }
    if n_samples == 0 {
        return Err(GroundTruthError::NoSamples);
    }
    Ok(())
}

impl Sampler for CudaSampler {
    fn device(&self) -> Device {
        Device::Cuda
    }

    fn stream(&self) -> InputStream {
        InputStream::Philox
    }

    fn describe(&self) -> String {
        format!(
            "cuda: {} ({}, {} SMs), Philox4x32-10 normal stream, fp32 SIMT",
            self.name, self.arch, self.sm_count
        )
    }

    fn mlps_per_batch(&self, width: usize, depth: usize, n_samples: usize) -> usize {
        match KernelShape::for_width(width, self.smem_limit) {
            Ok(shape) => mlps_per_launch(&shape, depth, n_samples, self.sm_count),
            Err(_) => 1,
        }
    }

    fn sample(
        &self,
        jobs: &[SampleJob<'_>],
        n_samples: usize,
    ) -> Vec<Result<Sampled, GroundTruthError>> {
        let started = Instant::now();
        let mut results: Vec<Option<Result<GroundTruth, GroundTruthError>>> = jobs
            .iter()
            .map(|j| check(j, n_samples).err().map(Err))
            .collect();
        // Valid jobs launch together per shape, in order of first appearance.
        let mut shapes: Vec<(usize, usize)> = Vec::new();
        for (j, r) in jobs.iter().zip(&results) {
            if r.is_none() && !shapes.contains(&(j.width, j.depth)) {
                shapes.push((j.width, j.depth));
            }
        }
        for shape in shapes {
            let idx: Vec<usize> = (0..jobs.len())
                .filter(|&i| results[i].is_none() && (jobs[i].width, jobs[i].depth) == shape)
                .collect();
            let group: Vec<SampleJob<'_>> = idx.iter().map(|&i| jobs[i]).collect();
            match self.launch(&group, n_samples) {
                Ok(truths) => {
                    for (i, t) in idx.iter().zip(truths) {
                        results[*i] = Some(Ok(t));
                    }
                }
                Err(e) => {
                    for i in &idx {
                        results[*i] = Some(Err(GroundTruthError::Device {
                            message: e.to_string(),
                        }));
                    }
                }
            }
        }
        let truths = results.into_iter().map(|r| {
            r.unwrap_or_else(|| {
                Err(GroundTruthError::Device {
                    message: "the job was not launched".to_string(),
                })
            })
        });
        Sampled::batch(jobs, truths, n_samples, started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the NVIDIA driver, opening is an error naming the library (cudarc would panic
    /// on its first call); with a driver, a too-high index is refused by count.
    #[test]
    fn opening_without_a_driver_or_device_is_an_error_not_a_panic() {
        match require_driver() {
            Err(_) => {
                let err = CudaSampler::open(0).err().expect("no driver here");
                assert_eq!(err, CudaError::NoDriver);
                assert!(err.to_string().contains("libcuda.so.1"), "{err}");
            }
            Ok(()) => {
                let err = CudaSampler::open(1 << 20).err().expect("no such device");
                assert!(
                    matches!(err, CudaError::NoDevice { .. } | CudaError::NoNvrtc),
                    "{err}"
                );
            }
        }
    }
}
