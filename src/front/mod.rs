//! The operator's own site, on a site privacy-pages fronts: every path that
//! is not privacy-pages' own ([`crate::visit::Destination::Site`]) is
//! answered from the site's `root`. The script gate
//! ([`crate::gate::stream`]) then streams each HTML page, without the
//! vendors' snippets for a visitor who turned their service off.

mod static_dir;

use axum::extract::Request;
use axum::http::header::ALLOW;
use axum::http::{HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use crate::content::FrontOrigin;
use crate::visit::Visit;
use crate::web::error::AppError;

/// The handler for every path of the operator's site.
pub async fn serve(visit: Visit, request: Request) -> Response {
    let Some(front) = visit.site.front.clone() else {
        return AppError::not_found(&visit).into_response();
    };
    // HEAD arrives as GET (see `normalize`); a static site takes nothing else.
    if request.method() != Method::GET {
        let mut response = AppError::method_not_allowed(&visit).into_response();
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match &front.origin {
        FrontOrigin::Root(root) => static_dir::serve(root, &visit, request).await,
    }
}
