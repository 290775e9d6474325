//! Strict value parsers for command-line flags (shared by every command's arguments).

use std::fmt;
use std::num::{ParseFloatError, ParseIntError, TryFromIntError};

/// Why a flag's value was refused; clap prints it after `invalid value '…' for '--flag':`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseValueError {
    /// Not plain digits (empty, a sign, an exponent, a leading `_`): write digits, underscores
    /// allowed.
    NotDigits {
        /// The value as given.
        input: String,
    },
    /// Digits that do not fit in a `u64`: pass a smaller number.
    IntegerOutOfRange {
        /// The value as given.
        input: String,
        /// The failure.
        source: ParseIntError,
    },
    /// A `u64` that does not fit in this platform's `usize`: pass a smaller number.
    TooLargeForUsize(TryFromIntError),
    /// Not a number at all: pass a decimal number such as `2.5`.
    NotANumber {
        /// The value as given.
        input: String,
        /// The failure.
        source: ParseFloatError,
    },
    /// A number that is negative, infinite or NaN: pass a finite number `>= 0`.
    NegativeOrNotFinite {
        /// The value as given.
        input: String,
    },
}

impl fmt::Display for ParseValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseValueError::NotDigits { input } => write!(
                f,
                "invalid integer {input:?}: write digits (underscores allowed, e.g. 1_000_000; \
                 no 1e9)"
            ),
            ParseValueError::IntegerOutOfRange { input, source } => {
                write!(f, "invalid integer {input:?}: {source}")
            }
            ParseValueError::TooLargeForUsize(e) => write!(f, "{e}"),
            ParseValueError::NotANumber { input, .. } => write!(f, "invalid number {input:?}"),
            ParseValueError::NegativeOrNotFinite { input } => {
                write!(f, "{input:?} must be a finite number >= 0")
            }
        }
    }
}

impl std::error::Error for ParseValueError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ParseValueError::IntegerOutOfRange { source, .. } => Some(source),
            ParseValueError::TooLargeForUsize(e) => Some(e),
            ParseValueError::NotANumber { source, .. } => Some(source),
            ParseValueError::NotDigits { .. } | ParseValueError::NegativeOrNotFinite { .. } => None,
        }
    }
}

/// Parses an integer strictly, like the Python CLI: `1_000_000` is accepted, `1e9` is not.
pub fn strict_u64(s: &str) -> Result<u64, ParseValueError> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit()) || s.starts_with('_') {
        return Err(ParseValueError::NotDigits { input: s.into() });
    }
    cleaned
        .parse::<u64>()
        .map_err(|source| ParseValueError::IntegerOutOfRange {
            input: s.into(),
            source,
        })
}

/// [`strict_u64`] narrowed to `usize`.
pub fn strict_usize(s: &str) -> Result<usize, ParseValueError> {
    strict_u64(s).and_then(|v| usize::try_from(v).map_err(ParseValueError::TooLargeForUsize))
}

/// Parses a finite number `>= 0` (limits, timeouts, rates).
pub fn positive_f64(s: &str) -> Result<f64, ParseValueError> {
    let v: f64 = s.parse().map_err(|source| ParseValueError::NotANumber {
        input: s.into(),
        source,
    })?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(ParseValueError::NegativeOrNotFinite { input: s.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T>(r: Result<T, ParseValueError>) -> String {
        r.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn refusals_name_the_value() {
        assert_eq!(
            message(strict_u64("1e9")),
            "invalid integer \"1e9\": write digits (underscores allowed, e.g. 1_000_000; no 1e9)"
        );
        assert_eq!(
            message(strict_u64("99_999_999_999_999_999_999")),
            "invalid integer \"99_999_999_999_999_999_999\": number too large to fit in target type"
        );
        assert_eq!(strict_usize("1_000"), Ok(1000));
        assert_eq!(positive_f64("2.5"), Ok(2.5));
        assert_eq!(message(positive_f64("abc")), "invalid number \"abc\"");
        assert_eq!(
            message(positive_f64("-1")),
            "\"-1\" must be a finite number >= 0"
        );
        assert_eq!(
            message(positive_f64("inf")),
            "\"inf\" must be a finite number >= 0"
        );
    }
}
