//! `POST /optout/{service}`, `POST /optin/{service}` and
//! `GET /.well-known/gpc.json`.
//!
//! The endpoints work without JavaScript (a form post, then `303 See Other`
//! back to the page, which confirms the change) and with it (`Accept:
//! application/json` gets the new state as JSON). Opting out is accepted from
//! anywhere: a forged opt-out only protects the visitor. Opting in re-enables
//! tracking, so it is only accepted from the site's own pages.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use axum::http::header::{ACCEPT, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cookie::Cookie;
use serde::Serialize;

use super::CookieScope;
use crate::content::{Service, Site};
use crate::error::AppError;
use crate::negotiate::LangPrefs;
use crate::pages::{CurrentSite, Mount, PathParams};
use crate::proxy::request_host;

/// Longest `return_to` accepted; anything longer falls back to the policy page.
const MAX_RETURN_TO: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    OptOut,
    OptIn,
}

impl Action {
    /// The query parameter the page reads to confirm the change.
    fn confirmation_param(self) -> &'static str {
        match self {
            Action::OptOut => "optout",
            Action::OptIn => "optin",
        }
    }
}

/// The JSON answer: the state asked for, and every cookie the response sets
/// for it, attribute by attribute, so that a caller can check what its
/// browser really kept (consent.js compares it with `document.cookie`).
#[derive(Serialize)]
struct ConsentJson<'a> {
    service: &'a str,
    opted_out: bool,
    cookies: Vec<CookieJson>,
}

#[derive(Serialize)]
struct CookieJson {
    name: String,
    value: String,
    /// `null`: a host-only cookie.
    domain: Option<String>,
    path: Option<String>,
    max_age: Option<i64>,
    secure: bool,
    http_only: bool,
    same_site: Option<String>,
}

impl From<&Cookie<'_>> for CookieJson {
    fn from(cookie: &Cookie<'_>) -> Self {
        CookieJson {
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
            domain: cookie.domain().map(str::to_owned),
            path: cookie.path().map(str::to_owned),
            max_age: cookie.max_age().map(|age| age.whole_seconds()),
            secure: cookie.secure().unwrap_or(false),
            http_only: cookie.http_only().unwrap_or(false),
            same_site: cookie.same_site().map(|s| s.to_string()),
        }
    }
}

/// `POST /optout/{service}`: sets the service's opt-out cookie.
pub async fn opt_out(
    mount: Mount,
    site: CurrentSite,
    prefs: LangPrefs,
    PathParams(service): PathParams<String>,
    request: ChangeRequest,
) -> Result<Response, AppError> {
    change(Action::OptOut, mount, site, prefs, &service, &request)
}

/// `POST /optin/{service}`: clears it again, for requests from the site itself.
pub async fn opt_in(
    mount: Mount,
    site: CurrentSite,
    prefs: LangPrefs,
    PathParams(service): PathParams<String>,
    request: ChangeRequest,
) -> Result<Response, AppError> {
    change(Action::OptIn, mount, site, prefs, &service, &request)
}

/// What a change reads from its request beyond site, mount and language:
/// the host (for the cookie's scope), the headers (origin, `Accept`) and
/// the form. The body is read by [`crate::limits`] before this runs.
pub struct ChangeRequest {
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for ChangeRequest {
    type Rejection = <Bytes as FromRequest<S>>::Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (uri, headers) = (request.uri().clone(), request.headers().clone());
        // `Bytes` applies the route's `DefaultBodyLimit`.
        let body = Bytes::from_request(request, state).await?;
        Ok(ChangeRequest { uri, headers, body })
    }
}

