//! privacy-pages in front of an operator's own server (`upstream` in
//! `site.toml`): the fixture site served by a real nginx on loopback, and
//! hand-written upstreams that stream slowly, die mid-answer, never answer
//! or echo what they were sent. Everything over real sockets.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use privacy_pages::AppState;
use privacy_pages::content::{self, Source};
use privacy_pages::layers::limits::{ConnectionLimits, RequestLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{
    Nginx, exchange_raw, free_port, raw_header, raw_status, run_nginx, serve_on_loopback,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/front")
}

/// A content folder whose one site fronts `upstream`.
fn content_for(upstream: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("shop.example");
    std::fs::create_dir_all(&site).expect("mkdir");
    let toml = std::fs::read_to_string(fixture().join("content/shop.example/site.toml"))
        .expect("site.toml")
        .replace(
            "root = \"../../site\"",
            &format!("upstream = \"{upstream}\""),
        );
    std::fs::write(site.join("site.toml"), toml).expect("write");
    std::fs::copy(
        fixture().join("content/shop.example/privacy.en.md"),
        site.join("privacy.en.md"),
    )
    .expect("copy");
    dir
}

async fn privacy_pages(
    upstream: &str,
    request_timeout: Duration,
) -> (SocketAddr, tempfile::TempDir) {
    privacy_pages_trusting(upstream, request_timeout, None).await
}

/// As [`privacy_pages`], believing forwarded headers from `trusted` only
/// (`None`: the default, loopback).
async fn privacy_pages_trusting(
    upstream: &str,
    request_timeout: Duration,
    trusted: Option<Vec<ipnet::IpNet>>,
) -> (SocketAddr, tempfile::TempDir) {
    let content = content_for(upstream);
    let library = content::load(&Source::Dir(content.path().to_owned())).expect("loads");
    let mut state = AppState::new(library).with_limits(RequestLimits {
        request_timeout,
        ..RequestLimits::default()
    });
    if let Some(trusted) = trusted {
        state = state.with_trusted_proxies(trusted);
    }
    (
        serve_on_loopback(state, ConnectionLimits::default()).await,
        content,
    )
}

/// nginx serving the fixture site as a static host, HTML gzipped.
fn nginx_site(dir: &Path) -> (Nginx, u16) {
    let port = free_port();
    let root = fixture().join("site");
    let server = format!(
        r#"    server {{
        listen 127.0.0.1:{port};
        root {root};
        gzip on;
        gzip_min_length 1;
        gzip_types text/css;
        error_page 404 /404.html;
        location / {{ try_files $uri $uri.html $uri/ =404; }}
    }}
"#,
        root = root.display()
    );
    (run_nginx(dir, port, &server), port)
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: shop.example\r\n{extra}Connection: close\r\n\r\n")
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

/// A chunked body, joined.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    out
}

fn text_of(response: &str) -> String {
    if raw_header(response, "transfer-encoding") == Some("chunked") {
        dechunk(body(response))
    } else {
        body(response).to_owned()
    }
}

#[tokio::test]
async fn pages_from_nginx_are_gated_and_everything_else_passes() {
    let nginx_dir = tempfile::tempdir().expect("temp dir");
    let (_nginx, port) = nginx_site(nginx_dir.path());
    let (address, _content) =
        privacy_pages(&format!("http://127.0.0.1:{port}"), Duration::from_secs(10)).await;

    let allowed = exchange_raw(address, get("/blog/", "").as_bytes()).await;
    assert_eq!(raw_status(&allowed), 200, "{allowed}");
    let page = text_of(&allowed);
    assert!(
        page.contains("//cdn.carbonads.com/carbon.js?serve=CKYISHOP"),
        "{page}"
    );
    assert!(page.contains("/_privacy/static/consent."), "{page}");

    for path in ["/", "/blog/", "/blog/2024/hello", "/about/", "/missing"] {
        let response = exchange_raw(address, get(path, "Sec-GPC: 1\r\n").as_bytes()).await;
        let page = text_of(&response);
        for vendor in [
            "googletagmanager.com",
            "google-analytics.com",
            "carbonads.com",
            "plausible.io",
            "hotjar.com",
        ] {
            assert!(
                !page.contains(vendor),
                "{path}: {vendor} reached a GPC visitor:\n{page}"
            );
        }
    }
    let missing = exchange_raw(address, get("/missing", "").as_bytes()).await;
    assert_eq!(raw_status(&missing), 404);
    assert!(text_of(&missing).contains("This page is not in the shop"));

    // nginx's own redirect passes through.
    let about = exchange_raw(address, get("/about", "").as_bytes()).await;
    assert_eq!(raw_status(&about), 301);
    assert!(
        raw_header(&about, "location").is_some_and(|l| l.ends_with("/about/")),
        "{about}"
    );

    // Non-HTML, compressed by the upstream, passes as it came.
    let css = exchange_raw(
        address,
        get("/assets/style.css", "Accept-Encoding: gzip\r\n").as_bytes(),
    )
    .await;
    assert_eq!(raw_header(&css, "content-encoding"), Some("gzip"), "{css}");

    // The policy is privacy-pages' own, not the upstream's.
    let policy = exchange_raw(address, get("/privacy", "").as_bytes()).await;
    assert_eq!(raw_status(&policy), 200);
    assert!(text_of(&policy).contains("This site shows ads by Carbon Ads"));
}

