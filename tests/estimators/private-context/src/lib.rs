//! Fault-injection estimator: `predict` hands the weights to a plain `std::thread` that opens
//! a `BudgetContext` of its own (a huge budget) and multiplies matrices in it, so the work
//! would run on flopscope's kernel pool, counted as kernel time, but charged to nobody's
//! budget. The runner opens predict's context exclusive, so the private one is refused and
//! this estimator fails with the refusal's message.

use estimator_api::{export_estimator, Estimator, Mlp};
use flopscope::{BudgetContext, DType, Tensor};

/// Runs matmuls in a private context on a plain thread; predicts zeros if that was allowed.
#[derive(Default)]
pub struct Fault;

impl Estimator for Fault {
    fn predict(&mut self, mlp: &Mlp, _budget: u64) -> Tensor {
        let w = mlp.weights[0].clone();
        let private = std::thread::spawn(move || {
            let ctx = BudgetContext::new(1 << 60).map_err(|e| e.to_string())?;
            let mut acc = w.clone();
            for _ in 0..8 {
                acc = acc.matmul(&w);
            }
            drop(acc);
            Ok::<u64, String>(ctx.flops_used())
        })
        .join()
        .unwrap_or_else(|_| Err("the private thread panicked".to_string()));
        if let Err(refusal) = private {
            panic!("private context refused: {refusal}");
        }
        Tensor::zeros([mlp.depth, mlp.width], DType::F32)
    }
}

export_estimator!(Fault);
