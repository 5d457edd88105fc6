//! privacy-pages: serves a site's privacy policies, rendered from Markdown,
//! and makes the opt-out links in them work.
//!
//! Data flows one way, and so do the imports: a module uses only modules
//! listed before it here (checked by `tests/http/architecture.rs`).
//!
//! ```text
//! lang body                   words the rest shares: languages, bounded bodies
//! i18n embeds                 the pages' own words (Fluent); video players as two-click placeholders
//! content                     files ─load+validate─▶ Library (immutable; no HTTP in it);
//!                             two versions of a policy compared (history)
//! assets                      the bundled static files and their fingerprinted paths
//! consent                     the visitor's decisions: opt-out cookies, GPC, the consent record
//! request                     what a request says (weighted lists, Accept-Language, forwarded
//!                             headers, one form) ─▶ Visit: site, mount, languages, consent
//! gate                        an HTML page ─▶ the page for this visitor (the public ScriptGateLayer)
//! web                         handlers ─▶ views (askama) ─▶ responses; AppError
//! front                       the operator's own site behind the gate (`root`, `upstream`)
//! layers                      what finishes a response: limits, security headers,
//!                             validators, the response cache, the request log
//! config                      every setting ─▶ the structures above
//! serve                       AppState; routes and every layer in one stack; the accept
//!                             loop and its connections; content reloaded
//! import                      a Jekyll site's privacy pages ─▶ a content folder
//! cli                         the binary's commands
//! ```
//!
//! The public API: [`router`] (to nest in an operator's axum app),
//! [`gate::ScriptGateLayer`] (to gate an operator's own pages),
//! [`AppState`], and [`content::load`].

pub mod assets;
mod body;
pub mod cli;
pub mod config;
pub mod consent;
pub mod content;
pub mod embeds;
pub mod front;
pub mod gate;
mod i18n;
pub mod import;
pub mod lang;
pub mod layers;
pub mod request;
pub mod serve;
mod web;

pub use serve::router::{app, router};
pub use serve::state::AppState;
