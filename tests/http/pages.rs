//! Every URL through the router: what a visitor gets, and every error path.

use axum::body::Body;
use axum::http::Request;

use crate::support::{assert_well_formed, get, send};

const OCTOPRINT: (&str, &str) = ("host", "octoprint.org");

#[tokio::test]
async fn current_policy_has_the_rendered_date_and_head() {
    let reply = get("/privacy", &[OCTOPRINT]).await;
    assert_eq!(reply.status, 200);
    let body = &reply.body;
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("<title>Privacy Policy · OctoPrint</title>"));
    assert!(body.contains("<meta name=\"robots\" content=\"noindex,nofollow\">"));
    assert!(body.contains("<link rel=\"canonical\" href=\"http://octoprint.org/privacy\">"));
    assert!(body.contains("This document was last updated on October 20, 2022."));
    assert!(body.contains("Last updated: <time datetime=\"2022-10-20\">October 20, 2022</time>"));
    assert!(
        body.contains("<a href=\"#4-analytics-and-advertising\">4. Analytics and advertising</a>")
    );
    assert!(body.contains("<h2 id=\"4-analytics-and-advertising\">"));
    assert!(
        body.contains("<button type=\"submit\" form=\"optout-carbon\">Disable Carbon Ads</button>")
    );
    assert!(body.contains(
        "<a href=\"https://carbonads.net/privacy.php\" target=\"_blank\" rel=\"noopener\">"
    ));
}

#[tokio::test]
async fn host_selects_the_site() {
    for (host, expected_title) in [
        (Some("ispconfig.org"), "Privacy Policy - ISPConfig"),
        (Some("WWW.ISPConfig.org:8080"), "Privacy Policy - ISPConfig"),
        (Some("simplyprint.io."), "SimplyPrint privacy policy"),
        (
            Some("foosel.net"),
            "<title>Privacy Policy · foosel.net</title>",
        ),
        (
            Some("octoprint.org"),
            "This document was last updated on October 20, 2022.",
        ),
        (
            Some("unknown.example"),
            "This document was last updated on October 20, 2022.",
        ),
        (
            Some("127.0.0.1:8080"),
            "This document was last updated on October 20, 2022.",
        ),
        (None, "This document was last updated on October 20, 2022."),
    ] {
        let headers: Vec<(&str, &str)> = host.map(|h| ("host", h)).into_iter().collect();
        let reply = get("/privacy", &headers).await;
        assert_eq!(reply.status, 200, "{host:?}");
        assert!(reply.body.contains(expected_title), "{host:?}");
    }
}

#[tokio::test]
async fn archived_version_in_each_language() {
    let german = get("/privacy/2018-05-22?lang=de", &[OCTOPRINT]).await;
    assert_eq!(german.status, 200);
    assert!(german.body.contains("<html lang=\"de\">"));
    assert!(german.body.contains("<h1>Datenschutzerklärung</h1>"));
    assert!(
        german
            .body
            .contains("Dieses Dokument wurde zuletzt aktualisiert am 22.05.2018.")
    );
    assert!(german.body.contains(
        "<button type=\"submit\" form=\"optout-ga\">Google Analytics deaktivieren</button>"
    ));
    assert!(german.body.contains(
        "<link rel=\"canonical\" href=\"http://octoprint.org/privacy/2018-05-22?lang=de\">"
    ));
    // Superseded, with the way to the current text.
    assert!(german.body.contains("Dies ist eine archivierte Fassung"));
    assert!(
        german
            .body
            .contains("<a href=\"/privacy?lang=de\">Zur aktuellen Fassung</a>")
    );
    // The page says which languages exist.
    assert!(
        german
            .body
            .contains("<span aria-current=\"page\" lang=\"de\">Deutsch</span>")
    );
    assert!(german.body.contains(
        "<a href=\"/privacy/2018-05-22?lang=en\" hreflang=\"en\" lang=\"en\">English</a>"
    ));

    let english = get("/privacy/2018-05-22", &[OCTOPRINT]).await;
    assert!(
        english.body.contains("<html lang=\"en\">"),
        "site default language without ?lang"
    );
    assert!(
        english
            .body
            .contains("This document was last updated on May 22, 2018.")
    );
    assert!(
        english.body.contains(
            "<button type=\"submit\" form=\"optout-ga\">Disable Google Analytics</button>"
        )
    );
    assert!(
        english
            .body
            .contains("This is an archived version of this policy.")
    );
}

#[tokio::test]
async fn unsupported_or_hostile_lang_falls_back_without_echo() {
    for query in [
        "?lang=fr",
        "?lang=",
        "?lang=%3Cscript%3E",
        "?lang=de-AT",
        "?lang",
        "?%zz=1",
    ] {
        let reply = get(&format!("/privacy/2018-05-22{query}"), &[OCTOPRINT]).await;
        assert_eq!(reply.status, 200, "{query}");
        assert!(reply.body.contains("<html lang=\"en\">"), "{query}");
        assert!(!reply.body.contains("<script>"), "{query}");
    }
    let upper = get("/privacy/2018-05-22?lang=DE", &[OCTOPRINT]).await;
    assert!(upper.body.contains("<html lang=\"de\">"));
}

