//! numpy-exact random streams: `SeedSequence`, `PCG64` and the `Generator`
//! samplers flopscope needs, bit for bit as numpy 2.4.
//!
//! Everything here works on raw bit streams ([`BitStream`], implemented by
//! [`Pcg64`]); tensor-level wrappers live elsewhere.
//!
//! Metering: the tensor samplers of [`Generator`] are charged FLOPs like flopscope's
//! `random` ops. The raw streams here (`next_u64`, `fill_*`, `shuffle`, …) are plain
//! computation on the caller's thread, outside any kernel: they cost no FLOPs, and their time
//! is residual work (the predicting thread's time outside flopscope kernels), capped and
//! reported like any other raw Rust code.
//!
//! ```
//! use flopscope::random::{Pcg64, SeedSequence};
//! // default_rng(SeedSequence(1001).spawn(3)[0]).standard_normal(2)
//! let kids = SeedSequence::new(1001).spawn(3);
//! let mut rng = Pcg64::from_seed_sequence(&kids[0]);
//! let mut w = [0.0f64; 2];
//! rng.fill_standard_normal_f64(&mut w);
//! assert_eq!(w, [-0.8072367449685911, 1.8263527463215385]);
//! ```
//!
//! | numpy `Generator` call | here |
//! |---|---|
//! | `standard_normal(n)` | [`Pcg64::fill_standard_normal_f64`] |
//! | `standard_normal(n, dtype=np.float32)` | [`Pcg64::fill_standard_normal_f32`] |
//! | `random(n)` / `random(n, dtype=np.float32)` | [`Pcg64::fill_random_f64`] / [`Pcg64::fill_random_f32`] |
//! | `uniform(low, high, n)` | [`Pcg64::fill_uniform_f64`] |
//! | `integers(low, high, n)` (int64) | [`Pcg64::fill_integers_i64`] |
//! | `permutation(n)` / `shuffle(x)` | [`Pcg64::permutation`] / [`Pcg64::shuffle`] |

mod bit_stream;
mod bounded;
mod error;
mod generator;
mod pcg64;
mod seed_sequence;
mod uniform;
mod ziggurat;
mod ziggurat_tables;

pub use bit_stream::BitStream;
pub use bounded::{
    bounded_u64, fill_integers_i64, fill_integers_i64_endpoint, permutation, random_interval,
    shuffle,
};
pub use error::RandomError;
pub use generator::{default_rng, Generator};
pub use pcg64::Pcg64;
pub use seed_sequence::SeedSequence;
pub use uniform::{fill_random_f32, fill_random_f64, fill_uniform_f64};
pub use ziggurat::{
    fill_standard_normal_f32, fill_standard_normal_f64, standard_normal_f32, standard_normal_f64,
};
