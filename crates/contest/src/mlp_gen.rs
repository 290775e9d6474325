//! MLP generation: He-initialised weights and the per-MLP seed streams of the Python reference.
//!
//! Every MLP owns three random streams, all children of one numpy `SeedSequence`:
//!
//! | child | use |
//! |---|---|
//! | 0 | weight generator (`PCG64`, f64 normals × √(2/w) rounded to f32) |
//! | 1 | Monte-Carlo input generator of the ground truth ([`crate::ground_truth`]) |
//! | 2 | the participant-facing seed `mlp.seed = child.generate_state(1)[0]` (protocol 3.0) |
//!
//! Protocol 3.0 datasets spawn the three children from the MLP's own input seed
//! ([`generate_from_input_seed`]); the live contest path spawns `3·n` children from the run seed
//! in one flat spawn ([`generate_live`]). Everything is bit-identical to numpy 2.4.

use std::sync::Arc;

use flopscope::random::{Pcg64, SeedSequence};

/// One generated MLP: its weights plus the seeds the rest of a run needs.
///
/// `weights` holds the `depth` square `width × width` matrices layer-major and row-major:
/// `W_l[i][j]` (input `i` → output `j` of layer `l`) is at `l·w² + i·w + j`, so a row-vector
/// forward pass is `h_{l+1} = max(0, h_l · W_l)`.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedMlp {
    /// Flat f32 weights, length `depth · width²` (layout above); shared, so runners lend them to
    /// an estimator without copying.
    pub weights: Arc<[f32]>,
    /// Neurons per layer, `w`.
    pub width: usize,
    /// Number of weight matrices, `d`.
    pub depth: usize,
    /// The participant-facing seed (`mlp.seed`): a uint32 for seeded paths, 0 when unseeded.
    pub mlp_seed: u64,
    /// The seed sequence of the Monte-Carlo sample stream: seed a [`Pcg64`] with it
    /// ([`GeneratedMlp::sample_rng`]) to draw the ground-truth inputs.
    pub sample_seed: SeedSequence,
}

impl GeneratedMlp {
    /// The `width × width` row-major matrix of layer `l` (`W_l[i][j]` at `i·w + j`).
    ///
    /// # Panics
    /// If `l >= depth`.
    pub fn layer(&self, l: usize) -> &[f32] {
        assert!(
            l < self.depth,
            "layer {l} out of range for depth {}",
            self.depth
        );
        let w2 = self.width * self.width;
        &self.weights[l * w2..(l + 1) * w2]
    }

    /// A fresh generator for this MLP's Monte-Carlo inputs (`default_rng(sample_seed)`).
    pub fn sample_rng(&self) -> Pcg64 {
        Pcg64::from_seed_sequence(&self.sample_seed)
    }
}

/// He initialisation `N(0, 2/w)` as whestbench does it: draws `depth · width²` f64 standard normals from
/// `rng` in order (layer by layer, each layer row-major), multiplies each by `sqrt(2.0/w)` in f64
/// and rounds to f32.
///
/// Returns the flat layer-major, row-major buffer of [`GeneratedMlp::weights`], written in place
/// (never copied). A zero `width` or `depth` returns an empty buffer and draws nothing.
///
/// # Panics
/// If `depth · width²` overflows `usize`.
pub fn sample_weights(rng: &mut Pcg64, width: usize, depth: usize) -> Arc<[f32]> {
    let len = width
        .checked_mul(width)
        .and_then(|w2| w2.checked_mul(depth))
        .expect("sample_weights: depth·width² overflows usize");
    if len == 0 {
        return Arc::from([]);
    }
    let scale = (2.0 / width as f64).sqrt();
    let mut normals = vec![0.0f64; width * width];
    let mut out = Arc::<[f32]>::new_uninit_slice(len);
    let slots = Arc::get_mut(&mut out).expect("a new Arc has no other owner");
    for layer in slots.chunks_exact_mut(width * width) {
        rng.fill_standard_normal_f64(&mut normals);
        for (slot, &z) in layer.iter_mut().zip(&normals) {
            slot.write((z * scale) as f32);
        }
    }
    // SAFETY: the `depth` chunks of `width²` cover all `len` slots, and each was written above.
    unsafe { out.assume_init() }
}

