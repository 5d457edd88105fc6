//! [`ScriptGateLayer`]: the gate as a tower [`Layer`], public API, for
//! privacy-pages' own pages and an operator's own axum app.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{Method, Request, Response};
use tower::{Layer, Service};

use super::{Pages, banner, gate};
use crate::content::LiveLibrary;
use crate::request::forwarded::RequestFacts;
use crate::request::visit::Visit;

/// The script gate as a [`Layer`]. Sites are chosen by `Host`, as for pages.
#[derive(Clone)]
pub struct ScriptGateLayer {
    library: LiveLibrary,
    base_path: Arc<str>,
}

impl ScriptGateLayer {
    /// `base_path` is where the policy router is mounted (`""` at the root,
    /// `"/legal"` when nested): `consent.js` and the opt-out endpoints live there.
    /// `library` is a [`LiveLibrary`] (shared with the policy router, so both
    /// see a reload) or a plain [`Library`](crate::content::Library).
    pub fn new(library: impl Into<LiveLibrary>, base_path: impl Into<Arc<str>>) -> Self {
        ScriptGateLayer {
            library: library.into(),
            base_path: base_path.into(),
        }
    }
}

impl<S> Layer<S> for ScriptGateLayer {
    type Service = ScriptGate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ScriptGate {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`ScriptGateLayer`] wraps around an inner one.
#[derive(Clone)]
pub struct ScriptGate<S> {
    inner: S,
    layer: ScriptGateLayer,
}

impl<S, B> Service<Request<B>> for ScriptGate<S>
where
    S: Service<Request<B>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // Inside the policy router the visit is resolved already; an
        // operator's app may not resolve one.
        let visit = match request.extensions().get::<Visit>() {
            Some(visit) => visit.clone(),
            None => Visit::resolve(
                request.headers(),
                request.uri(),
                request.extensions().get::<RequestFacts>(),
                &self.layer.library,
                &self.layer.base_path,
                false,
            ),
        };
        // HEAD is gated as GET, then sent without its body, so that its
        // headers (the length above all) are those of the page as gated.
        let page = banner::page_of(request.uri(), &visit, &self.layer.base_path);
        let head_request = request.method() == Method::HEAD;
        if head_request {
            *request.method_mut() = Method::GET;
        }
        // The clone that was polled ready is the one that must be called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let response = inner.call(request).await?;
            let gated = gate(response, &visit, page, Pages::Rendered).await;
            Ok(if head_request {
                crate::request::normalize::without_body(gated).await
            } else {
                gated
            })
        })
    }
}
