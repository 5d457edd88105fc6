//! Limits, over a real loopback socket: what a hostile or broken client can
//! make the server hold, and what it answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use privacy_pages::AppState;
use privacy_pages::layers::limits::{ConnectionLimits, RequestLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{
    bundled, exchange_raw as exchange, raw_header as header, raw_status as status, read_head,
    read_to_close, serve_on_loopback,
};

/// Serves the bundled content with these limits; returns the address.
async fn start(connection: ConnectionLimits, request: RequestLimits) -> SocketAddr {
    serve_on_loopback(AppState::new(bundled()).with_limits(request), connection).await
}

/// One request slot: anything that holds it sheds everyone else.
async fn start_with_one_slot() -> SocketAddr {
    start(
        ConnectionLimits::default(),
        RequestLimits {
            max_concurrent_requests: 1,
            ..RequestLimits::default()
        },
    )
    .await
}

async fn start_default() -> SocketAddr {
    start(ConnectionLimits::default(), RequestLimits::default()).await
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let address = start_default().await;
    let padding = "x".repeat(20 * 1024);
    let response = exchange(
        address,
        format!("GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nX-Padding: {padding}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status(&response), 431, "{response}");

    // Many small headers add up the same way.
    let many: String = (0..2000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let response = exchange(
        address,
        format!("GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\n{many}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status(&response), 431, "{response}");

    // Just under the limit is an ordinary request.
    let fits = "x".repeat(12 * 1024);
    let response = exchange(
        address,
        format!("GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nX-Padding: {fits}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status(&response), 200);
}

#[tokio::test]
async fn oversized_opt_out_forms_get_413() {
    let address = start_default().await;
    let body = format!("return_to=%2Fprivacy&padding={}", "x".repeat(64 * 1024));
    let response = exchange(
        address,
        format!(
            "POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(status(&response), 413, "{response}");
    assert!(header(&response, "set-cookie").is_none());

    // Announced as small, sent chunked and large: the limit counts bytes, not promises.
    let chunk = "x".repeat(8 * 1024);
    let mut chunked = String::new();
    for _ in 0..4 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    let response = exchange(
        address,
        format!(
            "POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunked}"
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(status(&response), 413, "{response}");
}

/// Slowloris: headers trickled a byte at a time never complete a request;
/// the connection is closed once the header read timeout passes.
#[tokio::test]
async fn trickled_headers_are_cut_off() {
    let address = start(
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
        RequestLimits::default(),
    )
    .await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(b"X").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => {
                // hyper may say 408 before closing; it must not serve the page.
                let said = String::from_utf8_lossy(&buf[..n]);
                assert!(!said.contains(" 200 "), "{said}");
            }
            Err(_) => {}
        }
    }
    assert!(closed, "a trickling client held the connection for 10 s");

    // An idle kept-alive connection is closed the same way.
    let mut idle = TcpStream::connect(address).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: octoprint.org\r\n\r\n")
        .await
        .expect("write");
    let response = read_to_close(&mut idle).await;
    assert_eq!(status(&response), 200, "{response}");
}

/// A body that never arrives: the request is answered 408 when the request
/// timeout passes, and nothing is set.
#[tokio::test]
async fn a_stalled_body_gets_408() {
    let address = start(
        ConnectionLimits::default(),
        RequestLimits {
            request_timeout: Duration::from_secs(1),
            ..RequestLimits::default()
        },
    )
    .await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\nreturn_to=")
        .await
        .expect("write");
    let response = read_to_close(&mut stream).await;
    assert_eq!(status(&response), 408, "{response}");
    assert!(header(&response, "set-cookie").is_none());
    assert!(
        header(&response, "content-security-policy").is_some(),
        "security headers on every answer"
    );
}

/// A body still on its way holds no slot: with one slot, a POST whose body
/// is late sheds nobody, and another visitor's opt-out goes through.
#[tokio::test]
async fn a_late_body_holds_no_slot() {
    let address = start_with_one_slot().await;
    let body = b"return_to=%2Fprivacy";
    let mut holders = Vec::new();
    for _ in 0..4 {
        let mut holder = TcpStream::connect(address).await.expect("connect");
        holder
            .write_all(
                format!(
                    "POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .await
            .expect("write");
        // hyper says 100 Continue once the handler asks for the body: the
        // request has arrived and is waiting for it (one shed would be 503).
        assert_eq!(
            read_head(&mut holder).await,
            "HTTP/1.1 100 Continue\r\n\r\n"
        );
        holders.push(holder);
    }
    let fresh =
        b"GET /privacy?from=test HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n";
    for _ in 0..5 {
        assert_eq!(status(&exchange(address, fresh).await), 200);
    }
    let opt_out = format!(
        "POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        String::from_utf8_lossy(body)
    );
    let response = exchange(address, opt_out.as_bytes()).await;
    assert_eq!(status(&response), 303, "{response}");
    assert!(header(&response, "set-cookie").is_some_and(|c| c.starts_with("carbon-disable=true")));
    // The late ones are served when their bodies come.
    for mut holder in holders {
        holder.write_all(body).await.expect("write body");
        let held = read_to_close(&mut holder).await;
        assert_eq!(status(&held), 303, "{held}");
    }
}

/// With every slot taken, requests that need work are refused at once with
/// 503 and `Retry-After` (not queued), with the security headers; pages
/// already made are still served from memory, and health probes still
/// answer. Since nothing a client does holds a slot any more, real
/// concurrency takes it: many requests that must be rendered, at once
/// (on several threads: on one, no two handlers ever overlap).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overload_is_shed_with_503() {
    let address = start_with_one_slot().await;
    let kept = b"GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n";
    assert_eq!(status(&exchange(address, kept).await), 200);
    // The storm lasts until a request has been shed and a few kept pages
    // and probes have been checked meanwhile; 20 s without a shed fails.
    let give_up = Instant::now() + Duration::from_secs(20);
    let stop = Arc::new(AtomicBool::new(false));
    let shed = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut storm = tokio::task::JoinSet::new();
    for n in 0..32 {
        let (shed, stop) = (Arc::clone(&shed), Arc::clone(&stop));
        storm.spawn(async move {
            let fresh = format!(
                "GET /privacy?from={n} HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n"
            );
            while !stop.load(Ordering::Relaxed) && Instant::now() < give_up {
                let response = exchange(address, fresh.as_bytes()).await;
                match status(&response) {
                    200 => {}
                    503 => {
                        shed.lock().expect("lock").get_or_insert(response);
                    }
                    other => panic!("{other}: {response}"),
                }
            }
        });
    }
    let mut kept_pages = 0;
    loop {
        let page = exchange(address, kept).await;
        assert_eq!(status(&page), 200, "a kept page costs no work: {page}");
        assert!(page.contains("carbon.js"), "{page}");
        kept_pages += 1;
        let probe = exchange(
            address,
            b"GET /healthz HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(status(&probe), 200, "health probes are never shed");
        if kept_pages >= 5 && shed.lock().expect("lock").is_some() {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "no request was shed in 20 s of 32 concurrent renders"
        );
    }
    stop.store(true, Ordering::Relaxed);
    while let Some(task) = storm.join_next().await {
        task.expect("no panic");
    }
    let shed = shed.lock().expect("lock").take().expect("shed");
    assert_eq!(status(&shed), 503, "{shed}");
    assert_eq!(header(&shed, "retry-after"), Some("1"));
    assert_eq!(header(&shed, "cache-control"), Some("no-store"));
    assert!(header(&shed, "content-security-policy").is_some());
    assert!(
        header(&shed, "content-type").is_some_and(|t| t.starts_with("text/plain")),
        "{shed}"
    );
    assert_eq!(
        shed.split_once("\r\n\r\n").map(|(_, body)| body),
        Some("The service is busy. Please try again in a moment.\n"),
        "a short text, not the page"
    );
    assert_eq!(status(&exchange(address, kept).await), 200);
}

/// Per-request work is bounded: an Accept-Language or Cookie header past its
/// cap is not parsed (the page comes in the default language; an unreadable
/// Cookie header fails closed, blocking third-party scripts).
#[tokio::test]
async fn oversized_preference_headers_are_not_parsed() {
    let address = start_default().await;
    let languages = format!("{}de", "xx-YY;q=0.1, ".repeat(600));
    assert!(languages.len() < 12 * 1024);
    let response = exchange(
        address,
        format!("GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nAccept-Language: {languages}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status(&response), 200);
    assert!(
        !response.contains("notice-translation"),
        "the capped header was read"
    );

    let german = exchange(
        address,
        b"GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nAccept-Language: de\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        german.contains("notice-translation"),
        "a German reader of an English-only policy is told so"
    );

    let cookies = format!("{}x=1", "padding=abcdefgh; ".repeat(600));
    let response = exchange(
        address,
        format!("GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nCookie: {cookies}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status(&response), 200);
    assert!(!response.contains("carbon.js"), "fails closed");
}
