//! Request errors, and how each becomes a response: in one place, so that no
//! handler decides on its own what a visitor sees when something goes wrong.
//!
//! Start-up errors (bad content, bad configuration) are a different tier:
//! they stop the process with `file:line: reason` and never reach here.

use axum::http::header::{CACHE_CONTROL, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::views::{self, PageContext};
use crate::request::visit::Visit;

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

    /// 502 Bad Gateway: the upstream of a fronted site cannot be reached
    /// or broke off before its answer began.
    #[error("bad gateway")]
    BadGateway(PageContext),
    /// 504 Gateway Timeout: the upstream did not start its answer within
    /// `request_timeout`.
    #[error("gateway timeout")]
    GatewayTimeout(PageContext),

    /// 405 Method Not Allowed: the path exists, the method does not. The
    /// router adds `Allow`.
    #[error("method not allowed")]
    MethodNotAllowed(PageContext),
    /// 400 Bad Request: a body that could not be read.
    #[error("unreadable body")]
    BadRequest,
    /// 408 Request Timeout: the request, body included, took longer than
    /// `request_timeout`.
    #[error("request timeout")]
    RequestTimeout,
    /// 413 Content Too Large: a body over the limit (opt-out forms carry
    /// one short field).
    #[error("body too large")]
    PayloadTooLarge,
    /// 503 Service Unavailable with `Retry-After`: every permit is taken,
    /// and the request is shed rather than queued. Plain text: a request
    /// turned away must cost next to nothing.
    #[error("overloaded")]
    Overloaded,
    /// 500 Internal Server Error without the site's frame: the route was
    /// served without [`crate::request::visit::VisitLayer`], so there is no site to
    /// draw it in. A wiring mistake, not a visitor's.
    #[error("no Visit in the request")]
    MissingVisit,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound(context) => {
                views::status_page(&context, StatusCode::NOT_FOUND).into_response()
            }
            AppError::Forbidden(context) => {
                views::status_page(&context, StatusCode::FORBIDDEN).into_response()
            }
            AppError::Render { context, source } => {
                tracing::error!(error = %source, "failed to render a page");
                views::status_page(&context, StatusCode::INTERNAL_SERVER_ERROR).into_response()
            }
            AppError::BadGateway(context) => {
                views::status_page(&context, StatusCode::BAD_GATEWAY).into_response()
            }
            AppError::GatewayTimeout(context) => {
                views::status_page(&context, StatusCode::GATEWAY_TIMEOUT).into_response()
            }
            AppError::MethodNotAllowed(context) => {
                views::status_page(&context, StatusCode::METHOD_NOT_ALLOWED).into_response()
            }
            AppError::BadRequest => {
                plain(StatusCode::BAD_REQUEST, "The request could not be read.\n")
            }
            AppError::RequestTimeout => plain(
                StatusCode::REQUEST_TIMEOUT,
                "The request took too long to arrive.\n",
            ),
            AppError::PayloadTooLarge => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request is larger than this service accepts.\n",
            ),
            AppError::Overloaded => {
                tracing::warn!("overloaded: request shed");
                let mut response = plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The service is busy. Please try again in a moment.\n",
                );
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            AppError::MissingVisit => {
                tracing::error!("no Visit in the request: the route is served without VisitLayer");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// A status with a sentence, never kept by any cache.
fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        text,
    )
        .into_response()
}

impl AppError {
    pub fn not_found(visit: &Visit) -> Self {
        AppError::NotFound(PageContext::new(visit))
    }

    pub fn forbidden(visit: &Visit) -> Self {
        AppError::Forbidden(PageContext::new(visit))
    }

    pub fn bad_gateway(visit: &Visit) -> Self {
        AppError::BadGateway(PageContext::new(visit))
    }

    pub fn gateway_timeout(visit: &Visit) -> Self {
        AppError::GatewayTimeout(PageContext::new(visit))
    }

    pub fn method_not_allowed(visit: &Visit) -> Self {
        AppError::MethodNotAllowed(PageContext::new(visit))
    }
}
