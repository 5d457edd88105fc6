//! The in-memory document model: what content loading produces and page
//! handlers read. Built once at start-up and never mutated, so a request only
//! picks a [`Document`] and renders it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use time::{Date, OffsetDateTime};

pub use super::service::{
    Basis, Placement, ScriptSource, ScriptTag, Service, ServiceId, ServiceKind,
};
use crate::lang::Lang;

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
    /// `reconsent: true`: this version changed what visitors agreed to, so
    /// their earlier decisions are asked again.
    pub reconsent: bool,
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
    /// The operator's own site, when privacy-pages stands in front of it.
    pub front: Option<Front>,
    /// How long a visitor's consent decision is kept.
    pub consent_days: u32,
}

impl Site {
    pub fn canonical_host(&self) -> &str {
        self.hosts.first().map_or(self.id.as_str(), String::as_str)
    }

    /// Whether any service waits for the visitor's yes: only then is there
    /// a consent banner.
    pub fn asks_consent(&self) -> bool {
        self.services.values().any(|service| self.asks_for(service))
    }

    /// Whether `service` loads only after the visitor's yes and would load
    /// here: privacy-pages puts it in (`active`), or the operator's own
    /// pages do (a fronted site).
    pub fn asks_for(&self, service: &Service) -> bool {
        // A player asks for itself, on its placeholder.
        service.consent == Basis::OptIn
            && !service.kind.is_player()
            && (service.active || self.front.is_some())
    }

    /// The version a consent decision given today is given under: the
    /// newest current version of the site's policies.
    pub fn policy_version(&self) -> Option<Date> {
        self.policies
            .values()
            .filter_map(|policy| policy.current.date)
            .max()
    }

    /// The newest version whose front matter says `reconsent: true`: a
    /// decision given under an older version no longer counts.
    pub fn reconsent_since(&self) -> Option<Date> {
        self.policies
            .values()
            .flat_map(Policy::versions)
            .filter(|version| version.translations.values().any(|doc| doc.reconsent))
            .filter_map(|version| version.date)
            .max()
    }

    /// On a fronted site, whether `path` is privacy-pages' own rather than
    /// the operator's: under the prefix, a policy's address (`/privacy`,
    /// `/privacy/changes`, a permalink), or the site's GPC statement.
    pub fn owns_path(&self, path: &str) -> bool {
        let Some(front) = &self.front else {
            return true;
        };
        if front.strips(path).is_some() || path == "/.well-known/gpc.json" {
            return true;
        }
        let trimmed = path.trim_matches('/');
        let first = trimmed.split('/').next().unwrap_or_default();
        self.policies.values().any(|policy| {
            policy.slug == first
                || policy
                    .permalink
                    .as_deref()
                    .is_some_and(|permalink| permalink.trim_matches('/') == trimmed)
        })
    }
}

/// privacy-pages in front of an operator's whole site (`root` in
/// `site.toml`): the operator's pages for every path that is not its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Front {
    pub origin: FrontOrigin,
    /// Where privacy-pages' own endpoints go on this site (`/_privacy`):
    /// the opt-out forms, its static files, the index. Policies keep their
    /// own addresses.
    pub prefix: String,
    /// How the Content-Security-Policy guards the operator's pages.
    pub csp: CspMode,
    /// Origins the operator's pages load scripts or frames from besides
    /// the declared services.
    pub csp_sources: Vec<String>,
}

impl Front {
    /// `path` without the prefix (`/_privacy/optout/ga` → `/optout/ga`,
    /// `/_privacy` → `""`), if it is under it.
    pub fn strips<'a>(&self, path: &'a str) -> Option<&'a str> {
        path.strip_prefix(self.prefix.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

/// How the Content-Security-Policy guards the pages of a fronted site for a
/// visitor who turned a service off: the browser itself then refuses that
/// service's scripts and frames, even from a tag the gate did not recognise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CspMode {
    /// `Content-Security-Policy`: refused.
    Enforce,
    /// `Content-Security-Policy-Report-Only`: reported in the browser's
    /// console, not refused. For a first deployment, until `csp_sources`
    /// lists every other origin the site's pages load scripts from.
    #[default]
    ReportOnly,
    /// No policy.
    Off,
}

/// Where the operator's pages come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrontOrigin {
    /// A built static site (Jekyll's `_site`), canonicalised at load so that
    /// every file served can be checked to lie inside it.
    Root(std::path::PathBuf),
    /// The operator's own server (`http://host:port`), proxied to.
    Upstream(url::Url),
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
