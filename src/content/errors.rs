//! What goes wrong in content, and where: every problem is reported as
//! `file:line: reason`, all of them at once.

use std::fmt;
use std::path::{Path, PathBuf};

use super::source;

/// One problem in one content file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub reason: String,
}

impl ContentError {
    pub(super) fn file(file: &Path, reason: impl Into<String>) -> Self {
        ContentError {
            file: file.to_owned(),
            line: None,
            reason: reason.into(),
        }
    }

    pub(super) fn line(file: &Path, line: usize, reason: impl Into<String>) -> Self {
        ContentError {
            file: file.to_owned(),
            line: Some(line),
            reason: reason.into(),
        }
    }
}

/// The 1-based line of byte `offset` in `text` (its end, if past it).
/// Counted on bytes: an offset inside a character cannot panic.
pub(crate) fn line_at(text: impl AsRef<[u8]>, offset: usize) -> usize {
    let text = text.as_ref();
    text[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.reason),
            None => write!(f, "{}: {}", self.file.display(), self.reason),
        }
    }
}

/// Every problem found while loading content, one per line when displayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentErrors(pub Vec<ContentError>);

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentErrors {}

/// A problem found by one pipeline stage, before the loader knows the file.
/// Stages that lose track of source lines (after Markdown) name a snippet of
/// the source instead, and the loader finds its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub line: Option<usize>,
    pub snippet: Option<String>,
    pub reason: String,
}

impl Problem {
    pub(crate) fn at_line(line: usize, reason: impl Into<String>) -> Self {
        Problem {
            line: Some(line),
            snippet: None,
            reason: reason.into(),
        }
    }

    pub(crate) fn at_snippet(snippet: impl Into<String>, reason: impl Into<String>) -> Self {
        Problem {
            line: None,
            snippet: Some(snippet.into()),
            reason: reason.into(),
        }
    }

    pub(crate) fn in_file(reason: impl Into<String>) -> Self {
        Problem {
            line: None,
            snippet: None,
            reason: reason.into(),
        }
    }

    pub(super) fn into_error(self, file: &source::SourceFile) -> ContentError {
        let line = self.line.or_else(|| {
            let snippet = self.snippet.as_deref()?;
            // As written, else in any ASCII case (`carbonAdsOptout` for the
            // service `carbonads`); ASCII case keeps byte offsets.
            let offset = file.text.find(snippet).or_else(|| {
                file.text
                    .to_ascii_lowercase()
                    .find(&snippet.to_ascii_lowercase())
            })?;
            Some(line_at(&file.text, offset))
        });
        ContentError {
            file: file.display.clone(),
            line,
            reason: self.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_byte_offsets() {
        let text = "a\nbé\nc";
        for (offset, line) in [(0, 1), (1, 1), (2, 2), (4, 2), (5, 2), (6, 3), (99, 3)] {
            assert_eq!(line_at(text, offset), line, "offset {offset}");
        }
        assert_eq!(line_at("", 5), 1);
    }
}
