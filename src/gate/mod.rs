//! The script gate: a tower [`Layer`] that puts a site's third-party scripts
//! into HTML responses only for visitors who have not opted out of them.
//!
//! It is public API: an operator's own axum app can wrap its pages with
//! [`ScriptGateLayer`] and get the same guarantee as the policy pages. For each
//! HTML response it
//!
//! - inserts `consent.js` (opt-out functions such as `window.gaOptout()`),
//! - inserts each active service's tags, unless the visitor opted out of it
//!   (cookie) or sends `Sec-GPC: 1`,
//! - removes elements the page marks `data-service="<id>"` (an embed, a
//!   `preconnect` hint) for services the visitor opted out of,
//! - refreshes the visitor's opt-out cookies (browsers cap them at 400 days),
//! - adds `Vary: Cookie, Sec-GPC`.
//!
//! The layer is glue around [`rewrite`], a pure function. It decides before
//! it reads: status, media type, encoding; then a bounded read. On any
//! failure it logs and passes the original response on. Put it inside
//! compression: it leaves compressed bodies alone.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, SET_COOKIE, VARY};
use axum::http::{HeaderValue, Method, Request, Response, StatusCode};
use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, end, end_tag};
use tower::{Layer, Service};

use crate::consent::Consent;
use crate::content::{Basis, LiveLibrary, Placement, ScriptSource, ScriptTag, ServiceId, Site};
use crate::request::forwarded::RequestFacts;
use crate::request::visit::Visit;

mod banner;
mod hold;
mod layout;
mod recognize;
pub(crate) mod stream;

pub use banner::Answer;
pub use layout::KnownLayout;
pub use recognize::Recognizer;

/// Bodies larger than this are passed on unchanged (and logged).
pub const MAX_GATED_BODY: usize = 4 * 1024 * 1024;

/// What to change in one HTML document for one visitor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Injection {
    /// Inserted before `</head>`.
    pub head: String,
    /// Inserted at the start of `<body>`: the consent banner.
    pub banner: String,
    /// Inserted before `</body>`.
    pub body: String,
    /// Elements with `data-service="<id>"` for these ids are removed.
    pub remove: BTreeSet<ServiceId>,
}

impl Injection {
    /// The injection for `site` and a visitor in `consent`, with first-party
    /// URLs under `base_path`.
    pub fn for_visitor(site: &Site, consent: &Consent, base_path: &str) -> Self {
        let mut head = consent_script(site, base_path);
        let mut body = String::new();
        let mut remove = BTreeSet::new();
        for service in site.services.values() {
            if !consent.allows(&service.id) {
                remove.insert(service.id.clone());
            } else if service.active {
                for tag in &service.tags {
                    let out = match tag.placement {
                        Placement::Head => &mut head,
                        Placement::Body => &mut body,
                    };
                    write_tag(out, tag, base_path);
                }
            }
        }
        Injection {
            head,
            banner: String::new(),
            body,
            remove,
        }
    }
}

/// The `<script>` of `consent.js`, which makes opt-out links and forms work:
/// it knows the endpoints' base path and each service's cookie.
fn consent_script(site: &Site, base_path: &str) -> String {
    let services: Vec<String> = site
        .services
        .values()
        .map(|service| match service.consent {
            // consent.js then also reads the consent record for it.
            Basis::OptIn => format!("{}:{}:in", service.id, service.cookie),
            Basis::OptOut => format!("{}:{}", service.id, service.cookie),
        })
        .collect();
    format!(
        "<script src=\"{base_path}{}\" data-base=\"{base_path}\" data-services=\"{}\" defer></script>",
        crate::assets::path("consent.js"),
        services.join(" ")
    )
}

/// `<script src="…" async id="…"></script>`, every value HTML-escaped; a
/// bundled file's URL under `base_path`.
fn write_tag(out: &mut String, tag: &ScriptTag, base_path: &str) {
    use askama::filters::Escaper;
    let html = askama::filters::Html;
    // Writing to a String cannot fail.
    out.push_str("<script src=\"");
    match &tag.src {
        ScriptSource::Url(url) => {
            let _ = html.write_escaped_str(&mut *out, url.as_str());
        }
        ScriptSource::Bundled(name) => {
            let _ = html.write_escaped_str(&mut *out, base_path);
            out.push_str(crate::assets::path(name));
        }
    }
    out.push('"');
    for (name, value) in &tag.attributes {
        out.push(' ');
        out.push_str(name);
        if let Some(value) = value {
            out.push_str("=\"");
            let _ = html.write_escaped_str(&mut *out, value);
            out.push('"');
        }
    }
    out.push_str("></script>");
}

