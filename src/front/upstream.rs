//! The operator's own server (`upstream = "http://host:port"`), proxied to
//! for every path of the site that is not privacy-pages' own.
//!
//! Both directions stream: the request body goes on as it arrives, and the
//! answer reaches the visitor as the upstream sends it (the gate rewrites
//! HTML on the way), so memory stays bounded whatever the size. Connections
//! to the upstream are pooled. What the hop between them says about itself
//! (`Connection`, `Keep-Alive`, `Transfer-Encoding`, …) stays on that hop;
//! the upstream learns the visitor's address, scheme and host from
//! `X-Forwarded-For/-Proto/-Host`, and whatever a client sent in those is
//! dropped first. An upstream that cannot be reached is a `502`, one that
//! does not start its answer within `request_timeout` a `504`, both the
//! site's styled pages; one that dies mid-answer cuts the response, so the
//! visitor's browser sees a broken page, never a complete-looking one.
//! Compressed HTML is decoded for the gate; HTML in a coding it cannot
//! decode is a `502` too, since it could not be gated.

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{
    CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, HOST, HeaderName, PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE,
};
use axum::http::{HeaderMap, HeaderValue, Uri, Version};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::gate::is_html_media;
use crate::request::forwarded::RequestFacts;
use crate::request::visit::Visit;
use crate::web::error::AppError;

/// Headers about one hop, never passed on (RFC 9110, section 7.6.1), besides
/// those `Connection` names.
const HOP_BY_HOP: [HeaderName; 9] = [
    CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION,
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];

/// What a client may claim about the way it came; the upstream hears it
/// from privacy-pages instead.
const FORWARDING: [HeaderName; 6] = [
    HeaderName::from_static("forwarded"),
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-prefix"),
    HeaderName::from_static("x-real-ip"),
];

/// The pooled HTTP/1 client every fronted site's upstream shares.
#[derive(Clone, Debug)]
pub struct Upstreams {
    client: Client<HttpConnector, Body>,
}

impl Default for Upstreams {
    fn default() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        // A bounded read buffer per upstream connection: what is read is
        // written on to the visitor before more is read, so memory per
        // download stays at this, not at what the network could deliver.
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .http1_max_buf_size(16 * 1024)
            .build(connector);
        Upstreams { client }
    }
}

impl Upstreams {
    /// `request` to `upstream`, answered within `timeout` (until the
    /// answer's head; the body then streams).
    pub async fn forward(
        &self,
        upstream: &url::Url,
        visit: &Visit,
        request: Request,
        timeout: Duration,
    ) -> Response {
        let facts = request.extensions().get::<RequestFacts>().cloned();
        let (mut parts, body) = request.into_parts();
        let Some(uri) = upstream_uri(upstream, &parts.uri) else {
            return AppError::not_found(visit).into_response();
        };
        let host = parts
            .headers
            .get(HOST)
            .cloned()
            .or_else(|| parts.uri.authority().and_then(|a| a.as_str().parse().ok()));
        strip_hop_by_hop(&mut parts.headers);
        for name in FORWARDING {
            parts.headers.remove(name);
        }
        forwarded_headers(&mut parts.headers, facts.as_ref(), visit, host);
        parts.uri = uri;
        parts.version = Version::HTTP_11;
        parts.extensions = Default::default();
        let request = Request::from_parts(parts, body);
        let response = match tokio::time::timeout(timeout, self.client.request(request)).await {
            Err(_) => {
                tracing::warn!(site = %visit.site.id, "upstream did not answer in time: 504");
                return AppError::gateway_timeout(visit).into_response();
            }
            Ok(Err(err)) => {
                tracing::warn!(site = %visit.site.id, error = %err, "upstream unreachable: 502");
                return AppError::bad_gateway(visit).into_response();
            }
            Ok(Ok(response)) => response,
        };
        let (mut parts, body) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let body = Body::new(body);
        let body = match reading(&mut parts.headers) {
            Reading::AsIs => body,
            Reading::Decoded(coding) => decompress(body, coding),
            Reading::Unreadable => {
                tracing::warn!(
                    site = %visit.site.id,
                    coding = ?parts.headers.get(CONTENT_ENCODING),
                    "upstream sent HTML in a coding the gate cannot read: 502"
                );
                return AppError::bad_gateway(visit).into_response();
            }
        };
        Response::from_parts(parts, body)
    }
}

/// `http://upstream-authority/path?query` for the visitor's target.
fn upstream_uri(upstream: &url::Url, uri: &Uri) -> Option<Uri> {
    let authority = match upstream.port() {
        Some(port) => format!("{}:{port}", upstream.host_str()?),
        None => upstream.host_str()?.to_owned(),
    };
    let path = uri.path_and_query().map_or("/", |pq| pq.as_str());
    format!("http://{authority}{path}").parse().ok()
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in HOP_BY_HOP.into_iter().chain(named) {
        headers.remove(name);
    }
}

