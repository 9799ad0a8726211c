//! Messages that quote the user's files stay on one line: the syntax errors of the TOML
//! files a user writes (`report.toml`, layouts, lexicons, taxonomies) with their line and
//! column, and values from input files with their control characters escaped.

use std::borrow::Cow;

/// A TOML file's syntax error: 1-based line and column, and the parser's message without
/// its snippet (`toml`'s own display spans several lines).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct TomlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses a TOML file's `text`.
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, TomlError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        TomlError { line, column, message: one_line(e.message().trim()).into_owned() }
    })
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// `s` with its control characters escaped (a line break as `\n`).
pub fn one_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_and_values_fit_on_one_line() {
        let e = parse_toml::<toml::Table>("a = 1\nb = [1\nc = 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{e}");
        assert!(!e.to_string().contains('\n'), "{e}");
        assert_eq!(one_line("Tweet\r\ntext\t"), "Tweet\\r\\ntext\\t");
        assert!(matches!(one_line("plain"), Cow::Borrowed("plain")));
    }
}
