//! `+ - * /` and unary `-` for `Tensor`, `&Tensor` and Rust scalars in both orders.
//!
//! Each operator is the corresponding counted op (`add`, `subtract`, `multiply`, `true_divide`,
//! `negative`): FLOPs = numel of the broadcast output × rate of the result dtype. Rust scalars
//! are weak (`f32_tensor * 2.0` stays `f32`). Scalar operands are `f64` and `i64` only, so a
//! bare literal (`2.0`, `3`) is never ambiguous; write `x as f64` for an `f32` variable.

use std::ops::{Add, Div, Mul, Neg, Sub};

use super::elementwise::{binary, unary, AddK, DivK, MulK, NegK, Operand, SubK};
use crate::dtype::WeakScalar;
use crate::tensor::Tensor;

macro_rules! tensor_binop {
    ($trait:ident, $method:ident, $kernel:ty) => {
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                binary::<$kernel>(Operand::Tensor(self), Operand::Tensor(rhs))
            }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                binary::<$kernel>(Operand::Tensor(self), Operand::Tensor(&rhs))
            }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                binary::<$kernel>(Operand::Tensor(&self), Operand::Tensor(rhs))
            }
        }
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                binary::<$kernel>(Operand::Tensor(&self), Operand::Tensor(&rhs))
            }
        }
        tensor_binop!(@scalars $trait, $method, $kernel, f64, i64);
    };
    (@scalars $trait:ident, $method:ident, $kernel:ty, $($s:ty),*) => {$(
        impl $trait<$s> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $s) -> Tensor {
                binary::<$kernel>(Operand::Tensor(self), Operand::Scalar(WeakScalar::from(rhs)))
            }
        }
        impl $trait<$s> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $s) -> Tensor {
                binary::<$kernel>(Operand::Tensor(&self), Operand::Scalar(WeakScalar::from(rhs)))
            }
        }
        impl $trait<&Tensor> for $s {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                binary::<$kernel>(Operand::Scalar(WeakScalar::from(self)), Operand::Tensor(rhs))
            }
        }
        impl $trait<Tensor> for $s {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                binary::<$kernel>(Operand::Scalar(WeakScalar::from(self)), Operand::Tensor(&rhs))
            }
        }
    )*};
}

tensor_binop!(Add, add, AddK);
tensor_binop!(Sub, sub, SubK);
tensor_binop!(Mul, mul, MulK);
tensor_binop!(Div, div, DivK);

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        unary::<NegK>(self)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        unary::<NegK>(&self)
    }
}
