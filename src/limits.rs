//! What one visitor may cost the service: how big and how slow a request may
//! be, and how many may be in hand at once.
//!
//! Two levels. A connection's limits are hyper's to enforce while it parses
//! ([`ConnectionLimits`], applied in [`crate::server::serve`]): header bytes
//! (beyond them hyper answers `431`) and the time allowed to send them
//! (against slowloris; an idle keep-alive connection is closed the same way).
//! A request's limits are middleware in [`crate::app`] ([`RequestLimits`]):
//! the time a request may take (`408`; the only thing a request here waits on
//! is its client, since content is in memory) and the number in flight, past
//! which requests are refused at once with `503` and `Retry-After` instead of
//! queueing without bound. Caps on the work done per header (Accept-Language,
//! Cookie) live with their parsers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

/// Hyper's floor for its read buffer: request heads can be limited to no less.
pub const MIN_HEADER_BYTES: usize = 8 * 1024;

/// Limits hyper enforces on each connection.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Request line and headers together; more gets `431`. At least
    /// [`MIN_HEADER_BYTES`].
    pub max_header_bytes: usize,
    /// Time to send a complete request head, and the longest a kept-alive
    /// connection may sit idle.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_header_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Limits on each request once its head has arrived.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// Longest a request may take, body included; then `408`.
    pub request_timeout: Duration,
    /// Requests handled at once; more are shed with `503`.
    pub max_concurrent_requests: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
        }
    }
}

/// How long a shed client is asked to wait.
const RETRY_AFTER_SECS: HeaderValue = HeaderValue::from_static("1");

/// Permits for requests in flight, shared by every clone of the app.
#[derive(Clone, Debug)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    pub fn new(max: usize) -> Self {
        InFlight(Arc::new(Semaphore::new(max.max(1))))
    }
}

/// Load shedding (`from_fn_with_state(InFlight, shed)`): a request that
/// finds every permit taken is answered `503` at once. Health probes are
/// exempt, so that an orchestrator does not restart a replica for being busy.
/// Responses kept in memory never get this far (the response cache sits
/// outside): they cost no work worth shedding.
///
/// (tower's `ConcurrencyLimit` + `LoadShed` do the same on a semaphore, but
/// answer through an error handler and cannot exempt the probes.)
pub async fn shed(State(in_flight): State<InFlight>, request: Request, next: Next) -> Response {
    if request.uri().path().ends_with("/healthz") {
        return next.run(request).await;
    }
    let Ok(_permit) = Arc::clone(&in_flight.0).try_acquire_owned() else {
        tracing::warn!("overloaded: request shed");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (RETRY_AFTER, RETRY_AFTER_SECS),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            "The service is busy. Please try again in a moment.\n",
        )
            .into_response();
    };
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use tokio::sync::oneshot;
    use tower::ServiceExt;

    /// With every permit held by a slow request, the next is shed and a
    /// health probe still answers; once the slow one ends, requests pass again.
    #[tokio::test]
    async fn sheds_past_the_limit_but_not_health_probes() {
        let (release, released) = oneshot::channel::<()>();
        let (started, has_started) = oneshot::channel::<()>();
        let waits = Arc::new(tokio::sync::Mutex::new(Some((started, released))));
        let app = Router::new()
            .route(
                "/slow",
                get(move || {
                    let waits = Arc::clone(&waits);
                    async move {
                        if let Some((started, released)) = waits.lock().await.take() {
                            let _ = started.send(());
                            let _ = released.await;
                        }
                        "done"
                    }
                }),
            )
            .route("/fast", get(|| async { "fast" }))
            .route("/healthz", get(|| async { "ok" }))
            .layer(from_fn_with_state(InFlight::new(1), shed));
        let get = |path: &str| {
            Request::get(path)
                .body(Body::empty())
                .expect("valid request")
        };

        let slow = tokio::spawn(app.clone().oneshot(get("/slow")));
        has_started.await.expect("slow request holds the permit");
        let shed_response = app.clone().oneshot(get("/fast")).await.expect("infallible");
        assert_eq!(shed_response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(shed_response.headers()[RETRY_AFTER], "1");
        let probe = app
            .clone()
            .oneshot(get("/healthz"))
            .await
            .expect("infallible");
        assert_eq!(probe.status(), StatusCode::OK);

        release.send(()).expect("slow handler waiting");
        let slow = slow.await.expect("task").expect("infallible");
        assert_eq!(slow.status(), StatusCode::OK);
        let after = app.oneshot(get("/fast")).await.expect("infallible");
        assert_eq!(after.status(), StatusCode::OK);
    }
}
