//! Caching headers and validators, for every response in one place.
//!
//! Pages depend on the visitor's cookies, so no shared cache may keep them
//! and a browser must ask again each time: `Cache-Control: private,
//! no-cache`. Asking again is cheap: every `200` to a `GET` carries a strong
//! `ETag` (a hash of the exact bytes sent, so each content encoding has its
//! own), and a matching `If-None-Match` gets `304 Not Modified` with no body.
//! Hashes of the bytes, not of anything about the process, so every replica
//! behind a proxy gives the same content the same tag.
//!
//! Handlers that know better set `Cache-Control` themselves (fingerprinted
//! static files are `immutable`); this layer fills it in where they did not.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, ETAG};
use axum::http::response::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use headers::{ETag, HeaderMapExt, IfNoneMatch};

use crate::body::read_bounded;

/// Bodies larger than this pass through without a validator. Nothing the
/// service renders comes near it.
const MAX_HASHED_BODY: usize = 4 * 1024 * 1024;

/// `Cache-Control` for a `GET` that returned content.
pub(crate) const REVALIDATE: HeaderValue = HeaderValue::from_static("private, no-cache");
/// `Cache-Control` for everything else: errors, redirects, form posts.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// The middleware (`axum::middleware::from_fn(revalidate)`).
pub async fn revalidate(request: Request, next: Next) -> Response {
    let is_get = request.method() == Method::GET;
    let if_none_match = request.headers().typed_get::<IfNoneMatch>();
    let mut response = next.run(request).await;
    let cacheable = is_get && response.status() == StatusCode::OK;
    if !response.headers().contains_key(CACHE_CONTROL) {
        let value = if cacheable { REVALIDATE } else { NO_STORE };
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    if !cacheable || response.headers().contains_key(ETAG) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match read_bounded(body, MAX_HASHED_BODY).await {
        Ok(bytes) => bytes,
        Err(body) => return Response::from_parts(parts, body),
    };
    let encoding = parts
        .headers
        .get(CONTENT_ENCODING)
        .map_or(&b""[..], HeaderValue::as_bytes);
    let tag = strong_etag(encoding, &bytes);
    if let Ok(value) = HeaderValue::from_str(&tag) {
        parts.headers.insert(ETAG, value);
    }
    if if_none_match.is_some_and(|condition| unchanged(&condition, &parts.headers)) {
        return not_modified(parts);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether the client's copy, named by `condition`, is the response whose
/// headers (and `ETag`) are `headers`.
pub(crate) fn unchanged(condition: &IfNoneMatch, headers: &HeaderMap) -> bool {
    headers
        .typed_get::<ETag>()
        .is_some_and(|etag| !condition.precondition_passes(&etag))
}

/// `304 Not Modified` in place of the `200` whose head is `parts`: the same
/// headers (a browser updates its copy's with them, so they must be the
/// full set: validators, `Cache-Control`, `Vary`, the security policy), no body.
pub(crate) fn not_modified(mut parts: Parts) -> Response {
    parts.status = StatusCode::NOT_MODIFIED;
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::empty())
}

/// `"<128-bit xxh3 of encoding and bytes, hex>"`.
fn strong_etag(encoding: &[u8], body: &[u8]) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(encoding);
    hasher.update(&[0]);
    hasher.update(body);
    format!("\"{:032x}\"", hasher.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_differ_by_encoding_and_bytes_and_are_stable() {
        let plain = strong_etag(b"", b"<p>hi</p>");
        assert_eq!(plain, strong_etag(b"", b"<p>hi</p>"));
        assert_ne!(plain, strong_etag(b"gzip", b"<p>hi</p>"));
        assert_ne!(plain, strong_etag(b"", b"<p>hi!</p>"));
        assert!(plain.parse::<ETag>().is_ok(), "{plain}");
        // Fixed across processes, machines and builds: replicas agree.
        assert_eq!(
            strong_etag(b"", b"<p>hi</p>"),
            "\"85d095f202f94ea5d0d8461c58707980\""
        );
    }
}
