//! One request, one meaning: before anything reads a request, it is put in
//! the one form every layer and handler then agrees on.
//!
//! - **Host.** More than one `Host` field is a `400` (RFC 9112 §3.2); a
//!   request target with an authority (absolute form, HTTP/2's `:authority`)
//!   decides the host over `Host` (§3.2.2), and `Host` is set to it, so that
//!   code reading either sees the same.
//! - **Path.** Percent-escapes of unreserved characters are decoded and the
//!   rest upper-cased (RFC 3986 §6.2.2): `/%70rivacy` is `/privacy`, for the
//!   router, the page's own links and the response cache alike.
//! - **Accept-Encoding** is replaced by the one coding the response will
//!   have (`zstd`, `br`, `gzip`, or none): the compression layer does what it says,
//!   and the response cache keys on the decision, not on a visitor's text.
//! - **HEAD** is served as `GET` with the body dropped, so it carries the
//!   same headers as `GET` (RFC 9110 §9.3.2): the gated length, the `ETag`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_LENGTH, HOST};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use tower::{Layer, Service};

use crate::body::read_bounded;
use crate::request::forwarded::target_host;
use crate::request::weighted::entries;

/// HEAD responses whose length is not known up front are measured up to
/// this; a longer body is sent on without a `Content-Length`.
const MAX_MEASURED_BODY: usize = 4 * 1024 * 1024;

/// The layer (outermost in [`crate::serve::router`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct NormalizeLayer;

impl<S> Layer<S> for NormalizeLayer {
    type Service = Normalize<S>;

    fn layer(&self, inner: S) -> Normalize<S> {
        Normalize { inner }
    }
}

/// See the module's documentation. A tower service rather than `from_fn`:
/// it is on every request's path, and a request that needs no rewriting
/// costs no allocation here.
#[derive(Clone, Debug)]
pub struct Normalize<S> {
    inner: S,
}

type HeadFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for Normalize<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Either<Ready<Result<Response, Infallible>>, S::Future>, HeadFuture>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if request.headers().get_all(HOST).iter().nth(1).is_some() {
            let response = (
                StatusCode::BAD_REQUEST,
                "A request may name only one host.\n",
            )
                .into_response();
            return Either::Left(Either::Left(ready(Ok(response))));
        }
        if let Some(host) = target_host(request.uri()).and_then(|h| HeaderValue::from_str(h).ok()) {
            request.headers_mut().insert(HOST, host);
        }
        if let Some(uri) = normalized_uri(request.uri()) {
            *request.uri_mut() = uri;
        }
        let coding = choose_coding(request.headers().get_all(ACCEPT_ENCODING));
        let current = request
            .headers()
            .get(ACCEPT_ENCODING)
            .map(HeaderValue::as_bytes);
        match coding {
            // Already in its one form (what browsers' "gzip, deflate, br"
            // is not): nothing to write.
            Some(coding) if current == Some(coding.as_bytes()) => {}
            Some(coding) => {
                request
                    .headers_mut()
                    .insert(ACCEPT_ENCODING, HeaderValue::from_static(coding));
            }
            None => {
                request.headers_mut().remove(ACCEPT_ENCODING);
            }
        }
        if request.method() == Method::HEAD {
            *request.method_mut() = Method::GET;
            let response = self.inner.call(request);
            return Either::Right(Box::pin(
                async move { Ok(without_body(response.await?).await) },
            ));
        }
        Either::Left(Either::Right(self.inner.call(request)))
    }
}

/// `response` as a `HEAD` answer: the same headers, no body. Its length is
/// what a `GET` would send (measured if the body does not say).
pub(crate) async fn without_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    if !parts.headers.contains_key(CONTENT_LENGTH) {
        let length = match body.size_hint().exact() {
            Some(length) => Some(length),
            None => read_bounded(body, MAX_MEASURED_BODY)
                .await
                .ok()
                .map(|bytes| bytes.len() as u64),
        };
        if let Some(length) = length {
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(length));
        }
    }
    Response::from_parts(parts, Body::empty())
}

/// The URI with its path normalized, or `None` when it already is.
fn normalized_uri(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    if !path.contains('%') {
        return None;
    }
    let normalized = normalized_path(path);
    if normalized == path {
        return None;
    }
    let path_and_query = match uri.query() {
        Some(query) => format!("{normalized}?{query}"),
        None => normalized,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).ok()?);
    Uri::from_parts(parts).ok()
}

/// RFC 3986 §6.2.2.1–2: escapes of unreserved characters decoded, every
/// other escape in upper case.
fn normalized_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) => {
                out.push(char::from(byte));
                i += 3;
            }
            Some(byte) => {
                out.push_str(&format!("%{byte:02X}"));
                i += 3;
            }
            None => {
                // The rest is ASCII: `Uri` holds nothing else in a path.
                out.push(char::from(bytes[i]));
                i += 1;
            }
        }
    }
    out
}

