//! `--device`, `--stream` and `--gpu-index` (shared by `run` and `dataset bake`), and opening
//! the sampler they ask for, with the CUDA sampler when this build has the `cuda` feature.

use clap::Args;

use crate::parsers::strict_usize;
use whest_contest::{
    open_sampler, DeviceChoice, DeviceRequest, InputStream, OpenedSampler, SamplerError,
};

/// The ground-truth sampler's flags.
#[derive(Debug, Clone, Default, Args)]
pub struct SamplerArgs {
    /// Where the ground truth is sampled: `cpu`, `cuda`, or `auto` (cuda when this build and
    /// machine have a usable GPU, else cpu, saying which).
    #[arg(long, value_name = "cpu|cuda|auto", default_value = "cpu")]
    pub device: DeviceChoice,
    /// The Monte-Carlo input stream: `numpy` (the Python reference's, CPU only; the default on
    /// the CPU) or `philox` (counter-based; what CUDA draws, reproducible on the CPU).
    #[arg(long, value_name = "numpy|philox")]
    pub stream: Option<InputStream>,
    /// CUDA device ordinal for `--device cuda|auto` (after CUDA_VISIBLE_DEVICES).
    #[arg(long, value_name = "N", default_value = "0", value_parser = strict_usize)]
    pub gpu_index: usize,
}

impl SamplerArgs {
    /// Opens the sampler these flags ask for.
    ///
    /// # Errors
    /// As [`open_sampler`]: CUDA asked for but not built in or not usable here, or CUDA with
    /// the numpy stream.
    pub fn open(&self) -> Result<OpenedSampler, SamplerError> {
        let request = DeviceRequest {
            device: self.device,
            stream: self.stream,
            gpu_index: self.gpu_index,
        };
        #[cfg(feature = "cuda")]
        {
            let cuda: &whest_contest::CudaOpener = &|index| {
                whest_cuda::CudaSampler::open(index)
                    .map(|s| Box::new(s) as Box<dyn whest_contest::Sampler>)
                    .map_err(|e| e.into())
            };
            open_sampler(request, Some(cuda))
        }
        #[cfg(not(feature = "cuda"))]
        {
            open_sampler(request, None)
        }
    }
}
