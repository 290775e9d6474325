//! The dataset card `README.md`: YAML front matter exactly as whestbench writes it
//! (keys sorted, `configs:` per the four layout rules) and a Markdown body following
//! whestbench's template (title, quick start, schema, ground truth, summary, reproducibility,
//! provenance, citation, license).

use std::fmt::Write as _;

use serde_json::Value;

use super::metadata::{split_names, Metadata};
use super::seed_protocol::{NAME_V2, NAME_V3, NAME_V4};

/// Default `pretty_name`.
pub const PRETTY_NAME: &str = "WhestBench 2026: ARC White-Box Estimation Challenge";
/// The challenge page.
pub const HOMEPAGE: &str =
    "https://www.aicrowd.com/challenges/arc-white-box-estimation-challenge-2026";
/// The reference implementation.
pub const REPOSITORY: &str = "https://github.com/AIcrowd/whestbench";
/// Repository placeholder until the card is re-rendered at upload.
const REPO_PLACEHOLDER: &str = "<your-repo>";

/// HF `size_categories` label for `n` MLPs.
pub fn size_category(n: u64) -> &'static str {
    match n {
        0..=999 => "n<1K",
        1_000..=9_999 => "1K<n<10K",
        10_000..=99_999 => "10K<n<100K",
        _ => "100K<n<1M",
    }
}

/// One entry of the front matter's `configs:` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardConfig {
    /// Config name.
    pub name: String,
    /// Splits it lists (each maps to `data/<split>-*.parquet`).
    pub splits: Vec<String>,
}

/// The `configs:` block of the card, or `None` when the card has none (a single
/// split in the `default` config). `split` is the single-split name (ignored for multi-split).
pub fn configs_block(md: &Metadata, split: &str) -> Option<Vec<CardConfig>> {
    let config_of = |v: &Value| v.get("config").and_then(Value::as_str).map(str::to_string);
    let splits = split_names(md);
    if splits.is_empty() {
        let config = config_of(&Value::Object(md.clone()))?;
        if config == "default" {
            return None;
        }
        let split = md.get("split").and_then(Value::as_str).unwrap_or(split);
        return Some(vec![CardConfig {
            name: config,
            splits: vec![split.to_string()],
        }]);
    }
    let entries = md.get("splits").cloned().unwrap_or(Value::Null);
    let assigned: Vec<(String, Option<String>)> = splits
        .iter()
        .map(|s| (s.clone(), entries.get(s).and_then(config_of)))
        .collect();
    let mut distinct: Vec<&String> = assigned.iter().filter_map(|(_, c)| c.as_ref()).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1 {
        let mut order: Vec<CardConfig> = Vec::new();
        for (s, c) in &assigned {
            let name = c.clone().unwrap_or_else(|| "default".to_string());
            match order.iter_mut().find(|cfg| cfg.name == name) {
                Some(cfg) => cfg.splits.push(s.clone()),
                None => order.push(CardConfig {
                    name,
                    splits: vec![s.clone()],
                }),
            }
        }
        if let Some(pos) = order.iter().position(|c| c.name == "default") {
            let d = order.remove(pos);
            order.insert(0, d);
        }
        return Some(order);
    }
    match md.get("default_split").and_then(Value::as_str) {
        Some(d) if splits.iter().any(|s| s == d) => {
            let mut out = vec![CardConfig {
                name: "default".into(),
                splits: vec![d.to_string()],
            }];
            out.extend(splits.iter().filter(|s| *s != d).map(|s| CardConfig {
                name: s.clone(),
                splits: vec![s.clone()],
            }));
            Some(out)
        }
        _ => Some(vec![CardConfig {
            name: "default".into(),
            splits,
        }]),
    }
}

