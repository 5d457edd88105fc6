//! Finished responses, kept in memory and served again to every visitor for
//! whom they would come out byte for byte the same.
//!
//! A page depends on few things: the content generation, the site, the path,
//! how the visitor reached it (scheme, a proxy's prefix), what language
//! negotiation decides for them, their consent state, and the encoding they
//! accept. Each has few values, so the combinations are few, and the work
//! of a request (render, gate, compress) can be done once per combination.
//! The key holds what the request *means* (the negotiated languages, the
//! consent state), not the raw headers, so a visitor's other cookies or a
//! differently worded Accept-Language share the entry.
//!
//! Only what is bounded is cached: `GET`, status 200, pages and current
//! fingerprinted files (`immutable`), paths with no query but `lang=`. The
//! map is capped, by count and by the bytes kept; when full, or when the
//! content generation changes, it starts over. The cost of a miss is what a request cost before; a hit
//! costs a hash lookup and a copy of the headers.
//!
//! The layer sits outside everything that only finishes a response (the
//! security headers, validators, the request timeout, load shedding), so a
//! kept response is kept finished and a hit skips all of them: `304`s are
//! answered here from the kept `ETag`, and a request answered from memory
//! is never shed, because it costs no work worth shedding.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, IF_MODIFIED_SINCE, IF_RANGE, RANGE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::body::read_bounded;
use crate::consent::Consent;
use crate::lang::Lang;
use crate::layers::revalidate::{self, REVALIDATE};
use crate::request::visit::Visit;
use headers::{HeaderMapExt, IfNoneMatch};

/// Responses larger than this are not kept.
const MAX_BODY: usize = 1024 * 1024;
/// The bodies kept, all together, stay under this: the count of entries
/// alone would let every combination of the key hold the largest page.
const MAX_KEPT_BYTES: usize = 8 * 1024 * 1024;

/// What a response depends on. Two requests with equal keys get equal responses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    generation: u64,
    /// The site's identity within this generation.
    site: usize,
    path_and_query: Box<str>,
    https: bool,
    /// Whether refreshed opt-out cookies carry the site's `Domain`: hosts
    /// of one site may differ in it (a name inside it, an address outside).
    in_cookie_domain: bool,
    /// The mount, which a proxy's prefix changes.
    base: Arc<str>,
    languages: (Option<Lang>, Vec<Lang>),
    consent: Consent,
    /// The content coding the response has (`br`, `gzip`, or `""`).
    coding: &'static str,
    /// On a fronted site, the identity of the file the answer was made
    /// from ([`crate::front::kept_file`]); 0 for privacy-pages' own pages.
    file: u64,
}

