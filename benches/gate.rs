//! The script gate's cost on the largest page (the 2018 German policy):
//! the pure rewrite alone, and a whole request with and without the layer,
//! so the overhead can be read as a ratio within one run.

#![allow(
    clippy::expect_used,
    reason = "benchmark: a failed setup step should stop the run"
)]

mod common;

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use privacy_pages::consent::Consent;
use privacy_pages::content::{self, Source};
use privacy_pages::gate::{Injection, rewrite};
use privacy_pages::{AppState, app};

const LARGEST: &str = "/privacy/2018-05-22?lang=de";

async fn fetch(app: &Router, cookie: Option<&str>) -> axum::body::Bytes {
    let mut request = Request::get(LARGEST).header("host", "octoprint.org");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    common::body_of(app, request.body(Body::empty()).expect("request")).await
}

fn gate(c: &mut Criterion) {
    let runtime = common::runtime();
    let library = content::load(&Source::Embedded).expect("bundled content");
    let site = library.site_for_host(Some("octoprint.org")).clone();
    // The response cache off: every request goes through the gate.
    let app = app(AppState::new(library).with_response_cache(0));
    let page = runtime.block_on(fetch(&app, None));

    let mut group = c.benchmark_group("gate");
    group.bench_function("rewrite_largest_page", |b| {
        let injection = Injection::for_visitor(&site, &Consent::default(), "");
        b.iter(|| black_box(rewrite(black_box(&page), &injection).expect("rewrites")));
    });
    group.bench_function("request_largest_page", |b| {
        b.to_async(&runtime).iter(|| fetch(&app, None));
    });
    group.bench_function("request_largest_page_opted_out", |b| {
        b.to_async(&runtime).iter(|| {
            fetch(
                &app,
                Some("carbon-disable=true; ga-disable-G-PLACEHOLDER=true"),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, gate);
criterion_main!(benches);