/// Applies `injection` to an HTML document.
pub fn rewrite(
    html: &[u8],
    injection: &Injection,
) -> Result<Vec<u8>, lol_html::errors::RewritingError> {
    use std::cell::Cell;
    use std::rc::Rc;
    // End-tag handlers must own what they use, hence the shared cells.
    let head_done = Rc::new(Cell::new(false));
    let body_done = Rc::new(Cell::new(false));
    let head_html: Rc<str> = Rc::from(injection.head.as_str());
    let banner_html = injection.banner.as_str();
    let body_html: Rc<str> = Rc::from(injection.body.as_str());
    let mut output = Vec::with_capacity(html.len() + head_html.len() + body_html.len());
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("[data-service]", |el| {
            let marked = el.get_attribute("data-service").unwrap_or_default();
            if marked
                .split_whitespace()
                .filter_map(|id| id.parse::<ServiceId>().ok())
                .any(|id| injection.remove.contains(&id))
            {
                el.remove();
            }
            Ok(())
        }))
        .append_element_content_handler(element!("head", |el| {
            let (done, html) = (head_done.clone(), head_html.clone());
            // Elements that cannot have content have no end tag to wait for.
            let _ = el.on_end_tag(end_tag!(move |end| {
                if !done.replace(true) {
                    end.before(&html, ContentType::Html);
                }
                Ok(())
            }));
            Ok(())
        }))
        .append_element_content_handler(element!("body", |el| {
            // A document without `</head>` gets the head part at the start of the body.
            if !head_done.replace(true) {
                el.prepend(&format!("{head_html}{banner_html}"), ContentType::Html);
            } else {
                el.prepend(banner_html, ContentType::Html);
            }
            let (done, html) = (body_done.clone(), body_html.clone());
            let _ = el.on_end_tag(end_tag!(move |end| {
                if !done.replace(true) {
                    end.before(&html, ContentType::Html);
                }
                Ok(())
            }));
            Ok(())
        }))
        .append_document_content_handler(end!(|end| {
            // No `</body>` (or no `<head>`/`<body>` at all): append what is left.
            if !head_done.replace(true) {
                end.append(&head_html, ContentType::Html);
            }
            if !body_done.replace(true) {
                end.append(&body_html, ContentType::Html);
            }
            Ok(())
        }));
    let mut rewriter = lol_html::HtmlRewriter::new(settings.into(), |chunk: &[u8]| {
        output.extend_from_slice(chunk)
    });
    rewriter.write(html)?;
    rewriter.end()?;
    Ok(output)
}

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

/// The origins third-party scripts on this page may load from: those of the
/// site's active services that this visitor allows. The gate leaves it in the
/// response's extensions for the Content-Security-Policy
/// ([`crate::layers::security`]), so the policy never admits a service the visitor
/// turned off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins(pub Vec<String>);

impl AllowedOrigins {
    pub fn for_visitor(site: &Site, consent: &Consent) -> Self {
        let mut origins: Vec<String> = Vec::new();
        for service in site.services.values() {
            if service.active && consent.allows(&service.id) {
                for origin in &service.origins {
                    if !origins.contains(origin) {
                        origins.push(origin.clone());
                    }
                }
            }
        }
        AllowedOrigins(origins)
    }
}

/// Marks a response the gate has handled, so that a gate around a gate
/// (the policy router nested in an operator's gated app) does nothing twice.
#[derive(Clone, Copy, Debug)]
struct Gated;

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
            let gated = gate(response, &visit, page).await;
            Ok(if head_request {
                crate::request::normalize::without_body(gated).await
            } else {
                gated
            })
        })
    }
}

