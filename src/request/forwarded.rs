//! What a reverse proxy may say about a request: the client's address, that
//! it came over HTTPS, the host it asked for, and the prefix the proxy
//! mounts the service under. Believed only from trusted peers
//! (`trusted_proxies`, loopback by default); from anyone else those headers
//! are ignored.
//!
//! The layer runs first: it replaces `Host` with the forwarded host (so site
//! selection, and everything else that reads `Host`, sees what the visitor
//! asked for) and leaves the rest as [`RequestFacts`] in the request's
//! extensions.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::ConnectInfo;
use axum::http::header::HOST;
use axum::http::{HeaderMap, HeaderValue, Request};
use forwarded_header_value::{ForwardedHeaderValue, Identifier, Protocol};
use ipnet::IpNet;
use tower::{Layer, Service};

/// Facts about a request, after weighing who stated them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The visitor's address: the peer, or what trusted proxies say it is.
    pub client: Option<IpAddr>,
    /// The visitor reached the site over HTTPS (as a trusted proxy says).
    pub https: bool,
    /// The path prefix a trusted proxy strips before passing the request on.
    pub prefix: Option<String>,
}

impl RequestFacts {
    /// Works the facts out from the peer's address and the request headers,
    /// and returns the host a trusted proxy forwarded, if any.
    pub fn from_request(
        peer: Option<IpAddr>,
        headers: &HeaderMap,
        trusted: &[IpNet],
    ) -> (Self, Option<String>) {
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        if !peer.as_ref().is_some_and(is_trusted) {
            return (
                RequestFacts {
                    client: peer,
                    ..RequestFacts::default()
                },
                None,
            );
        }
        let forwarded = header_list(headers, "forwarded")
            .and_then(|v| ForwardedHeaderValue::from_forwarded(&v).ok());
        let (mut chain, proto, host) = match &forwarded {
            Some(value) => {
                let chain: Vec<IpAddr> = value
                    .iter()
                    .filter_map(|stanza| match &stanza.forwarded_for {
                        Some(Identifier::SocketAddr(addr)) => Some(addr.ip()),
                        Some(Identifier::IpAddr(ip)) => Some(*ip),
                        _ => None,
                    })
                    .collect();
                let last = value.iter().next_back();
                let proto = last
                    .and_then(|s| s.forwarded_proto)
                    .map(|p| p == Protocol::Https);
                let host = last.and_then(|s| s.forwarded_host.clone());
                (chain, proto, host)
            }
            None => {
                let chain = header_list(headers, "x-forwarded-for")
                    .map(|list| {
                        list.split(',')
                            .filter_map(|ip| parse_ip(ip.trim()))
                            .collect()
                    })
                    .unwrap_or_default();
                let proto = last_value(headers, "x-forwarded-proto")
                    .map(|p| p.eq_ignore_ascii_case("https"));
                let host = last_value(headers, "x-forwarded-host");
                (chain, proto, host)
            }
        };
        // The client is the right-most address not itself a trusted proxy.
        chain.insert(0, peer.unwrap_or(IpAddr::from([0, 0, 0, 0])));
        let client = chain
            .iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .copied()
            .or(peer);
        let prefix = last_value(headers, "x-forwarded-prefix").and_then(|p| path_prefix(&p));
        let facts = RequestFacts {
            client,
            https: proto.unwrap_or(false),
            prefix,
        };
        (facts, host.filter(|h| valid_host(h)))
    }
}

/// The host a request is for, as the browser named it: the authority of the
/// request target when it has one (HTTP/2's `:authority`, an absolute-form
/// target: RFC 9112 §3.2.2 puts it over `Host`), else the `Host` header. May
/// carry a port. Behind [`ForwardedLayer`], a trusted proxy's forwarded host has
/// replaced both.
pub fn request_host<'a>(headers: &'a HeaderMap, uri: &'a axum::http::Uri) -> Option<&'a str> {
    target_host(uri).or_else(|| headers.get(HOST).and_then(|value| value.to_str().ok()))
}

/// The host and port of the request target's authority, without userinfo
/// (`http://user@host/` names `host`).
pub fn target_host(uri: &axum::http::Uri) -> Option<&str> {
    let authority = uri.authority()?.as_str();
    Some(
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host),
    )
}

/// Forwarded headers are read up to this many bytes: far more than any
/// real chain of proxies writes.
const MAX_FORWARDED_LEN: usize = 8 * 1024;

/// A forwarded list header, all its fields as one list.
fn header_list(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::request::weighted::header_list(headers, name, MAX_FORWARDED_LEN)
}

/// The last element of a list header: the one the nearest proxy added.
fn last_value(headers: &HeaderMap, name: &str) -> Option<String> {
    header_list(headers, name)?
        .rsplit(',')
        .next()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn parse_ip(value: &str) -> Option<IpAddr> {
    value
        .parse::<IpAddr>()
        .ok()
        .or_else(|| value.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            value
                .trim_start_matches('[')
                .split(']')
                .next()?
                .parse()
                .ok()
        })
}

