//! Content: a folder of sites, each a `site.toml` and Markdown policies, loaded
//! and rendered once into an immutable [`Library`].
//!
//! Layout (documented for operators in `content/README.md`):
//!
//! ```text
//! <site>/site.toml                      hosts, default language, services
//! <site>/<policy>.<lang>.md             the current version of a policy
//! <site>/<policy>/<YYYY-MM-DD>.<lang>.md  an archived version
//! ```
//!
//! Every document goes through the same pipeline: front matter → Liquid →
//! Markdown → HTML finishing. Any problem anywhere stops start-up with
//! `file:line: reason`; every problem in the folder is reported, not just the first.

mod errors;
mod front_config;
pub mod history;
mod live;
mod loader;
mod model;
mod pipeline;
mod service;
mod site_checks;
mod site_config;
mod source;

use std::path::{Path, PathBuf};

pub use errors::{ContentError, ContentErrors};
pub use live::LiveLibrary;
pub use model::{
    Basis, CspMode, Document, Front, FrontOrigin, Layout, Library, OptOutControl, Placement,
    Policy, ScriptSource, ScriptTag, Section, Segment, Service, ServiceId, ServiceKind, Site,
    TocEntry, Version, normalize_host,
};
pub use pipeline::html::scriptable_markup;
pub use source::Source;

pub(crate) use errors::{Problem, line_at};
use loader::Loader;
pub(crate) use pipeline::front_matter::split as split_front_matter;

/// Whether `slug` is taken by the service's own addresses (`choices`, …).
pub(crate) fn is_reserved_slug(slug: &str) -> bool {
    loader::RESERVED_SLUGS.contains(&slug)
}

/// Loads and renders every site in `source`.
pub fn load(source: &Source) -> Result<Library, ContentErrors> {
    let files = source.files().map_err(ContentErrors)?;
    Loader::default().load(files, source)
}

/// Loads and renders files held in memory, `(relative path, text)` as they
/// would sit under `root` (which only names them in errors): the whole
/// pipeline without a disk, for fuzzing and property tests.
pub fn load_from_memory(root: &Path, files: &[(&str, &str)]) -> Result<Library, ContentErrors> {
    let files = files
        .iter()
        .map(|(relative, text)| source::SourceFile {
            relative: PathBuf::from(relative),
            display: root.join(relative),
            text: (*text).to_owned(),
        })
        .collect();
    Loader::default().load(files, &Source::Dir(root.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_content_loads() {
        let library = load(&Source::Embedded).expect("bundled content is valid");
        assert_eq!(library.default_site().id, "octoprint.org");
        let ids: Vec<&str> = library.sites().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "foosel.net",
                "ispconfig.org",
                "octoprint.org",
                "simplyprint.io"
            ]
        );
        assert_eq!(library.documents().count(), 6);
    }
}
