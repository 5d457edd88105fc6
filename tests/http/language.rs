//! Language negotiation as a visitor meets it: Accept-Language, `?lang=`,
//! headers, and honest notices where a translation is missing.

use axum::body::Body;
use axum::http::Request;

use crate::support::{assert_well_formed, fixture_app, get, send_to};

const OCTOPRINT: (&str, &str) = ("host", "octoprint.org");
const GERMAN_BROWSER: (&str, &str) = ("accept-language", "de-DE,de;q=0.9,en;q=0.8");

#[tokio::test]
async fn a_german_browser_gets_the_german_2018_text() {
    let reply = get("/privacy/2018-05-22", &[OCTOPRINT, GERMAN_BROWSER]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-language"), Some("de"));
    assert_eq!(reply.header("vary"), Some("Accept-Language"));
    assert!(reply.body.contains("<html lang=\"de\">"));
    assert!(reply.body.contains("<h1>Datenschutzerklärung</h1>"));
    assert!(
        !reply.body.contains("notice-translation"),
        "German exists: no notice"
    );
}

#[tokio::test]
async fn a_german_browser_on_the_english_only_policy_is_told_so() {
    let reply = get("/privacy", &[OCTOPRINT, GERMAN_BROWSER]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-language"), Some("en"));
    assert!(reply.body.contains("<html lang=\"en\">"));
    assert!(
        reply
            .body
            .contains("This document was last updated on October 20, 2022.")
    );
    assert!(reply.body.contains(
        "<p class=\"notice notice-translation\" role=\"note\" lang=\"de\">Diese Seite gibt es nicht auf Deutsch. Sie wird auf Englisch angezeigt. <a href=\"/privacy/2018-05-22?lang=de\" hreflang=\"de\">Zur deutschen Fassung vom 22.05.2018 (archiviert, durch die aktuelle Fassung ersetzt)</a></p>"
    ), "{}", reply.body);
    assert_well_formed(&reply.body);
    insta::assert_snapshot!(
        "octoprint_2022_german_visitor",
        crate::support::without_fingerprints(&reply.body)
    );

    // An explicit ?lang=de the page lacks is honest in the same way.
    let explicit = get("/privacy?lang=de", &[OCTOPRINT]).await;
    assert!(
        explicit
            .body
            .contains("lang=\"de\">Diese Seite gibt es nicht auf Deutsch.")
    );
}

#[tokio::test]
async fn an_english_visitor_on_a_german_only_page_is_told_in_english() {
    // No bundled page is German-only; an English visitor asking for German
    // explicitly on the 2018 page gets German and no notice (they chose it).
    let reply = get(
        "/privacy/2018-05-22?lang=de",
        &[OCTOPRINT, ("accept-language", "en")],
    )
    .await;
    assert!(reply.body.contains("<html lang=\"de\">"));
    assert!(!reply.body.contains("notice-translation"));
}

#[tokio::test]
async fn accept_language_cases_from_the_issue() {
    for (header, expected) in [
        ("fr, de;q=0.5", "de"),
        ("de;q=0, en", "en"),
        ("*", "en"),
        ("de-AT", "de"),
        ("de-CH", "de"),
        ("en-GB", "en"),
        ("garbage;;;,,", "en"),
    ] {
        let reply = get(
            "/privacy/2018-05-22",
            &[OCTOPRINT, ("accept-language", header)],
        )
        .await;
        assert_eq!(reply.header("content-language"), Some(expected), "{header}");
        assert!(
            reply.body.contains(&format!("<html lang=\"{expected}\">")),
            "{header}"
        );
    }
}

#[tokio::test]
async fn explicit_choice_beats_the_header() {
    let reply = get("/privacy/2018-05-22?lang=en", &[OCTOPRINT, GERMAN_BROWSER]).await;
    assert_eq!(reply.header("content-language"), Some("en"));
    // An unsupported value falls back to negotiation, not to an error.
    let reply = get("/privacy/2018-05-22?lang=fr", &[OCTOPRINT, GERMAN_BROWSER]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-language"), Some("de"));
}

#[tokio::test]
async fn translations_are_linked_with_hreflang() {
    let reply = get("/privacy/2018-05-22", &[OCTOPRINT]).await;
    for link in [
        "<link rel=\"alternate\" hreflang=\"de\" href=\"http://octoprint.org/privacy/2018-05-22?lang=de\">",
        "<link rel=\"alternate\" hreflang=\"en\" href=\"http://octoprint.org/privacy/2018-05-22?lang=en\">",
        "<link rel=\"alternate\" hreflang=\"x-default\" href=\"http://octoprint.org/privacy/2018-05-22\">",
        "<a href=\"/privacy/2018-05-22?lang=de\" hreflang=\"de\" lang=\"de\">Deutsch</a>",
    ] {
        assert!(reply.body.contains(link), "{link}");
    }
}

#[tokio::test]
async fn every_page_kind_says_its_language() {
    for path in ["/", "/privacy/versions", "/nope", "/privacy"] {
        let reply = get(path, &[OCTOPRINT, ("accept-language", "de")]).await;
        assert_eq!(reply.header("vary"), Some("Accept-Language"), "{path}");
        let lang = reply.header("content-language").expect("Content-Language");
        assert!(
            reply.body.contains(&format!("<html lang=\"{lang}\">")),
            "{path}"
        );
    }
    let index = get("/", &[OCTOPRINT, ("accept-language", "de")]).await;
    assert!(index.body.contains("<h1>Erklärungen</h1>"));
    let missing = get("/nope", &[OCTOPRINT, ("accept-language", "de")]).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<h1>Seite nicht gefunden</h1>"));
}

/// A German browser with a long list still gets German: the header is read
/// up to the last whole range within the limit, not thrown away.
#[tokio::test]
async fn oversized_accept_language_is_read_up_to_the_limit() {
    let huge = format!("de,{}", "fr;q=0.1,".repeat(500));
    let reply = get(
        "/privacy/2018-05-22",
        &[OCTOPRINT, ("accept-language", huge.as_str())],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-language"), Some("de"));
    // Split over several fields, the same.
    let reply = get(
        "/privacy/2018-05-22",
        &[
            OCTOPRINT,
            ("accept-language", "de-CH-u-co-phonebk"),
            ("accept-language", huge.as_str()),
        ],
    )
    .await;
    assert_eq!(reply.header("content-language"), Some("de"));
}

#[tokio::test]
async fn an_english_visitor_on_a_german_only_policy_is_told_in_english() {
    let request = Request::get("/privacy")
        .header("host", "example.org")
        .header("accept-language", "en-GB,en;q=0.9")
        .body(Body::empty())
        .expect("request");
    let reply = send_to(fixture_app(), request).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-language"), Some("de"));
    assert!(reply.body.contains(
        "lang=\"en\">This page is not available in English. It is shown in German. <a href=\"/privacy/2020-01-15?lang=en\" hreflang=\"en\">Read the English version of January 15, 2020 (archived, superseded by the current one)</a></p>"
    ), "{}", reply.body);
    assert_well_formed(&reply.body);
    insta::assert_snapshot!(
        "fixture_german_only_english_visitor",
        crate::support::without_fingerprints(&reply.body)
    );
}
