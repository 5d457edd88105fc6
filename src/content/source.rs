//! Where content comes from: the `content/` folder embedded in the binary at
//! build time (so a release binary serves with no files beside it), or a folder
//! on disk (`--content DIR`). Both yield the same list of files, so everything
//! after this module is indifferent to the origin.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::ContentError;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// A content source, as chosen on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The `content/` folder compiled into the binary.
    Embedded,
    /// A folder on disk.
    Dir(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Embedded => f.write_str("bundled content"),
            Source::Dir(path) => write!(f, "{}", path.display()),
        }
    }
}

/// One file of a content source.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Relative to the content root, e.g. `octoprint.org/privacy.en.md`.
    pub relative: PathBuf,
    /// How error messages name it: the real path, or `content/…` when embedded.
    pub display: PathBuf,
    pub text: String,
}

impl Source {
    /// Reads every file, skipping hidden ones (`.git`, editor swap files).
    pub fn files(&self) -> Result<Vec<SourceFile>, Vec<ContentError>> {
        match self {
            Source::Embedded => Ok(embedded_files()),
            Source::Dir(root) => read_dir(root),
        }
    }
}

fn embedded_files() -> Vec<SourceFile> {
    fn walk(dir: &Dir<'static>, out: &mut Vec<SourceFile>) {
        for file in dir.files() {
            if is_hidden(file.path()) {
                continue;
            }
            // Bundled content is checked by the test suite; a non-UTF-8 file
            // here would fail those tests long before a release.
            if let Some(text) = file.contents_utf8() {
                out.push(SourceFile {
                    relative: file.path().to_owned(),
                    display: Path::new("content").join(file.path()),
                    text: text.to_owned(),
                });
            }
        }
        for sub in dir.dirs() {
            if !is_hidden(sub.path()) {
                walk(sub, out);
            }
        }
    }
    let mut files = Vec::new();
    walk(&EMBEDDED, &mut files);
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    files
}

fn read_dir(root: &Path) -> Result<Vec<SourceFile>, Vec<ContentError>> {
    if !root.is_dir() {
        return Err(vec![ContentError::file(root, "not a directory")]);
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.path()));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().unwrap_or(root).to_owned();
                errors.push(ContentError::file(&path, format!("cannot read: {err}")));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(path).to_owned();
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(SourceFile {
                    relative,
                    display: path.to_owned(),
                    text,
                }),
                Err(err) => {
                    let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
                    let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
                    errors.push(ContentError::line(path, line, "not valid UTF-8"));
                }
            },
            Err(err) => errors.push(ContentError::file(path, format!("cannot read: {err}"))),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.'))
}