/// The content coding a response gets for these `Accept-Encoding` fields
/// (RFC 9110 §12.5.3): of the three the service speaks, the one with the
/// highest weight; on a tie zstd, then Brotli (zstd compresses a page in
/// about a third of Brotli's time for some 7% more bytes, and an upstream's
/// pages are compressed for every request); `None` for identity (no header,
/// or none acceptable). Brotli and gzip not listed take the weight of `*`;
/// zstd only when named, since `*` is also what old clients send.
fn choose_coding<'a>(fields: impl IntoIterator<Item = &'a HeaderValue>) -> Option<&'static str> {
    let (mut zstd, mut br, mut gzip, mut any) = (None, None, None, None);
    for field in fields {
        let Ok(field) = field.to_str() else {
            return None;
        };
        for (coding, weight) in entries(field) {
            let slot = if coding.eq_ignore_ascii_case("zstd") {
                &mut zstd
            } else if coding.eq_ignore_ascii_case("br") {
                &mut br
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding == "*" {
                &mut any
            } else {
                continue;
            };
            // The first mention of a coding counts.
            slot.get_or_insert(weight);
        }
    }
    let zstd = zstd.unwrap_or(0);
    let br = br.or(any).unwrap_or(0);
    let gzip = gzip.or(any).unwrap_or(0);
    [("zstd", zstd), ("br", br), ("gzip", gzip)]
        .into_iter()
        .filter(|(_, weight)| *weight > 0)
        // The first of the highest: `max_by_key` keeps the last.
        .rev()
        .max_by_key(|(_, weight)| *weight)
        .map(|(coding, _)| coding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_their_one_form() {
        for (path, expected) in [
            ("/privacy", "/privacy"),
            ("/%70rivacy", "/privacy"),
            ("/%70%72%69%76%61%63%79", "/privacy"),
            ("/privacy%2F2018", "/privacy%2F2018"),
            ("/privacy%2f2018", "/privacy%2F2018"),
            ("/a%20b", "/a%20b"),
            ("/%7e%2D%2e%5F", "/~-._"),
            ("/%", "/%"),
            ("/%4", "/%4"),
            ("/%zz", "/%zz"),
            ("/%c3%a4", "/%C3%A4"),
        ] {
            assert_eq!(normalized_path(path), expected, "{path}");
        }
        let uri: Uri = "/%70rivacy?lang=de".parse().expect("uri");
        assert_eq!(
            normalized_uri(&uri).map(|u| u.to_string()).as_deref(),
            Some("/privacy?lang=de")
        );
        let absolute: Uri = "http://a.example/%70rivacy".parse().expect("uri");
        assert_eq!(
            normalized_uri(&absolute).map(|u| u.to_string()).as_deref(),
            Some("http://a.example/privacy")
        );
        assert_eq!(normalized_uri(&"/privacy".parse().expect("uri")), None);
    }

    #[test]
    fn one_coding_per_accept_encoding() {
        for (fields, expected) in [
            (&[][..], None),
            (&[""][..], None),
            (&["identity"][..], None),
            (&["gzip"][..], Some("gzip")),
            (&["br"][..], Some("br")),
            (&["gzip, deflate, br"][..], Some("br")),
            (&["gzip, deflate, br, zstd"][..], Some("zstd")),
            (&["zstd"][..], Some("zstd")),
            (&["ZSTD;q=0.5, br"][..], Some("br")),
            (&["zstd;q=0, br"][..], Some("br")),
            (&["zstd;q=0"][..], None),
            (&["zstd, gzip;q=1"][..], Some("zstd")),
            (&["*, zstd;q=0.5"][..], Some("br")),
            (&["gzip;q=1.0, br;q=0.9"][..], Some("gzip")),
            (&["br;q=0, gzip"][..], Some("gzip")),
            (&["br;q=0, gzip;q=0"][..], None),
            (&["*"][..], Some("br")),
            (&["*;q=0.5, gzip"][..], Some("gzip")),
            (&["*;q=0"][..], None),
            (&["GZIP"][..], Some("gzip")),
            (&["x-gzip"][..], Some("gzip")),
            (&["deflate"][..], None),
            (&["gzip;q=1e0"][..], None),
            (&["gzip", "br"][..], Some("br")),
            (&["br;q=0.5", "gzip;q=0.6"][..], Some("gzip")),
            (&["gzip;q=0.5, gzip;q=1"][..], Some("gzip")),
            (&["\tbr\t;\tq=0.2\t,\tgzip;q=0.1"][..], Some("br")),
        ] {
            let values: Vec<HeaderValue> = fields
                .iter()
                .map(|f| HeaderValue::from_str(f).expect("value"))
                .collect();
            assert_eq!(choose_coding(&values), expected, "{fields:?}");
        }
    }
}
