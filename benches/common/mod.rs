//! What every bench needs: a runtime like the server's (timers on, for the
//! request timeout) and a whole request through an app, body read.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A single-threaded runtime with timers: the app's request timeout needs them.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Sends `request` through `app` and reads the whole body.
pub async fn body_of(app: &Router, request: Request<Body>) -> Bytes {
    let response = app.clone().oneshot(request).await.expect("infallible");
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
}
