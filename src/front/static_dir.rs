//! A built static site (Jekyll's `_site`, Hugo's `public/`), served the way
//! static hosts serve one: `/about/` is `about/index.html`, `/about` is a
//! `301` to `/about/` when only the folder exists, `/page` is `page.html`
//! when that exists, and a miss is the site's own `404.html` with status
//! 404. tower-http's `ServeFile` sends the file it names: media type,
//! `Range`, `Last-Modified` and `304`, precompressed `.zst`/`.br`/`.gz` siblings.
//!
//! Nothing outside `root` is ever sent: `..`, hidden files (`.git`, `.env`;
//! `.well-known` excepted) and symbolic links that lead out of the folder
//! are a 404.
//!
//! HTML is gated per visitor, so its validator is not the file's: a weak
//! `ETag` over the file's length and time, the content generation and what
//! this visitor allows. A visitor who opts out never gets a `304` for the
//! page they saw with the service in it.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
    LAST_MODIFIED, LOCATION, RANGE,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use headers::{ETag, HeaderMapExt, IfNoneMatch};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::request::visit::Visit;
use crate::web::error::AppError;

/// What a request path names in the folder.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Lookup {
    File(PathBuf),
    /// A folder asked for without its `/`: the relative `Location` that adds it.
    AddSlash(String),
    NotFound,
}

pub async fn serve(root: &Path, visit: &Visit, request: Request) -> Response {
    match resolve(root, request.uri().path()) {
        (Lookup::File(file), meta) => send(file, meta, visit, request, StatusCode::OK).await,
        (Lookup::AddSlash(location), _) => {
            let location = match request.uri().query() {
                Some(query) => format!("{location}?{query}"),
                None => location,
            };
            match HeaderValue::try_from(location) {
                Ok(location) => {
                    (StatusCode::MOVED_PERMANENTLY, [(LOCATION, location)]).into_response()
                }
                Err(_) => AppError::not_found(visit).into_response(),
            }
        }
        (Lookup::NotFound, _) => match resolve(root, "/404.html") {
            (Lookup::File(page), meta) => {
                send(page, meta, visit, request, StatusCode::NOT_FOUND).await
            }
            _ => AppError::not_found(visit).into_response(),
        },
    }
}

/// Resolves `path` (as requested, percent-encoded) under `root`, which is
/// canonical, with the file's metadata when it was read on the way.
///
/// With `std::fs`, on the request's own thread, as nginx's worker does: a
/// few `lstat`s of files in the page cache take microseconds, where a hop
/// to tokio's blocking pool for each would cost more than the call. The
/// common case, a path without links, walks down from `root` one `lstat`
/// per level (two for `/blog/`); a path with a link on it is resolved whole
/// and checked to stay inside ([`inside`]).
pub(super) fn resolve(root: &Path, path: &str) -> (Lookup, Option<Metadata>) {
    let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() else {
        return (Lookup::NotFound, None);
    };
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    for segment in &segments {
        let hidden = segment.starts_with('.') && *segment != ".well-known";
        if hidden || segment.contains(['\\', '\0']) {
            return (Lookup::NotFound, None);
        }
    }
    let slash = decoded.ends_with('/');
    let mut step = root.to_path_buf();
    let mut last_meta = None;
    for (index, segment) in segments.iter().enumerate() {
        step.push(segment);
        let last = index + 1 == segments.len();
        match std::fs::symlink_metadata(&step) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return (linked(root, &decoded, path), None);
            }
            Ok(meta) if meta.is_dir() => last_meta = Some(meta),
            Ok(meta) if last && meta.is_file() && !slash => {
                return (Lookup::File(step), Some(meta));
            }
            Ok(_) => return (Lookup::NotFound, None),
            // `/page` is `page.html` when that exists.
            Err(_) if last && !slash => {
                let mut html = step.into_os_string();
                html.push(".html");
                return plain_file(root, PathBuf::from(html), &decoded, path);
            }
            Err(_) => return (Lookup::NotFound, None),
        }
    }
    // A folder (or the root): its index.html, once the path ends in `/`;
    // `/about` is `about.html` if there is one, else a redirect to `about/`.
    if !slash && last_meta.is_some() {
        let mut html = step.clone().into_os_string();
        html.push(".html");
        if let (found @ Lookup::File(_), meta) =
            plain_file(root, PathBuf::from(html), &decoded, path)
        {
            return (found, meta);
        }
        let last = decoded.rsplit('/').next().unwrap_or_default();
        let encoded = path.rsplit('/').next().unwrap_or(last);
        return (Lookup::AddSlash(format!("{encoded}/")), None);
    }
    plain_file(root, step.join("index.html"), &decoded, path)
}

