//! Shared helpers: the app on bundled content, requests (through `oneshot`
//! and over a real loopback socket), and an HTML checker.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use privacy_pages::content::{self, Library, Source};
use privacy_pages::layers::limits::ConnectionLimits;
use privacy_pages::serve::server::{self, ServeOptions};
use privacy_pages::{AppState, app as full_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

static BUNDLED: LazyLock<Library> =
    LazyLock::new(|| content::load(&Source::Embedded).expect("bundled content loads"));

/// The bundled content, loaded once per test binary.
pub fn bundled() -> Library {
    BUNDLED.clone()
}

pub fn app() -> Router {
    full_app(AppState::new(bundled()))
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
    let (mut reply, bytes) = send_for_bytes(app, request).await;
    reply.body = String::from_utf8(bytes).expect("UTF-8 body");
    reply
}

/// The reply with its body as bytes (compressed responses), `body` left empty.
pub async fn send_for_bytes(app: Router, request: Request<Body>) -> (Reply, Vec<u8>) {
    let response = app.oneshot(request).await.expect("infallible");
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
    send_for_bytes(app(), request.body(Body::empty()).expect("valid request")).await
}

/// Serves `state` on a loopback port, with `limits` on connections, until
/// the test ends; returns the address.
pub async fn serve_on_loopback(state: AppState, limits: ConnectionLimits) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("address");
    tokio::spawn(server::serve(
        listener,
        full_app(state),
        std::future::pending(),
        ServeOptions {
            grace: Duration::from_secs(1),
            limits,
        },
    ));
    address
}

/// Writes raw `request` bytes and reads until the server closes (or 10 s pass).
pub async fn exchange_raw(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(request).await.expect("write");
    read_to_close(&mut stream).await
}

pub async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response));
    match read.await {
        Ok(Ok(_)) => {}
        // A reset after the response is as good as a close here.
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        Ok(Err(err)) => panic!("read: {err}"),
        Err(_) => panic!(
            "the server kept the connection open; read so far: {}",
            String::from_utf8_lossy(&response)
        ),
    }
    String::from_utf8_lossy(&response).into_owned()
}

/// Reads a response head (up to its blank line, and not a byte more: it
/// reads one at a time) from a connection that stays open, within 10 s.
pub async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while !head.ends_with(b"\r\n\r\n") {
            let byte = stream.read_u8().await.expect("a response head");
            head.push(byte);
        }
    });
    read.await.unwrap_or_else(|_| {
        panic!(
            "no response head in 10 s; read so far: {}",
            String::from_utf8_lossy(&head)
        )
    });
    String::from_utf8_lossy(&head).into_owned()
}

/// The status code of a raw HTTP/1.1 response.
pub fn raw_status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"))
}

/// A header of a raw HTTP/1.1 response.
pub fn raw_header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// A real nginx (Debian's), stopped when dropped.
pub struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn nginx_binary() -> &'static str {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("nginx is installed (the README's test command installs Debian's nginx-light)")
}

/// nginx with `server` (one or more `server { … }` blocks) as its `http`
/// configuration, its files in `dir`, once it accepts on `port`.
pub fn run_nginx(dir: &Path, port: u16, server: &str) -> Nginx {
    let conf = format!(
        r#"daemon off;
# One process: killing it (on drop) leaves no orphaned workers behind.
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include /etc/nginx/mime.types;
{server}
}}
"#,
        dir = dir.display()
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("write nginx.conf");
    let child = Command::new(nginx_binary())
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx starts");
    let nginx = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not come up: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    nginx
}

/// Copies the folder `from` into `to` (which exists), for a test that
/// changes a fixture's files.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("entry");
        let target = to.join(entry.path().strip_prefix(from).expect("inside"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
