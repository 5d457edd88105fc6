//! Property tests: the invariants the fuzz targets (`fuzz/`) check, over
//! generated inputs, in every test run.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use privacy_pages::consent::{Consent, safe_return_to};
use privacy_pages::content::{self, Segment, ServiceId, Site};
use privacy_pages::lang::Lang;
use privacy_pages::request::negotiate::LangPrefs;
use proptest::prelude::*;

static OCTOPRINT: LazyLock<Arc<Site>> = LazyLock::new(|| {
    let library = content::load(&content::Source::Embedded).expect("bundled content");
    Arc::clone(library.site_for_host(Some("octoprint.org")))
});

fn carbon() -> ServiceId {
    "carbon".parse().expect("service id")
}

/// Characters that make URLs ambiguous, and bits of scheme and host.
fn url_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_owned()),
        Just("\\".to_owned()),
        Just("%2f".to_owned()),
        Just("%5c".to_owned()),
        Just("%2e".to_owned()),
        Just("%09".to_owned()),
        Just("%00".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("@".to_owned()),
        Just(":".to_owned()),
        Just("?".to_owned()),
        Just("#".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just(" ".to_owned()),
        Just("evil.example".to_owned()),
        Just("javascript:".to_owned()),
        Just("https:".to_owned()),
        Just("privacy".to_owned()),
        "[a-z0-9=&]{0,4}",
        any::<char>().prop_map(String::from),
    ]
}

/// A path of letters, digits, `-`, `_` and single slashes from the root:
/// nothing in it can lead off the site.
fn plainly_on_the_site(raw: &str) -> bool {
    raw.starts_with('/')
        && !raw.contains("//")
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
}

/// Where a browser would go if sent `Location: <target>` from `origin`.
fn resolves_on_origin(target: &str) -> bool {
    let origin = url::Url::parse("https://site.example/privacy").expect("url");
    origin
        .join(target)
        .is_ok_and(|resolved| resolved.origin() == origin.origin())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever `return_to` says, the redirect stays on this site and is a
    /// valid header value.
    #[test]
    fn return_to_never_leaves_the_site(parts in proptest::collection::vec(url_fragment(), 0..12)) {
        let raw: String = parts.concat();
        match safe_return_to(&raw) {
            Some(target) => {
                prop_assert!(target.starts_with('/') && !target.starts_with("//"), "{target:?}");
                prop_assert!(!target.contains('\\'), "{target:?}");
                prop_assert!(resolves_on_origin(&target), "{raw:?} -> {target:?}");
                prop_assert!(HeaderValue::from_str(&target).is_ok(), "{target:?}");
            }
            // Refusing everything would pass the checks above: a plain path
            // on the site must be kept.
            None => prop_assert!(!plainly_on_the_site(&raw), "{raw:?} refused"),
        }
    }

    /// Any Accept-Language value yields one of the offered languages (or the
    /// default), and never panics.
    #[test]
    fn negotiation_always_picks_an_offered_language(header in ".{0,200}", offer_de in any::<bool>()) {
        let available: &[Lang] = if offer_de { &[Lang::En, Lang::De] } else { &[Lang::En] };
        let chosen = LangPrefs::from_header(Some(&header)).choose(available, Lang::En);
        prop_assert!(available.contains(&chosen));
    }

    /// A visitor who sends the opt-out cookie is never allowed Carbon,
    /// whatever else the Cookie header holds, in whatever order.
    #[test]
    fn an_opt_out_cookie_is_always_honoured(
        before in proptest::collection::vec(("[a-zA-Z_-]{1,12}", "[ -~&&[^;]]{0,20}"), 0..20),
        after in proptest::collection::vec(("[a-zA-Z_-]{1,12}", "[ -~&&[^;]]{0,20}"), 0..20),
        split_headers in any::<bool>(),
    ) {
        let pairs = |list: &[(String, String)]| {
            list.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
        };
        let mut headers = HeaderMap::new();
        let (head, tail) = (pairs(&before), pairs(&after));
        if split_headers {
            for value in [head.as_str(), "carbon-disable=true", tail.as_str()] {
                if let Ok(value) = HeaderValue::from_str(value) {
                    headers.append(COOKIE, value);
                }
            }
        } else {
            let joined = [head.as_str(), "carbon-disable=true", tail.as_str()]
                .iter()
                .filter(|part| !part.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
            headers.insert(COOKIE, HeaderValue::from_str(&joined).expect("printable ASCII"));
        }
        let consent = Consent::read(&headers, &OCTOPRINT);
        prop_assert!(!consent.allows(&carbon()), "{headers:?}");
    }

    /// Arbitrary bytes (quotes, `=`, `;`, bytes that are not UTF-8) before
    /// and after an opt-out, in any spelling a script may have written, never
    /// unblock the service: reading fails closed.
    #[test]
    fn no_bytes_around_an_opt_out_unblock_it(
        before in proptest::collection::vec(header_byte(), 0..200),
        after in proptest::collection::vec(header_byte(), 0..200),
        spelling in prop::sample::select(vec![
            "carbon-disable=true",
            "carbon-disable=\"true\"",
            " carbon-disable = true ",
            "carbon-disable=\ttrue",
            "Carbon-Disable=TRUE",
            "\"carbon-disable=true\"",
        ]),
    ) {
        let mut bytes = before.clone();
        bytes.push(b';');
        bytes.extend_from_slice(spelling.as_bytes());
        bytes.push(b';');
        bytes.extend(after.iter());
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_bytes(&bytes).expect("bytes a header may carry"));
        let consent = Consent::read(&headers, &OCTOPRINT);
        prop_assert!(!consent.allows(&carbon()), "{bytes:?}");
    }
}

