//! privacy-pages in front of a whole static site (`root` in `site.toml`):
//! the operator's pages as a static host serves them, the vendors' snippets
//! in them removed for a visitor who turned the service off, and
//! privacy-pages' own pages under the site's prefix and at the policies'
//! addresses. The fixture is `tests/fixtures/front/`.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use privacy_pages::content::{self, Source};
use privacy_pages::{AppState, app};

use crate::support::{Reply, copy_dir, send_for_bytes, send_to};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/front")
}

fn fronting() -> Router {
    let library =
        content::load(&Source::Dir(fixture().join("content"))).expect("the fronted site loads");
    app(AppState::new(library))
}

async fn get(path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(path).header("host", "shop.example");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send_to(fronting(), request.body(Body::empty()).expect("request")).await
}

fn file(path: &str) -> String {
    std::fs::read_to_string(fixture().join("site").join(path)).expect("fixture file")
}

/// A page with its video player (as written) or the placeholder the gate
/// put in its place (as sent) reduced to a mark, for comparing the rest.
fn embed_as_mark(html: &str) -> String {
    for (start, end) in [
        ("<iframe ", "</iframe>"),
        ("<div class=\"privacy-pages-embed\"", "</div>"),
    ] {
        if let Some(at) = html.find(start) {
            let stop = at + html[at..].find(end).expect("closed") + end.len();
            return format!("{}[video]{}", &html[..at], &html[stop..]);
        }
    }
    html.to_owned()
}

/// The page as sent without the one tag the gate adds to every page.
fn without_consent_script(body: &str) -> String {
    let start = body
        .find("<script src=\"/_privacy/static/consent.")
        .unwrap_or_else(|| panic!("consent.js is added under the prefix: {body}"));
    let end = start + body[start..].find("</script>").expect("closed") + "</script>".len();
    format!("{}{}", &body[..start], &body[end..])
}

const VENDORS: [&str; 6] = [
    "googletagmanager.com",
    "google-analytics.com",
    "carbonads.com",
    "plausible.io",
    "hotjar.com",
    "G-SHOP123",
];

#[tokio::test]
async fn a_visitor_who_allows_everything_gets_the_page_byte_for_byte() {
    for (path, source) in [
        ("/", "index.html"),
        ("/blog/", "blog/index.html"),
        ("/blog/2024/hello", "blog/2024/hello.html"),
        ("/blog/2024/hello.html", "blog/2024/hello.html"),
        ("/about/", "about/index.html"),
    ] {
        let page = get(path, &[]).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(
            page.header("content-type"),
            Some("text/html"),
            "{path}: the media type a static host sends"
        );
        assert_eq!(
            embed_as_mark(&without_consent_script(&page.body)),
            embed_as_mark(&file(source)),
            "{path}"
        );
        assert!(
            page.header_all("vary").contains("Cookie, Sec-GPC"),
            "{path}"
        );
        assert_eq!(page.header("cache-control"), Some("private, no-cache"));
        assert!(
            page.header("content-security-policy").is_none(),
            "the operator's inline scripts must keep working"
        );
    }
}

#[tokio::test]
async fn global_privacy_control_removes_every_vendor_snippet_and_nothing_else() {
    for path in [
        "/",
        "/blog/",
        "/blog/2024/hello",
        "/about/",
        "/no-such-page",
    ] {
        let page = get(path, &[("sec-gpc", "1")]).await;
        let body = without_consent_script(&page.body);
        for vendor in VENDORS {
            assert!(
                !body.contains(vendor),
                "{path}: `{vendor}` reached a visitor who sent GPC:\n{}",
                page.body
            );
        }
    }
    let home = get("/", &[("sec-gpc", "1")]).await;
    // The site's own scripts and data stay, as written.
    for own in [
        "<script src=\"/assets/site.js\" defer></script>",
        "<script>document.documentElement.dataset.siteScript = \"ran\";</script>",
        "<script type=\"application/ld+json\">",
        "<link rel=\"stylesheet\" href=\"/assets/style.css\">",
        // Plausible's queue stub names no host and loads nothing.
        "window.plausible = window.plausible ||",
        "<!-- Hotjar Tracking Code for https://shop.example -->",
    ] {
        assert!(home.body.contains(own), "`{own}` was lost:\n{}", home.body);
    }
}

