//! The server on a real loopback socket, spoken to over raw TCP.

use std::time::Duration;

use privacy_pages::serve::server;
use privacy_pages::{AppState, app, content};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::support::{bundled, exchange_raw, serve_on_loopback};
use privacy_pages::layers::limits::ConnectionLimits;

#[tokio::test]
async fn serves_over_tcp_and_shuts_down_gracefully() {
    let library = content::load(&content::Source::Embedded).expect("bundled content");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        app(AppState::new(library)),
        async {
            let _ = stopped.await;
        },
        server::ServeOptions {
            grace: Duration::from_secs(5),
            ..Default::default()
        },
    ));

    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /privacy HTTP/1.1\r\nHost: ispconfig.org\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains("Privacy Policy - ISPConfig"));

    stop.send(()).expect("server still running");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("stops promptly")
        .expect("task")
        .expect("serve returns Ok");
}

/// Starts the server on a loopback port; returns its address.
async fn start() -> std::net::SocketAddr {
    serve_on_loopback(AppState::new(bundled()), ConnectionLimits::default()).await
}

async fn exchange(address: std::net::SocketAddr, request: &str) -> String {
    exchange_raw(address, request.as_bytes()).await
}

#[tokio::test]
async fn opt_out_over_a_real_socket() {
    let address = start().await;
    let before = exchange(
        address,
        "GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(before.contains("cdn.carbonads.com/carbon.js"));

    let body = "return_to=%2Fprivacy";
    let posted = exchange(
        address,
        &format!(
            "POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(posted.starts_with("HTTP/1.1 303 See Other\r\n"), "{posted}");
    let set_cookie = posted
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .expect("Set-Cookie");
    let pair = set_cookie.split(';').next().expect("pair");
    assert_eq!(pair, "carbon-disable=true");

    let after = exchange(
        address,
        &format!("GET /privacy?optout=carbon HTTP/1.1\r\nHost: octoprint.org\r\nCookie: {pair}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(after.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(!after.contains("carbon.js"));
    assert!(after.contains("Carbon Ads is disabled for this browser."));
}
