//! HTTP hygiene: compression, validators, caching headers.

use std::io::Read;

use privacy_pages::assets::path as asset;

use crate::support::{Reply, get};

const OCTOPRINT: (&str, &str) = ("host", "octoprint.org");

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("valid gzip");
    text
}

fn unbrotli(bytes: &[u8]) -> String {
    let mut text = String::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_string(&mut text)
        .expect("valid brotli");
    text
}

fn unzstd(bytes: &[u8]) -> String {
    String::from_utf8(zstd::decode_all(bytes).expect("valid zstd")).expect("UTF-8")
}

async fn raw(path: &str, headers: &[(&str, &str)]) -> (Reply, Vec<u8>) {
    crate::support::get_bytes(path, headers).await
}

#[tokio::test]
async fn pages_are_compressed_after_the_gate() {
    let plain = get("/privacy", &[OCTOPRINT]).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.body.contains("carbon.js"), "gated: Carbon injected");

    let (gzip, bytes) = raw("/privacy", &[OCTOPRINT, ("accept-encoding", "gzip")]).await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert!(
        bytes.len() * 2 < plain.body.len(),
        "{} of {} bytes",
        bytes.len(),
        plain.body.len()
    );
    assert_eq!(gunzip(&bytes), plain.body, "the same page, gate included");

    let (br, bytes) = raw(
        "/privacy",
        &[OCTOPRINT, ("accept-encoding", "gzip, deflate, br")],
    )
    .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(unbrotli(&bytes), plain.body);
    let vary = br.header_all("vary").to_ascii_lowercase();
    for header in ["accept-encoding", "accept-language", "cookie", "sec-gpc"] {
        assert!(vary.contains(header), "Vary: {vary}");
    }

    // What Chrome and Firefox send: zstd, the same page.
    let (zstd, bytes) = raw(
        "/privacy",
        &[OCTOPRINT, ("accept-encoding", "gzip, deflate, br, zstd")],
    )
    .await;
    assert_eq!(zstd.header("content-encoding"), Some("zstd"));
    assert_eq!(unzstd(&bytes), plain.body);

    // Opted out and compressed: still no Carbon.
    let (opted_out, bytes) = raw(
        "/privacy",
        &[
            OCTOPRINT,
            ("accept-encoding", "br"),
            ("cookie", "carbon-disable=true"),
        ],
    )
    .await;
    assert_eq!(opted_out.header("content-encoding"), Some("br"));
    let page = unbrotli(&bytes);
    assert!(!page.contains("carbon.js"));
    assert!(page.contains("plausible.octoprint.org/js/script.js"));
}

#[tokio::test]
async fn strong_etags_and_304() {
    let page = get("/privacy", &[OCTOPRINT]).await;
    let etag = page.header("etag").expect("ETag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    assert_eq!(page.header("cache-control"), Some("private, no-cache"));

    let again = get("/privacy", &[OCTOPRINT]).await;
    assert_eq!(again.header("etag"), Some(etag.as_str()), "stable");

    let unchanged = get("/privacy", &[OCTOPRINT, ("if-none-match", &etag)]).await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.body.is_empty());
    assert_eq!(unchanged.header("etag"), Some(etag.as_str()));
    assert_eq!(unchanged.header("cache-control"), Some("private, no-cache"));
    assert!(unchanged.header_all("vary").contains("Cookie"));

    let listed = format!("\"other\", W/{etag}");
    let weak = get("/privacy", &[OCTOPRINT, ("if-none-match", &listed)]).await;
    assert_eq!(weak.status, 304, "If-None-Match compares weakly");

    let stale = get("/privacy", &[OCTOPRINT, ("if-none-match", "\"stale\"")]).await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, page.body);

    // Another representation, another tag: per encoding, per consent state.
    let (gzip, _) = raw("/privacy", &[OCTOPRINT, ("accept-encoding", "gzip")]).await;
    let gzip_etag = gzip.header("etag").expect("ETag");
    assert_ne!(gzip_etag, etag);
    let opted_out = get("/privacy", &[OCTOPRINT, ("cookie", "carbon-disable=true")]).await;
    assert_ne!(opted_out.header("etag"), Some(etag.as_str()));
    // The opted-out visitor's cached copy is not revalidated as the full page.
    let switched = get(
        "/privacy",
        &[
            OCTOPRINT,
            ("cookie", "carbon-disable=true"),
            ("if-none-match", &etag),
        ],
    )
    .await;
    assert_eq!(switched.status, 200);
    assert!(!switched.body.contains("carbon.js"));
}

#[tokio::test]
async fn cache_control_by_kind_of_response() {
    let fingerprinted = get(asset("style.css"), &[]).await;
    assert_eq!(fingerprinted.status, 200);
    assert_eq!(
        fingerprinted.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(fingerprinted.header("etag").is_some());

    let plain = get("/static/style.css", &[]).await;
    assert_eq!(plain.header("cache-control"), Some("public, no-cache"));
    assert_eq!(plain.body, fingerprinted.body);

    let old = get("/static/style.0123456789ab.css", &[]).await;
    assert_eq!(old.status, 200, "an older page's stylesheet still loads");
    assert_eq!(old.header("cache-control"), Some("public, no-cache"));

    let missing = get("/nope", &[]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("cache-control"), Some("no-store"));
    assert_eq!(missing.header("etag"), None);
}
