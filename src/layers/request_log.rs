//! The request log: one line per request, with what an operator needs to
//! see traffic and errors and nothing that identifies a visitor.
//!
//! Method, path (never the query string, which can carry anything a
//! visitor typed), status, latency, and the client's network (IPv4 /24,
//! IPv6 /48), never its address. Cookies are never read here.
//!
//! One event, not a span with an event inside (what tower-http's
//! `TraceLayer` does): the span is a large part of a kept page's cost (see
//! BENCHMARKS.md). A `request` span with the same fields still wraps
//! the request at `debug` level, so that with `RUST_LOG=debug` what is
//! logged while a request is handled says which request it was.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::request::forwarded::RequestFacts;

/// The middleware (`axum::middleware::from_fn(log_request)`), inside the
/// proxy layer, so that the client is the one a trusted proxy named.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let client = request
        .extensions()
        .get::<RequestFacts>()
        .and_then(|facts| facts.client)
        .map(truncate_ip);
    let client = client.as_deref().unwrap_or("-");
    let span = tracing::debug_span!("request", method = %method, path = uri.path(), client);
    let response = next.run(request).instrument(span).await;
    tracing::info!(
        method = %method,
        path = uri.path(),
        client,
        status = response.status().as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// An address as logs may keep it: IPv4 to its /24, IPv6 to its /48.
pub fn truncate_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/48", Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_addresses_are_truncated() {
        for (ip, expected) in [
            ("203.0.113.77", "203.0.113.0/24"),
            ("127.0.0.1", "127.0.0.0/24"),
            ("2001:db8:abcd:12:34:56:78:9", "2001:db8:abcd::/48"),
            ("::1", "::/48"),
        ] {
            assert_eq!(truncate_ip(ip.parse().expect("ip")), expected);
        }
    }
}
