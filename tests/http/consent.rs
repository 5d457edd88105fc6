//! Opt-out and opt-in as a visitor uses them, through the router: forms,
//! cookies, redirects, JSON, GPC, and the scripts that do or do not arrive.

use axum::body::Body;
use axum::http::Request;
use privacy_pages::assets::path as asset;

use crate::support::{Reply, app, get, send, send_to};

const OCTOPRINT: (&str, &str) = ("host", "octoprint.org");
const CARBON_SCRIPT: &str = "<script src=\"https://cdn.carbonads.com/carbon.js?serve=CPLACEHOLDER&#38;placement=octoprintorg\" async id=\"_carbonads_js\"></script>";
const PLAUSIBLE_SCRIPT: &str = "<script src=\"https://plausible.octoprint.org/js/script.js\" defer data-domain=\"octoprint.org\"></script>";

fn post(path: &str, body: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post(path)
        .header("host", "octoprint.org")
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::from(body.to_owned())).expect("request")
}

/// The `name=value` part of the response's Set-Cookie.
fn cookie_pair(reply: &Reply) -> String {
    let set_cookie = reply.header("set-cookie").expect("Set-Cookie");
    set_cookie.split(';').next().expect("pair").to_owned()
}

#[tokio::test]
async fn carbon_opt_out_round_trip_without_javascript() {
    // A fresh visitor gets Carbon Ads (active on octoprint.org).
    let fresh = get("/privacy", &[OCTOPRINT]).await;
    assert!(fresh.body.contains(CARBON_SCRIPT));
    assert!(fresh.body.contains(PLAUSIBLE_SCRIPT));
    assert!(fresh.header("vary").is_some());

    // The form post sets the cookie and sends the visitor back with a confirmation.
    let opted_out = send(post("/optout/carbon", "return_to=%2Fprivacy", &[])).await;
    assert_eq!(opted_out.status, 303);
    assert_eq!(opted_out.header("location"), Some("/privacy?optout=carbon"));
    assert_eq!(
        opted_out.header("set-cookie"),
        Some("carbon-disable=true; SameSite=Lax; Path=/; Domain=octoprint.org; Max-Age=34560000")
    );
    let cookie = cookie_pair(&opted_out);
    assert_eq!(cookie, "carbon-disable=true");

    // Back on the page: no Carbon, the control says so, the choice is confirmed.
    let page = get(
        "/privacy?optout=carbon",
        &[OCTOPRINT, ("cookie", cookie.as_str())],
    )
    .await;
    assert!(
        !page.body.contains("carbon.js"),
        "no Carbon script after opt-out"
    );
    assert!(
        page.body.contains(PLAUSIBLE_SCRIPT),
        "other services unaffected"
    );
    assert!(page.body.contains("<p class=\"notice notice-saved\" role=\"status\">Saved: Carbon Ads is now disabled for this browser.</p>"));
    assert!(page.body.contains("<span class=\"consent-on\" hidden><button type=\"submit\" form=\"optout-carbon\">Disable Carbon Ads</button></span><span class=\"consent-off\"><span class=\"consent-status\">Carbon Ads is disabled for this browser.</span> <button type=\"submit\" form=\"optin-carbon\">Enable again</button></span>"));
    // The opt-out is refreshed for another 400 days.
    assert_eq!(
        page.header("set-cookie"),
        Some("carbon-disable=true; SameSite=Lax; Path=/; Domain=octoprint.org; Max-Age=34560000")
    );
    // And stays off on every other page of the site.
    for path in ["/", "/privacy/versions", "/privacy/2018-05-22", "/nope"] {
        let other = get(path, &[OCTOPRINT, ("cookie", cookie.as_str())]).await;
        assert!(!other.body.contains("carbon.js"), "{path}");
    }

    // "Enable again", from the page itself, clears the cookie.
    let opted_in = send(post(
        "/optin/carbon",
        "return_to=%2Fprivacy%3Foptout%3Dcarbon",
        &[
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
    ))
    .await;
    assert_eq!(opted_in.status, 303);
    assert_eq!(opted_in.header("location"), Some("/privacy?optin=carbon"));
    assert_eq!(
        opted_in.header("set-cookie"),
        Some(
            "carbon-disable=; SameSite=Lax; Path=/; Domain=octoprint.org; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        )
    );
    let back = get("/privacy?optin=carbon", &[OCTOPRINT]).await;
    assert!(back.body.contains(CARBON_SCRIPT));
    assert!(
        back.body
            .contains("Saved: Carbon Ads is enabled again for this browser.")
    );
}

#[tokio::test]
async fn the_2018_ga_form_sets_googles_opt_out_cookie() {
    let page = get("/privacy/2018-05-22?lang=de", &[OCTOPRINT]).await;
    assert!(page.body.contains("<form id=\"optout-ga\" method=\"post\" action=\"/optout/ga\" data-consent-service=\"ga\" data-consent-action=\"optout\" data-saved=\"Gespeichert: Google Analytics ist für diesen Browser jetzt deaktiviert.\" data-unsaved=\"Nicht gespeichert: Dieser Browser hat die Einstellung nicht behalten, Google Analytics ist daher nicht deaktiviert. Möglicherweise sind Cookies für diese Website blockiert, oder diese Adresse liegt außerhalb der Cookie-Domain der Website. Erlauben Sie Cookies für diese Website und versuchen Sie es erneut, oder blockieren Sie Google Analytics in den Einstellungen Ihres Browsers.\" hidden><input type=\"hidden\" name=\"return_to\" value=\"/privacy/2018-05-22?lang=de\"></form>"));
    let reply = send(post(
        "/optout/ga",
        "return_to=%2Fprivacy%2F2018-05-22%3Flang%3Dde",
        &[],
    ))
    .await;
    assert_eq!(reply.status, 303);
    assert_eq!(
        reply.header("location"),
        Some("/privacy/2018-05-22?lang=de&optout=ga")
    );
    assert_eq!(cookie_pair(&reply), "ga-disable-G-PLACEHOLDER=true");
    let after = get(
        "/privacy/2018-05-22?lang=de&optout=ga",
        &[OCTOPRINT, ("cookie", "ga-disable-G-PLACEHOLDER=true")],
    )
    .await;
    assert!(
        after
            .body
            .contains("Gespeichert: Google Analytics ist für diesen Browser jetzt deaktiviert.")
    );
    assert!(after.body.contains("<span class=\"consent-status\">Google Analytics ist für diesen Browser deaktiviert.</span> <button type=\"submit\" form=\"optin-ga\">Wieder aktivieren</button>"));
}

#[tokio::test]
async fn json_clients_get_the_new_state() {
    let reply = send(post(
        "/optout/carbon",
        "",
        &[("accept", "application/json")],
    ))
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.body,
        r#"{"service":"carbon","opted_out":true,"cookies":[{"name":"carbon-disable","value":"true","domain":"octoprint.org","path":"/","max_age":34560000,"secure":false,"http_only":false,"same_site":"Lax"}]}"#
    );
    assert_eq!(cookie_pair(&reply), "carbon-disable=true");
    let reply = send(post(
        "/optin/carbon",
        "",
        &[
            ("accept", "text/html, application/json;q=0.9"),
            ("sec-fetch-site", "same-origin"),
        ],
    ))
    .await;
    assert_eq!(
        reply.body,
        r#"{"service":"carbon","opted_out":false,"cookies":[{"name":"carbon-disable","value":"","domain":"octoprint.org","path":"/","max_age":0,"secure":false,"http_only":false,"same_site":"Lax"},{"name":"carbon-disable","value":"","domain":null,"path":"/","max_age":0,"secure":false,"http_only":false,"same_site":"Lax"}]}"#
    );
    // Outside the cookie domain, the JSON says the cookie is host-only.
    let request = Request::post("/optout/carbon")
        .header("host", "127.0.0.1:8080")
        .header("accept", "application/json")
        .body(Body::empty())
        .expect("request");
    let reply = send(request).await;
    assert!(reply.body.contains(r#""domain":null"#), "{}", reply.body);
}

#[tokio::test]
async fn global_privacy_control_blocks_every_third_party_script() {
    for path in [
        "/",
        "/privacy",
        "/privacy/2018-05-22",
        "/privacy/versions",
        "/nope",
    ] {
        let reply = get(path, &[OCTOPRINT, ("sec-gpc", "1")]).await;
        let scripts: Vec<&str> = reply
            .body
            .match_indices("<script")
            .map(|(i, _)| &reply.body[i..])
            .collect();
        assert_eq!(scripts.len(), 1, "{path}: only consent.js");
        assert!(
            scripts[0].starts_with(&format!("<script src=\"{}\"", asset("consent.js"))),
            "{path}"
        );
    }
    let page = get("/privacy", &[OCTOPRINT, ("sec-gpc", "1")]).await;
    assert!(page.body.contains("<span class=\"consent-status\">Carbon Ads is disabled: your browser sends the Global Privacy Control signal.</span></span>"));
    // Only exactly "1" is the signal.
    let not_gpc = get("/privacy", &[OCTOPRINT, ("sec-gpc", "true")]).await;
    assert!(not_gpc.body.contains(CARBON_SCRIPT));
}

#[tokio::test]
async fn open_redirect_payloads_stay_on_the_site() {
    let payloads = [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "///evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "data:text/html,x",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/.//evil.example",
        " //evil.example",
        "evil.example",
        "//evil.example@octoprint.org",
        "/%0d%0aLocation:%20https://evil.example",
        "https:/evil.example",
        "\\/\\/evil.example",
        "/%09/evil.example",
        "//127.0.0.1",
    ];
    for payload in payloads {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", payload)
            .finish();
        let reply = send(post("/optout/carbon", &body, &[])).await;
        assert_eq!(reply.status, 303, "{payload:?}");
        let location = reply.header("location").expect("Location");
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{payload:?} → {location}"
        );
        assert!(
            !location.contains('\\') && !location.contains("evil"),
            "{payload:?} → {location}"
        );
    }
    let fallback = send(post(
        "/optout/carbon",
        "return_to=%2F%2Fevil.example%2F",
        &[],
    ))
    .await;
    assert_eq!(fallback.header("location"), Some("/privacy?optout=carbon"));
}

#[tokio::test]
async fn opting_in_must_come_from_the_site() {
    for headers in [
        &[][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")][..],
    ] {
        let reply = send(post("/optin/carbon", "return_to=%2Fprivacy", headers)).await;
        assert_eq!(reply.status, 403, "{headers:?}");
        assert!(reply.header("set-cookie").is_none(), "{headers:?}");
        assert!(reply.body.contains("<h1>Request not accepted</h1>"));
    }
    let same_origin = send(post(
        "/optin/carbon",
        "",
        &[("origin", "http://octoprint.org")],
    ))
    .await;
    assert_eq!(same_origin.status, 303);
    // Opting out is accepted from anywhere: it only ever protects the visitor.
    let cross = send(post(
        "/optout/carbon",
        "",
        &[("sec-fetch-site", "cross-site")],
    ))
    .await;
    assert_eq!(cross.status, 303);
}

#[tokio::test]
async fn bad_requests_get_the_right_status() {
    let unknown = send(post("/optout/facebook", "", &[])).await;
    assert_eq!(unknown.status, 404);
    let invalid = send(post("/optout/..%2F..", "", &[])).await;
    assert_eq!(invalid.status, 404);
    let not_on_this_site = send(
        Request::post("/optout/carbon")
            .header("host", "foosel.net")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(not_on_this_site.status, 404);

    let get_reply = get("/optout/carbon", &[OCTOPRINT]).await;
    assert_eq!(get_reply.status, 405);
    assert_eq!(get_reply.header("allow"), Some("POST"));

    let huge = format!("return_to=/{}", "a".repeat(5000));
    let too_large = send(post("/optout/carbon", &huge, &[])).await;
    assert_eq!(too_large.status, 413);
    // The router an operator nests has no limits layer: the form's own limit
    // answers, the same way.
    let nested = privacy_pages::router(privacy_pages::AppState::new(crate::support::bundled()));
    let too_large = send_to(nested, post("/optout/carbon", &huge, &[])).await;
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.header("cache-control"), Some("no-store"));
    assert_eq!(
        too_large.body,
        "The request is larger than this service accepts.\n"
    );
}

#[tokio::test]
async fn gpc_well_known_resource() {
    let reply = get("/.well-known/gpc.json", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(json["gpc"], true);
    let date = json["lastUpdate"].as_str().expect("date");
    assert!(
        time::Date::parse(
            date,
            time::macros::format_description!("[year]-[month]-[day]")
        )
        .is_ok()
    );
}

#[tokio::test]
async fn consent_js_is_small_and_served_as_javascript() {
    let reply = get("/static/consent.js", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // Opt-out controls and two-click embeds, in under 3 KiB.
    assert!(reply.body.len() <= 3072, "{} bytes", reply.body.len());
    for needle in [
        "Optout",
        "application/json",
        "consent-control",
        "document.cookie",
    ] {
        assert!(reply.body.contains(needle), "{needle}");
    }
}

#[tokio::test]
async fn malformed_or_duplicate_cookies_never_lose_an_opt_out() {
    for cookie in [
        "carbon-disable=true; carbon-disable=false",
        "carbon-disable=false; carbon-disable=true",
        "=;;; garbage; carbon-disable=true",
        "x=\"unterminated; carbon-disable=true",
    ] {
        let reply = get("/privacy", &[OCTOPRINT, ("cookie", cookie)]).await;
        assert_eq!(reply.status, 200, "{cookie}");
        assert!(!reply.body.contains("carbon.js"), "{cookie}");
    }
    let oversized = format!("pad={}; carbon-disable=true", "x".repeat(9000));
    let reply = get("/privacy", &[OCTOPRINT, ("cookie", oversized.as_str())]).await;
    assert_eq!(reply.status, 200);
    assert!(
        !reply.body.contains("carbon.js"),
        "an unreadable header fails closed"
    );
}

/// Every `Set-Cookie` of a reply.
fn set_cookies(reply: &Reply) -> Vec<&str> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// A browser drops a cookie whose `Domain` does not cover the host it came
/// from: octoprint.org's cookie domain goes only to hosts inside it, on the
/// opt-out, on the refresh every page does, and on the way back in.
#[tokio::test]
async fn the_cookie_domain_goes_only_to_hosts_inside_it() {
    let shared = app();
    for (host, inside) in [
        ("octoprint.org", true),
        ("www.octoprint.org", true),
        ("OctoPrint.org:8080", true),
        ("127.0.0.1", false),
        ("127.0.0.1:8080", false),
        ("[::1]:8080", false),
        ("localhost", false),
        ("evil-octoprint.org", false),
        ("octoprint.org.evil.example", false),
    ] {
        let domain = if inside { "; Domain=octoprint.org" } else { "" };
        let request = Request::post("/optout/carbon")
            .header("host", host)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("return_to=%2Fprivacy"))
            .expect("request");
        let reply = send(request).await;
        assert_eq!(reply.status, 303, "{host}");
        assert_eq!(
            set_cookies(&reply),
            [format!(
                "carbon-disable=true; SameSite=Lax; Path=/{domain}; Max-Age=34560000"
            )],
            "{host}"
        );
        // The refresh on a page, through one app's response cache: a page
        // kept for one host must not hand its Domain to another.
        let request = Request::get("/privacy")
            .header("host", host)
            .header("cookie", "carbon-disable=true")
            .body(Body::empty())
            .expect("request");
        let page = send_to(shared.clone(), request).await;
        assert_eq!(
            set_cookies(&page),
            [format!(
                "carbon-disable=true; SameSite=Lax; Path=/{domain}; Max-Age=34560000"
            )],
            "refresh on {host}"
        );
        let request = Request::post("/optin/carbon")
            .header("host", host)
            .header("sec-fetch-site", "same-origin")
            .header("accept", "application/json")
            .body(Body::empty())
            .expect("request");
        let reply = send(request).await;
        let clears = set_cookies(&reply);
        assert_eq!(
            clears.len(),
            if inside { 2 } else { 1 },
            "{host}: {clears:?}"
        );
        assert!(clears.iter().all(|c| c.contains("Max-Age=0")), "{clears:?}");
        assert!(
            clears.iter().any(|c| !c.contains("Domain=")),
            "a host-only clear: {clears:?}"
        );
    }
}

/// `?optout=carbon` is what the 303 adds, but anyone can put it in a link:
/// the page says "Saved" only when the request carries the opt-out.
#[tokio::test]
async fn a_confirmation_is_only_what_the_browser_sent_back() {
    const SAVED: &str = "<p class=\"notice notice-saved\" role=\"status\">Saved: Carbon Ads is now disabled for this browser.</p>";
    const NOT_SAVED: &str = "<p class=\"notice notice-unsaved\" role=\"alert\">Not saved: this browser did not keep the setting, so Carbon Ads is not disabled. Cookies may be blocked for this site, or this address is outside the site’s cookie domain. Allow cookies for this site and try again, or block Carbon Ads in your browser’s settings.</p>";
    let without = get("/privacy?optout=carbon", &[OCTOPRINT]).await;
    assert!(!without.body.contains(SAVED));
    assert!(!without.body.contains("<p class=\"notice notice-saved\""));
    assert!(without.body.contains(NOT_SAVED), "{}", without.body);
    assert!(
        without.body.contains(CARBON_SCRIPT),
        "and Carbon still loads"
    );

    let with = get(
        "/privacy?optout=carbon",
        &[OCTOPRINT, ("cookie", "carbon-disable=true")],
    )
    .await;
    assert!(with.body.contains(SAVED));
    assert!(!with.body.contains("notice-unsaved"));

    // In the visitor's language.
    let german = get("/privacy/2018-05-22?lang=de&optout=ga", &[OCTOPRINT]).await;
    assert!(german.body.contains("Nicht gespeichert: Dieser Browser hat die Einstellung nicht behalten, Google Analytics ist daher nicht deaktiviert."));
    assert!(!german.body.contains("<p class=\"notice notice-saved\""));

    // The way back in: "enabled again" only if the opt-out is gone.
    let still = get(
        "/privacy?optin=carbon",
        &[OCTOPRINT, ("cookie", "carbon-disable=true")],
    )
    .await;
    assert!(still.body.contains(
        "Not changed: this browser still holds the opt-out, so Carbon Ads stays disabled."
    ));
    assert!(!still.body.contains("<p class=\"notice notice-saved\""));
    // With GPC the service stays off, and the page says why.
    let gpc = get("/privacy?optin=carbon", &[OCTOPRINT, ("sec-gpc", "1")]).await;
    assert!(
        gpc.body.contains(
            "Carbon Ads is disabled: your browser sends the Global Privacy Control signal."
        )
    );
    assert!(!gpc.body.contains("enabled again for this browser.</p>"));
}

/// consent.js shows a result only after it has read `document.cookie`; the
/// page gives it both texts, in the page's language, and a place to say it.
#[tokio::test]
async fn the_page_gives_consent_js_both_answers() {
    let page = get("/privacy", &[OCTOPRINT]).await;
    assert!(
        page.body
            .contains("<p class=\"notice\" id=\"consent-result\" role=\"status\" hidden></p>")
    );
    assert!(page.body.contains("data-saved=\"Saved: Carbon Ads is now disabled for this browser.\" data-unsaved=\"Not saved: this browser did not keep the setting, so Carbon Ads is not disabled."));
    let script = get(
        &format!(
            "/static/{}",
            asset("consent.js").rsplit('/').next().expect("name")
        ),
        &[],
    )
    .await;
    assert!(script.body.contains("document.cookie"));
    assert!(script.body.contains("consent-result"));
}

/// Mounted under `/legal`, a form may only return to the service's own
/// pages: `return_to=/admin/x` falls back to the policy page.
#[tokio::test]
async fn return_to_stays_under_the_mount() {
    let mounted = privacy_pages::app(
        privacy_pages::AppState::new(crate::support::bundled()).with_base_path("/legal"),
    );
    for (return_to, expected) in [
        ("%2Fadmin%2Fx", "/legal/privacy?optout=carbon"),
        ("%2Flegalese", "/legal/privacy?optout=carbon"),
        (
            "%2Flegal%2Fprivacy%3Flang%3Dde",
            "/legal/privacy?lang=de&optout=carbon",
        ),
    ] {
        let reply = send_to(
            mounted.clone(),
            post(
                "/legal/optout/carbon",
                &format!("return_to={return_to}"),
                &[],
            ),
        )
        .await;
        assert_eq!(reply.status, 303, "{return_to}");
        assert_eq!(reply.header("location"), Some(expected), "{return_to}");
    }
}
