//! A site's third-party services as `site.toml` declares them: what the
//! script gate puts into pages, and how it recognises a vendor's tags.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

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
    /// The operator's account with the vendor as the vendor's own snippets
    /// name it (a GA measurement id, a Carbon serve code), so that the gate
    /// recognises an inline loader in an operator's page.
    pub account_ids: Vec<String>,
    /// Whether it may load until the visitor says no, or only after yes.
    pub consent: Basis,
}

/// The legal basis a service loads on (`consent = "opt-out"` or
/// `"opt-in"` in `site.toml`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// Loads until the visitor opts out (legitimate interest; the seeds'
    /// policies).
    #[default]
    OptOut,
    /// Loads only after the visitor agreed (consent under § 25 TDDDG,
    /// Art. 6(1)(a) GDPR): never on a first visit.
    OptIn,
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
    /// YouTube's players, two-click on every page until the visitor allows
    /// them for good: no script, only the players' origins.
    YouTube,
    /// Vimeo's players, likewise.
    Vimeo,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 6] = [
        ServiceKind::GoogleAnalytics,
        ServiceKind::Carbon,
        ServiceKind::Plausible,
        ServiceKind::Script,
        ServiceKind::YouTube,
        ServiceKind::Vimeo,
    ];

    /// The name `site.toml` gives it (`kind = "google-analytics"`).
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::GoogleAnalytics => "google-analytics",
            ServiceKind::Carbon => "carbon",
            ServiceKind::Plausible => "plausible",
            ServiceKind::Script => "script",
            ServiceKind::YouTube => "youtube",
            ServiceKind::Vimeo => "vimeo",
        }
    }

    /// A video player (`youtube`, `vimeo`) rather than a script.
    pub fn is_player(self) -> bool {
        matches!(self, ServiceKind::YouTube | ServiceKind::Vimeo)
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
