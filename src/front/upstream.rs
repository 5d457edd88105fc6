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
use crate::proxy::RequestFacts;
use crate::visit::Visit;
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
        let body = match decoded_html(&mut parts.headers) {
            Some(coding) => decompress(body, coding),
            None => body,
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
}

/// An HTML answer the upstream compressed: the gate must read it, so it is
/// decoded here (and compressed again for the visitor). Other media pass
/// as they came.
fn decoded_html(headers: &mut HeaderMap) -> Option<Coding> {
    if !is_html_media(headers) {
        return None;
    }
    let coding = match headers.get(CONTENT_ENCODING)?.to_str().ok()?.trim() {
        "gzip" | "x-gzip" => Coding::Gzip,
        "deflate" => Coding::Deflate,
        "br" => Coding::Brotli,
        _ => return None,
    };
    headers.remove(CONTENT_ENCODING);
    headers.remove(CONTENT_LENGTH);
    Some(coding)
}

fn decompress(body: Body, coding: Coding) -> Body {
    use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder};
    use tokio_util::io::{ReaderStream, StreamReader};
    let reader = StreamReader::new(body.into_data_stream().map_err(io::Error::other));
    match coding {
        Coding::Gzip => Body::from_stream(ReaderStream::new(GzipDecoder::new(reader))),
        Coding::Deflate => Body::from_stream(ReaderStream::new(ZlibDecoder::new(reader))),
        Coding::Brotli => Body::from_stream(ReaderStream::new(BrotliDecoder::new(reader))),
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
