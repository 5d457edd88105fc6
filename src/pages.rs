//! Policy pages: the request facts a page depends on (site, language), the
//! handlers that pick a document, and the askama templates around it.
//!
//! Language: a page is served in the best language its document exists in
//! for this visitor ([`LangPrefs`]). When that is not the language the visitor
//! prefers, the page says so in the visitor's language and links the most
//! recent version that does exist in it.

use std::convert::Infallible;
use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequestParts, Path};
use axum::http::header::{CONTENT_LANGUAGE, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use ipnet::IpNet;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::assets;
use crate::consent::{Consent, ServiceState};
use crate::content::{
    Document, Library, LiveLibrary, OptOutControl, Policy, Segment, ServiceId, Site, Version,
};
use crate::error::AppError;
use crate::gate::KnownLayout;
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::limits::RequestLimits;
use crate::negotiate::LangPrefs;
use crate::proxy::{RequestFacts, request_host};
use crate::security::SecurityHeaders;
use crate::variants::VariantCache;

/// What every handler shares: the content, and where the service is mounted.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The content; replaced as a whole on reload.
    pub library: LiveLibrary,
    /// The path prefix the service answers under; empty at the root.
    pub base_path: Arc<str>,
    /// Peers whose forwarded headers are believed (see [`crate::proxy`]).
    pub trusted_proxies: Arc<[IpNet]>,
    /// Framing and HSTS, as the operator set them (see [`crate::security`]).
    pub security: SecurityHeaders,
    /// Request timeout and load shedding (see [`crate::limits`]).
    pub limits: RequestLimits,
    /// Finished responses, kept (see [`crate::variants`]).
    pub variants: VariantCache,
}

/// Enough for every variant of the bundled sites' pages several times over.
pub const DEFAULT_RESPONSE_CACHE: usize = 4096;

impl AppState {
    /// State for serving at the root of a host.
    pub fn new(library: Library) -> Self {
        let library = LiveLibrary::new(library);
        AppState {
            base_path: Arc::from(""),
            trusted_proxies: crate::config::Config::default().trusted_proxies.into(),
            security: SecurityHeaders::default(),
            limits: RequestLimits::default(),
            variants: VariantCache::new(library.clone(), DEFAULT_RESPONSE_CACHE),
            library,
        }
    }

    /// Keep at most this many finished responses; 0 turns the cache off.
    pub fn with_response_cache(mut self, entries: usize) -> Self {
        self.variants = VariantCache::new(self.library.clone(), entries);
        self
    }

    /// Request limits other than the defaults.
    pub fn with_limits(mut self, limits: RequestLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Security headers other than the defaults.
    pub fn with_security(mut self, security: SecurityHeaders) -> Self {
        self.security = security;
        self
    }

    /// Believe forwarded headers from these peers only.
    pub fn with_trusted_proxies(mut self, trusted: Vec<IpNet>) -> Self {
        self.trusted_proxies = trusted.into();
        self
    }

    /// State for serving under a path prefix such as `/legal` (as when an
    /// operator's app nests [`crate::router`] there): every URL the pages
    /// print starts with it. A trailing slash is ignored.
    pub fn with_base_path(mut self, base_path: &str) -> Self {
        self.base_path = Arc::from(base_path.trim_end_matches('/'));
        self
    }
}

/// Where the service is mounted for this request and how the visitor reached
/// it: the configured base path behind any prefix a trusted proxy strips, and
/// whether a trusted proxy says the visitor came over HTTPS. Never rejects.
#[derive(Clone, Debug)]
pub struct Mount {
    /// Every URL the service prints starts with this; empty at the root.
    pub base: Arc<str>,
    pub https: bool,
}

impl Mount {
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        let facts = parts.extensions.get::<RequestFacts>();
        let base = match facts.and_then(|f| f.prefix.as_deref()) {
            Some(prefix) if !prefix.is_empty() => Arc::from(format!("{prefix}{}", state.base_path)),
            _ => state.base_path.clone(),
        };
        Mount {
            base,
            https: facts.is_some_and(|f| f.https),
        }
    }

    /// `https://host` or `http://host`, as the visitor sees the site.
    pub fn origin(&self, host: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{host}")
    }
}

