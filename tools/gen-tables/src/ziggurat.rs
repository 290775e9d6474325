//! The ziggurat table of flopscope's standard-normal sampler ([`crate::ZIGGURAT_TABLE`]) from
//! `data/numpy_ziggurat_constants.txt`.
//!
//! # Where the data comes from
//!
//! numpy 2.4.6 ships the tables as C literals in
//! `numpy/random/src/distributions/ziggurat_constants.h`, written once by a numpy script:
//! the layer edges `x[i+1] = sqrt(-2 ln(pdf(x[i]) + V / x[i]))` from
//! `r = 3.6541528853610087963519472518` and `V = 0.0049286732339746519` with
//! `pdf(x) = exp(-x²/2)` in float64, reversed; `ki` the rounded ratios `x[i-1] / x[i]`
//! scaled by 2⁵² (double) or 2²³ (float), `wi = x / scale` (`wi[0] = V / pdf(r) / scale`),
//! `fi = pdf(x)`, floats printed with `%.20e`. Recomputing that recurrence today (glibc's
//! `exp`/`ln`) agrees to about 1e-14 but not bit for bit, as the errors grow along the
//! recurrence; so the header's literals are the checked-in data (one a line, in table
//! order), and the test `numpys_recurrence_agrees_with_the_data` ties them to the algorithm.

use crate::data::{sections, DataError, Line};

/// The data file, relative to the tool's folder.
const DATA_FILE: &str = "data/numpy_ziggurat_constants.txt";
/// The data file's text.
const DATA: &str = include_str!("../data/numpy_ziggurat_constants.txt");
/// Layers of the ziggurat: entries in every table.
pub const LAYERS: usize = 256;

/// The generated file's module doc (provenance and numpy's license) and its lint allowances.
const HEADER: &str = r#"//! Ziggurat tables for numpy's standard-normal sampler (256 layers).
//!
//! GENERATED from numpy 2.4.6 `numpy/random/src/distributions/ziggurat_constants.h`
//! (tables `ki_double`, `wi_double`, `fi_double`, `ki_float`, `wi_float`,
//! `fi_float` and the tail constants); do not edit by hand. Literals are copied
//! verbatim; `f32` literals are parsed with a single decimal-to-float rounding,
//! exactly like the `...f` literals in the C header.
//!
//! Copyright (c) 2005-2017, NumPy Developers. All rights reserved.
//! Derived from randomgen (Copyright (c) 2019 Kevin Sheppard) and Julia
//! (Copyright (c) 2009-2019 Jeff Bezanson, Stefan Karpinski, Viral B. Shah and
//! other contributors).
//!
//! Redistribution and use in source and binary forms, with or without
//! modification, are permitted provided that the following conditions are
//! met:
//!
//! * Redistributions of source code must retain the above copyright
//!   notice, this list of conditions and the following disclaimer.
//! * Redistributions in binary form must reproduce the above copyright
//!   notice, this list of conditions and the following disclaimer in the
//!   documentation and/or other materials provided with the distribution.
//! * Neither the name of the NumPy Developers nor the names of any
//!   contributors may be used to endorse or promote products derived from
//!   this software without specific prior written permission.
//!
//! THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
//! "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
//! LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
//! A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
//! OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
//! SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
//! LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
//! DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
//! THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
//! (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
//! OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
//!
//! The Julia-derived parts are under the MIT ("Expat") licence: permission
//! is hereby granted, free of charge, to any person obtaining a copy of this
//! software and associated documentation files, to deal in the Software
//! without restriction, subject to including the above copyright notice and
//! this permission notice in all copies or substantial portions of the
//! Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.

#![allow(clippy::unreadable_literal, clippy::excessive_precision)]
"#;

/// The Rust type of a table's entries, which decides how a literal is checked.
#[derive(Clone, Copy, Debug)]
enum Kind {
    U64,
    U32,
    F64,
    F32,
}

impl Kind {
    fn rust(self) -> &'static str {
        match self {
            Kind::U64 => "u64",
            Kind::U32 => "u32",
            Kind::F64 => "f64",
            Kind::F32 => "f32",
        }
    }

    /// Whether `text` is a literal of this kind as numpy's header spells it: `0x` and
    /// 16 (u64) or 8 (u32) upper-case hex digits, or a finite decimal float.
    fn accepts(self, text: &str) -> bool {
        let hex = |digits: usize| {
            text.strip_prefix("0x").is_some_and(|h| {
                h.len() == digits
                    && h.bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
            })
        };
        match self {
            Kind::U64 => hex(16),
            Kind::U32 => hex(8),
            Kind::F64 => text.parse::<f64>().is_ok_and(f64::is_finite),
            Kind::F32 => text.parse::<f32>().is_ok_and(f32::is_finite),
        }
    }
}

