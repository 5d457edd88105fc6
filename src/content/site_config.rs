//! `site.toml`: the hosts a site answers for, its default language and the
//! third-party services its policies describe. Parsed strictly: an unknown
//! key is a typo, and a typo must stop start-up rather than be ignored.
//!
//! Services come in kinds ([`ServiceKind`]) that know their own script tags,
//! so operators give settings (a measurement id, a placement), not HTML. The
//! tags are data ([`ScriptTag`]); the script gate writes them as HTML:
//!
//! | kind | settings | injected |
//! | --- | --- | --- |
//! | `google-analytics` | `measurement_id` | gtag.js (head) and a first-party init script |
//! | `carbon` | `serve`, `placement` | carbon.js where the ad goes (end of body) |
//! | `plausible` | `domain` | script.js (head, deferred) |
//! | `script` | `script_url`, `position` | one script tag |
//!
//! Every kind takes `script_url` to load from elsewhere (a self-hosted copy, a test stub).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Problem;
use super::front_config::{FrontSource, is_csp_origin};
use super::model::{
    Basis, CspMode, Placement, ScriptSource, ScriptTag, Service, ServiceId, ServiceKind,
    normalize_host,
};
use crate::lang::Lang;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: String,
    hosts: Vec<String>,
    default_language: Lang,
    #[serde(default)]
    default: bool,
    cookie_domain: Option<String>,
    #[serde(default)]
    services: BTreeMap<ServiceId, RawService>,
    /// Liquid's `site.*` (Jekyll's `_config.yml` keys: `title`, `url`,
    /// `email`, …), whatever the operator's pages use.
    #[serde(default)]
    site: toml::Table,
    /// The operator's built site (Jekyll's `_site`), served for every path
    /// that is not privacy-pages' own.
    root: Option<String>,
    /// Or the operator's own server, for the same paths.
    upstream: Option<String>,
    /// Where privacy-pages' own endpoints go on a fronted site.
    prefix: Option<String>,
    /// How the Content-Security-Policy guards a fronted site's pages.
    csp: Option<CspMode>,
    /// Origins a fronted site's own pages load scripts or frames from
    /// besides the declared services (a CDN, a comments widget).
    csp_sources: Option<Vec<String>>,
    /// How long a visitor's consent decision is kept, in days.
    consent_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: String,
    #[serde(default)]
    kind: ServiceKind,
    #[serde(default)]
    active: bool,
    script_url: Option<String>,
    position: Option<Placement>,
    measurement_id: Option<String>,
    serve: Option<String>,
    placement: Option<String>,
    domain: Option<String>,
    /// More origins the service's scripts load from or talk to, for the
    /// Content-Security-Policy of visitors who allow it.
    #[serde(default)]
    csp_origins: Vec<String>,
    /// `opt-out` (the default) or `opt-in`; players are always opt-in.
    consent: Option<Basis>,
}

/// A validated `site.toml`.
#[derive(Debug)]
pub struct SiteConfig {
    pub name: String,
    pub hosts: Vec<String>,
    pub default_lang: Lang,
    pub default: bool,
    pub cookie_domain: Option<String>,
    pub services: BTreeMap<ServiceId, Service>,
    /// The `[site]` table, for Liquid's `site.*`.
    pub variables: toml::Table,
    /// `root` or `upstream`, and its line.
    pub front: Option<(FrontSource, usize)>,
    /// Where privacy-pages' own endpoints go when the site is fronted.
    pub prefix: String,
    pub csp: CspMode,
    pub csp_sources: Vec<String>,
    pub consent_days: u32,
}

/// Six months, as the CNIL recommends for keeping a consent decision.
pub const DEFAULT_CONSENT_DAYS: u32 = 182;

