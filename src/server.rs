//! The HTTP surface: every route and layer in one place, and serving on a
//! listener until shutdown.

use std::future::{Future, IntoFuture};
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Request;
use axum::middleware;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower_http::LatencyUnit;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

use crate::assets;
use crate::consent;
use crate::gate::ScriptGateLayer;
use crate::pages::{self, AppState};
use crate::proxy::{ProxyLayer, RequestFacts};
use crate::revalidate::revalidate;
use crate::security::security_headers;

/// Opt-out forms carry one short field; anything larger is not one of ours.
const MAX_FORM_BODY: usize = 4 * 1024;

/// The policy routes, gated, with URLs printed under `state.base_path`
/// but routed at the root: what an operator's own app nests at that path
/// (see `examples/embed`). [`app`] is the same wrapped for serving alone.
pub fn router(state: AppState) -> Router {
    routes(&state).with_state(state)
}

fn routes(state: &AppState) -> Router<AppState> {
    let gate = ScriptGateLayer::new(state.library.clone(), state.base_path.clone());
    Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/{*path}", get(assets::serve))
        .route("/.well-known/gpc.json", get(consent::gpc_json))
        .route(
            "/optout/{service}",
            post(consent::opt_out).layer(DefaultBodyLimit::max(MAX_FORM_BODY)),
        )
        .route(
            "/optin/{service}",
            post(consent::opt_in).layer(DefaultBodyLimit::max(MAX_FORM_BODY)),
        )
        .route("/{policy}", get(pages::current_policy))
        .route("/{policy}/versions", get(pages::versions))
        .route("/{policy}/{version}", get(pages::policy_version))
        .fallback(pages::fallback)
        // The gate sees every HTML response the routes make, error pages
        // included, before compression, and tells the security headers which
        // origins it let in; validators are computed on the bytes as sent.
        .layer(gate)
        .layer(middleware::from_fn_with_state(
            state.security.clone(),
            security_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(revalidate))
}

/// The service as the binary runs it: [`router`] mounted at `base_path`,
/// with the request log and the reverse-proxy layer around it.
pub fn app(state: AppState) -> Router {
    let proxy = ProxyLayer::new(state.trusted_proxies.to_vec());
    let app: Router = if state.base_path.is_empty() {
        router(state)
    } else {
        Router::new()
            .nest(&state.base_path, routes(&state))
            // Outside the mount: the same 404 page, not an empty one.
            .fallback(pages::fallback)
            .layer(middleware::from_fn_with_state(
                state.security.clone(),
                security_headers,
            ))
            .with_state(state)
    };
    // Outermost last: the proxy layer runs first, so that the request log
    // (and everything inside) sees the client, host and scheme a trusted
    // proxy stated.
    app.layer(
        TraceLayer::new_for_http()
            .make_span_with(request_span)
            .on_request(|_: &Request<Body>, _: &Span| {})
            .on_response(
                DefaultOnResponse::new()
                    .level(Level::INFO)
                    .latency_unit(LatencyUnit::Micros),
            ),
    )
    .layer(proxy)
}

/// One span per request: method, path (never the query string, which can
/// carry anything a visitor typed) and the client's network, not its address.
fn request_span(request: &Request<Body>) -> Span {
    let client = request
        .extensions()
        .get::<RequestFacts>()
        .and_then(|facts| facts.client)
        .map(truncate_ip);
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        client = client.as_deref().unwrap_or("-"),
    )
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

/// `GET /healthz`: the process is up and answering.
async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: content is loaded and being served. (The process serves
/// nothing before its content loads, and keeps the last good content.)
async fn readyz(State(state): State<AppState>) -> String {
    let library = state.library.current();
    format!(
        "ready: {} sites, content generation {}\n",
        library.sites().len(),
        state.library.generation()
    )
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting connections and lets in-flight requests finish, for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> io::Result<()> {
    // Without TCP_NODELAY a small response waits for the peer's delayed ACK
    // (~40 ms) before its last segment goes out.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(error = %err, "cannot set TCP_NODELAY");
        }
    });
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stopping.send(());
    };
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .into_future();
    let deadline = async move {
        if stopped.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "grace period over; dropping unfinished requests");
            Ok(())
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