/// `file` by one `lstat`: a regular file, or behind a link (resolved whole).
fn plain_file(root: &Path, file: PathBuf, decoded: &str, path: &str) -> (Lookup, Option<Metadata>) {
    match std::fs::symlink_metadata(&file) {
        Ok(meta) if meta.file_type().is_symlink() => (linked(root, decoded, path), None),
        Ok(meta) if meta.is_file() => (Lookup::File(file), Some(meta)),
        _ => (Lookup::NotFound, None),
    }
}

/// The slow way, for a path with a link on it: what it names once every
/// link is followed, if that is inside `root`.
fn linked(root: &Path, decoded: &str, path: &str) -> Lookup {
    let relative: PathBuf = decoded.split('/').filter(|s| !s.is_empty()).collect();
    let candidate = root.join(&relative);
    let file = match std::fs::metadata(&candidate) {
        Ok(meta) if meta.is_dir() => {
            if !decoded.ends_with('/') {
                let last = decoded.rsplit('/').next().unwrap_or_default();
                let encoded = path.rsplit('/').next().unwrap_or(last);
                return Lookup::AddSlash(format!("{encoded}/"));
            }
            candidate.join("index.html")
        }
        Ok(_) if decoded.ends_with('/') => return Lookup::NotFound,
        Ok(_) => candidate,
        Err(_) if decoded.ends_with('/') || relative.as_os_str().is_empty() => {
            return Lookup::NotFound;
        }
        Err(_) => {
            let mut html = candidate.into_os_string();
            html.push(".html");
            PathBuf::from(html)
        }
    };
    inside(root, &file)
}

/// `file` if it is a regular file inside `root`, every link on the way
/// resolved. Each step under `root` is checked with `lstat` (the root
/// itself is canonical already); only a path that holds a link is resolved
/// whole. So a plain file costs one `lstat` per folder level, not a
/// `realpath` of the whole path.
fn inside(root: &Path, file: &Path) -> Lookup {
    let Ok(relative) = file.strip_prefix(root) else {
        return Lookup::NotFound;
    };
    let mut step = root.to_path_buf();
    let mut linked = false;
    let mut last = None;
    for part in relative.components() {
        step.push(part);
        match std::fs::symlink_metadata(&step) {
            Ok(meta) => {
                linked |= meta.file_type().is_symlink();
                last = Some(meta);
            }
            Err(_) => return Lookup::NotFound,
        }
    }
    if !linked {
        return match last {
            Some(meta) if meta.is_file() => Lookup::File(file.to_path_buf()),
            _ => Lookup::NotFound,
        };
    }
    match std::fs::canonicalize(file) {
        Ok(real) if real.starts_with(root) => match std::fs::metadata(&real) {
            Ok(meta) if meta.is_file() => Lookup::File(real),
            _ => Lookup::NotFound,
        },
        Ok(_) => {
            tracing::warn!("a symbolic link in the site's root leads out of it; answered 404");
            Lookup::NotFound
        }
        Err(_) => Lookup::NotFound,
    }
}

pub(super) fn is_html(file: &Path) -> bool {
    file.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm"))
}

