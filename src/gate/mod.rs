//! The script gate: what a visitor's page may carry, decided once for every
//! HTML response, whoever made it.
//!
//! Two ways in, one gate ([`gate`]):
//!
//! - [`ScriptGateLayer`], public API, around pages privacy-pages renders
//!   and an operator's own axum app: it writes each active service's tags
//!   for a visitor who allows it, and removes elements the page marks
//!   `data-service="<id>"` for a service the visitor turned off;
//! - [`gate_site`], around an operator's pages on a site privacy-pages
//!   fronts: nothing is written for a service; vendors' snippets of a
//!   service the visitor turned off are removed ([`Recognizer`]), players
//!   become two-click placeholders.
//!
//! Both then add `consent.js` (opt-out functions such as
//! `window.gaOptout()`), the consent banner while an opt-in service is
//! undecided and the link to the privacy choices, refresh the visitor's
//! opt-out cookies (browsers cap them at 400 days), add `Vary: Cookie,
//! Sec-GPC`, and leave the origins this visitor allows for the
//! Content-Security-Policy ([`AllowedOrigins`]).
//!
//! The gate decides before it reads: status, media type, encoding. The one
//! rewriter ([`rewriter`]) takes a page in memory whole and any other as
//! it streams; a page the service rendered itself is spliced without
//! parsing ([`KnownLayout`]). Put the gate inside compression: it leaves
//! compressed bodies alone.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, SET_COOKIE, VARY};
use axum::http::{HeaderValue, Response, StatusCode};

use crate::consent::Consent;
use crate::content::{Basis, Placement, ScriptSource, ScriptTag, ServiceId, Site};
use crate::request::visit::Visit;

mod banner;
mod fronted;
mod hold;
mod layer;
mod layout;
mod recognize;
mod rewriter;

pub use banner::Answer;
pub use fronted::gate_site;
pub use layer::{ScriptGate, ScriptGateLayer};
pub use layout::KnownLayout;
pub use recognize::Recognizer;

use rewriter::Plan;

/// A page in memory up to this size is rewritten whole (its length known);
/// a larger one, or one of unknown length, streams.
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

/// Applies `injection` to a whole HTML document, as the gate does to a
/// page in memory.
pub fn rewrite(
    html: &[u8],
    injection: &Injection,
) -> Result<Vec<u8>, lol_html::errors::RewritingError> {
    Plan::inject(injection.clone()).rewrite(html)
}

/// Which pages the gate is finishing: the one thing its two ways in decide
/// differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pages {
    /// Pages privacy-pages or an operator's app renders: services are
    /// written in by the gate, so a page's validators (computed on the
    /// bytes before it) no longer hold once it has.
    Rendered,
    /// An operator's pages on a fronted site: the page loads what its
    /// operator wrote; its validators are the front's, made with the
    /// visitor's state in them.
    Fronted,
}

/// The origins third-party scripts on this page may load from, left in the
/// response's extensions by the gate for the Content-Security-Policy
/// ([`crate::layers::security`]), so that the policy never admits a service
/// the visitor turned off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    /// Of each service this visitor allows that the page may load: an
    /// active one on a rendered page (the gate writes it in), any on an
    /// operator's page (the operator's page loads it).
    pub origins: Vec<String>,
    /// Whether the visitor turned at least one of the site's services off
    /// (or has not yet said yes to one).
    pub restricted: bool,
}

impl AllowedOrigins {
    pub fn for_visitor(site: &Site, consent: &Consent, pages: Pages) -> Self {
        let mut allowed = AllowedOrigins::default();
        for service in site.services.values() {
            if !consent.allows(&service.id) {
                allowed.restricted = true;
            } else if service.active || pages == Pages::Fronted {
                for origin in &service.origins {
                    if !allowed.origins.contains(origin) {
                        allowed.origins.push(origin.clone());
                    }
                }
            }
        }
        allowed
    }
}

/// Marks a response the gate has handled, so that a gate around a gate
/// (the policy router nested in an operator's gated app) does nothing twice.
#[derive(Clone, Copy, Debug)]
struct Gated;

/// The gate, for both ways in. `page`: the page's own address and the
/// banner's answer (`?consent=`).
pub(crate) async fn gate(
    mut response: Response<Body>,
    visit: &Visit,
    page: (String, Option<Answer>),
    pages: Pages,
) -> Response<Body> {
    if response.extensions().get::<Gated>().is_some() || !is_html(&response) {
        return response;
    }
    let (site, consent) = (&*visit.site, &visit.consent);
    response.extensions_mut().insert(Gated);
    response
        .extensions_mut()
        .insert(AllowedOrigins::for_visitor(site, consent, pages));
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
    // A page the service rendered has its stylesheet (and a CSP without
    // inline styles); any other carries the banner's look inline.
    let layout = response.extensions().get::<KnownLayout>().copied();
    let plan = plan(visit, page, pages, layout.is_none());
    let (mut parts, body) = response.into_parts();
    if pages == Pages::Fronted {
        parts.headers.remove(CONTENT_LENGTH);
        return Response::from_parts(parts, plan.stream(body));
    }
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    // The body changes, so any validator computed for it no longer holds.
    parts.headers.remove(ETAG);
    parts.headers.remove(CONTENT_LENGTH);
    if declared.is_some_and(|length| length > MAX_GATED_BODY) {
        return Response::from_parts(parts, plan.stream(body));
    }
    let html = match crate::body::read_bounded(body, MAX_GATED_BODY).await {
        Ok(html) => html,
        // Longer than it said, or it never said: the rest streams.
        Err(whole) => return Response::from_parts(parts, plan.stream(whole)),
    };
    let spliced = layout.and_then(|layout| layout.splice(&html, &plan.injection));
    match spliced.map(Ok).unwrap_or_else(|| plan.rewrite(&html)) {
        Ok(rewritten) => Response::from_parts(parts, Body::from(rewritten)),
        Err(err) => {
            tracing::warn!(error = %err, "cannot rewrite HTML; passed on unchanged");
            Response::from_parts(parts, Body::from(html))
        }
    }
}

/// What `pages` get for this visitor: see the module's documentation.
fn plan(
    visit: &Visit,
    (return_to, answer): (String, Option<Answer>),
    pages: Pages,
    inline_style: bool,
) -> Plan {
    let (site, consent) = (&*visit.site, &visit.consent);
    let banner = banner::banner(visit, &return_to, answer, inline_style);
    let footer = banner::footer(visit, inline_style);
    match pages {
        Pages::Rendered => {
            let mut injection = Injection::for_visitor(site, consent, &visit.base);
            injection.banner = banner;
            injection.body.push_str(&footer);
            Plan::inject(injection)
        }
        Pages::Fronted => Plan {
            injection: Injection {
                head: consent_script(site, &visit.base),
                banner,
                body: footer,
                remove: BTreeSet::new(),
            },
            recognizer: Recognizer::new(
                site.services
                    .values()
                    // Players are the placeholders' business.
                    .filter(|service| !service.kind.is_player() && !consent.allows(&service.id)),
            ),
            embeds: Some(fronted::embeds(visit)),
        },
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
