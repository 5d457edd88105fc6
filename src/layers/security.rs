//! Security headers, on every response the service makes.
//!
//! The Content-Security-Policy admits no inline script or style at all (the
//! templates have none; gtag starts from a first-party file) and, for
//! scripts, `'self'` plus exactly the origins of the services this visitor
//! allows ([`AllowedOrigins`], left by the script gate). A visitor who opted
//! out of Carbon gets a policy under which the browser itself would refuse
//! Carbon's script, whatever the page said.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::content::CspMode;
use crate::gate::AllowedOrigins;
use crate::request::visit::Visit;

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

/// Browser features no policy page needs.
const PERMISSIONS: HeaderValue = HeaderValue::from_static(
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
);

/// What the operator decides: who may frame the pages, and HSTS.
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    frame_ancestors: String,
    /// `Strict-Transport-Security`, sent only on requests that came over HTTPS.
    hsts: Option<HeaderValue>,
}

impl Default for SecurityHeaders {
    fn default() -> Self {
        SecurityHeaders::new("'self'", 0).unwrap_or(SecurityHeaders {
            frame_ancestors: "'self'".to_owned(),
            hsts: None,
        })
    }
}

impl SecurityHeaders {
    /// `frame_ancestors` is a CSP source list (`'self'`, `'none'`,
    /// `https://example.org`); `hsts_max_age_secs` 0 sends no HSTS.
    pub fn new(frame_ancestors: &str, hsts_max_age_secs: u64) -> Result<Self, String> {
        let frame_ancestors = frame_ancestors.trim();
        let valid = !frame_ancestors.is_empty()
            && frame_ancestors
                .split_ascii_whitespace()
                .all(is_frame_ancestor_source);
        if !valid {
            return Err(format!(
                "`{frame_ancestors}` is not a CSP source list such as `'self'` or `'self' https://example.org`"
            ));
        }
        let hsts = (hsts_max_age_secs > 0).then(|| {
            HeaderValue::from_str(&format!("max-age={hsts_max_age_secs}"))
                .unwrap_or(HeaderValue::from_static("max-age=31536000"))
        });
        Ok(SecurityHeaders {
            frame_ancestors: frame_ancestors.to_owned(),
            hsts,
        })
    }

    /// The policy for a response that may load scripts from `origins`.
    pub fn content_security_policy(&self, origins: &[String]) -> String {
        let extra = origins.join(" ");
        let with = |base: &str| {
            if extra.is_empty() {
                base.to_owned()
            } else {
                format!("{base} {extra}")
            }
        };
        // Players of two-click embeds load on the visitor's click only.
        let frames = if extra.is_empty() {
            EMBED_PLAYERS.to_owned()
        } else {
            format!("{extra} {EMBED_PLAYERS}")
        };
        format!(
            "default-src 'self'; script-src {}; style-src {}; img-src {}; connect-src {}; \
             font-src 'self'; frame-src {frames}; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors {}",
            with("'self'"),
            with("'self'"),
            with("'self' data:"),
            with("'self'"),
            self.frame_ancestors,
        )
    }

    /// `X-Frame-Options` for browsers without `frame-ancestors`, where it can
    /// say the same thing.
    fn x_frame_options(&self) -> Option<HeaderValue> {
        match self.frame_ancestors.as_str() {
            "'self'" => Some(HeaderValue::from_static("SAMEORIGIN")),
            "'none'" => Some(HeaderValue::from_static("DENY")),
            _ => None,
        }
    }
}

/// `'self'`, `'none'`, or a scheme-and-host source: nothing that could end the
/// directive or the header.
fn is_frame_ancestor_source(source: &str) -> bool {
    matches!(source, "'self'" | "'none'")
        || source.split_once("://").is_some_and(|(scheme, host)| {
            matches!(scheme, "https" | "http")
                && !host.is_empty()
                && host.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'*' | b'/')
                })
        })
}

