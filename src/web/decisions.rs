//! `POST /optout/{service}`, `POST /optin/{service}`, `POST /consent`
//! (the banner's "Accept all" and "Reject all") and
//! `GET /.well-known/gpc.json`.
//!
//! The endpoints work without JavaScript (a form post, then `303 See Other`
//! back to the page, which confirms the change) and with it (`Accept:
//! application/json` gets the new state as JSON). Opting out is accepted from
//! anywhere: a forged opt-out only protects the visitor. Opting in re-enables
//! tracking, so it is only accepted from the site's own pages.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::{Extension, Json};

use axum::http::header::{ACCEPT, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cookie::Cookie;
use serde::Serialize;

use super::error::AppError;
use super::extract::{Action, PathParams};
use crate::consent::return_to::{safe_return_to, with_confirmation, with_param};
use crate::consent::{ConsentLog, Record, standing_record};
use crate::content::{Basis, Site};
use crate::request::visit::Visit;

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
    visit: Visit,
    PathParams(service): PathParams<String>,
    log: Option<Extension<ConsentLog>>,
    request: ChangeRequest,
) -> Result<Response, AppError> {
    change(Action::OptOut, &visit, &service, log, &request)
}

/// `POST /optin/{service}`: clears it again, for requests from the site itself.
pub async fn opt_in(
    visit: Visit,
    PathParams(service): PathParams<String>,
    log: Option<Extension<ConsentLog>>,
    request: ChangeRequest,
) -> Result<Response, AppError> {
    change(Action::OptIn, &visit, &service, log, &request)
}

/// What a change reads from its request beyond the [`Visit`]: the headers
/// (origin, `Accept`) and the form. The body is read by [`crate::layers::limits`]
/// before this runs.
pub struct ChangeRequest {
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for ChangeRequest {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let headers = request.headers().clone();
        // `Bytes` applies the route's `DefaultBodyLimit`.
        let body =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
                    _ => AppError::BadRequest,
                })?;
        Ok(ChangeRequest { headers, body })
    }
}

fn change(
    action: Action,
    visit: &Visit,
    service: &str,
    log: Option<Extension<ConsentLog>>,
    request: &ChangeRequest,
) -> Result<Response, AppError> {
    let ChangeRequest { headers, body } = request;
    let site = &visit.site;
    let service = service
        .parse()
        .ok()
        .and_then(|id| site.services.get(&id))
        .ok_or_else(|| AppError::not_found(visit))?;
    if action == Action::OptIn && !from_the_site_itself(headers) {
        return Err(AppError::forbidden(visit));
    }
    // `Secure` only when a trusted proxy says the visitor came over HTTPS:
    // the service speaks plain HTTP itself.
    let scope = visit.cookie_scope();
    let mut cookies = match action {
        Action::OptOut => vec![scope.opt_out(service)],
        Action::OptIn => scope.clear_all(service),
    };
    // An opt-in service's yes or no is also the consent record's, which
    // keeps the visitor's other decisions.
    if service.consent == Basis::OptIn {
        let mut decisions = standing_record(headers, site)
            .map(|record| record.decisions)
            .unwrap_or_default();
        decisions.insert(service.id.clone(), action == Action::OptIn);
        let record = Record::new(site, decisions);
        let answer = match action {
            Action::OptIn => "allow",
            Action::OptOut => "refuse",
        };
        log.unwrap_or_default().0.decision(site, &record, answer);
        cookies.push(scope.record(&record, site.consent_days));
    }
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
            .filter(|target| visit.may_return_to(target))
            .unwrap_or_else(|| fallback_page(&visit.base, site));
        let location = with_confirmation(&return_to, action.confirmation_param(), &service.id);
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, value);
        }
        response
    };
    set_cookies(&mut response, &cookies);
    tracing::info!(service = %service.id, action = ?action, "consent changed");
    Ok(response)
}

fn set_cookies(response: &mut Response, cookies: &[Cookie<'_>]) {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
}

/// `POST /consent` with `choice=accept` or `choice=reject`: the banner's
/// answer for every service at once. It writes the consent record for the
/// opt-in services and keeps the per-service cookies in step (rejecting
/// sets `ga-disable-<ID>=true` for loaders that only know that cookie;
/// accepting clears them). Accepting turns tracking on, so like opting in
/// it is only taken from the site's own pages; rejecting from anywhere.
/// `303` back to the page with `consent=accepted` or `consent=rejected`,
/// which the page confirms only if the browser sends the record back.
pub async fn decide(
    visit: Visit,
    log: Option<Extension<ConsentLog>>,
    request: ChangeRequest,
) -> Result<Response, AppError> {
    let ChangeRequest { headers, body } = &request;
    let site = &visit.site;
    let accept = match form_value(body, "choice").as_deref() {
        Some("accept") => true,
        Some("reject") => false,
        _ => return Err(AppError::BadRequest),
    };
    if accept && !from_the_site_itself(headers) {
        return Err(AppError::forbidden(&visit));
    }
    let scope = visit.cookie_scope();
    // What the banner named, no more: a player is allowed on its own placeholder.
    let mut decisions = standing_record(headers, site)
        .map(|record| record.decisions)
        .unwrap_or_default();
    for service in site.services.values().filter(|s| site.asks_for(s)) {
        decisions.insert(service.id.clone(), accept);
    }
    let record = Record::new(site, decisions);
    let answer = if accept { "accept-all" } else { "reject-all" };
    log.unwrap_or_default().0.decision(site, &record, answer);
    let mut cookies = vec![scope.record(&record, site.consent_days)];
    for service in site.services.values().filter(|s| !s.kind.is_player()) {
        if accept {
            cookies.extend(scope.clear_all(service));
        } else {
            cookies.push(scope.opt_out(service));
        }
    }
    let return_to = form_value(body, "return_to")
        .and_then(|raw| safe_return_to(&raw))
        .filter(|target| visit.may_return_to(target))
        .unwrap_or_else(|| fallback_page(&visit.base, site));
    let decision = if accept { "accepted" } else { "rejected" };
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&with_param(&return_to, "consent", decision)) {
        response.headers_mut().insert(LOCATION, value);
    }
    set_cookies(&mut response, &cookies);
    tracing::info!(decision, "consent changed");
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
fn fallback_page(base: &str, site: &Site) -> String {
    if site.policies.contains_key("privacy") {
        format!("{base}/privacy")
    } else {
        format!("{base}/")
    }
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