#[tokio::test]
async fn a_language_the_version_lacks_falls_back_to_one_it_has() {
    let reply = get("/privacy?lang=de", &[OCTOPRINT]).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("<html lang=\"en\">"));
    assert!(reply.body.contains("October 20, 2022"));
}

#[tokio::test]
async fn the_current_version_answers_at_its_date_too() {
    let reply = get("/privacy/2022-10-20", &[OCTOPRINT]).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .contains("<link rel=\"canonical\" href=\"http://octoprint.org/privacy\">")
    );
    assert!(!reply.body.contains("archived version"));
}

#[tokio::test]
async fn versions_lists_every_version() {
    let reply = get("/privacy/versions", &[OCTOPRINT]).await;
    assert_eq!(reply.status, 200);
    assert_well_formed(&reply.body);
    let current = reply
        .body
        .find("<a href=\"/privacy\"><time datetime=\"2022-10-20\">")
        .expect("current listed");
    let archived = reply
        .body
        .find("<a href=\"/privacy/2018-05-22\"><time datetime=\"2018-05-22\">")
        .expect("archived listed");
    assert!(current < archived, "newest first");
    assert!(
        reply
            .body
            .contains("<a href=\"/privacy/2018-05-22?lang=de\" hreflang=\"de\">Deutsch</a>")
    );

    let single = get("/privacy/versions", &[("host", "foosel.net")]).await;
    assert_eq!(single.status, 200);
    assert!(single.body.contains("<a href=\"/privacy\">undated</a>"));
}

#[tokio::test]
async fn index_lists_the_sites_policies() {
    let reply = get("/", &[OCTOPRINT]).await;
    assert_eq!(reply.status, 200);
    assert_well_formed(&reply.body);
    assert!(
        reply
            .body
            .contains("<a href=\"/privacy\" lang=\"en\">Privacy Policy</a>")
    );
    let german = get("/?lang=de", &[OCTOPRINT]).await;
    assert!(german.body.contains("<h1>Erklärungen</h1>"));
    assert!(
        german
            .body
            .contains("<a href=\"/privacy?lang=de\" lang=\"en\">Privacy Policy</a>")
    );
}

#[tokio::test]
async fn foosel_card_is_a_callout() {
    let reply = get("/privacy", &[("host", "foosel.net")]).await;
    assert!(
        reply
            .body
            .contains("<aside class=\"callout callout-critical\" role=\"note\">")
    );
    assert!(
        reply
            .body
            .contains("<a href=\"https://community.octoprint.org\">Community Forum</a>")
    );
    assert!(reply.body.contains("Gina Häußge<br>\nGoethestraße 5<br>"));
}

#[tokio::test]
async fn unknown_paths_get_the_styled_not_found_page() {
    for path in [
        "/nope",
        "/privacy/2019-01-01",
        "/privacy/not-a-date",
        "/privacy/2018-02-30",
        "/privacy/2018-05-22/extra",
        "/static/nope.css",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/%00",
        "/privacy%2F2018-05-22",
    ] {
        let reply = get(path, &[OCTOPRINT]).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert!(reply.body.contains("<h1>Page not found</h1>"), "{path}");
        assert!(
            reply
                .body
                .contains("<meta name=\"robots\" content=\"noindex\">"),
            "{path}"
        );
        assert_well_formed(&reply.body);
    }
    let german = get("/nope?lang=de", &[OCTOPRINT]).await;
    assert_eq!(german.status, 404);
    assert!(german.body.contains("<h1>Seite nicht gefunden</h1>"));
}

#[tokio::test]
async fn health_and_static() {
    let health = get("/healthz", &[]).await;
    assert_eq!(
        (health.status.as_u16(), health.body.as_str()),
        (200, "ok\n")
    );

    let css = get("/static/style.css", &[]).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.body.contains("prefers-color-scheme: dark"));
    assert!(css.body.contains("@media print"));
}

#[tokio::test]
async fn pages_only_answer_get_and_head() {
    let post = send(
        Request::post("/privacy")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET,HEAD"));
    // The site's own page, in the visitor's language, like every other error.
    assert!(
        post.body.contains("<h1>Not possible here</h1>"),
        "{}",
        post.body
    );
    assert_well_formed(&post.body);
    let german = send(
        Request::delete("/privacy/versions")
            .header("accept-language", "de")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(german.status, 405);
    assert_eq!(german.header("content-language"), Some("de"));
    assert!(
        german.body.contains("<h1>Hier nicht möglich</h1>"),
        "{}",
        german.body
    );
    let head = send(
        Request::head("/privacy")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}