fn change(
    action: Action,
    mount: Mount,
    CurrentSite(site): CurrentSite,
    prefs: LangPrefs,
    service: &str,
    request: &ChangeRequest,
) -> Result<Response, AppError> {
    let ChangeRequest { uri, headers, body } = request;
    let service = service
        .parse()
        .ok()
        .and_then(|id| site.services.get(&id))
        .ok_or_else(|| AppError::not_found(&mount, &site, &prefs))?;
    if action == Action::OptIn && !from_the_site_itself(headers) {
        return Err(AppError::forbidden(&mount, &site, &prefs));
    }
    let scope = CookieScope::for_host(
        site.cookie_domain.as_deref(),
        request_host(headers, uri),
        // The service speaks plain HTTP itself; HTTPS reaches it only through
        // a proxy, and only a trusted proxy may say so.
        mount.https,
    );
    let cookies = match action {
        Action::OptOut => vec![scope.opt_out(service)],
        Action::OptIn => scope.clear_all(service),
    };
    let mut response = if wants_json(headers) {
        Json(ConsentJson {
            service: service.id.as_str(),
            opted_out: action == Action::OptOut,
            cookies: cookies.iter().map(CookieJson::from).collect(),
        })
        .into_response()
    } else {
        let return_to = form_value(body, "return_to")
            .and_then(|raw| safe_return_to(&raw))
            .filter(|target| under_mount(target, &mount.base))
            .unwrap_or_else(|| fallback_page(&mount, &site));
        let location = with_confirmation(&return_to, action, service);
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, value);
        }
        response
    };
    for cookie in &cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    tracing::info!(service = %service.id, action = ?action, "consent changed");
    Ok(response)
}

/// `Sec-Fetch-Site: same-origin`, or without it (older browsers) an `Origin`
/// naming this very host. Neither: not provably from the site, refused.
fn from_the_site_itself(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let (Some(origin), Some(host)) = (headers.get(ORIGIN), headers.get(HOST)) else {
        return false;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
        return false;
    };
    url::Url::parse(origin).is_ok_and(|origin| {
        let authority = match (origin.host_str(), origin.port()) {
            (Some(h), Some(port)) => format!("{h}:{port}"),
            (Some(h), None) => h.to_owned(),
            _ => return false,
        };
        authority.eq_ignore_ascii_case(host.trim())
    })
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        })
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Where a form post returns to when it names no safe page: the privacy
/// policy if the site has one, else its list of policies.
fn fallback_page(mount: &Mount, site: &Site) -> String {
    let base = &mount.base;
    if site.policies.contains_key("privacy") {
        format!("{base}/privacy")
    } else {
        format!("{base}/")
    }
}

/// `return_to` only if it is a path on this site: resolved the way a browser
/// resolves a `Location`, it must stay on the same origin. Schemes,
/// `//host`, `/\host`, control characters and their encoded forms are refused.
pub fn safe_return_to(raw: &str) -> Option<String> {
    if raw.len() > MAX_RETURN_TO
        || !raw.starts_with('/')
        || raw.starts_with("//")
        || raw.contains('\\')
        || raw.chars().any(char::is_control)
    {
        return None;
    }
    let origin = url::Url::parse("http://privacy-pages.invalid/").ok()?;
    let resolved = origin.join(raw).ok()?;
    if resolved.origin() != origin.origin() || resolved.path().starts_with("//") {
        return None;
    }
    let decoded: String = percent_decode(resolved.path());
    if decoded.starts_with("//") || decoded.contains('\\') || decoded.chars().any(char::is_control)
    {
        return None;
    }
    let mut target = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        target.push('?');
        target.push_str(query);
    }
    Some(target)
}

/// Whether `target` (a path from [`safe_return_to`]) is one of the
/// service's own pages: at or below `base`, where it is mounted.
fn under_mount(target: &str, base: &str) -> bool {
    base.is_empty()
        || target
            .strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
}

fn percent_decode(path: &str) -> String {
    form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// `return_to` plus `optout=<id>` (or `optin=`), which the page reads to
/// confirm the change. Any earlier confirmation is dropped.
fn with_confirmation(return_to: &str, action: Action, service: &Service) -> String {
    let (path, query) = return_to.split_once('?').unwrap_or((return_to, ""));
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != "optout" && key != "optin" {
            serializer.append_pair(&key, &value);
        }
    }
    serializer.append_pair(action.confirmation_param(), service.id.as_str());
    format!("{path}?{}", serializer.finish())
}

