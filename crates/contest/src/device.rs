//! Choosing a sampler from `--device cpu|cuda|auto`.

use std::fmt;
use std::str::FromStr;

use crate::cpu_sampler::CpuSampler;
use crate::sampler::Sampler;
use crate::stream::InputStream;

/// What the user asked for with `--device`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The CPU sampler (the default).
    #[default]
    Cpu,
    /// A CUDA GPU; an error when this build or machine has none.
    Cuda,
    /// CUDA when this build and machine have it, else the CPU (the choice is announced).
    Auto,
}

/// A `--device` value that is not `cpu`, `cuda` or `auto`; holds the value as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownDevice(
    /// The rejected value.
    pub String,
);

impl fmt::Display for UnknownDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown device {:?}: use cpu, cuda or auto", self.0)
    }
}

impl std::error::Error for UnknownDevice {}

impl FromStr for DeviceChoice {
    type Err = UnknownDevice;

    fn from_str(s: &str) -> Result<DeviceChoice, UnknownDevice> {
        match s {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            "auto" => Ok(DeviceChoice::Auto),
            other => Err(UnknownDevice(other.to_string())),
        }
    }
}

/// Opens the CUDA sampler on GPU `index`; supplied by builds with CUDA support (the runner's
/// `cuda` feature), so this crate never links a GPU library. The error says why no GPU
/// sampler could be opened (no driver, no such device, …) in one line.
pub type CudaOpener =
    dyn Fn(usize) -> Result<Box<dyn Sampler>, Box<dyn std::error::Error + Send + Sync>>;

/// Everything `--device`, `--stream` and `--gpu-index` ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceRequest {
    /// `--device`.
    pub device: DeviceChoice,
    /// `--stream` (`None`: the device's own stream, numpy on the CPU and Philox on CUDA).
    pub stream: Option<InputStream>,
    /// `--gpu-index`: the CUDA device ordinal (after `CUDA_VISIBLE_DEVICES`).
    pub gpu_index: usize,
}

/// Why no sampler could be opened for the requested device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SamplerError {
    /// `--device cuda` on a build without the CUDA sampler.
    CudaNotBuilt,
    /// `--device cuda` on a machine where the CUDA sampler could not start.
    CudaUnavailable {
        /// The requested `--gpu-index`.
        gpu_index: usize,
        /// Why, in one line (from the CUDA sampler).
        reason: String,
    },
    /// `--device cuda --stream numpy`: the GPU draws the Philox stream only.
    NumpyStreamOnCuda,
}

impl fmt::Display for SamplerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplerError::CudaNotBuilt => write!(
                f,
                "--device cuda: this build of whest-runner has no CUDA support; \
                 use --device cpu (or auto), or build with `--features cuda`"
            ),
            SamplerError::CudaUnavailable { gpu_index, reason } => write!(
                f,
                "--device cuda: cannot use GPU {gpu_index}: {reason}; \
                 use --device cpu (or auto)"
            ),
            SamplerError::NumpyStreamOnCuda => write!(
                f,
                "--device cuda draws the Philox stream only; use --stream philox, or \
                 --device cpu for the numpy stream"
            ),
        }
    }
}

impl std::error::Error for SamplerError {}

/// A sampler ready to use, with the line to show the user when the choice was automatic.
pub struct OpenedSampler {
    /// The sampler.
    pub sampler: Box<dyn Sampler>,
    /// For `--device auto`: which device was picked and why (print it to stderr).
    pub notice: Option<String>,
}

