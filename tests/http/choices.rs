//! `/choices`: every service a site declares, what it is for, this
//! visitor's state and a control each, in the visitor's language.

use crate::support::{assert_well_formed, get};

#[tokio::test]
async fn every_declared_service_is_listed_with_its_purpose_and_a_control() {
    let page = get("/choices", &[("host", "octoprint.org")]).await;
    assert_eq!(page.status, 200);
    assert_well_formed(&page.body);
    let body = &page.body;
    assert!(body.contains("<h1>Privacy choices</h1>"), "{body}");
    for (id, name, purpose) in [
        ("carbon", "Carbon Ads", "Advertising by Carbon Ads"),
        (
            "plausible",
            "Plausible Analytics",
            "counts visits without cookies",
        ),
        ("ga", "Google Analytics", "Web analytics by Google"),
    ] {
        assert!(body.contains(&format!("<h2>{name}</h2>")), "{name}: {body}");
        assert!(body.contains(purpose), "{purpose}: {body}");
        assert!(
            body.contains(&format!(
                "<button type=\"submit\" form=\"optout-{id}\">Turn off {name}</button>"
            )),
            "{id}: {body}"
        );
        assert!(
            body.contains(&format!(
                "<form id=\"optout-{id}\" method=\"post\" action=\"/optout/{id}\""
            )),
            "{id}: {body}"
        );
        assert!(body.contains("<input type=\"hidden\" name=\"return_to\" value=\"/choices\">"));
    }
    assert!(
        body.contains("href=\"/privacy\">Read the privacy policy</a>"),
        "{body}"
    );
}

#[tokio::test]
async fn the_page_shows_this_visitors_state() {
    let page = get(
        "/choices",
        &[("host", "octoprint.org"), ("cookie", "carbon-disable=true")],
    )
    .await;
    let body = &page.body;
    let carbon = &body[body.find("id=\"service-carbon\"").expect("carbon")..];
    let carbon = &carbon[..carbon.find("</li>").expect("end")];
    assert!(
        carbon.contains("<span class=\"consent-on\" hidden>"),
        "the on state is hidden: {carbon}"
    );
    assert!(
        carbon.contains("Carbon Ads is disabled for this browser."),
        "{carbon}"
    );
    assert!(
        carbon.contains("form=\"optin-carbon\">Enable again</button>"),
        "{carbon}"
    );
    let plausible = &body[body.find("id=\"service-plausible\"").expect("plausible")..];
    assert!(plausible.contains("Plausible Analytics is on."));

    let gpc = get("/choices", &[("host", "octoprint.org"), ("sec-gpc", "1")]).await;
    assert!(
        gpc.body
            .contains("Your browser sends the Global Privacy Control signal")
    );
    assert!(
        !gpc.body.contains(">Enable again</button>"),
        "GPC cannot be undone here"
    );
    assert_eq!(
        gpc.body
            .matches("your browser sends the Global Privacy Control signal.")
            .count(),
        3
    );
}

#[tokio::test]
async fn the_page_is_in_the_visitors_language() {
    let page = get(
        "/choices",
        &[
            ("host", "octoprint.org"),
            ("accept-language", "de-DE,de;q=0.9"),
        ],
    )
    .await;
    assert!(
        page.body.contains("<h1>Datenschutz-Einstellungen</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Carbon Ads abschalten"));
    assert_eq!(page.header("content-language"), Some("de"));
}
