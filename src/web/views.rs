//! What pages look like: the askama templates' data, the frame every page
//! shares, and [`Page`], a rendered page as a response.
//!
//! Handlers ([`super::pages`]) decide what a page shows; this module only
//! shapes it for the templates. Nothing here reads the request.

use std::sync::Arc;

use std::time::SystemTime;

use askama::Template;
use axum::http::header::{CONTENT_LANGUAGE, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use headers::{HeaderMapExt, LastModified};
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::assets;
use crate::consent::ServiceState;
use crate::content::{Document, Policy, ServiceId, Site, Version};
use crate::gate::KnownLayout;
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::request::visit::Visit;

/// What any page, including error pages, needs to draw its frame.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub site: Arc<Site>,
    pub lang: Lang,
    pub base: Arc<str>,
}

impl PageContext {
    /// The frame for a page in the visitor's preferred language.
    pub fn new(visit: &Visit) -> Self {
        PageContext::in_lang(visit, visit.preferred_lang())
    }

    /// The frame for a page in `lang` (a document's own).
    pub fn in_lang(visit: &Visit, lang: Lang) -> Self {
        PageContext {
            site: visit.site.clone(),
            lang,
            base: visit.base.clone(),
        }
    }
}

/// The frame's data as templates see it.
pub(crate) struct Chrome<'a> {
    pub(crate) lang: Lang,
    pub(crate) tr: Tr,
    pub(crate) site_name: &'a str,
    pub(crate) base: &'a str,
    pub(crate) stylesheet: &'static str,
    pub(crate) favicon: &'static str,
}

