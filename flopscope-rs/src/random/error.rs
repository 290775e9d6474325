//! Why a random draw was refused before anything was drawn.

use std::fmt;

/// A random draw refused for an invalid argument (numpy raises `ValueError` /
/// `OverflowError` for these); nothing was drawn and the stream did not move.
///
/// `Display` starts with numpy's own message (e.g. `low >= high`), then names
/// the values and the fix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RandomError {
    /// `integers(low, high)` with an empty interval: `low >= high` (or, with
    /// `endpoint=True`, `low > high`).
    EmptyInterval {
        /// The lower bound passed.
        low: i64,
        /// The upper bound passed.
        high: i64,
        /// Whether `high` was inclusive (`endpoint=True`).
        closed: bool,
    },
    /// `uniform(low, high)` with `high - low < 0`.
    NegativeRange {
        /// The lower bound passed.
        low: f64,
        /// The upper bound passed.
        high: f64,
    },
    /// `uniform(low, high)` with a `high - low` that is infinite or NaN.
    RangeNotFinite {
        /// The lower bound passed.
        low: f64,
        /// The upper bound passed.
        high: f64,
    },
}

impl RandomError {
    /// numpy's message for this error (`format_bounds_error` for intervals),
    /// e.g. `"low >= high"` or `"high - low < 0"`.
    pub fn numpy_message(&self) -> &'static str {
        match *self {
            RandomError::EmptyInterval { low, closed, .. } => match (low == 0, closed) {
                (true, false) => "high <= 0",
                (true, true) => "high < 0",
                (false, false) => "low >= high",
                (false, true) => "low > high",
            },
            RandomError::NegativeRange { .. } => "high - low < 0",
            RandomError::RangeNotFinite { .. } => "high - low range exceeds valid bounds",
        }
    }
}

impl fmt::Display for RandomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let numpy = self.numpy_message();
        match *self {
            RandomError::EmptyInterval { low, high, closed } => {
                let need = if closed { "low <= high" } else { "low < high" };
                write!(
                    f,
                    "{numpy} (got low = {low}, high = {high}; the interval is empty, pass {need})"
                )
            }
            RandomError::NegativeRange { low, high } => write!(
                f,
                "{numpy} (got low = {low}, high = {high}; pass low <= high)"
            ),
            RandomError::RangeNotFinite { low, high } => write!(
                f,
                "{numpy} (got low = {low}, high = {high}; pass finite bounds whose difference \
                 is finite)"
            ),
        }
    }
}

impl std::error::Error for RandomError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_numpys_and_name_the_fix() {
        let e = RandomError::EmptyInterval {
            low: 5,
            high: 5,
            closed: false,
        };
        assert_eq!(
            e.to_string(),
            "low >= high (got low = 5, high = 5; the interval is empty, pass low < high)"
        );
        let e = RandomError::NegativeRange {
            low: 1.0,
            high: 0.0,
        };
        assert!(e
            .to_string()
            .starts_with("high - low < 0 (got low = 1, high = 0"));
    }
}
