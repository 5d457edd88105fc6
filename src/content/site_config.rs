//! `site.toml`: the hosts a site answers for, its default language and the
//! third-party services its policies describe. Parsed strictly: an unknown
//! key is a typo, and a typo must stop start-up rather than be ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Problem;
use super::model::{Service, ServiceId, normalize_host};
use crate::lang::Lang;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: String,
    hosts: Vec<String>,
    default_language: Lang,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    services: BTreeMap<ServiceId, RawService>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: String,
}

/// A validated `site.toml`.
#[derive(Debug)]
pub struct SiteConfig {
    pub name: String,
    pub hosts: Vec<String>,
    pub default_lang: Lang,
    pub default: bool,
    pub services: BTreeMap<ServiceId, Service>,
}

pub fn parse(text: &str) -> Result<SiteConfig, Problem> {
    let raw: RawSite = toml::from_str(text).map_err(|err| {
        let line = err.span().map_or(1, |span| {
            text[..span.start.min(text.len())].matches('\n').count() + 1
        });
        Problem::at_line(line, err.message().to_owned())
    })?;
    let line_of = |needle: &str| {
        text.find(needle)
            .map_or(1, |offset| text[..offset].matches('\n').count() + 1)
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
        let valid = !normalized.is_empty()
            && normalized.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':')
            });
        if !valid || normalized != host.trim().to_ascii_lowercase() {
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
    let services = raw
        .services
        .into_iter()
        .map(|(id, service)| {
            let service = Service {
                id: id.clone(),
                name: service.name,
            };
            (id, service)
        })
        .collect();
    Ok(SiteConfig {
        name: raw.name.trim().to_owned(),
        hosts,
        default_lang: raw.default_language,
        default: raw.default,
        services,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_site() {
        let site = parse(
            "name = \"OctoPrint\"\nhosts = [\"octoprint.org\", \"www.octoprint.org\"]\ndefault_language = \"en\"\ndefault = true\n[services.ga]\nname = \"Google Analytics\"\n",
        )
        .expect("valid");
        assert_eq!(site.hosts, ["octoprint.org", "www.octoprint.org"]);
        assert_eq!(site.default_lang, Lang::En);
        assert!(site.default);
        assert_eq!(site.services.len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let base = "name = \"x\"\nhosts = [\"x.org\"]\ndefault_language = \"en\"\n";
        for (text, line, needle) in [
            (
                format!("{base}colour = \"red\"\n"),
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
                format!("{base}[services.GA]\nname = \"x\"\n"),
                4,
                "invalid service id",
            ),
            (
                format!("{base}[services.ga]\nnam = \"x\"\n"),
                5,
                "unknown field `nam`",
            ),
            ("name = \"x\"\n".to_owned(), 1, "missing field"),
            ("name = \n".to_owned(), 1, ""),
        ] {
            let problem = parse(&text).expect_err(&text);
            assert_eq!(problem.line, Some(line), "{text:?}: {problem:?}");
            assert!(problem.reason.contains(needle), "{text:?}: {problem:?}");
        }
    }
}
