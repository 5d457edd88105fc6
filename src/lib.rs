//! privacy-pages: serves a site's privacy policies, rendered from Markdown,
//! and makes the opt-out links in them work.
//!
//! Data flows one way, and so do the imports: a module uses only modules
//! listed before it here (checked by `tests/http/architecture.rs`).
//!
//! ```text
//! lang weighted body          words the rest shares: languages, weighted lists, bounded bodies
//! i18n embeds                 the pages' own words (Fluent); video players as two-click placeholders
//! content                     files ─load+validate─▶ Library (immutable; no HTTP in it)
//! history                     two versions of a policy compared: sections and words
//! assets                      the bundled static files and their fingerprinted paths
//! consent negotiate proxy     what a request says: opt-out cookies and GPC,
//! normalize                   Accept-Language, forwarded headers; one form per request
//! visit                       ─▶ Visit: site, mount, scheme, languages, consent, resolved once
//! gate                        service tags ─▶ HTML for this visitor (the public ScriptGateLayer)
//! web                         handlers ─▶ views (askama) ─▶ responses; AppError
//! front                       the operator's own site behind the gate (a fronted `root`)
//! limits security revalidate  layers that finish a response: limits, headers,
//! variants request_log        validators, the kept responses, the request log
//! connections reload          connections watched; content reloaded
//! config                      every setting ─▶ the structures above
//! state                       AppState, from the configuration
//! router                      routes and every layer, in one function
//! server                      the accept loop
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
mod connections;
pub mod consent;
pub mod content;
pub mod embeds;
pub mod front;
pub mod gate;
pub mod history;
mod i18n;
pub mod import;
pub mod lang;
pub mod limits;
pub mod negotiate;
mod normalize;
pub mod proxy;
pub mod reload;
mod request_log;
mod revalidate;
mod router;
pub mod security;
pub mod server;
mod state;
mod variants;
mod visit;
mod web;
mod weighted;

pub use router::{app, router};
pub use state::AppState;