#[tokio::test]
async fn an_opt_out_removes_that_service_and_leaves_the_others_byte_for_byte() {
    let blog = get("/blog/2024/hello", &[("cookie", "carbon-disable=true")]).await;
    assert!(!blog.body.contains("carbonads"), "{}", blog.body);
    let expected = file("blog/2024/hello.html")
        .replace(
            "<link rel=\"preconnect\" href=\"https://cdn.carbonads.com\" crossorigin>",
            "",
        )
        .replace(
            "<script async src=\"//cdn.carbonads.com/carbon.js?serve=CKYISHOP&placement=shopexample\" id=\"_carbonads_js\"></script>",
            "",
        );
    assert_eq!(
        embed_as_mark(&without_consent_script(&blog.body)),
        embed_as_mark(&expected)
    );

    let home = get("/", &[("cookie", "ga-disable-G-SHOP123=true")]).await;
    for gone in ["googletagmanager.com", "gtag('config'"] {
        assert!(!home.body.contains(gone), "{gone}: {}", home.body);
    }
    for kept in [
        "<script defer data-domain=\"shop.example\" src=\"https://plausible.io/js/script.js\"></script>",
        "})(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');\n  </script>",
        "<link rel=\"dns-prefetch\" href=\"//cdn.carbonads.com\">",
    ] {
        assert!(home.body.contains(kept), "{kept}: {}", home.body);
    }
    // The old analytics.js snippet and its pixel go as well.
    let about = get("/about/", &[("cookie", "ga-disable-G-SHOP123=true")]).await;
    assert!(
        !about.body.contains("google-analytics.com"),
        "{}",
        about.body
    );
    assert!(about.body.contains("<h1>About us</h1>"));
}

#[tokio::test]
async fn the_browser_itself_refuses_what_the_visitor_turned_off() {
    let gpc = get("/", &[("sec-gpc", "1")]).await;
    assert_eq!(
        gpc.header("content-security-policy"),
        Some(
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'; frame-src 'self' \
             https://www.youtube-nocookie.com https://player.vimeo.com; object-src 'none'"
        )
    );
    let carbon_off = get("/blog/", &[("cookie", "carbon-disable=true")]).await;
    let csp = carbon_off
        .header("content-security-policy")
        .expect("a policy for a visitor who turned Carbon off");
    assert!(!csp.contains("carbonads"), "{csp}");
    for allowed in [
        "https://www.googletagmanager.com",
        "https://plausible.io",
        "https://static.hotjar.com",
    ] {
        assert!(csp.contains(allowed), "{allowed} is still allowed: {csp}");
    }
    // Only pages carry it; a feed or a stylesheet is not a document.
    let feed = get("/feed.xml", &[("sec-gpc", "1")]).await;
    assert!(feed.header("content-security-policy").is_none());
}

#[tokio::test]
async fn a_video_player_becomes_a_placeholder_that_contacts_nobody() {
    let post = get("/blog/2024/hello", &[]).await;
    let body = &post.body;
    assert!(!body.contains("<iframe"), "{body}");
    for contact in ["youtube-nocookie.com/embed", "ytimg", "<img"] {
        assert!(
            !body.contains(&format!("src=\"https://www.{contact}")),
            "{body}"
        );
    }
    for expected in [
        "data-embed-player=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1\"",
        "max-width:560px;aspect-ratio:560/315",
        "Playing this video connects to YouTube (Google)",
        "href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\" rel=\"noopener\">Watch “YouTube video player” on YouTube</a>",
        "<a style=\"color:#0645ad\" href=\"/privacy\">Privacy policy</a>",
    ] {
        assert!(body.contains(expected), "{expected}: {body}");
    }
}