/// `file`, with the metadata the lookup read on the way (read now when it
/// followed a link and has none).
async fn send(
    file: PathBuf,
    meta: Option<Metadata>,
    visit: &Visit,
    mut request: Request,
    status: StatusCode,
) -> Response {
    let html = is_html(&file);
    let validator = if html {
        let Some(meta) = meta.or_else(|| std::fs::metadata(&file).ok()) else {
            return AppError::not_found(visit).into_response();
        };
        let etag = gated_etag(&meta, visit, status);
        if status == StatusCode::OK
            && let (Some(if_none_match), Some(typed)) = (
                request.headers().typed_get::<IfNoneMatch>(),
                etag.to_str().ok().and_then(|t| t.parse::<ETag>().ok()),
            )
            && !if_none_match.precondition_passes(&typed)
        {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            response.headers_mut().insert(ETAG, etag);
            return response;
        }
        // The bytes sent are the page as gated: no range of the file, no
        // validator of the file.
        for name in [
            IF_MODIFIED_SINCE,
            IF_NONE_MATCH,
            IF_RANGE,
            RANGE,
            IF_MATCH,
            IF_UNMODIFIED_SINCE,
        ] {
            request.headers_mut().remove(name);
        }
        Some(etag)
    } else {
        None
    };
    let serve = if html {
        ServeFile::new(&file)
    } else {
        ServeFile::new(&file)
            .precompressed_zstd()
            .precompressed_br()
            .precompressed_gzip()
    };
    let Ok(response) = serve.oneshot(request).await;
    let mut response = response.map(Body::new);
    if response.status() == StatusCode::OK && status != StatusCode::OK {
        *response.status_mut() = status;
    }
    if let Some(etag) = validator {
        let headers = response.headers_mut();
        headers.remove(LAST_MODIFIED);
        if status == StatusCode::OK {
            headers.insert(ETAG, etag);
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }
    response
}

/// A weak validator of the page this visitor gets from `meta`'s file.
fn gated_etag(meta: &Metadata, visit: &Visit, status: StatusCode) -> HeaderValue {
    use std::hash::Hasher;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.write(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.write_u64(meta.len());
    if let Ok(modified) = meta.modified()
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        hasher.write_u128(since.as_nanos());
    }
    hasher.write_u64(visit.generation);
    hasher.write_u16(status.as_u16());
    hasher.write(visit.base.as_bytes());
    for service in visit.site.services.values() {
        hasher.write(service.id.as_str().as_bytes());
        hasher.write_u8(u8::from(visit.consent.allows(&service.id)));
    }
    HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish()))
        .unwrap_or(HeaderValue::from_static("W/\"0\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(root: &Path, path: &str) -> Lookup {
        resolve(root, path).0
    }

    fn site(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        (dir, root)
    }

    #[test]
    fn paths_resolve_as_on_a_static_host() {
        let (_dir, root) = site(&[
            ("index.html", "home"),
            ("about/index.html", "about"),
            ("page.html", "page"),
            ("a b/c.txt", "c"),
            ("docs/only-folder/x.txt", "x"),
            ("both/index.html", "folder"),
            ("both.html", "file"),
            (".git/config", "secret"),
            (".well-known/security.txt", "contact"),
        ]);
        let file = |path: &str| Lookup::File(root.join(path));
        assert_eq!(lookup(&root, "/"), file("index.html"));
        assert_eq!(lookup(&root, "/about/"), file("about/index.html"));
        assert_eq!(lookup(&root, "/about"), Lookup::AddSlash("about/".into()));
        assert_eq!(lookup(&root, "/page"), file("page.html"));
        assert_eq!(
            lookup(&root, "/both"),
            file("both.html"),
            "as nginx's try_files $uri.html"
        );
        assert_eq!(lookup(&root, "/both/"), file("both/index.html"));
        assert_eq!(lookup(&root, "/page.html"), file("page.html"));
        assert_eq!(lookup(&root, "/page/"), Lookup::NotFound);
        assert_eq!(lookup(&root, "/a%20b/c.txt"), file("a b/c.txt"));
        assert_eq!(
            lookup(&root, "/docs/only-folder/"),
            Lookup::NotFound,
            "a folder without index.html is no page"
        );
        assert_eq!(lookup(&root, "/.git/config"), Lookup::NotFound);
        assert_eq!(
            lookup(&root, "/.well-known/security.txt"),
            file(".well-known/security.txt")
        );
        for escape in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/about/..%2f..%2fetc",
            "/x%00",
        ] {
            assert_eq!(lookup(&root, escape), Lookup::NotFound, "{escape}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_are_not_followed() {
        let (_outside, outside) = site(&[("secret.html", "secret")]);
        let (_dir, root) = site(&[("inside.html", "inside")]);
        std::os::unix::fs::symlink(outside.join("secret.html"), root.join("leak.html"))
            .expect("link");
        std::os::unix::fs::symlink(&outside, root.join("elsewhere")).expect("link");
        std::os::unix::fs::symlink(root.join("inside.html"), root.join("alias.html"))
            .expect("link");
        assert_eq!(lookup(&root, "/leak.html"), Lookup::NotFound);
        assert_eq!(lookup(&root, "/leak"), Lookup::NotFound);
        assert_eq!(lookup(&root, "/elsewhere/secret.html"), Lookup::NotFound);
        assert_eq!(
            lookup(&root, "/alias.html"),
            Lookup::File(root.join("inside.html"))
        );
    }
}