/// A YAML scalar as PyYAML's `dump` writes it: plain when safe, single-quoted otherwise.
fn yaml_scalar(s: &str) -> String {
    let plain_safe = !s.is_empty()
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
        && !s.ends_with(|c: char| c.is_whitespace() || c == ':');
    if plain_safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// The YAML front matter (between `---` lines), keys sorted as PyYAML sorts them.
pub fn front_matter(md: &Metadata, split: &str, total_mlps: u64) -> String {
    let mut y = String::from("---\n");
    if let Some(configs) = configs_block(md, split) {
        y.push_str("configs:\n");
        for c in configs {
            let _ = writeln!(y, "- config_name: {}\n  data_files:", yaml_scalar(&c.name));
            for s in c.splits {
                let _ = writeln!(y, "  - path: data/{s}-*.parquet\n    split: {s}");
            }
        }
    }
    let pretty = md
        .get("pretty_name")
        .and_then(Value::as_str)
        .unwrap_or(PRETTY_NAME);
    let _ = writeln!(y, "homepage: {HOMEPAGE}");
    y.push_str("language:\n- code\nlicense: cc-by-4.0\n");
    let _ = writeln!(y, "pretty_name: {}", yaml_scalar(pretty));
    let _ = writeln!(y, "repository: {REPOSITORY}");
    let _ = writeln!(
        y,
        "size_categories:\n- {}",
        yaml_scalar(size_category(total_mlps))
    );
    y.push_str(
        "tags:\n- whestbench\n- alignment\n- neural-network-statistics\n- benchmark\n- white-box\n",
    );
    if !split_names(md).is_empty() {
        y.push_str("- multi-split\n");
    }
    y.push_str("task_categories:\n- other\n---\n");
    y
}

/// `n` with thousands separators (Python's `'{:,}'.format(n)`).
fn commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A metadata field as display text (`?` when absent).
fn field(md: &Metadata, key: &str) -> String {
    match md.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "?".into(),
    }
}

