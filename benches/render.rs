//! Rendering cost per page: a request through the whole router (site
//! selection, language choice, template) for each seed policy, with content
//! loaded once beforehand as at start-up. Content loading is measured
//! separately: it happens once per process, not per request.

#![allow(
    clippy::expect_used,
    reason = "benchmark: a failed setup step should stop the run"
)]

mod common;

use std::hint::black_box;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use privacy_pages::content::{self, Source};
use privacy_pages::{AppState, app};

const PAGES: [(&str, &str, &str); 6] = [
    ("octoprint_2022_en", "octoprint.org", "/privacy"),
    (
        "octoprint_2018_de",
        "octoprint.org",
        "/privacy/2018-05-22?lang=de",
    ),
    (
        "octoprint_2018_en",
        "octoprint.org",
        "/privacy/2018-05-22?lang=en",
    ),
    ("foosel_en", "foosel.net", "/privacy"),
    ("ispconfig_en", "ispconfig.org", "/privacy"),
    ("simplyprint_en", "simplyprint.io", "/privacy"),
];

fn render_pages(c: &mut Criterion) {
    let runtime = common::runtime();
    let library = content::load(&Source::Embedded).expect("bundled content");
    // The response cache off: this measures the rendering it saves.
    let app = app(AppState::new(library).with_response_cache(0));
    let mut group = c.benchmark_group("render_page");
    for (name, host, path) in PAGES {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let request = Request::get(path)
                    .header("host", host)
                    .body(Body::empty())
                    .expect("request");
                black_box(common::body_of(&app, request).await)
            });
        });
    }
    group.finish();
}

fn load_content(c: &mut Criterion) {
    c.bench_function("load_bundled_content", |b| {
        b.iter(|| black_box(content::load(&Source::Embedded).expect("bundled content")));
    });
}

criterion_group!(benches, render_pages, load_content);
criterion_main!(benches);