/// One table: its data section, Rust name, entry type, entries per line and doc line.
struct TableSpec {
    section: &'static str,
    name: &'static str,
    kind: Kind,
    per_line: usize,
    doc: &'static str,
}

/// The six tables, in data-file and output order.
const TABLES: [TableSpec; 6] = [
    TableSpec {
        section: "ki_double",
        name: "KI_DOUBLE",
        kind: Kind::U64,
        per_line: 3,
        doc: "Acceptance thresholds `ki_double` for the 52-bit magnitude of an f64 draw.",
    },
    TableSpec {
        section: "wi_double",
        name: "WI_DOUBLE",
        kind: Kind::F64,
        per_line: 2,
        doc: "Layer widths `wi_double` scaling the 52-bit magnitude to an f64 abscissa.",
    },
    TableSpec {
        section: "fi_double",
        name: "FI_DOUBLE",
        kind: Kind::F64,
        per_line: 2,
        doc: "Density values `fi_double` at the layer edges (f64 wedge test).",
    },
    TableSpec {
        section: "ki_float",
        name: "KI_FLOAT",
        kind: Kind::U32,
        per_line: 5,
        doc: "Acceptance thresholds `ki_float` for the 23-bit magnitude of an f32 draw.",
    },
    TableSpec {
        section: "wi_float",
        name: "WI_FLOAT",
        kind: Kind::F32,
        per_line: 2,
        doc: "Layer widths `wi_float` scaling the 23-bit magnitude to an f32 abscissa.",
    },
    TableSpec {
        section: "fi_float",
        name: "FI_FLOAT",
        kind: Kind::F32,
        per_line: 2,
        doc: "Density values `fi_float` at the layer edges (f32 wedge test).",
    },
];

/// The `[tail]` keys: the tail start `r` and `1 / r`, each written as an f64 and an f32 constant.
const TAIL: [(&str, &str, &str); 2] = [
    (
        "ziggurat_nor_r",
        "ZIGGURAT_NOR_R",
        "Start `r` of the normal tail",
    ),
    (
        "ziggurat_nor_inv_r",
        "ZIGGURAT_NOR_INV_R",
        "`1 / r` for the normal tail",
    ),
];

/// The full text of [`crate::ZIGGURAT_TABLE`].
///
/// # Errors
/// A [`DataError`] naming the data line that is not a literal of its table's type, a table
/// without exactly [`LAYERS`] entries, or a missing or misplaced section or tail key.
pub fn generate() -> Result<String, DataError> {
    let names: Vec<&str> = TABLES.iter().map(|t| t.section).chain(["tail"]).collect();
    let parsed = sections(DATA_FILE, DATA, &names)?;
    let mut out = String::from(HEADER);
    for (spec, lines) in TABLES.iter().zip(&parsed) {
        let values = literals(spec, lines)?;
        out.push_str(&format!(
            "\n/// {}\n#[rustfmt::skip]\npub(crate) const {}: [{}; {LAYERS}] = [\n",
            spec.doc,
            spec.name,
            spec.kind.rust()
        ));
        for row in values.chunks(spec.per_line) {
            out.push_str(&format!("    {},\n", row.join(", ")));
        }
        out.push_str("];\n");
    }
    let tail = tail(&parsed[TABLES.len()])?;
    for (suffix, kind) in [("", Kind::F64), ("_F", Kind::F32)] {
        for ((_, name, doc), value) in TAIL.iter().zip(&tail) {
            out.push_str(&format!(
                "\n/// {doc} ({}).\npub(crate) const {name}{suffix}: {} = {value};\n",
                kind.rust(),
                kind.rust()
            ));
        }
    }
    Ok(out)
}

/// The [`LAYERS`] literals of one table, checked against its type.
fn literals<'a>(spec: &TableSpec, lines: &[Line<'a>]) -> Result<Vec<&'a str>, DataError> {
    if lines.len() != LAYERS {
        let line = lines.first().map_or(0, |&(line, _)| line);
        return Err(DataError::at(
            DATA_FILE,
            line,
            format!(
                "[{}] has {} entries, expected {LAYERS}",
                spec.section,
                lines.len()
            ),
        ));
    }
    lines
        .iter()
        .map(|&(line, text)| {
            if spec.kind.accepts(text) {
                Ok(text)
            } else {
                Err(DataError::at(
                    DATA_FILE,
                    line,
                    format!(
                        "{text:?} is not a {} literal for [{}]",
                        spec.kind.rust(),
                        spec.section
                    ),
                ))
            }
        })
        .collect()
}

