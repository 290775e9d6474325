//! `fill_diagonal` with an array of values (numpy `np.fill_diagonal(a, values)`), as the
//! reference covariance propagation uses to put the post-ReLU variances on the diagonal.

use super::movement::fill_diagonal_walk;
use crate::budget::{counted, exact, Op};
use crate::element::Buffer;
use crate::tensor::Tensor;

/// Writes `values[i % len]` at positions `i · step` for `i < cells` (numpy cycles short value
/// arrays); an empty `values` writes nothing. `values` already has `buf`'s dtype.
fn write_cycled<T: Copy>(dst: &mut [T], values: &[T], cells: usize, step: usize) {
    if values.is_empty() {
        return;
    }
    for i in 0..cells {
        dst[i * step] = values[i % values.len()];
    }
}

impl Tensor {
    /// A copy with the main diagonal set from `values` (numpy `np.fill_diagonal(a, values)`,
    /// which works in place; flopscope tensors are immutable, so a new tensor is returned).
    /// `values` is read flat and cycled when shorter than the diagonal, as numpy does; an empty
    /// `values` leaves the tensor unchanged. Values are cast to the tensor's dtype (truncated
    /// for int64, `!= 0` for bool).
    ///
    /// Shape contract: `self` at least 2-D (beyond 2-D all axes of equal length); `values` any
    /// shape. The result has `self`'s shape and dtype.
    /// FLOPs: the cells written, `min(m, n)` × rate of `self`'s dtype (independent of `values`),
    /// under `fill_diagonal`. The result is untagged (a write voids flopscope's tag).
    ///
    /// # Panics
    /// If `self` is less than 2-D, or more than 2-D with unequal axis lengths.
    pub fn fill_diagonal_with(&self, values: &Tensor) -> Tensor {
        let (cells, step) = fill_diagonal_walk(&self.shape);
        counted(
            exact(Op::FillDiagonal, cells as u64, self.dtype()),
            |charged| {
                let mut buf = (*self.buf).clone();
                let vals = values.buf.cast_if(self.dtype());
                match (&mut buf, &*vals) {
                    (Buffer::F32(d), Buffer::F32(v)) => write_cycled(d, v, cells, step),
                    (Buffer::F64(d), Buffer::F64(v)) => write_cycled(d, v, cells, step),
                    (Buffer::I64(d), Buffer::I64(v)) => write_cycled(d, v, cells, step),
                    (Buffer::Bool(d), Buffer::Bool(v)) => write_cycled(d, v, cells, step),
                    _ => unreachable!("values were cast to the tensor's dtype"),
                }
                Tensor::from_buffer(charged, buf, self.shape)
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::{BudgetContext, DType, Tensor};

    fn f64s(v: &[f64]) -> Tensor {
        Tensor::from_vec(v.to_vec(), [v.len()])
    }

    /// `fill_diagonal_with` of `a` (shape, dtype; zeros) and `values`, built and run in a fresh
    /// context (tensor ops outside any context are refused while other test threads hold one):
    /// (FLOPs of the fill alone, flat result as f64).
    fn probe(shape: &[usize], dtype: DType, values: &[f64]) -> (u64, Vec<f64>) {
        let ctx = BudgetContext::new(1 << 20).unwrap();
        let a = Tensor::zeros(shape, dtype);
        let values = f64s(values);
        let before = ctx.flops_used();
        let out = a.fill_diagonal_with(&values);
        (ctx.flops_used() - before, out.to_vec::<f64>())
    }

    fn diag_of(n: usize, m: usize, flat: &[f64]) -> Vec<f64> {
        (0..n.min(m)).map(|i| flat[i * m + i]).collect()
    }

    /// Costs and results probed from flopscope 0.12.4 (`fnp.fill_diagonal(a, v)` then
    /// `ctx.flops_used`): f64 5×5 ← f64 [1..5] → 10; f32 5×5 ← f64 → 5; 4×6 → 8; 6×3 → 6;
    /// 3×3×3 → 6; 0×0 → 0; a 3-value array cycles; an empty array writes nothing (still 10).
    #[test]
    fn costs_and_values_match_numpy() {
        let (f, v) = probe(&[5, 5], DType::F64, &[1., 2., 3., 4., 5.]);
        assert_eq!(f, 10);
        assert_eq!(diag_of(5, 5, &v), [1., 2., 3., 4., 5.]);
        assert_eq!(v.iter().sum::<f64>(), 15.0);

        let (f, v) = probe(&[5, 5], DType::F32, &[1., 2., 3., 4., 5.]);
        assert_eq!(f, 5);
        assert_eq!(diag_of(5, 5, &v), [1., 2., 3., 4., 5.]);

        let (f, v) = probe(&[5, 5], DType::F64, &[1., 2., 3.]);
        assert_eq!(f, 10);
        assert_eq!(diag_of(5, 5, &v), [1., 2., 3., 1., 2.]);

        let (f, v) = probe(&[4, 6], DType::F64, &[1., 2., 3., 4.]);
        assert_eq!(f, 8);
        assert_eq!(diag_of(4, 6, &v), [1., 2., 3., 4.]);

        let (f, v) = probe(&[6, 3], DType::F64, &[1., 2., 3.]);
        assert_eq!(f, 6);
        assert_eq!(diag_of(6, 3, &v), [1., 2., 3.]);
        assert_eq!(v.iter().sum::<f64>(), 6.0);

        let (f, v) = probe(&[3, 3, 3], DType::F64, &[1., 2., 3.]);
        assert_eq!(f, 6);
        assert_eq!((v[0], v[13], v[26]), (1., 2., 3.));

        let (f, v) = probe(&[0, 0], DType::F64, &[1., 2., 3.]);
        assert_eq!((f, v.len()), (0, 0));

        let (f, v) = probe(&[5, 5], DType::F64, &[]);
        assert_eq!(f, 10);
        assert!(v.iter().all(|&x| x == 0.0));
    }

    /// numpy casts the values to the array's dtype: `[1.7, -2.5, 3.2]` into int64 → 1, -2, 3
    /// (6 FLOPs at the int64 rate).
    #[test]
    fn values_are_cast_to_the_tensor_dtype() {
        let ctx = BudgetContext::new(100).unwrap();
        let a = Tensor::zeros([3, 3], DType::I64);
        let values = f64s(&[1.7, -2.5, 3.2]);
        let before = ctx.flops_used();
        let out = a.fill_diagonal_with(&values);
        assert_eq!(ctx.flops_used() - before, 6);
        assert_eq!(out.dtype(), DType::I64);
        assert_eq!(out.to_vec::<i64>(), [1, 0, 0, 0, -2, 0, 0, 0, 3]);
    }

    /// `eye` is tagged symmetric; the write bills the 4 diagonal cells × 2 and drops the tag.
    #[test]
    fn a_write_drops_the_symmetry_tag() {
        let ctx = BudgetContext::new(100).unwrap();
        let eye = Tensor::eye(4, DType::F64);
        let values = f64s(&[1., 2., 3., 4.]);
        let before = ctx.flops_used();
        let out = eye.fill_diagonal_with(&values);
        assert_eq!(ctx.flops_used() - before, 8);
        assert!(!out.is_symmetric());
    }
}
