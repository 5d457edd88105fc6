//! privacy-pages: serves a site's privacy policies, rendered from Markdown,
//! and makes the opt-out links in them work.
//!
//! Data flows one way: [`content`] loads and renders every policy once at
//! start-up into an immutable [`content::Library`]; a request picks a
//! document and fills a template around it.

pub mod content;
pub mod lang;
