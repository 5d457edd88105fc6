//! The checks across a site's files, once each file has loaded: versions
//! grouped into policies (dates in order, one current version), permalinks
//! that can be reached, and across sites, one default and no host twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use time::Date;

use super::errors::{ContentError, line_at};
use super::front_config::FrontSource;
use super::loader::{Drafts, Loader, RESERVED_SLUGS, parse_document_path};
use super::model::{Basis, Front, FrontOrigin, Policy, Site, Version};
use super::site_config::SiteConfig;
use super::{Source, source};

impl Loader {
    pub(super) fn assemble_policies(
        &mut self,
        site_id: &str,
        drafts: Drafts,
        files: &[source::SourceFile],
    ) -> BTreeMap<String, Policy> {
        let mut policies = BTreeMap::new();
        for (slug, mut versions) in drafts {
            let first_file = |date: Option<Date>| {
                files
                    .iter()
                    .find(|f| {
                        parse_document_path(&f.relative)
                            .is_ok_and(|p| p.slug == slug && p.date == date)
                    })
                    .map_or_else(|| PathBuf::from(site_id), |f| f.display.clone())
            };
            let Some(current) = versions.remove(&None) else {
                let date = versions.keys().next().copied().flatten();
                self.errors.push(ContentError::file(
                    &first_file(date),
                    format!(
                        "archived versions of `{slug}` but no current version (`{slug}.<lang>.md`)"
                    ),
                ));
                continue;
            };
            let dates: Vec<Option<Date>> = current
                .values()
                .map(|d| d.last_updated.map(|t| t.date()))
                .collect();
            if dates.windows(2).any(|pair| pair[0] != pair[1]) {
                self.errors.push(ContentError::file(
                    &first_file(None),
                    format!("the translations of the current `{slug}` disagree on `lastupdate`; one version has one date"),
                ));
                continue;
            }
            let current_date = dates.first().copied().flatten();
            let mut archived: Vec<Version> = versions
                .into_iter()
                .map(|(date, translations)| Version { date, translations })
                .collect();
            archived.reverse();
            if let Some(stale) = archived
                .iter()
                .find(|v| current_date.is_none_or(|current| v.date >= Some(current)))
            {
                self.errors.push(ContentError::file(
                    &first_file(stale.date),
                    match current_date {
                        Some(current) => format!(
                            "archived version is not older than the current `{slug}` (lastupdate {current})"
                        ),
                        None => format!("the current `{slug}` needs a `lastupdate` when it has archived versions"),
                    },
                ));
                continue;
            }
            let current = Version {
                date: current_date,
                translations: current,
            };
            let mut permalinks: Vec<&String> = current
                .translations
                .values()
                .filter_map(|doc| doc.permalink.as_ref())
                .collect();
            permalinks.dedup();
            if let [first, second, ..] = permalinks[..] {
                self.errors.push(ContentError::file(
                    &first_file(None),
                    format!(
                        "the translations of `{slug}` name different permalinks, `{first}` and `{second}`: a policy lives at one address"
                    ),
                ));
                continue;
            }
            let permalink = permalinks.first().map(|p| (*p).clone());
            policies.insert(
                slug.clone(),
                Policy {
                    slug,
                    permalink,
                    current,
                    archived,
                },
            );
        }
        policies
    }

