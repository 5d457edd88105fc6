//! Every route and every layer, in one place: [`router`] for an operator's
//! own app to nest, [`app`] for the binary to serve.

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};

use crate::consent::ConsentLog;
use crate::front;
use crate::gate::ScriptGateLayer;
use crate::layers::limits::{
    MAX_REQUEST_BODY, RequestPermits, shed_own_request, shed_site_request, time_limit,
};
use crate::layers::request_log::log_request;
use crate::layers::response_cache::{serve_cached, serve_site_cached};
use crate::layers::revalidate::revalidate;
use crate::layers::security::{security_headers, site_headers};
use crate::request::forwarded::ForwardedLayer;
use crate::request::normalize::NormalizeLayer;
use crate::request::visit::{Destination, Visit, VisitLayer};
use crate::serve::state::AppState;
use crate::web::{changes, choices, decisions, pages, static_files};

/// The policy routes, resolved, gated, finished and kept, with URLs
/// printed under `state.base_path` but routed at the root: what an
/// operator's own app nests at that path (see `examples/embed`). The
/// operator's app brings its own limits, logging and proxy handling.
pub fn router(state: AppState) -> Router {
    // Each route's own: the nesting app has routed the request already.
    own_pages(&state, None).layer(ServiceBuilder::new().layer(NormalizeLayer).layer(
        VisitLayer::new(state.library.clone(), state.base_path.clone(), false),
    ))
}

/// The service as the binary runs it: the routes mounted at `base_path`,
/// with the request limits, the request log and the reverse-proxy layer;
/// on a site privacy-pages fronts, the operator's own pages beside them.
///
/// The layers below read top to bottom in the order a request meets them
/// (a response meets them bottom up). They wrap the routing itself, so
/// that the request is routed as the visit rewrote it:
///
/// - the forwarded headers first, so that everything after them (the log
///   included) sees the client, host and scheme a trusted proxy stated;
/// - the request log, so that every request is logged, kept, shed or timed out;
/// - normalisation: everything inside sees the request in its one form
///   (HEAD as GET, one coding, one path);
/// - the visit: site, mount, languages and consent, resolved once; on a
///   site privacy-pages fronts, it also decides who answers: the operator's
///   site ([`operator_site`]) or privacy-pages' own pages ([`own_pages`]).
pub fn app(state: AppState) -> Router {
    // One pool of permits for both: the bound is on the process.
    let permits = RequestPermits::new(state.limits);
    let site = operator_site(&state, permits.clone());
    let own = own_pages(&state, Some(permits));
    Router::new().fallback_service(own).layer(
        ServiceBuilder::new()
            .layer(ForwardedLayer::new(state.trusted_proxies.to_vec()))
            .layer(from_fn(log_request))
            .layer(NormalizeLayer)
            .layer(VisitLayer::new(
                state.library.clone(),
                state.base_path.clone(),
                true,
            ))
            .layer(from_fn_with_state(site, to_operator_site)),
    )
}

fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/{*path}", get(static_files::serve))
        .route("/.well-known/gpc.json", get(decisions::gpc_json))
        .route(
            "/optout/{service}",
            post(decisions::opt_out).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
        )
        .route(
            "/optin/{service}",
            post(decisions::opt_in).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
        )
        .route("/feed.atom", get(changes::feed))
        .route(
            "/consent",
            post(decisions::decide).layer(DefaultBodyLimit::max(MAX_REQUEST_BODY)),
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

/// privacy-pages' own pages, finished, in the order a request meets the
/// layers:
///
/// - the kept responses: a request answered from memory skips everything
///   below, and gets the same bytes, finished;
/// - the security headers, so that shed and timed-out answers carry them too;
/// - load shedding and the request timeout, around the work (`permits`: on
///   the binary's own listener; an operator's app brings its own);
/// - validators (on the bytes as sent), compression, and, innermost, the
///   script gate, which sees every HTML response the routes make, error
///   pages included, before compression, and leaves the security headers
///   the origins it let in.
fn own_pages(state: &AppState, permits: Option<RequestPermits>) -> Router {
    let mounted = permits.is_some() && !state.base_path.is_empty();
    let routes = if mounted {
        Router::new()
            .nest(&state.base_path, routes())
            // Outside the mount: the same 404 page, not an empty one.
            .fallback(pages::not_found)
    } else {
        routes()
    };
    let timeout = permits.as_ref().map(|_| state.limits.request_timeout);
    routes
        .layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(
                    state.response_cache.clone(),
                    serve_cached,
                ))
                .layer(from_fn_with_state(state.security.clone(), security_headers))
                .option_layer(permits.map(|permits| from_fn_with_state(permits, shed_own_request)))
                .option_layer(timeout.map(|timeout| from_fn_with_state(timeout, time_limit)))
                .layer(from_fn(revalidate))
                .layer(CompressionLayer::new())
                .layer(ScriptGateLayer::new(
                    state.library.clone(),
                    state.base_path.clone(),
                ))
                // The handlers read the consent log setting from here:
                // they sit above the state in the module order.
                .layer(Extension(ConsentLog(state.consent_log))),
        )
        .with_state(state.clone())
}

/// The operator's own site, on a site privacy-pages fronts: its pages,
/// streamed through the gate, then compressed, within the same bound on
/// requests at once as the policy pages (but no body read first, and no
/// timeout but the upstream's own: the operator's forms and downloads are
/// theirs), with the headers a static host would send. A `root`'s small
/// files are kept as finished answers, for as long as the file on disk is
/// the one they were made from; an upstream's answers are never kept, and
/// nothing here is revalidated by hashing a body (it streams).
fn operator_site(state: &AppState, permits: RequestPermits) -> Router {
    let fronting = front::Fronting {
        upstreams: state.upstreams.clone(),
        timeout: state.limits.request_timeout,
    };
    Router::new()
        .fallback(front::serve)
        .layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(
                    state.response_cache.clone(),
                    serve_site_cached,
                ))
                .layer(from_fn_with_state(state.security.clone(), site_headers))
                .layer(from_fn_with_state(permits, shed_site_request))
                .layer(
                    CompressionLayer::new()
                        .compress_when(DefaultPredicate::new().and(front::Compressible)),
                )
                .layer(from_fn(crate::gate::gate_site)),
        )
        .with_state(fronting)
}

/// Sends a request the [`Visit`] gave to the operator's site there; any
/// other goes on to privacy-pages' own pages.
async fn to_operator_site(State(site): State<Router>, request: Request, next: Next) -> Response {
    let to_site = request
        .extensions()
        .get::<Visit>()
        .is_some_and(|visit| visit.destination == Destination::Site);
    if !to_site {
        return next.run(request).await;
    }
    match site.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
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