/// A response as it left the layers below, ready to be sent again.
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Stored {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// The kept responses, shared by every clone of the app.
#[derive(Clone)]
pub struct ResponseCache {
    capacity: usize,
    entries: Arc<RwLock<Entries>>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Arc<Stored>>,
    /// The sum of the bodies' lengths.
    bytes: usize,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl ResponseCache {
    /// A cache of at most `capacity` responses; 0 turns it off.
    pub fn new(capacity: usize) -> Self {
        ResponseCache {
            capacity,
            entries: Arc::default(),
        }
    }

    /// How many responses are kept now.
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.map.len()).unwrap_or(0)
    }

    /// How many body bytes are kept now.
    pub fn kept_bytes(&self) -> usize {
        self.entries.read().map(|e| e.bytes).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key for `parts`, or `None` if the response must be made afresh.
    fn key(&self, parts: &axum::http::request::Parts) -> Option<Key> {
        if self.capacity == 0 || parts.method != Method::GET || !cacheable_query(parts) {
            return None;
        }
        // Decided already (see `crate::request::normalize`): one coding or none.
        let coding = match parts.headers.get(ACCEPT_ENCODING).map(|v| v.as_bytes()) {
            None => "",
            Some(b"zstd") => "zstd",
            Some(b"br") => "br",
            Some(b"gzip") => "gzip",
            Some(_) => return None,
        };
        let visit = parts.extensions.get::<Visit>()?;
        Some(Key {
            generation: visit.generation,
            site: Arc::as_ptr(&visit.site) as usize,
            path_and_query: parts
                .uri
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/")
                .into(),
            https: visit.https,
            in_cookie_domain: visit.in_cookie_domain,
            base: visit.base.clone(),
            languages: visit.langs.signature(),
            consent: visit.consent.clone(),
            coding,
            file: 0,
        })
    }

    fn get(&self, key: &Key) -> Option<Arc<Stored>> {
        self.entries.read().ok()?.map.get(key).cloned()
    }

    /// Keeps `stored`, first starting over if the content changed or the
    /// cache is full (by count or by bytes): simpler than evicting one by
    /// one, and what was dropped is made again on the next request for it.
    fn insert(&self, key: Key, stored: Stored) {
        let size = stored.body.len();
        if size > MAX_KEPT_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        let stale = entries
            .map
            .keys()
            .next()
            .is_some_and(|any| any.generation != key.generation);
        if stale || entries.map.len() >= self.capacity || entries.bytes + size > MAX_KEPT_BYTES {
            *entries = Entries::default();
        }
        if let Some(old) = entries.map.insert(key, Arc::new(stored)) {
            entries.bytes -= old.body.len();
        }
        entries.bytes += size;
    }
}

/// No query, or only `lang=<code>`: anything else may be echoed into the
/// page (a form's `return_to`) and is unbounded, so it is rendered afresh.
fn cacheable_query(parts: &axum::http::request::Parts) -> bool {
    match parts.uri.query() {
        None | Some("") => true,
        Some(query) => query
            .strip_prefix("lang=")
            .is_some_and(|code| code.parse::<Lang>().is_ok()),
    }
}

/// Whether this response may be kept: a `200` that is a page (the
/// revalidation layer made it `private, no-cache`) or a current
/// fingerprinted file (`immutable`). Files under outdated fingerprints
/// (`public, no-cache`) are not: their URLs are anyone's to invent.
fn keepable(response: &Response) -> bool {
    response.status() == StatusCode::OK
        && response
            .headers()
            .get(CACHE_CONTROL)
            .is_some_and(|v| v == REVALIDATE || v.to_str().is_ok_and(|v| v.contains("immutable")))
}

/// The middleware (`from_fn_with_state(cache, serve_cached)`), outside
/// the layers that finish a response (see the module's documentation).
pub async fn serve_cached(
    State(cache): State<ResponseCache>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Some(key) = cache.key(&parts) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    serve_kept(&cache, key, parts, body, next, keepable).await
}

/// The same for the pages and files of a site privacy-pages fronts from a
/// `root`: the key also holds the identity of the file on disk, so an
/// answer is kept exactly as long as the file it was made from. Ranges and
/// `If-Modified-Since` go to the file server, which answers them.
pub async fn serve_site_cached(
    State(cache): State<ResponseCache>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let conditional = [RANGE, IF_RANGE, IF_MODIFIED_SINCE]
        .iter()
        .any(|name| parts.headers.contains_key(name));
    let key = (!conditional)
        .then(|| cache.key(&parts))
        .flatten()
        .and_then(|mut key| {
            let visit = parts.extensions.get::<Visit>()?;
            key.file = crate::front::kept_file(visit, parts.uri.path())?;
            Some(key)
        });
    let Some(key) = key else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    serve_kept(&cache, key, parts, body, next, |response| {
        response.status() == StatusCode::OK
    })
    .await
}

/// Answers from `cache` under `key`, or makes the response and keeps it if
/// `keepable` says so.
async fn serve_kept(
    cache: &ResponseCache,
    key: Key,
    parts: axum::http::request::Parts,
    body: Body,
    next: Next,
    keepable: impl Fn(&Response) -> bool,
) -> Response {
    if let Some(stored) = cache.get(&key) {
        let response = stored.response();
        return match parts.headers.typed_get::<IfNoneMatch>() {
            Some(condition) if revalidate::unchanged(&condition, response.headers()) => {
                revalidate::not_modified(response.into_parts().0)
            }
            _ => response,
        };
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    if !keepable(&response) {
        return response;
    }
    let (head, body) = response.into_parts();
    match read_bounded(body, MAX_BODY).await {
        Ok(bytes) => {
            let stored = Stored {
                status: head.status,
                headers: head.headers,
                body: bytes,
            };
            let response = stored.response();
            cache.insert(key, stored);
            response
        }
        Err(body) => Response::from_parts(head, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{self, LiveLibrary, Source};
    use crate::request::visit::VisitLayer;

    fn key(n: u64, generation: u64) -> Key {
        Key {
            generation,
            site: 0,
            path_and_query: format!("/{n}").into(),
            https: false,
            in_cookie_domain: false,
            base: Arc::from(""),
            languages: (None, vec![]),
            consent: Consent::default(),
            coding: "",
            file: 0,
        }
    }

    fn stored() -> Stored {
        sized(1)
    }

    fn sized(len: usize) -> Stored {
        Stored {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; len]),
        }
    }

    /// A repeated request is answered from the cache; one that means
    /// something else (another consent state, language, query) is not.
    #[tokio::test]
    async fn serves_again_only_what_was_asked_alike() {
        use axum::Router;
        use axum::middleware::from_fn_with_state;
        use axum::routing::get;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tower::ServiceExt;

        let library = content::load(&Source::Embedded).expect("bundled content");
        let library = LiveLibrary::new(library);
        let cache = ResponseCache::new(16);
        let rendered = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&rendered);
        let app = Router::new()
            .route(
                "/privacy",
                get(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async { "page" }
                }),
            )
            .route(
                "/static/old.css",
                get(|| async { ([(CACHE_CONTROL, "public, no-cache")], "file") }),
            )
            .layer(axum::middleware::from_fn(revalidate::revalidate))
            .layer(from_fn_with_state(cache.clone(), serve_cached))
            .layer(VisitLayer::new(library, Arc::from(""), false));
        let send = |path: &str, headers: &[(&str, &str)]| {
            let mut request = Request::get(path).header(axum::http::header::HOST, "octoprint.org");
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            app.clone()
                .oneshot(request.body(Body::empty()).expect("request"))
        };
        let renders = || rendered.load(Ordering::SeqCst);

        send("/privacy", &[]).await.expect("infallible");
        send("/privacy", &[("cookie", "unrelated=1")])
            .await
            .expect("infallible");
        assert_eq!(renders(), 1, "an unrelated cookie means the same page");
        send("/privacy", &[("cookie", "carbon-disable=true")])
            .await
            .expect("infallible");
        assert_eq!(renders(), 2, "an opt-out is another page");
        send("/privacy", &[("sec-gpc", "1")])
            .await
            .expect("infallible");
        assert_eq!(renders(), 3, "GPC is another page");
        send("/privacy", &[("accept-language", "de")])
            .await
            .expect("infallible");
        send("/privacy", &[("accept-language", "de-AT, de;q=0.9")])
            .await
            .expect("infallible");
        assert_eq!(renders(), 4, "two ways of asking for German are one");
        send("/privacy", &[("accept-encoding", "gzip")])
            .await
            .expect("infallible");
        assert_eq!(renders(), 5, "another encoding is another body");
        send("/privacy?lang=de", &[]).await.expect("infallible");
        send("/privacy?lang=de", &[]).await.expect("infallible");
        assert_eq!(renders(), 6);
        send("/privacy?x=1", &[]).await.expect("infallible");
        send("/privacy?x=1", &[]).await.expect("infallible");
        assert_eq!(renders(), 8, "other queries are never kept");
        send("/static/old.css", &[]).await.expect("infallible");
        assert_eq!(cache.len(), 6, "outdated files are never kept");
    }

    #[test]
    fn stays_within_capacity_and_generation() {
        let cache = ResponseCache::new(3);
        for n in 0..10 {
            cache.insert(key(n, 1), stored());
            assert!(cache.len() <= 3);
        }
        assert!(cache.get(&key(9, 1)).is_some());
        cache.insert(key(100, 2), stored());
        assert_eq!(cache.len(), 1, "a new generation starts over");
        assert!(cache.get(&key(9, 1)).is_none());
    }

    /// Many large bodies under distinct keys (an attacker's own
    /// `Accept-Encoding` values) never hold more than the byte budget.
    #[test]
    fn stays_within_its_byte_budget() {
        let cache = ResponseCache::new(4096);
        for n in 0..200 {
            cache.insert(key(n, 1), sized(100 * 1024));
            assert!(
                cache.kept_bytes() <= MAX_KEPT_BYTES,
                "{}",
                cache.kept_bytes()
            );
        }
        assert!(cache.len() < 200);
        assert!(cache.get(&key(199, 1)).is_some(), "the latest is kept");
        cache.insert(key(199, 1), sized(10));
        cache.insert(key(199, 1), sized(10));
        assert_eq!(
            cache.kept_bytes() % (100 * 1024),
            10,
            "a replaced body is not counted twice"
        );
    }
}
