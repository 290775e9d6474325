//! Math on plain Rust `f64` values, charged like flopscope charges numpy ufuncs on a Python
//! float (`float(fnp.exp(x))`): one f64 element, so `weight × 2` FLOPs per call.
//!
//! Use these for scalar bookkeeping inside an estimator (a running log-scale, a rescale factor)
//! without building a 0-d tensor, which would add `array`'s 1-element charge that Python does
//! not pay.

use crate::budget::{clamped, counted, Op};
use crate::dtype::DType;

/// `e^x`. FLOPs: `exp`, 16 × 2 = 32.
pub fn exp(x: f64) -> f64 {
    counted(clamped(Op::Exp, 1, DType::F64), |_| x.exp())
}

/// Natural logarithm (NaN for `x < 0`, `-inf` at 0, as numpy). FLOPs: `log`, 16 × 2 = 32.
pub fn log(x: f64) -> f64 {
    counted(clamped(Op::Log, 1, DType::F64), |_| x.ln())
}

/// Square root (NaN for `x < 0`, as numpy). FLOPs: `sqrt`, 1 × 2 = 2.
pub fn sqrt(x: f64) -> f64 {
    counted(clamped(Op::Sqrt, 1, DType::F64), |_| x.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BudgetContext;

    /// Probed from flopscope 0.12.4: `fnp.exp(0.5)` → 32 (`exp`), `fnp.log(2.5)` → 32 (`log`),
    /// `fnp.sqrt(4.0)` → 2 (`sqrt`), values 1.6487212707001282, 0.9162907318741551, 2.0.
    #[test]
    fn python_float_ufuncs_cost_one_f64_element() {
        let ctx = BudgetContext::new(1_000).unwrap();
        assert_eq!(exp(0.5), 1.6487212707001282);
        assert_eq!(ctx.flops_used(), 32);
        assert_eq!(log(2.5), 0.9162907318741551);
        assert_eq!(ctx.flops_used(), 64);
        assert_eq!(sqrt(4.0), 2.0);
        assert_eq!(ctx.flops_used(), 66);
        let ops: Vec<(&str, u64)> = ctx
            .summary()
            .operations
            .iter()
            .map(|o| (o.op, o.flop_cost))
            .collect();
        assert_eq!(ops, [("exp", 32), ("log", 32), ("sqrt", 2)]);
    }

    #[test]
    fn a_scalar_op_stops_at_an_exhausted_budget() {
        let _ctx = BudgetContext::new(31).unwrap();
        let err = crate::catch_budget(|| exp(1.0)).unwrap_err();
        assert!(err.to_string().contains("exp would cost 32"), "{err}");
    }
}
