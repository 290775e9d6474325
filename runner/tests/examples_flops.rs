//! FLOP and numeric parity of the reference estimators in `examples/` with their Python
//! originals (whestbench 0.16.2 `estimators.py` and the starter kit's random and Monte-Carlo
//! estimators) on the same MLPs.
//!
//! Every number below was probed with the Python reference on this machine: the MLP of a
//! protocol-3.0 input seed (`derive_seed_streams(seed)` → `sample_mlp(w, d,
//! default_rng(weight_ss), seed=est)`, which `mlp_gen::generate_from_input_seed` reproduces bit
//! for bit), one `predict(mlp, budget)` inside `flopscope.BudgetContext(budget)`, then
//! `ctx.flops_used` and the prediction's row sums and first values of the last row.

use combined_estimator::CombinedEstimator;
use covariance_propagation_estimator::CovariancePropagationEstimator;
use estimator_api::{Estimator, Mlp};
use flopscope::{catch_budget, BudgetContext, BudgetError, BudgetExhausted, Tensor};
use mean_propagation_estimator::MeanPropagationEstimator;
use monte_carlo_estimator::MonteCarloEstimator;
use random_estimator::RandomEstimator;
use whest_contest::mlp_gen::generate_from_input_seed;

/// The contest budget, 2^41 FLOPs.
const CONTEST_BUDGET: u64 = 1 << 41;

/// Runs test-side tensor work (building MLPs, reading predictions) in a throwaway explicit
/// context: flopscope refuses tensor ops outside any context while another test thread has one
/// open, and the measured `predict` gets a fresh context of its own.
fn off_the_books<T>(f: impl FnOnce() -> T) -> T {
    let _scratch = BudgetContext::new(u64::MAX / 4).expect("no context is open on this thread");
    f()
}

/// The MLP of protocol-3.0 input seed `input_seed`, with every weight multiplied by
/// `2^scale_exp` (exact in f32; Python: `fnp.array(W * 2.0**scale_exp)`).
fn mlp(input_seed: u64, width: usize, depth: usize, scale_exp: i32) -> Mlp {
    let g = generate_from_input_seed(input_seed, width, depth);
    let scale = 2f32.powi(scale_exp);
    let weights = off_the_books(|| {
        (0..depth)
            .map(|l| {
                let layer: Vec<f32> = g.layer(l).iter().map(|&x| x * scale).collect();
                Tensor::from_vec(layer, [width, width])
            })
            .collect()
    });
    Mlp::new(width, depth, weights, g.mlp_seed, "").expect("a generated MLP is valid")
}

/// One `predict` inside a fresh `BudgetContext(budget)`: the prediction and the FLOPs charged,
/// or the budget error it stopped with.
fn charge<E: Estimator>(mlp: &Mlp, budget: u64) -> Result<(Tensor, u64), BudgetError> {
    let mut estimator = E::default();
    let ctx = BudgetContext::new(budget)?;
    let prediction = catch_budget(|| estimator.predict(mlp, budget))?;
    Ok((prediction, ctx.flops_used()))
}

/// The FLOPs `E` charges on `mlp` under `budget` (panics if the budget runs out).
fn flops<E: Estimator>(mlp: &Mlp, budget: u64) -> u64 {
    charge::<E>(mlp, budget).expect("the budget suffices").1
}

/// The exhaustion `E` stops with on `mlp` under `budget`.
fn exhaustion<E: Estimator>(mlp: &Mlp, budget: u64) -> BudgetExhausted {
    match charge::<E>(mlp, budget) {
        Err(BudgetError::Exhausted(e)) => e,
        Err(other) => panic!("expected budget exhaustion, got {other}"),
        Ok((_, used)) => panic!("expected budget exhaustion, but {used} FLOPs sufficed"),
    }
}

/// Asserts `actual` equals `expected` within relative tolerance `rel` (element by element).
fn assert_close(what: &str, actual: &[f64], expected: &[f64], rel: f64) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= rel * e.abs(),
            "{what}[{i}]: got {a:e}, Python {e:e} (relative tolerance {rel:e})"
        );
    }
}

/// Row sums and the first four values of the last row, as f64.
fn fingerprint(prediction: &Tensor) -> (Vec<f64>, Vec<f64>) {
    let (d, w) = (prediction.shape()[0], prediction.shape()[1]);
    let flat = off_the_books(|| prediction.astype(flopscope::DType::F64).to_vec::<f64>());
    let sums = flat.chunks(w).map(|r| r.iter().sum()).collect();
    (sums, flat[(d - 1) * w..(d - 1) * w + 4].to_vec())
}

/// Checks `E`'s charge and prediction on `mlp` against the Python probe.
fn assert_matches_python<E: Estimator>(
    mlp: &Mlp,
    budget: u64,
    python_flops: u64,
    python_row_sums: &[f64],
    python_last4: &[f64],
    rel: f64,
) {
    let (prediction, used) = charge::<E>(mlp, budget).expect("the budget suffices");
    assert_eq!(used, python_flops, "FLOPs charged");
    assert_eq!(prediction.shape(), [mlp.depth, mlp.width]);
    let (sums, last4) = fingerprint(&prediction);
    assert_close("row sums", &sums, python_row_sums, rel);
    assert_close("last row", &last4, python_last4, rel);
}

