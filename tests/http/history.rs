//! Policy history: what changed between versions (a word-level comparison,
//! snapshotted for the real octoprint.org 2018 → 2022 change and a German
//! fixture), the page that shows it, the Atom feed of every version, and
//! `Last-Modified` from the version's date.

use std::path::Path;

use axum::Router;
use privacy_pages::content::history::compare;
use privacy_pages::content::{self, Library, Source};
use privacy_pages::lang::Lang;
use privacy_pages::{AppState, app};

use crate::support::{Reply, assert_well_formed, bundled, get, send_to};

const OCTOPRINT: (&str, &str) = ("host", "octoprint.org");
const MUSTER: (&str, &str) = ("host", "muster.example");

fn history_fixture() -> Library {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history");
    content::load(&Source::Dir(dir)).expect("valid fixture")
}

fn fixture_app() -> Router {
    app(AppState::new(history_fixture()))
}

async fn fixture_get(path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = axum::http::Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send_to(
        fixture_app(),
        request.body(axum::body::Body::empty()).expect("request"),
    )
    .await
}

/// The comparison of a site's `privacy` policy, current against the
/// version before, in `lang`.
fn comparison(library: &Library, host: &str, lang: Lang) -> String {
    let site = library.site_for_host(Some(host));
    let policy = &site.policies["privacy"];
    let older = policy.previous(&policy.current).expect("an older version");
    compare(
        &older.translations[&lang].outline,
        &policy.current.translations[&lang].outline,
    )
    .to_string()
}

#[test]
fn octoprint_2018_to_2022_in_english() {
    insta::assert_snapshot!(comparison(&bundled(), "octoprint.org", Lang::En));
}

#[test]
fn german_fixture_two_versions() {
    insta::assert_snapshot!(comparison(&history_fixture(), "muster.example", Lang::De));
}

#[tokio::test]
async fn the_changes_page_shows_what_changed() {
    let reply = fixture_get("/privacy/changes", &[MUSTER]).await;
    assert_eq!(reply.status, 200);
    assert_well_formed(&reply.body);
    let body = &reply.body;
    assert!(body.contains("<h1>Was sich geändert hat</h1>"), "{body}");
    // The summary from the front matter.
    assert!(body.contains("<li>Google Analytics entfernt, Plausible Analytics ergänzt.</li>"));
    // Removed and added sections, and a changed paragraph word by word.
    assert!(body.contains("Entfernt:</span> Google Analytics"), "{body}");
    assert!(
        body.contains(
            "Neu:</span> <a href=\"/privacy#plausible-analytics\">Plausible Analytics</a>"
        ),
        "{body}"
    );
    assert!(
        body.contains("nach <del>14</del><ins>7</ins> Tagen"),
        "{body}"
    );
    assert!(
        body.contains("<p class=\"added\"><ins>Außerdem haben Sie ein Recht"),
        "{body}"
    );
    // Both versions linked.
    assert!(body.contains("href=\"/privacy/2022-03-10\""));
    assert!(body.contains("href=\"/privacy\""));

    // The same comparison under a dated URL for the current version.
    let dated = fixture_get("/privacy/2024-06-01/changes", &[MUSTER]).await;
    assert_eq!(dated.status, 200);
    assert!(dated.body.contains("<del>14</del><ins>7</ins>"));
}

#[tokio::test]
async fn the_oldest_version_and_single_versions_have_no_changes_page() {
    for (path, host) in [
        ("/privacy/2018-05-22/changes", "octoprint.org"),
        ("/privacy/changes", "foosel.net"),
        ("/nope/changes", "octoprint.org"),
        ("/privacy/2019-01-01/changes", "octoprint.org"),
    ] {
        let reply = get(path, &[("host", host)]).await;
        assert_eq!(reply.status, 404, "{host}{path}");
    }
}

/// Versions with no language in common are not compared word by word; the
/// page says so, in the visitor's language, and links both.
#[tokio::test]
async fn versions_without_a_common_language_are_linked_not_compared() {
    let reply = fixture_get("/cookies/changes", &[MUSTER]).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.contains("<p class=\"notice\" role=\"note\" lang=\"de\">Die beiden Fassungen wurden nicht in einer gemeinsamen Sprache verfasst"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("<section class=\"change"));
    assert!(reply.body.contains("href=\"/cookies/2023-05-01\""));
    assert!(reply.body.contains("href=\"/cookies\""));
}

