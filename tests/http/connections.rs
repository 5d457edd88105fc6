//! Connections that never speak, bodies that never arrive, and requests that
//! mean the same thing written differently, over real loopback sockets and
//! a real HTTP/2 client (`h2`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::{Method, Request, StatusCode};
use privacy_pages::AppState;
use privacy_pages::layers::limits::{ConnectionLimits, RequestLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{
    bundled, exchange_raw as exchange, raw_header as header, raw_status as status, read_head,
    read_to_close, serve_on_loopback,
};

const QUICK: Duration = Duration::from_secs(1);

async fn start(connection: ConnectionLimits, request: RequestLimits) -> SocketAddr {
    serve_on_loopback(AppState::new(bundled()).with_limits(request), connection).await
}

/// Header deadline of one second; everything else as default.
async fn start_quick() -> SocketAddr {
    start(
        ConnectionLimits {
            header_read_timeout: QUICK,
            ..ConnectionLimits::default()
        },
        RequestLimits::default(),
    )
    .await
}

/// How long until the server closes `stream` (reading whatever it sends);
/// `None` if it is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut sink = Vec::new();
    match tokio::time::timeout(limit, stream.read_to_end(&mut sink)).await {
        Ok(_) => Some(started.elapsed()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_connection_that_never_speaks_is_closed() {
    let address = start_quick().await;
    let mut silent = TcpStream::connect(address).await.expect("connect");
    let closed = closed_within(&mut silent, Duration::from_secs(5)).await;
    let closed = closed.expect("closed by the server");
    assert!(
        closed >= Duration::from_millis(900),
        "{closed:?}: not before the deadline"
    );
}

#[tokio::test]
async fn a_partial_http2_preface_is_closed() {
    let address = start_quick().await;
    let mut partial = TcpStream::connect(address).await.expect("connect");
    partial
        .write_all(b"PRI * HTTP/2.0\r\n")
        .await
        .expect("write");
    assert!(
        closed_within(&mut partial, Duration::from_secs(5))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed() {
    let address = start_quick().await;
    let tcp = TcpStream::connect(address).await.expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    let started = Instant::now();
    // The connection future ends when the server closes (after GOAWAY).
    tokio::time::timeout(Duration::from_secs(5), connection)
        .await
        .expect("closed by the server")
        .ok();
    assert!(started.elapsed() >= Duration::from_millis(900));
    drop(client);
}

/// An HTTP/2 connection in use is not idle: with a request in flight it
/// outlasts a silent connection opened after it, and is still taking new
/// requests afterwards (an idle one would have been sent `GOAWAY`). That
/// the count starts again when a request ends is a unit test's, on a
/// paused clock (`serve::connections`).
#[tokio::test]
async fn a_busy_http2_connection_stays_open() {
    let address = start_quick().await;
    let tcp = TcpStream::connect(address).await.expect("connect");
    let (client, mut connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    let mut ping_pong = connection.ping_pong().expect("ping_pong, taken once");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    // A POST whose body is held back: in flight until it comes.
    let (response, mut body) = client.send_request(stalled_opt_out(), false).expect("send");
    // Frames are read in order: once a ping sent after the request is
    // answered, the server has the request.
    ping_pong.ping(h2::Ping::opaque()).await.expect("pong");
    let mut silent = TcpStream::connect(address).await.expect("connect");
    closed_within(&mut silent, Duration::from_secs(10))
        .await
        .expect("the silent connection is closed at its deadline");
    // The busy connection's own deadline, had it been idle, has passed too.
    body.send_data(
        axum::body::Bytes::from_static(b"return_to=%2Fprivacy"),
        true,
    )
    .expect("body");
    assert_eq!(
        response.await.expect("response").status(),
        StatusCode::SEE_OTHER
    );
    let mut client = client.ready().await.expect("still taking requests");
    let request = Request::get(format!("http://{address}/healthz"))
        .body(())
        .expect("request");
    let (response, _) = client.send_request(request, true).expect("send");
    assert_eq!(
        response
            .await
            .expect("answered on the same connection")
            .status(),
        StatusCode::OK
    );
}

/// An HTTP/2 opt-out whose body of 20 bytes is yet to be sent.
fn stalled_opt_out() -> Request<()> {
    Request::builder()
        .method(Method::POST)
        .uri("http://octoprint.org/optout/carbon")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", "20")
        .body(())
        .expect("request")
}

/// Holding connections open costs a visitor nothing: past the bound, the
/// oldest idle ones are closed to make room.
#[tokio::test]
async fn at_the_connection_bound_the_longest_idle_make_room() {
    let address = start(
        ConnectionLimits {
            max_connections: Some(8),
            // Longer than any wait below: a closed one was evicted.
            header_read_timeout: Duration::from_secs(60),
            ..ConnectionLimits::default()
        },
        RequestLimits::default(),
    )
    .await;
    // Accepted in the order they connect (the kernel's queue is first in,
    // first out), so the idle longest are the first.
    let mut silent = Vec::new();
    for _ in 0..30 {
        silent.push(TcpStream::connect(address).await.expect("connect"));
    }
    let response = exchange(
        address,
        b"GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status(&response), 200, "{response}");
    // 31 came and 8 may be open; room for the next is made before it comes
    // (the accept loop waits for it): the 24 idle longest are closed...
    let newest = silent.split_off(24);
    for (n, stream) in silent.iter_mut().enumerate() {
        closed_within(stream, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("silent connection {n} is still open"));
    }
    // ...and the newest stay until their deadline: each still answers.
    for (n, mut stream) in newest.into_iter().enumerate() {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let response = read_to_close(&mut stream).await;
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "silent connection {}: {response:?}",
            n + 24
        );
    }
}

/// Bodies that never arrive, 16 streams on each of 4 HTTP/2 connections and
/// 8 over HTTP/1, with 8 request slots: a visitor's opt-out still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_leave_room_for_an_opt_out() {
    let address = start(
        ConnectionLimits::default(),
        RequestLimits {
            max_concurrent_requests: 8,
            ..RequestLimits::default()
        },
    )
    .await;
    let (mut held, mut clients) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let tcp = TcpStream::connect(address).await.expect("connect");
        let (client, mut connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
        let mut ping_pong = connection.ping_pong().expect("ping_pong, taken once");
        tokio::spawn(connection);
        let mut client = client.ready().await.expect("ready");
        for _ in 0..16 {
            // The stream stays open and its body never comes.
            let (response, stream) = client.send_request(stalled_opt_out(), false).expect("send");
            held.push((response, stream));
            client = client.ready().await.expect("ready");
        }
        // Frames are read in order: the pong says the server has all 16.
        ping_pong.ping(h2::Ping::opaque()).await.expect("pong");
        clients.push(client);
    }
    let mut stalled_h1 = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n")
            .await
            .expect("write");
        // hyper says 100 Continue once the handler asks for the body: the
        // request is in hand and waiting.
        assert_eq!(
            read_head(&mut stream).await,
            "HTTP/1.1 100 Continue\r\n\r\n"
        );
        stalled_h1.push(stream);
    }
    let response = exchange(
        address,
        b"POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\nConnection: close\r\n\r\nreturn_to=%2Fprivacy",
    )
    .await;
    assert_eq!(status(&response), 303, "{response}");
    assert!(header(&response, "set-cookie").is_some_and(|c| c.starts_with("carbon-disable=true")));
    drop((held, clients, stalled_h1));
}

/// RFC 9110 §9.3.2: HEAD gets the headers GET gets, the gated length and
/// the validator included, and no body.
#[tokio::test]
async fn head_answers_with_the_headers_of_get() {
    let address = start_quick().await;
    let mut lengths_compared = 0;
    for encoding in ["identity", "gzip", "br"] {
        for path in ["/privacy", "/privacy/2018-05-22?lang=de", "/nope"] {
            let request = |method: &str| {
                format!(
                    "{method} {path} HTTP/1.1\r\nHost: octoprint.org\r\nAccept-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
                )
            };
            // GET twice: the second is answered from memory, as HEAD may be.
            for _ in 0..2 {
                let get = exchange(address, request("GET").as_bytes()).await;
                let head = exchange(address, request("HEAD").as_bytes()).await;
                assert_eq!(status(&head), status(&get), "{path} {encoding}");
                // A streamed GET (chunked) states no length; HEAD may
                // (RFC 9110 §8.6), but where GET states one, HEAD's is it.
                if header(&get, "content-length").is_some() {
                    assert_eq!(
                        header(&head, "content-length"),
                        header(&get, "content-length"),
                        "content-length of {path} in {encoding}"
                    );
                }
                for name in [
                    "etag",
                    "content-type",
                    "content-encoding",
                    "content-language",
                    "cache-control",
                    "vary",
                    "content-security-policy",
                ] {
                    assert_eq!(
                        header(&head, name),
                        header(&get, name),
                        "{name} of {path} in {encoding}"
                    );
                }
                if status(&get) == 200 {
                    assert!(header(&head, "etag").is_some(), "{path} {encoding}");
                }
                let body_of =
                    |response: &str| response.split_once("\r\n\r\n").map(|(_, b)| b.len());
                assert_eq!(body_of(&head), Some(0), "HEAD sends no body");
                // (The raw helper reads text: only identity bodies measure true.)
                if let Some(length) =
                    header(&get, "content-length").filter(|_| encoding == "identity")
                {
                    assert_eq!(body_of(&get), length.parse().ok(), "{path} {encoding}");
                    lengths_compared += 1;
                }
            }
        }
    }
    // At least the 404 and the pages answered from memory state a length.
    assert!(lengths_compared > 0, "no identity body was measured");
}

#[tokio::test]
async fn escaped_paths_are_the_same_page() {
    let address = start_quick().await;
    let page = |path: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n")
    };
    let plain = exchange(address, page("/privacy").as_bytes()).await;
    for escaped in ["/%70rivacy", "/%70%72%69%76%61%63%79", "/priv%61cy"] {
        let other = exchange(address, page(escaped).as_bytes()).await;
        assert_eq!(status(&other), 200, "{escaped}");
        assert_eq!(
            other.split_once("\r\n\r\n").map(|(_, body)| body),
            plain.split_once("\r\n\r\n").map(|(_, body)| body),
            "{escaped}: the same page, down to its forms' return_to"
        );
    }
}

#[tokio::test]
async fn the_host_is_decided_once_and_unambiguously() {
    let address = start_quick().await;
    let two = exchange(
        address,
        b"GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nHost: ispconfig.org\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status(&two), 400, "{two}");
    // RFC 9112 §3.2.2: an absolute-form target's authority over Host.
    let absolute = exchange(
        address,
        b"GET http://ispconfig.org/privacy HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status(&absolute), 200, "{absolute}");
    assert!(absolute.contains("ISPConfig"), "ispconfig.org's policy");
    assert!(!absolute.contains("OctoPrint"));
    // Userinfo in the target is not part of the host.
    let userinfo = exchange(
        address,
        b"GET http://someone@ispconfig.org/privacy HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(userinfo.contains("ISPConfig"), "{userinfo}");
}

/// Over HTTP/2 the host is `:authority`; an older browser's opt-in (an
/// `Origin`, no `Sec-Fetch-Site`) from the site itself is accepted.
#[tokio::test]
async fn an_http2_opt_in_from_the_site_is_accepted() {
    let address = start_quick().await;
    let tcp = TcpStream::connect(address).await.expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    let send = |origin: String| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("http://{address}/optin/carbon"))
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(())
            .expect("request")
    };
    let (response, mut body) = client
        .send_request(send(format!("http://{address}")), false)
        .expect("send");
    body.send_data(
        axum::body::Bytes::from_static(b"return_to=%2Fprivacy"),
        true,
    )
    .expect("body");
    let response = response.await.expect("response");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut client = client.ready().await.expect("ready");
    let (response, mut body) = client
        .send_request(send("http://evil.example".to_owned()), false)
        .expect("send");
    body.send_data(axum::body::Bytes::from_static(b""), true)
        .expect("body");
    assert_eq!(
        response.await.expect("response").status(),
        StatusCode::FORBIDDEN
    );
}

/// A peer that opens a stream and then stops answering (here: never reads
/// again, so the server's PINGs go unanswered) is dropped once the
/// keep-alive ping times out, not held for the 30 s request timeout. Raw
/// frames, since a real client answers PINGs while it runs.
#[tokio::test]
async fn an_http2_peer_that_stops_answering_pings_is_dropped() {
    let address = start_quick().await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let mut frames = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    // SETTINGS, empty.
    frames.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    // HEADERS on stream 1, END_HEADERS but not END_STREAM: a POST whose
    // body never comes. HPACK: indexed :method POST, :scheme http; literal
    // :path and :authority with indexed names; literal content-length.
    let mut block = vec![0x83, 0x86, 0x04, 14];
    block.extend_from_slice(b"/optout/carbon");
    block.extend_from_slice(&[0x01, 13]);
    block.extend_from_slice(b"octoprint.org");
    block.extend_from_slice(&[0x00, 14]);
    block.extend_from_slice(b"content-length");
    block.extend_from_slice(&[2]);
    block.extend_from_slice(b"20");
    let length = u32::try_from(block.len()).expect("small");
    frames.extend_from_slice(&length.to_be_bytes()[1..]);
    frames.extend_from_slice(&[0x1, 0x4, 0, 0, 0, 1]);
    frames.extend_from_slice(&block);
    stream.write_all(&frames).await.expect("write");
    // Deaf from here on: what the server sends is read (the kernel would
    // take it anyway) but never answered, PINGs included.
    closed_within(&mut stream, Duration::from_secs(12))
        .await
        .expect("dropped at the ping timeout (1 s + 1 s), not the request timeout (30 s)");
}
