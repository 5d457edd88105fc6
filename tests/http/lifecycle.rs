//! The binary as an operator runs it: signals, reloads, health checks.
//! Each test starts `privacy-pages serve` on its own loopback port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A running `privacy-pages serve`, killed if a test fails.
struct Server {
    child: Child,
    address: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let base = args
            .iter()
            .position(|a| *a == "--base-path")
            .map_or("", |i| args[i + 1]);
        Server::start_ready_at(args, &format!("{base}/readyz"))
    }

    /// Started, and ready once `ready` answers 200 (on a fronted site,
    /// `/_privacy/readyz`).
    fn start_ready_at(args: &[&str], ready: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let mut child = Command::new(env!("CARGO_BIN_EXE_privacy-pages"))
            .arg("--listen")
            .arg(address.to_string())
            .args(args)
            .env_remove("PRIVACY_PAGES_CONTENT")
            .env_remove("PRIVACY_PAGES_CONFIG")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let log = log.clone();
            thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    log.lock().expect("log").push(line);
                }
            });
        }
        let server = Server {
            child,
            address,
            log,
        };
        server.wait_for(|s| s.get(ready).starts_with("HTTP/1.1 200"), "ready");
        server
    }

    fn get(&self, path: &str) -> String {
        exchange(
            self.address,
            &format!("GET {path} HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n"),
        )
        .unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    fn logged(&self, needle: &str) -> bool {
        self.log
            .lock()
            .expect("log")
            .iter()
            .any(|line| line.contains(needle))
    }

    fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    /// Polls `done` for up to 10 s.
    fn wait_for(&self, done: impl Fn(&Server) -> bool, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; log:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(25));
        }
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running after {within:?}; log:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn exchange(address: SocketAddr, request: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// A response is whole when its body is as long as `Content-Length` says.
fn complete(response: &str) -> bool {
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .is_some_and(|length| length == body.len())
}

/// What one request in the stream came to.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// A whole `200 OK`.
    Served,
    /// The connection was refused or closed before any byte of a response:
    /// the request never reached a handler (the listener had closed), which
    /// a proxy retries on another replica.
    NotAccepted,
    /// Anything else: a request the shutdown lost.
    Lost(String),
}

fn one_request(address: SocketAddr) -> Outcome {
    match exchange(
        address,
        "GET /privacy HTTP/1.1\r\nHost: octoprint.org\r\nConnection: close\r\n\r\n",
    ) {
        Err(_) => Outcome::NotAccepted,
        Ok(response) if response.is_empty() => Outcome::NotAccepted,
        Ok(response) if response.starts_with("HTTP/1.1 200") && complete(&response) => {
            Outcome::Served
        }
        Ok(response) => Outcome::Lost(response.chars().take(200).collect()),
    }
}

/// A POST whose body arrives late: in flight (its handler waiting for the
/// body) from the moment `begin` returns until the caller calls `finish`.
struct SlowRequest(TcpStream);

impl SlowRequest {
    const BODY: &'static str = "return_to=%2Fprivacy";

    fn begin(address: SocketAddr) -> SlowRequest {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .expect("timeout");
        write!(
            stream,
            "POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
            Self::BODY.len()
        )
        .expect("write head");
        // hyper says 100 Continue once the handler asks for the body: from
        // here the request is in flight. (Read a byte at a time: not past it.)
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).expect("100 Continue");
            head.push(byte[0]);
        }
        assert_eq!(head, b"HTTP/1.1 100 Continue\r\n\r\n");
        SlowRequest(stream)
    }

    fn finish(mut self) -> String {
        self.0.write_all(Self::BODY.as_bytes()).expect("write body");
        let mut response = String::new();
        let _ = self.0.read_to_string(&mut response);
        response
    }
}

