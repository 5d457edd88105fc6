//! The server on a real loopback socket, spoken to over raw TCP.

use std::time::Duration;

use privacy_pages::{AppState, content, router, server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

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
        router(AppState::new(library)),
        async {
            let _ = stopped.await;
        },
    ));

    let mut stream = TcpStream::connect(address).await.expect("connect");
    assert!(stream.nodelay().is_ok());
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