impl FromRequestParts<AppState> for Mount {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Mount::of(parts, state))
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
        let host = request_host(&parts.headers, &parts.uri);
        let library = state.library.current();
        Ok(CurrentSite(library.site_for_host(host).clone()))
    }
}

/// Path parameters (`Path<T>`), whose failure is the site's own 404 page.
/// A segment that does not percent-decode to UTF-8 names no policy,
/// version, file or service: it is a miss like any other, where axum's
/// `Path` would answer with a bare-text 400.
pub struct PathParams<T>(pub T);

impl<T> FromRequestParts<AppState> for PathParams<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(params)) => Ok(PathParams(params)),
            Err(rejection) => {
                tracing::debug!(%rejection, "path parameters rejected");
                let mount = Mount::of(parts, state);
                let Ok(CurrentSite(site)) = CurrentSite::from_request_parts(parts, state).await;
                let Ok(prefs) = LangPrefs::from_request_parts(parts, state).await;
                Err(not_found(&mount, &site, &prefs))
            }
        }
    }
}

/// What any page, including error pages, needs to draw its frame.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub site: Arc<Site>,
    pub lang: Lang,
    pub base: Arc<str>,
}

impl PageContext {
    /// The frame for a page in the visitor's preferred language.
    pub fn new(mount: &Mount, site: &Arc<Site>, prefs: &LangPrefs) -> Self {
        context(mount, site.clone(), prefs.preferred(site.default_lang))
    }
}

/// The frame's data as templates see it.
struct Chrome<'a> {
    lang: Lang,
    tr: Tr,
    site_name: &'a str,
    base: &'a str,
    stylesheet: &'static str,
    favicon: &'static str,
}

impl<'a> Chrome<'a> {
    fn new(context: &'a PageContext) -> Self {
        Chrome {
            lang: context.lang,
            tr: Tr(context.lang),
            site_name: &context.site.name,
            base: &context.base,
            stylesheet: assets::path("style.css"),
            favicon: assets::path("favicon.svg"),
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

/// A rendered page and the language it is in. Every page's language depends
/// on `Accept-Language`, so every page says so to caches.
pub struct Page {
    status: StatusCode,
    lang: Lang,
    html: String,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let layout = KnownLayout::of(&self.html);
        let mut response = (self.status, Html(self.html)).into_response();
        if let Some(layout) = layout {
            response.extensions_mut().insert(layout);
        }
        let headers = response.headers_mut();
        headers.insert(CONTENT_LANGUAGE, HeaderValue::from_static(self.lang.code()));
        headers.insert(VARY, HeaderValue::from_static("Accept-Language"));
        response
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage<'a> {
    chrome: Chrome<'a>,
    doc: &'a Document,
    lead: Vec<Part<'a>>,
    body: Vec<Part<'a>>,
    /// One hidden form per service and action, which the controls' buttons submit.
    consent_forms: Vec<ConsentForm<'a>>,
    /// After a form post came back here: what this request shows the
    /// browser really kept.
    confirmation: Option<Confirmation>,
    canonical: String,
    translations: Vec<TranslationLink>,
    /// Absolute URL for `hreflang="x-default"`: the page without `?lang=`.
    default_alternate: String,
    last_updated: Option<DateLabel>,
    /// For archived versions: the current version's URL.
    superseded_by: Option<String>,
    /// When the page is not in the visitor's language.
    translation_notice: Option<TranslationNotice>,
    has_versions: bool,
    versions_href: String,
}

/// A piece of a document as this visitor sees it.
enum Part<'a> {
    Html(&'a str),
    Control(ControlView<'a>),
}

/// An opt-out control in its visitor's state. Both states are in the page,
/// one `hidden`, so that consent.js can switch them without a reload.
struct ControlView<'a> {
    service: &'a ServiceId,
    /// The policy's own wording ("Disable Carbon Ads").
    label_html: &'a str,
    allowed: bool,
    /// Undo-able here (an opt-out cookie), rather than blocked by GPC.
    can_enable: bool,
    disabled_text: String,
}

struct ConsentForm<'a> {
    service: &'a ServiceId,
    action: &'static str,
    return_to: &'a str,
    /// What consent.js says once `document.cookie` shows the change kept …
    saved: String,
    /// … and when it does not.
    unsaved: String,
}

/// The notice after a change: "Saved" only when the request that follows
/// the change carries it; otherwise what went wrong and what to do.
struct Confirmation {
    kept: bool,
    text: String,
}

impl Confirmation {
    /// `opted_out`: the change the visitor asked for (`?optout=` or
    /// `?optin=`); `state`: what their browser sent back with this request.
    fn new(opted_out: bool, state: ServiceState, service: &str, tr: Tr) -> Self {
        let (kept, key) = match (opted_out, state) {
            (true, ServiceState::OptedOut) => (true, "consent-saved-optout"),
            (true, _) => (false, "consent-unsaved-optout"),
            (false, ServiceState::Allowed) => (true, "consent-saved-optin"),
            (false, ServiceState::OptedOut) => (false, "consent-unsaved-optin"),
            // Enabled here, but Global Privacy Control keeps it off.
            (false, ServiceState::Blocked) => (true, "consent-blocked"),
        };
        Confirmation {
            kept,
            text: tr.with(&[("service", service)], key),
        }
    }
}

struct TranslationLink {
    lang: Lang,
    name: String,
    href: String,
    absolute: String,
    current: bool,
}

/// "This page is not in your language", in the visitor's language.
struct TranslationNotice {
    lang: Lang,
    text: String,
    link: Option<(String, String)>,
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

/// The 404, 403 and 500 pages: a title and a sentence, in the site's frame.
#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    chrome: Chrome<'a>,
    title_key: &'static str,
    text_key: &'static str,
    offer_index: bool,
}

fn context(mount: &Mount, site: Arc<Site>, lang: Lang) -> PageContext {
    PageContext {
        site,
        lang,
        base: mount.base.clone(),
    }
}

fn render(template: &impl Template, context: &PageContext) -> Result<Page, AppError> {
    match template.render() {
        Ok(html) => Ok(Page {
            status: StatusCode::OK,
            lang: context.lang,
            html,
        }),
        Err(source) => Err(AppError::Render {
            context: context.clone(),
            source,
        }),
    }
}

/// The translation of `version` this visitor reads.
fn pick<'a>(version: &'a Version, prefs: &LangPrefs, site: &Site) -> &'a Document {
    version.translation(prefs.choose(&version.language_list(), site.default_lang))
}