pub fn parse(text: &str) -> Result<SiteConfig, Problem> {
    let raw: RawSite = toml::from_str(text).map_err(|err| {
        let line = err
            .span()
            .map_or(1, |span| super::line_at(text, span.start));
        Problem::at_line(line, err.message().to_owned())
    })?;
    let line_of = |needle: &str| {
        text.find(needle)
            .map_or(1, |offset| super::line_at(text, offset))
    };
    if raw.name.trim().is_empty() {
        return Err(Problem::at_line(line_of("name"), "`name` is empty"));
    }
    if raw.hosts.is_empty() {
        return Err(Problem::at_line(
            line_of("hosts"),
            "`hosts` is empty: list at least the site's own host name",
        ));
    }
    let mut hosts: Vec<String> = Vec::with_capacity(raw.hosts.len());
    for host in &raw.hosts {
        let normalized = normalize_host(host);
        if !is_host_name(&normalized) || normalized != host.trim().to_ascii_lowercase() {
            return Err(Problem::at_line(
                line_of(host),
                format!(
                    "invalid host `{host}`: give a bare host name such as `example.org`, without scheme or port"
                ),
            ));
        }
        if hosts.contains(&normalized) {
            return Err(Problem::at_line(
                line_of(host),
                format!("host `{host}` is listed twice"),
            ));
        }
        hosts.push(normalized);
    }
    let cookie_domain = match raw.cookie_domain {
        Some(domain) => {
            let domain = domain.trim().trim_start_matches('.').to_ascii_lowercase();
            let covers_a_host = hosts
                .iter()
                .any(|host| *host == domain || host.ends_with(&format!(".{domain}")));
            if !is_host_name(&domain) || !domain.contains('.') || !covers_a_host {
                return Err(Problem::at_line(
                    line_of("cookie_domain"),
                    format!(
                        "invalid `cookie_domain` `{domain}`: it must be one of `hosts` or a parent domain of one"
                    ),
                ));
            }
            Some(domain)
        }
        None => None,
    };
    let mut services = BTreeMap::new();
    for (id, raw_service) in raw.services {
        let section = format!("[services.{id}]");
        let service = build_service(&id, raw_service).map_err(|reason| {
            Problem::at_line(line_of(&section), format!("{section}: {reason}"))
        })?;
        services.insert(id, service);
    }
    let fronting = super::front_config::parse(
        super::front_config::RawFront {
            root: raw.root,
            upstream: raw.upstream,
            prefix: raw.prefix,
            csp: raw.csp,
            csp_sources: raw.csp_sources,
        },
        &line_of,
    )?;
    Ok(SiteConfig {
        front: fronting.front,
        prefix: fronting.prefix,
        csp: fronting.csp,
        csp_sources: fronting.csp_sources,
        name: raw.name.trim().to_owned(),
        hosts,
        default_lang: raw.default_language,
        default: raw.default,
        cookie_domain,
        services,
        variables: raw.site,
        consent_days: match raw.consent_days {
            None => DEFAULT_CONSENT_DAYS,
            Some(days @ 1..=400) => days,
            Some(days) => {
                return Err(Problem::at_line(
                    line_of("consent_days"),
                    format!(
                        "`consent_days` {days}: between 1 and 400 (browsers keep no cookie longer)"
                    ),
                ));
            }
        },
    })
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'))
}

