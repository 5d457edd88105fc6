//! The HTTP face of the service: what each route answers, drawn in the
//! site's frame, in the visitor's language.
//!
//! Handlers take the request's [`Visit`](crate::request::visit::Visit) (resolved
//! once, before them) and what else they need from the request
//! ([`extract`]), pick content, and hand it to [`views`]; every failure is
//! an [`error::AppError`], turned into a response in one place.

pub mod changes;
pub mod choices;
pub mod decisions;
pub mod error;
pub mod extract;
pub mod pages;
pub mod static_files;
pub mod views;
