//! Which of a page's own tags belong to a service: the vendors' snippets as
//! operators paste them into their sites, recognised without any edit to the
//! page.
//!
//! - by where they load from: a `<script src>`, `<link href>` (`preconnect`,
//!   `dns-prefetch`, `preload`), `<img src>` or `<iframe src>` on one of the
//!   service's origins (`//cdn.carbonads.com/carbon.js`, a tracking pixel);
//! - by what an inline loader names: gtag's `gtag('config', 'G-…')` block
//!   names the measurement id, the analytics.js `(i,s,o,g,r,a,m)` snippet and
//!   Hotjar's loader name the host they load from.
//!
//! A [`Recognizer`] holds only the services this visitor turned off, so a
//! visitor who allows everything costs nothing here.

use crate::content::Service;
use crate::embeds::page_url;

/// The services a page must lose for one visitor, as what their tags look like.
#[derive(Clone, Debug, Default)]
pub struct Recognizer {
    hosts: Vec<HostPattern>,
    /// What an inline script of one of them contains: a host, an account id.
    needles: Vec<String>,
}

/// A host (`cdn.carbonads.com`), a host and port (`127.0.0.1:9001`, for a
/// copy on another port), or every host under a domain (`*.carbonads.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    WithPort(String, u16),
    Domain(String),
}

impl HostPattern {
    /// From a CSP origin as `site.toml` and the service kinds give them.
    fn from_origin(origin: &str) -> Option<Self> {
        let (_, authority) = origin.split_once("://")?;
        let authority = authority.trim_end_matches('/').to_ascii_lowercase();
        if let Some(domain) = authority.strip_prefix("*.") {
            return Some(HostPattern::Domain(domain.to_owned()));
        }
        let url = url::Url::parse(&format!("http://{authority}")).ok()?;
        let host = url.host_str()?.to_owned();
        Some(match url.port() {
            Some(port) => HostPattern::WithPort(host, port),
            None => HostPattern::Exact(host),
        })
    }

    fn matches(&self, host: &str, port: Option<u16>) -> bool {
        match self {
            HostPattern::Exact(exact) => host == exact,
            HostPattern::WithPort(exact, wanted) => host == exact && port == Some(*wanted),
            HostPattern::Domain(domain) => {
                host == domain
                    || host
                        .strip_suffix(domain.as_str())
                        .is_some_and(|sub| sub.ends_with('.'))
            }
        }
    }

    /// What an inline loader that builds the URL itself still spells out.
    fn needle(&self) -> String {
        match self {
            HostPattern::Exact(host) | HostPattern::Domain(host) => host.clone(),
            HostPattern::WithPort(host, port) => format!("{host}:{port}"),
        }
    }
}

impl Recognizer {
    /// What the tags of `services` look like.
    pub fn new<'a>(services: impl IntoIterator<Item = &'a Service>) -> Self {
        let mut recognizer = Recognizer::default();
        for service in services {
            recognizer.add_origins(&service.origins);
            for id in &service.account_ids {
                if !recognizer.needles.contains(id) {
                    recognizer.needles.push(id.clone());
                }
            }
        }
        recognizer
    }

    /// URLs on these origins (`https://cdn.example.com`, `https://*.example.com`).
    pub fn for_origins(origins: &[String]) -> Self {
        let mut recognizer = Recognizer::default();
        recognizer.add_origins(origins);
        recognizer
    }

    fn add_origins(&mut self, origins: &[String]) {
        for pattern in origins.iter().filter_map(|o| HostPattern::from_origin(o)) {
            let needle = pattern.needle();
            if !self.needles.contains(&needle) {
                self.needles.push(needle);
            }
            if !self.hosts.contains(&pattern) {
                self.hosts.push(pattern);
            }
        }
    }

    /// Nothing to recognise: the visitor allows every service.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.needles.is_empty()
    }

    /// Whether a `src` or `href` loads from one of the services. Relative
    /// URLs are the site's own; protocol-relative ones (`//host/x.js`) are
    /// read as the browser reads them.
    pub fn blocks_url(&self, url: &str) -> bool {
        let Some(parsed) = page_url(url) else {
            return false;
        };
        let Some(host) = parsed.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let port = parsed.port_or_known_default();
        self.hosts
            .iter()
            .any(|pattern| pattern.matches(&host, port))
    }

    /// Whether an inline script (its element, as written) is one of the
    /// services' loaders: it names one of their hosts or account ids.
    pub fn blocks_inline(&self, script: &[u8]) -> bool {
        self.needles
            .iter()
            .any(|needle| contains(script, needle.as_bytes()))
    }
}

/// Case-insensitive: `GoogleTagManager.com` is the same host.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(origins: &[&str], ids: &[&str]) -> Service {
        Service {
            id: "x".parse().expect("id"),
            name: "X".to_owned(),
            kind: crate::content::ServiceKind::Script,
            active: true,
            cookie: "x-disable".to_owned(),
            tags: Vec::new(),
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            account_ids: ids.iter().map(|i| (*i).to_owned()).collect(),
            consent: crate::content::Basis::OptOut,
        }
    }

    #[test]
    fn urls_on_a_service_origin_are_recognised_in_every_spelling() {
        let carbon = service(
            &["https://cdn.carbonads.com", "https://*.buysellads.net"],
            &[],
        );
        let recognizer = Recognizer::new([&carbon]);
        for url in [
            "https://cdn.carbonads.com/carbon.js?serve=CK&placement=x",
            "//cdn.carbonads.com/carbon.js",
            "http://CDN.carbonads.com/carbon.js",
            " https://cdn.carbonads.com ",
            "https://srv.buysellads.net/ads/x.json",
            "https://buysellads.net/",
        ] {
            assert!(recognizer.blocks_url(url), "{url}");
        }
        for url in [
            "/assets/carbon.js",
            "carbon.js",
            "https://carbonads.com.evil.example/x.js",
            "https://notbuysellads.net/x",
            "https://example.org/?u=https://cdn.carbonads.com",
            "data:text/javascript,cdn.carbonads.com",
        ] {
            assert!(!recognizer.blocks_url(url), "{url}");
        }
    }

    #[test]
    fn a_port_in_the_origin_must_match() {
        let stub = service(&["http://127.0.0.1:9001"], &[]);
        let recognizer = Recognizer::new([&stub]);
        assert!(recognizer.blocks_url("http://127.0.0.1:9001/carbon.js"));
        assert!(!recognizer.blocks_url("http://127.0.0.1:9002/gtag/js"));
        assert!(!recognizer.blocks_url("http://127.0.0.1/x.js"));
    }

    #[test]
    fn inline_loaders_are_recognised_by_what_they_name() {
        let ga = service(
            &[
                "https://www.googletagmanager.com",
                "https://*.google-analytics.com",
            ],
            &["G-ABC123"],
        );
        let recognizer = Recognizer::new([&ga]);
        for script in [
            "<script>window.dataLayer = window.dataLayer || [];\nfunction gtag(){dataLayer.push(arguments);}\ngtag('js', new Date());\ngtag('config', 'G-ABC123');</script>",
            "<script>(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');</script>",
        ] {
            assert!(recognizer.blocks_inline(script.as_bytes()), "{script}");
        }
        assert!(!recognizer.blocks_inline(b"<script>console.log('G-ABC12')</script>"));
        assert!(Recognizer::new([]).is_empty());
        assert!(!Recognizer::new([]).blocks_inline(b"<script>gtag('config','G-ABC123')</script>"));
    }
}
