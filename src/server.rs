//! The HTTP surface: every route and layer in one place, and serving on a
//! listener until shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use crate::assets;
use crate::connections::Connections;
use crate::consent;
use crate::gate::ScriptGateLayer;
use crate::limits::{ConnectionLimits, InFlight, MAX_REQUEST_BODY, MIN_HEADER_BYTES, shed};
use crate::normalize::NormalizeLayer;
use crate::pages::{self, AppState};
use crate::proxy::ProxyLayer;
use crate::request_log::log_request;
use crate::revalidate::revalidate;
use crate::security::security_headers;
use crate::variants::serve_variant;

/// The policy routes, gated, finished and kept, with URLs printed under
/// `state.base_path` but routed at the root: what an operator's own app
/// nests at that path (see `examples/embed`). [`app`] is the same with
/// limits, mounted and wrapped for serving alone.
pub fn router(state: AppState) -> Router {
    finished(routes(&state), &state).with_state(state)
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
            post(consent::opt_out).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
        )
        .route(
            "/optin/{service}",
            post(consent::opt_in).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
        )
        .route("/{policy}", get(pages::current_policy))
        .route("/{policy}/versions", get(pages::versions))
        .route("/{policy}/{version}", get(pages::policy_version))
        .fallback(pages::fallback)
        // The gate sees every HTML response the routes make, error pages
        // included, before compression, and leaves the security headers (put
        // on outside) the origins it let in; validators are computed on the
        // bytes as sent.
        .layer(gate)
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(revalidate))
}

/// `inner` with what every response gets on its way out, the security
/// headers, and, outside them, the kept responses: a request answered from
/// memory skips `inner` and everything in it, and gets the same bytes.
fn finished(inner: Router<AppState>, state: &AppState) -> Router<AppState> {
    inner
        .layer(middleware::from_fn_with_state(
            state.security.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.variants.clone(),
            serve_variant,
        ))
        // Outermost: everything inside, the kept responses first, sees the
        // request in its one form (HEAD as GET, one coding, one path).
        .layer(NormalizeLayer)
}

/// The service as the binary runs it: the routes mounted at `base_path`,
/// with the request limits, the request log and the reverse-proxy layer
/// around it.
pub fn app(state: AppState) -> Router {
    let proxy = ProxyLayer::new(state.trusted_proxies.to_vec());
    let limits = state.limits;
    let mounted = if state.base_path.is_empty() {
        routes(&state)
    } else {
        Router::new()
            .nest(&state.base_path, routes(&state))
            // Outside the mount: the same 404 page, not an empty one.
            .fallback(pages::fallback)
    };
    // Each `layer` wraps the ones before it; a request meets them bottom-up:
    // the proxy layer first, so that the request log (and everything inside)
    // sees the client, host and scheme a trusted proxy stated; then the log,
    // so that every request is logged, kept, shed or timed out; then the
    // kept responses and the security headers (see `finished`), so that
    // shed and timed-out answers carry them as well.
    let limited = mounted
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(InFlight::new(limits), shed));
    finished(limited, &state)
        .with_state(state)
        .layer(middleware::from_fn(log_request))
        .layer(proxy)
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

/// How [`serve`] treats connections.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long in-flight requests may take to finish after shutdown begins.
    pub grace: Duration,
    /// Header size and read-time limits, enforced by hyper.
    pub limits: ConnectionLimits,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            grace: Duration::from_secs(10),
            limits: ConnectionLimits::default(),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting connections and lets in-flight requests finish, for at most
/// `options.grace`.
///
/// The accept loop is written out (rather than `axum::serve`) to configure
/// hyper (header size and read time) and to watch every connection (see
/// [`crate::connections`]): `axum::serve` closes none that stays silent.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> io::Result<()> {
    let limits = options.limits;
    let max_header_bytes = limits.max_header_bytes.max(MIN_HEADER_BYTES);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(max_header_bytes)
        // One buffer per response rather than headers and body as separate
        // slices for `writev`: copying a page is cheaper than the vectored
        // write (see BENCHMARKS.md).
        .writev(false);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        // A peer that stops answering pings is gone: its connection closes
        // even with streams open.
        .keep_alive_interval(limits.header_read_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    // Once: without a setting, this reads (and raises) the open-file limit.
    let max_connections = limits.max_connections();
    let connections = Connections::new(max_connections, limits.header_read_timeout);
    tracing::debug!(max_connections, "accepting connections");
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_refusal_logged = None;
    loop {
        // Never accept past the bound: new connections wait in the kernel's
        // queue while the connection idle longest closes.
        tokio::select! {
            () = connections.room() => {}
            () = &mut shutdown => break,
        }
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_error(err, &connections).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(admitted) = connections.admit() else {
            // At most one line a minute: under attack this happens for
            // every connection, and the log must not become the next target.
            if last_refusal_logged.is_none_or(|at: Instant| at.elapsed() >= REFUSAL_LOG_INTERVAL) {
                tracing::warn!(
                    open = connections.len(),
                    "connection refused: every connection has a request in flight"
                );
                last_refusal_logged = Some(Instant::now());
            }
            continue;
        };
        // Without TCP_NODELAY a small response waits for the peer's delayed
        // ACK (~40 ms) before its last segment goes out.
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(error = %err, "cannot set TCP_NODELAY");
        }
        let Ok(service) = make_service.call(peer).await;
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(admitted.listen(tcp)),
                TowerToHyperService::new(admitted.track(service)),
            )
            .into_owned();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let finished = tokio::select! {
                result = connection.as_mut() => Some(result),
                () = admitted.until_done() => None,
                _ = stopping.wait_for(|stop| *stop) => None,
            };
            let result = match finished {
                Some(result) => result,
                // Idle, evicted or shutting down: HTTP/2 says GOAWAY, HTTP/1
                // closes after the response in flight, if any; one that never
                // spoke closes now.
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            // Resets, timeouts and malformed requests end here; hyper has
            // already answered what deserved an answer (400, 431).
            if let Err(err) = result {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop(admitted);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = stop.send(true);
    tokio::select! {
        () = connections.all_closed() => {}
        () = tokio::time::sleep(options.grace) => {
            tracing::warn!(grace_secs = options.grace.as_secs(), "grace period over; dropping unfinished requests");
        }
    }
    Ok(())
}

/// How often a refused connection is logged, at most.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// HTTP/2 streams one connection may have open at once (hyper's default is 200).
const MAX_STREAMS_PER_CONNECTION: u32 = 64;

/// A failed `accept`: a connection that died before it was taken is nothing;
/// out of file descriptors, the connection idle longest makes room (the bound
/// on connections should keep this from happening, but another process may
/// share the limit); anything else is logged and waited out, not spun on.
async fn accept_error(err: io::Error, connections: &Connections) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    let out_of_files = err.raw_os_error().is_some_and(|code| {
        code == rustix::io::Errno::MFILE.raw_os_error()
            || code == rustix::io::Errno::NFILE.raw_os_error()
    });
    if out_of_files && connections.evict_longest_idle() {
        tracing::debug!(error = %err, "accept failed; closing the connection idle longest");
        // Its task needs a moment to close it.
        tokio::time::sleep(Duration::from_millis(10)).await;
        return;
    }
    tracing::error!(error = %err, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