/// `page`: the page's own address and the banner's answer (`?consent=`).
async fn gate(
    mut response: Response<Body>,
    visit: &Visit,
    page: (String, Option<Answer>),
) -> Response<Body> {
    let (site, consent) = (&*visit.site, &visit.consent);
    if response.extensions().get::<Gated>().is_some() || !is_html(&response) {
        return response;
    }
    response.extensions_mut().insert(Gated);
    response
        .extensions_mut()
        .insert(AllowedOrigins::for_visitor(site, consent));
    let headers = response.headers_mut();
    headers.append(VARY, HeaderValue::from_static("Cookie, Sec-GPC"));
    refresh_opt_outs(headers, visit);
    let status = response.status();
    let encoded = response
        .headers()
        .get(CONTENT_ENCODING)
        .is_some_and(|e| !e.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded
        || status.is_informational()
        || matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED)
    {
        return response;
    }
    let too_large = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length > MAX_GATED_BODY);
    if too_large {
        tracing::warn!("HTML response too large to gate; passed on unchanged");
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let html = match crate::body::read_bounded(body, MAX_GATED_BODY).await {
        Ok(html) => html,
        Err(original) => {
            tracing::warn!("HTML response unreadable or too large to gate; passed on unchanged");
            return Response::from_parts(parts, original);
        }
    };
    let mut injection = Injection::for_visitor(site, consent, &visit.base);
    // A page the service rendered has its stylesheet (and a CSP without
    // inline styles); any other carries the banner's look inline.
    let layout = parts.extensions.get::<KnownLayout>().copied();
    let (return_to, answer) = page;
    injection.banner = banner::banner(visit, &return_to, answer, layout.is_none());
    injection
        .body
        .push_str(&banner::footer(visit, layout.is_none()));
    let spliced = layout.and_then(|layout| layout.splice(&html, &injection));
    match spliced
        .map(Ok)
        .unwrap_or_else(|| rewrite(&html, &injection))
    {
        Ok(rewritten) => {
            parts.headers.remove(CONTENT_LENGTH);
            // The body changed, so any validator computed for it no longer holds.
            parts.headers.remove(ETAG);
            Response::from_parts(parts, Body::from(rewritten))
        }
        Err(err) => {
            tracing::warn!(error = %err, "cannot rewrite HTML; passed on unchanged");
            Response::from_parts(parts, Body::from(html))
        }
    }
}

fn is_html(response: &Response<Body>) -> bool {
    is_html_media(response.headers())
}

/// Whether `headers` say the body is an HTML document (`text/html`, any
/// parameters): what the gate rewrites, the fronted CSP guards and the
/// upstream proxy decodes.
pub(crate) fn is_html_media(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/html"))
}

