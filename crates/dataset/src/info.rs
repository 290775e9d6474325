//! `dataset info`: the fixed summary whestbench prints for a dataset's metadata.

use serde_json::Value;

use super::metadata::{split_names, Metadata};

/// Keys printed for a single-split dataset, in order, when present.
const SINGLE_KEYS: [&str; 13] = [
    "schema_version",
    "format",
    "backend",
    "seed",
    "split",
    "config",
    "n_mlps",
    "n_samples",
    "width",
    "depth",
    "created_at_utc",
    "device",
    "cuda_device_name",
];

/// A JSON value as Python's `str()` prints it (strings unquoted).
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// An integer with thousands separators (`{:,}`), or the plain value.
fn grouped(v: Option<&Value>) -> String {
    match v.and_then(Value::as_u64) {
        Some(n) => {
            let d = n.to_string();
            let mut out = String::new();
            for (i, c) in d.chars().enumerate() {
                if i > 0 && (d.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        None => v.map_or("?".into(), show),
    }
}

/// The `dataset info` text for `md` (one line per field, trailing newline).
pub fn render_info(md: &Metadata) -> String {
    let mut out = String::new();
    let get = |k: &str| md.get(k).map_or("?".into(), show);
    if md.contains_key("splits") {
        out.push_str("WhestBench dataset (multi-split)\n");
        for k in ["schema_version", "format", "backend"] {
            out.push_str(&format!("  {k}: {}\n", get(k)));
        }
        out.push_str(&format!(
            "  width: {}  depth: {}  n_samples: {}\n  splits:\n",
            get("width"),
            get("depth"),
            grouped(md.get("n_samples"))
        ));
        let mut names = split_names(md);
        names.sort();
        for name in names {
            let info = md.get("splits").and_then(|s| s.get(&name));
            let field = |k: &str| info.and_then(|i| i.get(k));
            let seed = field("seed").map_or(String::new(), |s| format!("  seed={}", show(s)));
            let config = field("config").map_or(String::new(), |c| format!("  config={}", show(c)));
            out.push_str(&format!(
                "    {name}:  n_mlps={}{seed}{config}\n",
                grouped(field("n_mlps"))
            ));
        }
        out.push_str(&format!("  created_at_utc: {}\n", get("created_at_utc")));
    } else {
        out.push_str("WhestBench dataset\n");
        for k in SINGLE_KEYS {
            if let Some(v) = md.get(k) {
                out.push_str(&format!("  {k}: {}\n", show(v)));
            }
        }
    }
    if let Some(p) = md.get("seed_protocol").filter(|p| p.is_object()) {
        let part = |k: &str| p.get(k).map_or("?".into(), show);
        out.push_str(&format!(
            "  seed_protocol:  {} (version {})\n",
            part("name"),
            part("version")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_and_multi_split_summaries() {
        let single = json!({"schema_version": "3.0", "format": "f", "backend": "flopscope",
            "seed_protocol": {"name": "p", "version": "3.0"}, "split": "public", "n_mlps": 4,
            "hardware": {}})
        .as_object()
        .cloned()
        .expect("object");
        assert_eq!(
            render_info(&single),
            "WhestBench dataset\n  schema_version: 3.0\n  format: f\n  backend: flopscope\n  \
             split: public\n  n_mlps: 4\n  seed_protocol:  p (version 3.0)\n"
        );
        let multi = json!({"schema_version": "3.0", "format": "f", "backend": "b", "width": 3,
            "depth": 2, "n_samples": 1000000, "created_at_utc": "t",
            "splits": {"mini": {"n_mlps": 2, "config": "default"}, "full": {"n_mlps": 1234}}})
        .as_object()
        .cloned()
        .expect("object");
        let text = render_info(&multi);
        assert!(text.contains("n_samples: 1,000,000"));
        assert!(text.contains("    full:  n_mlps=1,234\n    mini:  n_mlps=2  config=default\n"));
    }
}