/// Turns a service's settings into the tags the script gate injects.
fn build_service(id: &ServiceId, raw: RawService) -> Result<Service, String> {
    let kind = raw.kind;
    let allowed: &[&str] = match kind {
        ServiceKind::GoogleAnalytics => &["measurement_id"],
        ServiceKind::Carbon => &["serve", "placement"],
        ServiceKind::Plausible => &["domain"],
        ServiceKind::Script => &["position"],
        ServiceKind::YouTube | ServiceKind::Vimeo => &[],
    };
    for (field, present) in [
        ("measurement_id", raw.measurement_id.is_some()),
        ("serve", raw.serve.is_some()),
        ("placement", raw.placement.is_some()),
        ("domain", raw.domain.is_some()),
        ("position", raw.position.is_some()),
    ] {
        if present && !allowed.contains(&field) {
            return Err(format!("`{field}` does not apply to kind `{kind}`"));
        }
    }
    if kind.is_player() {
        return player_service(id, raw);
    }
    let required = |field: &str, value: Option<String>| {
        value
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic() && b != b'"'))
            .ok_or_else(|| format!("kind `{kind}` needs `{field}` (printable ASCII, no quotes)"))
    };
    let script_url = |default: String| -> Result<url::Url, String> {
        let text = raw.script_url.clone().unwrap_or(default);
        let url = url::Url::parse(&text)
            .map_err(|err| format!("invalid `script_url` `{text}`: {err}"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
            return Err(format!(
                "`script_url` `{text}` must be an absolute http(s) URL"
            ));
        }
        Ok(url)
    };

    let mut tags = Vec::new();
    let mut account_ids = Vec::new();
    let mut cookie = format!("{id}-disable");
    // Where a kind's script, loaded from its usual place, goes next (JSONP,
    // beacons, images), as its vendor documents it for CSP.
    let mut known: &[&str] = &[];
    let url = match kind {
        ServiceKind::GoogleAnalytics => {
            let measurement_id = required("measurement_id", raw.measurement_id.clone())?;
            if !measurement_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(format!("invalid `measurement_id` `{measurement_id}`"));
            }
            let mut url = script_url("https://www.googletagmanager.com/gtag/js".to_owned())?;
            if raw.script_url.is_none() {
                known = &[
                    "https://*.googletagmanager.com",
                    "https://*.google-analytics.com",
                    "https://*.analytics.google.com",
                ];
            }
            url.query_pairs_mut().append_pair("id", &measurement_id);
            tags.push(script_tag(Placement::Head, &url, &[("async", None)]));
            // First-party, so that gtag starts without an inline script (pages
            // work under a CSP without 'unsafe-inline').
            tags.push(ScriptTag {
                placement: Placement::Head,
                src: ScriptSource::Bundled("gtag-init.js"),
                attributes: vec![("data-measurement-id", Some(measurement_id.clone()))],
            });
            // The convention of Google's own opt-out snippet, which gtag.js honours.
            cookie = format!("ga-disable-{measurement_id}");
            account_ids.push(measurement_id);
            url
        }
        ServiceKind::Carbon => {
            let serve = required("serve", raw.serve.clone())?;
            let placement = required("placement", raw.placement.clone())?;
            account_ids.push(serve.clone());
            let mut url = script_url("https://cdn.carbonads.com/carbon.js".to_owned())?;
            if raw.script_url.is_none() {
                known = &[
                    "https://*.carbonads.com",
                    "https://*.carbonads.net",
                    "https://*.buysellads.net",
                    "https://*.buysellads.com",
                ];
            }
            url.query_pairs_mut()
                .append_pair("serve", &serve)
                .append_pair("placement", &placement);
            tags.push(script_tag(
                Placement::Body,
                &url,
                &[("async", None), ("id", Some("_carbonads_js"))],
            ));
            url
        }
        ServiceKind::Plausible => {
            let domain = required("domain", raw.domain.clone())?;
            let url = script_url("https://plausible.io/js/script.js".to_owned())?;
            tags.push(script_tag(
                Placement::Head,
                &url,
                &[("defer", None), ("data-domain", Some(&domain))],
            ));
            url
        }
        // Players: `player_service`, above. A script from `script_url`:
        ServiceKind::Script | ServiceKind::YouTube | ServiceKind::Vimeo => {
            let Some(text) = raw.script_url.clone() else {
                return Err("kind `script` needs `script_url`".to_owned());
            };
            let url = script_url(text)?;
            let placement = raw.position.unwrap_or(Placement::Head);
            tags.push(script_tag(placement, &url, &[("async", None)]));
            url
        }
    };
    if raw.name.trim().is_empty() {
        return Err("`name` is empty".to_owned());
    }
    let mut origins = vec![url.origin().ascii_serialization()];
    for origin in known
        .iter()
        .map(|o| (*o).to_owned())
        .chain(raw.csp_origins.clone())
    {
        if !is_csp_origin(&origin) {
            return Err(format!(
                "`csp_origins`: `{origin}` is not an origin such as `https://api.example.com` or `https://*.example.com`"
            ));
        }
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(Service {
        id: id.clone(),
        name: raw.name.trim().to_owned(),
        kind,
        active: raw.active,
        cookie,
        consent: raw.consent.unwrap_or_default(),
        tags,
        origins,
        account_ids,
    })
}

