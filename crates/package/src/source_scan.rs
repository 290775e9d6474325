//! What a submission's Rust sources may not do, found before anything is built: `unsafe` code
//! (the grader also compiles the crate with `-F unsafe-code`, so this is the up-front pointer),
//! `#[no_mangle]`/`#[export_name]`/`#[link_section]` (unsafe attributes), `env!`/`option_env!`
//! (they read the grader's environment at compile time), and `include_bytes!`/`include_str!`/
//! `include!`/`#[path = …]` whose file is not a string literal inside the crate (they could
//! read the grader's files at compile time).
//!
//! The scan lexes each `.rs` file just enough to skip comments, strings and character
//! literals, so `"unsafe"` in a string or comment is not a finding. Each finding is one
//! [`Issue`] naming `file:line`.

use crate::Issue;

/// Macros that read a file at compile time; their argument must be a literal path inside the
/// crate.
const INCLUDE_MACROS: [&str; 3] = ["include_bytes", "include_str", "include"];
/// Macros that read the compiler's environment.
const ENV_MACROS: [&str; 2] = ["env", "option_env"];
/// Attributes the `unsafe_code` lint treats as unsafe (symbol export and placement).
const UNSAFE_ATTRIBUTES: [&str; 3] = ["no_mangle", "export_name", "link_section"];

/// One lexed token: an identifier, a string literal (its value), or a punctuation character.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Issues for the Rust source file `rel` (a `/`-separated path inside the crate) holding
/// `text`.
pub fn source_issues(rel: &str, text: &str) -> Vec<Issue> {
    let tokens = lex(text);
    let mut issues = Vec::new();
    let mut attribute_depth: Option<usize> = None;
    let mut bracket_depth = 0usize;
    for (i, (line, token)) in tokens.iter().enumerate() {
        let at = format!("{rel}:{line}");
        let next = |k: usize| tokens.get(i + k).map(|(_, t)| t);
        match token {
            Token::Punct('[') => {
                bracket_depth += 1;
                let opens_attribute = i > 0
                    && (matches!(tokens[i - 1].1, Token::Punct('#'))
                        || (i > 1
                            && tokens[i - 1].1 == Token::Punct('!')
                            && tokens[i - 2].1 == Token::Punct('#')));
                if opens_attribute && attribute_depth.is_none() {
                    attribute_depth = Some(bracket_depth);
                }
            }
            Token::Punct(']') => {
                if attribute_depth == Some(bracket_depth) {
                    attribute_depth = None;
                }
                bracket_depth = bracket_depth.saturating_sub(1);
            }
            Token::Ident(word) if word == "unsafe" => issues.push(Issue::new(
                "unsafe_code",
                at.clone(),
                format!(
                    "{at} uses `unsafe`, and submissions must be safe Rust (the grader builds \
                     them with -F unsafe-code): use flopscope's tensors and std's safe APIs"
                ),
            )),
            Token::Ident(word)
                if attribute_depth.is_some() && UNSAFE_ATTRIBUTES.contains(&word.as_str()) =>
            {
                issues.push(Issue::new(
                    "unsafe_code",
                    at.clone(),
                    format!(
                        "{at} uses #[{word}], an unsafe attribute (the grader builds with -F \
                         unsafe-code): remove it; export_estimator! exports the estimator"
                    ),
                ));
            }
            Token::Ident(word)
                if attribute_depth.is_some()
                    && word == "path"
                    && next(1) == Some(&Token::Punct('=')) =>
            {
                if let Some(Token::Str(target)) = next(2) {
                    if let Some(reason) = leaves_crate(rel, target) {
                        issues.push(path_issue(&at, "#[path]", target, reason));
                    }
                }
            }
            Token::Ident(word) if renames_reader(&tokens, i) => issues.push(Issue::new(
                "include_outside_crate",
                at.clone(),
                format!(
                    "{at} names the {word} macro without calling it (a `use … as` rename \
                     would hide what it reads): call {word}! by its own name"
                ),
            )),
            Token::Ident(word) if next(1) == Some(&Token::Punct('!')) => {
                if ENV_MACROS.contains(&word.as_str()) {
                    issues.push(Issue::new(
                        "env_macro",
                        at.clone(),
                        format!(
                            "{at} uses {word}!, which reads the grader's build environment: \
                             remove it (ship settings as files or constants)"
                        ),
                    ));
                } else if INCLUDE_MACROS.contains(&word.as_str()) {
                    let macro_name = format!("{word}!");
                    match (next(2), next(3)) {
                        (Some(Token::Punct('(' | '[' | '{')), Some(Token::Str(target))) => {
                            if let Some(reason) = leaves_crate(rel, target) {
                                issues.push(path_issue(&at, &macro_name, target, reason));
                            }
                        }
                        _ => issues.push(Issue::new(
                            "include_outside_crate",
                            at.clone(),
                            format!(
                                "{at}: {macro_name} must name its file with a plain string \
                                 literal, so the grader can see it stays inside the crate: \
                                 write the relative path as a literal"
                            ),
                        )),
                    }
                }
            }
            _ => {}
        }
    }
    issues
}

