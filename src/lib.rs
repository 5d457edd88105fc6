//! privacy-pages: serves a site's privacy policies, rendered from Markdown,
//! and makes the opt-out links in them work.
//!
//! Data flows one way: [`content`] loads and renders every policy once at
//! start-up into an immutable [`content::Library`]; a request is matched to a
//! site and language by extractors in [`pages`], which fill an askama template
//! around the chosen document. [`server::router`] assembles routes and layers;
//! [`server::serve`] accepts connections and watches each ([`connections`]).

pub mod assets;
mod body;
pub mod config;
pub mod connections;
pub mod consent;
pub mod content;
mod error;
pub mod gate;
mod i18n;
pub mod lang;
pub mod limits;
pub mod negotiate;
mod normalize;
pub mod pages;
pub mod proxy;
pub mod reload;
pub mod request_log;
mod revalidate;
pub mod security;
pub mod server;
pub mod variants;
mod weighted;

pub use pages::AppState;
pub use server::{app, router};
