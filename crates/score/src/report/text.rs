//! Plain-text rendering of reports for people (layout is ours; at most 100 columns).

use super::{ErrorPayload, Report};
use crate::scoring::MlpEntry;

/// Maximum line width of the text report.
pub const TEXT_WIDTH: usize = 100;

/// `n` with a K/M/G/T suffix (`49.15K`, `2.20T`); plain below 1000.
pub fn human_count(n: f64) -> String {
    if !n.is_finite() {
        return format!("{n}");
    }
    let units = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")];
    for (scale, suffix) in units {
        if n.abs() >= scale {
            return format!("{:.2}{suffix}", n / scale);
        }
    }
    format!("{n:.0}")
}

/// Cuts `s` to at most `max` characters, marking a cut with `…`.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `v` with 5 significant digits in scientific notation, Python style (`1.8906e-01`).
fn sci(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{v:.4e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// The status column: `ok`, the failure flags, or `error`.
fn status(e: &MlpEntry) -> String {
    if e.error.is_some() {
        return "error (see Errors)".to_string();
    }
    let flags: Vec<&str> = [
        (e.budget_exhausted, "budget_exhausted"),
        (e.time_exhausted, "time_exhausted"),
        (e.residual_wall_time_exhausted, "residual_exhausted"),
        (e.combined_budget_exhausted, "combined_exhausted"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect();
    if flags.is_empty() {
        "ok".to_string()
    } else {
        flags.join(",")
    }
}

fn opt_secs(v: Option<f64>) -> String {
    v.map_or_else(|| "none".to_string(), |s| format!("{s} s"))
}

/// Renders a report: headline adjusted score first, then summary metrics, the per-MLP table,
/// the errors, the failure breakdown and the run settings.
pub fn render_text(report: &Report) -> String {
    let r = &report.results;
    let cfg = &report.run_config;
    let budget = cfg.flop_budget;
    let n = r.per_mlp.len();
    let mut lines: Vec<String> = Vec::new();

    lines.push(format!(
        "Adjusted final-layer score: {}   (mean over {n} MLP{}; lower is better)",
        super::py_float_repr(r.adjusted_final_layer_score),
        if n == 1 { "" } else { "s" }
    ));
    lines.push(format!(
        "  final-layer MSE {}   all-layers MSE {}   best {}   worst {}",
        sci(r.final_layer_mse),
        sci(r.all_layers_mse),
        sci(r.best_mlp_adjusted_final_layer_score),
        sci(r.worst_mlp_adjusted_final_layer_score)
    ));
    lines.push(format!(
        "  mean multiplier {:.4}   mean compute utilization {:.2}%   mean effective compute {}",
        r.mean_score_multiplier,
        r.mean_compute_utilization * 100.0,
        human_count(r.mean_effective_compute)
    ));
    let fb = &r.failure_breakdown;
    lines.push(format!(
        "  failed {} of {n}: budget {}, time {}, residual time {}, combined {}, error {}",
        r.n_failed_mlps,
        fb.budget_exhausted,
        fb.time_exhausted,
        fb.residual_wall_time_exhausted,
        fb.combined_budget_exhausted,
        fb.error
    ));
    lines.push(String::new());

    lines.push("Per-MLP results".to_string());
    lines.push(format!(
        "{:>5}  {:<20} {:>11} {:>7} {:>11} {:>10} {:>9}  {}",
        "#", "name", "final MSE", "mult", "adj. score", "FLOPs", "wall s", "status"
    ));
    for e in &r.per_mlp {
        let name = if e.mlp_name.is_empty() {
            "-"
        } else {
            e.mlp_name.as_str()
        };
        lines.push(format!(
            "{:>5}  {:<20} {:>11} {:>7.4} {:>11} {:>10} {:>9.4}  {}",
            e.mlp_index,
            clip(name, 20),
            sci(e.final_layer_mse),
            e.score_multiplier(budget),
            sci(e.adjusted_final_layer_score),
            human_count(e.flops_used as f64),
            e.timing.wall_time_s,
            status(e)
        ));
    }

    let errors: Vec<&MlpEntry> = r.per_mlp.iter().filter(|e| e.error.is_some()).collect();
    if !errors.is_empty() {
        lines.push(String::new());
        lines.push("Errors".to_string());
        for e in errors {
            if let Some(err) = &e.error {
                let first = err.message.lines().next().unwrap_or("");
                lines.push(format!(
                    "  [{}] {} {}: {first}",
                    e.mlp_index, e.mlp_name, err.error_code
                ));
                if let Some(hint) = err
                    .details
                    .as_ref()
                    .and_then(|d| d.get("hint"))
                    .and_then(|h| h.as_str())
                {
                    lines.push(format!("      hint: {hint}"));
                }
            }
        }
    }

    lines.push(String::new());
    lines.push(format!(
        "Run: {} MLPs of width {} × depth {}, seed {}, budget {} FLOPs/MLP, λ {} FLOP/s",
        cfg.n_mlps,
        cfg.width,
        cfg.depth,
        cfg.seed
            .map_or_else(|| "none".to_string(), |s| s.to_string()),
        human_count(budget as f64),
        cfg.lambda_flops_per_second
    ));
    lines.push(format!(
        "     wall cap {}, residual cap {}, setup cap {} s, duration {:.3} s",
        opt_secs(cfg.wall_time_limit_s),
        opt_secs(cfg.residual_wall_time_limit_s),
        cfg.setup_timeout_s,
        report.run_meta.run_duration_s
    ));
    if let Some(ds) = &cfg.dataset {
        lines.push(format!(
            "     dataset {} (metadata sha256 {})",
            ds.path, ds.sha256
        ));
    }
    let host = &report.run_meta.host;
    lines.push(format!(
        "     host {} ({}, {} logical CPUs), finished {}, whest-rs {}",
        host.hostname.as_deref().unwrap_or("unknown"),
        host.cpu_brand.as_deref().unwrap_or("unknown CPU"),
        host.cpu_count_logical
            .map_or_else(|| "?".to_string(), |c| c.to_string()),
        report.run_meta.run_finished_at_utc,
        report.whestbench_version
    ));

    let mut out = String::new();
    for line in lines {
        out.push_str(&clip(&line, TEXT_WIDTH));
        out.push('\n');
    }
    out
}

/// Renders a top-level error payload: `error [stage] CODE: message`, details and traceback.
pub fn render_error_text(payload: &ErrorPayload) -> String {
    let e = &payload.error;
    let mut out = format!("error [{}] {}: {}\n", e.stage, e.code, e.message);
    if let Some(details) = &e.details {
        out.push_str(&format!("details: {details}\n"));
    }
    if let Some(tb) = &e.traceback {
        out.push_str(tb);
        if !tb.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
