//! The in-memory document model: what content loading produces and page
//! handlers read. Built once at start-up and never mutated, so a request only
//! picks a [`Document`] and renders it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use serde::Deserialize;
use time::{Date, OffsetDateTime};

use crate::lang::Lang;

/// A third-party service a site's policies describe, named as in `site.toml`
/// (`ga`, `carbon`, …) and in opt-out links (`javascript:gaOptout();`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(String);

impl ServiceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ServiceId {
    type Err = String;

    /// Lowercase ASCII letters, digits and dashes: the id ends up in URLs,
    /// cookie names and HTML attributes, so it must need no escaping anywhere.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = !s.is_empty()
            && s.len() <= 32
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(ServiceId(s.to_owned()))
        } else {
            Err(format!(
                "invalid service id `{s}`: use 1-32 lowercase letters, digits and dashes, starting with a letter"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for ServiceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One entry of a page's table of contents: a Markdown heading and its anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TocEntry {
    /// 2 for `##`, 3 for `###`.
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A piece of a rendered policy body. Most of a body is HTML fixed at start-up;
/// opt-out controls are kept typed because how they render depends on the
/// visitor (their consent state and language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Sanitised, well-formed HTML.
    Html(String),
    OptOut(OptOutControl),
    /// The table of contents, where kramdown's `{:toc}` put it.
    Toc,
}

/// A `javascript:<service>Optout();` link from the source, as a typed control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptOutControl {
    pub service: ServiceId,
    /// The link text as the policy worded it (sanitised HTML, usually plain text).
    pub label_html: String,
}

/// The layouts a document's front matter may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// A policy page: title, last-updated line, table of contents, body.
    #[default]
    Page,
}

/// One policy, in one version, in one language: a rendered Markdown file.
#[derive(Clone, Debug)]
pub struct Document {
    pub title: String,
    pub lang: Lang,
    pub layout: Layout,
    /// The `<meta name="robots">` value, if the front matter sets one.
    pub robots: Option<String>,
    pub last_updated: Option<OffsetDateTime>,
    pub toc: Vec<TocEntry>,
    /// What comes before the first heading (a callout, an archive note): pages
    /// show it above the table of contents, where a reader meets it first.
    pub lead: Vec<Segment>,
    pub body: Vec<Segment>,
    /// The text by section, for comparing versions.
    pub outline: Vec<Section>,
    /// What this version changed, in short sentences (front matter `changes:`).
    pub changes: Vec<String>,
    /// Jekyll's `permalink:`, where the page used to live (`/datenschutz/`).
    pub permalink: Option<String>,
    /// Where the document came from, for error messages and operators' logs.
    pub source: PathBuf,
}

/// A part of a document as plain text: the words under one heading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// The heading's anchor on the page; none for the text before the first heading.
    pub id: Option<String>,
    /// The heading's text; empty for the text before the first heading.
    pub title: String,
    /// Paragraphs, list items, table rows, in order, as plain text.
    pub paragraphs: Vec<String>,
}

impl Document {
    /// Whether the text places the table of contents itself (`{:toc}`);
    /// otherwise pages show it after the lead.
    pub fn places_toc(&self) -> bool {
        self.lead
            .iter()
            .chain(&self.body)
            .any(|s| matches!(s, Segment::Toc))
    }

    /// The opt-out controls this document offers, in order of appearance.
    pub fn opt_outs(&self) -> impl Iterator<Item = &OptOutControl> {
        self.lead
            .iter()
            .chain(&self.body)
            .filter_map(|segment| match segment {
                Segment::OptOut(control) => Some(control),
                Segment::Html(_) | Segment::Toc => None,
            })
    }
}

/// One version of a policy, in every language it was written in.
#[derive(Clone, Debug)]
pub struct Version {
    /// The version's date (its `lastupdate`), which is also its URL segment.
    /// Only a current version may lack one.
    pub date: Option<Date>,
    pub translations: BTreeMap<Lang, Document>,
}