/// `GET /`: the site's policies.
pub async fn index(
    mount: Mount,
    CurrentSite(site): CurrentSite,
    prefs: LangPrefs,
) -> Result<Page, AppError> {
    let lang = prefs.preferred(site.default_lang);
    let context = context(&mount, site.clone(), lang);
    let urls = Urls {
        base: &mount.base,
        choice: prefs.explicit,
    };
    let policies = site
        .policies
        .values()
        .map(|policy| {
            let doc = pick(&policy.current, &prefs, &site);
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
    mount: Mount,
    CurrentSite(site): CurrentSite,
    prefs: LangPrefs,
    PathParams(slug): PathParams<String>,
    request: PageRequest,
) -> Result<Page, AppError> {
    let policy = find_policy(&mount, &site, &prefs, &slug)?;
    policy_page(&mount, &site, policy, &policy.current, &prefs, &request)
}

/// `GET /{policy}/{version}`: a version by its date (`2018-05-22`).
pub async fn policy_version(
    mount: Mount,
    CurrentSite(site): CurrentSite,
    prefs: LangPrefs,
    PathParams((slug, version)): PathParams<(String, String)>,
    request: PageRequest,
) -> Result<Page, AppError> {
    let policy = find_policy(&mount, &site, &prefs, &slug)?;
    let version = Date::parse(&version, format_description!("[year]-[month]-[day]"))
        .ok()
        .and_then(|date| policy.version(date))
        .ok_or_else(|| not_found(&mount, &site, &prefs))?;
    policy_page(&mount, &site, policy, version, &prefs, &request)
}

/// `GET /{policy}/versions`: every version, newest first.
pub async fn versions(
    mount: Mount,
    CurrentSite(site): CurrentSite,
    prefs: LangPrefs,
    PathParams(slug): PathParams<String>,
) -> Result<Page, AppError> {
    let policy = find_policy(&mount, &site, &prefs, &slug)?;
    let lang = prefs.preferred(site.default_lang);
    let context = context(&mount, site.clone(), lang);
    let urls = Urls {
        base: &mount.base,
        choice: prefs.explicit,
    };
    let versions = policy
        .versions()
        .map(|version| {
            let current = std::ptr::eq(version, &policy.current);
            VersionEntry {
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
            }
        })
        .collect();
    render(
        &VersionsPage {
            chrome: Chrome::new(&context),
            title: &pick(&policy.current, &prefs, &site).title,
            current_href: urls.with_choice(urls.policy(&policy.slug)),
            versions,
        },
        &context,
    )
}

/// Any other path.
pub async fn fallback(mount: Mount, CurrentSite(site): CurrentSite, prefs: LangPrefs) -> AppError {
    not_found(&mount, &site, &prefs)
}

fn find_policy<'a>(
    mount: &Mount,
    site: &'a Arc<Site>,
    prefs: &LangPrefs,
    slug: &str,
) -> Result<&'a Policy, AppError> {
    site.policies
        .get(slug)
        .ok_or_else(|| not_found(mount, site, prefs))
}

