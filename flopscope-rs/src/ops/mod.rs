//! Tensor operators, one module per op family. Each op prices its call with a rule of
//! [`crate::budget::pricing`] and runs its kernel inside [`crate::budget::counted`], which
//! charges first and hands the kernel the receipt that building a result tensor requires; the
//! copies flopscope records as no op (`.T`, basic indexing) run inside
//! [`crate::budget::unrecorded`] instead.

pub(crate) mod broadcast;
mod creation;
pub(crate) mod einsum;
pub(crate) mod elementwise;
mod fill_diagonal_values;
pub mod index;
mod matmul;
pub(crate) mod movement;
mod operators;
mod reduce;
mod sort;