#[test]
fn the_probe_mlps_are_the_python_ones() {
    assert_eq!(mlp(1001, 4, 1, 0).seed, 3_622_263_192);
    assert_eq!(mlp(2002, 4, 1, 0).seed, 3_259_458_125);
}

// ---------------------------------------------------------------------------------------------
// Mean propagation: d·(9w² + 176w) + 2w + 2dw
// ---------------------------------------------------------------------------------------------

#[test]
fn mean_propagation_charges_and_predicts_as_python() {
    assert_matches_python::<MeanPropagationEstimator>(
        &mlp(1001, 64, 4, 0),
        CONTEST_BUDGET,
        193_152,
        &[
            36.07802411865313,
            35.99354483073151,
            33.85061177148524,
            32.71516378247822,
        ],
        &[
            1.9800586283369765,
            0.21015168113777952,
            0.052007304323366046,
            0.2861310543266382,
        ],
        1e-9,
    );
    assert_matches_python::<MeanPropagationEstimator>(
        &mlp(1001, 256, 8, 0),
        CONTEST_BUDGET,
        5_083_648,
        &[
            144.64338849113614,
            143.61551266174445,
            141.50218342899157,
            145.39235658662477,
            160.25219660267783,
            129.22314282152064,
            142.63013459587893,
            134.70316756805903,
        ],
        &[
            0.8343862430553455,
            0.015587027500897327,
            0.03756919431172982,
            0.0017073521802004853,
        ],
        1e-9,
    );
    assert_eq!(
        flops::<MeanPropagationEstimator>(&mlp(2002, 64, 4, 0), CONTEST_BUDGET),
        193_152
    );
}

#[test]
fn mean_propagation_at_the_contest_shape_charges_the_spec_total() {
    // The reference docs: 153,913,344 at 1024×16 (probed: the same).
    assert_eq!(
        flops::<MeanPropagationEstimator>(&mlp(1001, 1024, 16, 0), CONTEST_BUDGET),
        153_913_344
    );
}

// ---------------------------------------------------------------------------------------------
// Covariance propagation: d·(8w³ + 2.5w² + 197.5w + 30) + 2w + 2dw
// ---------------------------------------------------------------------------------------------

#[test]
fn covariance_propagation_charges_and_predicts_as_python() {
    assert_matches_python::<CovariancePropagationEstimator>(
        &mlp(1001, 64, 4, 0),
        CONTEST_BUDGET,
        8_480_888,
        &[
            36.07802409813349,
            36.44130947805726,
            34.068492646068215,
            32.50014207414685,
        ],
        &[
            1.9881602176573643,
            0.267904625062857,
            0.07874624388818219,
            0.22264345176787945,
        ],
        1e-9,
    );
    assert_matches_python::<CovariancePropagationEstimator>(
        &mlp(1001, 256, 8, 0),
        CONTEST_BUDGET,
        1_075_461_872,
        &[
            144.64338849534136,
            143.65928345429163,
            141.6887239376838,
            145.26365924500675,
            159.48216793320398,
            128.47081923514503,
            141.60650486508626,
            133.74416366362496,
        ],
        &[
            0.8002181202341703,
            0.0388238979472237,
            0.03986256759419608,
            0.0034578724557184602,
        ],
        1e-9,
    );
    assert_eq!(
        flops::<CovariancePropagationEstimator>(&mlp(2002, 64, 4, 0), CONTEST_BUDGET),
        8_480_888
    );
}

#[test]
fn covariance_propagation_rescales_variances_above_1e100() {
    // Unscaled, the 16×6 MLP never reaches the threshold: 219,812 FLOPs.
    assert_eq!(
        flops::<CovariancePropagationEstimator>(&mlp(1001, 16, 6, 0), CONTEST_BUDGET),
        219_812
    );
    // Weights × 2^66 multiply the variances by ~2^132 per layer: one rescale (sqrt 2, the two
    // divides 2w + 2w², log 32 = +578), and the means are reported in the original units.
    assert_matches_python::<CovariancePropagationEstimator>(
        &mlp(1001, 16, 6, 66),
        CONTEST_BUDGET,
        220_390,
        &[
            7.247881492052965e+20,
            6.292796682123833e+40,
            3.297394868414385e+60,
            3.916815666429166e+80,
            3.385283678895687e+100,
            2.053300759687079e+120,
        ],
        &[
            4.287150251540574e+117,
            1.2508856375691501e+119,
            2.069041753753088e+119,
            1.134608609781884e+118,
        ],
        1e-9,
    );
}

