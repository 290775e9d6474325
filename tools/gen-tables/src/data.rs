//! The format of the checked-in data files: `#` comment lines and blank lines, then
//! `[section]` headers, each followed by its value lines.

use std::fmt;

/// A malformed line (or a missing section) in a checked-in data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The data file, relative to the tool's folder.
    pub file: &'static str,
    /// 1-based line number; 0 when the problem is the whole file.
    pub line: usize,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for DataError {}

impl DataError {
    /// An error at `line` of `file`.
    pub(crate) fn at(file: &'static str, line: usize, message: impl Into<String>) -> DataError {
        DataError {
            file,
            line,
            message: message.into(),
        }
    }
}

/// One value line: its 1-based line number and its text.
pub(crate) type Line<'a> = (usize, &'a str);

/// The value lines of each of `names`, which must be the file's sections, in this order.
pub(crate) fn sections<'a>(
    file: &'static str,
    text: &'a str,
    names: &[&str],
) -> Result<Vec<Vec<Line<'a>>>, DataError> {
    let mut found: Vec<Vec<Line<'a>>> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        if let Some(name) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            match names.get(found.len()) {
                Some(want) if *want == name => found.push(Vec::new()),
                Some(want) => {
                    return Err(DataError::at(
                        file,
                        line,
                        format!("expected section [{want}], found [{name}]"),
                    ))
                }
                None => return Err(DataError::at(file, line, format!("extra section [{name}]"))),
            }
        } else {
            match found.last_mut() {
                Some(section) => section.push((line, raw)),
                None => {
                    return Err(DataError::at(
                        file,
                        line,
                        "a value before the first [section] header",
                    ))
                }
            }
        }
    }
    if let Some(missing) = names.get(found.len()) {
        return Err(DataError::at(
            file,
            0,
            format!("missing section [{missing}]"),
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_come_in_the_given_order_and_skip_comments() {
        let text = "# about\n[a]\n1\n\n# note\n2\n[b]\n3\n";
        let got = sections("f", text, &["a", "b"]).expect("valid");
        assert_eq!(got, vec![vec![(3, "1"), (6, "2")], vec![(8, "3")]]);
    }

    #[test]
    fn a_missing_misplaced_or_extra_section_names_the_line() {
        let err = sections("f", "[a]\n1\n", &["a", "b"]).expect_err("missing b");
        assert_eq!(err.to_string(), "f:0: missing section [b]");
        let err = sections("f", "[b]\n", &["a", "b"]).expect_err("b first");
        assert_eq!(err.to_string(), "f:1: expected section [a], found [b]");
        let err = sections("f", "[a]\n[c]\n", &["a"]).expect_err("extra");
        assert_eq!(err.to_string(), "f:2: extra section [c]");
        let err = sections("f", "1\n[a]\n", &["a"]).expect_err("orphan value");
        assert_eq!(err.line, 1);
    }
}