#[test]
fn sigterm_under_load_finishes_in_flight_requests_and_loses_none() {
    let mut server = Server::start(&["--shutdown-grace-secs", "10"]);
    let address = server.address;
    let slow = SlowRequest::begin(address);

    let stop = Arc::new(AtomicBool::new(false));
    let served_so_far = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (stop, served_so_far) = (stop.clone(), served_so_far.clone());
            thread::spawn(move || {
                let mut outcomes = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let outcome = one_request(address);
                    let refused = outcome == Outcome::NotAccepted;
                    if outcome == Outcome::Served {
                        served_so_far.fetch_add(1, Ordering::Relaxed);
                    }
                    outcomes.push(outcome);
                    if refused {
                        break;
                    }
                }
                outcomes
            })
        })
        .collect();

    // SIGTERM once the stream of requests is flowing.
    server.wait_for(
        |_| served_so_far.load(Ordering::Relaxed) >= 8,
        "the clients' first requests to be served",
    );
    server.signal("TERM");
    server.wait_for(|s| s.logged("shutting down"), "the shutdown to begin");
    // The listener is closed: new connections are refused at once...
    server.wait_for(
        |s| TcpStream::connect(s.address).is_err(),
        "the listener to close",
    );
    // ...while the request that was in flight when SIGTERM came still
    // finishes. (A window for a wrong exit to show: that something does not
    // happen has no event to wait for. The 303 below is the real check.)
    thread::sleep(Duration::from_millis(300));
    assert!(
        server.child.try_wait().expect("wait").is_none(),
        "exited with a request in flight"
    );
    let slow = slow.finish();
    assert!(slow.starts_with("HTTP/1.1 303"), "{slow}");
    assert!(slow.contains("carbon-disable=true"), "{slow}");

    let status = server.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}\n{}", server.log_text());
    stop.store(true, Ordering::Relaxed);
    let outcomes: Vec<Outcome> = clients
        .into_iter()
        .flat_map(|c| c.join().expect("client"))
        .collect();
    let served = outcomes.iter().filter(|o| **o == Outcome::Served).count();
    let lost: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Lost(_)))
        .collect();
    assert!(served > 20, "the stream ran: {served} served");
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(server.logged("stopped"), "{}", server.log_text());
}

#[test]
fn the_grace_period_bounds_the_wait() {
    let mut server = Server::start(&["--shutdown-grace-secs", "1"]);
    // Never finished: without a deadline the process would wait forever.
    let _stuck = SlowRequest::begin(server.address);
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    assert!(signalled.elapsed() >= Duration::from_millis(900));
    assert!(server.logged("grace period over"), "{}", server.log_text());
}

#[test]
fn sigint_stops_an_idle_server_at_once() {
    let mut server = Server::start(&[]);
    server.signal("INT");
    let status = server.wait_exit(Duration::from_secs(2));
    assert!(status.success(), "{status:?}");
}

/// `tests/fixtures/valid` copied somewhere the test may edit it.
fn editable_content() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    copy_dir(&from, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).expect("read");
    assert!(text.contains(from), "{} has no {from:?}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn sighup_swaps_in_good_content_and_keeps_serving_through_bad() {
    let content = editable_content();
    let policy = content.path().join("example.org/privacy.de.md");
    let mut server = Server::start(&["--content", &content.path().display().to_string()]);
    assert!(server.get("/privacy").contains("Verantwortliche Stelle"));

    // Good content: served after SIGHUP.
    edit(&policy, "## Verantwortliche Stelle", "## Verantwortlicher");
    server.signal("HUP");
    server.wait_for(
        |s| s.get("/privacy").contains("Verantwortlicher</h2>"),
        "the new content",
    );
    assert!(server.get("/readyz").contains("content generation 2"));

    // Broken content: the error is logged as file:line, the last good content stays.
    edit(&policy, "lastupdate: 2024-03-01", "lastupdate: [unclosed");
    server.signal("HUP");
    server.wait_for(
        |s| s.logged("content reload failed"),
        "the failed reload to be logged",
    );
    let log = server.log_text();
    assert!(
        log.contains(&format!("{}:3:", policy.display())),
        "names the file and line:\n{log}"
    );
    let page = server.get("/privacy");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Verantwortlicher</h2>"));
    assert!(server.get("/readyz").contains("content generation 2"));

    // Fixed again: the next SIGHUP takes.
    edit(&policy, "lastupdate: [unclosed", "lastupdate: 2024-03-02");
    server.signal("HUP");
    server.wait_for(
        |s| s.get("/readyz").contains("content generation 3"),
        "the repaired content",
    );
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(5)).success());
}

#[test]
fn watch_reloads_on_file_changes() {
    let content = editable_content();
    let policy = content.path().join("example.org/privacy.de.md");
    let server = Server::start(&[
        "--watch",
        "--content",
        &content.path().display().to_string(),
    ]);
    edit(&policy, "## Verantwortliche Stelle", "## Beobachtet");
    server.wait_for(
        |s| s.get("/privacy").contains("Beobachtet</h2>"),
        "the change to be served",
    );
    assert!(server.logged("content reloaded"));
}