/// Whether the identifier at `i` names a file- or environment-reading macro without invoking
/// it (as in `use std::include_bytes as ib;`). `include` counts only as a path segment
/// (`std::include`), since it is a common plain name.
fn renames_reader(tokens: &[(usize, Token)], i: usize) -> bool {
    let Token::Ident(word) = &tokens[i].1 else {
        return false;
    };
    if tokens.get(i + 1).map(|(_, t)| t) == Some(&Token::Punct('!')) {
        return false;
    }
    match word.as_str() {
        "include_bytes" | "include_str" | "option_env" => true,
        "include" => i > 0 && tokens[i - 1].1 == Token::Punct(':'),
        _ => false,
    }
}

fn path_issue(at: &str, what: &str, target: &str, reason: &str) -> Issue {
    Issue::new(
        "include_outside_crate",
        at,
        format!(
            "{at}: {what} {target:?} {reason}, so it would read a file of the grader's machine \
             at build time: ship the file in the crate and name it by a relative path"
        ),
    )
}

/// Why `target`, named from the source file `rel`, is not a file inside the crate, if it is
/// not: absolute, or climbing above the crate root with `..`.
fn leaves_crate(rel: &str, target: &str) -> Option<&'static str> {
    if target.starts_with('/') || target.starts_with('\\') || target.contains(':') {
        return Some("is an absolute path");
    }
    let mut depth = rel.split('/').count().saturating_sub(1);
    for seg in target.split(['/', '\\']) {
        match seg {
            ".." if depth == 0 => return Some("climbs out of the crate with .."),
            ".." => depth -= 1,
            "" | "." => {}
            _ => depth += 1,
        }
    }
    None
}

