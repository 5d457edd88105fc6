//! Any Cookie header bytes → consent state. Never panics, and a header that
//! carries an opt-out cookie never allows that service.
#![no_main]

use std::sync::{Arc, LazyLock};

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use privacy_pages::consent::Consent;
use privacy_pages::content::{self, ServiceId, Site};

static SITE: LazyLock<Arc<Site>> = LazyLock::new(|| {
    let library = content::load(&content::Source::Embedded).expect("bundled content");
    Arc::clone(library.site_for_host(Some("octoprint.org")))
});

fuzz_target!(|data: &[u8]| {
    // The first byte chooses whether the opt-out cookie is appended.
    let Some((&with_opt_out, rest)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    for part in rest.split(|&b| b == 0) {
        if let Ok(value) = HeaderValue::from_bytes(part) {
            headers.append(COOKIE, value);
        }
    }
    if with_opt_out & 1 == 1 {
        headers.append(COOKIE, HeaderValue::from_static("carbon-disable=true"));
    }
    let carbon: ServiceId = "carbon".parse().expect("id");
    let consent = Consent::read(&headers, &SITE);
    if with_opt_out & 1 == 1 {
        assert!(!consent.allows(&carbon), "{headers:?}");
    }
});