#[test]
fn healthcheck_subcommand_reports_the_servers_health() {
    let server = Server::start(&["--base-path", "/legal"]);
    let healthcheck = |address: SocketAddr| {
        Command::new(env!("CARGO_BIN_EXE_privacy-pages"))
            .arg("healthcheck")
            .env_remove("PRIVACY_PAGES_CONFIG")
            .env("PRIVACY_PAGES_LISTEN", address.to_string())
            .env("PRIVACY_PAGES_BASE_PATH", "/legal")
            .output()
            .expect("runs")
    };
    let healthy = healthcheck(server.address);
    assert!(healthy.status.success(), "{healthy:?}");
    drop(server);
    let gone = healthcheck(
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port nobody listens on"),
    );
    assert_eq!(gone.status.code(), Some(1), "{gone:?}");
    assert!(String::from_utf8_lossy(&gone.stderr).contains("unhealthy"));
}

#[test]
fn request_logs_keep_no_query_cookie_or_full_address() {
    let server = Server::start(&["--log-format", "json"]);
    let response = exchange(
        server.address,
        "GET /privacy?email=visitor%40example.org HTTP/1.1\r\nHost: octoprint.org\r\n\
         Cookie: carbon-disable=true; session=s3cr3t-cookie-value\r\n\
         X-Forwarded-For: 203.0.113.77\r\nConnection: close\r\n\r\n",
    )
    .expect("request");
    assert!(response.starts_with("HTTP/1.1 200"));
    server.wait_for(|s| s.logged("/privacy"), "the request line");
    let log = server.log_text();
    let line = log
        .lines()
        .find(|line| line.contains("/privacy"))
        .expect("a line for the request");
    let entry: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    let fields = &entry["fields"];
    assert_eq!(fields["message"], "request", "{line}");
    assert_eq!(fields["method"], "GET", "{line}");
    assert_eq!(fields["path"], "/privacy", "{line}");
    assert_eq!(
        fields["client"], "203.0.113.0/24",
        "the proxy's client, truncated: {line}"
    );
    assert!(fields["status"].as_u64() == Some(200), "{line}");
    assert!(fields["latency_us"].is_u64(), "{line}");
    for secret in [
        "email",
        "visitor",
        "s3cr3t",
        "carbon-disable",
        "203.0.113.77",
    ] {
        assert!(!log.contains(secret), "{secret} logged:\n{log}");
    }
}

/// `--consent-log`: one line per decision with the receipt id the
/// visitor's cookie holds, and nothing that identifies the visitor. Off by
/// default.
#[test]
fn consent_decisions_are_logged_with_their_receipt_only_when_asked() {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opt_in/content");
    let content = content.to_str().expect("utf-8 path");
    let reject = "POST /_privacy/consent HTTP/1.1\r\nHost: shop.example\r\n\
         User-Agent: Secret-Browser/1.0\r\nX-Forwarded-For: 203.0.113.77\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\
         Connection: close\r\n\r\nchoice=reject";
    let server = Server::start_ready_at(
        &[
            "--log-format",
            "json",
            "--content",
            content,
            "--consent-log",
        ],
        "/_privacy/readyz",
    );
    let response = exchange(server.address, reject).expect("request");
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    let receipt = response
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: privacy-consent="))
        .and_then(|value| value.split('~').nth(3))
        .expect("the record's receipt")
        .to_owned();
    server.wait_for(|s| s.logged("\"consent\""), "the consent line");
    let log = server.log_text();
    let line = log
        .lines()
        .find(|line| line.contains("\"consent\""))
        .expect("a consent line");
    let entry: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    let fields = &entry["fields"];
    assert_eq!(fields["site"], "shop.example", "{line}");
    assert_eq!(fields["policy_version"], "2026-11-01", "{line}");
    assert_eq!(fields["answer"], "reject-all", "{line}");
    assert_eq!(fields["refused"], "ga,hotjar", "{line}");
    assert_eq!(fields["receipt"], receipt.as_str(), "{line}");
    for secret in ["203.0.113", "127.0.0.1", "Secret-Browser"] {
        assert!(!line.contains(secret), "{secret} in {line}");
    }
    drop(server);

    let quiet = Server::start_ready_at(
        &["--log-format", "json", "--content", content],
        "/_privacy/readyz",
    );
    let response = exchange(quiet.address, reject).expect("request");
    assert!(response.starts_with("HTTP/1.1 303"));
    quiet.wait_for(|s| s.logged("/_privacy/consent"), "the request line");
    assert!(!quiet.logged("\"consent\""), "{}", quiet.log_text());
}
