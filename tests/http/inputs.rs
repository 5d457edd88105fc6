//! Hostile inputs: traversal, encoding tricks, non-UTF-8 bytes, open
//! redirects, reflected values. Each is answered with the right 4xx (or
//! served as if absent) and nothing a visitor sent comes back unescaped.

use axum::body::Body;
use axum::http::Request;
use privacy_pages::AppState;
use privacy_pages::layers::limits::ConnectionLimits;

use crate::support::{bundled, exchange_raw, get, raw_status, send, serve_on_loopback};

/// What must never appear in an answer: files outside the served set, and a
/// script we sent.
fn assert_nothing_leaked(body: &str, context: &str) {
    for secret in ["root:x:0:0", "[package]", "hosts = [", "fn main"] {
        assert!(!body.contains(secret), "{context}: leaked {secret:?}");
    }
    assert!(
        !body.contains("<script>alert") && !body.contains("<svg onload"),
        "{context}: reflected markup"
    );
}

#[tokio::test]
async fn traversal_in_any_path_segment_finds_nothing() {
    for path in [
        "/static/../Cargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/....//....//etc/passwd",
        "/static/..%5c..%5cCargo.toml",
        "/static/%252e%252e/Cargo.toml",
        "/static/style.css%00.txt",
        "/static//etc/passwd",
        "/static/../content/octoprint.org/site.toml",
        "/privacy/..%2f..%2fetc%2fpasswd",
        "/privacy/%2e%2e",
        "/privacy/2018-05-24%00",
        "/privacy/2018-05-24/../../site.toml",
        "/..%2fcontent%2foctoprint.org%2fsite.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/site.toml",
        "/privacy.en.md",
        "/octoprint.org/site.toml",
    ] {
        let reply = get(path, &[]).await;
        assert!(
            matches!(reply.status.as_u16(), 400 | 404),
            "{path}: {}",
            reply.status
        );
        assert_nothing_leaked(&reply.body, path);
    }
}

#[tokio::test]
async fn reflected_values_are_escaped_or_dropped() {
    let payload = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    for path in [
        format!("/privacy?lang={payload}"),
        format!("/privacy?optout={payload}"),
        format!("/privacy?optin={payload}"),
        "/privacy?lang=de&optout=carbon%22%3E%3Csvg%20onload=alert(1)%3E".to_owned(),
        format!("/{payload}"),
        format!("/privacy/{payload}"),
        format!("/privacy/versions?x={payload}"),
    ] {
        let reply = get(&path, &[]).await;
        assert!(
            matches!(reply.status.as_u16(), 200 | 400 | 404),
            "{path}: {}",
            reply.status
        );
        assert_nothing_leaked(&reply.body, &path);
    }

    // Headers a visitor controls.
    for (name, value) in [
        ("accept-language", "<script>alert(1)</script>"),
        ("host", "evil.example\"><script>alert(1)</script>"),
        ("cookie", "carbon-disable=\"><script>alert(1)</script>"),
        ("referer", "https://evil.example/<script>alert(1)</script>"),
    ] {
        let reply = get("/privacy", &[(name, value)]).await;
        assert!(
            matches!(reply.status.as_u16(), 200 | 400),
            "{name}: {}",
            reply.status
        );
        assert_nothing_leaked(&reply.body, name);
    }
}

/// `return_to` payloads: every redirect stays on this site, with no header
/// injected.
#[tokio::test]
async fn return_to_cannot_redirect_elsewhere() {
    for payload in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:%20x=1",
        "/privacy%0d%0aLocation:%20https://evil.example",
        "/\t/evil.example",
        "/ /evil.example",
        "http:evil.example",
        "/..//evil.example",
        "/%2e%2e//evil.example",
    ] {
        let body = format!(
            "return_to={}",
            form_urlencoded::byte_serialize(payload.as_bytes()).collect::<String>()
        );
        let request = Request::post("/optout/carbon")
            .header("host", "octoprint.org")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let reply = send(request).await;
        assert!(
            reply.status.is_redirection() || reply.status.is_client_error(),
            "{payload}: {}",
            reply.status
        );
        match reply.header("location") {
            Some(location) => {
                assert!(
                    location.starts_with('/') && !location.starts_with("//"),
                    "{payload} -> {location}"
                );
                assert!(!location.contains('\\'), "{payload} -> {location}");
                let base = url::Url::parse("https://octoprint.org/privacy").expect("url");
                let resolved = base.join(location).expect("resolvable");
                assert_eq!(resolved.host_str(), Some("octoprint.org"), "{payload}");
            }
            None => assert!(
                !reply.status.is_redirection(),
                "{payload}: a redirect without a Location"
            ),
        }
        assert!(reply.headers.get_all("set-cookie").iter().all(|value| {
            let value = value.to_str().unwrap_or_default();
            value.starts_with("carbon-disable=")
        }));
    }
}

/// Bytes no client library would send, spoken over a raw socket.
#[tokio::test]
async fn raw_non_utf8_and_malformed_requests_get_4xx() {
    let address = serve_on_loopback(AppState::new(bundled()), ConnectionLimits::default()).await;
    let request = |line: &[u8], headers: &[u8]| {
        let mut bytes = line.to_vec();
        bytes.extend_from_slice(b"\r\nHost: octoprint.org\r\n");
        bytes.extend_from_slice(headers);
        bytes.extend_from_slice(b"Connection: close\r\n\r\n");
        bytes
    };

    for (raw, expected) in [
        (request(b"GET /privacy%FF%FE HTTP/1.1", b""), 404),
        (request(b"GET /privacy/%FF HTTP/1.1", b""), 404),
        (request(b"POST /optout/%FF HTTP/1.1", b"Content-Length: 0\r\n"), 404),
        (request(b"GET /static/%C0%AE%C0%AE/Cargo.toml HTTP/1.1", b""), 404),
        (request(b"GET /static/../../Cargo.toml HTTP/1.1", b""), 404),
        (request(b"GET /\xff\xfe HTTP/1.1", b""), 400),
        (request(b"GET /privacy HTTP/1.1 extra", b""), 400),
        (request(b"GET privacy HTTP/1.1", b""), 404),
        (request(b"BREW /privacy HTTP/1.1", b""), 405),
        (request(b"GET /privacy HTTP/1.1", b"Bad Header\r\n"), 400),
        (request(b"GET /privacy HTTP/1.1", b"Accept-Language: d\xe9\xff;q=0.9\r\n"), 200),
        (request(b"GET /privacy HTTP/1.1", b"Cookie: carbon-disable=\xff\xfe\r\n"), 200),
        (
            b"POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\nConnection: close\r\n\r\nreturn_to=\xff\xfe".to_vec(),
            303,
        ),
    ] {
        let response = exchange_raw(address, &raw).await;
        assert_eq!(
            raw_status(&response),
            expected,
            "{}\n{response}",
            String::from_utf8_lossy(&raw)
        );
        assert_nothing_leaked(&response, &String::from_utf8_lossy(&raw));
    }
}
