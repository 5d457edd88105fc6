//! The per-request work around a page: reading the visitor's language
//! preferences and consent state from their headers, and a whole request
//! through the app (`oneshot`, no socket) with a browser's typical headers,
//! answered from the response cache and made afresh. Ratios within one run
//! say what a kept response saves and what the header parsing costs of it.

#![allow(
    clippy::expect_used,
    reason = "benchmark: a failed setup step should stop the run"
)]

mod common;

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request};
use criterion::{Criterion, criterion_group, criterion_main};
use privacy_pages::consent::Consent;
use privacy_pages::content::{self, Source};
use privacy_pages::lang::Lang;
use privacy_pages::request::negotiate::LangPrefs;
use privacy_pages::{AppState, app};

const SESSION_COOKIE: &str =
    "_session=4f1c2a9be07d4c5e8a3b6f0d2e1c7a95; theme=dark; seen_notice=2024-05-01";

fn negotiation(c: &mut Criterion) {
    let mut group = c.benchmark_group("accept_language");
    for (name, header) in [
        ("typical_de", "de-DE,de;q=0.9,en;q=0.8"),
        ("typical_en", "en-US,en;q=0.5"),
        ("unserved", "fr-CH, fr;q=0.9, it;q=0.8, *;q=0.5"),
        (
            "long",
            "zh-Hant-TW,zh;q=0.9,ja;q=0.8,ko;q=0.7,fr;q=0.6,es;q=0.5,pt-BR;q=0.4,it;q=0.3,nl;q=0.2,de;q=0.1",
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let prefs = LangPrefs::from_header(Some(black_box(header)));
                black_box(prefs.choose(&Lang::ALL, Lang::En))
            });
        });
    }
    group.bench_function("typical_de_signature", |b| {
        b.iter(|| {
            black_box(
                LangPrefs::from_header(Some(black_box("de-DE,de;q=0.9,en;q=0.8"))).signature(),
            )
        });
    });
    group.finish();
}

fn consent(c: &mut Criterion) {
    let library = content::load(&Source::Embedded).expect("bundled content");
    let site = library.site_for_host(Some("octoprint.org")).clone();
    let mut group = c.benchmark_group("cookie_consent");
    for (name, cookie, gpc) in [
        ("none", None, false),
        ("typical", Some(SESSION_COOKIE.to_owned()), false),
        (
            "opted_out",
            Some(format!("{SESSION_COOKIE}; carbon-disable=true")),
            false,
        ),
        ("gpc", Some(SESSION_COOKIE.to_owned()), true),
    ] {
        let mut headers = HeaderMap::new();
        if let Some(cookie) = cookie {
            headers.insert("cookie", HeaderValue::from_str(&cookie).expect("header"));
        }
        if gpc {
            headers.insert("sec-gpc", HeaderValue::from_static("1"));
        }
        group.bench_function(name, |b| {
            b.iter(|| black_box(Consent::read(black_box(&headers), &site)));
        });
    }
    group.finish();
}

async fn privacy(app: &Router, encoding: Option<&str>) -> axum::body::Bytes {
    let mut request = Request::get("/privacy")
        .header("host", "octoprint.org")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        )
        .header(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .header("accept-language", "de-DE,de;q=0.9,en;q=0.8")
        .header("cookie", SESSION_COOKIE);
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    common::body_of(app, request.body(Body::empty()).expect("request")).await
}

fn router(c: &mut Criterion) {
    let runtime = common::runtime();
    let library = content::load(&Source::Embedded).expect("bundled content");
    let kept = app(AppState::new(library.clone()));
    let fresh = app(AppState::new(library).with_response_cache(0));
    let mut group = c.benchmark_group("router_privacy");
    for (name, app, encoding) in [
        ("kept", &kept, None),
        ("kept_gzip_br", &kept, Some("gzip, br")),
        ("fresh", &fresh, None),
        ("fresh_gzip_br", &fresh, Some("gzip, br")),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| privacy(app, encoding));
        });
    }
    group.finish();
}

criterion_group!(benches, negotiation, consent, router);
criterion_main!(benches);
