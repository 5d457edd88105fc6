//! `examples/embed`: an operator's app that nests the policy router under
//! `/legal` and gates its own pages. The example's own code is compiled in.

#[path = "../../examples/embed/app.rs"]
mod app;

use axum::body::Body;
use axum::http::Request;
use privacy_pages::AppState;
use privacy_pages::assets::path as asset;
use privacy_pages::content::{self, Source};

use crate::support::send_to;

fn embedded() -> axum::Router {
    let library = content::load(&Source::Embedded).expect("bundled content");
    app::app(AppState::new(library).with_base_path("/legal"))
}

async fn get(path: &str, cookie: Option<&str>) -> crate::support::Reply {
    let mut request = Request::get(path).header("host", "octoprint.org");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    send_to(embedded(), request.body(Body::empty()).expect("request")).await
}

#[tokio::test]
async fn operator_pages_are_gated() {
    let fresh = get("/", None).await;
    assert_eq!(fresh.status, 200);
    assert!(fresh.body.contains(&format!(
        "<script src=\"/legal{}\" data-base=\"/legal\"",
        asset("consent.js")
    )));
    assert!(fresh.body.contains("cdn.carbonads.com/carbon.js"));
    assert!(
        fresh
            .body
            .contains("<div class=\"ad\" data-service=\"carbon\">")
    );
    assert!(fresh.body.contains("data-service=\"carbon\">"));
    assert_eq!(
        fresh
            .body
            .matches(&format!("/legal{}", asset("consent.js")))
            .count(),
        1
    );

    let opted_out = get("/", Some("carbon-disable=true")).await;
    assert!(!opted_out.body.contains("carbon.js"));
    assert!(
        !opted_out.body.contains("data-service=\"carbon\""),
        "marked embed and preconnect removed"
    );
    assert!(opted_out.body.contains("<h1>Welcome</h1>"));
    assert!(
        opted_out
            .body
            .contains("plausible.octoprint.org/js/script.js")
    );
}

#[tokio::test]
async fn nested_policy_pages_carry_the_prefix_and_are_gated_once() {
    let page = get("/legal/privacy", None).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body
            .matches(&format!("/legal{}", asset("consent.js")))
            .count(),
        1,
        "one gate, not two"
    );
    assert_eq!(page.body.matches("carbon.js").count(), 1);
    assert!(page.body.contains(&format!(
        "<link rel=\"stylesheet\" href=\"/legal{}\">",
        asset("style.css")
    )));
    assert!(page.body.contains("action=\"/legal/optout/carbon\""));
    assert!(
        page.body
            .contains("name=\"return_to\" value=\"/legal/privacy\"")
    );

    let form = Request::post("/legal/optout/carbon")
        .header("host", "octoprint.org")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("return_to=%2Flegal%2Fprivacy"))
        .expect("request");
    let reply = send_to(embedded(), form).await;
    assert_eq!(reply.status, 303);
    assert_eq!(
        reply.header("location"),
        Some("/legal/privacy?optout=carbon")
    );
    assert!(
        reply
            .header("set-cookie")
            .is_some_and(|c| c.contains("Path=/;")),
        "visible to the operator's pages too"
    );

    let css = get("/legal/static/style.css", None).await;
    assert_eq!(css.status, 200);
}

/// An operator's page too large to rewrite in memory (over 4 MiB), or one
/// that streams without a length, goes through the same gate as it
/// streams: the opted-out service's marked element is removed and
/// consent.js is added. (Such a page used to pass unchanged.)
#[tokio::test]
async fn operator_pages_too_large_for_memory_are_gated_as_they_stream() {
    use axum::routing::get;
    use privacy_pages::gate::ScriptGateLayer;

    let library = content::load(&Source::Embedded).expect("bundled content");
    let filler = "<p>".to_owned() + &"text ".repeat(1024 * 1024) + "</p>";
    let page = format!(
        "<html><head><title>big</title></head><body>{filler}\
         <div data-service=\"carbon\">ad</div><p>end</p></body></html>"
    );
    let html = |body: Body| {
        axum::response::Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .body(body)
            .expect("response")
    };
    let (sized, streamed) = (page.clone(), page.clone());
    let app = axum::Router::new()
        .route("/big", get(move || async move { html(Body::from(sized)) }))
        .route(
            "/streamed",
            get(move || async move {
                let chunks: Vec<Result<String, std::io::Error>> = vec![Ok(streamed)];
                html(Body::from_stream(futures_util::stream::iter(chunks)))
            }),
        )
        .layer(ScriptGateLayer::new(library, "/legal"));
    for path in ["/big", "/streamed"] {
        let request = Request::get(path)
            .header("host", "octoprint.org")
            .header("cookie", "carbon-disable=true")
            .body(Body::empty())
            .expect("request");
        let reply = send_to(app.clone(), request).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(reply.body.len() > 4 * 1024 * 1024, "{path}");
        assert!(
            !reply.body.contains("data-service=\"carbon\""),
            "{path}: the opted-out service's element is removed"
        );
        assert!(reply.body.contains("<p>end</p>"), "{path}");
        assert!(
            reply
                .body
                .contains(&format!("/legal{}", asset("consent.js"))),
            "{path}: consent.js added"
        );
    }
}
