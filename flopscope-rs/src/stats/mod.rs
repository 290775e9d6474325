//! Statistics: FLOP-counted distributions mirroring `flopscope.stats` (and so `scipy.stats`).
//!
//! flopscope 0.12.4 exposes only the normal distribution's `pdf`, `cdf` and `ppf`; see
//! [`norm`]. Every function computes in `float64` and bills at the `float64` rate, whatever the
//! input dtype.

pub mod norm;
