//! The loader: every file of a content folder through the pipeline, every
//! site checked as a whole, every problem collected.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use time::Date;
use time::macros::format_description;

use super::errors::{ContentError, ContentErrors, Problem};
use super::pipeline::liquid::Liquid;
use ::liquid::ValueView;

use super::model::{Document, Library, Site};
use super::pipeline::{front_matter, html, markdown};
use super::site_config::{self, SiteConfig};
use super::{Source, source};
use crate::lang::Lang;

/// Policy slugs that would shadow the service's own routes.
pub(super) const RESERVED_SLUGS: [&str; 8] = [
    "static",
    "choices",
    "consent",
    "healthz",
    "readyz",
    "optout",
    "optin",
    "well-known",
];

#[derive(Default)]
pub(super) struct Loader {
    pub(super) errors: Vec<ContentError>,
    /// What loads but may not work as meant (a link relative to this host).
    pub(super) warnings: Vec<ContentError>,
    /// Each site's `site.toml` text, for naming lines in cross-site checks.
    pub(super) site_tomls: BTreeMap<String, String>,
}

/// What a policy file's path says about it.
pub(super) struct DocumentPath {
    pub(super) slug: String,
    pub(super) date: Option<Date>,
    lang: Lang,
}

/// A site's documents grouped by policy, then version (None = current), then language.
pub(super) type Drafts = BTreeMap<String, BTreeMap<Option<Date>, BTreeMap<Lang, Document>>>;

impl Loader {
    pub(super) fn load(
        mut self,
        files: Vec<source::SourceFile>,
        source: &Source,
    ) -> Result<Library, ContentErrors> {
        let mut by_site: BTreeMap<String, Vec<source::SourceFile>> = BTreeMap::new();
        for file in files {
            let mut components = file.relative.components();
            // Files at the top level (README.md) document the folder; they are no site.
            if let (Some(Component::Normal(site)), Some(_)) = (components.next(), components.next())
            {
                by_site
                    .entry(site.to_string_lossy().into_owned())
                    .or_default()
                    .push(file);
            }
        }

        let mut sites = Vec::new();
        let mut defaults = Vec::new();
        for (site_id, files) in by_site {
            if let Some((site, is_default)) = self.load_site(&site_id, files, source) {
                if is_default {
                    defaults.push(sites.len());
                }
                sites.push(site);
            }
        }
        let default_site = self.check_sites(&sites, &defaults, source);
        match default_site {
            Some(default_site) if self.errors.is_empty() => {
                Ok(Library::new(sites, default_site).with_warnings(self.warnings))
            }
            _ => Err(ContentErrors(self.errors)),
        }
    }

    fn load_site(
        &mut self,
        site_id: &str,
        files: Vec<source::SourceFile>,
        source: &Source,
    ) -> Option<(Site, bool)> {
        let at_top = |f: &source::SourceFile, name: &str| {
            f.relative.components().count() == 2 && f.relative.ends_with(name)
        };
        let (config_files, rest): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|f| at_top(f, "site.toml"));
        // A Jekyll site's own `_config.yml`, for `site.*` in Liquid, and
        // its `_includes/`, for `{% include %}`.
        let (jekyll_configs, rest): (Vec<_>, Vec<_>) =
            rest.into_iter().partition(|f| at_top(f, "_config.yml"));
        let (include_files, documents): (Vec<_>, Vec<_>) = rest.into_iter().partition(|f| {
            f.relative
                .components()
                .nth(1)
                .is_some_and(|c| c.as_os_str() == "_includes")
        });
        let config = match config_files.first() {
            Some(file) => match site_config::parse(&file.text).inspect(|_| {
                self.site_tomls
                    .insert(site_id.to_owned(), file.text.clone());
            }) {
                Ok(config) => Some(config),
                Err(problem) => {
                    self.errors.push(problem.into_error(file));
                    None
                }
            },
            None => {
                let folder = match source {
                    Source::Dir(root) => root.join(site_id),
                    Source::Embedded => Path::new("content").join(site_id),
                };
                self.errors.push(ContentError::file(
                    &folder,
                    "missing site.toml (every site folder needs one: name, hosts, default_language)",
                ));
                None
            }
        }?;
        let config_path = config_files
            .first()
            .map_or_else(PathBuf::new, |f| f.display.clone());
        let site_variables = self.site_variables(&config, &config_path, jekyll_configs.first())?;
        // What `{% link %}` may name: the policies the file names say.
        let mut policies: Vec<String> = documents
            .iter()
            .filter_map(|f| parse_document_path(&f.relative).ok().map(|p| p.slug))
            .collect();
        policies.sort();
        policies.dedup();
        let site_liquid = if include_files.is_empty() {
            Liquid::new()
        } else {
            let includes = include_files
                .iter()
                .map(|f| {
                    let name: PathBuf = f.relative.components().skip(2).collect();
                    (name.to_string_lossy().replace('\\', "/"), f.text.clone())
                })
                .collect();
            match Liquid::with_includes(includes) {
                Ok(liquid) => liquid,
                Err(problem) => {
                    self.errors.push(problem.into_error(&include_files[0]));
                    return None;
                }
            }
        }
        .with_policies(policies);

