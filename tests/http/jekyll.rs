//! A Jekyll privacy page dropped in as it is: its theme's layout, its
//! `permalink`, its `date` in ISO 8601, its title repeated as `# …`, its
//! `_config.yml` for `site.*`, its `_includes/`, and an `onclick` opt-out link.

use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use privacy_pages::content::{self, Source};
use privacy_pages::{AppState, app};

use crate::support::{Reply, assert_well_formed, send_to};

async fn get(path: &str) -> Reply {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jekyll");
    let library = content::load(&Source::Dir(dir)).expect("a Jekyll page loads unchanged");
    let request = Request::get(path)
        .header("host", "blog.example")
        .body(Body::empty())
        .expect("request");
    send_to(app(AppState::new(library)), request).await
}

#[tokio::test]
async fn a_jekyll_page_answers_at_its_permalink() {
    let page = get("/datenschutz/").await;
    assert_eq!(page.status, 200);
    assert_well_formed(&page.body);
    let body = &page.body;
    // The title once, as the page's own heading.
    assert_eq!(
        body.matches("Datenschutzerklärung</h1>").count(),
        1,
        "{body}"
    );
    // `site.*` from `_config.yml`, and the condition on it kept its text.
    assert!(
        body.contains(
            "Mein Blog nimmt den Schutz Ihrer Daten ernst. Fragen an datenschutz@blog.example."
        ),
        "{body}"
    );
    assert!(body.contains("Diese Website nutzt Google Analytics."));
    // `{% include %}` from the site's `_includes/`.
    assert!(
        body.contains("Verantwortlich: Mein Blog, datenschutz@blog.example."),
        "{body}"
    );
    // The onclick link became the opt-out control.
    assert!(body.contains("data-consent-service=\"ga\""), "{body}");
    assert!(!body.contains("onclick"));
    // `date:` with a T is the last update; `#` chapters are in the contents.
    assert!(
        body.contains("<time datetime=\"2018-09-02\">02.09.2018</time>"),
        "{body}"
    );
    assert!(
        body.contains("<a href=\"#1-analyse\">1. Analyse</a>"),
        "{body}"
    );
    // `{:toc}` put the table of contents after the introduction, once.
    assert_eq!(body.matches("<nav class=\"toc\"").count(), 1, "{body}");
    let intro = body.find("nimmt den Schutz").expect("intro");
    let toc = body.find("<nav class=\"toc\"").expect("toc");
    assert!(intro < toc, "{body}");
    assert!(!body.contains("privacy-toc"));
    // A block attribute list's class stays (sanitised: classes and ids only).
    assert!(
        body.contains("<p class=\"notice--info\">Sie können jederzeit widersprechen. Diese Erklärung: <a href=\"/privacy\">Datenschutz</a>.</p>"),
        "{body}"
    );
    // The permalink is the canonical address.
    assert!(
        body.contains("<link rel=\"canonical\" href=\"http://blog.example/datenschutz/\">"),
        "{body}"
    );

    // The other form redirects to the one written, keeping the query.
    let other = get("/datenschutz?lang=de").await;
    assert_eq!(other.status, 301);
    assert_eq!(other.header("location"), Some("/datenschutz/?lang=de"));
    assert_eq!(
        get("/datenschutz").await.header("location"),
        Some("/datenschutz/")
    );
    // The file's own name (`privacy.de.md`) still answers, and links there.
    let by_name = get("/privacy").await;
    assert_eq!(by_name.status, 200);
    assert!(
        by_name
            .body
            .contains("<link rel=\"canonical\" href=\"http://blog.example/datenschutz/\">")
    );
    assert_eq!(get("/privacy/versions").await.status, 200);
    assert_eq!(get("/nope/").await.status, 404);
    assert_eq!(get("/datenschutz/x").await.status, 404);
}