/// A video player as a service: nothing to inject, the origins its frames
/// come from, and a yes that makes its players load at once. Named after
/// its kind (`[services.youtube]`), which is how players find it.
fn player_service(id: &ServiceId, raw: RawService) -> Result<Service, String> {
    let kind = raw.kind;
    if id.as_str() != kind.name() {
        return Err(format!(
            "a `{kind}` service must be named `[services.{kind}]`: the players on the pages find it by that name"
        ));
    }
    if raw.script_url.is_some() || !raw.csp_origins.is_empty() {
        return Err(format!(
            "kind `{kind}` loads no script: `script_url` and `csp_origins` do not apply"
        ));
    }
    if raw.consent == Some(Basis::OptOut) {
        return Err(format!(
            "kind `{kind}` is two-click until the visitor allows it: `consent` can only be `opt-in`"
        ));
    }
    if raw.name.trim().is_empty() {
        return Err("`name` is empty".to_owned());
    }
    let origins: &[&str] = match kind {
        ServiceKind::Vimeo => &["https://player.vimeo.com"],
        _ => &[
            "https://www.youtube-nocookie.com",
            "https://www.youtube.com",
        ],
    };
    Ok(Service {
        id: id.clone(),
        name: raw.name.trim().to_owned(),
        kind,
        active: false,
        cookie: format!("{id}-disable"),
        consent: Basis::OptIn,
        tags: Vec::new(),
        origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        account_ids: Vec::new(),
    })
}

