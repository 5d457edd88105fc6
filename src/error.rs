//! Request errors, and how each becomes a response: in one place, so that no
//! handler decides on its own what a visitor sees when something goes wrong.
//!
//! Start-up errors (bad content, bad configuration) are a different tier:
//! they stop the process with `file:line: reason` and never reach here.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::content::Site;
use crate::negotiate::LangPrefs;
use crate::pages::{self, Mount, PageContext};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 404 Not Found: no policy, version or file at this path. Shown as the
    /// site's own styled page, in the visitor's language.
    #[error("not found")]
    NotFound(PageContext),
    /// 403 Forbidden: an opt-in that does not provably come from the site's
    /// own pages (it would re-enable tracking on someone else's say-so).
    #[error("forbidden")]
    Forbidden(PageContext),
    /// 500 Internal Server Error: a template failed to render. The details
    /// are logged; the visitor sees a generic page, never the error.
    #[error("rendering failed: {source}")]
    Render {
        context: PageContext,
        source: askama::Error,
    },
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound(context) => {
                pages::status_page(&context, StatusCode::NOT_FOUND).into_response()
            }
            AppError::Forbidden(context) => {
                pages::status_page(&context, StatusCode::FORBIDDEN).into_response()
            }
            AppError::Render { context, source } => {
                tracing::error!(error = %source, "failed to render a page");
                pages::status_page(&context, StatusCode::INTERNAL_SERVER_ERROR).into_response()
            }
        }
    }
}

impl AppError {
    pub fn not_found(mount: &Mount, site: &Arc<Site>, prefs: &LangPrefs) -> Self {
        AppError::NotFound(PageContext::new(mount, site, prefs))
    }

    pub fn forbidden(mount: &Mount, site: &Arc<Site>, prefs: &LangPrefs) -> Self {
        AppError::Forbidden(PageContext::new(mount, site, prefs))
    }
}
