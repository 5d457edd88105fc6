//! Policy pages: the request facts a page depends on (site, language), the
//! handlers that pick a document, and the askama templates around it.

use std::convert::Infallible;
use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::HOST;
use axum::http::request::Parts;
use axum::response::Html;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::content::{Document, Library, Policy, Segment, Site, Version};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::lang::Lang;

/// What every handler shares: the content, and where the service is mounted.
#[derive(Clone, Debug)]
pub struct AppState {
    pub library: Arc<Library>,
    /// The path prefix every URL the service prints starts with; empty at the root.
    pub base_path: Arc<str>,
}

impl AppState {
    pub fn new(library: Library) -> Self {
        AppState {
            library: Arc::new(library),
            base_path: Arc::from(""),
        }
    }
}

/// The site a request is for, chosen by its `Host` (the default site for an
/// unknown or missing one). Never rejects.
pub struct CurrentSite(pub Arc<Site>);

impl FromRequestParts<AppState> for CurrentSite {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| parts.uri.host());
        Ok(CurrentSite(state.library.site_for_host(host).clone()))
    }
}

/// The language a visitor picked explicitly with `?lang=`, if it is one the
/// service speaks. Anything else is ignored rather than rejected.
pub struct LangChoice(pub Option<Lang>);

impl<S: Send + Sync> FromRequestParts<S> for LangChoice {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let choice = parts.uri.query().and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "lang")
                .and_then(|(_, value)| value.parse().ok())
        });
        Ok(LangChoice(choice))
    }
}

/// What any page, including error pages, needs to draw its frame.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub site: Arc<Site>,
    pub lang: Lang,
    pub base: Arc<str>,
}

/// The frame's data as templates see it.
struct Chrome<'a> {
    lang: Lang,
    tr: Tr,
    site_name: &'a str,
    base: &'a str,
}

impl<'a> Chrome<'a> {
    fn new(context: &'a PageContext) -> Self {
        Chrome {
            lang: context.lang,
            tr: Tr(context.lang),
            site_name: &context.site.name,
            base: &context.base,
        }
    }
}

/// A date as pages print it: ISO for machines, the page language's form for people.
struct DateLabel {
    iso: String,
    label: String,
}

impl DateLabel {
    fn new(date: Date, lang: Lang) -> Self {
        let label = match lang {
            Lang::En => date.format(format_description!(
                "[month repr:long] [day padding:none], [year]"
            )),
            Lang::De => date.format(format_description!("[day].[month].[year]")),
        };
        DateLabel {
            iso: date.to_string(),
            label: label.unwrap_or_else(|_| date.to_string()),
        }
    }

    fn of(value: Option<OffsetDateTime>, lang: Lang) -> Option<Self> {
        value.map(|v| DateLabel::new(v.date(), lang))
    }
}

/// Builds the URLs a page links to, under the base path, keeping an explicit
/// `?lang=` choice so that a visitor who picked a language stays in it.
struct Urls<'a> {
    base: &'a str,
    choice: Option<Lang>,
}

impl Urls<'_> {
    fn with_choice(&self, path: String) -> String {
        match self.choice {
            Some(lang) => format!("{path}?lang={lang}"),
            None => path,
        }
    }

    fn policy(&self, slug: &str) -> String {
        format!("{}/{slug}", self.base)
    }

    fn version(&self, slug: &str, version: &Version, current: bool) -> String {
        match version.date {
            Some(date) if !current => format!("{}/{slug}/{date}", self.base),
            _ => self.policy(slug),
        }
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage<'a> {
    chrome: Chrome<'a>,
    doc: &'a Document,
    canonical: String,
    translations: Vec<TranslationLink>,
    last_updated: Option<DateLabel>,
    /// For archived versions: the current version's URL.
    superseded_by: Option<String>,
    has_versions: bool,
    versions_href: String,
}

struct TranslationLink {
    lang: Lang,
    name: String,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    chrome: Chrome<'a>,
    policies: Vec<PolicyEntry<'a>>,
}

struct PolicyEntry<'a> {
    href: String,
    title: &'a str,
    lang: Lang,
    last_updated: Option<DateLabel>,
}

#[derive(Template)]
#[template(path = "versions.html")]
struct VersionsPage<'a> {
    chrome: Chrome<'a>,
    title: &'a str,
    current_href: String,
    versions: Vec<VersionEntry>,
}

struct VersionEntry {
    href: String,
    date: Option<DateLabel>,
    current: bool,
    languages: Vec<LanguageEntry>,
}

struct LanguageEntry {
    code: Lang,
    name: String,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    chrome: Chrome<'a>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome<'a>,
}

fn context(state: &AppState, site: Arc<Site>, lang: Lang) -> PageContext {
    PageContext {
        site,
        lang,
        base: state.base_path.clone(),
    }
}

fn render(template: &impl Template, context: &PageContext) -> Result<Html<String>, AppError> {
    template
        .render()
        .map(Html)
        .map_err(|source| AppError::Render {
            context: context.clone(),
            source,
        })
}

