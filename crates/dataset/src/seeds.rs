//! Per-MLP input seeds: validating a `--mlp-seeds` JSON array and
//! drawing distinct 63-bit seeds from the operating system's CSPRNG.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::error::DatasetError;

/// Seeds are `0 ≤ s < 2^63` so they fit the int64 `mlp_seed` column.
pub const SEED_LIMIT: u64 = 1 << 63;

/// Checks a seed list: exactly `n_mlps` JSON integers in `[0, 2^63)`, no booleans, no
/// duplicates.
///
/// # Errors
/// [`DatasetError::BadArgument`] naming the offending index (or the length).
pub fn validate_seed_list(values: &[Value], n_mlps: usize) -> Result<Vec<u64>, DatasetError> {
    let bad = |m: String| Err(DatasetError::BadArgument(m));
    if values.len() != n_mlps {
        return bad(format!(
            "mlp_seeds has length {}, expected n_mlps={n_mlps}",
            values.len()
        ));
    }
    let mut seen: HashMap<u64, usize> = HashMap::with_capacity(values.len());
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let s = match v {
            Value::Number(n) if n.is_u64() => n.as_u64().unwrap_or(u64::MAX),
            Value::Number(n) if n.is_i64() => {
                return bad(format!(
                    "mlp_seeds[{i}] = {n} is out of range [0, 2**63); seeds must fit in an \
                     int64 column"
                ))
            }
            other => return bad(format!("mlp_seeds[{i}] must be an integer; got {other}")),
        };
        if s >= SEED_LIMIT {
            return bad(format!(
                "mlp_seeds[{i}] = {s} is out of range [0, 2**63); seeds must fit in an int64 \
                 column"
            ));
        }
        if let Some(first) = seen.insert(s, i) {
            return bad(format!(
                "mlp_seeds contains a duplicate at indices [{first}, {i}]: both = {s}; two MLPs \
                 with the same seed are bit-identical"
            ));
        }
        out.push(s);
    }
    Ok(out)
}

/// Reads and validates a `--mlp-seeds` file (a JSON array of `n_mlps` seeds).
///
/// # Errors
/// [`DatasetError::BadArgument`] when the file is unreadable, not JSON, not an array, or
/// fails [`validate_seed_list`].
pub fn read_seeds_file(path: &Path, n_mlps: usize) -> Result<Vec<u64>, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        DatasetError::BadArgument(format!(
            "cannot read --mlp-seeds file {}: {e}",
            path.display()
        ))
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        DatasetError::BadArgument(format!(
            "cannot read --mlp-seeds file {}: invalid JSON: {e}",
            path.display()
        ))
    })?;
    let Value::Array(values) = value else {
        return Err(DatasetError::BadArgument(format!(
            "--mlp-seeds file {} must contain a JSON array of integers",
            path.display()
        )));
    };
    validate_seed_list(&values, n_mlps)
}

/// One uniformly random 63-bit value from the OS CSPRNG.
///
/// # Errors
/// [`DatasetError::Io`] if the OS generator is unavailable (there is deliberately no weaker
/// fallback: seeds and salts must be unpredictable).
pub fn random_u63() -> Result<u64, DatasetError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| DatasetError::Io(format!("the OS random generator failed: {e}")))?;
    Ok(u64::from_le_bytes(bytes) >> 1)
}

/// `n` distinct CSPRNG seeds in `[0, 2^63)` (a collision is re-drawn; at most `10·n` draws).
///
/// # Errors
/// [`DatasetError::Io`] if the OS generator fails or keeps repeating itself.
pub fn generate_seeds(n: usize) -> Result<Vec<u64>, DatasetError> {
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.saturating_mul(10) {
        if out.len() == n {
            break;
        }
        let s = random_u63()?;
        if seen.insert(s) {
            out.push(s);
        }
    }
    if out.len() < n {
        return Err(DatasetError::Io(format!(
            "failed to draw {n} distinct seeds in {} attempts; the OS random generator looks broken",
            n.saturating_mul(10)
        )));
    }
    Ok(out)
}

/// A seed list as the JSON text `generate-seeds` prints (`[1, 2, 3]`).
pub fn seeds_json(seeds: &[u64]) -> String {
    let items: Vec<String> = seeds.iter().map(u64::to_string).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `v` validated as a list of `n` seeds.
    fn check(v: Value, n: usize) -> Result<Vec<u64>, DatasetError> {
        let arr = v.as_array().cloned().unwrap_or_default();
        validate_seed_list(&arr, n)
    }

    /// The text of the error `check` returns.
    fn message(v: Value, n: usize) -> String {
        check(v, n).expect_err("invalid seed list").to_string()
    }

    #[test]
    fn seed_lists_are_validated_with_the_index() {
        assert_eq!(check(json!([1, 2, 3]), 3), Ok(vec![1, 2, 3]));
        assert!(message(json!([1, 2]), 3).contains("length 2"));
        assert!(message(json!([1, true]), 2).contains("mlp_seeds[1]"));
        assert!(message(json!([1, 2.5]), 2).contains("mlp_seeds[1]"));
        assert!(message(json!([-1, 2]), 2).contains("mlp_seeds[0]"));
        assert!(message(json!([1u64 << 63]), 1).contains("out of range"));
        assert!(message(json!([5, 6, 5]), 3).contains("[0, 2]"));
        assert_eq!(
            check(json!([(1u64 << 63) - 1]), 1),
            Ok(vec![(1u64 << 63) - 1])
        );
    }

    #[test]
    fn generated_seeds_are_distinct_int63() {
        let s = generate_seeds(64).expect("OS CSPRNG");
        assert_eq!(s.len(), 64);
        assert!(s.iter().all(|&x| x < SEED_LIMIT));
        let mut d = s.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 64);
        assert_ne!(
            generate_seeds(2).expect("rng"),
            generate_seeds(2).expect("rng")
        );
        assert_eq!(seeds_json(&[1, 22]), "[1, 22]");
    }
}
