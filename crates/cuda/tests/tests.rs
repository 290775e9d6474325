//! whest-cuda's integration tests (one binary, as every crate of the workspace has).

mod emulated_kernel;