/// The `key value` lines of `[tail]`, in [`TAIL`] order.
fn tail<'a>(lines: &[Line<'a>]) -> Result<Vec<&'a str>, DataError> {
    let keys: Vec<&str> = TAIL.iter().map(|&(key, _, _)| key).collect();
    if lines.len() != keys.len() {
        return Err(DataError::at(
            DATA_FILE,
            lines.first().map_or(0, |&(line, _)| line),
            format!("[tail] needs exactly the keys {keys:?}"),
        ));
    }
    lines
        .iter()
        .zip(keys)
        .map(|(&(line, text), key)| match text.split_once(' ') {
            Some((k, value))
                if k == key && Kind::F32.accepts(value) && Kind::F64.accepts(value) =>
            {
                Ok(value)
            }
            _ => Err(DataError::at(
                DATA_FILE,
                line,
                format!("expected `{key} <float>`, found {text:?}"),
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// numpy's tail start `r`, as its generator script spells it.
    #[allow(clippy::excessive_precision)]
    const R: f64 = 3.6541528853610087963519472518;
    /// numpy's layer area `V`, as its generator script spells it.
    #[allow(clippy::excessive_precision)]
    const V: f64 = 0.0049286732339746519;

    fn table(section: &str) -> Vec<f64> {
        let names: Vec<&str> = TABLES.iter().map(|t| t.section).chain(["tail"]).collect();
        let parsed = sections(DATA_FILE, DATA, &names).expect("data");
        let at = names.iter().position(|n| *n == section).expect("section");
        parsed[at]
            .iter()
            .map(|&(_, text)| match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).expect("hex") as f64,
                None => text.parse().expect("float"),
            })
            .collect()
    }

    /// numpy's generator in f64: the layer edges, from the innermost (0) to the tail start.
    fn numpy_layer_edges() -> Vec<f64> {
        let (r, v) = (R, V);
        let pdf = |x: f64| (-0.5 * x * x).exp();
        let mut x = vec![0.0; LAYERS];
        x[0] = r;
        for i in 1..LAYERS - 1 {
            x[i] = (-2.0 * (pdf(x[i - 1]) + v / x[i - 1]).ln()).sqrt();
        }
        x.reverse();
        x
    }

    #[test]
    fn numpys_recurrence_agrees_with_the_data() {
        let x = numpy_layer_edges();
        let pdf = |x: f64| (-0.5 * x * x).exp();
        let scale = 2f64.powi(52);
        let (wi, fi, ki) = (table("wi_double"), table("fi_double"), table("ki_double"));
        for i in 1..LAYERS {
            assert!((x[i] / scale - wi[i]).abs() <= 1e-13 * wi[i], "wi[{i}]");
            assert!(
                ((x[i - 1] / x[i] * scale).round() - ki[i]).abs() <= 64.0,
                "ki[{i}]"
            );
        }
        for i in 0..LAYERS {
            assert!((pdf(x[i]) - fi[i]).abs() <= 1e-14 * fi[i], "fi[{i}]");
        }
        let (r, v) = (x[LAYERS - 1], V);
        assert!((v / pdf(r) / scale - wi[0]).abs() <= 1e-13 * wi[0], "wi[0]");
        assert!(
            ((r * pdf(r) / v * scale).round() - ki[0]).abs() <= 64.0,
            "ki[0]"
        );
    }

    #[test]
    fn literals_are_checked_against_their_table_type() {
        assert!(Kind::U64.accepts("0x000EF33D8025EF6A"));
        assert!(!Kind::U64.accepts("0x000ef33d8025ef6a"));
        assert!(!Kind::U32.accepts("0x000EF33D8025EF6A"));
        assert!(Kind::F32.accepts("4.66198677960027669255e-07"));
        assert!(!Kind::F32.accepts("1e39"));
        let spec = &TABLES[0];
        let lines: Vec<Line<'_>> = (0..LAYERS)
            .map(|i| (i + 10, "0x0000000000000000"))
            .collect();
        assert!(literals(spec, &lines).is_ok());
        let err = literals(spec, &lines[1..]).expect_err("255 entries");
        assert!(err.message.contains("has 255 entries"), "{err}");
        let mut bad = lines.clone();
        bad[5].1 = "12";
        assert_eq!(literals(spec, &bad).expect_err("not hex").line, 15);
    }
}
