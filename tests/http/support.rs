//! Shared helpers: the app on bundled content, requests, and an HTML checker.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use privacy_pages::content::{self, Library, Source};
use privacy_pages::{AppState, app as full_app};
use tower::ServiceExt;

static BUNDLED: LazyLock<Library> =
    LazyLock::new(|| content::load(&Source::Embedded).expect("bundled content loads"));

pub fn app() -> Router {
    full_app(AppState::new(BUNDLED.clone()))
}

/// The app on `tests/fixtures/valid/`: a German-default site whose current
/// policy is German only, for cases the bundled content does not have.
pub fn fixture_app() -> Router {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    full_app(AppState::new(
        content::load(&Source::Dir(dir)).expect("valid fixture"),
    ))
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every field of a header that may repeat (`Vary`), joined with `, `.
    pub fn header_all(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `GET path` with the given headers.
pub async fn get(path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(request.body(Body::empty()).expect("valid request")).await
}

pub async fn send(request: Request<Body>) -> Reply {
    send_to(app(), request).await
}

pub async fn send_to(app: Router, request: Request<Body>) -> Reply {
    let response = app.oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

/// Fails unless every element in `html` is closed in order (void elements
/// aside) and no stray closing tag appears: the page is well-formed.
pub fn assert_well_formed(html: &str) {
    const VOID: [&str; 8] = ["br", "hr", "img", "input", "link", "meta", "wbr", "source"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = &after[after.find("-->").expect("closed comment") + 3..];
            continue;
        }
        let end = rest.find('>').expect("closed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if closing {
            let open = stack.pop();
            assert_eq!(
                open.as_deref(),
                Some(name.as_str()),
                "stray </{name}> in:\n{html}"
            );
        } else if !VOID.contains(&name.as_str()) && !tag.ends_with('/') {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

/// A page with its asset fingerprints replaced by `FINGERPRINT`, so that
/// snapshots do not change with every edit to the stylesheet.
pub fn without_fingerprints(body: &str) -> String {
    ["style.css", "favicon.svg", "consent.js", "gtag-init.js"]
        .into_iter()
        .fold(body.to_owned(), |body, name| {
            let (stem, ext) = name.rsplit_once('.').expect("extension");
            body.replace(
                privacy_pages::assets::path(name),
                &format!("/static/{stem}.FINGERPRINT.{ext}"),
            )
        })
}

/// `GET path`, with the body as bytes (for compressed responses).
pub async fn get_bytes(path: &str, headers: &[(&str, &str)]) -> (Reply, Vec<u8>) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app()
        .oneshot(request.body(Body::empty()).expect("valid request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    let reply = Reply {
        status,
        headers,
        body: String::new(),
    };
    (reply, bytes)
}
