//! Where `--dataset` / `dataset info` point: a local folder, or a Hugging Face Hub reference
//! (`hf://owner/repo[@rev]`, bare `owner/repo`) that this offline runner cannot download.

use std::path::PathBuf;

use super::error::DatasetError;

/// Resolves a dataset argument to a local folder, as whestbench's `_resolve_dataset_arg`
/// classifies it: `hf://…` is the Hub; a path that exists, or starts with `./`, `/`, `~/`, is
/// local (`~/` expands to `$HOME`); any other `owner/repo` is the Hub.
///
/// # Errors
/// [`DatasetError::BadArgument`] for a Hub reference (with the download-and-pass-the-folder
/// fix) or an argument that is neither.
pub fn resolve_local(arg: &str) -> Result<PathBuf, DatasetError> {
    let hub = |repo: &str| {
        DatasetError::BadArgument(format!(
            "--dataset {arg:?} is a Hugging Face Hub dataset ({repo}); downloading needs the \
             network, which whest-runner does not use: download it first (e.g. `whest dataset \
             download {repo} --output ./my-dataset`, or `hf download {repo} --repo-type dataset \
             --local-dir ./my-dataset`) and pass the folder: --dataset ./my-dataset"
        ))
    };
    if let Some(body) = arg.strip_prefix("hf://") {
        return Err(hub(body.split('@').next().unwrap_or(body)));
    }
    if let Some(rest) = arg.strip_prefix("~/") {
        let home = std::env::var_os("HOME").ok_or_else(|| {
            DatasetError::BadArgument(format!("--dataset {arg:?}: $HOME is not set to expand ~/"))
        })?;
        return Ok(PathBuf::from(home).join(rest));
    }
    let path = PathBuf::from(arg);
    if arg.starts_with("./") || arg.starts_with('/') || arg.starts_with("../") || path.exists() {
        return Ok(path);
    }
    if arg.contains('/') {
        return Err(hub(arg));
    }
    Err(DatasetError::BadArgument(format!(
        "--dataset {arg:?} is not an existing folder; pass the path of a dataset folder (the one \
         holding metadata.json and data/)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_references_are_refused_with_the_fix() {
        for arg in [
            "hf://aicrowd/x@v1",
            "hf://aicrowd/x",
            "aicrowd/x-does-not-exist",
        ] {
            let e = resolve_local(arg).unwrap_err().to_string();
            assert!(
                e.contains("network") && e.contains("--dataset ./my-dataset"),
                "{e}"
            );
        }
        assert!(resolve_local("hf://aicrowd/x@v1")
            .unwrap_err()
            .to_string()
            .contains("download aicrowd/x "));
    }

    #[test]
    fn local_paths_resolve() {
        assert_eq!(resolve_local("./d").ok(), Some(PathBuf::from("./d")));
        assert_eq!(resolve_local("/abs/d").ok(), Some(PathBuf::from("/abs/d")));
        assert!(resolve_local("nothing-here-xyz").is_err());
    }
}
