//! The third-party services a Jekyll site loads, recognised in its source:
//! Google Analytics ids (`G-…`, `UA-…`) wherever they are written (a
//! layout's gtag snippet, `_config.yml`'s `google_analytics:`), Carbon's
//! `carbon.js?serve=…&placement=…`, Plausible's `data-domain` script. What
//! is found becomes a `[services.*]` table of `site.toml`, so the opt-out
//! links of the imported policy name a declared service.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use lol_html::{RewriteStrSettings, element, rewrite_str};

use super::SiteFile;
use crate::content::line_at;
use crate::embeds::page_url;

/// Where in the Jekyll site something was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Sighting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A service as `site.toml` declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    GoogleAnalytics {
        measurement_id: String,
    },
    Carbon {
        serve: String,
        placement: String,
    },
    Plausible {
        domain: String,
        script_url: Option<String>,
    },
}

impl Found {
    /// The service's id in `site.toml`, which its opt-out function is named
    /// after (`ga` → `gaOptout()`).
    pub fn id(&self) -> &'static str {
        match self {
            Found::GoogleAnalytics { .. } => "ga",
            Found::Carbon { .. } => "carbon",
            Found::Plausible { .. } => "plausible",
        }
    }
}

/// A recognised service, where it was first seen, and whether the site
/// loads it on its pages (a layout, an include or the theme's settings in
/// `_config.yml`) rather than only naming it in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recognised {
    pub found: Found,
    pub at: Sighting,
    pub loaded: bool,
}

/// What the site's files say about its services: at most one of each kind,
/// and what was left out, for the report.
#[derive(Debug, Default)]
pub struct Services {
    pub recognised: Vec<Recognised>,
    pub notes: Vec<String>,
}

/// Reads every file for the services it names.
pub fn recognise(files: &[SiteFile]) -> Services {
    let mut services = Services::default();
    let mut analytics: Vec<(String, Sighting, bool)> = Vec::new();
    for file in files {
        let loads = is_template(&file.relative);
        for (id, offset) in analytics_ids(&file.text) {
            if !analytics.iter().any(|(seen, ..)| *seen == id) {
                let at = Sighting {
                    file: file.relative.clone(),
                    line: line_at(&file.text, offset),
                };
                analytics.push((id, at, loads));
            }
        }
        for (found, offset) in scripts(&file.text) {
            let at = Sighting {
                file: file.relative.clone(),
                line: line_at(&file.text, offset),
            };
            match services
                .recognised
                .iter_mut()
                .find(|known| known.found.id() == found.id())
            {
                Some(known) if known.found == found => known.loaded |= loads,
                Some(known) => services.notes.push(format!(
                    "{at}: another {} setting than {} ({}): not imported, one account per service",
                    found.id(),
                    known.at,
                    describe(&found)
                )),
                None => services.recognised.push(Recognised {
                    found,
                    at,
                    loaded: loads,
                }),
            }
        }
    }
    // Universal Analytics stopped collecting on 1 July 2023: a `UA-` id is
    // only a choice when there is nothing newer, and then not loaded.
    let chosen = analytics
        .iter()
        .position(|(id, ..)| id.starts_with("G-"))
        .or((!analytics.is_empty()).then_some(0));
    if let Some(index) = chosen {
        let (id, at, loaded) = analytics[index].clone();
        let universal = id.starts_with("UA-");
        if universal {
            services.notes.push(format!(
                "{at}: `{id}` is a Universal Analytics property, which stopped collecting in July 2023: imported with `active = false`, so that the policy's opt-out link keeps working and nothing is loaded"
            ));
        }
        for (other, other_at, _) in analytics.iter().filter(|(other, ..)| *other != id) {
            services.notes.push(format!(
                "{other_at}: Google Analytics `{other}` not imported: site.toml declares one property, `{id}` ({at})"
            ));
        }
        services.recognised.push(Recognised {
            found: Found::GoogleAnalytics { measurement_id: id },
            at,
            loaded: loaded && !universal,
        });
    }
    services
        .recognised
        .sort_by_key(|service| service.found.id());
    services
}

/// Layouts, includes and `_config.yml` (a theme's analytics settings) say
/// what every page loads; a page only says what it is about.
fn is_template(relative: &Path) -> bool {
    relative.starts_with("_layouts")
        || relative.starts_with("_includes")
        || relative == Path::new("_config.yml")
}

fn describe(found: &Found) -> String {
    match found {
        Found::GoogleAnalytics { measurement_id } => measurement_id.clone(),
        Found::Carbon { serve, placement } => format!("serve={serve}, placement={placement}"),
        Found::Plausible { domain, .. } => format!("domain {domain}"),
    }
}

/// Google Analytics ids in `text` and their offsets: `G-` and ten or so
/// capitals and digits (with a digit, so `G-CODE` is none), `UA-123-4`,
/// also inside a cookie name (`ga-disable-G-…`).
fn analytics_ids(text: &str) -> Vec<(String, usize)> {
    let bytes = text.as_bytes();
    let mut ids = Vec::new();
    for (start, _) in text.match_indices("G-").chain(text.match_indices("UA-")) {
        if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|b| is_id_byte(**b))
                .count();
        let token = &text[start..end];
        if is_measurement_id(token) || is_universal_id(token) {
            ids.push((token.to_owned(), start));
        }
    }
    ids.sort_by_key(|(_, offset)| *offset);
    ids
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_measurement_id(token: &str) -> bool {
    token.strip_prefix("G-").is_some_and(|rest| {
        (6..=12).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && rest.bytes().any(|b| b.is_ascii_digit())
    })
}

