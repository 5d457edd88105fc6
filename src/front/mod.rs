//! The operator's own site, on a site privacy-pages fronts: every path that
//! is not privacy-pages' own ([`crate::request::visit::Destination::Site`]) is
//! answered from the site's `root` or proxied to its `upstream`. The script gate
//! ([`crate::gate::gate_site`]) then streams each HTML page, without the
//! vendors' snippets for a visitor who turned their service off.

mod audit;
mod static_dir;
mod upstream;

pub use audit::{Gap, csp_gaps};

pub use upstream::Upstreams;

use axum::extract::{Request, State};
use axum::http::header::ALLOW;
use axum::http::{HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use crate::content::FrontOrigin;
use crate::request::visit::Visit;
use crate::web::error::AppError;

/// Files larger than this are streamed every time, never kept.
const MAX_KEPT_FILE: u64 = 512 * 1024;

/// For the response cache: the identity of the file a fronted `root` serves
/// at `path` (device, inode, length, modification time), if it is small
/// enough to keep. A file replaced or changed on disk has a new identity,
/// so an answer kept from the old one is never served again. `None` for an
/// upstream, a miss, a redirect or a large file.
pub fn kept_file(visit: &Visit, path: &str) -> Option<u64> {
    let FrontOrigin::Root(root) = &visit.site.front.as_ref()?.origin else {
        return None;
    };
    let (static_dir::Lookup::File(file), meta) = static_dir::resolve(root, path) else {
        return None;
    };
    let meta = match meta {
        Some(meta) => meta,
        None => std::fs::metadata(&file).ok()?,
    };
    (meta.len() <= MAX_KEPT_FILE).then(|| identity(&file, &meta))
}

fn identity(file: &std::path::Path, meta: &std::fs::Metadata) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    file.hash(&mut hasher);
    meta.len().hash(&mut hasher);
    meta.modified().ok().hash(&mut hasher);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()).hash(&mut hasher);
    }
    hasher.finish()
}

/// What the handler needs besides the visit.
#[derive(Clone, Debug)]
pub struct Fronting {
    pub upstreams: Upstreams,
    /// How long an upstream may take to start its answer (`request_timeout`).
    pub timeout: std::time::Duration,
}

/// The handler for every path of the operator's site.
pub async fn serve(State(front): State<Fronting>, visit: Visit, request: Request) -> Response {
    let Some(site) = visit.site.front.clone() else {
        return AppError::not_found(&visit).into_response();
    };
    let origin = match &site.origin {
        FrontOrigin::Upstream(upstream) => {
            return front
                .upstreams
                .forward(upstream, &visit, request, front.timeout)
                .await;
        }
        FrontOrigin::Root(root) => root,
    };
    // HEAD arrives as GET (see `normalize`); a static site takes nothing else.
    if request.method() != Method::GET {
        let mut response = AppError::method_not_allowed(&visit).into_response();
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    static_dir::serve(origin, &visit, request).await
}

/// Which of the site's answers are worth compressing for the visitor: text
/// (HTML, CSS, JavaScript, JSON, XML, SVG), as nginx's `gzip_types` would
/// list them. An archive, a video or an image is compressed already; doing
/// it again costs CPU for nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Compressible;

impl tower_http::compression::Predicate for Compressible {
    fn should_compress<B: http_body::Body>(&self, response: &axum::http::Response<B>) -> bool {
        let Some(media) = response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
        else {
            return false;
        };
        let media = media.trim().to_ascii_lowercase();
        media.starts_with("text/")
            || media.ends_with("+xml")
            || media.ends_with("+json")
            || matches!(
                media.as_str(),
                "application/javascript"
                    | "application/json"
                    | "application/xml"
                    | "application/wasm"
            )
    }
}
