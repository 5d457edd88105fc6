//! Any `return_to`: what is accepted stays on this site, as a browser would
//! resolve it, and is a valid header value.
#![no_main]

use axum::http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use privacy_pages::consent::safe_return_to;

fuzz_target!(|raw: &str| {
    if let Some(target) = safe_return_to(raw) {
        assert!(target.starts_with('/') && !target.starts_with("//"), "{raw:?} -> {target:?}");
        assert!(!target.contains('\\'), "{raw:?} -> {target:?}");
        let origin = url::Url::parse("https://site.example/privacy").expect("url");
        let resolved = origin.join(&target).expect("resolvable");
        assert_eq!(resolved.origin(), origin.origin(), "{raw:?} -> {target:?}");
        assert!(HeaderValue::from_str(&target).is_ok(), "{raw:?} -> {target:?}");
    }
});
