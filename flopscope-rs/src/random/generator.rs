//! `Generator`: numpy's `default_rng` API over PCG64, producing FLOP-counted tensors.
//!
//! Streams equal numpy 2.4's bit for bit: `default_rng(s).standard_normal(shape)` in Rust draws
//! the same numbers as in Python, so a ported Monte-Carlo estimator reproduces its original.

use super::{Pcg64, SeedSequence};
use crate::budget::{clamped, counted, exact, Op};
use crate::dtype::DType;
use crate::element::Buffer;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// A random generator with numpy `Generator`'s methods and exact streams.
///
/// Creating one is free (flopscope records nothing for `default_rng`); each draw is charged.
#[derive(Clone, Debug)]
pub struct Generator {
    bits: Pcg64,
}

/// numpy `default_rng(seed)`: `Generator(PCG64(SeedSequence(seed)))`. Free.
///
/// ```
/// use flopscope::{random::default_rng, BudgetContext, DType};
/// let ctx = BudgetContext::new(1_000).unwrap();
/// let mut rng = default_rng(42);
/// let x = rng.standard_normal([2, 3], DType::F32); // 16 × 6 × rate 1 = 96 FLOPs
/// assert_eq!(x.shape(), &[2, 3]);
/// assert_eq!(ctx.flops_used(), 96);
/// ```
pub fn default_rng(seed: u64) -> Generator {
    Generator::from_seed_sequence(&SeedSequence::new(seed as u128))
}

impl Generator {
    /// A generator over `PCG64(seed_sequence)`. Free.
    pub fn from_seed_sequence(seed_sequence: &SeedSequence) -> Generator {
        Generator {
            bits: Pcg64::from_seed_sequence(seed_sequence),
        }
    }

    /// A generator seeded from OS entropy (numpy `default_rng()` with no seed). Free.
    pub fn from_entropy() -> Generator {
        Generator::from_seed_sequence(&SeedSequence::from_os_entropy())
    }

    /// The underlying PCG64 bit generator (uncounted raw draws).
    pub fn bit_generator(&mut self) -> &mut Pcg64 {
        &mut self.bits
    }

    /// Standard normal draws (numpy's ziggurat; `F32` uses the single-precision ziggurat).
    ///
    /// Shape contract: returns `shape`. FLOPs: `16 · numel × rate(dtype)`.
    ///
    /// # Panics
    /// If `dtype` is not `F32` or `F64`.
    pub fn standard_normal(&mut self, shape: impl Into<Shape>, dtype: DType) -> Tensor {
        let shape = shape.into();
        let n = shape.numel();
        counted(
            clamped(Op::RandomStandardNormal, n as u64, dtype),
            |charged| match dtype {
                DType::F32 => {
                    let mut v = crate::buffer::filled_vec(n, 0f32);
                    self.bits.fill_standard_normal_f32(&mut v);
                    Tensor::from_elems(charged, v, shape)
                }
                DType::F64 => {
                    let mut v = crate::buffer::filled_vec(n, 0f64);
                    self.bits.fill_standard_normal_f64(&mut v);
                    Tensor::from_elems(charged, v, shape)
                }
                other => panic!("standard_normal: dtype must be float32 or float64, got {other}"),
            },
        )
    }

    /// Normal draws `loc + scale · z` in f64 (numpy `normal`, which ignores float32).
    ///
    /// FLOPs: `16 · numel × 2`.
    pub fn normal(&mut self, loc: f64, scale: f64, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        let n = shape.numel();
        counted(clamped(Op::RandomNormal, n as u64, DType::F64), |charged| {
            let mut v = crate::buffer::filled_vec(n, 0f64);
            self.bits.fill_standard_normal_f64(&mut v);
            for x in &mut v {
                *x = loc + scale * *x;
            }
            Tensor::from_elems(charged, v, shape)
        })
    }

    /// Uniform draws in `[low, high)` as f64 (numpy `uniform`).
    ///
    /// FLOPs: `3 · max(numel, 1) × 2` (an empty draw bills one element, as flopscope).
    ///
    /// # Panics
    /// With numpy's message if `high − low` is negative or not finite.
    pub fn uniform(&mut self, low: f64, high: f64, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        let n = shape.numel();
        counted(
            exact(Op::RandomUniform, 3 * n.max(1) as u64, DType::F64),
            |charged| {
                let mut v = crate::buffer::filled_vec(n, 0f64);
                if let Err(e) = self.bits.fill_uniform_f64(low, high, &mut v) {
                    panic!("uniform: {e}");
                }
                Tensor::from_elems(charged, v, shape)
            },
        )
    }

    /// Uniform draws in `[0, 1)` (numpy `random`, honouring `dtype`).
    ///
    /// FLOPs: `numel × rate(dtype)`.
    ///
    /// # Panics
    /// If `dtype` is not `F32` or `F64`.
    pub fn random(&mut self, shape: impl Into<Shape>, dtype: DType) -> Tensor {
        let shape = shape.into();
        let n = shape.numel();
        counted(
            clamped(Op::RandomRandom, n as u64, dtype),
            |charged| match dtype {
                DType::F32 => {
                    let mut v = crate::buffer::filled_vec(n, 0f32);
                    self.bits.fill_random_f32(&mut v);
                    Tensor::from_elems(charged, v, shape)
                }
                DType::F64 => {
                    let mut v = crate::buffer::filled_vec(n, 0f64);
                    self.bits.fill_random_f64(&mut v);
                    Tensor::from_elems(charged, v, shape)
                }
                other => panic!("random: dtype must be float32 or float64, got {other}"),
            },
        )
    }