impl Version {
    pub fn languages(&self) -> impl Iterator<Item = Lang> + '_ {
        self.translations.keys().copied()
    }

    /// The languages this version exists in, as a list to negotiate over.
    pub fn language_list(&self) -> Vec<Lang> {
        self.languages().collect()
    }

    /// The translation in `lang`, or else any (a version always has one).
    #[expect(
        clippy::expect_used,
        reason = "the loader builds a version only from at least one document"
    )]
    pub fn translation(&self, lang: Lang) -> &Document {
        self.translations
            .get(&lang)
            .or_else(|| self.translations.values().next())
            .expect("a version always has at least one translation (checked at load)")
    }
}

/// A policy (`privacy`, …): its current version and the versions it replaced.
#[derive(Clone, Debug)]
pub struct Policy {
    pub slug: String,
    /// Where the current version lives, if its front matter says
    /// (`permalink: /datenschutz/`), as written; else `/<slug>`.
    pub permalink: Option<String>,
    pub current: Version,
    /// Newest first; every date is older than the current version's.
    pub archived: Vec<Version>,
}

impl Policy {
    /// The current version's path under the mount: its permalink, or `/<slug>`.
    pub fn path(&self) -> String {
        self.permalink
            .clone()
            .unwrap_or_else(|| format!("/{}", self.slug))
    }

    /// Whether `path` (under the mount) is this policy's permalink in its
    /// other form, with or without the trailing slash.
    pub fn is_permalink_variant(&self, path: &str) -> bool {
        self.permalink.as_deref().is_some_and(|permalink| {
            permalink != path && permalink.trim_end_matches('/') == path.trim_end_matches('/')
        })
    }

    /// Every version, the current one first, then archived ones newest first.
    pub fn versions(&self) -> impl Iterator<Item = &Version> {
        std::iter::once(&self.current).chain(&self.archived)
    }

    /// A version by its date: an archived one, or the current one (so that a
    /// dated link to today's text keeps working after it is superseded).
    pub fn version(&self, date: Date) -> Option<&Version> {
        self.versions().find(|version| version.date == Some(date))
    }

    /// The version `version` replaced, if any.
    pub fn previous(&self, version: &Version) -> Option<&Version> {
        self.versions()
            .skip_while(|v| !std::ptr::eq(*v, version))
            .nth(1)
    }

    /// Whether `version` is the current one.
    pub fn is_current(&self, version: &Version) -> bool {
        std::ptr::eq(version, &self.current)
    }
}

/// A third-party service as configured in `site.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    /// How pages name it ("Carbon Ads").
    pub name: String,
    pub kind: ServiceKind,
    /// Whether its scripts go into pages now. An inactive service keeps its
    /// opt-out (older policies still offer it).
    pub active: bool,
    /// The opt-out cookie's name; its value is `true`.
    pub cookie: String,
    /// What the script gate puts into pages for visitors who allow the service.
    pub tags: Vec<ScriptTag>,
    /// Origins its scripts load from (`https://cdn.carbonads.com`).
    pub origins: Vec<String>,
}

/// The services privacy-pages knows the tags of, so that operators give
/// settings (a measurement id, a placement), not HTML.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    GoogleAnalytics,
    Carbon,
    Plausible,
    /// One script from `script_url`.
    #[default]
    Script,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 4] = [
        ServiceKind::GoogleAnalytics,
        ServiceKind::Carbon,
        ServiceKind::Plausible,
        ServiceKind::Script,
    ];

    /// The name `site.toml` gives it (`kind = "google-analytics"`).
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::GoogleAnalytics => "google-analytics",
            ServiceKind::Carbon => "carbon",
            ServiceKind::Plausible => "plausible",
            ServiceKind::Script => "script",
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for ServiceKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ServiceKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = ServiceKind::ALL.iter().map(|k| k.name()).collect();
                serde::de::Error::custom(format!(
                    "unknown kind `{name}` (known: {})",
                    known.join(", ")
                ))
            })
    }
}

/// Where in a page a tag goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Before `</head>`.
    Head,
    /// Before `</body>` (where Carbon's ad appears).
    Body,
}

