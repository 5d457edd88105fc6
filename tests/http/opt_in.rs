//! Opt-in consent (`consent = "opt-in"` in `site.toml`), decided by the
//! server: a service that waits for the visitor's yes is never sent
//! before it, the banner asks on every gated page, its answer is one
//! cookie, GPC answers no without asking, and a policy version with
//! `reconsent: true` asks again. The fixture is `tests/fixtures/opt_in/`:
//! the fronted shop of `tests/fixtures/front/` with Google Analytics and
//! Hotjar opt-in, Carbon and Plausible opt-out.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use privacy_pages::content::{self, Source};
use privacy_pages::{AppState, app};

use crate::support::{Reply, send_to};

fn shop() -> Router {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opt_in/content");
    app(AppState::new(
        content::load(&Source::Dir(dir)).expect("fixture loads"),
    ))
}

async fn get(path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(path).header("host", "shop.example");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send_to(shop(), request.body(Body::empty()).expect("request")).await
}

async fn post(path: &str, form: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::post(path)
        .header("host", "shop.example")
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send_to(
        shop(),
        request.body(Body::from(form.to_owned())).expect("request"),
    )
    .await
}

const SAME_ORIGIN: (&str, &str) = ("sec-fetch-site", "same-origin");
const GA: &str = "googletagmanager.com/gtag/js";
const HOTJAR: &str = "static.hotjar.com";
const CARBON: &str = "cdn.carbonads.com/carbon.js";

/// The `name=value` of each cookie a response sets, as a browser would
/// send them back.
fn cookie_header(reply: &Reply) -> String {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|value| {
            let text = value.to_str().expect("ascii");
            text.split(';').next().expect("name=value").to_owned()
        })
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

fn set_cookie(reply: &Reply, name: &str) -> String {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().expect("ascii").to_owned())
        .find(|cookie| cookie.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"))
}

/// `example.org`, not fronted, with an opt-in Google Analytics (`service`:
/// more of its settings) and a privacy policy (`front_matter`: more keys;
/// `body`).
fn example_site(service: &str, front_matter: &str, body: &str) -> content::Library {
    let site_toml = format!(
        "name = \"Example\"\nhosts = [\"example.org\"]\ndefault_language = \"en\"\n\
         [services.ga]\nname = \"Google Analytics\"\nkind = \"google-analytics\"\n\
         measurement_id = \"G-EXAMPLE1\"\n{service}consent = \"opt-in\"\n"
    );
    let policy =
        format!("---\ntitle: Privacy\nlastupdate: 2026-11-01\n{front_matter}---\n\n{body}\n");
    content::load_from_memory(
        Path::new("/content"),
        &[
            ("example.org/site.toml", &site_toml),
            ("example.org/privacy.en.md", &policy),
        ],
    )
    .expect("loads")
}

/// A record as the server writes it, given `days` ago under `version`.
fn record(version: &str, days: i64, allowed: &str, refused: &str) -> String {
    let issued = time::OffsetDateTime::now_utc().unix_timestamp() - days * 86_400;
    format!("privacy-consent=1~{version}~{issued}~0123456789abcdef~{allowed}~{refused}")
}

