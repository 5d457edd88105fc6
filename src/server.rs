//! The HTTP surface: every route and layer in one place, and serving on a
//! listener until shutdown.

use std::future::Future;
use std::io;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::assets;
use crate::consent;
use crate::gate::ScriptGateLayer;
use crate::pages::{self, AppState};

/// Opt-out forms carry one short field; anything larger is not one of ours.
const MAX_FORM_BODY: usize = 4 * 1024;

/// The whole application. Tests call this and drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let gate = ScriptGateLayer::new(state.library.clone(), state.base_path.clone());
    Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(healthz))
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
        .with_state(state)
        // Layers run top to bottom on the way in (bottom-most is outermost).
        // The gate sees every HTML response, including error pages.
        .layer(gate)
        // The span records the path only: query strings can carry anything a
        // visitor typed, and privacy-pages logs nothing it does not need.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                })
                .on_request(|_: &Request<Body>, _: &Span| {}),
        )
}

/// `GET /healthz`: the process is up and answering.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Without TCP_NODELAY a small response waits for the peer's delayed ACK
    // (~40 ms) before its last segment goes out.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(error = %err, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
