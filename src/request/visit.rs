//! What a request means, worked out once: the site it is for, where the
//! service is mounted for it, how the visitor reached it, the languages they
//! read and the services they allow.
//!
//! [`VisitLayer`] resolves a [`Visit`] early, right after the request is
//! normalised, and leaves it in the request's extensions. Everything after
//! it reads that one value: the response cache's key, the handlers, the
//! script gate and the security headers. Nobody parses `Host`, `Cookie` or
//! `Accept-Language` a second time, so no two of them can disagree about a
//! visitor.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, StatusCode, Uri};
use tower::{Layer, Service};

use crate::consent::{Consent, CookieScope, domain_for};
use crate::content::{LiveLibrary, Site};
use crate::lang::Lang;
use crate::request::forwarded::{RequestFacts, request_host};
use crate::request::negotiate::LangPrefs;

/// One request's facts, as every later step reads them.
#[derive(Clone, Debug)]
pub struct Visit {
    /// The content generation `site` was taken from.
    pub generation: u64,
    /// Chosen by the host the browser named; the default site for an
    /// unknown or missing one.
    pub site: Arc<Site>,
    /// Every URL the service prints starts with this: the prefix a trusted
    /// proxy strips, then the configured base path. Empty at the root.
    pub base: Arc<str>,
    /// The visitor reached the site over HTTPS, as a trusted proxy says.
    pub https: bool,
    /// The host lies inside the site's `cookie_domain`, so cookies set for
    /// this request may carry it (see [`CookieScope::for_host`]).
    pub in_cookie_domain: bool,
    pub langs: LangPrefs,
    pub consent: Consent,
    /// privacy-pages stands in front of the whole site (`root`), so every
    /// path on it is the site's.
    pub fronted: bool,
    /// Whether privacy-pages answers itself or passes the request to the
    /// operator's site it fronts.
    pub destination: Destination,
}

/// Who answers a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// privacy-pages: a policy, an opt-out form, its static files.
    Own,
    /// The operator's site privacy-pages stands in front of (`root`).
    Site,
}

impl Visit {
    /// The facts of a request to a service mounted at `base_path` (`""` at
    /// the root), reading the library as it is now.
    pub fn resolve(
        headers: &HeaderMap,
        uri: &Uri,
        facts: Option<&RequestFacts>,
        library: &LiveLibrary,
        base_path: &str,
        fronting: bool,
    ) -> Self {
        let (generation, library) = library.snapshot();
        let host = request_host(headers, uri);
        let site = library.site_for_host(host).clone();
        let proxy_prefix = facts.and_then(|f| f.prefix.as_deref()).unwrap_or_default();
        // A fronted site has privacy-pages' own pages under its prefix.
        let fronted = fronting && site.front.is_some();
        let (mount, destination) = match (&site.front, fronting) {
            (Some(front), true) => {
                let destination = if site.owns_path(uri.path()) {
                    Destination::Own
                } else {
                    Destination::Site
                };
                (front.prefix.as_str(), destination)
            }
            _ => (base_path, Destination::Own),
        };
        let base = if proxy_prefix.is_empty() {
            Arc::from(mount)
        } else {
            Arc::from(format!("{proxy_prefix}{mount}"))
        };
        Visit {
            generation,
            in_cookie_domain: domain_for(site.cookie_domain.as_deref(), host).is_some(),
            https: facts.is_some_and(|f| f.https),
            base,
            langs: LangPrefs::from_request(headers, uri),
            consent: Consent::read(headers, &site),
            fronted,
            destination,
            site,
        }
    }

    /// Whether a form may send the visitor back to `target` (a same-site
    /// path): anywhere on a site privacy-pages fronts, else only to its
    /// own pages.
    pub fn may_return_to(&self, target: &str) -> bool {
        self.fronted || crate::consent::return_to::under_mount(target, &self.base)
    }