        let mut drafts: Drafts = BTreeMap::new();
        for file in &documents {
            if let Some((path, document)) =
                self.load_document(file, &config, &site_variables, &site_liquid)
            {
                let translations = drafts
                    .entry(path.slug)
                    .or_default()
                    .entry(path.date)
                    .or_default();
                translations.insert(path.lang, document);
            }
        }
        let policies = self.assemble_policies(site_id, drafts, &documents);
        self.check_permalinks(&policies, &documents);
        if policies.is_empty() && self.errors.is_empty() {
            let file = config_files
                .first()
                .map_or_else(PathBuf::new, |f| f.display.clone());
            self.errors.push(ContentError::file(
                &file,
                "this site has no policies (expected files like `privacy.en.md` beside site.toml)",
            ));
        }
        let front = self.front(site_id, &config, &config_path, source, &policies);
        let site = Site {
            front,
            id: site_id.to_owned(),
            name: config.name,
            hosts: config.hosts,
            default_lang: config.default_lang,
            services: config.services,
            cookie_domain: config.cookie_domain,
            policies,
            consent_days: config.consent_days,
        };
        self.warn_about_consent(&site, &config_path);
        Some((site, config.default))
    }

    /// Liquid's `site`: the Jekyll `_config.yml` beside `site.toml` if there
    /// is one, then `site.toml`'s `[site]` table over it, and `site.name`.
    fn site_variables(
        &mut self,
        config: &SiteConfig,
        config_path: &Path,
        jekyll_config: Option<&source::SourceFile>,
    ) -> Option<::liquid::Object> {
        let mut variables = ::liquid::Object::new();
        if let Some(file) = jekyll_config {
            let parsed: Result<::liquid::Object, Problem> =
                serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&file.text)
                    .map_err(|err| {
                        let line = err.location().map_or(1, |loc| loc.line());
                        Problem::at_line(line, format!("invalid YAML: {err}"))
                    })
                    .and_then(|value| {
                        ::liquid::model::to_object(&value).map_err(|err| {
                            Problem::at_line(1, format!("`_config.yml` must be a mapping: {err}"))
                        })
                    });
            match parsed {
                Ok(object) => variables.extend(object),
                Err(problem) => {
                    self.errors.push(problem.into_error(file));
                    return None;
                }
            }
        }
        match ::liquid::model::to_object(&config.variables) {
            Ok(object) => variables.extend(object),
            Err(err) => {
                self.errors
                    .push(ContentError::file(config_path, format!("`[site]`: {err}")));
                return None;
            }
        }
        variables.insert(
            "name".into(),
            ::liquid::model::Value::scalar(config.name.clone()),
        );
        Some(variables)
    }

    fn load_document(
        &mut self,
        file: &source::SourceFile,
        config: &SiteConfig,
        site_variables: &::liquid::Object,
        liquid: &Liquid,
    ) -> Option<(DocumentPath, Document)> {
        let path = match parse_document_path(&file.relative) {
            Ok(path) => path,
            Err(reason) => {
                self.errors.push(ContentError::file(&file.display, reason));
                return None;
            }
        };
        match self.render_document(file, &path, config, site_variables, liquid) {
            Ok((document, warnings)) => {
                self.warnings
                    .extend(warnings.into_iter().map(|w| w.into_error(file)));
                Some((path, document))
            }
            Err(problem) => {
                self.errors.push(problem.into_error(file));
                None
            }
        }
    }

    /// The pipeline for one file: front matter → Liquid → Markdown → HTML.
    fn render_document(
        &self,
        file: &source::SourceFile,
        path: &DocumentPath,
        config: &SiteConfig,
        site_variables: &::liquid::Object,
        liquid: &Liquid,
    ) -> Result<(Document, Vec<Problem>), Problem> {
        let split = front_matter::split(&file.text)?;
        let front = front_matter::parse(&split)?;
        let last_updated = match (path.date, front.lastupdate) {
            (Some(date), Some(lastupdate)) if lastupdate.date() != date => {
                return Err(Problem::at_snippet(
                    "lastupdate",
                    format!(
                        "`lastupdate` {} does not match the version date {date} in the file name",
                        lastupdate.date()
                    ),
                ));
            }
            (Some(date), None) => Some(date.midnight().assume_utc()),
            (_, lastupdate) => lastupdate,
        };

        let mut page = ::liquid::Object::new();
        for (key, value) in &front.extra {
            let value = ::liquid::model::to_value(value).map_err(|err| {
                Problem::at_snippet(key.as_str(), format!("front matter `{key}`: {err}"))
            })?;
            page.insert(key.clone().into(), value);
        }
        page.insert(
            "title".into(),
            ::liquid::model::Value::scalar(front.title.clone()),
        );
        page.insert(
            "layout".into(),
            ::liquid::model::Value::scalar(front.layout_name.clone()),
        );
        page.insert(
            "lang".into(),
            ::liquid::model::Value::scalar(path.lang.code()),
        );
        if let Some(robots) = &front.robots {
            page.insert(
                "robots".into(),
                ::liquid::model::Value::scalar(robots.clone()),
            );
        }
        if let Some(lastupdate) = last_updated {
            page.insert(
                "lastupdate".into(),
                ::liquid::model::Value::scalar(front_matter::jekyll_date(lastupdate)),
            );
        }
        let globals = ::liquid::object!({
            "page": page,
            "site": site_variables.clone(),
        });

        let body = liquid.render(split.body, split.body_line, &globals)?;
        let rendered = markdown::render(&body, split.body_line, &front.title)?;
        let site_url = site_variables
            .get("url")
            .map(|url| url.to_kstr().to_string())
            .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
        let (segments, warnings) =
            html::finish_for_site(&rendered.html, site_url.as_deref(), path.lang)?;
        let (lead, body) = html::split_lead(segments);

        let document = Document {
            title: front.title,
            lang: path.lang,
            layout: front.layout,
            robots: front.robots,
            last_updated,
            toc: rendered.toc,
            lead,
            body,
            outline: rendered.outline,
            changes: front.changes,
            permalink: front.permalink,
            reconsent: front.reconsent,
            source: file.display.clone(),
        };
        if document.reconsent && document.last_updated.is_none() {
            return Err(Problem::in_file(
                "`reconsent: true` needs the version's date (`lastupdate:`): decisions given before that date are asked again",
            ));
        }
        if let Some(control) = document
            .opt_outs()
            .find(|c| !config.services.contains_key(&c.service))
        {
            // `googleOptout` on a site that declares `ga`: say which was meant.
            let hint = config
                .services
                .keys()
                .map(|id| {
                    (
                        strsim::jaro_winkler(id.as_str(), control.service.as_str()),
                        id,
                    )
                })
                .filter(|(score, _)| *score >= 0.7)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, id)| format!("; did you mean `{id}Optout`?"))
                .unwrap_or_default();
            return Err(Problem::at_snippet(
                format!("{}Optout", control.service),
                format!(
                    "opt-out link for service `{}`, which site.toml does not declare (add `[services.{}]`){hint}",
                    control.service, control.service
                ),
            ));
        }
        Ok((document, warnings))
    }
}