#[tokio::test]
async fn paths_resolve_as_a_static_host_resolves_them() {
    let about = get("/about?x=1", &[]).await;
    assert_eq!(about.status, 301);
    assert_eq!(about.header("location"), Some("about/?x=1"));

    let missing = get("/no-such-page", &[]).await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("This page is not in the shop"),
        "the site's own 404.html: {}",
        missing.body
    );
    assert!(missing.header("etag").is_none());

    for hidden in [
        "/.git/config",
        "/../content/shop.example/site.toml",
        "/%2e%2e/README.md",
    ] {
        assert_eq!(get(hidden, &[]).await.status, 404, "{hidden}");
    }

    let feed = get("/feed.xml", &[("sec-gpc", "1")]).await;
    assert_eq!(feed.status, 200);
    assert_eq!(feed.body, file("feed.xml"), "non-HTML passes untouched");
    assert_eq!(feed.header("content-type"), Some("text/xml"));

    let post = send_to(
        fronting(),
        Request::post("/blog/")
            .header("host", "shop.example")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn assets_come_precompressed_and_in_ranges() {
    let request = |headers: &[(&str, &str)]| {
        let mut request = Request::get("/assets/style.css").header("host", "shop.example");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Body::empty()).expect("request")
    };
    let (gzip, bytes) = send_for_bytes(fronting(), request(&[("accept-encoding", "gzip")])).await;
    assert_eq!(gzip.status, 200);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.header("content-type"), Some("text/css"));
    let sibling = std::fs::read(fixture().join("site/assets/style.css.gz")).expect("gz");
    assert_eq!(
        bytes, sibling,
        "the precompressed sibling, as it is on disk"
    );

    let (range, bytes) = send_for_bytes(fronting(), request(&[("range", "bytes=0-15")])).await;
    assert_eq!(range.status, 206);
    assert_eq!(bytes, b"/* Example Shop ");

    let (plain, _) = send_for_bytes(fronting(), request(&[])).await;
    let last_modified = plain
        .header("last-modified")
        .expect("a validator")
        .to_owned();
    let (again, bytes) = send_for_bytes(
        fronting(),
        request(&[("if-modified-since", &last_modified)]),
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(bytes.is_empty());
}

#[tokio::test]
async fn a_page_revalidates_only_while_the_visitor_allows_the_same_services() {
    let first = get("/blog/", &[]).await;
    let etag = first.header("etag").expect("a validator").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert!(first.header("last-modified").is_none());
    let again = get("/blog/", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    // After an opt-out the cached page (with Carbon in it) must not be reused.
    let opted_out = get(
        "/blog/",
        &[("if-none-match", &etag), ("cookie", "carbon-disable=true")],
    )
    .await;
    assert_eq!(opted_out.status, 200);
    assert!(!opted_out.body.contains("carbonads"));
    // A range of a gated page would be a range of other bytes.
    let range = get("/blog/", &[("range", "bytes=0-9")]).await;
    assert_eq!(range.status, 200);
}

#[tokio::test]
async fn privacy_pages_own_pages_live_under_the_prefix_and_at_the_policy() {
    let policy = get("/privacy", &[]).await;
    assert_eq!(policy.status, 200);
    assert!(policy.body.contains("This site shows ads by Carbon Ads"));
    assert!(
        policy.body.contains("action=\"/_privacy/optout/carbon\""),
        "the forms post under the prefix: {}",
        policy.body
    );
    assert!(policy.header("content-security-policy").is_some());

    let choices = get("/_privacy/choices", &[]).await;
    assert_eq!(choices.status, 200);
    assert!(
        choices.body.contains(
            "<form id=\"optout-hotjar\" method=\"post\" action=\"/_privacy/optout/hotjar\""
        ),
        "{}",
        choices.body
    );
    assert!(choices.body.contains("value=\"/_privacy/choices\""));

    let index = get("/_privacy/", &[]).await;
    assert_eq!(index.status, 200);
    assert!(index.body.contains("/_privacy/privacy"), "{}", index.body);
    assert_eq!(get("/_privacy/healthz", &[]).await.body, "ok\n");
    assert_eq!(get("/.well-known/gpc.json", &[]).await.status, 200);

    // The consent.js every fronted page names is there.
    let home = get("/", &[]).await;
    let start = home
        .body
        .find("/_privacy/static/consent.")
        .expect("consent.js");
    let src = &home.body[start..start + home.body[start..].find('"').expect("quoted")];
    assert_eq!(get(src, &[]).await.status, 200, "{src}");

    // An opt-out made on any page of the site returns there.
    let optout = send_to(
        fronting(),
        Request::post("/_privacy/optout/carbon")
            .header("host", "shop.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("return_to=%2Fblog%2F2024%2Fhello"))
            .expect("request"),
    )
    .await;
    assert_eq!(optout.status, 303);
    assert_eq!(
        optout.header("location"),
        Some("/blog/2024/hello?optout=carbon")
    );
    assert!(
        optout
            .header_all("set-cookie")
            .contains("carbon-disable=true")
    );
}

#[tokio::test]
async fn a_file_the_policies_would_hide_stops_start_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let content = dir.path().join("content/shop.example");
    std::fs::create_dir_all(&content).expect("mkdir");
    for name in ["site.toml", "privacy.en.md"] {
        std::fs::copy(
            fixture().join("content/shop.example").join(name),
            content.join(name),
        )
        .expect("copy");
    }
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("privacy")).expect("mkdir");
    std::fs::write(site.join("privacy/index.html"), "the old policy").expect("write");
    std::fs::write(site.join("index.html"), "home").expect("write");
    let errors = content::load(&Source::Dir(dir.path().join("content")))
        .expect_err("a collision is an error")
        .to_string();
    let site = std::fs::canonicalize(&site).expect("canonical");
    assert!(
        errors.contains(&format!(
            "{}: collides with privacy-pages: the policy `privacy`",
            site.join("privacy").display()
        )),
        "{errors}"
    );

    std::fs::remove_dir_all(dir.path().join("site")).expect("rm");
    let errors = content::load(&Source::Dir(dir.path().join("content")))
        .expect_err("a missing root is an error")
        .to_string();
    assert!(
        errors.contains("site.toml:5: `root` `../../site` cannot be opened"),
        "{errors}"
    );
}

