//! One-line JSON text exactly as Python's `json.dumps(obj)` writes it: `", "` between items,
//! `": "` between key and value, floats in `repr` form, non-ASCII escaped as `\uXXXX`.
//!
//! Used for the strings a dataset stores (the parquet `huggingface` features key and the
//! per-row `sampling_budget_breakdown`), so the bytes match what Python whestbench writes.
//! Pretty-printed files (`metadata.json`) use [`crate::report::to_python_json`].

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use crate::report::py_float_repr;

/// serde_json formatter for `json.dumps(obj)` with default separators and `ensure_ascii`.
struct PyCompactFormatter;

impl Formatter for PyCompactFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.begin_array_value(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: f64) -> io::Result<()> {
        w.write_all(py_float_repr(v).as_bytes())
    }
    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, v: f32) -> io::Result<()> {
        w.write_all(py_float_repr(f64::from(v)).as_bytes())
    }
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        s: &str,
    ) -> io::Result<()> {
        if s.is_ascii() {
            return CompactFormatter.write_string_fragment(w, s);
        }
        for c in s.chars() {
            if c.is_ascii() {
                let mut buf = [0u8; 1];
                w.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// `value` as Python's `json.dumps(value)` text.
///
/// # Panics
/// Never for `serde_json::Value` input; a `Serialize` impl that fails would panic here (only
/// this crate's own types are serialized).
pub fn to_python_json_line<T: Serialize + ?Sized>(value: &T) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, PyCompactFormatter);
    value
        .serialize(&mut ser)
        .expect("serializing JSON values into memory cannot fail");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_json_dumps() {
        let v = json!({"a": [1, 2.5, 1e-5, 1e16, 3.0], "b": {"c": null, "d": "é\"x"}, "e": true});
        assert_eq!(
            to_python_json_line(&v),
            r#"{"a": [1, 2.5, 1e-05, 1e+16, 3.0], "b": {"c": null, "d": "\u00e9\"x"}, "e": true}"#
        );
        assert_eq!(to_python_json_line(&json!([])), "[]");
    }
}
