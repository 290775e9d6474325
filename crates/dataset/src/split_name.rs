//! Split and config names: the HF Hub convention `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`,
//! and the split a parquet shard belongs to.

use std::fmt;

/// A split or config name that breaks the HF Hub naming rule; holds the name as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    /// An invalid split name.
    Split(String),
    /// An invalid config name.
    Config(String),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Split(name) => write!(
                f,
                "split name {name:?} does not match [a-z][a-z0-9]*(-[a-z0-9]+)* (HF Hub split-name \
                 convention: lowercase ASCII, digits, single hyphens between alphanumeric runs)"
            ),
            NameError::Config(name) => write!(
                f,
                "config name {name:?} is invalid: {}",
                NameError::Split(name.clone())
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// Whether `name` is a valid split or config name: a lowercase ASCII letter, then lowercase
/// letters and digits, with single hyphens only between alphanumeric runs.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !first.is_ascii_lowercase() || name.ends_with('-') || name.contains("--") {
        return false;
    }
    bytes
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `Ok(())` for a valid split name, else the error whose text whestbench prints for it.
///
/// # Errors
/// [`NameError::Split`]: its text names `name` and the rule.
pub fn check_split_name(name: &str) -> Result<(), NameError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(NameError::Split(name.to_string()))
    }
}

/// `Ok(())` for a valid config name (same rule as splits).
///
/// # Errors
/// [`NameError::Config`]: its text names `name` and the rule.
pub fn check_config_name(name: &str) -> Result<(), NameError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(NameError::Config(name.to_string()))
    }
}

/// The split a parquet file in `data/` belongs to: its file name minus the shard suffix
/// `-NNNNN-of-MMMMM.parquet` (any digit counts), or minus `.parquet` when there is no shard
/// suffix. `None` for a file that does not end in `.parquet`.
///
/// Unlike Python whestbench (which takes the text before the first `-`), this keeps
/// hyphenated split names intact: `public-v2-00000-of-00001.parquet` → `public-v2`.
pub fn split_of_parquet_file(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_suffix(".parquet")?;
    Some(strip_shard_suffix(stem).unwrap_or(stem))
}

/// `stem` without a trailing `-<digits>-of-<digits>`, or `None` when it has none.
fn strip_shard_suffix(stem: &str) -> Option<&str> {
    let (rest, total) = stem.rsplit_once("-of-")?;
    let (split, index) = rest.rsplit_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(total) && digits(index) && !split.is_empty()).then_some(split)
}

/// The file name a bake writes for `split`: `<split>-00000-of-00001.parquet`.
pub fn single_shard_file_name(split: &str) -> String {
    format!("{split}-00000-of-00001.parquet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_hub_convention() {
        for ok in ["public", "holdout", "a", "mini-2", "v1-phase-1", "x9"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "", "Public", "9a", "-a", "a-", "a--b", "a_b", "a.b", "a b", "é",
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert_eq!(
            check_config_name("Default").map_err(|e| e.to_string()),
            Err(
                "config name \"Default\" is invalid: split name \"Default\" does not match \
                 [a-z][a-z0-9]*(-[a-z0-9]+)* (HF Hub split-name convention: lowercase ASCII, \
                 digits, single hyphens between alphanumeric runs)"
                    .to_string()
            )
        );
    }

    #[test]
    fn split_comes_from_stripping_the_shard_suffix() {
        assert_eq!(
            split_of_parquet_file("public-00000-of-00001.parquet"),
            Some("public")
        );
        assert_eq!(
            split_of_parquet_file("public-v2-00003-of-00008.parquet"),
            Some("public-v2")
        );
        assert_eq!(split_of_parquet_file("mini.parquet"), Some("mini"));
        assert_eq!(split_of_parquet_file("a-of-b.parquet"), Some("a-of-b"));
        assert_eq!(split_of_parquet_file("notes.txt"), None);
        assert_eq!(
            single_shard_file_name("full"),
            "full-00000-of-00001.parquet"
        );
    }
}