#[test]
fn covariance_propagation_at_the_contest_shape_charges_the_spec_total() {
    // The reference docs: 137,484,167,648 at 1024×16 (probed: the same; 7.8 s in Python here).
    assert_eq!(
        flops::<CovariancePropagationEstimator>(&mlp(1001, 1024, 16, 0), CONTEST_BUDGET),
        137_484_167_648
    );
}

// ---------------------------------------------------------------------------------------------
// Combined: covariance when budget >= 30·w², else mean — and the rule's known weakness
// ---------------------------------------------------------------------------------------------

#[test]
fn combined_routes_by_budget_exactly_as_python() {
    // 2^41 ≥ 30·256²: covariance propagation, charged exactly as above.
    assert_eq!(
        flops::<CombinedEstimator>(&mlp(1001, 256, 8, 0), CONTEST_BUDGET),
        1_075_461_872
    );
    // 64×2: 30·64² = 122,880. One FLOP below routes to mean propagation, which fits (96,640)
    // and predicts what mean propagation predicts.
    assert_matches_python::<CombinedEstimator>(
        &mlp(1001, 64, 2, 0),
        122_879,
        96_640,
        &[36.07802411865313, 35.99354483073151],
        &[
            1.0724481517664808,
            1.8891677803896134,
            0.09282588688231752,
            0.15965668260024923,
        ],
        1e-9,
    );
}

#[test]
fn combined_keeps_the_reference_routing_weakness() {
    // At exactly 30·w² it picks covariance propagation, which cannot fit: Python stops with
    // "matmul would cost 1,040,384 FLOPs but only 106,370 remain".
    let e = exhaustion::<CombinedEstimator>(&mlp(1001, 64, 2, 0), 122_880);
    assert_eq!((e.op, e.cost, e.remaining), ("matmul", 1_040_384, 106_370));
    // 256×8 at 30·256² = 1,966,080: covariance again, out of budget at the first Wᵀ Σ product.
    let e = exhaustion::<CombinedEstimator>(&mlp(1001, 256, 8, 0), 1_966_080);
    assert_eq!(
        (e.op, e.cost, e.remaining),
        ("matmul", 66_977_792, 1_703_426)
    );
    // One FLOP less routes to mean propagation, which does not fit at depth 8 either.
    let e = exhaustion::<CombinedEstimator>(&mlp(1001, 256, 8, 0), 1_966_079);
    assert_eq!((e.op, e.cost, e.remaining), ("matmul", 261_632, 60_927));
}

// ---------------------------------------------------------------------------------------------
// Random (starter kit 01): uniform(0, 1) of shape (d, w) from default_rng(mlp.seed), as f32
// ---------------------------------------------------------------------------------------------

#[test]
fn random_charges_and_draws_as_python() {
    let m = mlp(1001, 64, 4, 0);
    let (prediction, used) = charge::<RandomEstimator>(&m, CONTEST_BUDGET).expect("fits");
    assert_eq!(used, 2_048);
    assert_eq!(prediction.dtype(), flopscope::DType::F32);
    let (sums, last4) = fingerprint(&prediction);
    // The draws are numpy's bit for bit, so the f32 values are equal, not just close.
    assert_eq!(
        last4,
        [
            0.8088150024414062,
            0.28593385219573975,
            0.09182067960500717,
            0.9128019213676453
        ]
    );
    assert_close(
        "row sums",
        &sums,
        &[
            31.996299063786864,
            33.25181195978075,
            30.697265150025487,
            33.49283188581467,
        ],
        1e-12,
    );
    assert_eq!(
        flops::<RandomEstimator>(&mlp(1001, 1024, 16, 0), CONTEST_BUDGET),
        131_072
    );
}

// ---------------------------------------------------------------------------------------------
// Monte Carlo: n = (budget − d·w) / (34w + d·(2w² + w)) samples from default_rng(mlp.seed)
// ---------------------------------------------------------------------------------------------

#[test]
fn monte_carlo_fills_the_budget_as_python() {
    // f32 products and means sum in a different order than numpy, hence the looser tolerance.
    assert_matches_python::<MonteCarloEstimator>(
        &mlp(2002, 64, 4, 0),
        100_000_000,
        99_968_256,
        &[
            35.72173884510994,
            35.615198723971844,
            27.780386856989935,
            31.468537991167977,
        ],
        &[
            1.739232063293457,
            0.4851043224334717,
            0.05533743277192116,
            0.5317243337631226,
        ],
        1e-4,
    );
    assert_matches_python::<MonteCarloEstimator>(
        &mlp(1001, 256, 8, 0),
        10_000_000_000,
        9_998_999_040,
        &[
            144.5382414162159,
            143.09401444345713,
            141.0376542788872,
            144.40423548237595,
            158.38377483774457,
            127.39873566490814,
            140.4444739522196,
            132.61208328439625,
        ],
        &[
            0.7907915115356445,
            0.03810802847146988,
            0.044938523322343826,
            0.002083895727992058,
        ],
        1e-4,
    );
    assert_eq!(
        flops::<MonteCarloEstimator>(&mlp(1001, 64, 4, 0), 1_000_000_000),
        999_997_056
    );
}