/// Any byte a header value may carry: tab, visible ASCII and space, and the
/// bytes above ASCII (not UTF-8 on their own).
fn header_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff]
}

/// Pieces of policy Markdown, hostile ones among them.
fn policy_token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "text ",
        "\n",
        "\n\n",
        "# Heading\n",
        "## Sub\n",
        "* item\n",
        "<script>alert(1)</script>",
        "<SCRIPT src=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"javascript:carbonOptout();\">Disable Carbon Ads</a>",
        "[Disable GA](javascript:gaOptout();)",
        "[link](https://example.org){:target=\"_blank\"}",
        "{: .notice}",
        "<Card type=\"info\">",
        "</Card>",
        "<center>",
        "</p>",
        "<style>body{}</style>",
        "<iframe src=//evil.example></iframe>",
        "<svg onload=alert(1)>",
        "{{ page.title }}",
        "{{ page.lastupdate | date: \"%B %-d, %Y\" }}",
        "{% if page.title %}yes{% endif %}",
        "`code`",
        "```\n<script>\n```\n",
        "&lt;script&gt;",
        "<!-- comment -->",
        "<div style=\"background:url(javascript:alert(1))\">",
        "data:text/html,<script>",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Front matter → Liquid → Markdown → sanitised HTML: whatever the body,
    /// loading never panics, errors name the file, and what renders carries
    /// no script, event handler or `javascript:` URL.
    #[test]
    fn the_pipeline_never_emits_script(tokens in proptest::collection::vec(policy_token(), 0..40)) {
        let body: String = tokens.concat();
        let policy = format!("---\ntitle: Privacy\nlastupdate: 2024-05-01\n---\n{body}\n");
        let files = [
            ("example.org/site.toml", "name = \"Example\"\nhosts = [\"example.org\"]\ndefault_language = \"en\"\ndefault = true\n[services.carbon]\nname = \"Carbon Ads\"\nkind = \"carbon\"\nserve = \"C\"\nplacement = \"p\"\nactive = true\n[services.ga]\nname = \"GA\"\nkind = \"google-analytics\"\nmeasurement_id = \"G-1\"\nactive = true\n"),
            ("example.org/privacy.en.md", policy.as_str()),
        ];
        match content::load_from_memory(Path::new("/content"), &files) {
            Ok(library) => {
                for document in library.documents() {
                    for segment in document.lead.iter().chain(&document.body) {
                        if let Segment::Html(html) = segment {
                            let dangers = content::scriptable_markup(html);
                            prop_assert!(dangers.is_empty(), "{dangers:?} in {html}");
                        }
                    }
                }
            }
            Err(errors) => {
                let message = errors.to_string();
                prop_assert!(message.contains("/content/example.org/privacy.en.md"), "{message}");
            }
        }
    }
}

#[test]
fn the_markup_checker_sees_what_a_browser_would_run() {
    assert!(content::scriptable_markup("<p>&lt;script&gt; onerror= javascript:</p>").is_empty());
    // Found by fuzzing: a window name is not a URL.
    assert!(content::scriptable_markup("<a href=\"/x\" target=\"data:k\">x</a>").is_empty());
    for html in [
        "<script>x</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\" JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"java\tscript:alert(1)\">x</a>",
        "<iframe src=//evil.example></iframe>",
        "<a href=\"data:text/html,x\">x</a>",
    ] {
        assert!(!content::scriptable_markup(html).is_empty(), "{html}");
    }
}
