//! Which MLPs a bake produces: everything, `--mlp-range A-B` (inclusive),
//! or `--slice K/N` → `[⌊K·n/N⌋, ⌊(K+1)·n/N⌋)`. `--slice auto` reads K and N from the job
//! scheduler:
//!
//! | scheduler | K | N |
//! |---|---|---|
//! | Slurm job array | `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` (MIN defaults to 0) | `SLURM_ARRAY_TASK_COUNT` |
//! | Kubernetes indexed Job | `JOB_COMPLETION_INDEX` | `--slice-count N`, else `WHEST_SLICE_COUNT` |

use super::error::DatasetError;

/// Environment variable carrying the slice count next to `JOB_COMPLETION_INDEX` (Kubernetes
/// indexed Jobs expose the index but not the completion count).
pub const SLICE_COUNT_ENV: &str = "WHEST_SLICE_COUNT";

/// The half-open range `[start, end)` of MLP indices to bake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MlpRange {
    /// First index.
    pub start: usize,
    /// One past the last index.
    pub end: usize,
}

fn bad<T>(msg: String) -> Result<T, DatasetError> {
    Err(DatasetError::BadArgument(msg))
}

fn parse_index(text: &str, what: &str) -> Result<usize, DatasetError> {
    text.trim().parse::<usize>().map_err(|_| {
        DatasetError::BadArgument(format!(
            "{what} must be a non-negative integer; got {text:?}"
        ))
    })
}

/// `K/N` → `(K, N)` with `0 ≤ K < N`.
///
/// # Errors
/// [`DatasetError::BadArgument`] for malformed text or `K ≥ N`.
pub fn parse_slice(text: &str) -> Result<(usize, usize), DatasetError> {
    let Some((k, n)) = text.split_once('/') else {
        return bad(format!("--slice must be K/N (or auto), got {text:?}"));
    };
    let (k, n) = (parse_index(k, "--slice K")?, parse_index(n, "--slice N")?);
    if k >= n {
        return bad(format!("--slice K/N requires 0 <= K < N, got {text:?}"));
    }
    Ok((k, n))
}

/// `(K, N)` of `--slice auto` from the scheduler's environment, read through `env`.
///
/// # Errors
/// [`DatasetError::BadArgument`] when neither scheduler's variables are set (naming them),
/// or they are malformed or out of range.
pub fn auto_slice(
    env: &dyn Fn(&str) -> Option<String>,
    slice_count_flag: Option<usize>,
) -> Result<(usize, usize), DatasetError> {
    if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
        let id = parse_index(&id, "SLURM_ARRAY_TASK_ID")?;
        let min = match env("SLURM_ARRAY_TASK_MIN") {
            Some(m) => parse_index(&m, "SLURM_ARRAY_TASK_MIN")?,
            None => 0,
        };
        let Some(count) = env("SLURM_ARRAY_TASK_COUNT") else {
            return bad(
                "--slice auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".into(),
            );
        };
        let count = parse_index(&count, "SLURM_ARRAY_TASK_COUNT")?;
        let k = id.checked_sub(min).ok_or_else(|| {
            DatasetError::BadArgument(format!(
                "--slice auto: SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"
            ))
        })?;
        return check_auto(k, count, "Slurm array (use a contiguous --array=0-(N-1))");
    }
    if let Some(index) = env("JOB_COMPLETION_INDEX") {
        let k = parse_index(&index, "JOB_COMPLETION_INDEX")?;
        let count = match slice_count_flag {
            Some(n) => n,
            None => match env(SLICE_COUNT_ENV) {
                Some(n) => parse_index(&n, SLICE_COUNT_ENV)?,
                None => {
                    return bad(format!(
                        "--slice auto: JOB_COMPLETION_INDEX is set but the slice count is not; \
                         pass --slice-count N or set {SLICE_COUNT_ENV} to the Job's completions"
                    ))
                }
            },
        };
        return check_auto(k, count, "Kubernetes indexed Job");
    }
    bad(format!(
        "--slice auto needs a job array: set SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT \
         (sbatch --array) or JOB_COMPLETION_INDEX and {SLICE_COUNT_ENV}/--slice-count \
         (Kubernetes indexed Job), or pass --slice K/N explicitly"
    ))
}