fn not_found(mount: &Mount, site: &Arc<Site>, prefs: &LangPrefs) -> AppError {
    AppError::not_found(mount, site, prefs)
}

/// What a policy page needs from the request beyond site and language: the
/// consent headers and the path to return to after a form post.
pub struct PageRequest {
    headers: HeaderMap,
    /// Path and query as the visitor requested them, under the base path.
    return_to: String,
    /// `optout=<id>` / `optin=<id>` after a form post.
    confirmation: Option<(bool, String)>,
}

impl FromRequestParts<AppState> for PageRequest {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let mut confirmation = None;
        let mut kept = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "optout" => confirmation = Some((true, value.into_owned())),
                "optin" => confirmation = Some((false, value.into_owned())),
                _ => {
                    kept.append_pair(&key, &value);
                }
            }
        }
        let kept = kept.finish();
        let path = format!("{}{}", Mount::of(parts, state).base, parts.uri.path());
        let return_to = if kept.is_empty() {
            path
        } else {
            format!("{path}?{kept}")
        };
        Ok(PageRequest {
            headers: parts.headers.clone(),
            return_to,
            confirmation,
        })
    }
}

/// The document's segments as this visitor sees them.
fn parts<'a>(segments: &'a [Segment], site: &Site, consent: &Consent, tr: Tr) -> Vec<Part<'a>> {
    segments
        .iter()
        .map(|segment| match segment {
            Segment::Html(html) => Part::Html(html),
            Segment::OptOut(control) => Part::Control(control_view(control, site, consent, tr)),
        })
        .collect()
}

/// How pages name a service: its `name`, or its id if the site lacks it.
fn service_name<'s>(site: &'s Site, id: &'s ServiceId) -> &'s str {
    site.services
        .get(id)
        .map_or(id.as_str(), |s| s.name.as_str())
}

fn control_view<'a>(
    control: &'a OptOutControl,
    site: &Site,
    consent: &Consent,
    tr: Tr,
) -> ControlView<'a> {
    let name = service_name(site, &control.service);
    let state = consent.state(&control.service);
    let message = if state == ServiceState::Blocked {
        "consent-blocked"
    } else {
        "consent-disabled"
    };
    ControlView {
        service: &control.service,
        label_html: &control.label_html,
        allowed: state == ServiceState::Allowed,
        can_enable: state != ServiceState::Blocked,
        disabled_text: tr.with(&[("service", name)], message),
    }
}

