//! `gen-tables --write | --check`: regenerates the workspace's generated tables (see the
//! library docs). Exit codes: 0 done or up to date, 1 a table differs (`--check`) or an error,
//! 2 bad arguments.

use std::process::ExitCode;

use gen_tables::{stale_tables, workspace_root, write_tables, TABLES};

/// What to type.
const USAGE: &str = "usage: gen-tables --write | --check";
/// The command that rewrites stale tables.
const WRITE: &str = "cargo run -p gen-tables -- --write";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.as_slice() {
        [flag] if flag == "--check" => stale_tables(&root).map(|stale| {
            if stale.is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "gen-tables: {} differ from their generator; run `{WRITE}`",
                    stale.join(", ")
                );
                ExitCode::from(1)
            }
        }),
        [flag] if flag == "--write" => write_tables(&root).map(|written| {
            eprintln!(
                "gen-tables: {} of {} tables rewritten{}",
                written.len(),
                TABLES.len(),
                if written.is_empty() {
                    String::new()
                } else {
                    format!(": {}", written.join(", "))
                }
            );
            ExitCode::SUCCESS
        }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("gen-tables: {e}");
        ExitCode::from(1)
    })
}
