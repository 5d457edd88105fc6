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

/// The largest content file read: a policy is tens of kilobytes, and a
/// file's size multiplies in memory through parsing and rendering.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

fn read_dir(root: &Path) -> Result<Vec<SourceFile>, Vec<ContentError>> {
    if !root.is_dir() {
        return Err(vec![ContentError::file(root, "not a directory")]);
    }
    let real_root = match root.canonicalize() {
        Ok(real) => real,
        Err(err) => {
            return Err(vec![ContentError::file(
                root,
                format!("cannot read: {err}"),
            )]);
        }
    };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    // Links are followed only while they stay inside the folder: one that
    // leads out (to `/etc`, a home directory) is refused before anything
    // behind it is read.
    let mut escapes = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() > 0 && is_hidden(entry.path()) {
                return false;
            }
            if entry.path_is_symlink() && !stays_inside(entry.path(), &real_root) {
                escapes.push(ContentError::file(
                    entry.path(),
                    "a link that leads out of the content folder; copy the file in instead",
                ));
                return false;
            }
            true
        });
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
        let size = entry.metadata().map_or(0, |meta| meta.len());
        if size > MAX_FILE_BYTES {
            errors.push(ContentError::file(
                path,
                format!(
                    "{size} bytes, over the limit of {} KiB for a content file",
                    MAX_FILE_BYTES / 1024
                ),
            ));
            continue;
        }
        match read_at_most(path, MAX_FILE_BYTES) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(SourceFile {
                    relative,
                    display: path.to_owned(),
                    text,
                }),
                Err(err) => {
                    let line = super::line_at(err.as_bytes(), err.utf8_error().valid_up_to());
                    errors.push(ContentError::line(path, line, "not valid UTF-8"));
                }
            },
            Err(err) => errors.push(ContentError::file(path, format!("cannot read: {err}"))),
        }
    }
    errors.extend(escapes);
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// Whether the link at `path` resolves to somewhere inside `real_root`.
/// A link that does not resolve at all is left to the walk to report.
fn stays_inside(path: &Path, real_root: &Path) -> bool {
    path.canonicalize()
        .map_or(true, |target| target.starts_with(real_root))
}

/// The file's bytes, or an error if it holds more than `limit` (it may have
/// grown since its size was read).
fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "over the limit of {} KiB for a content file",
            limit / 1024
        )));
    }
    Ok(bytes)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn folder_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    fn errors(root: &Path) -> Vec<String> {
        match Source::Dir(root.to_owned()).files() {
            Ok(files) => panic!("loaded {} files", files.len()),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn links_out_of_the_folder_are_refused_before_reading() {
        let outside = folder_with(&[("secret/passwd.md", "root:x:0:0")]);
        let content = folder_with(&[("site/privacy.en.md", "ok")]);
        let file_link = content.path().join("site/stolen.md");
        let dir_link = content.path().join("etc");
        symlink(outside.path().join("secret/passwd.md"), &file_link).expect("link");
        symlink(outside.path().join("secret"), &dir_link).expect("link");
        let errors = errors(content.path());
        assert_eq!(errors.len(), 2, "{errors:?}");
        for (error, link) in errors.iter().zip([&dir_link, &file_link]) {
            assert_eq!(
                error,
                &format!(
                    "{}: a link that leads out of the content folder; copy the file in instead",
                    link.display()
                )
            );
        }
    }

    #[test]
    fn links_that_stay_inside_are_followed() {
        let content = folder_with(&[("shared/privacy.en.md", "text"), ("site/x.md", "x")]);
        symlink(
            content.path().join("shared/privacy.en.md"),
            content.path().join("site/privacy.en.md"),
        )
        .expect("link");
        let files = Source::Dir(content.path().to_owned())
            .files()
            .expect("loads");
        let names: Vec<_> = files
            .iter()
            .map(|f| f.relative.display().to_string())
            .collect();
        assert_eq!(
            names,
            ["shared/privacy.en.md", "site/privacy.en.md", "site/x.md"]
        );
    }

    #[test]
    fn files_over_the_limit_are_refused() {
        let limit = usize::try_from(MAX_FILE_BYTES).expect("fits");
        let content = folder_with(&[
            ("site/privacy.en.md", &"a".repeat(limit + 1)),
            ("site/fits.en.md", &"a".repeat(limit)),
        ]);
        let errors = errors(content.path());
        assert_eq!(
            errors,
            [format!(
                "{}: 1048577 bytes, over the limit of 1024 KiB for a content file",
                content.path().join("site/privacy.en.md").display()
            )]
        );
    }
}
