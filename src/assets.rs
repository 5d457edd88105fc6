//! The stylesheet, scripts and icon under `static/`, compiled into the binary
//! so a release serves with no files beside it. Served by
//! [`crate::web::static_files`].
//!
//! Each file is also served under a fingerprinted name, `style.<hash>.css`,
//! with a hash of its contents: pages link that name, and since its bytes can
//! never change, browsers and proxies may keep it for a year (`immutable`).
//! The plain name stays available (for links from outside) with `no-cache`.
//! A fingerprint that is not the current one (a page rendered by an older
//! replica during a rolling deploy) gets the current file, also `no-cache`,
//! rather than a 404 that would leave that page unstyled.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::HeaderValue;
use include_dir::{Dir, include_dir};

static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// Hex digits of the content hash in a fingerprinted name.
const FINGERPRINT_LEN: usize = 12;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("public, no-cache");

pub struct Asset {
    pub contents: &'static [u8],
    pub content_type: HeaderValue,
    /// `/static/style.<hash>.css`, relative to the mount.
    path: String,
    fingerprint: String,
}

/// Every embedded file by its plain name (`style.css`).
static ASSETS: LazyLock<BTreeMap<&'static str, Asset>> = LazyLock::new(|| {
    STATIC
        .files()
        .filter_map(|file| {
            let name = file.path().to_str()?;
            let hash = xxhash_rust::xxh3::xxh3_64(file.contents());
            let fingerprint = format!("{hash:016x}")[..FINGERPRINT_LEN].to_owned();
            let path = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("/static/{stem}.{fingerprint}.{ext}"),
                None => format!("/static/{name}.{fingerprint}"),
            };
            let asset = Asset {
                contents: file.contents(),
                content_type: content_type(name),
                path,
                fingerprint,
            };
            Some((name, asset))
        })
        .collect()
});

fn content_type(name: &str) -> HeaderValue {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let value = match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ if mime.subtype() == "javascript" => format!("{mime}; charset=utf-8"),
        _ => mime.to_string(),
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// The fingerprinted path of a file under `static/` (`style.css` →
/// `/static/style.<hash>.css`), to be prefixed with the mount. Names come
/// from the code, not from requests; a name with no file is a bug that a
/// test catches, and links to the plain path meanwhile.
pub fn path(name: &str) -> &'static str {
    match ASSETS.get(name) {
        Some(asset) => &asset.path,
        None => {
            debug_assert!(false, "no static file {name}");
            "/static/missing"
        }
    }
}

/// The file a request path names, and how long it may be kept.
pub fn lookup(path: &str) -> Option<(&'static Asset, HeaderValue)> {
    if let Some(asset) = ASSETS.get(path) {
        return Some((asset, REVALIDATE));
    }
    // `stem.<fingerprint>.ext` (or `name.<fingerprint>` without an extension).
    let (rest, ext) = path.rsplit_once('.')?;
    let (name, fingerprint) = match rest.rsplit_once('.') {
        Some((stem, fingerprint)) if is_fingerprint(fingerprint) => {
            (format!("{stem}.{ext}"), fingerprint)
        }
        _ if is_fingerprint(ext) => (rest.to_owned(), ext),
        _ => return None,
    };
    let asset = ASSETS.get(name.as_str())?;
    let cache = if asset.fingerprint == fingerprint {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    Some((asset, cache))
}

fn is_fingerprint(text: &str) -> bool {
    text.len() == FINGERPRINT_LEN && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_pages_link_exist() {
        for name in ["style.css", "favicon.svg", "consent.js", "gtag-init.js"] {
            let path = path(name);
            assert_ne!(path, "/static/missing", "{name}");
            let (stem, ext) = name.rsplit_once('.').expect("extension");
            assert!(path.starts_with(&format!("/static/{stem}.")), "{path}");
            assert!(path.ends_with(&format!(".{ext}")), "{path}");
        }
    }

    #[test]
    fn fingerprinted_names_are_immutable_others_revalidate() {
        let current = path("style.css").trim_start_matches("/static/");
        let (asset, cache) = lookup(current).expect("current fingerprint");
        assert_eq!(cache, IMMUTABLE);
        assert_eq!(asset.contents, ASSETS["style.css"].contents);
        assert_eq!(lookup("style.css").expect("plain").1, REVALIDATE);
        assert_eq!(lookup("style.000000000000.css").expect("old").1, REVALIDATE);
        assert!(lookup("style.0000.css").is_none(), "not a fingerprint");
        assert!(lookup("nothing.000000000000.css").is_none());
        assert!(lookup("../Cargo.toml").is_none());
    }
}