fn is_universal_id(token: &str) -> bool {
    let Some(rest) = token.strip_prefix("UA-") else {
        return false;
    };
    let mut parts = rest.split('-');
    let digits = |part: Option<&str>, range: std::ops::RangeInclusive<usize>| {
        part.is_some_and(|p| range.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    digits(parts.next(), 4..=10) && digits(parts.next(), 1..=4) && parts.next().is_none()
}

/// Carbon and Plausible as their script tags load them, with the offset of
/// each tag's `src`.
fn scripts(text: &str) -> Vec<(Found, usize)> {
    let tags = RefCell::new(Vec::new());
    // Liquid and Markdown around the tags are only text to the parser.
    let _ = rewrite_str(
        text,
        RewriteStrSettings::new().append_element_content_handler(element!("script[src]", |el| {
            if let Some(src) = el.get_attribute("src") {
                tags.borrow_mut()
                    .push((src, el.get_attribute("data-domain")));
            }
            Ok(())
        })),
    );
    tags.into_inner()
        .into_iter()
        .filter_map(|(src, domain)| {
            let offset = text.find(&src).unwrap_or(0);
            let src = src.replace("&amp;", "&");
            let found = match domain {
                Some(domain) => plausible(&src, domain)?,
                None => carbon(&src)?,
            };
            Some((found, offset))
        })
        .collect()
}

fn carbon(src: &str) -> Option<Found> {
    let url = page_url(src)?;
    if !(url.host_str()?.ends_with("carbonads.com") && url.path().ends_with("/carbon.js")) {
        return None;
    }
    let setting = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    Some(Found::Carbon {
        serve: setting("serve")?,
        placement: setting("placement")?,
    })
}

/// A script with `data-domain` is Plausible's (or a self-hosted copy of
/// it: then its address is the `script_url`).
fn plausible(src: &str, domain: String) -> Option<Found> {
    let url = page_url(src)?;
    let default = url.host_str() == Some("plausible.io") && url.path() == "/js/script.js";
    Some(Found::Plausible {
        domain,
        script_url: (!default).then(|| url.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(relative: &str, text: &str) -> SiteFile {
        SiteFile {
            relative: PathBuf::from(relative),
            text: text.to_owned(),
        }
    }

    #[test]
    fn analytics_ids_are_tokens_of_their_shape() {
        let ids: Vec<String> = analytics_ids(
            "gtag('config', 'G-AB12CD34'); G-CODE G-ab12cd34 XG-AB12CD34 UA-1234567-1 UA-12-1 ga-disable-UA-7654321-2",
        )
        .into_iter()
        .map(|(id, _)| id)
        .collect();
        assert_eq!(ids, ["G-AB12CD34", "UA-1234567-1", "UA-7654321-2"]);
    }

    #[test]
    fn services_are_found_in_layouts_includes_and_config() {
        let services = recognise(&[
            file("_config.yml", "title: x\ngoogle_analytics: UA-1234567-1\n"),
            file(
                "_includes/head.html",
                "<title>x</title>\n<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-AB12CD34\"></script>\n",
            ),
            file(
                "_layouts/default.html",
                "{{ content }}\n<script async src=\"//cdn.carbonads.com/carbon.js?serve=CKYI&amp;placement=blogexample\" id=\"_carbonads_js\"></script>\n<script defer data-domain=\"blog.example\" src=\"https://stats.blog.example/js/script.js\"></script>\n",
            ),
            file(
                "privacy.md",
                "---\ntitle: x\n---\nWe use Carbon (`serve=OTHER`).\n",
            ),
        ]);
        let found: Vec<(&Found, String, bool)> = services
            .recognised
            .iter()
            .map(|r| (&r.found, r.at.to_string(), r.loaded))
            .collect();
        assert_eq!(
            found,
            [
                (
                    &Found::Carbon {
                        serve: "CKYI".into(),
                        placement: "blogexample".into()
                    },
                    "_layouts/default.html:2".to_owned(),
                    true
                ),
                (
                    &Found::GoogleAnalytics {
                        measurement_id: "G-AB12CD34".into()
                    },
                    "_includes/head.html:2".to_owned(),
                    true
                ),
                (
                    &Found::Plausible {
                        domain: "blog.example".into(),
                        script_url: Some("https://stats.blog.example/js/script.js".into())
                    },
                    "_layouts/default.html:3".to_owned(),
                    true
                ),
            ]
        );
        assert_eq!(services.notes.len(), 1, "{:?}", services.notes);
        assert!(
            services.notes[0]
                .starts_with("_config.yml:2: Google Analytics `UA-1234567-1` not imported")
        );
    }

    #[test]
    fn a_universal_analytics_id_alone_is_imported_inactive() {
        let services = recognise(&[file(
            "_includes/analytics.html",
            "<script>ga('create', 'UA-1234567-1', 'auto');</script>",
        )]);
        assert_eq!(services.recognised.len(), 1);
        assert!(!services.recognised[0].loaded);
        assert!(services.notes[0].contains("stopped collecting in July 2023"));
    }

    #[test]
    fn a_service_only_named_in_a_page_is_not_loaded() {
        let services = recognise(&[file(
            "datenschutz.md",
            "Widerspruch: <a href=\"javascript:gaOptout()\">ga-disable-G-AB12CD34</a>",
        )]);
        assert!(!services.recognised[0].loaded);
    }
}