/// A `<script>` element, described rather than written: the script gate
/// writes it, with URLs for the request's mount and every value escaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptTag {
    pub placement: Placement,
    pub src: ScriptSource,
    /// In order; `None` for a boolean attribute (`async`).
    pub attributes: Vec<(&'static str, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptSource {
    /// The vendor's script, or an operator's copy of it.
    Url(url::Url),
    /// A file privacy-pages serves itself from its static files (`gtag-init.js`).
    Bundled(&'static str),
}

/// One operator's site: the hosts it answers for and its policies.
#[derive(Clone, Debug)]
pub struct Site {
    /// The content folder's name (`octoprint.org`).
    pub id: String,
    pub name: String,
    /// Lowercase, without port; the first is the canonical host.
    pub hosts: Vec<String>,
    pub default_lang: Lang,
    pub services: BTreeMap<ServiceId, Service>,
    /// The `Domain` of opt-out cookies, so that sibling hosts (a forum on
    /// `community.example.org`) see an opt-out set here. None: host-only.
    pub cookie_domain: Option<String>,
    pub policies: BTreeMap<String, Policy>,
}

impl Site {
    pub fn canonical_host(&self) -> &str {
        self.hosts.first().map_or(self.id.as_str(), String::as_str)
    }
}

/// Every site, ready to serve.
#[derive(Clone, Debug)]
pub struct Library {
    sites: Vec<Arc<Site>>,
    default_site: usize,
    warnings: Vec<super::ContentError>,
}

impl Library {
    /// Callers guarantee `default_site` indexes `sites` and hosts are unique.
    pub(crate) fn new(sites: Vec<Site>, default_site: usize) -> Self {
        debug_assert!(default_site < sites.len());
        Library {
            sites: sites.into_iter().map(Arc::new).collect(),
            default_site,
            warnings: Vec::new(),
        }
    }

    pub(crate) fn with_warnings(mut self, warnings: Vec<super::ContentError>) -> Self {
        self.warnings = warnings;
        self
    }

    /// What loaded but may not work as meant, as `file:line: reason`.
    pub fn warnings(&self) -> &[super::ContentError] {
        &self.warnings
    }

    pub fn sites(&self) -> &[Arc<Site>] {
        &self.sites
    }

    pub fn default_site(&self) -> &Arc<Site> {
        &self.sites[self.default_site]
    }

    /// The site answering for a `Host` header value (port and case ignored);
    /// the default site for an unknown or missing host.
    pub fn site_for_host(&self, host: Option<&str>) -> &Arc<Site> {
        let Some(host) = host.map(normalize_host) else {
            return self.default_site();
        };
        self.sites
            .iter()
            .find(|site| site.hosts.contains(&host))
            .unwrap_or_else(|| self.default_site())
    }

    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.sites
            .iter()
            .flat_map(|site| site.policies.values())
            .flat_map(|policy| std::iter::once(&policy.current).chain(&policy.archived))
            .flat_map(|version| version.translations.values())
    }
}

/// `Example.ORG:8080` → `example.org`; `[::1]:80` → `[::1]`; a trailing dot dropped.
pub fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let without_port = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    without_port.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids() {
        for ok in ["ga", "carbon", "plausible", "a1-b"] {
            assert!(ok.parse::<ServiceId>().is_ok(), "{ok}");
        }
        for bad in ["", "GA", "1ga", "g a", "ga\"", "-ga", &"a".repeat(33)] {
            assert!(bad.parse::<ServiceId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts_are_normalized() {
        for (input, expected) in [
            ("octoprint.org", "octoprint.org"),
            ("OctoPrint.ORG", "octoprint.org"),
            ("octoprint.org:8080", "octoprint.org"),
            ("octoprint.org.", "octoprint.org"),
            (" octoprint.org ", "octoprint.org"),
            ("[::1]:8080", "[::1]"),
            ("127.0.0.1:80", "127.0.0.1"),
        ] {
            assert_eq!(normalize_host(input), expected, "{input}");
        }
    }
}
