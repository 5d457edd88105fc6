//! Security headers on every kind of response, checked against the rules
//! the Mozilla (MDN) HTTP Observatory grades by, and a CSP that follows the
//! visitor's choices.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use privacy_pages::assets::path as asset;
use privacy_pages::content::{self, Source};
use privacy_pages::layers::security::SecurityHeaders;
use privacy_pages::{AppState, app};

use crate::support::{Reply, get, send, send_to};

const OCTOPRINT: (&str, &str) = ("host", "octoprint.org");

/// The directives of a `Content-Security-Policy`, by name.
fn directives(csp: &str) -> Vec<(String, Vec<String>)> {
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_ascii_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

fn directive(csp: &str, name: &str) -> Option<Vec<String>> {
    directives(csp)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, sources)| sources)
}

/// The Observatory's header tests (developer.mozilla.org/en-US/observatory/docs/tests_and_scoring),
/// as pass/fail: each failure is a deduction there.
fn observatory_failures(reply: &Reply, https: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let mut fail = |what: &str| failures.push(what.to_owned());
    // content-security-policy: implemented, no unsafe-inline/eval, no
    // overly broad sources in script-src, object-src restricted.
    match reply.header("content-security-policy") {
        None => fail("CSP not implemented"),
        Some(csp) => {
            let script = directive(csp, "script-src")
                .or_else(|| directive(csp, "default-src"))
                .unwrap_or_default();
            if script.is_empty() {
                fail("CSP: no script-src or default-src");
            }
            for source in &script {
                let broad = matches!(
                    source.as_str(),
                    "*" | "http:" | "https:" | "data:" | "'unsafe-inline'" | "'unsafe-eval'"
                );
                if broad {
                    fail(&format!("CSP: script-src allows {source}"));
                }
            }
            let style = directive(csp, "style-src").unwrap_or_default();
            if style.iter().any(|s| s == "'unsafe-inline'") {
                fail("CSP: style-src allows 'unsafe-inline'");
            }
            let object = directive(csp, "object-src")
                .or_else(|| directive(csp, "default-src"))
                .unwrap_or_default();
            if object != ["'none'"] {
                fail("CSP: object-src not 'none'");
            }
            // Bonus rules, required here.
            if directive(csp, "frame-ancestors").is_none() {
                fail("CSP: no frame-ancestors");
            }
            if directive(csp, "base-uri").is_none_or(|b| b != ["'none'"]) {
                fail("CSP: base-uri not 'none'");
            }
            if directive(csp, "form-action").is_none_or(|f| f != ["'self'"]) {
                fail("CSP: form-action not 'self'");
            }
            if directive(csp, "default-src").is_none_or(|d| d != ["'self'"]) {
                fail("CSP: default-src not 'self'");
            }
        }
    }
    // x-content-type-options
    if reply.header("x-content-type-options") != Some("nosniff") {
        fail("X-Content-Type-Options not nosniff");
    }
    // x-frame-options (or CSP frame-ancestors, checked above)
    if !matches!(reply.header("x-frame-options"), Some("DENY" | "SAMEORIGIN")) {
        fail("X-Frame-Options not DENY/SAMEORIGIN");
    }
    // referrer-policy: one of the private values
    let private = [
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ];
    if !reply
        .header("referrer-policy")
        .is_some_and(|r| private.contains(&r))
    {
        fail("Referrer-Policy not private");
    }
    // cross-origin-opener-policy
    if reply.header("cross-origin-opener-policy") != Some("same-origin") {
        fail("Cross-Origin-Opener-Policy not same-origin");
    }
    // strict-transport-security: at least six months, over HTTPS
    if https {
        let max_age = reply
            .header("strict-transport-security")
            .and_then(|h| h.strip_prefix("max-age="))
            .and_then(|v| v.split(';').next()?.trim().parse::<u64>().ok());
        if max_age.is_none_or(|age| age < 15_768_000) {
            fail("HSTS missing or under six months");
        }
    } else if reply.header("strict-transport-security").is_some() {
        fail("HSTS over plain HTTP");
    }
    // cookies: Secure over HTTPS, SameSite always
    for cookie in reply.headers.get_all("set-cookie") {
        let cookie = cookie.to_str().unwrap_or_default();
        if !cookie.contains("SameSite=") {
            fail(&format!("cookie without SameSite: {cookie}"));
        }
        if https && !cookie.contains("Secure") {
            fail(&format!("cookie without Secure over HTTPS: {cookie}"));
        }
    }
    if reply.header("permissions-policy").is_none() {
        fail("no Permissions-Policy");
    }
    failures
}

fn optout_request(peer: Option<&str>, https: bool) -> Request<Body> {
    let mut request = Request::post("/optout/carbon")
        .header("host", "octoprint.org")
        .header("content-type", "application/x-www-form-urlencoded");
    if https {
        request = request.header("x-forwarded-proto", "https");
    }
    let mut request = request
        .body(Body::from("return_to=%2Fprivacy"))
        .expect("request");
    if let Some(peer) = peer {
        let peer: SocketAddr = peer.parse().expect("address");
        request.extensions_mut().insert(ConnectInfo(peer));
    }
    request
}

