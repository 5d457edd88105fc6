//! Behind a real nginx (Debian's, started here on loopback with a generated
//! configuration). nginx connects from 127.0.0.2 (`proxy_bind`), the only
//! trusted proxy; a client talking to the service directly from 127.0.0.1 is
//! not, so its forwarded headers must be ignored.

use privacy_pages::assets::path as asset;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use privacy_pages::content::{self, Source};
use privacy_pages::serve::server;
use privacy_pages::{AppState, app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{Nginx, free_port, run_nginx};

fn start_nginx(dir: &Path, port: u16, app: SocketAddr) -> Nginx {
    let server = format!(
        r#"    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{app};
            proxy_bind 127.0.0.2;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
        location /legal/ {{
            proxy_pass http://{app}/;
            proxy_bind 127.0.0.2;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Prefix /legal;
        }}
    }}
"#
    );
    run_nginx(dir, port, &server)
}

async fn start_app() -> SocketAddr {
    let library = content::load(&Source::Embedded).expect("bundled content");
    let state =
        AppState::new(library).with_trusted_proxies(vec!["127.0.0.2/32".parse().expect("cidr")]);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(server::serve(
        listener,
        app(state),
        std::future::pending(),
        server::ServeOptions {
            grace: Duration::from_secs(1),
            ..Default::default()
        },
    ));
    address
}

async fn exchange(address: SocketAddr, request: String) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
}

fn get(host: &str, path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")
}

fn post(host: &str, path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn behind_nginx() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = start_app().await;
    let port = free_port();
    let _nginx = start_nginx(dir.path(), port, app);
    let proxy: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");

    // HTTPS as nginx says: canonical URLs and Secure cookies.
    let page = exchange(proxy, get("octoprint.org", "/privacy", "")).await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<link rel=\"canonical\" href=\"https://octoprint.org/privacy\">"));
    let optout = exchange(
        proxy,
        post("octoprint.org", "/optout/carbon", "return_to=%2Fprivacy"),
    )
    .await;
    assert!(optout.starts_with("HTTP/1.1 303"), "{optout}");
    let cookie = header(&optout, "set-cookie").expect("Set-Cookie");
    assert!(
        cookie.starts_with("carbon-disable=true;") && cookie.contains("; Secure;"),
        "{cookie}"
    );

    // Host reaches site selection.
    let ispconfig = exchange(proxy, get("ispconfig.org", "/privacy", "")).await;
    assert!(ispconfig.contains("Privacy Policy - ISPConfig"));

    // A /legal/ mount, end to end: page, opt-out POST, redirect back.
    let legal = exchange(proxy, get("octoprint.org", "/legal/privacy", "")).await;
    assert!(legal.starts_with("HTTP/1.1 200"), "{legal}");
    assert!(legal.contains(&format!(
        "<link rel=\"stylesheet\" href=\"/legal{}\">",
        asset("style.css")
    )));
    assert!(legal.contains("action=\"/legal/optout/carbon\""));
    assert!(
        legal.contains("<link rel=\"canonical\" href=\"https://octoprint.org/legal/privacy\">")
    );
    let posted = exchange(
        proxy,
        post(
            "octoprint.org",
            "/legal/optout/carbon",
            "return_to=%2Flegal%2Fprivacy",
        ),
    )
    .await;
    assert_eq!(
        header(&posted, "location"),
        Some("/legal/privacy?optout=carbon"),
        "{posted}"
    );
    let back = exchange(
        proxy,
        get(
            "octoprint.org",
            "/legal/privacy?optout=carbon",
            "Cookie: carbon-disable=true\r\n",
        ),
    )
    .await;
    assert!(back.contains("Saved: Carbon Ads is now disabled for this browser."));
    assert!(!back.contains("carbon.js"));
    let css = exchange(proxy, get("octoprint.org", "/legal/static/style.css", "")).await;
    assert!(css.starts_with("HTTP/1.1 200"));

    // A client talking to the service directly is no proxy: its claims are ignored.
    let forged = "X-Forwarded-Proto: https\r\nX-Forwarded-Host: ispconfig.org\r\nX-Forwarded-Prefix: /evil\r\nForwarded: proto=https;host=ispconfig.org\r\n";
    let direct = exchange(app, get("octoprint.org", "/privacy", forged)).await;
    assert!(
        direct.contains("<link rel=\"canonical\" href=\"http://octoprint.org/privacy\">"),
        "{direct}"
    );
    assert!(!direct.contains("/evil"));
    let direct_optout = exchange(
        app,
        format!(
            "POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\n{forged}Content-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    let cookie = header(&direct_optout, "set-cookie").expect("Set-Cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
}
