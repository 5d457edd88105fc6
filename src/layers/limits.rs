//! What one visitor may cost the service: how big and how slow a request may
//! be, and how many may be in hand at once.
//!
//! Two levels. A connection's limits are hyper's to enforce while it parses
//! ([`ConnectionLimits`], applied in [`crate::serve::server::serve`]): header bytes
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

use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt as _;
use tokio::sync::Semaphore;

use crate::web::error::AppError;

/// Hyper's floor for its read buffer: request heads can be limited to no less.
pub const MIN_HEADER_BYTES: usize = 8 * 1024;

/// Limits on each connection (see [`crate::serve::connections`]).
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Request line and headers together; more gets `431`. At least
    /// [`MIN_HEADER_BYTES`].
    pub max_header_bytes: usize,
    /// Time to send a complete request head, and the longest a connection
    /// may sit with no request in flight, whatever its protocol.
    pub header_read_timeout: Duration,
    /// Connections open at once; `None`: as many as the open-file limit
    /// allows, less [`RESERVED_FILES`].
    pub max_connections: Option<usize>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_header_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            max_connections: None,
        }
    }
}

/// File descriptors kept for everything but connections: the listener, the
/// log, reading content on reload.
pub const RESERVED_FILES: u64 = 64;

impl ConnectionLimits {
    /// The bound on open connections: the setting, else what the open-file
    /// limit leaves (raised to its hard maximum first, as nginx's
    /// `worker_rlimit_nofile` does), so that `accept` never runs out.
    pub fn raise_file_limit_for_connections(&self) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let files = raise_open_file_limit().unwrap_or(1024);
            usize::try_from(files.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX)
        })
    }
}

/// Raises the soft limit on open files to the hard one; the soft limit now.
fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    match (limit.current, limit.maximum) {
        (Some(current), Some(maximum)) if maximum > current => {
            let raised = Rlimit {
                current: Some(maximum),
                maximum: Some(maximum),
            };
            Some(if setrlimit(Resource::Nofile, raised).is_ok() {
                maximum
            } else {
                current
            })
        }
        (current, _) => current,
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

/// The largest request body read: opt-out forms carry one short field.
pub const MAX_REQUEST_BODY: usize = 4 * 1024;

/// Permits for requests in flight, shared by every clone of the app, and
/// how long a request's body may take to arrive before one is taken.
#[derive(Clone, Debug)]
pub struct RequestPermits {
    semaphore: Arc<Semaphore>,
    body_timeout: Duration,
}

impl RequestPermits {
    pub fn new(limits: RequestLimits) -> Self {
        RequestPermits {
            semaphore: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))),
            body_timeout: limits.request_timeout,
        }
    }
}

/// Load shedding (`from_fn_with_state(RequestPermits, shed_own_request)`): a request that
/// finds every permit taken is answered `503` at once. Health probes are
/// exempt, so that an orchestrator does not restart a replica for being busy.
/// Responses kept in memory never get this far (the response cache sits
/// outside): they cost no work worth shedding.
///
/// (tower's `ConcurrencyLimit` + `LoadShed` do the same on a semaphore, but
/// answer through an error handler and cannot exempt the probes.)
pub async fn shed_own_request(
    State(permits): State<RequestPermits>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().ends_with("/healthz") {
        return next.run(request).await;
    }
    // A body still on its way takes no permit: a client that never sends it
    // would hold one until the request timeout, and enough of them (64
    // streams on each HTTP/2 connection) would shed every visitor's opt-out.
    let request = match received(request, permits.body_timeout).await {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let Ok(_permit) = Arc::clone(&permits.semaphore).try_acquire_owned() else {
        return AppError::Overloaded.into_response();
    };
    next.run(request).await
}

/// For the operator's own site ([`crate::front`]): a permit for the time
/// until the answer's head, or `503`; the body is the operator's, streamed
/// on as it comes.
pub async fn shed_site_request(
    State(permits): State<RequestPermits>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = Arc::clone(&permits.semaphore).try_acquire_owned() else {
        return AppError::Overloaded.into_response();
    };
    next.run(request).await
}

/// `request` with its body read into memory: at most [`MAX_REQUEST_BODY`]
/// bytes (else `413`), within `timeout` (else `408`).
async fn received(request: Request, timeout: Duration) -> Result<Request, AppError> {
    if request.body().is_end_stream() {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_REQUEST_BODY);
    match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => Err(AppError::RequestTimeout),
        Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => {
            Err(AppError::PayloadTooLarge)
        }
        Ok(Err(_)) => Err(AppError::BadRequest),
        Ok(Ok(collected)) => Ok(Request::from_parts(parts, Body::from(collected.to_bytes()))),
    }
}

/// The request timeout (`from_fn_with_state(request_timeout, time_limit)`):
/// a request not answered within it is answered `408`.
pub async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::RequestTimeout.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::http::StatusCode;
    use axum::http::header::RETRY_AFTER;
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
            .layer(from_fn_with_state(
                RequestPermits::new(RequestLimits {
                    max_concurrent_requests: 1,
                    ..RequestLimits::default()
                }),
                shed_own_request,
            ));
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
