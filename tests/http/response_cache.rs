//! The response cache changes nothing a visitor receives: across sites,
//! paths, languages, consent states, encodings and proxies, a kept response
//! is byte for byte the response made afresh.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use privacy_pages::{AppState, app};

use crate::support::{bundled, send_for_bytes};

/// Status, headers (sorted, so that order does not count) and body bytes.
async fn exchange(app: &Router, request: Request<Body>) -> (u16, Vec<(String, Vec<u8>)>, Vec<u8>) {
    let (reply, body) = send_for_bytes(app.clone(), request).await;
    let mut headers: Vec<(String, Vec<u8>)> = reply
        .headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect();
    headers.sort();
    (reply.status.as_u16(), headers, body)
}

#[tokio::test]
async fn kept_responses_equal_fresh_ones() {
    let library = bundled();
    let state = AppState::new(library.clone());
    let kept = state.response_cache.clone();
    let cached = app(state);
    let fresh = app(AppState::new(library).with_response_cache(0));
    let stylesheet = privacy_pages::assets::path("style.css");

    let paths = [
        "/",
        "/privacy",
        "/privacy?lang=de",
        "/privacy?lang=en",
        "/privacy?optout=carbon",
        "/privacy/2018-05-22",
        "/privacy/versions",
        stylesheet,
        "/static/style.css",
        "/nope",
    ];
    let languages = [
        None,
        Some("de-DE,de;q=0.9,en;q=0.8"),
        Some("en"),
        Some("fr"),
        Some("de;q=0, *"),
    ];
    let consents: [&[(&str, &str)]; 4] = [
        &[],
        &[("cookie", "carbon-disable=true")],
        &[(
            "cookie",
            "session=1; ga-disable-G-PLACEHOLDER=true; carbon-disable=true",
        )],
        &[("sec-gpc", "1")],
    ];
    let encodings = [
        None,
        Some("gzip"),
        Some("gzip, br"),
        Some("gzip, deflate, br, zstd"),
    ];
    let proxies: [&[(&str, &str)]; 2] = [
        &[],
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-prefix", "/legal"),
        ],
    ];
    let mut compared = 0;
    let mut revalidated = 0;
    for host in ["octoprint.org", "ispconfig.org", "unknown.example"] {
        for path in paths {
            for language in languages {
                for consent in consents {
                    for encoding in encodings {
                        for proxy in proxies {
                            let request_if = |tag: Option<&[u8]>| {
                                let mut request = Request::get(path).header("host", host);
                                if let Some(tag) = tag {
                                    request = request.header("if-none-match", tag);
                                }
                                if let Some(language) = language {
                                    request = request.header("accept-language", language);
                                }
                                if let Some(encoding) = encoding {
                                    request = request.header("accept-encoding", encoding);
                                }
                                for (name, value) in consent.iter().chain(proxy.iter()) {
                                    request = request.header(*name, *value);
                                }
                                let mut request = request.body(Body::empty()).expect("request");
                                request
                                    .extensions_mut()
                                    .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
                                request
                            };
                            let expected = exchange(&fresh, request_if(None)).await;
                            // Twice: the first fills the cache, the second is served from it.
                            for round in 0..2 {
                                let got = exchange(&cached, request_if(None)).await;
                                assert!(
                                    got == expected,
                                    "{host}{path} {language:?} {consent:?} {encoding:?} {proxy:?} round {round}: \
                                     status {} vs {}, headers {:?} vs {:?}",
                                    got.0,
                                    expected.0,
                                    got.1,
                                    expected.1
                                );
                            }
                            // Revalidation: the tag just received, and another.
                            let tag = expected.1.iter().find(|(name, _)| name == "etag");
                            for tag in tag
                                .map(|(_, tag)| tag.as_slice())
                                .into_iter()
                                .chain([&b"\"other\""[..]])
                            {
                                let expected = exchange(&fresh, request_if(Some(tag))).await;
                                let got = exchange(&cached, request_if(Some(tag))).await;
                                assert!(
                                    got == expected,
                                    "{host}{path} {language:?} {consent:?} {encoding:?} {proxy:?} If-None-Match {tag:?}: \
                                     status {} vs {}, headers {:?} vs {:?}",
                                    got.0,
                                    expected.0,
                                    got.1,
                                    expected.1
                                );
                                if expected.0 == 304 {
                                    revalidated += 1;
                                }
                            }
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(compared, 3 * 10 * 5 * 4 * 4 * 2);
    assert!(revalidated > compared / 2, "{revalidated} answered 304");
    // Pages and the current stylesheet are kept; what depends on the query
    // (`optout=`), outdated files and 404s are not. Languages and consent
    // states collapse: far fewer entries than requests.
    assert!(kept.len() > 100, "{} kept", kept.len());
    assert!(kept.len() < compared / 2, "{} kept", kept.len());
    let page = |host: &str, path: &str, encoding: &str| {
        Request::get(path)
            .header("host", host)
            .header("accept-encoding", encoding)
            .body(Body::empty())
            .expect("request")
    };
    // The key is what the request means: the same page in the same coding,
    // however the path is escaped or the coding asked for, is one entry.
    let before = kept.len();
    for (path, encoding) in [
        ("/privacy", "br;q=1.0, gzip;q=0.5"),
        ("/%70rivacy", "gzip, br"),
        ("/%70%72ivacy", "BR, deflate"),
        ("/privacy", "x-gzip"),
        ("/%70rivacy", "gzip;q=0.9, identity"),
        ("/privacy", "deflate"),
        ("/privacy", "br;q=0, gzip;q=0"),
    ] {
        exchange(&cached, page("octoprint.org", path, encoding)).await;
    }
    assert_eq!(kept.len(), before, "no new entries for equivalent requests");
    exchange(&cached, page("foosel.net", "/%70rivacy", "br")).await;
    assert_eq!(kept.len(), before + 1, "a page not seen before is kept");
    exchange(
        &cached,
        page("foosel.net", "/%70rivacy", "gzip, deflate, br, zstd"),
    )
    .await;
    assert_eq!(kept.len(), before + 2, "kept in zstd too");
    exchange(&cached, page("foosel.net", "/privacy", "ZSTD, br;q=0.9")).await;
    assert_eq!(kept.len(), before + 2, "one entry for zstd however asked");
}