#[tokio::test]
async fn every_kind_of_response_passes_the_observatory_rules() {
    let replies = [
        ("page", get("/privacy", &[OCTOPRINT]).await),
        (
            "archived page",
            get("/privacy/2018-05-22", &[OCTOPRINT]).await,
        ),
        ("versions", get("/privacy/versions", &[OCTOPRINT]).await),
        ("index", get("/", &[OCTOPRINT]).await),
        ("404", get("/nope", &[OCTOPRINT]).await),
        ("stylesheet", get(asset("style.css"), &[]).await),
        ("script", get(asset("consent.js"), &[]).await),
        ("favicon", get(asset("favicon.svg"), &[]).await),
        ("gpc.json", get("/.well-known/gpc.json", &[]).await),
        ("healthz", get("/healthz", &[]).await),
        ("opt-out", send(optout_request(None, false)).await),
        ("405", {
            send(
                Request::delete("/privacy")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
        }),
    ];
    for (what, reply) in &replies {
        let failures = observatory_failures(reply, false);
        assert!(
            failures.is_empty(),
            "{what} ({}): {failures:?}",
            reply.status
        );
    }
}

#[tokio::test]
async fn the_csp_admits_only_the_services_this_visitor_allows() {
    let script_src = |reply: &Reply| {
        directive(
            reply.header("content-security-policy").expect("CSP"),
            "script-src",
        )
        .expect("script-src")
    };
    let fresh = get("/privacy", &[OCTOPRINT]).await;
    let allowed = script_src(&fresh);
    assert!(
        allowed.contains(&"https://cdn.carbonads.com".to_owned()),
        "{allowed:?}"
    );
    assert!(
        allowed.contains(&"https://plausible.octoprint.org".to_owned()),
        "{allowed:?}"
    );
    assert!(
        !allowed.iter().any(|o| o.contains("google")),
        "GA is inactive on octoprint.org: {allowed:?}"
    );

    let opted_out = get("/privacy", &[OCTOPRINT, ("cookie", "carbon-disable=true")]).await;
    let allowed = script_src(&opted_out);
    assert!(
        !allowed
            .iter()
            .any(|o| o.contains("carbon") || o.contains("buysellads")),
        "{allowed:?}"
    );
    assert!(allowed.contains(&"https://plausible.octoprint.org".to_owned()));

    let gpc = get("/privacy", &[OCTOPRINT, ("sec-gpc", "1")]).await;
    assert_eq!(script_src(&gpc), ["'self'"]);
    assert_eq!(
        directive(
            gpc.header("content-security-policy").expect("CSP"),
            "frame-src"
        ),
        Some(vec![
            "https://www.youtube-nocookie.com".to_owned(),
            "https://player.vimeo.com".to_owned()
        ]),
        "no service's frames; only the players of two-click embeds, which load on a click"
    );
}

#[tokio::test]
async fn hsts_only_when_enabled_and_over_https_from_a_trusted_proxy() {
    let library = content::load(&Source::Embedded).expect("content");
    let hsts = SecurityHeaders::new("'none'", 31_536_000).expect("valid");
    let secured = || app(AppState::new(library.clone()).with_security(hsts.clone()));

    let https = send_to(secured(), optout_request(Some("127.0.0.1:4000"), true)).await;
    assert_eq!(
        https.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert_eq!(https.header("x-frame-options"), Some("DENY"));
    let failures = observatory_failures(&https, true);
    assert!(failures.is_empty(), "{failures:?}");

    let claimed = send_to(secured(), optout_request(Some("198.51.100.7:4000"), true)).await;
    assert_eq!(
        claimed.header("strict-transport-security"),
        None,
        "untrusted claim"
    );
    let plain = send_to(secured(), optout_request(Some("127.0.0.1:4000"), false)).await;
    assert_eq!(plain.header("strict-transport-security"), None);
    let default = send(optout_request(Some("127.0.0.1:4000"), true)).await;
    assert_eq!(
        default.header("strict-transport-security"),
        None,
        "off by default"
    );
}

#[tokio::test]
async fn frame_ancestors_are_configurable() {
    let library = content::load(&Source::Embedded).expect("content");
    let security = SecurityHeaders::new("'self' https://octoprint.org", 0).expect("valid");
    let app = app(AppState::new(library).with_security(security));
    let page = send_to(
        app,
        Request::get("/privacy")
            .header("host", "octoprint.org")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let csp = page.header("content-security-policy").expect("CSP");
    assert_eq!(
        directive(csp, "frame-ancestors"),
        Some(vec![
            "'self'".to_owned(),
            "https://octoprint.org".to_owned()
        ])
    );
    assert_eq!(
        page.header("x-frame-options"),
        None,
        "cannot say it; CSP does"
    );
}
