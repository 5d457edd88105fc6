//! Forwarded headers through the router: believed from trusted peers only.

use privacy_pages::assets::path as asset;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;

use crate::support::{Reply, send, send_to};

fn from_peer(peer: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8080");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::empty()).expect("request");
    let peer: SocketAddr = peer.parse().expect("socket address");
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

async fn through(peer: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(from_peer(peer, method, path, headers)).await
}

const FORWARDED: [(&str, &str); 4] = [
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "ispconfig.org"),
    ("x-forwarded-for", "203.0.113.9"),
    ("x-forwarded-prefix", "/legal"),
];

#[tokio::test]
async fn a_trusted_proxy_decides_scheme_host_and_prefix() {
    let page = through("127.0.0.1:50000", "GET", "/privacy", &FORWARDED).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Privacy Policy - ISPConfig"),
        "host from X-Forwarded-Host"
    );
    assert!(
        page.body
            .contains("<link rel=\"canonical\" href=\"https://ispconfig.org/legal/privacy\">")
    );
    assert!(page.body.contains(&format!(
        "<link rel=\"stylesheet\" href=\"/legal{}\">",
        asset("style.css")
    )));
    assert!(page.body.contains(&format!(
        "<script src=\"/legal{}\" data-base=\"/legal\"",
        asset("consent.js")
    )));

    let optout = through(
        "127.0.0.1:50000",
        "POST",
        "/optout/carbon",
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "octoprint.org"),
            ("x-forwarded-prefix", "/legal"),
        ],
    )
    .await;
    assert_eq!(optout.status, 303);
    assert_eq!(
        optout.header("location"),
        Some("/legal/privacy?optout=carbon")
    );
    let cookie = optout.header("set-cookie").expect("cookie");
    assert!(cookie.contains("; Secure;"), "{cookie}");
}

#[tokio::test]
async fn anyone_else_cannot_claim_https_or_another_host() {
    let page = through("198.51.100.7:50000", "GET", "/privacy", &FORWARDED).await;
    assert!(
        page.body
            .contains("This document was last updated on October 20, 2022."),
        "octoprint.org: the default site"
    );
    assert!(
        page.body
            .contains("<link rel=\"canonical\" href=\"http://octoprint.org/privacy\">")
    );
    assert!(page.body.contains(&format!(
        "<link rel=\"stylesheet\" href=\"{}\">",
        asset("style.css")
    )));
    let optout = through("198.51.100.7:50000", "POST", "/optout/carbon", &FORWARDED).await;
    let cookie = optout.header("set-cookie").expect("cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(optout.header("location"), Some("/privacy?optout=carbon"));
}

#[tokio::test]
async fn the_standard_forwarded_header_works_too() {
    let page = through(
        "[::1]:50000",
        "GET",
        "/privacy",
        &[(
            "forwarded",
            "for=203.0.113.9;proto=https;host=simplyprint.io",
        )],
    )
    .await;
    assert!(page.body.contains("SimplyPrint privacy policy"));
    assert!(
        page.body
            .contains("href=\"https://simplyprint.io/privacy\"")
    );
}

#[tokio::test]
async fn base_path_mounts_everything_under_it() {
    let library =
        privacy_pages::content::load(&privacy_pages::content::Source::Embedded).expect("content");
    let app = privacy_pages::app(privacy_pages::AppState::new(library).with_base_path("/legal/"));
    let get = |path: &str| {
        Request::get(path)
            .header("host", "octoprint.org")
            .body(Body::empty())
            .expect("request")
    };
    let page = send_to(app.clone(), get("/legal/privacy")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("action=\"/legal/optout/carbon\""));
    assert!(
        page.body
            .contains(&format!("href=\"/legal{}\"", asset("style.css")))
    );
    assert!(
        page.body
            .contains("<link rel=\"canonical\" href=\"http://octoprint.org/legal/privacy\">")
    );
    assert_eq!(
        send_to(app.clone(), get("/legal/healthz")).await.status,
        200
    );
    assert_eq!(
        send_to(app.clone(), get("/legal/static/style.css"))
            .await
            .status,
        200
    );

    let outside = send_to(app.clone(), get("/privacy")).await;
    assert_eq!(outside.status, 404, "nothing answers outside the mount");
    assert!(
        outside
            .body
            .contains(&format!("href=\"/legal{}\"", asset("style.css"))),
        "the 404 page still finds its styles"
    );

    let optout = Request::post("/legal/optout/carbon")
        .header("host", "octoprint.org")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("return_to=%2Flegal%2Fprivacy"))
        .expect("request");
    let optout = send_to(app, optout).await;
    assert_eq!(optout.status, 303);
    assert_eq!(
        optout.header("location"),
        Some("/legal/privacy?optout=carbon")
    );
}