/// The three per-MLP streams of a protocol-3.0 input seed `s`:
/// `children = SeedSequence(s).spawn(3)` → `(weights child, samples child, mlp.seed)` where
/// `mlp.seed = children[2].generate_state(1)[0]`.
pub fn derive_seed_streams(input_seed: u64) -> (SeedSequence, SeedSequence, u32) {
    let mut kids = SeedSequence::new(u128::from(input_seed)).spawn(3);
    let est = kids[2].generate_state_u32(1)[0];
    kids.truncate(2);
    let samples = kids.pop().expect("spawn(3) has three children");
    let weights = kids.pop().expect("spawn(3) has three children");
    (weights, samples, est)
}

/// The protocol-3.0 participant seed of input seed `s`:
/// `SeedSequence(s).spawn(3)[2].generate_state(1)[0]` (e.g. 1001 → 3622263192).
pub fn estimator_seed_v3(input_seed: u64) -> u32 {
    derive_seed_streams(input_seed).2
}

/// The MLP of a protocol-3.0 dataset row with input seed `s`: weights from
/// `children[0]`, Monte-Carlo stream `children[1]`, `mlp_seed` from `children[2]`.
///
/// Shape: `weights.len() == depth · width²` (empty when either is 0).
///
/// # Panics
/// If `depth · width²` overflows `usize`.
pub fn generate_from_input_seed(input_seed: u64, width: usize, depth: usize) -> GeneratedMlp {
    let (weight_ss, sample_seed, est) = derive_seed_streams(input_seed);
    let mut rng = Pcg64::from_seed_sequence(&weight_ss);
    GeneratedMlp {
        weights: sample_weights(&mut rng, width, depth),
        width,
        depth,
        mlp_seed: u64::from(est),
        sample_seed,
    }
}

/// The participant seeds of the live contest path without generating weights:
/// with run seed `S`, `kids = SeedSequence(S).spawn(3n)` and MLP `i` gets
/// `kids[3i+2].generate_state(1)[0]`; without a seed every MLP gets 0.
pub fn live_mlp_seeds(seed: Option<u64>, n_mlps: usize) -> Vec<u64> {
    match seed {
        Some(s) => {
            let kids = SeedSequence::new(u128::from(s)).spawn(3 * n_mlps);
            kids.chunks_exact(3)
                .map(|k| u64::from(k[2].generate_state_u32(1)[0]))
                .collect()
        }
        None => vec![0; n_mlps],
    }
}