/// octoprint.org's 2022 policy is English only; its 2018 one is German and
/// English. A German reader gets the comparison in English, and is told why.
#[tokio::test]
async fn compared_in_a_language_both_versions_have() {
    let reply = get("/privacy/changes", &[OCTOPRINT, ("accept-language", "de")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-language"), Some("en"));
    assert!(
        reply.body.contains(
            "Nicht beide Fassungen gibt es auf Deutsch, daher werden sie auf Englisch verglichen."
        ),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("Google Analytics"));
}

#[tokio::test]
async fn policy_pages_link_what_changed_and_say_when_they_changed() {
    let current = get("/privacy", &[OCTOPRINT]).await;
    assert!(
        current
            .body
            .contains("<a href=\"/privacy/changes\">What changed since May 22, 2018</a>"),
        "{}",
        current.body
    );
    assert_eq!(
        current.header("last-modified"),
        Some("Thu, 20 Oct 2022 00:00:00 GMT")
    );
    assert!(
        current
            .body
            .contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/feed.atom\"")
    );

    let archived = get("/privacy/2018-05-22", &[OCTOPRINT]).await;
    assert_eq!(
        archived.header("last-modified"),
        Some("Tue, 22 May 2018 00:00:00 GMT")
    );
    assert!(
        !archived.body.contains("What changed since"),
        "nothing before 2018"
    );

    let versions = fixture_get("/privacy/versions", &[MUSTER]).await;
    assert!(
        versions.body.contains("href=\"/privacy/changes\""),
        "{}",
        versions.body
    );
    assert!(
        versions
            .body
            .contains("<li>Server-Logfiles werden nach 7 statt 14 Tagen gelöscht.</li>")
    );
}

/// The feed parses as Atom and lists every dated version of every policy
/// of the site it is asked on, with absolute links; on every bundled site.
#[tokio::test]
async fn the_feed_lists_every_version_of_every_site() {
    let library = bundled();
    for site in library.sites() {
        let host = site.canonical_host();
        let reply = get("/feed.atom", &[("host", host)]).await;
        assert_eq!(reply.status, 200, "{host}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/atom+xml; charset=utf-8")
        );
        let feed: atom_syndication::Feed = reply
            .body
            .parse()
            .unwrap_or_else(|err| panic!("{host}: not Atom: {err}\n{}", reply.body));
        let mut expected: Vec<String> = site
            .policies
            .values()
            .flat_map(|policy| {
                policy
                    .versions()
                    .filter_map(|v| v.date)
                    .map(|date| format!("http://{host}/{}/{date}", policy.slug))
                    .collect::<Vec<_>>()
            })
            .collect();
        expected.sort();
        let mut listed: Vec<String> = feed
            .entries()
            .iter()
            .map(|entry| entry.links()[0].href().to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, expected, "{host}");
        assert_eq!(feed.id(), format!("http://{host}/feed.atom"));
        assert!(!feed.title().is_empty());
        for entry in feed.entries() {
            assert!(!entry.id().is_empty() && !entry.title().is_empty());
            assert!(
                entry.summary().is_some(),
                "{host}: {}",
                entry.title().as_str()
            );
        }
    }
    // The fixture's summary is the entry's summary.
    let reply = fixture_get("/feed.atom", &[MUSTER]).await;
    let feed: atom_syndication::Feed = reply.body.parse().expect("Atom");
    assert_eq!(feed.entries().len(), 4, "two policies, two versions each");
    let newest = &feed.entries()[0];
    assert_eq!(newest.updated().to_rfc3339(), "2024-06-01T00:00:00+00:00");
    assert_eq!(
        newest.summary().map(|s| s.as_str()),
        Some(
            "Google Analytics entfernt, Plausible Analytics ergänzt. Server-Logfiles werden nach 7 statt 14 Tagen gelöscht."
        )
    );
}
