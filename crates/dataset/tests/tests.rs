//! The integration tests of `whest-dataset`: one test binary, one module per area.

mod interop;
mod robustness;
mod support;