    /// A permalink must reach its policy: not one of the service's own
    /// addresses, nor another policy's, nor another permalink.
    pub(super) fn check_permalinks(
        &mut self,
        policies: &BTreeMap<String, Policy>,
        files: &[source::SourceFile],
    ) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for policy in policies.values() {
            let Some(permalink) = &policy.permalink else {
                continue;
            };
            let trimmed = permalink.trim_matches('/');
            let first = trimmed.split('/').next().unwrap_or_default();
            let last = trimmed.rsplit('/').next().unwrap_or_default();
            let owner = policies
                .keys()
                .find(|slug| *slug != &policy.slug && first == slug.as_str());
            let clash = if RESERVED_SLUGS.contains(&first.trim_start_matches('.'))
                || first == "feed.atom"
            {
                Some(format!("`/{first}` is the service's own address"))
            } else if let Some(owner) = owner {
                Some(format!("`/{owner}` is the policy `{owner}`"))
            } else if ["versions", "changes"].contains(&last) && trimmed.contains('/') {
                Some(format!(
                    "`…/{last}` is the address of a policy's {last} page"
                ))
            } else {
                seen.insert(trimmed.to_owned(), &policy.slug)
                    .map(|other| format!("the policy `{other}` has it too"))
            };
            if let Some(clash) = clash {
                let file = files
                    .iter()
                    .find(|f| f.text.contains(permalink.as_str()))
                    .map(|f| f.display.clone())
                    .unwrap_or_default();
                let line = files.iter().find(|f| f.display == file).and_then(|f| {
                    f.text
                        .find("permalink")
                        .map(|offset| line_at(&f.text, offset))
                });
                let reason = format!(
                    "`permalink: {permalink}` cannot be reached: {clash}; choose another path"
                );
                self.errors.push(match line {
                    Some(line) => ContentError::line(&file, line, reason),
                    None => ContentError::file(&file, reason),
                });
            }
        }
    }

    /// A fronted site's `root`, resolved against the site folder, and no
    /// file in it that privacy-pages' own addresses would hide for good.
    pub(super) fn front(
        &mut self,
        site_id: &str,
        config: &SiteConfig,
        config_path: &Path,
        source: &Source,
        policies: &BTreeMap<String, Policy>,
    ) -> Option<Front> {
        let (source_of_pages, line) = config.front.as_ref()?;
        let written = match source_of_pages {
            FrontSource::Root(written) => written,
            FrontSource::Upstream(url) => {
                return Some(Front {
                    origin: FrontOrigin::Upstream(url.clone()),
                    prefix: config.prefix.clone(),
                    csp: config.csp,
                    csp_sources: config.csp_sources.clone(),
                });
            }
        };
        let Source::Dir(content) = source else {
            self.errors.push(ContentError::line(
                config_path,
                *line,
                "`root` needs the content folder on disk (`--content DIR`), not the bundled content",
            ));
            return None;
        };
        let resolved = content.join(site_id).join(written);
        let root = match std::fs::canonicalize(&resolved) {
            Ok(root) if root.is_dir() => root,
            Ok(_) => {
                self.errors.push(ContentError::line(
                    config_path,
                    *line,
                    format!(
                        "`root` `{written}` is not a folder ({})",
                        resolved.display()
                    ),
                ));
                return None;
            }
            Err(err) => {
                self.errors.push(ContentError::line(
                    config_path,
                    *line,
                    format!(
                        "`root` `{written}` cannot be opened ({}): {err}; it is resolved against the site folder",
                        resolved.display()
                    ),
                ));
                return None;
            }
        };
        let prefix = config.prefix.trim_start_matches('/');
        let mut claimed: Vec<(String, String)> = vec![
            (
                prefix.to_owned(),
                format!(
                    "`{}` is privacy-pages' `prefix` on this site",
                    config.prefix
                ),
            ),
            (
                ".well-known/gpc.json".to_owned(),
                "privacy-pages answers `/.well-known/gpc.json` (Global Privacy Control) itself"
                    .to_owned(),
            ),
        ];
        for policy in policies.values() {
            let file = policy.current.translations.values().next().map_or_else(
                || PathBuf::from(site_id),
                |document| document.source.clone(),
            );
            let by = format!(
                "the policy `{}` ({}) answers `/{}`",
                policy.slug,
                file.display(),
                policy.slug
            );
            claimed.push((policy.slug.clone(), by.clone()));
            claimed.push((format!("{}.html", policy.slug), by));
            if let Some(permalink) = &policy.permalink {
                let trimmed = permalink.trim_matches('/');
                let by = format!(
                    "the policy `{}` ({}) answers its permalink `{permalink}`",
                    policy.slug,
                    file.display()
                );
                claimed.push((trimmed.to_owned(), by.clone()));
                claimed.push((format!("{trimmed}.html"), by));
            }
        }
        for (relative, by) in claimed {
            let path = root.join(&relative);
            if std::fs::symlink_metadata(&path).is_ok() {
                self.errors.push(ContentError::file(
                    &path,
                    format!(
                        "collides with privacy-pages: {by}, so visitors would never reach this file; \
                         remove it from the site's build (Jekyll: `exclude:` in `_config.yml`) or move the policy"
                    ),
                ));
            }
        }
        Some(Front {
            origin: FrontOrigin::Root(root),
            prefix: config.prefix.clone(),
            csp: config.csp,
            csp_sources: config.csp_sources.clone(),
        })
    }

    /// Exactly one default site and no host claimed twice.
    pub(super) fn check_sites(
        &mut self,
        sites: &[Site],
        defaults: &[usize],
        source: &Source,
    ) -> Option<usize> {
        let root = match source {
            Source::Dir(root) => root.clone(),
            Source::Embedded => PathBuf::from("content"),
        };
        let site_toml = |site: &Site| root.join(&site.id).join("site.toml");
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for site in sites {
            for host in &site.hosts {
                if let Some(other) = seen.insert(host, &site.id) {
                    let quoted = format!("\"{host}\"");
                    let line = self.site_tomls.get(&site.id).and_then(|text| {
                        let offset = text.to_ascii_lowercase().find(&quoted)?;
                        Some(line_at(text, offset))
                    });
                    self.errors.push(ContentError {
                        file: site_toml(site),
                        line,
                        reason: format!("host `{host}` is already claimed by site `{other}`"),
                    });
                }
            }
        }
        match (sites.len(), defaults) {
            (0, _) if self.errors.is_empty() => {
                self.errors.push(ContentError::file(
                    &root,
                    "no sites found (expected folders like `example.org/` holding site.toml and policies)",
                ));
                None
            }
            (0, _) => None,
            (1, []) => Some(0),
            (_, [one]) => Some(*one),
            (_, []) => {
                self.errors.push(ContentError::file(
                    &root,
                    "no site is the default: set `default = true` in one site.toml (it answers unknown hosts)",
                ));
                None
            }
            (_, [_, second, ..]) => {
                self.errors.push(ContentError::file(
                    &site_toml(&sites[*second]),
                    "more than one site sets `default = true`",
                ));
                None
            }
        }
    }
}

impl Loader {
    /// Consent settings that would do nothing: an opt-in service nothing
    /// loads (not `active`, and no fronted pages that could), and a
    /// `reconsent: true` on a site with no opt-in service to ask about.
    pub(super) fn warn_about_consent(&mut self, site: &Site, config_path: &Path) {
        for service in site.services.values() {
            if service.consent == Basis::OptIn
                && !service.kind.is_player()
                && !site.asks_for(service)
            {
                self.warnings.push(ContentError::file(
                    config_path,
                    format!(
                        "[services.{}]: `consent = \"opt-in\"` asks nothing, since nothing loads the service: set `active = true`, or front the site (`root`, `upstream`)",
                        service.id
                    ),
                ));
            }
        }
        if site.asks_consent() {
            return;
        }
        let voiding = site
            .policies
            .values()
            .flat_map(Policy::versions)
            .flat_map(|version| version.translations.values())
            .find(|doc| doc.reconsent);
        if let Some(doc) = voiding {
            self.warnings.push(ContentError::file(
                &doc.source,
                "`reconsent: true` asks visitors again about opt-in services, and this site has none (`consent = \"opt-in\"` in site.toml)",
            ));
        }
    }
}