fn check_auto(k: usize, n: usize, source: &str) -> Result<(usize, usize), DatasetError> {
    if k >= n {
        return bad(format!(
            "--slice auto from {source}: slice index {k} is not below the slice count {n}"
        ));
    }
    Ok((k, n))
}

/// `A-B` (inclusive on the command line) → `[A, B+1)`.
///
/// # Errors
/// [`DatasetError::BadArgument`] for malformed text.
pub fn parse_mlp_range(text: &str) -> Result<MlpRange, DatasetError> {
    let Some((a, b)) = text.split_once('-') else {
        return bad(format!(
            "--mlp-range must be START-END (inclusive), got {text:?}"
        ));
    };
    let (a, b) = (
        parse_index(a, "--mlp-range START")?,
        parse_index(b, "--mlp-range END")?,
    );
    Ok(MlpRange {
        start: a,
        end: b.saturating_add(1),
    })
}

/// Slice `K` of `N` of `n` MLPs: `[⌊K·n/N⌋, ⌊(K+1)·n/N⌋)` (floor boundaries, like the Python
/// code).
pub fn slice_range(k: usize, n_slices: usize, n_mlps: usize) -> MlpRange {
    let at = |i: usize| ((i as u128 * n_mlps as u128) / n_slices.max(1) as u128) as usize;
    MlpRange {
        start: at(k),
        end: at(k + 1),
    }
}

/// Checks `0 ≤ start < end ≤ n`.
///
/// # Errors
/// [`DatasetError::BadArgument`] otherwise (an empty slice included: use fewer slices).
pub fn check_range(r: MlpRange, n_mlps: usize) -> Result<MlpRange, DatasetError> {
    if r.start < r.end && r.end <= n_mlps {
        Ok(r)
    } else {
        bad(format!(
            "mlp range [{}, {}) is invalid for n_mlps={n_mlps}; need 0 <= start < end <= n_mlps \
             (a slice of more workers than MLPs is empty)",
            r.start, r.end
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn slices_use_floor_boundaries() {
        assert_eq!(slice_range(0, 3, 10), MlpRange { start: 0, end: 3 });
        assert_eq!(slice_range(1, 3, 10), MlpRange { start: 3, end: 6 });
        assert_eq!(slice_range(2, 3, 10), MlpRange { start: 6, end: 10 });
        assert_eq!(parse_slice("2/3").ok(), Some((2, 3)));
        assert!(parse_slice("3/3").is_err());
        assert!(parse_slice("a/3").is_err());
        assert!(check_range(slice_range(0, 4, 2), 2).is_err());
    }

    #[test]
    fn mlp_range_is_inclusive() {
        assert_eq!(
            parse_mlp_range("2-5").ok(),
            Some(MlpRange { start: 2, end: 6 })
        );
        assert!(parse_mlp_range("5").is_err());
        assert!(check_range(MlpRange { start: 2, end: 6 }, 5).is_err());
    }

    #[test]
    fn auto_slice_reads_slurm_and_kubernetes() {
        let slurm = env_of(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(auto_slice(&slurm, None).ok(), Some((2, 4)));
        let k8s = env_of(&[("JOB_COMPLETION_INDEX", "1"), (SLICE_COUNT_ENV, "3")]);
        assert_eq!(auto_slice(&k8s, None).ok(), Some((1, 3)));
        assert_eq!(auto_slice(&k8s, Some(5)).ok(), Some((1, 5)));
        let no_count = env_of(&[("JOB_COMPLETION_INDEX", "1")]);
        assert!(auto_slice(&no_count, None)
            .unwrap_err()
            .to_string()
            .contains("--slice-count"));
        let none = env_of(&[]);
        assert!(auto_slice(&none, None)
            .unwrap_err()
            .to_string()
            .contains("SLURM_ARRAY_TASK_ID"));
        let over = env_of(&[("JOB_COMPLETION_INDEX", "3"), (SLICE_COUNT_ENV, "3")]);
        assert!(auto_slice(&over, None).is_err());
    }
}