/// The fixture copied where a test may change its files.
fn writable_copy() -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture(), dir.path());
    let library = content::load(&Source::Dir(dir.path().join("content"))).expect("loads");
    (dir, app(AppState::new(library)))
}

async fn get_from(app: &Router, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(path).header("host", "shop.example");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send_to(app.clone(), request.body(Body::empty()).expect("request")).await
}

#[tokio::test]
async fn a_kept_page_lasts_exactly_as_long_as_its_file() {
    let (dir, app) = writable_copy();
    let first = get_from(&app, "/blog/", &[]).await;
    let again = get_from(&app, "/blog/", &[]).await;
    assert_eq!(first.body, again.body);
    // Kept per visitor state: the next visitor turned Carbon off.
    let off = get_from(&app, "/blog/", &[("cookie", "carbon-disable=true")]).await;
    assert!(first.body.contains("carbonads") && !off.body.contains("carbonads"));
    // The operator deploys a new build: the next request sees it.
    let file = dir.path().join("site/blog/index.html");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("<h1>Blog</h1>", "<h1>News</h1>")).expect("write");
    let changed = get_from(&app, "/blog/", &[]).await;
    assert!(changed.body.contains("<h1>News</h1>"), "{}", changed.body);
    // And a file replaced by a new one (rsync writes a new inode) too.
    let replacement = dir.path().join("site/blog/index.html.tmp");
    std::fs::write(
        &replacement,
        text.replace("<h1>Blog</h1>", "<h1>Journal</h1>"),
    )
    .expect("write");
    std::fs::rename(&replacement, &file).expect("rename");
    let replaced = get_from(&app, "/blog/", &[]).await;
    assert!(
        replaced.body.contains("<h1>Journal</h1>"),
        "{}",
        replaced.body
    );
    // A kept asset revalidates by its date like any other.
    let css = get_from(&app, "/assets/style.css", &[]).await;
    let since = css.header("last-modified").expect("date").to_owned();
    let not_modified = get_from(&app, "/assets/style.css", &[("if-modified-since", &since)]).await;
    assert_eq!(not_modified.status, 304);
}