    /// Integers in `[low, high)` as int64 (numpy `integers`, Lemire's method).
    ///
    /// FLOPs: `numel × 2`.
    ///
    /// # Panics
    /// With numpy's message if `low >= high`.
    pub fn integers(&mut self, low: i64, high: i64, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        let n = shape.numel();
        counted(
            clamped(Op::RandomIntegers, n as u64, DType::I64),
            |charged| {
                let mut v = crate::buffer::filled_vec(n, 0i64);
                if let Err(e) = self.bits.fill_integers_i64(low, high, &mut v) {
                    panic!("integers: {e}");
                }
                Tensor::from_elems(charged, v, shape)
            },
        )
    }

    /// A random permutation of `0..n` as int64 (numpy `permutation(n)`).
    ///
    /// FLOPs: `4 · n` (weight 4, rate 1).
    pub fn permutation(&mut self, n: usize) -> Tensor {
        counted(
            clamped(Op::RandomPermutation, n as u64, DType::Bool),
            |charged| Tensor::from_elems(charged, self.bits.permutation(n), Shape::new(&[n])),
        )
    }

    /// The rows (axis 0) of `x` in random order (numpy `permutation(x)`).
    ///
    /// FLOPs: `4 · len(x)` (weight 4, rate 1).
    ///
    /// # Panics
    /// If `x` is 0-d.
    pub fn permute_rows(&mut self, x: &Tensor) -> Tensor {
        assert!(x.ndim() >= 1, "permutation: cannot permute a 0-d tensor");
        let rows = x.shape[0];
        counted(
            clamped(Op::RandomPermutation, rows as u64, DType::Bool),
            |charged| {
                let row_len = x.numel() / rows.max(1);
                let mut order: Vec<usize> = (0..rows).collect();
                self.bits.shuffle(&mut order);
                let gather = |src: &[f64]| -> Vec<f64> {
                    order
                        .iter()
                        .flat_map(|&r| src[r * row_len..(r + 1) * row_len].iter().copied())
                        .collect()
                };
                let v = gather(&x.to_vec::<f64>());
                let buf = Buffer::F64(v.into()).cast_if(x.dtype()).into_owned();
                Tensor::from_buffer(charged, buf, x.shape)
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BudgetContext;

    #[test]
    fn standard_normal_matches_numpy_and_bills_16_per_element() {
        let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
        // numpy: default_rng(SeedSequence(1001).spawn(3)[0]) first four f64 normals (spec §2.7).
        let mut root = SeedSequence::new(1001);
        let kids = root.spawn(3);
        let mut rng = Generator::from_seed_sequence(&kids[0]);
        let x = rng.standard_normal([4], DType::F64);
        assert_eq!(
            x.to_vec::<f64>(),
            vec![
                -0.8072367449685911,
                1.8263527463215385,
                -0.5859938234163369,
                0.17360497673615566
            ]
        );
        assert_eq!(ctx.flops_used(), 4 * 16 * 2);
        let mut rng = Generator::from_seed_sequence(&kids[1]);
        let z = rng.standard_normal([4], DType::F32);
        assert_eq!(
            z.to_vec::<f32>(),
            vec![-0.43955085, 1.207312, 0.18384778, -0.6284011]
        );
        assert_eq!(ctx.flops_used(), 4 * 16 * 2 + 4 * 16);
    }

    #[test]
    fn sampler_costs_match_flopscope() {
        let ctx = BudgetContext::new(u64::MAX / 4).unwrap();
        let mut rng = default_rng(1);
        let cost = |f: &mut dyn FnMut()| {
            let before = ctx.flops_used();
            f();
            ctx.flops_used() - before
        };
        assert_eq!(
            cost(&mut || drop(rng.standard_normal([100, 50], DType::F32))),
            80_000
        );
        assert_eq!(
            cost(&mut || drop(rng.standard_normal([100, 50], DType::F64))),
            160_000
        );
        assert_eq!(cost(&mut || drop(rng.normal(0.0, 1.0, [100, 50]))), 160_000);
        assert_eq!(cost(&mut || drop(rng.uniform(0.0, 1.0, [100, 50]))), 30_000);
        assert_eq!(cost(&mut || drop(rng.random([100, 50], DType::F32))), 5_000);
        assert_eq!(
            cost(&mut || drop(rng.random([100, 50], DType::F64))),
            10_000
        );
        assert_eq!(cost(&mut || drop(rng.integers(0, 10, [100, 50]))), 10_000);
        assert_eq!(cost(&mut || drop(rng.integers(0, 10, [100]))), 200);
        assert_eq!(cost(&mut || drop(rng.permutation(100))), 400);
        assert_eq!(cost(&mut || drop(rng.permutation(1))), 4);
        let x = Tensor::zeros([100, 50], DType::F32);
        assert_eq!(cost(&mut || drop(rng.permute_rows(&x))), 400);
        let s = ctx.summary();
        assert_eq!(s.op("random.Generator.uniform").map(|o| o.calls), Some(1));
    }

    #[test]
    fn permutation_matches_numpy() {
        let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
        let mut a = default_rng(7);
        let mut b = default_rng(7);
        assert_eq!(
            a.permutation(10).to_vec::<i64>(),
            b.bit_generator().permutation(10)
        );
    }
}