fn script_tag(
    placement: Placement,
    url: &url::Url,
    attributes: &[(&'static str, Option<&str>)],
) -> ScriptTag {
    ScriptTag {
        placement,
        src: ScriptSource::Url(url.clone()),
        attributes: attributes
            .iter()
            .map(|(name, value)| (*name, value.map(str::to_owned)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        "name = \"x\"\nhosts = [\"x.org\", \"www.x.org\"]\ndefault_language = \"en\"\n";

    #[test]
    fn parses_a_site() {
        let site = parse(
            "name = \"OctoPrint\"\nhosts = [\"octoprint.org\", \"www.octoprint.org\"]\ndefault_language = \"en\"\ndefault = true\n[services.ga]\nname = \"Google Analytics\"\nkind = \"google-analytics\"\nmeasurement_id = \"G-TEST123\"\n",
        )
        .expect("valid");
        assert_eq!(site.hosts, ["octoprint.org", "www.octoprint.org"]);
        assert_eq!(site.default_lang, Lang::En);
        assert!(site.default);
        assert_eq!(site.services.len(), 1);
    }

    fn service(toml: &str) -> Service {
        let site = parse(&format!("{BASE}{toml}")).expect("valid");
        site.services.into_values().next().expect("one service")
    }

    #[test]
    fn service_kinds_build_their_tags() {
        let ga = service(
            "[services.ga]\nname = \"Google Analytics\"\nkind = \"google-analytics\"\nmeasurement_id = \"G-ABC123\"\n",
        );
        assert_eq!(ga.cookie, "ga-disable-G-ABC123");
        assert_eq!(ga.kind, ServiceKind::GoogleAnalytics);
        assert!(!ga.active);
        assert_eq!(
            ga.tags,
            [
                ScriptTag {
                    placement: Placement::Head,
                    src: ScriptSource::Url(
                        "https://www.googletagmanager.com/gtag/js?id=G-ABC123"
                            .parse()
                            .expect("url")
                    ),
                    attributes: vec![("async", None)],
                },
                ScriptTag {
                    placement: Placement::Head,
                    src: ScriptSource::Bundled("gtag-init.js"),
                    attributes: vec![("data-measurement-id", Some("G-ABC123".to_owned()))],
                },
            ]
        );
        assert_eq!(
            ga.origins,
            [
                "https://www.googletagmanager.com",
                "https://*.googletagmanager.com",
                "https://*.google-analytics.com",
                "https://*.analytics.google.com"
            ]
        );

        let carbon = service(
            "[services.carbon]\nname = \"Carbon Ads\"\nkind = \"carbon\"\nserve = \"CKYI\"\nplacement = \"x&y\"\nactive = true\n",
        );
        assert_eq!(carbon.cookie, "carbon-disable");
        assert!(carbon.active);
        assert_eq!(
            carbon.tags,
            [ScriptTag {
                placement: Placement::Body,
                src: ScriptSource::Url(
                    "https://cdn.carbonads.com/carbon.js?serve=CKYI&placement=x%26y"
                        .parse()
                        .expect("url")
                ),
                attributes: vec![("async", None), ("id", Some("_carbonads_js".to_owned()))],
            }]
        );

        let plausible = service(
            "[services.plausible]\nname = \"Plausible\"\nkind = \"plausible\"\ndomain = \"x.org\"\nscript_url = \"http://127.0.0.1:9/js/script.js\"\n",
        );
        assert_eq!(
            plausible.tags,
            [ScriptTag {
                placement: Placement::Head,
                src: ScriptSource::Url("http://127.0.0.1:9/js/script.js".parse().expect("url")),
                attributes: vec![("defer", None), ("data-domain", Some("x.org".to_owned()))],
            }]
        );
        assert_eq!(plausible.origins, ["http://127.0.0.1:9"]);

        let custom = service(
            "[services.chat]\nname = \"Chat\"\nscript_url = \"https://chat.example/w.js\"\nposition = \"body\"\ncsp_origins = [\"https://*.chat.example\"]\n",
        );
        assert_eq!(custom.kind, ServiceKind::Script);
        assert_eq!(
            custom.tags,
            [ScriptTag {
                placement: Placement::Body,
                src: ScriptSource::Url("https://chat.example/w.js".parse().expect("url")),
                attributes: vec![("async", None)],
            }]
        );
        assert_eq!(
            custom.origins,
            ["https://chat.example", "https://*.chat.example"]
        );
        for hostile in [
            "*",
            "https://*",
            "https://a.example; script-src *",
            "javascript:x",
            "https://'self'",
        ] {
            let toml = format!(
                "{BASE}[services.chat]\nname = \"Chat\"\nscript_url = \"https://chat.example/w.js\"\ncsp_origins = [\"{}\"]\n",
                hostile.replace('"', "\\\"")
            );
            let error = parse(&toml).expect_err(hostile);
            assert!(
                error.reason.contains("csp_origins"),
                "{hostile}: {}",
                error.reason
            );
        }
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, needle) in [
            (
                format!("{BASE}colour = \"red\"\n"),
                4,
                "unknown field `colour`",
            ),
            (
                "name = \"x\"\nhosts = [\"x.org\"]\ndefault_language = \"fr\"\n".to_owned(),
                3,
                "unknown variant `fr`",
            ),
            (
                "name = \"x\"\nhosts = []\ndefault_language = \"en\"\n".to_owned(),
                2,
                "`hosts` is empty",
            ),
            (
                "name = \"x\"\nhosts = [\"https://x.org\"]\ndefault_language = \"en\"\n".to_owned(),
                2,
                "invalid host",
            ),
            (
                "name = \"x\"\nhosts = [\"x.org:80\"]\ndefault_language = \"en\"\n".to_owned(),
                2,
                "invalid host",
            ),
            (
                "name = \"x\"\nhosts = [\"x.org\", \"X.org\"]\ndefault_language = \"en\"\n"
                    .to_owned(),
                2,
                "listed twice",
            ),
            (
                format!("{BASE}[services.GA]\nname = \"x\"\n"),
                4,
                "invalid service id",
            ),
            (
                format!("{BASE}[services.ga]\nnam = \"x\"\n"),
                5,
                "unknown field `nam`",
            ),
            (
                format!("{BASE}[services.ga]\nname = \"x\"\nkind = \"adsense\"\n"),
                6,
                "unknown kind `adsense` (known: google-analytics, carbon, plausible, script, youtube, vimeo)",
            ),
            (
                format!("{BASE}[services.videos]\nname = \"YouTube\"\nkind = \"youtube\"\n"),
                4,
                "a `youtube` service must be named `[services.youtube]`",
            ),
            (
                format!(
                    "{BASE}[services.youtube]\nname = \"YouTube\"\nkind = \"youtube\"\nconsent = \"opt-out\"\n"
                ),
                4,
                "two-click until the visitor allows it: `consent` can only be `opt-in`",
            ),
            (
                format!(
                    "{BASE}[services.vimeo]\nname = \"Vimeo\"\nkind = \"vimeo\"\nscript_url = \"https://x.org/a.js\"\n"
                ),
                4,
                "kind `vimeo` loads no script",
            ),
            (
                format!("{BASE}[services.ga]\nname = \"x\"\nkind = \"google-analytics\"\n"),
                4,
                "needs `measurement_id`",
            ),
            (
                format!(
                    "{BASE}[services.ga]\nname = \"x\"\nkind = \"google-analytics\"\nmeasurement_id = \"G\\\"><script>\"\n"
                ),
                4,
                "needs `measurement_id`",
            ),
            (
                format!("{BASE}[services.c]\nname = \"x\"\nkind = \"carbon\"\nserve = \"a\"\n"),
                4,
                "needs `placement`",
            ),
            (
                format!(
                    "{BASE}[services.c]\nname = \"x\"\nkind = \"carbon\"\nserve = \"a\"\nplacement = \"b\"\ndomain = \"x\"\n"
                ),
                4,
                "`domain` does not apply",
            ),
            (
                format!("{BASE}[services.s]\nname = \"x\"\n"),
                4,
                "needs `script_url`",
            ),
            (format!("{BASE}root = \" \"\n"), 4, "`root` is empty"),
            (
                format!("{BASE}root = \"_site\"\nupstream = \"http://127.0.0.1:4000\"\n"),
                5,
                "`root` and `upstream` both set",
            ),
            (
                format!("{BASE}upstream = \"https://127.0.0.1:4000\"\n"),
                4,
                "must be `http://host:port`",
            ),
            (
                format!("{BASE}upstream = \"http://127.0.0.1:4000/blog\"\n"),
                4,
                "without a path",
            ),
            (
                format!("{BASE}csp = \"enforce\"\n"),
                4,
                "`csp` and `csp_sources` apply only to a site privacy-pages fronts",
            ),
            (
                format!("{BASE}root = \"_site\"\ncsp = \"strict\"\n"),
                5,
                "unknown variant `strict`",
            ),
            (
                format!("{BASE}root = \"_site\"\ncsp_sources = [\"*\"]\n"),
                5,
                "`csp_sources`: `*` is not an origin",
            ),
            (
                format!("{BASE}prefix = \"/p\"\n"),
                4,
                "`prefix` applies only to a site privacy-pages fronts",
            ),
            (
                format!("{BASE}root = \"_site\"\nprefix = \"/p/\"\n"),
                5,
                "invalid `prefix` `/p/`",
            ),
            (
                format!("{BASE}root = \"_site\"\nprefix = \"/../x\"\n"),
                5,
                "invalid `prefix`",
            ),
            (
                format!("{BASE}[services.s]\nname = \"x\"\nscript_url = \"javascript:alert(1)\"\n"),
                4,
                "absolute http(s) URL",
            ),
            (
                format!("{BASE}[services.s]\nname = \"x\"\nscript_url = \"/local.js\"\n"),
                4,
                "invalid `script_url`",
            ),
            (
                format!("{BASE}cookie_domain = \"evil.example\"\n"),
                4,
                "invalid `cookie_domain`",
            ),
            ("name = \"x\"\n".to_owned(), 1, "missing field"),
            ("name = \n".to_owned(), 1, ""),
        ] {
            let problem = parse(&text).expect_err(&text);
            assert_eq!(problem.line, Some(line), "{text:?}: {problem:?}");
            assert!(problem.reason.contains(needle), "{text:?}: {problem:?}");
        }
    }

    #[test]
    fn cookie_domain_may_be_a_parent_of_a_host() {
        let site = parse(&format!("{BASE}cookie_domain = \".X.org\"\n")).expect("valid");
        assert_eq!(site.cookie_domain.as_deref(), Some("x.org"));
    }
}