/// Re-sets each opt-out cookie the visitor sent, for another 400 days.
fn refresh_opt_outs(headers: &mut axum::http::HeaderMap, visit: &Visit) {
    let scope = visit.cookie_scope();
    for id in visit.consent.opt_out_cookies() {
        if let Some(service) = visit.site.services.get(id)
            && let Ok(value) = HeaderValue::from_str(&scope.opt_out(service).to_string())
        {
            headers.append(SET_COOKIE, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn injection(remove: &[&str]) -> Injection {
        Injection {
            head: "<script src=\"/h.js\"></script>".to_owned(),
            banner: String::new(),
            body: "<script src=\"/b.js\"></script>".to_owned(),
            remove: remove.iter().map(|id| id.parse().expect("id")).collect(),
        }
    }

    fn rewritten(html: &str, injection: &Injection) -> String {
        String::from_utf8(rewrite(html.as_bytes(), injection).expect("rewrites")).expect("utf-8")
    }

    /// What the tags of each kind look like once written: values escaped, a
    /// bundled file under the request's base path.
    #[test]
    fn service_tags_are_written_as_html() {
        let tag = |placement, src, attributes: &[(&'static str, Option<&str>)]| ScriptTag {
            placement,
            src,
            attributes: attributes
                .iter()
                .map(|(name, value)| (*name, value.map(str::to_owned)))
                .collect(),
        };
        let url = |text: &str| ScriptSource::Url(text.parse().expect("url"));
        for (tag, expected) in [
            (
                tag(
                    Placement::Head,
                    url("https://www.googletagmanager.com/gtag/js?id=G-ABC123"),
                    &[("async", None)],
                ),
                "<script src=\"https://www.googletagmanager.com/gtag/js?id=G-ABC123\" async></script>".to_owned(),
            ),
            (
                tag(
                    Placement::Head,
                    ScriptSource::Bundled("gtag-init.js"),
                    &[("data-measurement-id", Some("G-ABC123"))],
                ),
                format!(
                    "<script src=\"/legal{}\" data-measurement-id=\"G-ABC123\"></script>",
                    crate::assets::path("gtag-init.js")
                ),
            ),
            (
                tag(
                    Placement::Body,
                    url("https://cdn.carbonads.com/carbon.js?serve=CKYI&placement=x%26y"),
                    &[("async", None), ("id", Some("_carbonads_js"))],
                ),
                "<script src=\"https://cdn.carbonads.com/carbon.js?serve=CKYI&#38;placement=x%26y\" async id=\"_carbonads_js\"></script>".to_owned(),
            ),
            (
                tag(
                    Placement::Head,
                    url("http://127.0.0.1:9/js/script.js"),
                    &[("defer", None), ("data-domain", Some("x.org\"><b>"))],
                ),
                "<script src=\"http://127.0.0.1:9/js/script.js\" defer data-domain=\"x.org&#34;&#62;&#60;b&#62;\"></script>".to_owned(),
            ),
        ] {
            let mut html = String::new();
            write_tag(&mut html, &tag, "/legal");
            assert_eq!(html, expected);
        }
    }

    #[test]
    fn injects_before_head_and_body_end() {
        assert_eq!(
            rewritten(
                "<html><head><title>t</title></head><body><p>x</p></body></html>",
                &injection(&[])
            ),
            "<html><head><title>t</title><script src=\"/h.js\"></script></head><body><p>x</p><script src=\"/b.js\"></script></body></html>"
        );
    }

    #[test]
    fn documents_without_closing_tags_still_get_everything_once() {
        for (html, expected) in [
            (
                "<html><body><p>x</p></body></html>",
                "<html><body><script src=\"/h.js\"></script><p>x</p><script src=\"/b.js\"></script></body></html>",
            ),
            (
                "<!doctype html><title>t</title><p>x",
                "<!doctype html><title>t</title><p>x<script src=\"/h.js\"></script><script src=\"/b.js\"></script>",
            ),
            (
                "",
                "<script src=\"/h.js\"></script><script src=\"/b.js\"></script>",
            ),
        ] {
            assert_eq!(rewritten(html, &injection(&[])), expected, "{html}");
        }
    }

    #[test]
    fn removes_marked_elements_of_opted_out_services() {
        let html = "<head><link rel=\"preconnect\" href=\"https://cdn.carbonads.com\" data-service=\"carbon\"><link rel=\"dns-prefetch\" href=\"https://x\" data-service=\"ga\"></head><body><div data-service=\"carbon\"><script src=\"https://cdn.carbonads.com/carbon.js\"></script></div><p data-service=\"other\">keep</p></body>";
        assert_eq!(
            rewritten(html, &injection(&["carbon"])),
            "<head><link rel=\"dns-prefetch\" href=\"https://x\" data-service=\"ga\"><script src=\"/h.js\"></script></head><body><p data-service=\"other\">keep</p><script src=\"/b.js\"></script></body>"
        );
    }

    #[test]
    fn known_layouts_are_spliced_like_rewrites() {
        let html = "<html><head><title>t</title></head><body><p>x</p></body></html>";
        let layout = KnownLayout::of(html).expect("layout");
        let injection = injection(&[]);
        assert_eq!(
            layout.splice(html.as_bytes(), &injection),
            Some(rewrite(html.as_bytes(), &injection).expect("rewrites"))
        );
        // A stale layout is refused rather than trusted.
        let other = "<html><head></head><body>longer body here</body></html>";
        assert_eq!(layout.splice(other.as_bytes(), &injection), None);
        assert_eq!(KnownLayout::of("<body></body><head></head>"), None);
    }

    #[test]
    fn markers_in_text_and_comments_are_not_tags() {
        let html = "<body><!-- </body> --><pre>&lt;/body&gt;</pre><script>var s = \"</body>\";</script></body>";
        let out = rewritten(html, &injection(&[]));
        assert_eq!(out.matches("/b.js").count(), 1);
        assert!(
            out.ends_with("<script src=\"/b.js\"></script></body>"),
            "{out}"
        );
    }
}