/// `privacy.en.md` (current) or `privacy/2018-05-22.de.md` (archived), below a site folder.
pub(super) fn parse_document_path(relative: &Path) -> Result<DocumentPath, String> {
    const EXPECTED: &str =
        "expected `<policy>.<lang>.md` or `<policy>/<YYYY-MM-DD>.<lang>.md` in a site folder";
    let parts: Vec<&str> = relative
        .components()
        .skip(1)
        .map(|c| c.as_os_str().to_str().unwrap_or(""))
        .collect();
    let (dir, file) = match parts.as_slice() {
        [file] => (None, *file),
        [dir, file] => (Some(*dir), *file),
        _ => return Err(format!("unexpected file: {EXPECTED}")),
    };
    let stem = file
        .strip_suffix(".md")
        .ok_or_else(|| format!("unexpected file: {EXPECTED}"))?;
    let (name, lang) = stem
        .rsplit_once('.')
        .ok_or_else(|| format!("no language in the file name: {EXPECTED}"))?;
    let lang: Lang = lang
        .parse()
        .map_err(|err| format!("{err} in the file name"))?;
    let (slug, date) = match dir {
        None => (name, None),
        Some(dir) => {
            let date = Date::parse(name, format_description!("[year]-[month]-[day]"))
                .map_err(|_| format!("`{name}` is not a version date (YYYY-MM-DD): {EXPECTED}"))?;
            (dir, Some(date))
        }
    };
    let valid_slug = !slug.is_empty()
        && slug.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid_slug {
        return Err(format!(
            "invalid policy name `{slug}`: use lowercase letters, digits and dashes"
        ));
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Err(format!(
            "policy name `{slug}` is reserved for the service's own URLs"
        ));
    }
    Ok(DocumentPath {
        slug: slug.to_owned(),
        date,
        lang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_html(library: &Library) -> String {
        let site = library.site_for_host(Some("example.org"));
        site.policies["privacy"]
            .current
            .translation(Lang::En)
            .body
            .iter()
            .map(|segment| match segment {
                crate::content::Segment::Html(html) => html.clone(),
                crate::content::Segment::OptOut(control) => control.label_html.clone(),
                crate::content::Segment::Toc => String::new(),
            })
            .collect()
    }

    /// A Jekyll site's `site.*`: its own `_config.yml`, with `site.toml`'s
    /// `[site]` table over it.
    #[test]
    fn site_variables_from_config_yml_and_site_toml() {
        let files = [
            (
                "example.org/site.toml",
                "name = \"Example\"\nhosts = [\"example.org\"]\ndefault_language = \"en\"\n[site]\nemail = \"privacy@example.org\"\n",
            ),
            (
                "example.org/_config.yml",
                "title: Example Blog\nemail: old@example.org\ngoogle_analytics: UA-1\ndata:\n  company: Example Ltd.\n",
            ),
            (
                "example.org/privacy.en.md",
                "---\ntitle: Privacy\n---\n\n## Who\n\n{{ site.title }} by {{ site.data.company }}, {{ site.email }} ({{ site.name }}).\n{% if site.google_analytics %}We use Google Analytics.{% endif %}\n",
            ),
        ];
        let library =
            crate::content::load_from_memory(Path::new("content"), &files).expect("loads");
        let html = body_html(&library);
        assert!(
            html.contains("Example Blog by Example Ltd., privacy@example.org (Example)."),
            "{html}"
        );
        assert!(html.contains("We use Google Analytics."), "{html}");

        let broken = [
            files[0],
            ("example.org/_config.yml", "title: [unclosed\n"),
            files[2],
        ];
        let errors =
            crate::content::load_from_memory(Path::new("content"), &broken).expect_err("bad YAML");
        let text = errors.to_string();
        assert!(
            text.starts_with("content/example.org/_config.yml:"),
            "{text}"
        );
    }

    #[test]
    fn document_paths() {
        for (path, expected) in [
            (
                "octoprint.org/privacy.en.md",
                Ok(("privacy", None, Lang::En)),
            ),
            (
                "octoprint.org/privacy/2018-05-22.de.md",
                Ok(("privacy", Some("2018-05-22"), Lang::De)),
            ),
            ("x/imprint-2.de.md", Ok(("imprint-2", None, Lang::De))),
            ("x/privacy.md", Err("no language")),
            ("x/privacy.fr.md", Err("unknown language `fr`")),
            ("x/privacy.en.txt", Err("unexpected file")),
            ("x/privacy/latest.en.md", Err("not a version date")),
            ("x/privacy/2018-02-30.en.md", Err("not a version date")),
            ("x/a/b/c.en.md", Err("unexpected file")),
            ("x/Privacy.en.md", Err("invalid policy name")),
            ("x/static.en.md", Err("reserved")),
        ] {
            let parsed = parse_document_path(Path::new(path))
                .map(|p| (p.slug, p.date.map(|d| d.to_string()), p.lang));
            match (parsed, expected) {
                (Ok((slug, date, lang)), Ok((e_slug, e_date, e_lang))) => {
                    assert_eq!(
                        (slug.as_str(), date.as_deref(), lang),
                        (e_slug, e_date, e_lang),
                        "{path}"
                    );
                }
                (Err(reason), Err(needle)) => assert!(reason.contains(needle), "{path}: {reason}"),
                (got, _) => panic!("{path}: unexpected {got:?}"),
            }
        }
    }
}