/// The tokens of `text` with their 1-based line numbers; comments are skipped, string
/// literals (plain, raw, byte) become [`Token::Str`], character literals and lifetimes are
/// dropped, and numbers are dropped.
fn lex(text: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut i = 0usize;
    while i < chars.len() {
        let c = chars[i];
        let peek = |k: usize| chars.get(i + k).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && peek(1) == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && peek(1) == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some((value, end)) = string_literal(&chars, i) {
            out.push((line, Token::Str(value.iter().collect())));
            line += chars[i..end].iter().filter(|&&ch| ch == '\n').count();
            i = end;
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if chars.get(i) == Some(&'#') && word == "r" {
                // `r#ident`: a raw identifier.
                i += 1;
                continue;
            }
            out.push((line, Token::Ident(word)));
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else {
            out.push((line, Token::Punct(c)));
            i += 1;
        }
    }
    out
}

/// The value and end index of a string literal starting at `i` (`"…"`, `b"…"`, `c"…"`,
/// `r#"…"#`, `br"…"`, `cr"…"`), if one starts there.
fn string_literal(chars: &[char], i: usize) -> Option<(Vec<char>, usize)> {
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    let raw = chars.get(j) == Some(&'r');
    if raw {
        j += 1;
        let mut hashes = 0usize;
        while chars.get(j) == Some(&'#') {
            hashes += 1;
            j += 1;
        }
        if chars.get(j) != Some(&'"') {
            return None;
        }
        let start = j + 1;
        let mut k = start;
        while k < chars.len() {
            if chars[k] == '"' && (1..=hashes).all(|h| chars.get(k + h) == Some(&'#')) {
                return Some((chars[start..k].to_vec(), k + 1 + hashes));
            }
            k += 1;
        }
        return Some((chars[start..].to_vec(), chars.len()));
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    let mut value = Vec::new();
    let mut k = j + 1;
    while k < chars.len() {
        match chars[k] {
            '\\' => {
                if let Some(&escaped) = chars.get(k + 1) {
                    value.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                k += 2;
            }
            '"' => return Some((value, k + 1)),
            other => {
                value.push(other);
                k += 1;
            }
        }
    }
    Some((value, chars.len()))
}

/// The index after a character literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`)
/// starting at `i`.
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    if chars.get(i + 1) == Some(&'\\') {
        let mut k = i + 3;
        while k < chars.len() && chars[k] != '\'' {
            k += 1;
        }
        return k + 1;
    }
    if chars.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    let mut k = i + 1;
    while k < chars.len() && (chars[k].is_alphanumeric() || chars[k] == '_') {
        k += 1;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(rel: &str, src: &str) -> Vec<(&'static str, String)> {
        source_issues(rel, src)
            .into_iter()
            .map(|i| (i.code, i.name))
            .collect()
    }

    #[test]
    fn unsafe_is_found_with_its_line_but_not_in_strings_or_comments() {
        let src = "// unsafe in a comment\n/* unsafe /* nested */ unsafe */\nlet s = \"unsafe\";\n\
                   let r = r#\"unsafe \"quoted\"\"#;\nfn f<'a>(x: &'a u8) -> char { 'u' }\n\
                   unsafe { core::hint::unreachable_unchecked() }\n";
        assert_eq!(
            codes("src/lib.rs", src),
            vec![("unsafe_code", "src/lib.rs:6".to_string())]
        );
        assert_eq!(codes("src/a.rs", "#[no_mangle]\nfn x() {}").len(), 1);
        assert!(codes("src/a.rs", "fn no_mangle() {}").is_empty());
    }

    #[test]
    fn includes_must_stay_inside_the_crate() {
        assert!(codes("src/lib.rs", "include_bytes!(\"../data/w.bin\");").is_empty());
        assert!(codes("src/lib.rs", "include_str!(\"table.txt\");").is_empty());
        let abs = codes(
            "src/lib.rs",
            "\n\nconst X: &[u8] = include_bytes!(\"/etc/passwd\");",
        );
        assert_eq!(
            abs,
            vec![("include_outside_crate", "src/lib.rs:3".to_string())]
        );
        assert_eq!(codes("src/lib.rs", "include_str!(\"../../x\");").len(), 1);
        assert_eq!(
            codes("src/lib.rs", "include_bytes!(concat!(\"/\", \"etc\"));").len(),
            1
        );
        assert_eq!(
            codes("src/lib.rs", "#[path = \"/tmp/m.rs\"] mod m;").len(),
            1
        );
        assert!(codes("src/lib.rs", "#[path = \"inner/m.rs\"] mod m;").is_empty());
        assert!(codes("src/lib.rs", "let path = \"/abs\";").is_empty());
        assert_eq!(
            codes(
                "src/lib.rs",
                "use std::include_bytes as ib;\nib!(\"/etc/passwd\");"
            )
            .len(),
            1
        );
        assert_eq!(codes("src/lib.rs", "use core::include as inc;").len(), 1);
        assert!(codes("src/lib.rs", "let include = true;").is_empty());
    }

    #[test]
    fn environment_macros_are_refused() {
        assert_eq!(codes("src/lib.rs", "env!(\"HOME\")")[0].0, "env_macro");
        assert_eq!(codes("src/lib.rs", "option_env!(\"X\")")[0].0, "env_macro");
        assert!(codes("src/lib.rs", "let env = 1; std::env::var(\"X\");").is_empty());
    }
}
