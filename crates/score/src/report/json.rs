//! JSON text exactly as Python's `json.dumps(obj, indent=2)` ([`to_python_json`]) or
//! `json.dumps(obj)` ([`to_python_json_line`]: one line, `", "` between items) writes it:
//! `": "` between key and value, floats in `repr` form (`1e-05`, `1e+16`, `5.0`), non-ASCII and
//! DEL escaped as `\uXXXX`, and non-finite floats as the bare tokens `Infinity`, `-Infinity`,
//! `NaN` (which Python's `json.loads` reads back; strict JSON parsers do not).
//!
//! serde_json cannot carry non-finite floats, so report types serialize them through [`PyF64`]
//! as marker strings; [`to_python_json`] turns the markers into the bare tokens and
//! [`to_value`] into `null`.

use std::io;

use serde::{Serialize, Serializer};
use serde_json::ser::{CharEscape, Formatter, PrettyFormatter};
use serde_json::Value;

const MARK_POS_INF: &str = "\u{0}whest-rs:Infinity";
const MARK_NEG_INF: &str = "\u{0}whest-rs:-Infinity";
const MARK_NAN: &str = "\u{0}whest-rs:NaN";

/// An f64 that serializes non-finite values as marker strings (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PyF64(pub f64);

impl Serialize for PyF64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str(MARK_NAN)
        } else if v > 0.0 {
            s.serialize_str(MARK_POS_INF)
        } else {
            s.serialize_str(MARK_NEG_INF)
        }
    }
}

/// `serialize_with` helper for an f64 field.
pub(crate) fn py_f64<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    PyF64(*v).serialize(s)
}

/// `serialize_with` helper for an optional f64 field.
pub(crate) fn py_opt_f64<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => PyF64(*v).serialize(s),
        None => s.serialize_none(),
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, positional for exponents in
/// `[-4, 16)` (always with a fractional part), scientific otherwise with a signed, at least
/// two-digit exponent.
pub fn py_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-1.2345e-7".
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if v < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let body = if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        format!("{sign}{body}")
    } else {
        let frac = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{frac}e{esign}{:02}", exp.abs())
    }
}

/// The punctuation of `json.dumps(obj)` with default separators: `", "` and `": "`, no
/// newlines.
struct PyCompactLayout;

impl Formatter for PyCompactLayout {
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
}

/// serde_json formatter reproducing Python's `json.dumps` (with `ensure_ascii=True`): the
/// punctuation and indentation of `inner`, and Python's float `repr` and string escapes.
struct PyFormatter<L> {
    inner: L,
}

impl<L: Formatter> Formatter for PyFormatter<L> {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object_value(w)
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
        if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return w.write_all(s.as_bytes());
        }
        let mut out = String::with_capacity(s.len() + 16);
        for c in s.chars() {
            if (' '..='~').contains(&c) {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
        w.write_all(out.as_bytes())
    }
    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        e: CharEscape,
    ) -> io::Result<()> {
        let s = match e {
            CharEscape::Quote => "\\\"".to_string(),
            CharEscape::ReverseSolidus => "\\\\".to_string(),
            CharEscape::Solidus => "/".to_string(),
            CharEscape::Backspace => "\\b".to_string(),
            CharEscape::FormFeed => "\\f".to_string(),
            CharEscape::LineFeed => "\\n".to_string(),
            CharEscape::CarriageReturn => "\\r".to_string(),
            CharEscape::Tab => "\\t".to_string(),
            CharEscape::AsciiControl(b) => format!("\\u{b:04x}"),
        };
        w.write_all(s.as_bytes())
    }
}

/// `value` as Python's `json.dumps(value, indent=2)` would write it (no trailing newline).
pub fn to_python_json<T: Serialize + ?Sized>(value: &T) -> String {
    let formatter = PyFormatter {
        inner: PrettyFormatter::with_indent(b"  "),
    };
    serialize_python(value, formatter)
        .unwrap_or_else(|| serde_json::to_string_pretty(value).unwrap_or_default())
}