/// Renders the whole card for a single-split dataset (`split`) or a multi-split one (`split`
/// ignored; the splits come from `md`).
pub fn render_card(md: &Metadata, split: &str) -> String {
    let splits = split_names(md);
    let multi = !splits.is_empty();
    let split_mlps = |s: &str| {
        md.get("splits")
            .and_then(|x| x.get(s))
            .and_then(|x| x.get("n_mlps"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let total: u64 = if multi {
        splits.iter().map(|s| split_mlps(s)).sum()
    } else {
        md.get("n_mlps").and_then(Value::as_u64).unwrap_or(0)
    };
    let n_samples = md.get("n_samples").and_then(Value::as_u64).unwrap_or(0);
    let proto_name = md
        .get("seed_protocol")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let proto_version = md
        .get("seed_protocol")
        .and_then(|p| p.get("version"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    let default_split = md.get("default_split").and_then(Value::as_str);
    let load_split = default_split
        .map(str::to_string)
        .or_else(|| splits.first().cloned());
    let repo = REPO_PLACEHOLDER;
    let pretty = md
        .get("pretty_name")
        .and_then(Value::as_str)
        .unwrap_or(PRETTY_NAME);

    let mut b = front_matter(md, split, total);
    let _ = write!(
        b,
        "\n# {pretty}\n\nWhestBench is a benchmark for *white-box activation estimation*: given \
         the weights of a randomly initialized ReLU multi-layer perceptron (MLP) and a strict \
         floating-point-operation (FLOP) budget, predict the average post-activation value of \
         every neuron when the network is fed standard Gaussian inputs.\n\n"
    );
    if multi {
        b.push_str(
            "**This is a multi-split WhestBench dataset.** It contains disjoint splits:\n\n",
        );
        for s in &splits {
            let _ = writeln!(b, "- **`{s}`** ({} MLPs)", commas(split_mlps(s)));
        }
    } else {
        let _ = writeln!(
            b,
            "**This is the `{split}` dataset for WhestBench 2026**: pre-baked MLPs paired with \
             their ground-truth activation statistics."
        );
    }
    b.push_str("\n## Quick start\n\n```python\nfrom datasets import load_dataset\n\n");
    match (&load_split, multi) {
        (Some(s), true) => {
            let _ = writeln!(
                b,
                "ds = load_dataset(\"{repo}\", revision=\"main\", split=\"{s}\")"
            );
        }
        _ => {
            let _ = writeln!(
                b,
                "ds = load_dataset(\"{repo}\", revision=\"main\", split=\"{split}\")"
            );
        }
    }
    b.push_str("print(ds[0][\"mlp_name\"])\n```\n\nWith whestbench (schema validation and `metadata.json` access):\n\n```python\nimport whestbench\n\n");
    let split_arg = match (&load_split, multi) {
        (Some(s), true) => format!(", split=\"{s}\""),
        _ => String::new(),
    };
    let _ = writeln!(
        b,
        "ds = whestbench.load_dataset(\"{repo}\", revision=\"main\"{split_arg})\nfor mlp in \
         whestbench.iter_mlps(ds):\n    ...\n```\n\nScore an estimator on it (Python or whest-rs):\n\n```bash\nwhest run --estimator my_estimator.py --dataset hf://{repo}@main\nwhest-runner run --estimator ./my-estimator --dataset ./downloaded-dataset\n```"
    );
    b.push_str(
        "\n## Schema\n\nEach row is one MLP. Eight columns:\n\n\
         | Column | Type / shape | What this is |\n|---|---|---|\n\
         | `mlp_id` | `int32` | 0-based index of this MLP within the dataset (absolute across parallel-bake slices). |\n\
         | `mlp_name` | `string` | Stable, deterministic human-readable slug derived from the seed. |\n",
    );
    let seed_row = match proto_name {
        NAME_V4 => "Per-MLP **input** seed. Under seed_protocol 4.0, `MLP.seed` is a keyed BLAKE2b of it under the dataset's salt.",
        NAME_V2 => "The estimator seed itself (legacy seed_protocol 2.0).",
        _ => "Per-MLP **input** seed. Under seed_protocol 3.0, `MLP.seed` is `SeedSequence(mlp_seed).spawn(3)[2].generate_state(1)[0]`.",
    };
    let _ = writeln!(b, "| `mlp_seed` | `int64` | {seed_row} |");
    let _ = write!(
        b,
        "| `weights` | `float32[depth, width, width]` | Layer weight matrices; layer `l` computes \
         `h_l = max(0, h_(l-1) @ W_l)` (row vector on the left, no biases). He initialization \
         `N(0, 2/width)`. |\n\
         | `all_layer_means` | `float32[depth, width]` | **Ground truth**: entry `[l, j]` is the \
         Monte-Carlo mean of neuron `j` after layer `l` over N = {n} Gaussian inputs. |\n\
         | `final_means` | `float32[width]` | The last row of `all_layer_means`; the primary \
         score (`final_layer_mse`) uses only this row. |\n\
         | `avg_variance` | `float64` | Mean per-neuron variance of the final layer (diagnostic, \
         not used by the score). |\n\
         | `sampling_budget_breakdown` | `string` (JSON) | FLOP accounting of the bake that \
         produced this row's ground truth (provenance, not the estimator's budget). |\n",
        n = commas(n_samples)
    );
    let _ = write!(
        b,
        "\n## How the ground truth was made\n\nMonte Carlo with **N = {n}** standard-Gaussian \
         inputs per MLP, pushed through all layers in f32, with column sums accumulated in \
         float64 and the means rounded to float32. The per-neuron standard error is \
         `sqrt(Var[h_j]/N)`, so the ground-truth MSE is about `avg_variance / N`.\n",
        n = commas(n_samples)
    );
    b.push_str("\n## Dataset summary\n\n|  |  |\n|---|---|\n");
    if multi {
        let _ = writeln!(
            b,
            "| Splits | {} |\n| MLPs total | {total} |",
            splits.join(", ")
        );
        for s in &splits {
            let _ = writeln!(b, "| `{s}` split MLPs | {} |", commas(split_mlps(s)));
        }
    } else {
        let _ = writeln!(b, "| Split | `{split}` |\n| MLPs | {total} |");
    }
    let _ = write!(
        b,
        "| Width | {} |\n| Depth | {} |\n| Monte Carlo samples per MLP (N) | **{}** |\n\
         | Schema version | {} |\n| Seed protocol | `{proto_name}` v{proto_version} |\n",
        field(md, "width"),
        field(md, "depth"),
        commas(n_samples),
        field(md, "schema_version"),
    );
    let _ = write!(
        b,
        "\n## Reproducibility\n\n- **Backend:** `{}`\n- **Seed protocol:** `{proto_name}` \
         v{proto_version}\n- **Created (UTC):** `{}`\n\n",
        field(md, "backend"),
        field(md, "created_at_utc"),
    );
    match proto_name {
        NAME_V3 => {
            b.push_str(
                "Every MLP's input seed is in the `mlp_seed` column, so the weights can be \
                 regenerated from the published data alone. Extract the seeds of a split into a \
                 JSON array and re-bake:\n\n```bash\n",
            );
            let rebake = |b: &mut String, s: &str, n: u64| {
                let _ = writeln!(
                    b,
                    "whest-runner dataset bake --n-mlps {n} --n-samples {n_samples} --width {} \
                     --depth {} --split {s} --mlp-seeds {s}-seeds.json --output ./{s}-rebake",
                    field(md, "width"),
                    field(md, "depth"),
                );
            };
            if multi {
                for s in &splits {
                    rebake(&mut b, s, split_mlps(s));
                }
            } else {
                rebake(&mut b, split, total);
            }
            b.push_str("```\n\nThe same seeds give bit-identical weights; the means match bit for bit when the bake uses the same chunking (`provenance.chunk_size` in `sampling_budget_breakdown`) and summation order.\n");
        }
        NAME_V4 => {
            let env = md
                .get("seed_protocol")
                .and_then(|p| p.get("salt_source"))
                .and_then(Value::as_str)
                == Some("env");
            b.push_str(
                "Seed protocol 4.0: `mlp.seed` and `mlp_name` are keyed BLAKE2b digests of the \
                 input seed under this dataset's salt, domain-separated so that neither yields \
                 the other. The weights and ground truth are generated exactly as under 3.0.\n",
            );
            if env {
                b.push_str("\n> **This dataset's salt is not published** (`salt_source` is `env`): export it as hex in `WHEST_SEED_SALT` to read the dataset.\n");
            } else {
                b.push_str(
                    "\nThe salt is recorded in `metadata.json` under `seed_protocol.salt`.\n",
                );
            }
        }
        _ => {
            b.push_str("Legacy seed protocol 2.0 (single root seed per split); new bakes use protocol 3.0 with explicit per-MLP seeds.\n");
        }
    }
    b.push_str("\n## Provenance\n\n");
    match md.get("hardware_fingerprints").and_then(Value::as_array) {
        Some(groups) if !groups.is_empty() => {
            let _ = writeln!(
                b,
                "Assembled from **{}** partial bakes merged with `dataset merge`, in **{}** \
                 distinct hardware configuration{}.",
                field(md, "partials_count"),
                groups.len(),
                if groups.len() > 1 { "s" } else { "" }
            );
            for (i, g) in groups.iter().enumerate() {
                let get = |k: &str| {
                    g.get(k)
                        .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
                        .unwrap_or_else(|| "?".into())
                };
                let _ = writeln!(
                    b,
                    "\n**Configuration {}**: {} partials\n- **CPU**: {} ({} logical cores)\n- \
                     **whestbench**: {} · **flopscope**: {}",
                    i + 1,
                    get("mlp_count"),
                    get("cpu_brand"),
                    get("cpu_count_logical"),
                    get("whestbench_version"),
                    get("flopscope_version"),
                );
            }
        }
        _ => {
            let host = md
                .get("hardware")
                .and_then(|h| h.get("cpu_brand"))
                .and_then(Value::as_str)
                .unwrap_or("unspecified host");
            let _ = writeln!(b, "Single-host bake on `{host}`.");
        }
    }
    b.push_str(
        "\n## Citation\n\n```bibtex\n@misc{whestbench2026,\n  title        = {{WhestBench 2026: \
         ARC White-Box Estimation Challenge}},\n  author       = {{Alignment Research Center} \
         and {AIcrowd}},\n  year         = {2026},\n  howpublished = \
         {\\url{https://www.aicrowd.com/challenges/arc-white-box-estimation-challenge-2026}},\n}\n\
         ```\n\n## License\n\nReleased under **CC-BY-4.0**.\n",
    );
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn md(v: Value) -> Metadata {
        v.as_object().cloned().expect("object")
    }

    /// Front matter of the single-split reference fixture, as whestbench 0.16.2 wrote it.
    #[test]
    fn single_split_front_matter_matches_python() {
        let m = md(json!({"split": "public", "config": "default", "n_mlps": 4}));
        assert_eq!(
            front_matter(&m, "public", 4),
            "---\nhomepage: https://www.aicrowd.com/challenges/arc-white-box-estimation-challenge-2026\n\
             language:\n- code\nlicense: cc-by-4.0\n\
             pretty_name: 'WhestBench 2026: ARC White-Box Estimation Challenge'\n\
             repository: https://github.com/AIcrowd/whestbench\nsize_categories:\n- n<1K\n\
             tags:\n- whestbench\n- alignment\n- neural-network-statistics\n- benchmark\n\
             - white-box\ntask_categories:\n- other\n---\n"
        );
    }

    /// `configs:` of a combine-splits output (mini: default config, full: config "full"), as
    /// whestbench 0.16.2 wrote it.
    #[test]
    fn multi_split_configs_match_python() {
        let m = md(
            json!({"splits": {"mini": {"n_mlps": 2, "config": "default"},
                                     "full": {"n_mlps": 3, "config": "full"}},
                          "default_split": "mini"}),
        );
        let fm = front_matter(&m, "", 5);
        assert!(fm.starts_with(
            "---\nconfigs:\n- config_name: default\n  data_files:\n  - path: data/mini-*.parquet\n    split: mini\n\
             - config_name: full\n  data_files:\n  - path: data/full-*.parquet\n    split: full\nhomepage:"
        ), "{fm}");
        assert!(fm.contains("- white-box\n- multi-split\n"));
    }

    #[test]
    fn config_layout_rules() {
        let same = md(json!({"splits": {"a": {"n_mlps": 1, "config": "default"},
                                        "b": {"n_mlps": 1, "config": "default"}},
                             "default_split": "b"}));
        let names = |c: Vec<CardConfig>| {
            c.into_iter()
                .map(|c| (c.name, c.splits))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(configs_block(&same, "").expect("configs")),
            vec![
                ("default".into(), vec!["b".to_string()]),
                ("a".into(), vec!["a".to_string()])
            ]
        );
        let legacy = md(json!({"splits": {"a": {"n_mlps": 1}, "b": {"n_mlps": 1}}}));
        assert_eq!(
            names(configs_block(&legacy, "").expect("configs")),
            vec![("default".into(), vec!["a".to_string(), "b".to_string()])]
        );
        let single = md(json!({"split": "x", "config": "cfg"}));
        assert_eq!(
            names(configs_block(&single, "x").expect("configs")),
            vec![("cfg".into(), vec!["x".to_string()])]
        );
        assert_eq!(size_category(999), "n<1K");
        assert_eq!(size_category(1000), "1K<n<10K");
        assert_eq!(commas(1_234_567), "1,234,567");
    }

    #[test]
    fn card_names_the_split_and_counts() {
        let m = md(
            json!({"schema_version": "3.0", "split": "public", "config": "default",
            "n_mlps": 4, "n_samples": 100, "width": 4, "depth": 2, "backend": "flopscope",
            "seed_protocol": {"name": NAME_V3, "version": "3.0"}}),
        );
        let card = render_card(&m, "public");
        assert!(card.contains("| Split | `public` |"));
        assert!(card.contains("--n-mlps 4 --n-samples 100 --width 4 --depth 2"));
    }
}