fn forwarded_headers(
    headers: &mut HeaderMap,
    facts: Option<&RequestFacts>,
    visit: &Visit,
    host: Option<HeaderValue>,
) {
    if let Some(client) = facts.and_then(|f| f.client)
        && let Ok(value) = HeaderValue::from_str(&address(client))
    {
        headers.insert(HeaderName::from_static("x-forwarded-for"), value);
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static(if visit.https { "https" } else { "http" }),
    );
    if let Some(host) = host {
        headers.insert(HeaderName::from_static("x-forwarded-host"), host.clone());
        headers.insert(HOST, host);
    }
}

fn address(ip: IpAddr) -> String {
    ip.to_canonical().to_string()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

/// How an answer of the upstream reaches the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    /// As it came: not HTML, or HTML not compressed.
    AsIs,
    /// HTML the upstream compressed: decoded here for the gate (and
    /// compressed again for the visitor).
    Decoded(Coding),
    /// HTML in a coding privacy-pages cannot decode (two stacked, or one it
    /// never asked for: it asks for `zstd`, `br`, `gzip` or none). Passed
    /// on, the page would reach the visitor ungated.
    Unreadable,
}

fn reading(headers: &mut HeaderMap) -> Reading {
    if !is_html_media(headers) {
        return Reading::AsIs;
    }
    let mut codings = headers.get_all(CONTENT_ENCODING).iter();
    let (Some(value), None) = (codings.next(), codings.next()) else {
        return if headers.contains_key(CONTENT_ENCODING) {
            Reading::Unreadable
        } else {
            Reading::AsIs
        };
    };
    let coding = match value
        .to_str()
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        Ok("" | "identity") => {
            // Said, but meaning nothing: the gate reads it as it is.
            headers.remove(CONTENT_ENCODING);
            return Reading::AsIs;
        }
        Ok("gzip" | "x-gzip") => Coding::Gzip,
        Ok("deflate") => Coding::Deflate,
        Ok("br") => Coding::Brotli,
        Ok("zstd") => Coding::Zstd,
        _ => return Reading::Unreadable,
    };
    headers.remove(CONTENT_ENCODING);
    headers.remove(CONTENT_LENGTH);
    Reading::Decoded(coding)
}

fn decompress(body: Body, coding: Coding) -> Body {
    use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder, ZstdDecoder};
    use tokio_util::io::{ReaderStream, StreamReader};
    let reader = StreamReader::new(body.into_data_stream().map_err(io::Error::other));
    match coding {
        Coding::Gzip => Body::from_stream(ReaderStream::new(GzipDecoder::new(reader))),
        Coding::Deflate => Body::from_stream(ReaderStream::new(ZlibDecoder::new(reader))),
        Coding::Brotli => Body::from_stream(ReaderStream::new(BrotliDecoder::new(reader))),
        Coding::Zstd => Body::from_stream(ReaderStream::new(ZstdDecoder::new(reader))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_keeps_path_and_query_on_the_upstream() {
        let upstream: url::Url = "http://127.0.0.1:4000".parse().expect("url");
        let uri: Uri = "/blog/a%20b?page=2".parse().expect("uri");
        assert_eq!(
            upstream_uri(&upstream, &uri).expect("uri").to_string(),
            "http://127.0.0.1:4000/blog/a%20b?page=2"
        );
    }

    #[test]
    fn html_is_decoded_in_the_codings_asked_for_and_refused_in_others() {
        let read = |media: &str, codings: &[&str]| {
            let mut headers = HeaderMap::new();
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_str(media).expect("media"),
            );
            for coding in codings {
                headers.append(
                    CONTENT_ENCODING,
                    HeaderValue::from_str(coding).expect("coding"),
                );
            }
            (
                reading(&mut headers),
                headers.contains_key(CONTENT_ENCODING),
            )
        };
        let html = "text/html; charset=utf-8";
        assert_eq!(read(html, &[]), (Reading::AsIs, false));
        assert_eq!(read(html, &["identity"]), (Reading::AsIs, false));
        assert_eq!(
            read(html, &["GZIP"]),
            (Reading::Decoded(Coding::Gzip), false)
        );
        assert_eq!(
            read(html, &["x-gzip"]),
            (Reading::Decoded(Coding::Gzip), false)
        );
        assert_eq!(
            read(html, &["deflate"]),
            (Reading::Decoded(Coding::Deflate), false)
        );
        assert_eq!(
            read(html, &["br"]),
            (Reading::Decoded(Coding::Brotli), false)
        );
        assert_eq!(
            read(html, &["zstd"]),
            (Reading::Decoded(Coding::Zstd), false)
        );
        assert_eq!(read(html, &["compress"]), (Reading::Unreadable, true));
        assert_eq!(read(html, &["gzip, br"]), (Reading::Unreadable, true));
        assert_eq!(read(html, &["gzip", "br"]), (Reading::Unreadable, true));
        // Not HTML: the gate does not read it, so it passes as it came.
        assert_eq!(
            read("application/zip", &["compress"]),
            (Reading::AsIs, true)
        );
    }

    #[test]
    fn hop_by_hop_headers_stay_on_their_hop() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-secret-hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("te", "trailers"),
            ("cookie", "session=1"),
            ("accept", "text/html"),
        ] {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        strip_hop_by_hop(&mut headers);
        let mut left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["accept", "cookie"]);
    }
}