/// `value` as Python's `json.dumps(value)` would write it: one line, default separators. Used
/// for the strings a dataset stores (the parquet `huggingface` features key and each row's
/// `sampling_budget_breakdown`), so the bytes match what Python whestbench writes.
pub fn to_python_json_line<T: Serialize + ?Sized>(value: &T) -> String {
    serialize_python(
        value,
        PyFormatter {
            inner: PyCompactLayout,
        },
    )
    .unwrap_or_else(|| serde_json::to_string(value).unwrap_or_default())
}

/// Serializes `value` with `formatter` and turns non-finite markers into Python's bare tokens;
/// `None` if serialization fails (it cannot for this crate's own types: string keys, no I/O).
fn serialize_python<T: Serialize + ?Sized, L: Formatter>(
    value: &T,
    formatter: PyFormatter<L>,
) -> Option<String> {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    value.serialize(&mut ser).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    Some(
        [
            (MARK_NEG_INF, "-Infinity"),
            (MARK_POS_INF, "Infinity"),
            (MARK_NAN, "NaN"),
        ]
        .iter()
        .fold(text, |t, (mark, token)| {
            let quoted = format!("\"\\u0000{}\"", &mark[1..]);
            t.replace(&quoted, token)
        }),
    )
}

/// `value` as a `serde_json::Value`, non-finite floats as `null`.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Value {
    fn scrub(v: Value) -> Value {
        match v {
            Value::String(s) if s == MARK_NAN || s == MARK_POS_INF || s == MARK_NEG_INF => {
                Value::Null
            }
            Value::Array(a) => Value::Array(a.into_iter().map(scrub).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, scrub(v))).collect()),
            other => other,
        }
    }
    scrub(serde_json::to_value(value).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_line_form_matches_python_json_dumps() {
        let v = serde_json::json!({"a": [1, 2.5, 1e-5, 1e16, 3.0], "b": {"c": null, "d": "é\"x"}, "e": true});
        assert_eq!(
            to_python_json_line(&v),
            r#"{"a": [1, 2.5, 1e-05, 1e+16, 3.0], "b": {"c": null, "d": "\u00e9\"x"}, "e": true}"#
        );
        assert_eq!(to_python_json_line(&serde_json::json!([])), "[]");
    }
    use serde_json::json;

    #[test]
    fn float_repr_matches_python() {
        // (value, CPython 3.11 repr)
        let cases: [(f64, &str); 21] = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (0.00012345, "0.00012345"),
            (123456789.0, "123456789.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (2199023255552.0, "2199023255552.0"),
            (1.2345678901234567e-7, "1.2345678901234566e-07"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (100.0, "100.0"),
            (0.5, "0.5"),
            (-2.5e-10, "-2.5e-10"),
            (33637376.0, "33637376.0"),
            (65374.3995, "65374.3995"),
            (9.780400068848394e-05, "9.780400068848394e-05"),
        ];
        for (v, want) in cases {
            assert_eq!(py_float_repr(v), want, "{v:e}");
        }
    }

    #[test]
    fn dumps_like_python() {
        #[derive(Serialize)]
        struct S {
            #[serde(serialize_with = "py_f64")]
            inf: f64,
            xs: Vec<PyF64>,
            #[serde(serialize_with = "py_opt_f64")]
            none: Option<f64>,
            s: String,
            empty: Vec<u8>,
            obj: Value,
        }
        let s = S {
            inf: f64::INFINITY,
            xs: [f64::NEG_INFINITY, f64::NAN, 1e-5, 2.0].map(PyF64).to_vec(),
            none: None,
            s: "é\u{7f}\"\\\n\u{1}𝄞".to_string(),
            empty: vec![],
            obj: json!({}),
        };
        // json.dumps({...}, indent=2) in CPython 3.11:
        let want = "{\n  \"inf\": Infinity,\n  \"xs\": [\n    -Infinity,\n    NaN,\n    1e-05,\n    \
                    2.0\n  ],\n  \"none\": null,\n  \"s\": \"\\u00e9\\u007f\\\"\\\\\\n\\u0001\\ud834\\udd1e\",\n  \
                    \"empty\": [],\n  \"obj\": {}\n}";
        assert_eq!(to_python_json(&s), want);
        let v = to_value(&s);
        assert_eq!(v["inf"], Value::Null);
        assert_eq!(v["xs"], json!([null, null, 1e-5, 2.0]));
    }
}