impl<'a> Chrome<'a> {
    pub(crate) fn new(context: &'a PageContext) -> Self {
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
pub(crate) struct DateLabel {
    pub(crate) iso: String,
    pub(crate) label: String,
}

impl DateLabel {
    pub(crate) fn new(date: Date, lang: Lang) -> Self {
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

    pub(crate) fn of(value: Option<OffsetDateTime>, lang: Lang) -> Option<Self> {
        value.map(|v| DateLabel::new(v.date(), lang))
    }
}

/// Builds the URLs a page links to, under the base path, keeping an explicit
/// `?lang=` choice so that a visitor who picked a language stays in it.
pub(crate) struct Urls<'a> {
    pub(crate) base: &'a str,
    pub(crate) choice: Option<Lang>,
}

impl<'a> Urls<'a> {
    /// URLs under the visit's mount, keeping its `?lang=` choice.
    pub(crate) fn new(visit: &'a Visit) -> Self {
        Urls {
            base: &visit.base,
            choice: visit.langs.explicit,
        }
    }

    pub(crate) fn with_choice(&self, path: String) -> String {
        match self.choice {
            Some(lang) => format!("{path}?lang={lang}"),
            None => path,
        }
    }

    /// The current version: at its permalink, if it has one.
    pub(crate) fn policy(&self, policy: &Policy) -> String {
        format!("{}{}", self.base, policy.path())
    }

    /// What `version` changed from the one before it.
    pub(crate) fn changes(&self, slug: &str, version: &Version, current: bool) -> String {
        match version.date {
            Some(date) if !current => format!("{}/{slug}/{date}/changes", self.base),
            _ => format!("{}/{slug}/changes", self.base),
        }
    }

    pub(crate) fn version(&self, policy: &Policy, version: &Version, current: bool) -> String {
        match version.date {
            Some(date) if !current => format!("{}/{}/{date}", self.base, policy.slug),
            _ => self.policy(policy),
        }
    }
}

/// A rendered page and the language it is in. Every page's language depends
/// on `Accept-Language`, so every page says so to caches.
pub struct Page {
    pub(crate) status: StatusCode,
    pub(crate) lang: Lang,
    pub(crate) html: String,
    /// When what the page shows last changed (a policy version's date).
    pub(crate) last_modified: Option<OffsetDateTime>,
}

impl Page {
    pub(crate) fn new(status: StatusCode, lang: Lang, html: String) -> Self {
        Page {
            status,
            lang,
            html,
            last_modified: None,
        }
    }
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
        if let Some(modified) = self.last_modified {
            headers.typed_insert(LastModified::from(SystemTime::from(modified)));
        }
        response
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
pub(crate) struct PolicyPage<'a> {
    pub(crate) chrome: Chrome<'a>,
    pub(crate) doc: &'a Document,
    pub(crate) lead: Vec<Part<'a>>,
    pub(crate) body: Vec<Part<'a>>,
    /// One hidden form per service and action, which the controls' buttons submit.
    pub(crate) consent_forms: Vec<ConsentForm<'a>>,
    /// After a form post came back here: what this request shows the
    /// browser really kept.
    pub(crate) confirmation: Option<Confirmation>,
    pub(crate) canonical: String,
    pub(crate) translations: Vec<TranslationLink>,
    /// Absolute URL for `hreflang="x-default"`: the page without `?lang=`.
    pub(crate) default_alternate: String,
    pub(crate) last_updated: Option<DateLabel>,
    /// For archived versions: the current version's URL.
    pub(crate) superseded_by: Option<String>,
    /// When the page is not in the visitor's language.
    pub(crate) translation_notice: Option<TranslationNotice>,
    /// "What changed since …": the comparison with the version before.
    pub(crate) changes: Option<(String, String)>,
    pub(crate) has_versions: bool,
    pub(crate) versions_href: String,
}

/// A piece of a document as this visitor sees it.
pub(crate) enum Part<'a> {
    Html(&'a str),
    Control(ControlView<'a>),
    /// The table of contents, here rather than after the lead.
    Toc,
}

/// An opt-out control in its visitor's state. Both states are in the page,
/// one `hidden`, so that consent.js can switch them without a reload.
pub(crate) struct ControlView<'a> {
    pub(crate) service: &'a ServiceId,
    /// The policy's own wording ("Disable Carbon Ads").
    pub(crate) label_html: &'a str,
    pub(crate) allowed: bool,
    /// Undo-able here (an opt-out cookie), rather than blocked by GPC.
    pub(crate) can_enable: bool,
    pub(crate) disabled_text: String,
}

pub(crate) struct ConsentForm<'a> {
    pub(crate) service: &'a ServiceId,
    pub(crate) action: &'static str,
    pub(crate) return_to: &'a str,
    /// What consent.js says once `document.cookie` shows the change kept …
    pub(crate) saved: String,
    /// … and when it does not.
    pub(crate) unsaved: String,
}

/// The notice after a change: "Saved" only when the request that follows
/// the change carries it; otherwise what went wrong and what to do.
pub(crate) struct Confirmation {
    pub(crate) kept: bool,
    pub(crate) text: String,
}

impl Confirmation {
    /// `opted_out`: the change the visitor asked for (`?optout=` or
    /// `?optin=`); `state`: what their browser sent back with this request.
    pub(crate) fn new(opted_out: bool, state: ServiceState, service: &str, tr: Tr) -> Self {
        let (kept, key) = match (opted_out, state) {
            (true, ServiceState::OptedOut) => (true, "consent-saved-optout"),
            (true, _) => (false, "consent-unsaved-optout"),
            (false, ServiceState::Allowed) => (true, "consent-saved-optin"),
            (false, ServiceState::OptedOut) => (false, "consent-unsaved-optin"),
            // An opt-in service whose record the browser did not keep.
            (false, ServiceState::Undecided) => (false, "consent-unsaved-record"),
            // Enabled here, but Global Privacy Control keeps it off.
            (false, ServiceState::Blocked) => (true, "consent-blocked"),
        };
        Confirmation {
            kept,
            text: tr.with(&[("service", service)], key),
        }
    }
}

pub(crate) struct TranslationLink {
    pub(crate) lang: Lang,
    pub(crate) name: String,
    pub(crate) href: String,
    pub(crate) absolute: String,
    pub(crate) current: bool,
}

/// "This page is not in your language", in the visitor's language.
pub(crate) struct TranslationNotice {
    pub(crate) lang: Lang,
    pub(crate) text: String,
    pub(crate) link: Option<(String, String)>,
}

/// The privacy choices: every service of the site and a control each.
#[derive(Template)]
#[template(path = "choices.html")]
pub(crate) struct ChoicesPage<'a> {
    pub(crate) chrome: Chrome<'a>,
    pub(crate) intro: String,
    pub(crate) services: Vec<ServiceChoice<'a>>,
    pub(crate) consent_forms: Vec<ConsentForm<'a>>,
    pub(crate) confirmation: Option<Confirmation>,
    /// The browser sends Global Privacy Control: every service is off.
    pub(crate) gpc: bool,
    /// The site's privacy policy, to read before choosing.
    pub(crate) policy: Option<String>,
}

/// One service on the choices page, in this visitor's state.
pub(crate) struct ServiceChoice<'a> {
    pub(crate) id: &'a ServiceId,
    pub(crate) name: &'a str,
    pub(crate) purpose: String,
    pub(crate) allowed: bool,
    /// Undo-able here (an opt-out cookie), rather than blocked by GPC.
    pub(crate) can_enable: bool,
    pub(crate) enabled_text: String,
    pub(crate) disabled_text: String,
    pub(crate) turn_off: String,
    /// "Turn on …" for a service that waits for a first yes, else "Enable again".
    pub(crate) turn_on: String,
}