/// `/legal` (a trailing slash dropped); nothing that could break out of a path.
/// `prefix` as a path prefix (`/legal`, trailing slashes dropped; `""` for
/// none), or `None` if it is not one: absolute, no `//`, no `.` or `..`
/// segments, only unreserved characters. The same rule for the configured
/// base path and a proxy's `X-Forwarded-Prefix`.
pub fn path_prefix(prefix: &str) -> Option<String> {
    let prefix = prefix.trim_end_matches('/');
    let valid = prefix.starts_with('/')
        && !prefix.contains("//")
        && !prefix.split('/').any(|s| s == ".." || s == ".")
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~'));
    (valid || prefix.is_empty()).then(|| prefix.to_owned())
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// The layer that establishes [`RequestFacts`] for every request.
#[derive(Clone)]
pub struct ForwardedLayer {
    trusted: Arc<[IpNet]>,
}

impl ForwardedLayer {
    pub fn new(trusted: Vec<IpNet>) -> Self {
        ForwardedLayer {
            trusted: trusted.into(),
        }
    }
}

impl<S> Layer<S> for ForwardedLayer {
    type Service = ReadForwarded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReadForwarded {
            inner,
            trusted: self.trusted.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ReadForwarded<S> {
    inner: S,
    trusted: Arc<[IpNet]>,
}

impl<S, B> Service<Request<B>> for ReadForwarded<S>
where
    S: Service<Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let (facts, host) = RequestFacts::from_request(peer, request.headers(), &self.trusted);
        if let Some(host) = host.and_then(|h| HeaderValue::from_str(&h).ok()) {
            request.headers_mut().insert(HOST, host);
            // The forwarded host, not the authority the proxy itself was
            // asked for, is the visitor's (see `request_host`).
            if request.uri().authority().is_some()
                && let Some(origin_form) = request.uri().path_and_query().cloned()
            {
                *request.uri_mut() = origin_form.into();
            }
        }
        request.extensions_mut().insert(facts);
        Box::pin(self.inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> Vec<IpNet> {
        vec![
            "127.0.0.0/8".parse().expect("cidr"),
            "::1/128".parse().expect("cidr"),
        ]
    }

    fn facts(
        peer: &str,
        headers: &[(&'static str, &'static str)],
    ) -> (RequestFacts, Option<String>) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_static(value));
        }
        RequestFacts::from_request(Some(peer.parse().expect("ip")), &map, &loopback())
    }

    #[test]
    fn trusted_proxies_are_believed() {
        let (f, host) = facts(
            "127.0.0.1",
            &[
                ("x-forwarded-for", "203.0.113.9"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "octoprint.org"),
                ("x-forwarded-prefix", "/legal/"),
            ],
        );
        assert_eq!(f.client, Some("203.0.113.9".parse().expect("ip")));
        assert!(f.https);
        assert_eq!(f.prefix.as_deref(), Some("/legal"));
        assert_eq!(host.as_deref(), Some("octoprint.org"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded() {
        let (f, host) = facts(
            "::1",
            &[
                (
                    "forwarded",
                    "for=\"[2001:db8::17]:4711\";proto=https;host=ispconfig.org",
                ),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-host", "octoprint.org"),
            ],
        );
        assert_eq!(f.client, Some("2001:db8::17".parse().expect("ip")));
        assert!(f.https);
        assert_eq!(host.as_deref(), Some("ispconfig.org"));
    }

    #[test]
    fn anyone_else_is_ignored() {
        let (f, host) = facts(
            "198.51.100.7",
            &[
                ("x-forwarded-for", "203.0.113.9"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "evil.example"),
                ("forwarded", "for=203.0.113.9;proto=https;host=evil.example"),
                ("x-forwarded-prefix", "/evil"),
            ],
        );
        assert_eq!(f.client, Some("198.51.100.7".parse().expect("ip")));
        assert!(!f.https);
        assert_eq!(f.prefix, None);
        assert_eq!(host, None);
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_address() {
        // A client can prepend anything; only what trusted proxies appended counts.
        let (f, _) = facts(
            "127.0.0.1",
            &[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 127.0.0.2")],
        );
        assert_eq!(f.client, Some("203.0.113.9".parse().expect("ip")));
        let (f, _) = facts("127.0.0.1", &[("x-forwarded-for", "garbage")]);
        assert_eq!(f.client, Some("127.0.0.1".parse().expect("ip")));
    }

    #[test]
    fn hostile_values_are_dropped() {
        let (f, host) = facts(
            "127.0.0.1",
            &[
                ("x-forwarded-host", "a b<script>"),
                ("x-forwarded-prefix", "/../etc"),
            ],
        );
        assert_eq!(host, None);
        assert_eq!(f.prefix, None);
        let (f, _) = facts("127.0.0.1", &[("x-forwarded-prefix", "//evil.example")]);
        assert_eq!(f.prefix, None);
    }
}
