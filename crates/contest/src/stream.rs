//! Which normal stream feeds the Monte-Carlo inputs (`--stream numpy|philox`), and the
//! [`DrawInputs`] seam the CPU sampler draws chunks through.

use std::fmt;
use std::str::FromStr;

use flopscope::random::{Pcg64, SeedSequence};

use crate::philox::PhiloxNormals;

/// The Monte-Carlo input stream of a sampler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputStream {
    /// numpy's `default_rng(sample_seed).standard_normal(dtype=float32)` (PCG64 + ziggurat),
    /// drawn serially in chunks: the Python reference's stream (the default).
    #[default]
    NumpyPcg64,
    /// The counter-based Philox4x32-10 + Box-Muller stream of [`crate::philox`], which the
    /// CUDA sampler uses and the CPU reproduces.
    Philox,
}

/// The `--stream` value that is neither `numpy` nor `philox`; holds it as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownStream(
    /// The rejected value.
    pub String,
);

impl fmt::Display for UnknownStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown stream {:?}: use numpy or philox", self.0)
    }
}

impl std::error::Error for UnknownStream {}

impl InputStream {
    /// The name `--stream` takes (`numpy`, `philox`).
    pub fn flag_name(self) -> &'static str {
        match self {
            InputStream::NumpyPcg64 => "numpy",
            InputStream::Philox => "philox",
        }
    }

    /// The stream's identifier as datasets record it (`whest_rs_stream`):
    /// `numpy-pcg64-ziggurat-f32` or `philox4x32-10-boxmuller-f64`.
    pub fn id(self) -> &'static str {
        match self {
            InputStream::NumpyPcg64 => "numpy-pcg64-ziggurat-f32",
            InputStream::Philox => "philox4x32-10-boxmuller-f64",
        }
    }

    /// The stream with identifier `id` (see [`InputStream::id`]), if it is one of ours.
    pub fn from_id(id: &str) -> Option<InputStream> {
        [InputStream::NumpyPcg64, InputStream::Philox]
            .into_iter()
            .find(|s| s.id() == id)
    }

    /// One sentence for a dataset's metadata: how input `x[s][j]` is drawn.
    pub fn description(self) -> &'static str {
        match self {
            InputStream::NumpyPcg64 => {
                "numpy default_rng(sample_seed).standard_normal(dtype=float32), drawn row by row \
                 in order (the Python reference's stream)"
            }
            InputStream::Philox => {
                "x[s][j] = lane j%4 of Philox4x32-10(counter=[j//4, s%2^32, s//2^32, 0], \
                 key=sample_seed.generate_state(2, uint32)) through f64 Box-Muller \
                 (v=(u+0.5)*2^-32; r=sqrt(-2 ln v0), t=2*pi*v1; lanes r*cos t, r*sin t), \
                 rounded to float32"
            }
        }
    }
}

impl FromStr for InputStream {
    type Err = UnknownStream;

    fn from_str(s: &str) -> Result<InputStream, UnknownStream> {
        match s {
            "numpy" => Ok(InputStream::NumpyPcg64),
            "philox" => Ok(InputStream::Philox),
            other => Err(UnknownStream(other.to_string())),
        }
    }
}

/// A source of Monte-Carlo inputs the CPU sampler fills chunks from.
pub trait DrawInputs: Send {
    /// Fills `out` (row-major, `out.len() / width` rows) with the inputs of samples
    /// `first_row ..`. The CPU sampler asks for rows strictly in order, so a serial stream may
    /// ignore `first_row`.
    fn draw(&mut self, first_row: u64, width: usize, out: &mut [f32]);
}

impl DrawInputs for Pcg64 {
    fn draw(&mut self, _first_row: u64, _width: usize, out: &mut [f32]) {
        self.fill_standard_normal_f32(out);
    }
}

impl DrawInputs for PhiloxNormals {
    fn draw(&mut self, first_row: u64, width: usize, out: &mut [f32]) {
        self.fill_rows(first_row, width, out);
    }
}

/// A fresh input source of `stream` for an MLP with sample-stream seed `seed`.
pub fn inputs_for(stream: InputStream, seed: &SeedSequence) -> Box<dyn DrawInputs> {
    match stream {
        InputStream::NumpyPcg64 => Box::new(Pcg64::from_seed_sequence(seed)),
        InputStream::Philox => Box::new(PhiloxNormals::for_seed(seed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_ids_round_trip() {
        assert_eq!("numpy".parse(), Ok(InputStream::NumpyPcg64));
        assert_eq!("philox".parse(), Ok(InputStream::Philox));
        let err = "curand".parse::<InputStream>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown stream \"curand\": use numpy or philox"
        );
        for s in [InputStream::NumpyPcg64, InputStream::Philox] {
            assert_eq!(InputStream::from_id(s.id()), Some(s));
            assert_eq!(s.flag_name().parse(), Ok(s));
        }
        assert_eq!(InputStream::from_id("torch"), None);
    }
}