#[derive(Template)]
#[template(path = "index.html")]
pub(crate) struct IndexPage<'a> {
    pub(crate) chrome: Chrome<'a>,
    pub(crate) policies: Vec<PolicyEntry<'a>>,
}

pub(crate) struct PolicyEntry<'a> {
    pub(crate) href: String,
    pub(crate) title: &'a str,
    pub(crate) lang: Lang,
    pub(crate) last_updated: Option<DateLabel>,
}

#[derive(Template)]
#[template(path = "versions.html")]
pub(crate) struct VersionsPage<'a> {
    pub(crate) chrome: Chrome<'a>,
    pub(crate) title: &'a str,
    pub(crate) current_href: String,
    pub(crate) versions: Vec<VersionEntry>,
}

pub(crate) struct VersionEntry {
    pub(crate) href: String,
    pub(crate) date: Option<DateLabel>,
    pub(crate) current: bool,
    pub(crate) languages: Vec<LanguageEntry>,
    /// What this version changed from the one before, if there is one.
    pub(crate) changes_href: Option<String>,
    /// Its own summary (`changes:`), in the visitor's language where it exists.
    pub(crate) summary: Vec<String>,
}

pub(crate) struct LanguageEntry {
    pub(crate) code: Lang,
    pub(crate) name: String,
}

/// What changed between two versions.
#[derive(Template)]
#[template(path = "changes.html")]
pub(crate) struct ChangesPage<'a> {
    pub(crate) chrome: Chrome<'a>,
    pub(crate) title: &'a str,
    pub(crate) newer_label: String,
    pub(crate) newer_href: String,
    pub(crate) older_label: String,
    pub(crate) older_href: String,
    /// The newer version's own summary (`changes:`).
    pub(crate) summary: &'a [String],
    /// Why the comparison is not in the visitor's language, or not there.
    pub(crate) notice: Option<(Lang, String)>,
    pub(crate) compared: bool,
    pub(crate) sections: Vec<SectionView>,
    pub(crate) unchanged: usize,
    pub(crate) versions_href: String,
}

/// A section that changed: `kind` is `added`, `removed` or `changed`.
pub(crate) struct SectionView {
    pub(crate) kind: &'static str,
    pub(crate) title: String,
    pub(crate) old_title: Option<String>,
    /// The section on the newer page.
    pub(crate) href: Option<String>,
    pub(crate) paragraphs: Vec<ParagraphView>,
}

pub(crate) struct ParagraphView {
    pub(crate) kind: &'static str,
    pub(crate) spans: Vec<SpanView>,
}

/// Words: `same`, `added` (`<ins>`) or `removed` (`<del>`).
pub(crate) struct SpanView {
    pub(crate) kind: &'static str,
    pub(crate) text: String,
}

/// The Atom feed (RFC 4287).
#[derive(Template)]
#[template(path = "feed.xml")]
pub(crate) struct FeedXml<'a> {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) site_name: &'a str,
    pub(crate) home: String,
    pub(crate) updated: String,
    pub(crate) lang: Lang,
    pub(crate) entries: Vec<FeedEntry>,
}

pub(crate) struct FeedEntry {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) updated: String,
    pub(crate) summary: String,
    pub(crate) lang: Lang,
    pub(crate) href: String,
    pub(crate) changes_href: Option<String>,
    pub(crate) sort: Date,
}

/// The 404, 403 and 500 pages: a title and a sentence, in the site's frame.
#[derive(Template)]
#[template(path = "status.html")]
pub(crate) struct StatusPage<'a> {
    pub(crate) chrome: Chrome<'a>,
    pub(crate) title_key: &'static str,
    pub(crate) text_key: &'static str,
    pub(crate) offer_index: bool,
}

/// The page for an error status, in the visitor's language. If even that
/// fails to render, the bare title.
pub fn status_page(context: &PageContext, status: StatusCode) -> Page {
    let (title_key, text_key) = match status {
        StatusCode::NOT_FOUND => ("not-found-title", "not-found-text"),
        StatusCode::FORBIDDEN => ("forbidden-title", "forbidden-text"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed-title", "method-not-allowed-text"),
        StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => {
            ("unavailable-title", "unavailable-text")
        }
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
    Page::new(status, context.lang, html)
}
