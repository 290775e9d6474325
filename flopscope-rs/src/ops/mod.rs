//! Tensor operators, one module per op family. Each family charges through
//! [`crate::budget::counted`] before its kernel runs.

pub(crate) mod broadcast;
mod creation;
pub(crate) mod einsum;
pub(crate) mod elementwise;
mod fill_diagonal_values;
pub mod index;
mod matmul;
mod movement;
mod operators;
mod reduce;
mod sort;
