//! The weighted `en_US` person-name table ([`crate::NAMES_TABLE`]) from
//! `data/faker_en_US_names.tsv`.
//!
//! # Where the data comes from
//!
//! faker 37.12.0, `faker/providers/person/en_US/__init__.py`, defines `first_names_male`,
//! `first_names_female` and `last_names` as `OrderedDict`s of name → weight, and then
//! `first_names = first_names_male.copy(); first_names.update(first_names_female)`. Python's
//! `OrderedDict.update` keeps a name that is already present at its (male) position and gives
//! it the female weight; female-only names follow in file order. The data file is that
//! `first_names` and `last_names` in dictionary order, printed by:
//!
//! ```text
//! pip install faker==37.12.0
//! python3 -c '
//! from faker.providers.person.en_US import Provider as P
//! for section, names in (("first_names", P.first_names), ("last_names", P.last_names)):
//!     print(f"[{section}]")
//!     for name, weight in names.items():
//!         print(f"{name}\t{weight!r}")'
//! ```
//!
//! (plus a comment header). `repr` of a weight is its shortest round-trip text, which is also
//! what Rust prints for the same `f64`, so the table's literals are the file's float literals.

use crate::data::{sections, DataError, Line};

/// The data file, relative to the tool's folder.
const DATA_FILE: &str = "data/faker_en_US_names.tsv";
/// The data file's text.
const DATA: &str = include_str!("../data/faker_en_US_names.tsv");

/// The generated file's module doc (provenance and faker's license), up to the first table.
const HEADER: &str = r#"//! Weighted `en_US` person-name tables from faker 37.12.0 (generated — do not edit by hand).
//!
//! Source: `faker/providers/person/en_US/__init__.py` of faker 37.12.0
//! (<https://github.com/joke2k/faker>). [`FIRST_NAMES`] is `first_names_male` in file order
//! updated with `first_names_female` (exactly Python's `OrderedDict.update`: names already
//! present keep their male position but take the female weight); [`LAST_NAMES`] is
//! `last_names` in file order. Weights are the file's float literals, which round-trip
//! exactly to the same `f64` values.
//!
//! The data is used under faker's MIT license, reproduced here:
//!
//! Copyright (c) 2012 Daniele Faraglia
//!
//! Permission is hereby granted, free of charge, to any person obtaining a copy
//! of this software and associated documentation files (the "Software"), to deal
//! in the Software without restriction, including without limitation the rights
//! to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
//! copies of the Software, and to permit persons to whom the Software is
//! furnished to do so, subject to the following conditions:
//!
//! The above copyright notice and this permission notice shall be included in
//! all copies or substantial portions of the Software.
//!
//! THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
//! IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
//! FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
//! AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
//! LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
//! OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
//! THE SOFTWARE.
"#;

/// One table entry: a name and its relative weight.
pub type Entry<'a> = (&'a str, f64);

/// The full text of [`crate::NAMES_TABLE`].
///
/// # Errors
/// A [`DataError`] naming the line of the data file that is not `name<TAB>weight` with a
/// finite positive weight, that repeats a name, or a missing section.
pub fn generate() -> Result<String, DataError> {
    let parsed = sections(DATA_FILE, DATA, &["first_names", "last_names"])?;
    let first = entries(&parsed[0])?;
    let last = entries(&parsed[1])?;
    let mut out = String::from(HEADER);
    out.push('\n');
    out.push_str(&format!(
        "/// `first_names` ({} entries): `first_names_male` updated with `first_names_female`.\n",
        first.len()
    ));
    push_table(&mut out, "FIRST_NAMES", &first);
    out.push('\n');
    out.push_str(&format!("/// `last_names` ({} entries).\n", last.len()));
    push_table(&mut out, "LAST_NAMES", &last);
    Ok(out)
}

/// The `name<TAB>weight` lines of one section.
fn entries<'a>(lines: &[Line<'a>]) -> Result<Vec<Entry<'a>>, DataError> {
    let mut seen = std::collections::HashSet::new();
    lines
        .iter()
        .map(|&(line, text)| {
            let bad = |why: &str| DataError::at(DATA_FILE, line, format!("{why} in {text:?}"));
            let (name, weight) = text
                .split_once('\t')
                .ok_or_else(|| bad("expected `name<TAB>weight`"))?;
            if name.is_empty() || name.contains('\t') {
                return Err(bad("expected one non-empty name"));
            }
            if !seen.insert(name) {
                return Err(bad("a repeated name"));
            }
            let weight: f64 = weight
                .parse()
                .map_err(|_| bad("a weight that is not a number"))?;
            if !(weight.is_finite() && weight > 0.0) {
                return Err(bad("a weight that is not finite and positive"));
            }
            Ok((name, weight))
        })
        .collect()
}

/// Appends `pub(crate) static NAME: [(&str, f64); n] = [...];`.
fn push_table(out: &mut String, name: &str, entries: &[Entry<'_>]) {
    out.push_str(&format!(
        "pub(crate) static {name}: [(&str, f64); {}] = [\n",
        entries.len()
    ));
    for (person, weight) in entries {
        out.push_str(&format!("    ({person:?}, {weight}),\n"));
    }
    out.push_str("];\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_names_keep_the_male_order_then_female_only_names() {
        let parsed = sections(DATA_FILE, DATA, &["first_names", "last_names"]).expect("data");
        let first = entries(&parsed[0]).expect("first names");
        let last = entries(&parsed[1]).expect("last names");
        assert_eq!((first.len(), last.len()), (690, 1000));
        assert_eq!(first[0], ("Aaron", 0.006741589));
        assert_eq!(last[0], ("Smith", 0.021712045));
    }

    #[test]
    fn a_bad_entry_names_its_line() {
        let lines = [(7, "Ann\t0.5"), (8, "Bob 0.5")];
        let err = entries(&lines).expect_err("no tab");
        assert_eq!(err.line, 8);
        assert!(err.message.contains("name<TAB>weight"), "{err}");
        let err = entries(&[(3, "Ann\t-1")]).expect_err("negative");
        assert!(
            err.to_string()
                .starts_with("data/faker_en_US_names.tsv:3: "),
            "{err}"
        );
        let err = entries(&[(3, "Ann\t1"), (4, "Ann\t2")]).expect_err("repeat");
        assert!(err.message.contains("repeated"), "{err}");
    }
}
