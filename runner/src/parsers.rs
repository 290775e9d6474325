//! Strict value parsers for command-line flags (shared by every command's arguments).

/// Parses an integer strictly, like the Python CLI: `1_000_000` is accepted, `1e9` is not.
pub fn strict_u64(s: &str) -> Result<u64, String> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit()) || s.starts_with('_') {
        return Err(format!(
            "invalid integer {s:?}: write digits (underscores allowed, e.g. 1_000_000; no 1e9)"
        ));
    }
    cleaned
        .parse::<u64>()
        .map_err(|e| format!("invalid integer {s:?}: {e}"))
}

/// [`strict_u64`] narrowed to `usize`.
pub fn strict_usize(s: &str) -> Result<usize, String> {
    strict_u64(s).and_then(|v| usize::try_from(v).map_err(|e| e.to_string()))
}

/// Parses a finite number `>= 0` (limits, timeouts, rates).
pub fn positive_f64(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("invalid number {s:?}"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{s:?} must be a finite number >= 0"))
    }
}