    /// Where the policies' addresses start, as the visitor sees them: the
    /// mount; on a fronted site, where the policies answer at the site's
    /// own paths (`/privacy`), the mount without privacy-pages' prefix.
    pub fn policy_base(&self) -> &str {
        self.site
            .front
            .as_ref()
            .and_then(|front| self.base.strip_suffix(front.prefix.as_str()))
            .unwrap_or(&self.base)
    }

    /// The language of pages that are not a document (lists, errors).
    pub fn preferred_lang(&self) -> Lang {
        self.langs.preferred(self.site.default_lang)
    }

    /// `https://host` or `http://host`, as the visitor sees the site.
    pub fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.site.canonical_host())
    }

    /// How cookies set in answer to this request are scoped.
    pub fn cookie_scope(&self) -> CookieScope<'_> {
        CookieScope {
            domain: self
                .site
                .cookie_domain
                .as_deref()
                .filter(|_| self.in_cookie_domain),
            secure: self.https,
        }
    }
}

/// The visit, for handlers. It is always there behind [`VisitLayer`]; a
/// route served without the layer is a wiring mistake, answered `500`.
impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, StatusCode> {
        parts.extensions.get::<Visit>().cloned().ok_or_else(|| {
            tracing::error!("no Visit in the request: the route is served without VisitLayer");
            StatusCode::INTERNAL_SERVER_ERROR
        })
    }
}

/// Resolves the [`Visit`] of every request passing through, for a service
/// mounted at `base_path`. A visit already resolved outside (an operator's
/// [`crate::gate::ScriptGateLayer`] around the nested router) is replaced:
/// the layer nearest the routes knows their mount.
///
/// With `fronting` (the binary, not a router nested in an operator's app),
/// a request for a fronted site's own pages is rewritten to where the routes
/// are (`/_privacy/optout/ga` → `{base_path}/optout/ga`), so that one set of
/// routes serves every site.
#[derive(Clone)]
pub struct VisitLayer {
    library: LiveLibrary,
    base_path: Arc<str>,
    fronting: bool,
}

impl VisitLayer {
    pub fn new(library: LiveLibrary, base_path: Arc<str>, fronting: bool) -> Self {
        VisitLayer {
            library,
            base_path,
            fronting,
        }
    }

    /// The visit of a request with these parts.
    pub fn resolve<B>(&self, request: &Request<B>) -> Visit {
        Visit::resolve(
            request.headers(),
            request.uri(),
            request.extensions().get::<RequestFacts>(),
            &self.library,
            &self.base_path,
            self.fronting,
        )
    }
}

/// The request's target with a fronted site's own path moved under
/// `base_path`, where the routes are; `None` when it stays as it is.
fn routed_uri(visit: &Visit, uri: &Uri, base_path: &str) -> Option<Uri> {
    let front = visit.site.front.as_ref()?;
    if !visit.fronted || visit.destination != Destination::Own {
        return None;
    }
    let path = uri.path();
    let own = front.strips(path).unwrap_or(path);
    let own = if own.is_empty() { "/" } else { own };
    let target = match uri.query() {
        Some(query) => format!("{base_path}{own}?{query}"),
        None => format!("{base_path}{own}"),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(target.parse().ok()?);
    Uri::from_parts(parts).ok()
}

impl<S> Layer<S> for VisitLayer {
    type Service = ResolveVisit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ResolveVisit {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`VisitLayer`] wraps around an inner one.
#[derive(Clone)]
pub struct ResolveVisit<S> {
    inner: S,
    layer: VisitLayer,
}

impl<S, B> Service<Request<B>> for ResolveVisit<S>
where
    S: Service<Request<B>, Error = Infallible>,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let visit = self.layer.resolve(&request);
        if let Some(uri) = routed_uri(&visit, request.uri(), &self.layer.base_path) {
            *request.uri_mut() = uri;
        }
        request.extensions_mut().insert(visit);
        self.inner.call(request)
    }
}