/// The middleware (`from_fn_with_state(headers, security_headers)`), outside
/// the gate.
pub async fn security_headers(
    State(policy): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let https = request
        .extensions()
        .get::<Visit>()
        .is_some_and(|visit| visit.https);
    let mut response = next.run(request).await;
    let origins = response
        .extensions()
        .get::<AllowedOrigins>()
        .map(|allowed| allowed.origins.as_slice())
        .unwrap_or_default();
    let csp = policy.content_security_policy(origins);
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(PERMISSIONS_POLICY, PERMISSIONS);
    headers.insert(
        CROSS_ORIGIN_OPENER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if let Some(value) = policy.x_frame_options() {
        headers.insert(X_FRAME_OPTIONS, value);
    }
    if let (true, Some(hsts)) = (https, &policy.hsts) {
        headers.insert(STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}

/// The middleware for the operator's own pages on a fronted site: only what
/// cannot change how they work for a visitor who allows everything
/// (`nosniff`, HSTS as configured). For a visitor who turned a service off,
/// a policy the site's `csp` setting asks for ([`fronted_policy`]).
pub async fn site_headers(
    State(policy): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let visit = request.extensions().get::<Visit>().cloned();
    let mut response = next.run(request).await;
    // Left by the gate on the pages it gated: HTML, for this visitor.
    let allowed = response.extensions().get::<AllowedOrigins>().cloned();
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let Some(visit) = visit else {
        return response;
    };
    if let (true, Some(hsts)) = (visit.https, &policy.hsts) {
        headers.insert(STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    if let (Some(allowed), Some(front)) = (allowed, &visit.site.front)
        && let Some(csp) = fronted_policy(&allowed, &front.csp_sources)
        && let Ok(value) = HeaderValue::from_str(&csp)
    {
        match front.csp {
            CspMode::Enforce => {
                headers.insert(CONTENT_SECURITY_POLICY, value);
            }
            CspMode::ReportOnly => {
                headers.insert(CONTENT_SECURITY_POLICY_REPORT_ONLY, value);
            }
            CspMode::Off => {}
        }
    }
    response
}

/// Where the players of two-click embeds come from ([`crate::embeds::Embed`]).
const EMBED_PLAYERS: &str = "https://www.youtube-nocookie.com https://player.vimeo.com";

/// The policy for an operator's page and a visitor who turned at least one
/// service off: scripts and frames only from the page's own origin, the
/// services this visitor allows (as the gate found them) and the site's
/// `csp_sources`. Inline
/// scripts and `eval` stay allowed (they are the operator's); what the
/// policy adds is that no loader, recognised or not, can fetch a turned-off
/// service. `None` for a visitor who allows every service: the page is
/// exactly the operator's.
pub fn fronted_policy(allowed: &AllowedOrigins, sources: &[String]) -> Option<String> {
    if !allowed.restricted {
        return None;
    }
    let mut origins: Vec<&str> = Vec::new();
    for origin in allowed.origins.iter().chain(sources) {
        if !origins.contains(&origin.as_str()) {
            origins.push(origin);
        }
    }
    let list = if origins.is_empty() {
        String::new()
    } else {
        format!(" {}", origins.join(" "))
    };
    // A two-click embed's player loads on the visitor's own click.
    Some(format!(
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'{list}; frame-src 'self'{list} {EMBED_PLAYERS}; object-src 'none'"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Consent;

    #[test]
    fn the_policy_admits_exactly_the_allowed_origins() {
        let policy = SecurityHeaders::default();
        let none = policy.content_security_policy(&[]);
        assert!(none.contains("script-src 'self';"), "{none}");
        assert!(
            none.contains("frame-src https://www.youtube-nocookie.com https://player.vimeo.com;"),
            "only the players of two-click embeds: {none}"
        );
        assert!(!none.contains("unsafe"), "{none}");
        let carbon = policy.content_security_policy(&["https://cdn.carbonads.com".to_owned()]);
        assert!(
            carbon.contains("script-src 'self' https://cdn.carbonads.com;"),
            "{carbon}"
        );
        assert!(carbon.ends_with("frame-ancestors 'self'"), "{carbon}");
    }

    #[test]
    fn a_fronted_page_gets_a_policy_only_when_something_is_off() {
        use axum::http::HeaderMap;
        let library = crate::content::load_from_memory(
            std::path::Path::new("c"),
            &[
                (
                    "x/site.toml",
                    "name = \"x\"\nhosts = [\"x.org\"]\ndefault_language = \"en\"\n[services.carbon]\nname = \"C\"\nkind = \"carbon\"\nserve = \"S\"\nplacement = \"p\"\n[services.p]\nname = \"P\"\nkind = \"plausible\"\ndomain = \"x.org\"\n",
                ),
                ("x/privacy.en.md", "---\ntitle: P\n---\ntext\n"),
            ],
        )
        .expect("loads");
        let site = library.default_site();
        let consent = |cookie: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("cookie", HeaderValue::from_str(cookie).expect("value"));
            Consent::read(&headers, site)
        };
        let allowed = |cookie: &str| {
            AllowedOrigins::for_visitor(site, &consent(cookie), crate::gate::Pages::Fronted)
        };
        assert_eq!(fronted_policy(&allowed(""), &[]), None);
        let sources = ["https://cdn.example.com".to_owned()];
        assert_eq!(
            fronted_policy(&allowed("carbon-disable=true"), &sources).as_deref(),
            Some(
                "script-src 'self' 'unsafe-inline' 'unsafe-eval' https://plausible.io https://cdn.example.com; \
                 frame-src 'self' https://plausible.io https://cdn.example.com \
                 https://www.youtube-nocookie.com https://player.vimeo.com; object-src 'none'"
            )
        );
    }

    #[test]
    fn frame_ancestors_are_checked() {
        assert!(SecurityHeaders::new("'self' https://octoprint.org", 0).is_ok());
        assert!(SecurityHeaders::new("'none'", 0).is_ok());
        for bad in [
            "",
            "*",
            "'self'; script-src *",
            "'unsafe-inline'",
            "https://a\nb",
        ] {
            assert!(SecurityHeaders::new(bad, 0).is_err(), "{bad:?}");
        }
    }
}
