//! The MLP forward pass that `profile-simulation` times: Python whestbench's `run_mlp`,
//! `x ← max(x · W_l, 0)` layer by layer, written with flopscope tensors so it costs what a
//! flopscope user's forward pass costs (f32 GEMM kernels plus accounting).

use flopscope::Tensor;

/// The weight tensors of a flat layer-major, row-major buffer (as [`whest_contest::mlp_gen`] makes):
/// `depth` f32 tensors of shape `(width, width)`.
///
/// FLOPs: flopscope's `array` copy, `depth · width²` (charged to the open context).
///
/// # Panics
/// If `weights.len() != depth · width²`.
pub fn weight_tensors(weights: &[f32], width: usize, depth: usize) -> Vec<Tensor> {
    assert_eq!(
        weights.len(),
        depth * width * width,
        "weight_tensors: expected depth·width² values"
    );
    if width == 0 {
        return Vec::new();
    }
    weights
        .chunks_exact(width * width)
        .map(|layer| Tensor::from_vec(layer.to_vec(), [width, width]))
        .collect()
}

/// `run_mlp`: the final-layer activations of `inputs` (shape `(n, w)`, f32) through every
/// layer, `x ← maximum(x · W_l, 0)`. Returns shape `(n, w)`.
///
/// FLOPs per layer (flopscope prices, f32 rate 1): `(2w − 1)·n·w` for the product plus `n·w`
/// for the ReLU.
///
/// # Panics
/// As `Tensor::matmul` on mismatched shapes, or when the open budget runs out.
pub fn run_mlp(weights: &[Tensor], inputs: &Tensor) -> Tensor {
    weights
        .iter()
        .fold(inputs.clone(), |x, w| x.matmul(w).maximum_scalar(0.0))
}

/// `n × width` f32 standard normals from `rng` (numpy's f32 ziggurat) as a tensor.
///
/// FLOPs: flopscope's `array` copy, `n · width`.
pub fn normal_inputs(rng: &mut flopscope::random::Pcg64, n: usize, width: usize) -> Tensor {
    let mut x = vec![0f32; n * width];
    rng.fill_standard_normal_f32(&mut x);
    Tensor::from_vec(x, [n, width])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forward_pass_is_relu_of_products() {
        // Its own context: sibling tests open theirs on other threads at the same time.
        let _ctx = flopscope::BudgetContext::new(1 << 40).expect("a fresh context opens");
        // One layer, w = 2: W = [[1, -1], [2, 0.5]]; x = [1, 1] → x·W = [3, -0.5] → [3, 0].
        let w = weight_tensors(&[1.0, -1.0, 2.0, 0.5], 2, 1);
        let x = Tensor::from_vec(vec![1.0f32, 1.0], [1, 2]);
        let y = run_mlp(&w, &x);
        assert_eq!(y.shape(), &[1, 2]);
        assert_eq!(y.dtype(), flopscope::DType::F32);
        assert_eq!(y.to_vec::<f32>(), vec![3.0, 0.0]);
        // Two layers of the identity keep non-negative inputs.
        let eye = weight_tensors(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0], 2, 2);
        let x = Tensor::from_vec(vec![0.5f32, -2.0], [1, 2]);
        assert_eq!(run_mlp(&eye, &x).to_vec::<f32>(), vec![0.5, 0.0]);
    }
}
