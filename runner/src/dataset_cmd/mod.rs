//! `whest-runner dataset <verb>`: runs one verb and returns the exit code (0 success, 1 any
//! dataset error, printed as one `error: …` line on stderr).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub mod args;

use crate::progress::{format_duration, Progress, ProgressMode};
use crate::sampler_args::SamplerArgs;
use crate::threads::apply_max_threads;
use args::{BakeArgs, CombineArgs, DatasetArgs, DatasetCommand, GenerateSeedsArgs, VerifyArgs};
use whest_dataset::bake::{bake, BakeSpec};
use whest_dataset::combine::combine_splits;
use whest_dataset::error::DatasetError;
use whest_dataset::info::render_info;
use whest_dataset::load::load_split;
use whest_dataset::merge::merge;
use whest_dataset::metadata::{read_metadata, split_names};
use whest_dataset::seeds::{generate_seeds, read_seeds_file, seeds_json};
use whest_dataset::slice::{
    auto_slice, check_range, parse_mlp_range, parse_slice, slice_range, MlpRange,
};
use whest_dataset::source::resolve_local;
use whest_dataset::verify::{recorded_stream, verify, VerifyReport};
use whest_score::report::{EXIT_FAILURE, EXIT_OK};

/// Runs `whest-runner dataset …` and returns the process exit code.
pub fn run_dataset_command(args: &DatasetArgs) -> i32 {
    let result = match &args.command {
        DatasetCommand::Bake(a) => run_bake(a),
        DatasetCommand::Info(a) => run_info(&a.source),
        DatasetCommand::Merge(a) => run_merge(&a.inputs, &a.output),
        DatasetCommand::CombineSplits(a) => run_combine(a),
        DatasetCommand::GenerateSeeds(a) => run_generate_seeds(a),
        DatasetCommand::Verify(a) => return run_verify(a),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

/// The MLP range of a bake from `--slice`/`--mlp-range` (whole dataset when neither).
fn bake_range(a: &BakeArgs) -> Result<MlpRange, DatasetError> {
    let range = match (&a.slice, &a.mlp_range) {
        (Some(_), Some(_)) => {
            return Err(DatasetError::BadArgument(
                "use either --mlp-range or --slice, not both".into(),
            ))
        }
        (Some(s), None) if s == "auto" => {
            let (k, n) = auto_slice(&|k| std::env::var(k).ok(), a.slice_count)?;
            slice_range(k, n, a.n_mlps)
        }
        (Some(s), None) => {
            let (k, n) = parse_slice(s)?;
            slice_range(k, n, a.n_mlps)
        }
        (None, Some(r)) => parse_mlp_range(r)?,
        (None, None) => MlpRange {
            start: 0,
            end: a.n_mlps,
        },
    };
    check_range(range, a.n_mlps)
}

/// Total size of the regular files under `dir`, in bytes.
fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => folder_size(&e.path()),
                    Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
                    _ => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Bytes as `36.0 KB` / `1.2 GB` (decimal units, like whestbench's `format_bytes`).
fn human_bytes(n: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Bake progress: a live line (samples, samples/s, ETA) on a terminal; nothing with `--quiet`
/// or when stderr is redirected (a batch log stays clean).
pub fn bake_progress_mode(quiet: bool) -> ProgressMode {
    match ProgressMode::choose(false, quiet, std::io::stderr().is_terminal()) {
        ProgressMode::Live => ProgressMode::Live,
        ProgressMode::Plain | ProgressMode::Off => ProgressMode::Off,
    }
}

fn run_bake(a: &BakeArgs) -> Result<(), DatasetError> {
    if a.seed.is_some() {
        return Err(DatasetError::BadArgument(
            "--seed is no longer supported as of seed_protocol 3.0; pass --mlp-seeds <file.json> \
             (a JSON array of --n-mlps ints, see `whest-runner dataset generate-seeds`) or omit \
             it for random seeds"
                .into(),
        ));
    }
    if let Some(n) = a.threads {
        apply_max_threads(n);
    }
    let opened = a
        .sampler
        .open()
        .map_err(|e| DatasetError::BadArgument(e.to_string()))?;
    if let Some(notice) = &opened.notice {
        eprintln!("{notice}");
    }
    let range = bake_range(a)?;
    let partial = (range.start, range.end) != (0, a.n_mlps);
    let seeds = match &a.mlp_seeds {
        Some(path) => read_seeds_file(path, a.n_mlps)?,
        None if partial => {
            return Err(DatasetError::BadArgument(
                "a sliced bake (--slice/--mlp-range) needs --mlp-seeds FILE so that every \
                 worker bakes the same logical dataset; create one with `whest-runner dataset \
                 generate-seeds --n-mlps N > seeds.json`"
                    .into(),
            ))
        }
        None => generate_seeds(a.n_mlps)?,
    };
    let spec = BakeSpec {
        n_mlps: a.n_mlps,
        n_samples: a.n_samples,
        width: a.width,
        depth: a.depth,
        seeds,
        range,
        split: a.split.clone(),
        config: a.config.clone(),
        output: a.output.clone(),
        mlps_per_batch: a.mlps_per_batch,
    };
    if !a.quiet {
        eprintln!(
            "Baking {} of {} MLPs (width={}, depth={}, {} samples each) -> {}",
            range.end - range.start,
            a.n_mlps,
            a.width,
            a.depth,
            a.n_samples,
            a.output.display()
        );
    }
    let started = Instant::now();
    let total = u64::try_from(spec.n_samples as u128 * (range.end - range.start) as u128)
        .unwrap_or(u64::MAX);
    let progress = Progress::new("Baking", total, "samples", bake_progress_mode(a.quiet));
    let summary = bake(&spec, opened.sampler.as_ref(), &mut |tick| {
        progress.set(u64::try_from(tick.samples_done).unwrap_or(u64::MAX))
    })?;
    progress.finish();
    if !a.quiet {
        eprintln!(
            "Wrote {} in {} ({}){}",
            summary.output.display(),
            format_duration(started.elapsed().as_secs_f64()),
            human_bytes(folder_size(&summary.output)),
            if summary.partial {
                "; a partial: merge all slices with `whest-runner dataset merge`"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn run_info(source: &str) -> Result<(), DatasetError> {
    let root = resolve_local(source)?;
    let (md, _) = read_metadata(&root)?;
    print!("{}", render_info(&md));
    Ok(())
}

fn run_merge(inputs: &[PathBuf], output: &Path) -> Result<(), DatasetError> {
    eprintln!("Merging {} partials -> {}", inputs.len(), output.display());
    let started = Instant::now();
    let out = merge(inputs, output)?;
    eprintln!(
        "Merged in {} -> {}",
        format_duration(started.elapsed().as_secs_f64()),
        out.display()
    );
    Ok(())
}

fn run_combine(a: &CombineArgs) -> Result<(), DatasetError> {
    let (out, md) = combine_splits(&a.input_dirs, &a.output, a.default_split.as_deref())?;
    let mut names = split_names(&md);
    names.sort();
    println!("Combined {} splits into {}:", names.len(), out.display());
    for name in names {
        let n = md
            .get("splits")
            .and_then(|s| s.get(&name))
            .and_then(|s| s.get("n_mlps"))
            .map_or("?".to_string(), ToString::to_string);
        println!("  - {name}  (n_mlps={n})");
    }
    Ok(())
}

fn run_generate_seeds(a: &GenerateSeedsArgs) -> Result<(), DatasetError> {
    if a.n_mlps == 0 {
        return Err(DatasetError::BadArgument(
            "--n-mlps must be at least 1".into(),
        ));
    }
    println!("{}", seeds_json(&generate_seeds(a.n_mlps)?));
    Ok(())
}

/// `dataset verify`: exit 0 when every difference is within the threshold, 1 beyond it or on
/// an error.
fn run_verify(a: &VerifyArgs) -> i32 {
    match verify_dataset(a) {
        Ok(report) => {
            print!("{}", render_verify(&report));
            if report.passed() {
                EXIT_OK
            } else {
                EXIT_FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

fn verify_dataset(a: &VerifyArgs) -> Result<VerifyReport, DatasetError> {
    let split = load_split(&a.source, a.split.as_deref())?;
    let stream = recorded_stream(&split)?;
    let sampler_args = SamplerArgs {
        device: a.device,
        stream: Some(a.stream.or(stream).unwrap_or_default()),
        gpu_index: a.gpu_index,
    };
    let opened = sampler_args
        .open()
        .map_err(|e| DatasetError::BadArgument(e.to_string()))?;
    if let Some(notice) = &opened.notice {
        eprintln!("{notice}");
    }
    eprintln!(
        "verify: {} split {:?}: re-sampling {} row(s) with {} ({})",
        a.source.display(),
        split.split,
        a.n_mlps,
        opened.sampler.stream().id(),
        opened.sampler.describe()
    );
    verify(&split, opened.sampler.as_ref(), a.n_mlps, a.n_samples)
}

/// The verify report: one line per row, then the verdict.
fn render_verify(r: &VerifyReport) -> String {
    let mut out = format!(
        "comparison: {} (recorded N = {}, re-sampled N = {})\n",
        r.comparison.describe(),
        r.recorded_samples,
        r.resampled_samples
    );
    for row in &r.rows {
        out.push_str(&format!(
            "row {} ({}): largest difference {:.3e} standard errors at layer {} neuron {}; \
             largest relative difference {:.3e}\n",
            row.row, row.name, row.max_z, row.at.0, row.at.1, row.max_relative
        ));
    }
    let verdict = if r.passed() { "OK" } else { "FAILED" };
    out.push_str(&format!(
        "largest difference: {:.3e} standard errors (threshold {}): {verdict}\n",
        r.max_z(),
        r.comparison.threshold()
    ));
    out
}