/// Opens the sampler `request` asks for; `cuda` opens a GPU sampler (`None` in a build without
/// CUDA support).
///
/// `--device auto` takes the GPU when `cuda` opens one and the stream allows it (the numpy
/// stream is CPU-only), else the CPU, and says which in [`OpenedSampler::notice`].
///
/// # Errors
/// [`SamplerError::CudaNotBuilt`] for [`DeviceChoice::Cuda`] without `cuda`,
/// [`SamplerError::CudaUnavailable`] when `cuda` fails, [`SamplerError::NumpyStreamOnCuda`]
/// for CUDA with the numpy stream.
pub fn open_sampler(
    request: DeviceRequest,
    cuda: Option<&CudaOpener>,
) -> Result<OpenedSampler, SamplerError> {
    let cpu = |stream: Option<InputStream>| -> Box<dyn Sampler> {
        Box::new(CpuSampler::new(stream.unwrap_or_default()))
    };
    match request.device {
        DeviceChoice::Cpu => Ok(OpenedSampler {
            sampler: cpu(request.stream),
            notice: None,
        }),
        DeviceChoice::Cuda => {
            if request.stream == Some(InputStream::NumpyPcg64) {
                return Err(SamplerError::NumpyStreamOnCuda);
            }
            let open = cuda.ok_or(SamplerError::CudaNotBuilt)?;
            let sampler = open(request.gpu_index).map_err(|e| SamplerError::CudaUnavailable {
                gpu_index: request.gpu_index,
                reason: e.to_string(),
            })?;
            Ok(OpenedSampler {
                sampler,
                notice: None,
            })
        }
        DeviceChoice::Auto => {
            let why_cpu = match (cuda, request.stream) {
                (_, Some(InputStream::NumpyPcg64)) => "the numpy stream is CPU-only".to_string(),
                (None, _) => "this build has no CUDA support".to_string(),
                (Some(open), _) => match open(request.gpu_index) {
                    Ok(sampler) => {
                        let notice = format!("--device auto: sampling on {}", sampler.describe());
                        return Ok(OpenedSampler {
                            sampler,
                            notice: Some(notice),
                        });
                    }
                    Err(e) => format!("no usable GPU {} ({e})", request.gpu_index),
                },
            };
            Ok(OpenedSampler {
                sampler: cpu(request.stream),
                notice: Some(format!("--device auto: {why_cpu}; sampling on the CPU")),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::Device;

    #[test]
    fn choices_parse_and_unknown_names_say_what_is_allowed() {
        assert_eq!("cpu".parse(), Ok(DeviceChoice::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda));
        assert_eq!("auto".parse(), Ok(DeviceChoice::Auto));
        let err = "gpu".parse::<DeviceChoice>().unwrap_err();
        assert_eq!(err, UnknownDevice("gpu".to_string()));
        assert_eq!(
            err.to_string(),
            "unknown device \"gpu\": use cpu, cuda or auto"
        );
    }

    fn request(device: DeviceChoice, stream: Option<InputStream>) -> DeviceRequest {
        DeviceRequest {
            device,
            stream,
            gpu_index: 0,
        }
    }

    #[test]
    fn cuda_without_support_is_an_error_and_auto_falls_back_to_cpu() {
        let err = open_sampler(request(DeviceChoice::Cuda, None), None)
            .err()
            .expect("no CUDA in this build");
        assert!(err.to_string().contains("no CUDA support"));
        let auto = open_sampler(request(DeviceChoice::Auto, None), None).expect("auto opens");
        assert_eq!(auto.sampler.device(), Device::Cpu);
        assert_eq!(auto.sampler.stream(), InputStream::NumpyPcg64);
        assert!(auto.notice.expect("auto says which").contains("CPU"));
        let cpu = open_sampler(request(DeviceChoice::Cpu, None), None).expect("cpu opens");
        assert!(cpu.notice.is_none());
    }

    #[test]
    fn streams_pick_the_cpu_sampler_and_numpy_is_refused_on_cuda() {
        let philox = Some(InputStream::Philox);
        let cpu = open_sampler(request(DeviceChoice::Cpu, philox), None).expect("opens");
        assert_eq!(cpu.sampler.stream(), InputStream::Philox);
        let numpy = Some(InputStream::NumpyPcg64);
        let never: &CudaOpener = &|_| panic!("the numpy stream never opens a GPU");
        let err = open_sampler(request(DeviceChoice::Cuda, numpy), Some(never))
            .err()
            .expect("numpy on cuda");
        assert_eq!(err, SamplerError::NumpyStreamOnCuda);
        let auto = open_sampler(request(DeviceChoice::Auto, numpy), Some(never)).expect("cpu");
        assert!(auto.notice.expect("says why").contains("CPU-only"));
    }

    #[test]
    fn a_failing_gpu_is_one_line_for_cuda_and_a_fallback_for_auto() {
        let failing: &CudaOpener = &|i| Err(format!("no CUDA device {i}").into());
        let mut req = request(DeviceChoice::Cuda, None);
        req.gpu_index = 3;
        let err = open_sampler(req, Some(failing)).err().expect("fails");
        assert_eq!(
            err.to_string(),
            "--device cuda: cannot use GPU 3: no CUDA device 3; use --device cpu (or auto)"
        );
        req.device = DeviceChoice::Auto;
        let auto = open_sampler(req, Some(failing)).expect("falls back");
        assert_eq!(auto.sampler.device(), Device::Cpu);
        assert_eq!(
            auto.notice.as_deref(),
            Some("--device auto: no usable GPU 3 (no CUDA device 3); sampling on the CPU")
        );
        let working: &CudaOpener = &|_| Ok(Box::new(CpuSampler::new(InputStream::Philox)));
        let auto = open_sampler(req, Some(working)).expect("opens");
        assert!(auto
            .notice
            .expect("says which")
            .starts_with("--device auto: sampling on"));
    }
}
