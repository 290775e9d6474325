//! Regenerates the workspace's generated Rust tables, byte for byte, from checked-in data.
//!
//! | module | writes | from |
//! |---|---|---|
//! | [`names`] | [`NAMES_TABLE`]: faker's `en_US` person names | `data/faker_en_US_names.tsv` |
//! | [`ziggurat`] | [`ZIGGURAT_TABLE`]: numpy's ziggurat | `data/numpy_ziggurat_constants.txt` |
//! | `data` | — | the `[section]` reader both data files share |
//!
//! The data files are compiled into the tool (`include_str!`). `cargo run -p gen-tables --
//! --write` rewrites the tables; `--check` exits 1 when one differs from what its data gives.

use std::fmt;
use std::path::{Path, PathBuf};

mod data;
pub mod names;
pub mod ziggurat;

pub use data::DataError;

/// The person-name table, relative to the workspace root.
pub const NAMES_TABLE: &str = "crates/contest/src/names/tables.rs";
/// The ziggurat table of flopscope's normal sampler, relative to the workspace root.
pub const ZIGGURAT_TABLE: &str = "flopscope-rs/src/random/ziggurat_tables.rs";

/// One generated file: where it lives and what produces its text.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    /// Path relative to the workspace root.
    pub path: &'static str,
    /// The file's full text, from the checked-in data.
    pub generate: fn() -> Result<String, DataError>,
}

/// Every table this tool owns.
pub const TABLES: [Table; 2] = [
    Table {
        path: NAMES_TABLE,
        generate: names::generate,
    },
    Table {
        path: ZIGGURAT_TABLE,
        generate: ziggurat::generate,
    },
];

/// The workspace root: two folders above this crate's manifest (`tools/gen-tables`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Why the tables could not be checked or written.
#[derive(Debug)]
pub enum GenError {
    /// A checked-in data file is malformed.
    Data(DataError),
    /// A table could not be read or written.
    Io {
        /// The table's path.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenError::Data(e) => write!(f, "{e}"),
            GenError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for GenError {}

impl From<DataError> for GenError {
    fn from(e: DataError) -> GenError {
        GenError::Data(e)
    }
}

/// The tables under `root` whose text differs from what their data generates (a missing file
/// differs), as paths relative to `root`.
///
/// # Errors
/// [`GenError::Data`] for a malformed data file, [`GenError::Io`] for an unreadable table.
pub fn stale_tables(root: &Path) -> Result<Vec<&'static str>, GenError> {
    let mut stale = Vec::new();
    for table in TABLES {
        let want = (table.generate)()?;
        let path = root.join(table.path);
        match std::fs::read_to_string(&path) {
            Ok(have) if have == want => {}
            Ok(_) => stale.push(table.path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => stale.push(table.path),
            Err(source) => return Err(GenError::Io { path, source }),
        }
    }
    Ok(stale)
}

/// Rewrites the stale tables under `root` and returns their paths (relative to `root`).
///
/// # Errors
/// As [`stale_tables`], and [`GenError::Io`] for a table that cannot be written.
pub fn write_tables(root: &Path) -> Result<Vec<&'static str>, GenError> {
    let stale = stale_tables(root)?;
    for table in TABLES.iter().filter(|t| stale.contains(&t.path)) {
        let path = root.join(table.path);
        let text = (table.generate)()?;
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| GenError::Io {
                path: path.clone(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| GenError::Io { path, source })?;
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regeneration_reproduces_the_checked_in_tables() {
        let stale = stale_tables(&workspace_root()).expect("tables readable");
        assert!(
            stale.is_empty(),
            "{stale:?} differ from their data; run `cargo run -p gen-tables -- --write`"
        );
    }

    #[test]
    fn a_changed_or_missing_table_is_stale_and_write_restores_it() {
        let root = std::env::temp_dir().join(format!("gen-tables-{}", std::process::id()));
        let names = root.join(NAMES_TABLE);
        std::fs::create_dir_all(names.parent().expect("parent")).expect("mkdir");
        std::fs::write(&names, "// edited by hand\n").expect("write");
        assert_eq!(
            stale_tables(&root).expect("check"),
            vec![NAMES_TABLE, ZIGGURAT_TABLE]
        );
        write_tables(&root).expect("write");
        assert!(stale_tables(&root).expect("check").is_empty());
        let _ = std::fs::remove_dir_all(&root);
    }
}