#[tokio::test]
async fn a_first_visit_is_asked_and_gets_no_opt_in_service() {
    let page = get("/", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(!body.contains(GA) && !body.contains(HOTJAR), "{body}");
    let blog = get("/blog/", &[]).await;
    assert!(
        blog.body.contains(CARBON),
        "an opt-out service loads until the visitor says no"
    );
    let banner = body
        .find("<section class=\"privacy-pages-banner\"")
        .expect("the banner");
    assert!(
        banner < body.find("<h1").expect("the page's heading"),
        "the banner comes first, in the page's flow"
    );
    for expected in [
        "<form method=\"post\" action=\"/_privacy/consent\"",
        "<input type=\"hidden\" name=\"return_to\" value=\"/\">",
        "<button type=\"submit\" name=\"choice\" value=\"accept\"",
        "<button type=\"submit\" name=\"choice\" value=\"reject\"",
        ">Accept all</button>",
        ">Reject all</button>",
        "<a href=\"/_privacy/choices\" style=\"color:#0b57b0\">Choose</a>",
        "Example Shop would like to use Google Analytics and Hotjar.",
        "<a href=\"/privacy\" style=\"color:#0b57b0\">Privacy policy</a>",
        "<p class=\"privacy-pages-footer\" style=",
    ] {
        assert!(body.contains(expected), "{expected}\nin\n{body}");
    }
    // Both answers look the same: neither is the one to click.
    let styles: Vec<&str> = body
        .match_indices("name=\"choice\" value=\"")
        .map(|(at, _)| {
            let rest = &body[at..];
            &rest[rest.find("style=").expect("styled")..rest.find('>').expect("closed")]
        })
        .collect();
    assert_eq!(styles.len(), 2);
    assert_eq!(styles[0], styles[1]);
}

#[tokio::test]
async fn accept_all_loads_the_opt_in_services_on_every_page() {
    let answer = post(
        "/_privacy/consent",
        "choice=accept&return_to=%2Fabout%2F",
        &[SAME_ORIGIN],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), Some("/about/?consent=accepted"));
    let record = set_cookie(&answer, "privacy-consent");
    assert!(
        record.starts_with("privacy-consent=1~20261101~"),
        "given under the current version: {record}"
    );
    assert!(
        record.contains("~ga.hotjar~;"),
        "both allowed, none refused: {record}"
    );
    assert!(record.contains("Max-Age=15724800"), "182 days: {record}");
    assert!(
        record.contains("SameSite=Lax") && record.contains("Path=/"),
        "{record}"
    );
    let cookies = cookie_header(&answer);

    let confirmed = get("/about/?consent=accepted", &[("cookie", &cookies)]).await;
    assert!(
        confirmed
            .body
            .contains("role=\"status\">Saved: you agreed to Google Analytics and Hotjar."),
        "{}",
        confirmed.body
    );
    assert!(
        !confirmed.body.contains("name=\"choice\""),
        "not asked again"
    );
    for page in ["/", "/blog/", "/privacy"] {
        let reply = get(page, &[("cookie", &cookies)]).await;
        assert!(!reply.body.contains("privacy-pages-banner"), "{page}");
        assert!(
            reply.body.contains("privacy-pages-footer"),
            "{page}: the way back"
        );
    }
    let home = get("/", &[("cookie", &cookies)]).await;
    assert!(
        home.body.contains(GA) && home.body.contains(HOTJAR),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn accepting_is_taken_only_from_the_site_itself() {
    let forged = post("/_privacy/consent", "choice=accept&return_to=%2F", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.headers.get("set-cookie").is_none());
    let nonsense = post("/_privacy/consent", "choice=maybe", &[SAME_ORIGIN]).await;
    assert_eq!(nonsense.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reject_all_keeps_every_service_off_and_the_legacy_cookies_in_step() {
    // Rejecting only protects the visitor: taken from anywhere.
    let answer = post("/_privacy/consent", "choice=reject&return_to=%2F", &[]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), Some("/?consent=rejected"));
    let record = set_cookie(&answer, "privacy-consent");
    assert!(record.contains("~~ga.hotjar;"), "both refused: {record}");
    for legacy in ["ga-disable-G-SHOP123", "carbon-disable"] {
        assert!(
            set_cookie(&answer, legacy).starts_with(&format!("{legacy}=true;")),
            "{legacy}"
        );
    }
    let cookies = cookie_header(&answer);
    let page = get("/?consent=rejected", &[("cookie", &cookies)]).await;
    assert!(
        page.body
            .contains("Saved: Google Analytics and Hotjar stay off."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("name=\"choice\""));
    for path in ["/", "/blog/"] {
        let body = get(path, &[("cookie", &cookies)]).await.body;
        for vendor in [GA, HOTJAR, CARBON] {
            assert!(!body.contains(vendor), "{path}: {vendor}");
        }
    }
}

/// "Saved" is said only of what the browser sent back: without the
/// record (cookies blocked), the page says it was not kept and asks again.
#[tokio::test]
async fn a_decision_the_browser_did_not_keep_is_not_confirmed() {
    let page = get("/?consent=accepted", &[]).await;
    assert!(
        page.body
            .contains("role=\"alert\">Not saved: this browser did not keep your choice"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"choice\" value=\"accept\""));
    assert!(!page.body.contains(GA));
}

#[tokio::test]
async fn global_privacy_control_is_a_no_without_a_banner() {
    let page = get("/", &[("sec-gpc", "1")]).await;
    assert!(!page.body.contains("name=\"choice\""), "not asked");
    for path in ["/", "/blog/"] {
        let body = get(path, &[("sec-gpc", "1")]).await.body;
        for vendor in [GA, HOTJAR, CARBON] {
            assert!(!body.contains(vendor), "{path}: {vendor}");
        }
    }
    assert!(page.body.contains("privacy-pages-footer"));
    let choices = get("/_privacy/choices", &[("sec-gpc", "1")]).await;
    assert!(choices.body.contains("Global Privacy Control"));
}

#[tokio::test]
async fn a_policy_version_with_reconsent_asks_again() {
    let before = record("20260101", 30, "ga.hotjar", "");
    let page = get("/", &[("cookie", &before)]).await;
    assert!(!page.body.contains(GA), "the old yes no longer counts");
    for expected in [
        "Our privacy policy has changed since you last chose, so we ask again.",
        "<a href=\"/privacy/changes\" style=\"color:#0b57b0\">What changed</a>",
        "name=\"choice\" value=\"accept\"",
    ] {
        assert!(
            page.body.contains(expected),
            "{expected}\nin\n{}",
            page.body
        );
    }
    let after = record("20261101", 30, "ga.hotjar", "");
    let page = get("/", &[("cookie", &after)]).await;
    assert!(
        page.body.contains(GA),
        "given under the current version: it stands"
    );
    assert!(!page.body.contains("name=\"choice\""));
}

#[tokio::test]
async fn a_decision_older_than_consent_days_asks_again() {
    let old = record("20261101", 183, "ga.hotjar", "");
    let page = get("/", &[("cookie", &old)]).await;
    assert!(!page.body.contains(GA));
    assert!(page.body.contains("name=\"choice\" value=\"accept\""));
    assert!(!page.body.contains("has changed"), "expired, not changed");
}

/// The per-service controls (choices page, policy links) write the same
/// record: one yes for Google Analytics leaves Hotjar undecided.
#[tokio::test]
async fn opting_in_to_one_service_keeps_the_others_undecided() {
    let answer = post(
        "/_privacy/optin/ga",
        "return_to=%2F_privacy%2Fchoices",
        &[SAME_ORIGIN],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let record = set_cookie(&answer, "privacy-consent");
    assert!(record.contains("~ga~;"), "{record}");
    let cookies = cookie_header(&answer);
    let page = get("/", &[("cookie", &cookies)]).await;
    assert!(page.body.contains(GA) && !page.body.contains(HOTJAR));
    assert!(page.body.contains("name=\"choice\""), "Hotjar still waits");

    // And a no to Hotjar keeps the yes to GA.
    let answer = post(
        "/_privacy/optout/hotjar",
        "return_to=%2F",
        &[("cookie", &cookies)],
    )
    .await;
    let record = set_cookie(&answer, "privacy-consent");
    assert!(record.contains("~ga~hotjar;"), "{record}");
    let cookies = format!("{cookies}; {}", cookie_header(&answer));
    let page = get("/", &[("cookie", &cookies)]).await;
    assert!(page.body.contains(GA) && !page.body.contains(HOTJAR));
    assert!(!page.body.contains("name=\"choice\""), "all decided");
}

#[tokio::test]
async fn the_choices_page_says_what_waits_for_consent() {
    let page = get("/_privacy/choices", &[]).await;
    for expected in [
        "Those that need your consent stay off until you turn them on",
        "kept in this browser for 182 days",
        "Google Analytics is off until you agree to it.",
        "Carbon Ads is on.",
        "<button type=\"submit\" form=\"optin-ga\">Turn on Google Analytics</button>",
    ] {
        assert!(
            page.body.contains(expected),
            "{expected}\nin\n{}",
            page.body
        );
    }
}

/// The policy pages are gated pages too: the banner is there, drawn by
/// the stylesheet (their CSP admits no inline style), in the visitor's
/// language.
#[tokio::test]
async fn the_policy_page_asks_in_the_visitors_language() {
    let page = get("/privacy", &[("accept-language", "de")]).await;
    let body = &page.body;
    assert!(body.contains("<section class=\"privacy-pages-banner\" id=\"privacy-pages-banner\" aria-labelledby=\"privacy-pages-banner-title\" lang=\"de\">"), "{body}");
    assert!(body.contains(">Alle akzeptieren</button>"));
    assert!(body.contains(">Alle ablehnen</button>"));
    assert!(!body.contains("style=\""), "no inline style on an own page");
    assert!(body.contains("<p class=\"privacy-pages-footer\"><a href=\"/_privacy/choices\">Datenschutz-Einstellungen</a></p>"));
}

#[tokio::test]
async fn a_site_without_opt_in_services_has_no_banner() {
    let reply = crate::support::get("/privacy", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.body.contains("privacy-pages-banner"));
    assert!(!reply.body.contains("privacy-pages-footer"));
}

/// consent.js learns which services wait for a yes (`:in`), so that it
/// confirms turning one on only when the consent record was kept; and the
/// form says so when it was not.
#[tokio::test]
async fn consent_js_knows_the_opt_in_services() {
    let page = get("/_privacy/choices", &[]).await;
    assert!(
        page.body.contains("data-services=\"carbon:carbon-disable ga:ga-disable-G-SHOP123:in hotjar:hotjar-disable:in plausible:plausible-disable youtube:youtube-disable:in\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<form id=\"optin-ga\" method=\"post\" action=\"/_privacy/optin/ga\" data-consent-service=\"ga\" data-consent-action=\"optin\" data-saved=\"Saved: Google Analytics is enabled again for this browser.\" data-unsaved=\"Not saved: this browser did not keep your choice, so Google Analytics stays off."),
        "{}",
        page.body
    );
}

/// A site that declares YouTube as a service (`kind = "youtube"`) lets a
/// visitor allow its players for good, through the same endpoints as any
/// other service: the gate then leaves the operator's player as it is.
/// The banner does not ask for it; the placeholder does.
#[tokio::test]
async fn youtube_is_allowed_for_good_on_its_placeholder_or_the_choices() {
    let page = get("/blog/2024/hello", &[]).await;
    assert!(
        page.body
            .contains("data-embed-kind=\"youtube\" data-embed-always=\"Always allow YouTube\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<iframe"));
    assert!(
        page.body
            .contains("would like to use Google Analytics and Hotjar."),
        "not YouTube"
    );
    let choices = get("/_privacy/choices", &[]).await;
    assert!(
        choices
            .body
            .contains("<button type=\"submit\" form=\"optin-youtube\">Turn on YouTube</button>")
    );

    let answer = post(
        "/_privacy/optin/youtube",
        "return_to=%2Fblog%2F2024%2Fhello",
        &[SAME_ORIGIN],
    )
    .await;
    let record = set_cookie(&answer, "privacy-consent");
    assert!(record.contains("~youtube~;"), "{record}");
    let cookies = cookie_header(&answer);
    let page = get("/blog/2024/hello", &[("cookie", &cookies)]).await;
    assert!(
        page.body.contains("<iframe width=\"560\" height=\"315\" src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\""),
        "the operator's own player: {}",
        page.body
    );
    assert!(!page.body.contains("privacy-pages-embed"));
    let policy = page.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("https://www.youtube.com"),
        "the allowed service's origins: {policy}"
    );

    // "Accept all" answers what the banner named, and keeps the yes to YouTube.
    let accepted = post(
        "/_privacy/consent",
        "choice=accept",
        &[SAME_ORIGIN, ("cookie", &cookies)],
    )
    .await;
    assert!(set_cookie(&accepted, "privacy-consent").contains("~ga.hotjar.youtube~;"));
    let rejected = post("/_privacy/consent", "choice=reject", &[]).await;
    assert!(
        set_cookie(&rejected, "privacy-consent").contains("~~ga.hotjar;"),
        "no word on YouTube"
    );
}

/// On a site privacy-pages does not front, an `active` opt-in service is
/// one the gate would inject: not before the visitor's yes, and the policy
/// page asks for it.
#[tokio::test]
async fn an_unfronted_site_injects_an_opt_in_service_only_after_a_yes() {
    let library = example_site(
        "active = true\n",
        "",
        "We use Google Analytics with your consent.",
    );
    let state = AppState::new(library);
    let request = |cookie: Option<&str>| {
        let mut request = Request::get("/privacy").header("host", "example.org");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.body(Body::empty()).expect("request")
    };
    let first = send_to(app(state.clone()), request(None)).await;
    assert!(!first.body.contains(GA), "{}", first.body);
    assert!(
        first
            .body
            .contains("<form method=\"post\" action=\"/consent\">")
    );
    assert!(
        first
            .body
            .contains("Example would like to use Google Analytics.")
    );
    let agreed = record("20261101", 1, "ga", "");
    let after = send_to(app(state), request(Some(&agreed))).await;
    assert!(
        after
            .body
            .contains("https://www.googletagmanager.com/gtag/js?id=G-EXAMPLE1")
    );
    assert!(!after.body.contains("name=\"choice\""));
}

/// The banner's words agree with the number of services, in both
/// languages: "It stays off" for one, "They stay off" for more.
#[tokio::test]
async fn the_banner_speaks_of_one_service_or_several() {
    let one = example_site("active = true\n", "", "Text.");
    for (lang, expected) in [
        (
            "en",
            "Example would like to use Google Analytics. It stays off unless you agree.",
        ),
        (
            "de",
            "Example möchte Google Analytics nutzen. Dieser Dienst bleibt aus, solange Sie nicht zustimmen.",
        ),
    ] {
        let request = Request::get("/privacy")
            .header("host", "example.org")
            .header("accept-language", lang)
            .body(Body::empty())
            .expect("request");
        let reply = send_to(app(AppState::new(one.clone())), request).await;
        assert!(reply.body.contains(expected), "{lang}: {}", reply.body);
    }
    let two = get("/", &[("accept-language", "de")]).await;
    assert!(two.body.contains(
        "Example Shop möchte Google Analytics und Hotjar nutzen. Diese bleiben aus, solange Sie nicht zustimmen."
    ));
    let rejected = get(
        "/?consent=rejected",
        &[("cookie", &record("20261101", 0, "", "ga.hotjar"))],
    )
    .await;
    assert!(
        rejected
            .body
            .contains("Saved: Google Analytics and Hotjar stay off.")
    );
}

/// Consent settings that would do nothing are said by `check` and at
/// start-up: an opt-in service nothing loads, a `reconsent` with nothing
/// to ask about. The shop's settings do something: no warning.
#[test]
fn consent_settings_that_do_nothing_are_warned_about() {
    // Warnings stop nothing: it loads.
    let library = example_site("", "reconsent: true\n", "Text.");
    let warnings: Vec<String> = library.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "/content/example.org/site.toml: [services.ga]: `consent = \"opt-in\"` asks nothing, since nothing loads the service: set `active = true`, or front the site (`root`, `upstream`)",
            "/content/example.org/privacy.en.md: `reconsent: true` asks visitors again about opt-in services, and this site has none (`consent = \"opt-in\"` in site.toml)",
        ]
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opt_in/content");
    let shop = content::load(&Source::Dir(dir)).expect("loads");
    assert!(shop.warnings().is_empty(), "{:?}", shop.warnings());
}

/// Two records (one for the cookie domain, one host-only, say): the
/// newest decision counts, whichever the browser sends first.
#[tokio::test]
async fn of_two_records_the_newest_counts() {
    let older_yes = record("20261101", 3, "ga.hotjar", "");
    let newer_no = record("20261101", 1, "", "ga.hotjar");
    for cookies in [
        format!("{older_yes}; {newer_no}"),
        format!("{newer_no}; {older_yes}"),
    ] {
        let page = get("/", &[("cookie", &cookies)]).await;
        assert!(!page.body.contains(GA), "{cookies}");
        assert!(!page.body.contains("name=\"choice\""), "decided: {cookies}");
    }
    let newer_yes = record("20261101", 1, "ga.hotjar", "");
    let older_no = record("20261101", 3, "", "ga.hotjar");
    let page = get("/", &[("cookie", &format!("{older_no}; {newer_yes}"))]).await;
    assert!(page.body.contains(GA));
}