fn policy_page(
    mount: &Mount,
    site: &Arc<Site>,
    policy: &Policy,
    version: &Version,
    prefs: &LangPrefs,
    request: &PageRequest,
) -> Result<Page, AppError> {
    let doc = pick(version, prefs, site);
    let consent = Consent::read(&request.headers, site);
    let tr = Tr(doc.lang);
    let mut services: Vec<&ServiceId> = doc.opt_outs().map(|c| &c.service).collect();
    services.sort();
    services.dedup();
    let consent_forms = services
        .into_iter()
        .flat_map(|service| {
            let name = service_name(site, service);
            [
                ("optout", "consent-saved-optout", "consent-unsaved-optout"),
                ("optin", "consent-saved-optin", "consent-unsaved-optin"),
            ]
            .map(|(action, saved, unsaved)| ConsentForm {
                service,
                action,
                return_to: &request.return_to,
                saved: tr.with(&[("service", name)], saved),
                unsaved: tr.with(&[("service", name)], unsaved),
            })
        })
        .collect();
    let confirmation = request.confirmation.as_ref().and_then(|(opted_out, id)| {
        let service = site.services.get(&id.parse::<ServiceId>().ok()?)?;
        Some(Confirmation::new(
            *opted_out,
            consent.state(&service.id),
            &service.name,
            tr,
        ))
    });
    let context = context(mount, site.clone(), doc.lang);
    let urls = Urls {
        base: &mount.base,
        choice: prefs.explicit,
    };
    let current = std::ptr::eq(version, &policy.current);
    let path = urls.version(&policy.slug, version, current);
    let origin = mount.origin(site.canonical_host());
    let translations = version
        .languages()
        .map(|lang| TranslationLink {
            lang,
            name: Tr::language_name(lang),
            href: format!("{path}?lang={lang}"),
            absolute: format!("{origin}{path}?lang={lang}"),
            current: lang == doc.lang,
        })
        .collect();
    let canonical_query = if doc.lang == site.default_lang {
        String::new()
    } else {
        format!("?lang={}", doc.lang)
    };
    let preferred = prefs.preferred(site.default_lang);
    let translation_notice = (doc.lang != preferred)
        .then(|| translation_notice(policy, version, doc.lang, preferred, &urls));
    let page = PolicyPage {
        chrome: Chrome::new(&context),
        doc,
        lead: parts(&doc.lead, site, &consent, tr),
        body: parts(&doc.body, site, &consent, tr),
        consent_forms,
        confirmation,
        canonical: format!("{origin}{path}{canonical_query}"),
        translations,
        default_alternate: format!("{origin}{path}"),
        last_updated: DateLabel::of(doc.last_updated, doc.lang),
        superseded_by: (!current).then(|| urls.with_choice(urls.policy(&policy.slug))),
        translation_notice,
        has_versions: !policy.archived.is_empty(),
        versions_href: urls.with_choice(format!("{}/{}/versions", urls.base, policy.slug)),
    };
    render(&page, &context)
}

/// Tells a visitor who prefers `wanted` that this page is in `shown`, and
/// points at the newest other version that exists in `wanted`, if any.
fn translation_notice(
    policy: &Policy,
    version: &Version,
    shown: Lang,
    wanted: Lang,
    urls: &Urls<'_>,
) -> TranslationNotice {
    let tr = Tr(wanted);
    let text = tr.with(&[("shown", shown.code())], "translation-missing");
    let other = policy
        .versions()
        .find(|v| !std::ptr::eq(*v, version) && v.translations.contains_key(&wanted));
    let link = other.map(|other| {
        let is_current = std::ptr::eq(other, &policy.current);
        let href = format!(
            "{}?lang={wanted}",
            urls.version(&policy.slug, other, is_current)
        );
        let label = match (is_current, other.date) {
            (true, _) => tr.get("translation-current"),
            (false, Some(date)) => tr.with(
                &[("date", DateLabel::new(date, wanted).label.as_str())],
                "translation-archived",
            ),
            (false, None) => tr.get("translation-archived-undated"),
        };
        (href, label)
    });
    TranslationNotice {
        lang: wanted,
        text,
        link,
    }
}

/// The page for an error status, in the visitor's language. If even that
/// fails to render, the bare title.
pub fn status_page(context: &PageContext, status: StatusCode) -> Page {
    let (title_key, text_key) = match status {
        StatusCode::NOT_FOUND => ("not-found-title", "not-found-text"),
        StatusCode::FORBIDDEN => ("forbidden-title", "forbidden-text"),
        _ => ("error-title", "error-text"),
    };
    let html = StatusPage {
        chrome: Chrome::new(context),
        title_key,
        text_key,
        offer_index: status != StatusCode::INTERNAL_SERVER_ERROR,
    }
    .render()
    .unwrap_or_else(|_| Tr(context.lang).get(title_key));
    Page {
        status,
        lang: context.lang,
        html,
    }
}