/// The MLPs of a live contest run (`whest run` without `--dataset`).
///
/// - `Some(S)`: one flat spawn `kids = SeedSequence(S).spawn(3·n_mlps)`; MLP `i` draws its
///   weights from `kids[3i]`, its Monte-Carlo inputs from `kids[3i+1]`, and
///   `mlp_seed = kids[3i+2].generate_state(1)[0]`.
/// - `None`: weights and samples come from fresh OS-entropy sequences (not reproducible) and
///   every `mlp_seed` is 0.
///
/// Shape: `n_mlps` MLPs, each with `depth · width²` weights.
///
/// # Panics
/// If `depth · width²` overflows `usize`.
pub fn generate_live(
    seed: Option<u64>,
    n_mlps: usize,
    width: usize,
    depth: usize,
) -> Vec<GeneratedMlp> {
    match seed {
        Some(s) => {
            let kids = SeedSequence::new(u128::from(s)).spawn(3 * n_mlps);
            kids.chunks_exact(3)
                .map(|k| {
                    let mut rng = Pcg64::from_seed_sequence(&k[0]);
                    GeneratedMlp {
                        weights: sample_weights(&mut rng, width, depth),
                        width,
                        depth,
                        mlp_seed: u64::from(k[2].generate_state_u32(1)[0]),
                        sample_seed: k[1].clone(),
                    }
                })
                .collect()
        }
        None => (0..n_mlps)
            .map(|_| {
                let mut rng = Pcg64::from_seed_sequence(&SeedSequence::from_os_entropy());
                GeneratedMlp {
                    weights: sample_weights(&mut rng, width, depth),
                    width,
                    depth,
                    mlp_seed: 0,
                    sample_seed: SeedSequence::from_os_entropy(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference fixture: `W_0[0]` of input seed 1001 at w=4 (f32 values, written as the f64
    /// digits numpy prints for them).
    const W0_ROW0_SEED_1001: [f64; 4] = [
        -0.5708025693893433,
        1.291426420211792,
        -0.4143601953983307,
        0.12275725603103638,
    ];

    /// Widens an f32 slice so it compares with the f64 digits of the spec.
    fn wide(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| f64::from(x)).collect()
    }

    #[test]
    fn weights_of_seed_1001_match_numpy() {
        let mlp = generate_from_input_seed(1001, 4, 2);
        assert_eq!(mlp.weights.len(), 2 * 16);
        assert_eq!(wide(&mlp.layer(0)[..4]), W0_ROW0_SEED_1001);
        assert_eq!(mlp.mlp_seed, 3_622_263_192);
    }

    #[test]
    fn weights_of_seed_2002_match_the_fixture() {
        let mlp = generate_from_input_seed(2002, 4, 2);
        let want = [
            1.1822022199630737,
            -0.9812465310096741,
            -0.017285212874412537,
            0.967278778553009,
        ];
        assert_eq!(wide(&mlp.layer(0)[..4]), want);
    }

    #[test]
    fn weights_are_f64_normals_scaled_then_rounded() {
        // first four f64 normals of the seed-1001 weight stream.
        let z = [
            -0.8072367449685911,
            1.8263527463215385,
            -0.5859938234163369,
            0.17360497673615566,
        ];
        let scale = (2.0f64 / 4.0).sqrt();
        let want: Vec<f64> = z.iter().map(|&v| f64::from((v * scale) as f32)).collect();
        assert_eq!(want, W0_ROW0_SEED_1001);
    }

    #[test]
    fn protocol_3_estimator_seeds() {
        for (seed, want) in [
            (1001, 3_622_263_192u32),
            (2002, 3_259_458_125),
            (3003, 4_076_086_378),
            (4004, 755_867),
        ] {
            assert_eq!(estimator_seed_v3(seed), want, "seed {seed}");
            assert_eq!(
                generate_from_input_seed(seed, 2, 1).mlp_seed,
                u64::from(want)
            );
        }
    }

    #[test]
    fn sample_stream_is_child_one() {
        // first four f32 normals of the seed-1001 sample stream.
        let mlp = generate_from_input_seed(1001, 4, 1);
        let mut rng = mlp.sample_rng();
        let mut x = [0.0f32; 4];
        rng.fill_standard_normal_f32(&mut x);
        assert_eq!(x, [-0.43955085, 1.207312, 0.18384778, -0.6284011]);
    }

    #[test]
    fn live_path_uses_one_flat_spawn() {
        let mlps = generate_live(Some(7), 2, 4, 2);
        assert_eq!(
            mlps.iter().map(|m| m.mlp_seed).collect::<Vec<_>>(),
            vec![3_831_650_445, 1_370_054_118]
        );
        assert_eq!(
            live_mlp_seeds(Some(7), 2),
            vec![3_831_650_445, 1_370_054_118]
        );
        // MLP 1's weights come from kids[3], its samples from kids[4].
        let kids = SeedSequence::new(7).spawn(6);
        let mut rng = Pcg64::from_seed_sequence(&kids[3]);
        assert_eq!(mlps[1].weights, sample_weights(&mut rng, 4, 2));
        assert_eq!(mlps[1].sample_seed, kids[4]);
    }

    #[test]
    fn unseeded_live_mlps_have_seed_zero_and_differ() {
        let mlps = generate_live(None, 2, 4, 1);
        assert!(mlps.iter().all(|m| m.mlp_seed == 0));
        assert_ne!(mlps[0].weights, mlps[1].weights);
        assert_eq!(live_mlp_seeds(None, 3), vec![0, 0, 0]);
    }

    #[test]
    fn layers_continue_the_same_stream() {
        let two = generate_from_input_seed(42, 3, 2);
        let one = generate_from_input_seed(42, 3, 1);
        assert_eq!(two.layer(0), one.layer(0));
        let (weight_ss, _, _) = derive_seed_streams(42);
        let mut rng = Pcg64::from_seed_sequence(&weight_ss);
        let mut z = [0.0f64; 18];
        rng.fill_standard_normal_f64(&mut z);
        let scale = (2.0f64 / 3.0).sqrt();
        assert_eq!(two.layer(1)[0], (z[9] * scale) as f32);
    }

    #[test]
    fn empty_shapes_draw_nothing() {
        let mut rng = Pcg64::from_seed(1);
        assert!(sample_weights(&mut rng, 0, 5).is_empty());
        assert!(sample_weights(&mut rng, 5, 0).is_empty());
        assert_eq!(rng, Pcg64::from_seed(1));
    }
}