/// An upstream that answers every connection with `respond`.
async fn upstream<F, Fut>(respond: F) -> SocketAddr
where
    F: Fn(TcpStream, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let respond = std::sync::Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                respond(stream, String::from_utf8_lossy(&head).into_owned()).await;
            });
        }
    });
    address
}

#[tokio::test]
async fn a_large_page_reaches_the_visitor_before_the_upstream_finishes() {
    let (release, released) = tokio::sync::watch::channel(false);
    let upstream = upstream(move |mut stream, _| {
        let mut released = released.clone();
        async move {
            let first = "<!DOCTYPE html><html><head><title>slow</title></head><body><p>first part</p>";
            let _ = stream
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{first}\r\n",
                        first.len()
                    )
                    .as_bytes(),
                )
                .await;
            let _ = released.wait_for(|done| *done).await;
            let last = "<p>last part</p></body></html>";
            let _ = stream
                .write_all(format!("{:x}\r\n{last}\r\n0\r\n\r\n", last.len()).as_bytes())
                .await;
        }
    })
    .await;
    let (address, _content) =
        privacy_pages(&format!("http://{upstream}"), Duration::from_secs(10)).await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(get("/slow", "").as_bytes())
        .await
        .expect("write");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(5), async {
        while !String::from_utf8_lossy(&seen).contains("first part") {
            let read = stream.read(&mut buffer).await.expect("read");
            assert!(read > 0, "closed early");
            seen.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .expect("the first part arrives while the upstream still holds the rest");
    assert!(!String::from_utf8_lossy(&seen).contains("last part"));
    release.send(true).expect("release");
    let mut rest = String::new();
    stream.read_to_string(&mut rest).await.expect("read");
    assert!(rest.contains("last part"), "{rest}");
    assert!(
        rest.ends_with("0\r\n\r\n"),
        "a complete answer ends properly: {rest:?}"
    );
}

#[tokio::test]
async fn an_upstream_that_dies_mid_answer_cuts_the_response() {
    let upstream = upstream(|mut stream, _| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html><body><p>partial")
            .await;
        // Closes with 4,978 bytes still owed.
    })
    .await;
    let (address, _content) =
        privacy_pages(&format!("http://{upstream}"), Duration::from_secs(10)).await;
    let response = exchange_raw(address, get("/page", "").as_bytes()).await;
    assert_eq!(raw_status(&response), 200);
    assert!(response.contains("partial"), "{response}");
    assert!(
        !response.ends_with("0\r\n\r\n"),
        "a cut answer must not end like a complete one: {response:?}"
    );
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_is_a_504_and_one_that_is_gone_a_502() {
    let silent = upstream(|stream, _| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let (address, _content) =
        privacy_pages(&format!("http://{silent}"), Duration::from_millis(500)).await;
    let response = exchange_raw(address, get("/", "Accept-Language: de\r\n").as_bytes()).await;
    assert_eq!(raw_status(&response), 504, "{response}");
    assert!(text_of(&response).contains("Diese Seite ist gerade nicht erreichbar"));

    let gone = format!("http://127.0.0.1:{}", free_port());
    let (address, _content) = privacy_pages(&gone, Duration::from_secs(5)).await;
    let response = exchange_raw(address, get("/", "").as_bytes()).await;
    assert_eq!(raw_status(&response), 502, "{response}");
    assert!(text_of(&response).contains("This page is unavailable right now"));
}

#[tokio::test]
async fn each_hop_keeps_its_own_headers_and_the_upstream_learns_the_visitor() {
    let upstream = upstream(|mut stream, head| async move {
        let body = head.to_ascii_lowercase();
        let _ = stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive, x-upstream-hop\r\nKeep-Alive: timeout=5\r\nX-Upstream-Hop: secret\r\nX-Kept: yes\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .await;
    })
    .await;
    let echo = format!("http://{upstream}");
    // Behind a trusted proxy (loopback, the default) the address it names is the visitor's.
    let (trusting, _content) = privacy_pages(&echo, Duration::from_secs(5)).await;
    let response = exchange_raw(
        trusting,
        b"GET / HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        body(&response).contains("x-forwarded-for: 203.0.113.9\r\n"),
        "{response}"
    );

    // From anyone else the claim is dropped and the peer named instead.
    let (address, _other) =
        privacy_pages_trusting(&echo, Duration::from_secs(5), Some(Vec::new())).await;
    let response = exchange_raw(
        address,
        b"GET /echo?q=1 HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 203.0.113.9\r\nX-Client-Hop: 1\r\nConnection: close, x-client-hop\r\nCookie: session=abc\r\n\r\n",
    )
    .await;
    assert_eq!(raw_status(&response), 200, "{response}");
    let seen = body(&response);
    assert!(seen.starts_with("get /echo?q=1 http/1.1\r\n"), "{seen}");
    assert!(seen.contains("host: shop.example\r\n"), "{seen}");
    assert!(
        seen.contains("x-forwarded-host: shop.example\r\n"),
        "{seen}"
    );
    assert!(seen.contains("x-forwarded-proto: http\r\n"), "{seen}");
    assert!(
        seen.contains("x-forwarded-for: 127.0.0.1\r\n"),
        "a client's claim is replaced: {seen}"
    );
    assert!(!seen.contains("203.0.113.9"), "{seen}");
    assert!(!seen.contains("x-client-hop"), "{seen}");
    assert!(
        seen.contains("cookie: session=abc\r\n"),
        "the site's own cookies reach it: {seen}"
    );
    assert!(
        raw_header(&response, "x-upstream-hop").is_none(),
        "{response}"
    );
    assert!(raw_header(&response, "keep-alive").is_none(), "{response}");
    assert_eq!(raw_header(&response, "x-kept"), Some("yes"));
}

#[tokio::test]
async fn a_compressed_page_is_decoded_gated_and_compressed_again() {
    let page = "<!DOCTYPE html><html><head><script async src=\"https://www.googletagmanager.com/gtag/js?id=G-SHOP123\"></script></head><body><p>gzipped</p></body></html>";
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, page.as_bytes()).expect("gzip");
    let gzipped = encoder.finish().expect("gzip");
    let upstream = upstream(move |mut stream, _| {
        let gzipped = gzipped.clone();
        async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                gzipped.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&gzipped).await;
        }
    })
    .await;
    let (address, _content) =
        privacy_pages(&format!("http://{upstream}"), Duration::from_secs(5)).await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(get("/", "Sec-GPC: 1\r\nAccept-Encoding: gzip\r\n").as_bytes())
        .await
        .expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    assert_eq!(
        raw_header(&head, "content-encoding"),
        Some("gzip"),
        "{head}"
    );
    // Chunked: undo the framing on bytes, then the gzip.
    let mut body = Vec::new();
    let mut rest = &raw[split..];
    loop {
        let line = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("size line");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line]).expect("hex"), 16)
            .expect("size");
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[line + 2..line + 2 + size]);
        rest = &rest[line + 2 + size + 2..];
    }
    let mut html = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut html)
        .expect("gunzip");
    assert!(html.contains("<p>gzipped</p>"), "{html}");
    assert!(!html.contains("googletagmanager"), "{html}");
}

