//! The time accounting of one `predict` (or, summed, of a run): the one type behind every
//! `wall_time_s` / `flopscope_backend_time_s` / `flopscope_overhead_time_s` /
//! `residual_wall_time_s` quartet a report carries.

use std::ops::AddAssign;

use serde_json::Value;

/// Wall, kernel, accounting and residual seconds, as flopscope's budget summary reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// Seconds the budget context was open.
    pub wall_time_s: f64,
    /// Seconds inside flopscope kernels.
    pub flopscope_backend_time_s: f64,
    /// Seconds of flopscope's own accounting.
    pub flopscope_overhead_time_s: f64,
    /// The estimator's own code: `wall − backend − overhead` (clamped at 0), plus any CPU time
    /// charged from unaccounted threads.
    pub residual_wall_time_s: f64,
}

impl Timing {
    /// The four fields of a flopscope summary or report JSON object, read as Python's
    /// `float(...)` would: numbers as they are, `true`/`false` as 1/0, anything else
    /// (missing, `null`, text) as 0.
    pub fn from_json(raw: &Value) -> Timing {
        let field = |key: &str| match raw.get(key) {
            Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
            Some(Value::Bool(b)) => f64::from(u8::from(*b)),
            _ => 0.0,
        };
        Timing {
            wall_time_s: field("wall_time_s"),
            flopscope_backend_time_s: field("flopscope_backend_time_s"),
            flopscope_overhead_time_s: field("flopscope_overhead_time_s"),
            residual_wall_time_s: field("residual_wall_time_s"),
        }
    }
}

impl AddAssign for Timing {
    /// Field by field (aggregating MLPs into a run).
    fn add_assign(&mut self, other: Timing) {
        self.wall_time_s += other.wall_time_s;
        self.flopscope_backend_time_s += other.flopscope_backend_time_s;
        self.flopscope_overhead_time_s += other.flopscope_overhead_time_s;
        self.residual_wall_time_s += other.residual_wall_time_s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_four_fields_like_python_float() {
        let t = Timing::from_json(&json!({
            "wall_time_s": 2.0, "flopscope_backend_time_s": null,
            "flopscope_overhead_time_s": 1, "residual_wall_time_s": true, "other": 5.0
        }));
        assert_eq!(
            t,
            Timing {
                wall_time_s: 2.0,
                flopscope_backend_time_s: 0.0,
                flopscope_overhead_time_s: 1.0,
                residual_wall_time_s: 1.0,
            }
        );
    }

    #[test]
    fn adding_sums_every_field() {
        let one = Timing {
            wall_time_s: 1.0,
            flopscope_backend_time_s: 0.5,
            flopscope_overhead_time_s: 0.25,
            residual_wall_time_s: 0.25,
        };
        let mut sum = one;
        sum += one;
        assert_eq!(sum.wall_time_s, 2.0);
        assert_eq!(sum.flopscope_backend_time_s, 1.0);
        assert_eq!(sum.flopscope_overhead_time_s, 0.5);
        assert_eq!(sum.residual_wall_time_s, 0.5);
    }
}