/// The date this service's GPC support last changed, per the GPC spec's
/// well-known resource.
const GPC_LAST_UPDATE: &str = "2026-11-22";

/// `GET /.well-known/gpc.json`: this site honours Global Privacy Control.
pub async fn gpc_json() -> Response {
    let mut response =
        Json(serde_json::json!({ "gpc": true, "lastUpdate": GPC_LAST_UPDATE })).into_response();
    response.headers_mut().insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_accepts_paths_on_this_site() {
        for (raw, expected) in [
            ("/privacy", "/privacy"),
            ("/privacy?lang=de", "/privacy?lang=de"),
            (
                "/privacy/2018-05-22?lang=de#x",
                "/privacy/2018-05-22?lang=de",
            ),
            ("/legal/privacy", "/legal/privacy"),
            ("/a/../privacy", "/privacy"),
            ("/", "/"),
        ] {
            assert_eq!(safe_return_to(raw).as_deref(), Some(expected), "{raw}");
        }
    }

    #[test]
    fn return_to_stays_under_the_mount() {
        for (target, base, expected) in [
            ("/privacy", "", true),
            ("/admin/x", "", true),
            ("/legal/privacy", "/legal", true),
            ("/legal", "/legal", true),
            ("/legal?lang=de", "/legal", true),
            ("/admin/x", "/legal", false),
            ("/legalese/x", "/legal", false),
            ("/", "/legal", false),
            ("/proxy/legal/privacy", "/proxy/legal", true),
            ("/legal/privacy", "/proxy/legal", false),
        ] {
            assert_eq!(
                under_mount(target, base),
                expected,
                "{target} under {base:?}"
            );
        }
    }

    #[test]
    fn return_to_refuses_everything_off_site() {
        let payloads = [
            "//evil.example/",
            "//evil.example",
            "///evil.example/",
            "////evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\\/evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "/%5c%5cevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nLocation: https://evil.example",
            "/.//evil.example",
            "/./%2F/evil.example",
            " //evil.example",
            "",
            "?x=1",
            "#frag",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:x=1",
        ];
        assert!(payloads.len() > 20);
        for raw in payloads {
            assert_eq!(safe_return_to(raw), None, "{raw:?}");
        }
        assert_eq!(
            safe_return_to(&format!("/{}", "a".repeat(MAX_RETURN_TO))),
            None
        );
    }

    #[test]
    fn origin_checks() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        for (pairs, expected) in [
            (&[("sec-fetch-site", "same-origin")][..], true),
            (&[("sec-fetch-site", "same-site")][..], false),
            (&[("sec-fetch-site", "cross-site")][..], false),
            (&[("sec-fetch-site", "none")][..], false),
            (
                &[
                    ("origin", "http://octoprint.org"),
                    ("host", "octoprint.org"),
                ][..],
                true,
            ),
            (
                &[
                    ("origin", "http://127.0.0.1:8080"),
                    ("host", "127.0.0.1:8080"),
                ][..],
                true,
            ),
            (
                &[("origin", "http://evil.example"), ("host", "octoprint.org")][..],
                false,
            ),
            (&[("origin", "null"), ("host", "octoprint.org")][..], false),
            (
                &[
                    ("origin", "http://octoprint.org.evil.example"),
                    ("host", "octoprint.org"),
                ][..],
                false,
            ),
            (&[("host", "octoprint.org")][..], false),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "http://octoprint.org"),
                    ("host", "octoprint.org"),
                ][..],
                false,
            ),
        ] {
            assert_eq!(from_the_site_itself(&headers(pairs)), expected, "{pairs:?}");
        }
    }
}
