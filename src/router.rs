//! Every route and every layer, in one place: [`router`] for an operator's
//! own app to nest, [`app`] for the binary to serve.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Request;
use axum::middleware;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::routing::{get, post};
use axum::{Extension, Router};
use tower::Service;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};

use crate::consent::ConsentLog;
use crate::front;
use crate::gate::ScriptGateLayer;
use crate::limits::{InFlight, MAX_REQUEST_BODY, admit, shed, time_limit};
use crate::normalize::NormalizeLayer;
use crate::proxy::ProxyLayer;
use crate::request_log::log_request;
use crate::revalidate::revalidate;
use crate::security::{security_headers, site_headers};
use crate::state::AppState;
use crate::variants::{serve_site_variant, serve_variant};
use crate::visit::{Destination, Visit, VisitLayer};
use crate::web::{changes, choices, optout, pages, static_files};

/// The policy routes, resolved, gated, finished and kept, with URLs
/// printed under `state.base_path` but routed at the root: what an
/// operator's own app nests at that path (see `examples/embed`). The
/// operator's app brings its own limits, logging and proxy handling.
pub fn router(state: AppState) -> Router {
    stack(state, Serving::Nested)
}

/// The service as the binary runs it: the routes mounted at `base_path`,
/// with the request limits, the request log and the reverse-proxy layer.
pub fn app(state: AppState) -> Router {
    stack(state, Serving::Alone)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Serving {
    /// Inside an operator's app, which nests it at `base_path`.
    Nested,
    /// On its own listener, mounted at `base_path` itself.
    Alone,
}

fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/{*path}", get(static_files::serve))
        .route("/.well-known/gpc.json", get(optout::gpc_json))
        .route(
            "/optout/{service}",
            post(optout::opt_out).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
        )
        .route(
            "/optin/{service}",
            post(optout::opt_in).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
        )
        .route("/feed.atom", get(changes::feed))
        .route(
            "/consent",
            post(optout::decide).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
        )
        .route("/choices", get(choices::page))
        .route("/{policy}", get(pages::current_policy))
        .route("/{policy}/versions", get(pages::versions))
        .route("/{policy}/changes", get(changes::current))
        .route("/{policy}/{version}", get(pages::policy_version))
        .route("/{policy}/{version}/changes", get(changes::version))
        .fallback(pages::fallback)
        // After the routes: it applies to those already there.
        .method_not_allowed_fallback(pages::method_not_allowed)
}

/// The routes and every layer around them. Each `layer` wraps what is
/// above it, so a request meets them from the bottom of this function up,
/// and a response from the top down:
///
/// - the proxy layer first, so that everything after it (the log included)
///   sees the client, host and scheme a trusted proxy stated;
/// - the request log, so that every request is logged, kept, shed or timed out;
/// - normalisation: everything inside sees the request in its one form
///   (HEAD as GET, one coding, one path);
/// - the visit: site, mount, languages and consent, resolved once; on a
///   site privacy-pages fronts, it also decides who answers: privacy-pages'
///   own stack (below) or the operator's site ([`site_stack`]);
/// - the kept responses: a request answered from memory skips everything
///   inside, and gets the same bytes, finished;
/// - the security headers, so that shed and timed-out answers carry them too;
/// - load shedding and the request timeout, around the work;
/// - validators (on the bytes as sent), compression, and, innermost, the
///   script gate, which sees every HTML response the routes make, error
///   pages included, before compression, and leaves the security headers
///   the origins it let in.
fn stack(state: AppState, serving: Serving) -> Router {
    let alone = serving == Serving::Alone;
    // The handlers read the consent log setting from here: they sit
    // above the state in the module order.
    let routes = || routes().layer(Extension(ConsentLog(state.consent_log)));
    let mut app = if alone && !state.base_path.is_empty() {
        Router::new()
            .nest(&state.base_path, routes())
            // Outside the mount: the same 404 page, not an empty one.
            .fallback(pages::not_found)
    } else {
        routes()
    };
    app = app
        .layer(ScriptGateLayer::new(
            state.library.clone(),
            state.base_path.clone(),
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(revalidate));
    // One pool of permits for both stacks: the bound is on the process.
    let in_flight = InFlight::new(state.limits);
    if alone {
        app = app
            .layer(middleware::from_fn_with_state(
                state.limits.request_timeout,
                time_limit,
            ))
            .layer(middleware::from_fn_with_state(in_flight.clone(), shed));
    }
    let own = app
        .layer(middleware::from_fn_with_state(
            state.security.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.variants.clone(),
            serve_variant,
        ))
        .with_state(state.clone());
    let visit = VisitLayer::new(state.library.clone(), state.base_path.clone(), alone);
    if !alone {
        return own.layer(visit).layer(NormalizeLayer);
    }
    let dispatch = Dispatch {
        own,
        site: site_stack(&state, in_flight),
    };
    Router::new()
        .fallback_service(dispatch)
        .layer(visit)
        .layer(NormalizeLayer)
        .layer(middleware::from_fn(log_request))
        .layer(ProxyLayer::new(state.trusted_proxies.to_vec()))
}

/// The operator's own site, on a site privacy-pages fronts: its pages,
/// streamed through the gate, then compressed, within the same bound on
/// requests at once as the policy pages (but no body read first, and no
/// timeout but the upstream's own: the operator's forms and downloads are
/// theirs), with the headers a static host would send. A `root`'s small
/// files are kept as finished answers, for as long as the file on disk is
/// the one they were made from; an upstream's answers are never kept, and
/// nothing here is revalidated by hashing a body (it streams).
fn site_stack(state: &AppState, in_flight: InFlight) -> Router {
    let app: Router<front::Fronting> = Router::new()
        .fallback(front::serve)
        .layer(middleware::from_fn(crate::gate::stream::gate_site))
        .layer(
            CompressionLayer::new().compress_when(DefaultPredicate::new().and(front::Compressible)),
        );
    let fronting = front::Fronting {
        upstreams: state.upstreams.clone(),
        timeout: state.limits.request_timeout,
    };
    app.layer(middleware::from_fn_with_state(in_flight, admit))
        .layer(middleware::from_fn_with_state(
            state.security.clone(),
            site_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.variants.clone(),
            serve_site_variant,
        ))
        .with_state(fronting)
}

/// Sends each request to privacy-pages' own stack or to the operator's
/// site, as the [`Visit`] decided.
#[derive(Clone)]
struct Dispatch {
    own: Router,
    site: Router,
}

impl Service<Request<Body>> for Dispatch {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // A `Router` is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let to_site = request
            .extensions()
            .get::<Visit>()
            .is_some_and(|visit| visit.destination == Destination::Site);
        if to_site {
            self.site.call(request)
        } else {
            self.own.call(request)
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
    let (generation, library) = state.library.snapshot();
    format!(
        "ready: {} sites, content generation {generation}\n",
        library.sites().len(),
    )
}
