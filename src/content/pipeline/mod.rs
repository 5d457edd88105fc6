//! A policy file's way to HTML, one stage a file: front matter split and
//! read, Liquid rendered (with Jekyll's filters and checks), Markdown with
//! kramdown's extensions, headings and their table of contents, the text by
//! section, and the HTML finished for the document model.
//!
//! ```text
//! front_matter ─▶ liquid (jekyll, liquid_checks) ─▶ markdown (kramdown, headings, outline) ─▶ html
//! ```

pub(super) mod front_matter;
pub(super) mod headings;
pub(super) mod html;
pub(super) mod jekyll;
pub(super) mod kramdown;
pub(super) mod liquid;
pub(super) mod liquid_checks;
pub(super) mod markdown;
pub(super) mod outline;