/// A page with gtag.js in it, ending in `<p>{word}</p>`.
fn page_with_gtag(word: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><script async src=\"https://www.googletagmanager.com/gtag/js?id=G-SHOP123\"></script></head><body><p>{word}</p></body></html>"
    )
}

/// privacy-pages in front of an upstream that answers `page` as HTML with
/// `Content-Encoding: coding` (whatever its bytes are); `request` is sent.
async fn through_upstream_in_coding(page: String, coding: &'static str, request: &str) -> String {
    let upstream = upstream(move |mut stream, _| {
        let page = page.clone();
        async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n",
                page.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(page.as_bytes()).await;
        }
    })
    .await;
    let (address, _content) =
        privacy_pages(&format!("http://{upstream}"), Duration::from_secs(5)).await;
    exchange_raw(address, request.as_bytes()).await
}

/// An upstream may answer in a coding nobody asked it for (privacy-pages
/// only ever asks for `zstd`, `br`, `gzip` or none). HTML the gate cannot read is
/// HTML it cannot gate: a `502`, never the page with the tracker in it.
#[tokio::test]
async fn html_in_a_coding_the_gate_cannot_read_is_a_502_not_an_ungated_page() {
    let request = get(
        "/",
        "Sec-GPC: 1\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n",
    );
    for coding in ["compress", "gzip, br", "exi"] {
        let response = through_upstream_in_coding(page_with_gtag("unread"), coding, &request).await;
        assert_eq!(raw_status(&response), 502, "{coding}: {response}");
        assert!(
            !response.contains("googletagmanager") && !response.contains("unread"),
            "{coding}: {response}"
        );
    }
}

