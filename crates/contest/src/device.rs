//! Choosing a sampler from `--device cpu|cuda|auto`.

use std::fmt;
use std::str::FromStr;

use crate::cpu_sampler::CpuSampler;
use crate::sampler::Sampler;

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

/// Why no sampler could be opened for the requested device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SamplerError {
    /// `--device cuda` on a build without the CUDA sampler.
    CudaNotBuilt,
}

impl fmt::Display for SamplerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplerError::CudaNotBuilt => write!(
                f,
                "--device cuda: this build of whest-runner has no CUDA support; \
                 use --device cpu (or auto)"
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

/// Opens the sampler for `choice`.
///
/// # Errors
/// [`SamplerError::CudaNotBuilt`] for [`DeviceChoice::Cuda`] in a build without CUDA.
pub fn open_sampler(choice: DeviceChoice) -> Result<OpenedSampler, SamplerError> {
    match choice {
        DeviceChoice::Cpu => Ok(OpenedSampler {
            sampler: Box::new(CpuSampler),
            notice: None,
        }),
        DeviceChoice::Cuda => Err(SamplerError::CudaNotBuilt),
        DeviceChoice::Auto => Ok(OpenedSampler {
            sampler: Box::new(CpuSampler),
            notice: Some(
                "--device auto: this build has no CUDA support; sampling on the CPU".to_string(),
            ),
        }),
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

    #[test]
    fn cuda_without_support_is_an_error_and_auto_falls_back_to_cpu() {
        let err = open_sampler(DeviceChoice::Cuda)
            .err()
            .expect("no CUDA in this build");
        assert!(err.to_string().contains("no CUDA support"));
        let auto = open_sampler(DeviceChoice::Auto).expect("auto always opens");
        assert_eq!(auto.sampler.device(), Device::Cpu);
        assert!(auto.notice.expect("auto says which").contains("CPU"));
        let cpu = open_sampler(DeviceChoice::Cpu).expect("cpu always opens");
        assert!(cpu.notice.is_none());
    }
}