/// `GET /`: the site's policies.
pub async fn index(
    State(state): State<AppState>,
    CurrentSite(site): CurrentSite,
    LangChoice(choice): LangChoice,
) -> Result<Html<String>, AppError> {
    let lang = choice.unwrap_or(site.default_lang);
    let context = context(&state, site.clone(), lang);
    let urls = Urls {
        base: &state.base_path,
        choice,
    };
    let policies = site
        .policies
        .values()
        .map(|policy| {
            let doc = policy.current.pick(Some(lang), site.default_lang);
            PolicyEntry {
                href: urls.with_choice(urls.policy(&policy.slug)),
                title: &doc.title,
                lang: doc.lang,
                last_updated: DateLabel::of(doc.last_updated, lang),
            }
        })
        .collect();
    render(
        &IndexPage {
            chrome: Chrome::new(&context),
            policies,
        },
        &context,
    )
}

/// `GET /{policy}`: the current version.
pub async fn current_policy(
    State(state): State<AppState>,
    CurrentSite(site): CurrentSite,
    LangChoice(choice): LangChoice,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let policy = find_policy(&state, &site, choice, &slug)?;
    policy_page(&state, &site, policy, &policy.current, choice)
}

/// `GET /{policy}/{version}`: a version by its date (`2018-05-22`).
pub async fn policy_version(
    State(state): State<AppState>,
    CurrentSite(site): CurrentSite,
    LangChoice(choice): LangChoice,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Html<String>, AppError> {
    let policy = find_policy(&state, &site, choice, &slug)?;
    let version = Date::parse(&version, format_description!("[year]-[month]-[day]"))
        .ok()
        .and_then(|date| policy.version(date))
        .ok_or_else(|| not_found(&state, &site, choice))?;
    policy_page(&state, &site, policy, version, choice)
}

/// `GET /{policy}/versions`: every version, newest first.
pub async fn versions(
    State(state): State<AppState>,
    CurrentSite(site): CurrentSite,
    LangChoice(choice): LangChoice,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let policy = find_policy(&state, &site, choice, &slug)?;
    let lang = choice.unwrap_or(site.default_lang);
    let context = context(&state, site.clone(), lang);
    let urls = Urls {
        base: &state.base_path,
        choice,
    };
    let versions = std::iter::once((&policy.current, true))
        .chain(policy.archived.iter().map(|v| (v, false)))
        .map(|(version, current)| VersionEntry {
            href: urls.version(&policy.slug, version, current),
            date: version.date.map(|d| DateLabel::new(d, lang)),
            current,
            languages: version
                .languages()
                .map(|code| LanguageEntry {
                    code,
                    name: Tr::language_name(code),
                })
                .collect(),
        })
        .collect();
    render(
        &VersionsPage {
            chrome: Chrome::new(&context),
            title: &policy.current.pick(Some(lang), site.default_lang).title,
            current_href: urls.with_choice(urls.policy(&policy.slug)),
            versions,
        },
        &context,
    )
}

/// Any other path.
pub async fn fallback(
    State(state): State<AppState>,
    CurrentSite(site): CurrentSite,
    LangChoice(choice): LangChoice,
) -> AppError {
    not_found(&state, &site, choice)
}

fn find_policy<'a>(
    state: &AppState,
    site: &'a Arc<Site>,
    choice: Option<Lang>,
    slug: &str,
) -> Result<&'a Policy, AppError> {
    site.policies
        .get(slug)
        .ok_or_else(|| not_found(state, site, choice))
}

fn not_found(state: &AppState, site: &Arc<Site>, choice: Option<Lang>) -> AppError {
    AppError::NotFound(context(
        state,
        site.clone(),
        choice.unwrap_or(site.default_lang),
    ))
}

fn policy_page(
    state: &AppState,
    site: &Arc<Site>,
    policy: &Policy,
    version: &Version,
    choice: Option<Lang>,
) -> Result<Html<String>, AppError> {
    let doc = version.pick(choice, site.default_lang);
    let context = context(state, site.clone(), doc.lang);
    let urls = Urls {
        base: &state.base_path,
        choice,
    };
    let current = std::ptr::eq(version, &policy.current);
    let path = urls.version(&policy.slug, version, current);
    let translations = version
        .languages()
        .map(|lang| TranslationLink {
            lang,
            name: Tr::language_name(lang),
            href: format!("{path}?lang={lang}"),
            current: lang == doc.lang,
        })
        .collect();
    let canonical_query = if doc.lang == site.default_lang {
        String::new()
    } else {
        format!("?lang={}", doc.lang)
    };
    let page = PolicyPage {
        chrome: Chrome::new(&context),
        doc,
        canonical: format!("http://{}{path}{canonical_query}", site.canonical_host()),
        translations,
        last_updated: DateLabel::of(doc.last_updated, doc.lang),
        superseded_by: (!current).then(|| urls.with_choice(urls.policy(&policy.slug))),
        has_versions: !policy.archived.is_empty(),
        versions_href: urls.with_choice(format!("{}/{}/versions", urls.base, policy.slug)),
    };
    render(&page, &context)
}

/// The body of the styled 404 page.
pub fn not_found_page(context: &PageContext) -> String {
    NotFoundPage {
        chrome: Chrome::new(context),
    }
    .render()
    .unwrap_or_else(|_| Tr(context.lang).get("not-found-title"))
}

/// The body of the generic 500 page.
pub fn error_page(context: &PageContext) -> String {
    ErrorPage {
        chrome: Chrome::new(context),
    }
    .render()
    .unwrap_or_else(|_| Tr(context.lang).get("error-title"))
}