/// `Content-Encoding: identity`, or an empty one, says nothing: the page is
/// read and gated as it is.
#[tokio::test]
async fn html_said_to_be_in_no_coding_is_gated() {
    for coding in ["identity", ""] {
        let response = through_upstream_in_coding(
            page_with_gtag("plain"),
            coding,
            &get("/", "Sec-GPC: 1\r\n"),
        )
        .await;
        assert_eq!(raw_status(&response), 200, "{coding:?}: {response}");
        let page = text_of(&response);
        assert!(page.contains("<p>plain</p>"), "{coding:?}: {page}");
        assert!(!page.contains("googletagmanager"), "{coding:?}: {page}");
    }
}

/// The value of `counter` once it has stopped growing (the same for 10
/// looks 20 ms apart); fails if it is still growing after `limit`.
async fn stalled(counter: &std::sync::atomic::AtomicUsize, limit: Duration) -> usize {
    let deadline = std::time::Instant::now() + limit;
    let (mut last, mut unchanged) = (usize::MAX, 0);
    loop {
        let now = counter.load(std::sync::atomic::Ordering::Relaxed);
        if now == last {
            unchanged += 1;
            if unchanged == 10 {
                return now;
            }
        } else {
            (last, unchanged) = (now, 0);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still growing after {limit:?}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_50_mb_download_streams_with_backpressure() {
    const SIZE: usize = 50 * 1024 * 1024;
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = written.clone();
    let upstream = upstream(move |mut stream, _| {
        let counter = counter.clone();
        async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {SIZE}\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let chunk = vec![b'z'; 64 * 1024];
            while counter.load(std::sync::atomic::Ordering::Relaxed) < SIZE {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
            }
        }
    })
    .await;
    let (address, _content) =
        privacy_pages(&format!("http://{upstream}"), Duration::from_secs(30)).await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(get("/big.zip", "Accept-Encoding: gzip\r\n").as_bytes())
        .await
        .expect("write");
    let mut received = 0usize;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    while received < 1024 * 1024 {
        let read = stream.read(&mut buffer).await.expect("read");
        if head.len() < 512 {
            head.extend_from_slice(&buffer[..read.min(512)]);
        }
        assert!(read > 0, "closed after {received}");
        received += read;
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(
        raw_header(&head, "content-encoding").is_none(),
        "an archive is not compressed again: {head}"
    );
    // The visitor stops reading: the upstream must soon stop writing too,
    // far short of the whole file (socket buffers hold a few MB at most).
    // Wait until it has stalled (no progress for 200 ms), within 10 s;
    // without backpressure it stalls only at the end, having written it all.
    let while_paused = stalled(&written, Duration::from_secs(10)).await;
    assert!(
        while_paused < SIZE / 2,
        "{while_paused} bytes were pulled from the upstream for a visitor who read 1 MB"
    );
    let mut head_and_rest = received;
    loop {
        let read = stream.read(&mut buffer).await.expect("read");
        if read == 0 {
            break;
        }
        head_and_rest += read;
    }
    assert!(
        head_and_rest > SIZE,
        "the whole file arrives: {head_and_rest}"
    );
}
